//! The plan's time (issue 27, parts 1 and 5): `[runbook] window` read and checked, the
//! projected finish of the window's plan (not the follow-ups after it) against its end, a
//! warning before an overrun happens and a journaled alert when it does, on the rehearsal
//! clock in a pseudo-terminal; dated phases and all-day steps.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::TimeDelta;
use common::screen::Screen;
use warroom::app::event::Event;
use warroom::app::{Action, Effect, State, update};
use warroom::runbook::Standing;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/window/overrun.toml")
}

#[test]
fn the_window_says_its_time_left_warns_of_an_overrun_and_records_one() {
    let (rb, _) = warroom::runbook::load(&fixture()).unwrap();
    let w = rb.window.unwrap();
    assert_eq!(
        (w.start, w.end),
        (TimeDelta::zero(), TimeDelta::minutes(30))
    );
    let t0 = chrono::DateTime::parse_from_rfc3339("2026-03-01T02:00:00Z")
        .unwrap()
        .to_utc();
    let mut s = State::new(Arc::new(rb), t0 - TimeDelta::minutes(5));
    let at =
        |s: &mut State, minutes: i64| update(s, Action::Tick(t0 + TimeDelta::minutes(minutes)));
    update(&mut s, Action::Tick(t0 - TimeDelta::minutes(5)));
    assert_eq!(
        s.window_words(),
        Some(("window opens in 5m".to_owned(), Standing::Good))
    );
    // The change opened (done by hand at T+1m); the ETA is the window's plan (T+20m and
    // its 5 minutes), not the review a week on.
    at(&mut s, 1);
    common::key(&mut s, crossterm::event::KeyCode::Enter);
    common::key(&mut s, crossterm::event::KeyCode::Char('y'));
    assert!(s.step_done(0));
    assert_eq!(s.projected_finish(), Some(t0 + TimeDelta::minutes(25)));
    assert_eq!(
        s.window_words(),
        Some(("window 29m left".to_owned(), Standing::Good))
    );
    // The switch, planned at T+20m, not started at T+26m: the finish slips past 02:30,
    // said before it happens.
    at(&mut s, 26);
    assert_eq!(
        s.window_words(),
        Some((
            "finish ~02:31, 1m past the window".to_owned(),
            Standing::Warning
        ))
    );
    assert_eq!(s.status_light(), Standing::Warning, "the light says it too");
    let opened = s.take_records();
    assert!(
        opened
            .iter()
            .all(|r| !matches!(r.event, Event::WindowOverrun { .. }))
    );
    // 02:30 passes with the switch not done: journaled once, rung, said.
    let fx = at(&mut s, 30);
    assert!(fx.iter().any(|e| matches!(e, Effect::Bell)));
    let records = s.take_records();
    assert!(
        records
            .iter()
            .any(|r| matches!(r.event, Event::WindowOverrun { steps_left: 1 })),
        "{records:?}"
    );
    assert_eq!(
        s.window_words(),
        Some((
            "window closed 0s ago, 1 step left".to_owned(),
            Standing::Critical
        ))
    );
    assert_eq!(s.status_light(), Standing::Critical);
    at(&mut s, 31);
    assert!(s.take_records().is_empty(), "once");
    // The record holds it: a replay has the overrun too.
    let mut replayed = State::new(s.runbook.clone(), t0 - TimeDelta::minutes(5));
    replayed.replay(&opened);
    replayed.replay(&records);
    assert_eq!(replayed.window_overrun, s.window_overrun);
}

#[test]
fn a_window_is_checked_where_it_stands() {
    let load = |window: &str, t0: &str| {
        warroom::runbook::load_str(
            Path::new("w.toml"),
            &format!("[runbook]\nname = \"w\"\n{t0}window = {window}\n"),
        )
    };
    let fixed = "t0 = \"2026-03-01T22:00:00Z\"\n";
    // Overnight: 22:00 to 06:00 the next morning, by clock times nearest T0.
    let (rb, _) = load("{ start = \"22:00\", end = \"06:00\" }", fixed).unwrap();
    assert_eq!(rb.window.unwrap().end, TimeDelta::hours(8));
    let errs = load("{ start = \"T+1h\", end = \"T+30m\" }", "").unwrap_err();
    assert!(
        errs.iter().any(|e| e.key == "runbook.window.end"
            && e.line == 3
            && e.message
                .contains("the window ends (T+30m) before it starts (T+1h)")),
        "{errs:#?}"
    );
    let errs = load("{ start = \"22:00\", end = \"06:00\" }", "").unwrap_err();
    assert!(
        errs.iter()
            .any(|e| e.message.contains("needs a fixed `t0` date-time")),
        "{errs:#?}"
    );
}

/// On the rehearsal clock at 120x: the warning is on the header before 02:30, and the
/// overrun is recorded after it.
#[test]
fn the_overrun_warning_comes_before_the_window_closes_in_a_rehearsal() {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("run");
    let rb = fixture();
    let mut s = Screen::start(
        &[
            "rehearse",
            rb.to_str().unwrap(),
            "--speed",
            "120",
            "--run-dir",
            run_dir.to_str().unwrap(),
        ],
        30,
        120,
        dir,
    );
    s.wait_for("REHEARSAL", 20);
    s.wait_for("window", 10);
    let warned = s.wait_for("past the window", 30);
    // Said while the window is still open: the clock on the header is before 02:30.
    let clock = warned
        .lines()
        .next()
        .and_then(|l| {
            l.split_whitespace()
                .find(|w| w.len() == 8 && w.contains(':'))
        })
        .unwrap()
        .to_owned();
    assert!(clock.as_str() < "02:30:00", "warned at {clock}:\n{warned}");
    s.wait_for("window closed", 30);
    let records = warroom::journal::read(&run_dir.join("journal.jsonl"))
        .unwrap()
        .0;
    assert!(
        records
            .iter()
            .any(|r| matches!(r.event, Event::WindowOverrun { .. }))
    );
    s.keys("q");
    assert!(s.wait_exit(10));
}

/// Days (issue 27, part 5): a phase's `date` puts its steps' clock times on that day; an
/// `all-day` step runs from its day's midnight for the day and the timeline says so;
/// `check` refuses a date that is not one, a dated phase without a fixed T0, and an
/// all-day step without a day.
#[test]
fn dated_phases_and_all_day_steps() {
    let text = r#"[runbook]
name = "Weekend"
t0 = "2026-02-07T20:00:00Z"

[[phase]]
id = "friday"
title = "Friday night"
date = "2026-02-07"

[[phase.step]]
id = "cutover"
title = "Cut over"
at = "21:00"

[[phase]]
id = "saturday"
title = "Saturday"
date = "2026-02-08"

[[phase.step]]
id = "watch"
title = "Watch the dashboards all day"
all-day = true

[[phase.step]]
id = "review"
title = "Morning review"
at = "09:00"

[[phase]]
id = "later"
title = "Later"

[[phase.step]]
id = "retro"
title = "Retrospective day"
at = "2026-02-09 10:00"
all-day = true
"#;
    let (rb, _) = warroom::runbook::load_str(Path::new("w.toml"), text).unwrap();
    let planned: Vec<(String, Option<TimeDelta>, Option<TimeDelta>, bool)> = rb
        .steps()
        .map(|(_, s)| (s.id.clone(), s.planned, s.duration, s.all_day))
        .collect();
    let h = TimeDelta::hours;
    assert_eq!(
        planned,
        [
            ("cutover".to_owned(), Some(h(1)), None, false),
            ("watch".to_owned(), Some(h(4)), Some(h(24)), true),
            ("review".to_owned(), Some(h(13)), None, false),
            ("retro".to_owned(), Some(h(28)), Some(h(24)), true),
        ]
    );
    // The timeline: a line where each day begins, `all day` where a time would be.
    let t0 = chrono::DateTime::parse_from_rfc3339("2026-02-07T20:00:00Z")
        .unwrap()
        .to_utc();
    let s = State::new(Arc::new(rb), t0);
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 30)).unwrap();
    t.draw(|f| warroom::ui::render(f, &s)).unwrap();
    let screen = format!("{}", t.backend());
    let row = screen
        .lines()
        .find(|l| l.contains("Watch the dashboards"))
        .unwrap();
    assert!(row.contains("all day"), "{screen}");

    let errs = |text: &str| warroom::runbook::load_str(Path::new("w.toml"), text).unwrap_err();
    let bad_date = errs(&text.replace("2026-02-08\"", "Saturday\""));
    assert!(
        bad_date.iter().any(|e| e.key == "phase[saturday].date"
            && e.line == 18
            && e.message.contains("`Saturday` is not a date")),
        "{bad_date:#?}"
    );
    let relative = errs(&text.replace("t0 = \"2026-02-07T20:00:00Z\"", "t0 = \"+1m\""));
    assert!(
        relative
            .iter()
            .any(|e| e.message.contains("a dated phase needs a fixed `t0`")),
        "{relative:#?}"
    );
    let dayless = errs(&text.replace("at = \"2026-02-09 10:00\"\n", ""));
    assert!(
        dayless
            .iter()
            .any(|e| e.key == "phase[later].step[retro].all-day"
                && e.message.contains("an all-day step needs its day")),
        "{dayless:#?}"
    );
}

/// An endpoint follows a schedule as a KPI does (issue 27, part 5): probed every minute
/// until T+1h, then at its `interval`; how stale a probe is is judged by the interval of
/// the moment.
#[test]
fn an_endpoint_follows_its_schedule() {
    use warroom::app::{Observation, Probe};
    use warroom::runbook::Health;
    let text = r#"[runbook]
name = "Quiet hours"
t0 = "2026-02-07T20:00:00Z"

[[endpoint]]
id = "api"
url = "http://127.0.0.1:9/health"
interval = "5s"
schedule = [{ until = "T+1h", every = "1m" }]
"#;
    let (rb, _) = warroom::runbook::load_str(Path::new("e.toml"), text).unwrap();
    let ep = &rb.endpoints[0];
    assert_eq!(
        ep.interval_at(TimeDelta::minutes(30)),
        TimeDelta::minutes(1)
    );
    assert_eq!(
        ep.interval_at(TimeDelta::minutes(61)),
        TimeDelta::seconds(5)
    );
    let t0 = chrono::DateTime::parse_from_rfc3339("2026-02-07T20:00:00Z")
        .unwrap()
        .to_utc();
    let mut s = State::new(Arc::new(rb), t0);
    let probe_at = |s: &mut State, t: TimeDelta| {
        update(s, Action::Tick(t0 + t));
        update(
            s,
            Action::Observed(Observation::EndpointProbe {
                endpoint: 0,
                probe: Probe {
                    health: Health::Up,
                    latency: Some(TimeDelta::milliseconds(3)),
                    reason: None,
                },
            }),
        );
    };
    // Two minutes after a probe at T+30m: fresh, by the minute's schedule.
    probe_at(&mut s, TimeDelta::minutes(30));
    update(&mut s, Action::Tick(t0 + TimeDelta::minutes(32)));
    assert_eq!(s.endpoint_health(0), Some(Health::Up));
    // Twenty seconds after a probe at T+1h10m: stale, by the 5 s interval.
    probe_at(&mut s, TimeDelta::minutes(70));
    update(
        &mut s,
        Action::Tick(t0 + TimeDelta::minutes(70) + TimeDelta::seconds(20)),
    );
    assert_eq!(s.endpoint_health(0), Some(Health::Stale));
}

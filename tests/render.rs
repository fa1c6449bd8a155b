//! The console as drawn: TestBackend snapshots at 80x24 and 160x48, and colours that matter.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use chrono::TimeDelta;
use common::*;
use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use warroom::app::{Action, Observation, Probe, State, Target, update};
use warroom::runbook::Health;
use warroom::ui;

fn draw(state: &State, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| ui::render(f, state)).unwrap();
    t
}

/// A console forty seconds in: KPIs flowing, the pre-flight step done, the gate half approved.
fn running_state() -> State {
    let mut s = demo_state();
    at(&mut s, 15);
    let t = Target::Step(0);
    key(&mut s, KeyCode::Enter);
    update(
        &mut s,
        Action::RunSpawned {
            target: t,
            log: "/run/steps/verify-health.1/output.log".into(),
        },
    );
    update(
        &mut s,
        Action::Observed(Observation::RunOutput {
            target: t,
            bytes: b"blue: healthy\ngreen: healthy\nAll green: ready to deploy.\n".to_vec(),
        }),
    );
    at(&mut s, 17);
    update(
        &mut s,
        Action::RunFinished {
            target: t,
            exit: warroom::app::Exit::with_code(0),
        },
    );
    key(&mut s, KeyCode::Char('j'));
    key(&mut s, KeyCode::Char('g'));
    key(&mut s, KeyCode::Char('G'));
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Esc);
    let series = [
        ("error_rate", [0.2, 0.25, 0.18, 0.22, 0.19]),
        ("green_p95_ms", [104.0, 110.0, 98.0, 121.0, 107.0]),
        ("request_rate", [250.0, 241.0, 262.0, 255.0, 248.0]),
        ("green_traffic", [0.0, 0.0, 0.0, 0.0, 0.0]),
        ("db_connections", [38.0, 41.0, 40.0, 44.0, 39.0]),
        ("cpu", [33.0, 35.5, 34.0, 38.2, 36.1]),
        ("blue_p95_ms", [108.0, 101.0, 112.0, 104.0, 109.0]),
    ];
    for n in 0..5 {
        at(&mut s, 32 + 2 * n as i64);
        for (id, values) in &series {
            kpi(&mut s, id, values[n]);
        }
        for ep in 0..2 {
            let probe = Probe {
                health: Health::Up,
                latency: Some(TimeDelta::milliseconds(3)),
                reason: None,
            };
            update(
                &mut s,
                Action::Observed(Observation::EndpointProbe {
                    endpoint: ep,
                    probe,
                }),
            );
        }
    }
    at(&mut s, 40);
    s
}

#[test]
fn console_80x24() {
    insta::assert_snapshot!(draw(&running_state(), 80, 24).backend());
}

#[test]
fn console_160x48() {
    insta::assert_snapshot!(draw(&running_state(), 160, 48).backend());
}

#[test]
fn help_overlay_80x24() {
    let mut s = running_state();
    key(&mut s, KeyCode::Char('?'));
    insta::assert_snapshot!(draw(&s, 80, 24).backend());
}

/// The incident: error rate critical and sustained, the rule fires, the banner proposes the rollback.
fn incident_state() -> State {
    let mut s = running_state();
    for (n, v) in [3.1, 4.7, 6.2, 7.4, 7.9, 8.3, 8.1].iter().enumerate() {
        at(&mut s, 60 + 2 * n as i64);
        kpi(&mut s, "error_rate", *v);
        kpi(&mut s, "green_traffic", 10.0);
        for id in ["green_p95_ms", "request_rate", "db_connections", "cpu"] {
            let last = s.kpis[s.runbook.kpi_index(id).unwrap()].last.unwrap().value;
            kpi(&mut s, id, last);
        }
    }
    s
}

#[test]
fn incident_80x24() {
    let s = incident_state();
    insta::assert_snapshot!(draw(&s, 80, 24).backend());
}

/// The rollback modal once its preview (a dry run) has finished: what it would do, then
/// the phrase field.
#[test]
fn rollback_modal_160x48() {
    let mut s = incident_state();
    key(&mut s, KeyCode::Char('R'));
    preview_done(&mut s);
    insta::assert_snapshot!(draw(&s, 160, 48).backend());
}

fn preview_done(s: &mut State) {
    update(
        s,
        Action::Observed(Observation::RunOutput {
            target: Target::RollbackPreview,
            bytes: b"blue now: {\"status\":\"healthy\"}\nDRY RUN, nothing changed. The rollback would:\n  POST /control/traffic?green=0   (green 10% -> 0%, blue -> 100%)\n  then check blue's health\n".to_vec(),
        }),
    );
    update(
        s,
        Action::RunFinished {
            target: Target::RollbackPreview,
            exit: warroom::app::Exit::with_code(0),
        },
    );
}

/// At 80 columns, while the preview runs: no phrase field yet, and it says why.
#[test]
fn rollback_modal_previewing_80x24() {
    let mut s = incident_state();
    key(&mut s, KeyCode::Char('R'));
    insta::assert_snapshot!(draw(&s, 80, 24).backend());
}

/// At 80 columns, the preview done: its lines, then the phrase.
#[test]
fn rollback_modal_previewed_80x24() {
    let mut s = incident_state();
    key(&mut s, KeyCode::Char('R'));
    preview_done(&mut s);
    insta::assert_snapshot!(draw(&s, 80, 24).backend());
}

/// A step behind a gate that is not GO: the override modal names the guard in words.
#[test]
fn override_modal_80x24() {
    let mut s = running_state();
    s.selected = s.runbook.step_index("canary-25").unwrap();
    key(&mut s, KeyCode::Enter);
    insta::assert_snapshot!(draw(&s, 80, 24).backend());
}

/// A soft guard (the previous step's hold) in the y/N confirmation, with what will run.
#[test]
fn hold_in_the_confirmation_120x32() {
    let mut s = running_state();
    let i = s.runbook.step_index("canary-10").unwrap();
    s.selected = i;
    key(&mut s, KeyCode::Char('g'));
    key(&mut s, KeyCode::Char('G'));
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Char('y'));
    update(
        &mut s,
        Action::RunFinished {
            target: Target::Step(i),
            exit: warroom::app::Exit::with_code(0),
        },
    );
    at(&mut s, 47);
    s.selected = i + 1;
    key(&mut s, KeyCode::Enter);
    insta::assert_snapshot!(draw(&s, 120, 32).backend());
}

#[test]
fn critical_value_is_red_and_good_value_green() {
    let s = incident_state();
    let t = draw(&s, 80, 24);
    let buf = t.backend().buffer();
    let row_of = |needle: &str| {
        (0..24)
            .find(|y| {
                (0..80)
                    .map(|x| buf[(x, *y)].symbol())
                    .collect::<String>()
                    .contains(needle)
            })
            .unwrap()
    };
    let cell_fg = |y: u16, needle: &str| {
        let line: String = (0..80).map(|x| buf[(x, y)].symbol()).collect();
        let x = line.find(needle).unwrap();
        let col = line[..x].chars().count() as u16;
        buf[(col, y)].fg
    };
    assert_eq!(cell_fg(row_of("Error rate"), "8.10"), Color::Red);
    assert_eq!(cell_fg(row_of("Requests"), "248"), Color::Green);
    // The banner is white on red.
    let banner = row_of("ROLLBACK CRITERIA MET");
    assert_eq!(buf[(1, banner)].bg, Color::Red);
}

#[test]
fn a_dead_poller_never_reads_green() {
    let mut s = running_state();
    // No sample for over three intervals: the value is stale, shown with a badge, not green.
    at(&mut s, 300);
    let t = draw(&s, 80, 24);
    let text = format!("{}", t.backend());
    assert!(text.contains("STALE"), "{text}");
    let i = s.runbook.kpi_index("error_rate").unwrap();
    assert_eq!(s.kpi_standing(i), None);
    update(
        &mut s,
        Action::Observed(Observation::KpiSample {
            kpi: i,
            result: Err("connection refused".into()),
        }),
    );
    let text = format!("{}", draw(&s, 80, 24).backend());
    assert!(text.contains("ERR"), "{text}");
    // Each kind of failure has its own badge, and the selected KPI says why in full.
    use warroom::app::{Fault, FaultKind};
    for (kind, badge) in [
        (FaultKind::Timeout, "TIMEOUT"),
        (FaultKind::NotANumber, "NaN"),
        (FaultKind::Series, "SERIES"),
    ] {
        update(
            &mut s,
            Action::Observed(Observation::KpiSample {
                kpi: i,
                result: Err(Fault::new(kind, format!("why it is {badge}"))),
            }),
        );
        s.focus = warroom::app::Pane::Kpis;
        s.selected_kpi = i;
        let text = format!("{}", draw(&s, 160, 48).backend());
        assert!(text.contains(badge), "{badge}: {text}");
        assert!(text.contains(&format!("why it is {badge}")), "{text}");
    }
}

#[test]
fn refused_credentials_read_in_words_at_80_columns_and_history_is_drawn_dim() {
    use warroom::app::{Fault, FaultKind};
    let mut s = running_state();
    let i = s.runbook.kpi_index("error_rate").unwrap();
    for (kind, words) in [
        (FaultKind::Unauthorized, "unauthorized (401)"),
        (FaultKind::Forbidden, "forbidden (403)"),
    ] {
        update(
            &mut s,
            Action::Observed(Observation::KpiSample {
                kpi: i,
                result: Err(Fault::new(kind, words)),
            }),
        );
        for (w, h) in [(80, 24), (160, 48)] {
            let text = format!("{}", draw(&s, w, h).backend());
            let row = text.lines().find(|l| l.contains("Error rate")).unwrap();
            assert!(row.contains(words), "{w}x{h}: {row}");
        }
    }
    // History from the source (dim) before this console's own samples (its colour).
    let j = s.runbook.kpi_index("request_rate").unwrap();
    let live = s.kpis[j].history.len();
    update(
        &mut s,
        Action::Observed(Observation::KpiHistory {
            kpi: j,
            result: Ok((0..30).map(f64::from).collect()),
        }),
    );
    assert_eq!(s.kpis[j].backfilled, 30);
    assert_eq!(s.kpis[j].history.len(), 30 + live);
    let t = draw(&s, 160, 48);
    let buf = t.backend().buffer();
    let row = (0..buf.area.height)
        .find(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, *y)].symbol())
                .collect::<String>()
                .contains("Requests")
        })
        .unwrap();
    // The tall gauge's sparkline: the row under the label (seven KPIs leave room for one
    // row each; its last row when there are two).
    let spark: Vec<(String, Color)> = (0..buf.area.width)
        .map(|x| &buf[(x, row + 1)])
        .filter(|c| ('▁'..='█').contains(&c.symbol().chars().next().unwrap_or(' ')))
        .map(|c| (c.symbol().to_owned(), c.fg))
        .collect();
    assert!(spark.len() >= 30 + live, "{spark:?}");
    let dim = spark
        .iter()
        .take_while(|(_, fg)| *fg == Color::DarkGray)
        .count();
    assert_eq!(dim, 30, "{spark:?}");
    // A source with no range API: a note under the selected KPI, live samples only; a KPI
    // whose live samples fail too says that, once.
    let p95 = s.runbook.kpi_index("green_p95_ms").unwrap();
    for k in [i, p95] {
        update(
            &mut s,
            Action::Observed(Observation::KpiHistory {
                kpi: k,
                result: Err("HTTP 404".into()),
            }),
        );
    }
    s.focus = warroom::app::Pane::Kpis;
    s.selected_kpi = p95;
    let text = format!("{}", draw(&s, 160, 48).backend());
    assert!(
        text.contains("no history (HTTP 404): live samples only"),
        "{text}"
    );
    s.selected_kpi = i;
    let text = format!("{}", draw(&s, 160, 48).backend());
    assert!(text.contains("! error_rate: forbidden (403)"), "{text}");
    assert!(!text.contains("no history"), "{text}");
}

#[test]
fn a_firing_rule_that_lost_its_data_says_so_and_for_how_long() {
    // The incident fires the error-rate rule; then every source goes quiet.
    let mut s = incident_state();
    at(&mut s, 90);
    assert!(s.rules[0].is_firing());
    at(&mut s, 100);
    at(&mut s, 280);
    assert!(s.rules[0].is_firing(), "no-data = keep: still firing");
    let text = format!("{}", draw(&s, 160, 48).backend());
    assert!(
        text.contains("FIRING error-rate-critical · no data 3m"),
        "{text}"
    );
}

/// Steps without a planned time are still next, in order; only when none waits is the
/// run's list done.
#[test]
fn the_next_line_names_a_step_without_a_planned_time() {
    let text = "[runbook]\nname = \"t\"\n\n[[phase]]\nid = \"p\"\ntitle = \"P\"\n\n[[phase.step]]\nid = \"hello\"\ntitle = \"Say hello\"\nrun = [\"echo\", \"hi\"]\n";
    let (rb, _) = warroom::runbook::load_str(std::path::Path::new("rb.toml"), text).unwrap();
    let mut s = State::new(std::sync::Arc::new(rb), start());
    let screen = format!("{}", draw(&s, 80, 24).backend());
    assert!(
        screen.contains("Next: hello Say hello · no planned time"),
        "{screen}"
    );
    begin_run(&mut s, Target::Step(0));
    update(
        &mut s,
        Action::RunFinished {
            target: Target::Step(0),
            exit: warroom::app::Exit::with_code(0),
        },
    );
    at(&mut s, 60); // the notice that it finished has gone
    let screen = format!("{}", draw(&s, 80, 24).backend());
    assert!(screen.contains("All steps are done."), "{screen}");
}

/// The incident's level and age are in the header from the moment it opens; `C` marks the
/// contacts of the level to call now.
#[test]
fn the_header_shows_the_incidents_level_and_contacts_mark_who_to_call() {
    let mut s = incident_state();
    at(&mut s, 90);
    assert!(s.incident.is_some());
    let since = s.incident.as_ref().unwrap().since;
    let secs = (since - start()).num_seconds();
    at(&mut s, secs + 5 * 60 + 1);
    let text = format!("{}", draw(&s, 160, 48).backend());
    assert!(text.contains("INCIDENT L2 5m01s"), "{text}");
    let narrow = format!("{}", draw(&s, 80, 24).backend());
    assert!(narrow.contains("INCIDENT L2"), "{narrow}");
    key(&mut s, KeyCode::Char('C'));
    let text = format!("{}", draw(&s, 160, 48).backend());
    assert!(text.contains("▶ L2 SRE on call"), "{text}");
    assert!(text.contains("INCIDENT at level 2 for 5m01s"), "{text}");
}

/// A plan over two days: a line where each day begins (today marked), and a continuous
/// watch row that counts down while it watches and is done when it is over.
#[test]
fn a_multi_day_plan_shows_its_days_and_a_continuous_watch() {
    let text = r#"
[runbook]
name = "launch"
t0 = "2026-03-07T22:00:00Z"

[[phase]]
id = "before"
title = "Day before"

[[phase.step]]
id = "freeze"
at = "T-24h"
title = "Code freeze"

[[phase]]
id = "launch"
title = "Launch"

[[phase.step]]
id = "switch"
at = "T+0"
title = "Switch traffic"
run = ["true"]

[[phase.step]]
id = "watch"
at = "T+0"
duration = "24h"
continuous = true
title = "Watch the dashboards"

[[phase.step]]
id = "review"
at = "T+24h"
title = "Review"
"#;
    let (rb, _) = warroom::runbook::load_str(std::path::Path::new("l.toml"), text).unwrap();
    let t0 = rb.t0.fixed().unwrap();
    let mut s = State::new(std::sync::Arc::new(rb), t0 + TimeDelta::hours(2));
    let screen = format!("{}", draw(&s, 120, 30).backend());
    assert!(screen.contains("── Fri 6 Mar"), "{screen}");
    assert!(screen.contains("── Sat 7 Mar "), "{screen}");
    assert!(screen.contains("── Sun 8 Mar (today)"), "{screen}");
    assert!(screen.contains("⟳"), "{screen}");
    assert!(screen.contains("22h left"), "{screen}");
    assert!(!s.step_done(2), "watching");
    s.selected = 2;
    key(&mut s, KeyCode::Enter);
    assert!(s.notice.as_ref().unwrap().0.contains("continuous watch"));
    update(&mut s, Action::Tick(t0 + TimeDelta::hours(25)));
    assert!(s.step_done(2), "the watch is over");
    let screen = format!("{}", draw(&s, 120, 30).backend());
    assert!(screen.contains("watched"), "{screen}");
}

/// The rollback against its target (the header counts) and its success criteria once
/// done: they must hold 10 s within 5 minutes, or the record says they did not.
#[test]
fn a_rollback_is_timed_against_its_target_and_checked_against_its_criteria() {
    use warroom::app::RollbackCheck;
    let run_rollback = |s: &mut warroom::app::State| {
        key(s, KeyCode::Char('R'));
        update(
            s,
            Action::RunFinished {
                target: Target::RollbackPreview,
                exit: warroom::app::Exit::with_code(0),
            },
        );
        typed(s, "ROLLBACK");
        key(s, KeyCode::Enter);
        update(
            s,
            Action::RunSpawned {
                target: Target::Rollback,
                log: "x".into(),
            },
        );
    };
    let healthy = |s: &mut warroom::app::State| {
        for e in 0..s.runbook.endpoints.len() {
            let probe = Probe {
                health: warroom::runbook::Health::Up,
                latency: None,
                reason: None,
            };
            update(
                s,
                Action::Observed(Observation::EndpointProbe { endpoint: e, probe }),
            );
        }
    };
    // Criteria met: blue up, errors low, for 10 s after the end.
    let mut s = demo_state();
    run_rollback(&mut s);
    at(&mut s, 12);
    assert!(format!("{}", draw(&s, 160, 48).backend()).contains("ROLLING BACK 12s of 30s"));
    update(
        &mut s,
        Action::RunFinished {
            target: Target::Rollback,
            exit: warroom::app::Exit::with_code(0),
        },
    );
    assert!(matches!(
        s.rollback_check,
        Some(RollbackCheck::Checking { .. })
    ));
    for t in (14..=26).step_by(2) {
        at(&mut s, t);
        kpi(&mut s, "error_rate", 0.3);
        healthy(&mut s);
    }
    assert!(
        matches!(s.rollback_check, Some(RollbackCheck::Met(_))),
        "{:?}",
        s.rollback_check
    );
    // Not met: the error rate stays high for five minutes after the end.
    let mut s = demo_state();
    run_rollback(&mut s);
    update(
        &mut s,
        Action::RunFinished {
            target: Target::Rollback,
            exit: warroom::app::Exit::with_code(0),
        },
    );
    for t in (2..=302).step_by(2) {
        at(&mut s, t);
        kpi(&mut s, "error_rate", 4.0);
        healthy(&mut s);
    }
    let Some(RollbackCheck::NotMet(_, why)) = &s.rollback_check else {
        panic!("{:?}", s.rollback_check);
    };
    assert!(why.contains("did not hold for 10s within 5m"), "{why}");
    assert!(format!("{}", draw(&s, 160, 48).backend()).contains("CRITERIA NOT MET"));
}

/// At 80 columns a rehearsal's rollback procedure crowds the header: the step running is
/// named, the clock and then the T-offset give way whole, and the status light stays.
#[test]
fn a_crowded_header_drops_the_clock_before_the_light() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rehearse/procedure.toml");
    let (rb, _) = warroom::runbook::load(&path).unwrap();
    let mut s = warroom::app::State::new(std::sync::Arc::new(rb), common::start());
    s.rehearsal = Some(60.0);
    key(&mut s, KeyCode::Char('R'));
    typed(&mut s, "BACK");
    key(&mut s, KeyCode::Enter);
    update(
        &mut s,
        Action::RunFinished {
            target: Target::Rollback,
            exit: warroom::app::Exit::with_code(0),
        },
    );
    let wide = format!("{}", draw(&s, 160, 48).backend());
    let header = wide.lines().next().unwrap().to_owned();
    assert!(header.contains("ROLLING BACK 2/3 wait"), "{header}");
    assert!(header.contains("UTC") && header.contains("● "), "{header}");
    let narrow = format!("{}", draw(&s, 80, 24).backend());
    let header = narrow.lines().next().unwrap().to_owned();
    assert!(header.contains("ROLLING BACK 2/3 wait"), "{header}");
    assert!(header.contains("● "), "the light must stay: {header}");
    assert!(
        !header.contains("UTC"),
        "the clock gives way first: {header}"
    );
    let t = header
        .split_whitespace()
        .find(|w| w.starts_with("T-") || w.starts_with("T+"));
    assert!(t.is_none_or(|t| t.len() >= 9), "a cut T-offset: {header}");
}

/// At 80 columns the banner keeps its action and its time (the cause gives way), and a
/// pending rule's row keeps how far in it is.
#[test]
fn at_80_columns_the_banner_and_a_pending_rule_keep_their_action_and_time() {
    let s = incident_state();
    let screen = format!("{}", draw(&s, 80, 24).backend());
    let banner = screen.lines().nth(1).unwrap();
    assert!(banner.contains("decide within 4m58s"), "{banner}");
    assert!(banner.contains("R: roll back"), "{banner}");
    assert!(banner.contains("error_rate=8.10%"), "{banner}");
    let mut s = running_state();
    at(&mut s, 60);
    kpi(&mut s, "error_rate", 3.0);
    at(&mut s, 64);
    kpi(&mut s, "error_rate", 3.2);
    let screen = format!("{}", draw(&s, 80, 24).backend());
    assert!(
        screen
            .lines()
            .any(|l| l.contains("PEND") && l.contains("4s of 10s")),
        "{screen}"
    );
}

/// Below the smallest size the layout serves, the console says so instead of a cut screen,
/// and still shows the header and the banner.
#[test]
fn a_terminal_too_small_says_so() {
    let s = incident_state();
    let screen = format!("{}", draw(&s, 50, 12).backend());
    assert!(
        screen.contains("terminal too small: 50x12, needs 60x16"),
        "{screen}"
    );
    assert!(screen.contains("ROLLBACK CRITERIA MET"), "{screen}");
    let screen = format!("{}", draw(&s, 60, 16).backend());
    assert!(!screen.contains("terminal too small"), "{screen}");
}

/// A long status in a pane's title is cut where the border ends, never over the pane's
/// name; a late plan says when it will finish and how late.
#[test]
fn a_pane_title_never_runs_over_its_name_and_lateness_is_said_in_words() {
    let mut s = running_state();
    let i = s.runbook.step_index("verify-health").unwrap();
    update(
        &mut s,
        Action::RunFinished {
            target: Target::Step(i),
            exit: warroom::app::Exit::not_started(
                "cannot start ./scripts/a-very-long-script-name-that-is-not-there.sh: no such file"
                    .into(),
            ),
        },
    );
    at(&mut s, 60 * 75);
    let screen = format!("{}", draw(&s, 80, 24).backend());
    assert!(screen.contains("Output"), "{screen}");
    assert!(screen.contains("Timeline"), "{screen}");
    assert!(screen.contains("late"), "{screen}");
    assert!(!screen.contains("ETA"), "{screen}");
    let wide = format!("{}", draw(&s, 160, 48).backend());
    assert!(wide.contains("1h1"), "{wide}");
}

/// A KPI whose source fails says why on its own row, at 80 and at 160 columns, without
/// being selected.
#[test]
fn a_failing_kpi_says_why_on_its_row() {
    let mut s = running_state();
    let i = s.runbook.kpi_index("cpu").unwrap();
    update(
        &mut s,
        Action::Observed(Observation::KpiSample {
            kpi: i,
            result: Err("command exited with 2: psql: connection refused".into()),
        }),
    );
    for (w, h) in [(80, 24), (160, 48)] {
        let screen = format!("{}", draw(&s, w, h).backend());
        let row = screen
            .lines()
            .find(|l| l.contains("CPU"))
            .unwrap_or_else(|| panic!("{screen}"));
        assert!(row.contains("ERR"), "{row}");
        assert!(row.contains("command exit"), "{w}x{h}: {row}");
    }
}

/// With room, the help says every key's words whole, and a KPI's long label is not cut
/// to 22 characters.
#[test]
fn wide_screens_say_labels_and_keys_whole() {
    let mut s = running_state();
    key(&mut s, KeyCode::Char('?'));
    let screen = format!("{}", draw(&s, 200, 60).backend());
    // Inside the help's box (from its title's column to its right border) nothing is cut.
    let rows: Vec<Vec<char>> = screen.lines().map(|l| l.chars().collect()).collect();
    let top = rows
        .iter()
        .position(|r| {
            r.iter()
                .collect::<String>()
                .contains("Keys · any key closes")
        })
        .unwrap();
    let left = rows[top].iter().position(|c| *c == '┌').unwrap();
    let right = left + rows[top][left..].iter().position(|c| *c == '┐').unwrap();
    let inside: Vec<String> = rows[top + 1..]
        .iter()
        .take_while(|r| r[left] != '└')
        .map(|r| r[left + 1..right].iter().collect())
        .collect();
    assert!(inside.len() > 10, "{screen}");
    assert!(inside.iter().all(|l| !l.contains('…')), "{inside:#?}");
    let mut rb = (*s.runbook).clone();
    rb.kpis[0].label = "Checkout error rate, all regions".into();
    let s = warroom::app::State::new(std::sync::Arc::new(rb), common::start());
    let screen = format!("{}", draw(&s, 200, 60).backend());
    assert!(
        screen.contains("Checkout error rate, all regions"),
        "{screen}"
    );
}

/// A message that falls due keeps its key in view at 80 columns: the audience gives way.
#[test]
fn at_80_columns_a_due_message_keeps_its_key() {
    let text = r##"
[runbook]
name = "comms"
t0 = "2026-03-07T22:00:00Z"

[[phase]]
id = "p"
title = "P"

[[phase.step]]
id = "s"
at = "T+0"
title = "Switch"
run = ["true"]

[[communication]]
at = "T-7d"
audience = "Team (email, the day before Phase 2, with the Zoom link and the rota)"
text = "Tomorrow: phase 2"
"##;
    let (rb, _) = warroom::runbook::load_str(std::path::Path::new("c.toml"), text).unwrap();
    let t0 = rb.t0.fixed().unwrap();
    let mut s = State::new(std::sync::Arc::new(rb), t0 - TimeDelta::days(8));
    update(&mut s, Action::Tick(t0 - TimeDelta::days(7)));
    // The notice that it fell due goes first; once it is read, the line waits for the key.
    s.notice = None;
    let screen = format!("{}", draw(&s, 80, 24).backend());
    let line = screen.lines().nth(1).unwrap();
    assert!(line.contains("Due: the message to Team"), "{line}");
    assert!(line.contains("U: write and send it"), "{line}");
}

/// On a screen too short for every key, `?` scrolls: the title says so, the last key comes
/// into view further down, and the footer says how.
#[test]
fn help_scrolls_when_the_keys_do_not_fit() {
    let mut s = running_state();
    key(&mut s, KeyCode::Char('?'));
    let screen = format!("{}", draw(&s, 60, 16).backend());
    assert!(screen.contains("Keys ↓ scroll"), "{screen}");
    assert!(
        screen.contains("↑↓ scroll"),
        "the footer says how: {screen}"
    );
    assert!(!screen.contains("Phrases: type exactly"), "{screen}");
    assert!(
        screen.contains("retry failed step (Timeline)"),
        "whole words at 60 columns: {screen}"
    );
    for _ in 0..30 {
        key(&mut s, KeyCode::Down);
    }
    let screen = format!("{}", draw(&s, 60, 16).backend());
    assert!(screen.contains("Keys ↑ scroll"), "{screen}");
    assert!(screen.contains("Phrases: type exactly"), "{screen}");
    // Where every key fits, nothing scrolls and any key closes.
    let screen = format!("{}", draw(&s, 80, 24).backend());
    assert!(screen.contains("Keys · any key closes"), "{screen}");
    assert!(screen.contains("Phrases: type exactly"), "{screen}");
}

/// When nothing waits but a step still runs, the line under the header says so, not that
/// every step is done.
#[test]
fn the_next_line_says_what_still_runs_when_nothing_waits() {
    let text = r#"
[runbook]
name = "one"
t0 = "2026-02-08T02:00:00Z"

[[phase]]
id = "p"
title = "P"

[[phase.step]]
id = "ship"
title = "Ship it"
run = ["true"]
"#;
    let (rb, _) = warroom::runbook::load_str(std::path::Path::new("o.toml"), text).unwrap();
    let mut s = State::new(std::sync::Arc::new(rb), start());
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Char('y'));
    let screen = format!("{}", draw(&s, 80, 24).backend());
    assert!(
        screen.contains("Nothing more waits; ship is still running."),
        "{screen}"
    );
}

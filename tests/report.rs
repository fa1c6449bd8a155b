//! `warroom report`: a recorded demo run with an incident and a rollback, scripted through
//! the real `update` on a fixed clock and written through the real journal, reported as
//! Markdown and JSON (snapshots) and as HTML (rendered by headless Chromium when present).

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::TimeDelta;
use common::{key, start, step, typed};
use crossterm::event::KeyCode;
use warroom::app::{Action, Exit, Observation, Operator, State, Target, update};
use warroom::journal::Journal;
use warroom::report::{self, kpi_log};

fn demo_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo.toml")
}

/// The demo run: pre-flight, the gate, the 10 % canary, a rehearsed incident that fires the
/// error-rate rule, an acknowledgement, the rollback, and the rule resolving after it.
fn recorded_run(dir: &Path) {
    let (rb, _) = warroom::runbook::load(&demo_path()).unwrap();
    let rb = Arc::new(rb);
    let mut s = State::new(rb.clone(), start());
    s.operator = Operator {
        user: "ana".into(),
        host: "bastion".into(),
        ssh: Some("192.0.2.7".into()),
    };
    let mut journal = Journal::open(dir).unwrap().journal;
    let mut minutes = kpi_log::MinuteLog::default();
    let mut lines = Vec::new();
    let mut clock = 0i64;
    let mut commit = |s: &mut State| journal.append(&s.take_records()).unwrap();
    warroom::app::begin(
        &mut s,
        warroom::app::Begin {
            runbook_sha256: "0".repeat(64),
            pid: 4242,
            changed_from: None,
            took_over_from: None,
        },
    );
    commit(&mut s);
    // Each second: time moves, every KPI reports, the console decides.
    let mut tick = |s: &mut State, secs: i64, error_rate: f64, green: f64| {
        for _ in 0..secs {
            clock += 1;
            let now = start() + TimeDelta::seconds(clock);
            update(s, Action::Tick(now));
            for (i, k) in rb.kpis.iter().enumerate() {
                let v = match k.id.as_str() {
                    "error_rate" => error_rate,
                    "green_p95_ms" => 100.0 + error_rate * 40.0,
                    "request_rate" => 240.0,
                    "green_traffic" => green,
                    "db_connections" => 40.0,
                    _ => 35.0,
                };
                update(
                    s,
                    Action::Observed(Observation::KpiSample {
                        kpi: i,
                        result: Ok(v.into()),
                    }),
                );
                lines.extend(minutes.observe(&k.id, v, now));
            }
            for e in 0..rb.endpoints.len() {
                let probe = warroom::app::Probe {
                    health: warroom::runbook::Health::Up,
                    latency: None,
                    reason: None,
                };
                update(
                    s,
                    Action::Observed(Observation::EndpointProbe { endpoint: e, probe }),
                );
            }
        }
    };
    let run = |s: &mut State, t: Target, code: i32| {
        update(
            s,
            Action::RunSpawned {
                target: t,
                log: "x".into(),
            },
        );
        update(
            s,
            Action::RunFinished {
                target: t,
                exit: Exit::with_code(code),
            },
        );
    };
    tick(&mut s, 20, 0.2, 0.0);
    // Pre-flight, at T-40s.
    s.selected = step(&s, "verify-health");
    key(&mut s, KeyCode::Enter);
    commit(&mut s);
    tick(&mut s, 2, 0.2, 0.0);
    run(&mut s, Target::Step(0), 0);
    commit(&mut s);
    // The checklist, then the gate.
    s.focus = warroom::app::Pane::Checklist;
    key(&mut s, KeyCode::Char(' '));
    key(&mut s, KeyCode::Down);
    key(&mut s, KeyCode::Char(' '));
    s.focus = warroom::app::Pane::Timeline;
    commit(&mut s);
    tick(&mut s, 10, 0.2, 0.0);
    s.selected = step(&s, "canary-10");
    key(&mut s, KeyCode::Char('g'));
    key(&mut s, KeyCode::Char('G'));
    typed(&mut s, "dashboards clean");
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Char('G'));
    key(&mut s, KeyCode::Enter);
    commit(&mut s);
    tick(&mut s, 30, 0.2, 0.0);
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Char('y'));
    commit(&mut s);
    tick(&mut s, 4, 0.2, 10.0);
    let canary = Target::Step(step(&s, "canary-10"));
    run(&mut s, canary, 0);
    commit(&mut s);
    tick(&mut s, 40, 0.3, 10.0);
    // A status update goes out.
    key(&mut s, KeyCode::Char('U'));
    key(&mut s, KeyCode::Enter);
    update(
        &mut s,
        Action::Delivered {
            channel: "#deploy".into(),
            result: Ok(()),
        },
    );
    commit(&mut s);
    // The incident: the error rate climbs and stays; the rule fires after 10 s.
    tick(&mut s, 15, 4.8, 10.0);
    commit(&mut s);
    s.focus = warroom::app::Pane::Alerts;
    key(&mut s, KeyCode::Char('a'));
    typed(&mut s, "on it");
    key(&mut s, KeyCode::Enter);
    commit(&mut s);
    tick(&mut s, 5, 5.1, 10.0);
    key(&mut s, KeyCode::Char('R'));
    // The preview (a dry run) is read before the phrase can be typed.
    run(&mut s, Target::RollbackPreview, 0);
    typed(&mut s, "ROLLBACK");
    key(&mut s, KeyCode::Enter);
    commit(&mut s);
    tick(&mut s, 6, 5.0, 10.0);
    run(&mut s, Target::Rollback, 0);
    commit(&mut s);
    // Green is out of traffic: the error rate falls below the resolve threshold.
    tick(&mut s, 20, 0.4, 0.0);
    commit(&mut s);
    // The close: the lead signs off with a note, and the run is closed as rolled back.
    key(&mut s, KeyCode::Char('F'));
    key(&mut s, KeyCode::Enter);
    typed(&mut s, "green out of traffic, blue healthy");
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Char('R'));
    key(&mut s, KeyCode::Char('y'));
    commit(&mut s);
    tick(&mut s, 2, 0.4, 0.0);
    lines.extend(minutes.drain());
    kpi_log::append(&dir.join(kpi_log::FILE), &lines);
}

/// The report with this machine's paths replaced, so snapshots hold anywhere.
fn report_of(dir: &Path) -> report::Report {
    let mut r = report::build(dir, Some(&demo_path())).unwrap();
    r.run_dir = "runs/demo".into();
    r.runbook.path = "config/demo.toml".into();
    r
}

#[test]
fn markdown_and_json_of_a_run_with_a_rollback() {
    let dir = tempfile::tempdir().unwrap();
    recorded_run(dir.path());
    let r = report_of(dir.path());
    assert_eq!(r.outcome, "rolled back");
    assert_eq!(r.closed.as_ref().unwrap().by, "ana@bastion");
    assert_eq!(r.sign_offs.len(), 2);
    assert_eq!(r.sign_offs[0].by.as_deref(), Some("ana@bastion"));
    assert_eq!(
        r.sign_offs[0].note.as_deref(),
        Some("green out of traffic, blue healthy")
    );
    assert!(r.sign_offs[1].signed.is_none());
    assert_eq!(r.updates.len(), 1);
    assert_eq!(r.updates[0].result, "sent");
    assert_eq!(r.updates[0].to, "#deploy");
    assert!(
        r.updates[0].text.contains("Checkout v1.5.0 · Canary"),
        "{}",
        r.updates[0].text
    );
    assert_eq!(r.alerts.len(), 1);
    assert!(
        r.alerts[0]
            .acked
            .as_ref()
            .is_some_and(|a| a.by == "ana@bastion")
    );
    assert!(
        r.rollback
            .as_ref()
            .unwrap()
            .reason
            .as_deref()
            .unwrap()
            .contains("error-rate-critical")
    );
    // The journal's head hashes record 1, which holds the runbook's absolute path: it is
    // this checkout's, so the snapshot holds a stand-in (the head is tested in tests/cli.rs).
    let head = r.chain.head.clone();
    let md = report::markdown(&r).replace(&head[..12], "[head]");
    let json = report::json(&r).replace(&head, "[head]");
    assert_eq!(head.len(), 64);
    insta::assert_snapshot!("demo_rollback_md", md);
    insta::assert_snapshot!("demo_rollback_json", json);
}

#[test]
fn a_report_of_a_damaged_journal_stops_at_the_damage_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    recorded_run(dir.path());
    let path = dir.path().join(warroom::journal::FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    // Damage the record in the middle (flip a byte in its middle).
    let starts: Vec<usize> = std::iter::once(0)
        .chain(
            bytes
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .collect();
    let n = starts.len() / 2;
    let mid = (starts[n - 1] + starts[n]) / 2;
    bytes[mid] ^= 0x20;
    std::fs::write(&path, &bytes).unwrap();
    let r = report_of(dir.path());
    let md = report::markdown(&r);
    assert!(md.contains(&format!("corrupt at record {n}")), "{md}");
    assert!(md.contains("Incomplete"), "{md}");
    assert_ne!(
        r.outcome, "rolled back",
        "what came after the damage is not reported"
    );
}

#[test]
fn the_html_report_is_one_file_that_asks_nothing_of_the_network() {
    let dir = tempfile::tempdir().unwrap();
    recorded_run(dir.path());
    let html = report::html::html(&report_of(dir.path()));
    for banned in ["<script", "http://", "https://", "<link", "@import", "url("] {
        // The SVG namespace is a name, not a request.
        let hits = html.matches(banned).count()
            - if banned == "http://" {
                html.matches("http://www.w3.org/2000/svg").count()
            } else {
                0
            };
        assert_eq!(hits, 0, "`{banned}` in the report");
    }
    assert!(html.contains("<svg") && html.contains("ROLLBACK"));
    assert!(
        html.matches("<svg").count() > 6,
        "a Gantt and one chart per KPI"
    );
    // What the Markdown has, the HTML has: the alerts, the checklist, drift and duration.
    for section in [
        "<h2>Alerts</h2>",
        "<h2>Checklist (3 of 4)</h2>",
        "<th>Drift</th>",
        "<th>Duration</th>",
    ] {
        assert!(html.contains(section), "{section} missing");
    }
    assert!(html.contains("Error rate above 2%"), "the alert that fired");
    let Some(chromium) = ["chromium", "chromium-browser"].into_iter().find(|c| {
        std::process::Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    }) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is needed under CI"
        );
        eprintln!("\n*** headless Chromium not found: the HTML was checked as text only ***\n");
        return;
    };
    let page = dir.path().join("report.html");
    std::fs::write(&page, &html).unwrap();
    let png = dir.path().join("report.png");
    let log = dir.path().join("net.log");
    // In a network namespace of its own: whatever Chromium itself might try (it has
    // background requests of its own), nothing leaves this machine.
    let ns = if nix::unistd::geteuid().is_root() {
        "-n"
    } else {
        "-rn"
    };
    let out = std::process::Command::new("unshare")
        .args([
            ns,
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
            "--no-pings",
            "--window-size=1000,1400",
            &format!("--screenshot={}", png.display()),
            &format!("--log-net-log={}", log.display()),
            &format!("file://{}", page.display()),
        ])
        .output()
        .unwrap();
    assert!(
        png.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let img = std::fs::read(&png).unwrap();
    // A PNG of the asked size (IHDR width and height), not blank: a blank page
    // compresses to almost nothing.
    assert_eq!(&img[1..4], b"PNG");
    let w = u32::from_be_bytes(img[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(img[20..24].try_into().unwrap());
    assert_eq!((w, h), (1000, 1400));
    assert!(img.len() > 20_000, "a blank page? {} bytes", img.len());
    // The page asked for nothing but itself: every request it initiated (an origin other
    // than the browser's own, "not an origin") is for a file: or data: URL.
    // No log, or one without the page's own load in it, would check nothing: a failure.
    let net = std::fs::read_to_string(&log).unwrap_or_else(|e| {
        panic!(
            "Chromium wrote no network log ({e}): the no-request check could not be made; {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let requests = net.lines().filter(|l| l.contains("\"url\"")).count();
    assert!(
        net.contains("report.html") && requests > 0,
        "the network log does not show even the page's own load ({requests} requests): nothing was checked"
    );
    let mut from_page = 0;
    for line in net.lines().filter(|l| l.contains("\"url\"")) {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line.trim_end_matches(',')) else {
            continue;
        };
        let (Some(url), Some(initiator)) = (
            v["params"]["url"].as_str(),
            v["params"]["initiator"].as_str(),
        ) else {
            continue;
        };
        if initiator == "not an origin" {
            continue;
        }
        from_page += 1;
        assert!(
            url.starts_with("file:") || url.starts_with("data:"),
            "the report asked the network for {url}"
        );
    }
    eprintln!("requests the page initiated: {from_page}, all file: or data:");
}

/// Every console's life is in the report: a start, a kill (no word left), the resume, a
/// handover, a quit.
#[test]
fn the_report_lists_each_start_resume_handover_and_exit() {
    use warroom::app::Operator;
    use warroom::app::event::{Event, Record};
    let rb = common::demo_runbook();
    let ana = Operator {
        user: "ana".into(),
        host: "bastion".into(),
        ssh: None,
    };
    let sam = Operator {
        user: "sam".into(),
        host: "bastion".into(),
        ssh: None,
    };
    let t = |s: i64| common::start() + chrono::TimeDelta::seconds(s);
    let events = [
        (
            0,
            &ana,
            Event::DriverAttached {
                pid: 1,
                resumed: false,
            },
        ),
        // Killed: no DriverDetached.
        (
            60,
            &ana,
            Event::DriverAttached {
                pid: 2,
                resumed: true,
            },
        ),
        (
            90,
            &ana,
            Event::Handover {
                from: ana.clone(),
                to: sam.clone(),
            },
        ),
        (
            91,
            &sam,
            Event::DriverAttached {
                pid: 3,
                resumed: true,
            },
        ),
        (120, &sam, Event::DriverDetached { why: "quit".into() }),
    ];
    let records: Vec<Record> = events
        .into_iter()
        .enumerate()
        .map(|(n, (s, by, e))| Record::new(n as u64 + 1, t(s), by.clone(), e))
        .collect();
    let r = report::fold(rb, &records, &[], None);
    let said: Vec<String> = r
        .sessions
        .iter()
        .map(|x| format!("{} {}", x.by, x.what))
        .collect();
    assert_eq!(said[0], "ana@bastion started");
    assert!(
        said[1].starts_with("ana@bastion resumed (the console before left no word"),
        "{said:?}"
    );
    assert_eq!(said[2], "ana@bastion handed over to sam@bastion");
    assert_eq!(said[3], "sam@bastion resumed");
    assert_eq!(said[4], "sam@bastion left: quit");
}

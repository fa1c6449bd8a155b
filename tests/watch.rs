//! `warroom watch`: the on-call's read-only console, end to end in pseudo-terminals beside
//! a real driver. It follows the driver live, says when the driver is gone, and no key in
//! the key table, pressed in every pane, starts a process or writes to the run directory.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use common::screen::Screen;
use crossterm::event::KeyCode;
use warroom::app::keys::{BINDINGS, Command};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/resume.toml")
}

fn watcher(run_dir: &Path) -> Screen {
    Screen::start(
        &["watch", run_dir.to_str().unwrap()],
        30,
        110,
        tempfile::tempdir().unwrap(),
    )
}

/// Every file under the run directory but the watchers' heartbeats, with its bytes.
fn snapshot(run_dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().to_path_buf();
            if rel.starts_with(warroom::heartbeat::WATCHERS) {
                continue;
            }
            if p.is_dir() {
                walk(&p, root, out);
            } else {
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(run_dir, run_dir, &mut out);
    out
}

fn key_bytes(code: &KeyCode) -> Option<String> {
    Some(match code {
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Enter => "\r".into(),
        KeyCode::Tab => "\t".into(),
        KeyCode::BackTab => "\x1b[Z".into(),
        KeyCode::Up => "\x1b[A".into(),
        KeyCode::Down => "\x1b[B".into(),
        KeyCode::PageUp => "\x1b[5~".into(),
        KeyCode::PageDown => "\x1b[6~".into(),
        _ => return None,
    })
}

#[test]
fn the_watcher_follows_the_driver_live_and_says_when_it_is_gone() {
    let fx = fixture();
    let mut driver = Screen::launch(&["run", fx.to_str().unwrap()], 30, 110);
    let run_dir = driver.run_dir();
    driver.wait_for("Count to six", 20);
    let mut w = watcher(&run_dir);
    w.wait_for("READ-ONLY", 20);
    assert!(w.text().contains("read-only: watching"), "{}", w.text());
    // The driver sees its watcher.
    driver.wait_for("1 watching", 10);
    // The driver votes and starts the step: the watcher sees both within a second or so.
    driver.keys("g");
    driver.keys("G");
    driver.keys("checked\r");
    driver.wait_for("GO 1/1", 5);
    // The watcher follows within a second or so; how fast is measured by the harness,
    // not asserted on a shared 2-core machine: here a generous deadline.
    let voted = Instant::now();
    w.wait_for("GO 1/1", 10);
    eprintln!("the watcher saw the vote after {:?}", voted.elapsed());
    driver.keys("\r");
    driver.wait_for("tick 1", 10);
    let started = Instant::now();
    w.wait_for("tick 1", 10);
    eprintln!(
        "the watcher saw the step's output after {:?}",
        started.elapsed()
    );
    w.wait_for("started step slow", 3);
    // The driver dies: the watcher says so, and what it showed stays.
    driver.kill9();
    let screen = w.wait_for("DRIVER GONE", 5);
    assert!(screen.contains("GO 1/1"), "{screen}");
    w.keys("q");
    assert!(w.wait_exit(10));
    // A watcher that leaves takes its heartbeat with it.
    let left: Vec<_> = std::fs::read_dir(run_dir.join(warroom::heartbeat::WATCHERS))
        .unwrap()
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// Every binding of the key table, in every pane, with the answers a modal would want:
/// nothing starts and not one byte of the run directory changes.
#[test]
fn no_key_in_the_table_acts_in_watch_mode() {
    let fx = fixture();
    let mut driver = Screen::launch(&["run", fx.to_str().unwrap()], 30, 110);
    let run_dir = driver.run_dir();
    driver.wait_for("Count to six", 20);
    driver.keys("q");
    assert!(driver.wait_exit(10));
    let before = snapshot(&run_dir);
    let mut w = watcher(&run_dir);
    // The driver has left: the header says so, the footer says read-only.
    w.wait_for("DRIVER GONE", 20);
    w.wait_for("read-only: watching", 5);
    let mut pressed = 0;
    for _pane in 0..5 {
        for b in BINDINGS {
            if b.command == Command::Quit {
                continue;
            }
            for code in b.keys {
                let Some(k) = key_bytes(code) else { continue };
                // The key, then what a confirmation or a phrase would take.
                w.keys_quickly(&format!("{k}yGROLLBACK\r\r"));
                // Esc alone, so it is not read as Alt with the next key.
                w.keys_quickly("\x1b");
                pressed += 1;
            }
        }
        w.keys("\t");
    }
    assert!(pressed > 20, "pressed {pressed} keys");
    let screen = w.text();
    assert!(screen.contains("read-only: watching"), "{screen}");
    w.keys("q");
    assert!(w.wait_exit(10));
    let after = snapshot(&run_dir);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "no file appeared or vanished"
    );
    assert!(before == after, "no byte of the run directory changed");
    assert!(!run_dir.join("steps").exists(), "no step was started");
}

#[test]
fn a_watcher_whose_heartbeat_is_older_than_30s_drops_off() {
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path().join(warroom::heartbeat::WATCHERS);
    std::fs::create_dir(&w).unwrap();
    let beat = |name: &str, user: &str, age: u64| {
        let path = w.join(name);
        let h = warroom::heartbeat::Heartbeat {
            operator: warroom::app::Operator {
                user: user.into(),
                host: "h".into(),
                ssh: None,
            },
            since: chrono::Utc::now(),
        };
        std::fs::write(&path, serde_json::to_vec(&h).unwrap()).unwrap();
        let f = std::fs::File::options().write(true).open(&path).unwrap();
        f.set_modified(SystemTime::now() - Duration::from_secs(age))
            .unwrap();
    };
    beat("a.1.json", "alive", 5);
    beat("b.2.json", "vanished", 31);
    let seen: Vec<String> = warroom::heartbeat::watchers(dir.path())
        .into_iter()
        .map(|(o, _)| o.user)
        .collect();
    assert_eq!(seen, vec!["alive"]);
}

#[test]
fn a_critical_alert_rings_the_watchers_bell_and_shows_its_banner() {
    let fx = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/alerting.toml");
    let mut driver = Screen::launch(&["run", fx.to_str().unwrap()], 30, 110);
    let run_dir = driver.run_dir();
    driver.wait_for("Nothing", 20);
    let mut w = watcher(&run_dir);
    w.wait_for("READ-ONLY", 20);
    assert_eq!(w.parser.lock().unwrap().callbacks().bells, 0);
    // The watcher polls the KPI itself: its gauge shows the value.
    w.wait_until("the watcher's own gauge shows x", 15, |t| {
        t.lines().any(|l| l.contains("│x ") && l.contains(" 5"))
    });
    let screen = w.wait_for("CRITICAL: x is far too high", 30);
    assert!(
        !screen.contains("a: acknowledge"),
        "a watcher is offered no key:\n{screen}"
    );
    assert!(
        w.parser.lock().unwrap().callbacks().bells >= 1,
        "a new critical alert rings the watcher's bell"
    );
    // The watcher cannot acknowledge it: that is the driver's decision.
    w.keys("a");
    w.wait_for("read-only: watching", 5);
    w.keys("q");
    assert!(w.wait_exit(10));
    driver.keys("q");
    assert!(driver.wait_exit(10));
}

/// Watching a rehearsal: the watcher runs the driver's rehearsal clock (not the wall
/// clock, which would put the run months away) and reads the KPIs the driver replays from
/// the same series, not from their sources.
#[test]
fn a_watcher_of_a_rehearsal_follows_its_clock_and_its_replayed_series() {
    let fx = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rehearse");
    let rb = fx.join("error-spike.toml");
    let csv = fx.join("error-spike.csv");
    let mut driver = Screen::launch(
        &[
            "rehearse",
            rb.to_str().unwrap(),
            "--speed",
            "120",
            "--replay",
            csv.to_str().unwrap(),
        ],
        30,
        110,
    );
    let run_dir = driver.run_dir();
    driver.wait_for("REHEARSAL 120×", 20);
    let mut w = watcher(&run_dir);
    w.wait_for("REHEARSAL 120×", 20);
    // From T+10m the series says 6.5 %; the demo target itself answers about 0.05 %.
    let screen = w.wait_for("6.50 %", 30);
    assert!(screen.contains("READ-ONLY"), "{screen}");
    let offset = screen
        .split_whitespace()
        .find(|t| t.starts_with("T+") && t.len() == 10)
        .unwrap_or_else(|| panic!("no T+ offset:\n{screen}"));
    assert!(
        offset.starts_with("T+00:"),
        "the watcher's clock is not the rehearsal's: {offset}"
    );
    w.keys("q");
    assert!(w.wait_exit(10));
    driver.keys("q");
    assert!(driver.wait_exit(10));
}

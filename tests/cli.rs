//! The `warroom` binary as a user runs it: `check` on good and broken runbooks.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::path::Path;
use std::process::Command;

fn warroom() -> Command {
    Command::new(env!("CARGO_BIN_EXE_warroom"))
}

#[test]
fn every_runbook_in_config_checks_clean() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let out = warroom().arg("check").arg(&path).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{}: {stderr}", path.display());
        assert!(
            stderr.is_empty(),
            "{} has warnings: {stderr}",
            path.display()
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains(": OK"), "{stdout}");
        assert!(stdout.contains("span "), "{stdout}");
        checked += 1;
    }
    assert!(checked >= 1, "no runbooks found in {}", dir.display());
}

#[test]
fn demo_summary_names_what_the_runbook_holds() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo.toml");
    let out = warroom().arg("check").arg(&path).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("span      T-45s .. T+4m30s"), "{stdout}");
    assert!(
        stdout.contains("KPIs      6 (prometheus 1, scrape 3, json 1, command 1)"),
        "{stdout}"
    );
    assert!(stdout.contains("after typing ROLLBACK"), "{stdout}");
}

#[test]
fn broken_runbook_exits_2_with_every_error_located() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/broken.toml");
    let out = warroom().arg("check").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let shown = path.display().to_string();
    for expected in [
        format!("{shown}:3:6: error: `runbook.t0`: `yesterday` is not a T0"),
        format!("{shown}:8:1: error: `kpi[0].tiemout`: unknown field `tiemout`"),
        format!(
            "{shown}:12:11: warning: `kpi[p95].command`: script `./scripts/p95.sh` does not exist"
        ),
        format!("{shown}:14:12: error: `kpi[p95].critical`: thresholds out of order"),
        format!("{shown}:18:22: error: `rule[high].expr`: rule expression `error_rate > > 1`"),
        format!("{shown}:27:6: error: `phase[go].step[s1].at`: in planned time `T+5x`"),
    ] {
        assert!(
            stderr.contains(&expected),
            "missing `{expected}` in:\n{stderr}"
        );
    }
    assert!(stderr.contains("5 errors found"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn missing_file_is_a_clear_error() {
    let out = warroom()
        .args(["check", "/nonexistent/rb.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("/nonexistent/rb.toml:0:0: error: cannot read the runbook"),
        "{stderr}"
    );
}

#[test]
fn the_console_refuses_without_a_terminal_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("run");
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo.toml");
    let out = warroom()
        .arg("run")
        .arg(&demo)
        .arg("--run-dir")
        .arg(&run_dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.lines().count(),
        1,
        "one line, no backtrace: {stderr}"
    );
    assert!(
        stderr.starts_with("warroom: the console needs a terminal"),
        "{stderr}"
    );
    assert!(!run_dir.exists());
}

#[test]
fn the_console_refuses_a_broken_runbook_with_its_errors() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/broken.toml");
    let out = warroom().arg("run").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the runbook is not valid (run `warroom check"),
        "{stderr}"
    );
    assert!(stderr.contains("unknown field `tiemout`"), "{stderr}");
}

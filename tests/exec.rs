//! Step runs as real child processes under the detached supervisor.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use warroom::app::{Action, Observation, OutputBuffer, Target};
use warroom::exec::{Executor, supervise};
use warroom::runbook::Command;

struct Harness {
    exec: Executor,
    rx: mpsc::Receiver<Action>,
    run_dir: tempfile::TempDir,
}

fn harness() -> Harness {
    harness_hiding(Vec::new())
}

/// A harness whose runs keep these values out of their output files.
fn harness_hiding(secrets: Vec<String>) -> Harness {
    let (tx, rx) = mpsc::channel(64);
    let run_dir = tempfile::tempdir().unwrap();
    let exec = Executor::new(
        env!("CARGO_BIN_EXE_warroom").into(),
        run_dir.path().to_path_buf(),
        run_dir.path().to_path_buf(),
        vec![("FROM_RUNBOOK".into(), "yes".into())],
        secrets,
        tx,
    );
    Harness { exec, rx, run_dir }
}

/// Collects a run's output (through the same bounded buffer the console uses) until it ends.
async fn finish(h: &mut Harness, secs: u64) -> (OutputBuffer, Result<(), String>, usize) {
    let mut out = OutputBuffer::default();
    let mut chunks = 0;
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let action = tokio::time::timeout(left, h.rx.recv())
            .await
            .expect("the run did not end in time")
            .unwrap();
        match action {
            Action::Observed(Observation::RunOutput { bytes, .. }) => {
                out.push_bytes(&bytes);
                chunks += 1;
            }
            Action::RunFinished { exit, .. } => {
                out.finish();
                return (out, exit.result(), chunks);
            }
            _ => {}
        }
    }
}

fn shell(s: &str) -> Command {
    Command::Shell(s.into())
}

fn record(h: &Harness, name: &str) -> std::path::PathBuf {
    h.run_dir.path().join("steps").join(format!("{name}.1"))
}

#[tokio::test]
async fn output_streams_and_the_record_is_complete() {
    let mut h = harness();
    let env = vec![("WARROOM_STEP".to_owned(), "hello".to_owned())];
    h.exec.run(
        Target::Step(0),
        "hello",
        1,
        &shell("echo out; echo err >&2; echo $WARROOM_STEP $FROM_RUNBOOK; echo $WARROOM_RUN_DIR"),
        None,
        &env,
    );
    let (out, result, _) = finish(&mut h, 10).await;
    assert_eq!(result, Ok(()));
    let lines: Vec<&str> = out.lines().iter().map(String::as_str).collect();
    assert_eq!(&lines[..3], &["out", "err", "hello yes"]);
    assert_eq!(lines[3], h.run_dir.path().display().to_string());
    let dir = record(&h, "hello");
    let log = std::fs::read_to_string(dir.join(supervise::OUTPUT)).unwrap();
    assert!(log.starts_with("out\nerr\nhello yes\n"), "{log}");
    let exit = supervise::read_exit(&dir).unwrap();
    assert_eq!(exit.code, Some(0));
}

#[tokio::test]
async fn exit_status_decides_and_retries_get_a_new_record() {
    let mut h = harness();
    h.exec.run(
        Target::Step(0),
        "fails",
        1,
        &shell("echo nope; exit 3"),
        None,
        &[],
    );
    let (_, result, _) = finish(&mut h, 10).await;
    assert_eq!(result, Err("exit status 3".into()));
    h.exec
        .run(Target::Step(0), "fails", 2, &shell("exit 0"), None, &[]);
    assert_eq!(finish(&mut h, 10).await.1, Ok(()));
    assert!(h.run_dir.path().join("steps/fails.1/exit.json").exists());
    assert!(h.run_dir.path().join("steps/fails.2/exit.json").exists());
}

#[tokio::test]
async fn a_missing_script_fails_clearly() {
    let mut h = harness();
    h.exec.run(
        Target::Step(0),
        "missing",
        1,
        &Command::Argv(vec!["./does-not-exist.sh".into()]),
        None,
        &[],
    );
    let (out, result, _) = finish(&mut h, 10).await;
    let err = result.unwrap_err();
    // Which path, in plain words: what the operator fixes.
    assert_eq!(err, "cannot start ./does-not-exist.sh: no such file");
    assert!(
        out.lines()
            .iter()
            .any(|l| l.contains("cannot start ./does-not-exist.sh: no such file")),
        "{:?}",
        out.lines()
    );
}

#[tokio::test]
async fn a_script_that_is_not_executable_fails_clearly() {
    let mut h = harness();
    let script = h.run_dir.path().join("noexec.sh");
    std::fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
    h.exec.run(
        Target::Step(0),
        "noexec",
        1,
        &Command::Argv(vec![script.display().to_string()]),
        None,
        &[],
    );
    let (_, result, _) = finish(&mut h, 10).await;
    assert!(result.unwrap_err().contains("ermission denied"));
}

#[tokio::test]
async fn timeout_kills_the_whole_process_group() {
    let mut h = harness();
    let pidfile = h.run_dir.path().join("grandchild.pid");
    let cmd = format!("sleep 30 & echo $! > {}; wait", pidfile.display());
    let started = Instant::now();
    h.exec.run(
        Target::Step(0),
        "slow",
        1,
        &shell(&cmd),
        Some(chrono::TimeDelta::seconds(1)),
        &[],
    );
    let (out, result, _) = finish(&mut h, 15).await;
    assert!(result.unwrap_err().starts_with("timeout after 1s"));
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(out.lines().iter().any(|l| l.contains("sending SIGTERM")));
    let grandchild: i32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        !alive(grandchild),
        "the background sleep was in the group and must be gone"
    );
}

#[tokio::test]
async fn a_script_ignoring_sigterm_is_killed_after_the_grace_period() {
    let mut h = harness();
    let started = Instant::now();
    h.exec.run(
        Target::Step(0),
        "stubborn",
        1,
        &shell("trap '' TERM; echo ready; while :; do sleep 0.1; done"),
        None,
        &[],
    );
    // Wait until it runs, then cancel as the console's cancel key does.
    loop {
        if let Some(Action::Observed(Observation::RunOutput { bytes, .. })) = h.rx.recv().await
            && String::from_utf8_lossy(&bytes).contains("ready")
        {
            break;
        }
    }
    h.exec.cancel(Target::Step(0));
    let (out, result, _) = finish(&mut h, 20).await;
    assert_eq!(result, Err("cancelled".into()));
    assert!(
        out.lines().iter().any(|l| l.contains("sending SIGKILL")),
        "{:?}",
        out.lines()
    );
    assert!(started.elapsed() >= supervise::GRACE);
    let exit = supervise::read_exit(&record(&h, "stubborn")).unwrap();
    assert_eq!(exit.signal, Some(9));
}

#[tokio::test]
async fn a_flood_of_output_stays_bounded_on_screen_and_complete_in_the_log() {
    let mut h = harness();
    h.exec.run(
        Target::Step(0),
        "flood",
        1,
        &shell("seq 1 1000000"),
        None,
        &[],
    );
    let (out, result, chunks) = finish(&mut h, 120).await;
    assert_eq!(result, Ok(()));
    assert_eq!(
        out.len(),
        warroom::app::output::MAX_LINES,
        "the screen keeps a bounded tail"
    );
    assert_eq!(out.lines().back().map(String::as_str), Some("1000000"));
    assert_eq!(out.dropped as usize + out.len(), 1_000_000);
    assert!(chunks > 1, "read in slices, not one huge allocation");
    let log = std::fs::read_to_string(record(&h, "flood").join(supervise::OUTPUT)).unwrap();
    assert_eq!(log.lines().count(), 1_000_000);
}

#[tokio::test]
async fn a_step_outlives_the_console() {
    // The supervisor is detached: the run finishes and records its status with no reader.
    let mut h = harness();
    h.exec.run(
        Target::Step(0),
        "orphan",
        1,
        &shell("sleep 1; echo done"),
        None,
        &[],
    );
    let dir = record(&h, "orphan");
    let Harness {
        rx, run_dir: _keep, ..
    } = h;
    drop(rx);
    // While it runs, the supervisor leads a session of its own: a hung-up terminal cannot reach it.
    let pidfile = dir.join(supervise::PID);
    while !pidfile.exists() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pid: i32 = std::fs::read_to_string(&pidfile).unwrap().parse().unwrap();
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the `(comm)`: state, ppid, pgrp, session.
    let after: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    assert_eq!(
        after[3].parse::<i32>().unwrap(),
        pid,
        "session id is its own pid"
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    while supervise::read_exit(&dir).is_none() {
        assert!(Instant::now() < deadline, "no exit.json");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(supervise::read_exit(&dir).unwrap().code, Some(0));
    assert_eq!(
        std::fs::read_to_string(dir.join(supervise::OUTPUT)).unwrap(),
        "done\n"
    );
}

fn alive(pid: i32) -> bool {
    // A zombie still answers kill(0); its state in /proc says it is dead.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat.split_whitespace().nth(2).is_none_or(|s| s != "Z"),
        Err(_) => false,
    }
}

/// A step that prints a secret, whole and split across two writes, on its output and its
/// errors: the file holds `****` and every other byte, never the value; the value is in no
/// file of the run directory, nor in the supervisor's arguments or environment.
#[tokio::test(flavor = "multi_thread")]
async fn no_output_file_ever_holds_a_secret() {
    let secret = "s3cr3t-T0KEN-value";
    let mut h = harness_hiding(vec![secret.to_owned(), "abc".to_owned()]);
    h.exec.run(
        Target::Step(0),
        "leaky",
        1,
        &shell(
            "echo \"token=$LEAK\"; printf 's3cr3t-T0'; sleep 0.3; printf 'KEN-value and abc\\n'; echo \"err $LEAK\" >&2; seq 1 2000 | tr '\\n' ' '; echo",
        ),
        None,
        &[("LEAK".to_owned(), secret.to_owned())],
    );
    let (_, result, _) = finish(&mut h, 20).await;
    assert_eq!(result, Ok(()));
    let log = std::fs::read_to_string(record(&h, "leaky").join(supervise::OUTPUT)).unwrap();
    assert!(log.contains("token=****\n"), "{log}");
    assert!(
        log.contains("**** and abc\n"),
        "a value too short to mask stays: {log}"
    );
    assert!(log.contains("err ****\n"), "{log}");
    assert!(log.contains(" 1999 2000 \n"), "the rest is whole: {log}");
    let mut stack = vec![h.run_dir.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                let bytes = std::fs::read(e.path()).unwrap();
                assert!(
                    !String::from_utf8_lossy(&bytes).contains(secret),
                    "{} holds the secret",
                    e.path().display()
                );
            }
        }
    }
}

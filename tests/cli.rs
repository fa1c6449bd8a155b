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
        // Credentials come from the environment, as on the night (`check` refuses a
        // runbook whose credential variables are not set).
        let (rb, _) = warroom::runbook::load(&path).unwrap();
        let mut cmd = warroom();
        for name in rb.credential_names() {
            cmd.env(name, "set-for-the-check");
        }
        let out = cmd.arg("check").arg(&path).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{}: {stderr}", path.display());
        // The reference playbooks keep their teams' own dates, now past: they are rehearsed
        // (`rehearse --start-at`), and `check` rightly says their T0 is behind us.
        let other: Vec<&str> = stderr
            .lines()
            .filter(|l| !l.contains("and the whole plan are in the past"))
            .collect();
        assert!(
            other.is_empty(),
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
        stdout.contains("KPIs      7 (prometheus 1, scrape 4, json 1, command 1)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("canaries  green-vs-blue (1 metric over 10m, a FAIL holds its gate)"),
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
        format!("{shown}:8:1: error: `kpi[error_rate].tiemout`: unknown key `tiemout`"),
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
        stderr.contains("/nonexistent/rb.toml: error: no such file"),
        "{stderr}"
    );
    // The console says the same, not that the runbook is "not valid".
    let out = warroom()
        .args(["run", "/nonexistent/rb.toml"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("/nonexistent/rb.toml: error: no such file"),
        "{stderr}"
    );
    assert!(!stderr.contains("not valid"), "{stderr}");
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
    assert!(stderr.contains("unknown key `tiemout`"), "{stderr}");
}

/// A run directory with a journal, written the way a console writes it.
fn recorded_run_dir() -> tempfile::TempDir {
    use warroom::app::event::{Event, Record};
    let dir = tempfile::tempdir().unwrap();
    let rb = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/resume.toml");
    let at = chrono::DateTime::parse_from_rfc3339("2026-02-08T02:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let events = [
        Event::RunOpened {
            runbook: "Resume".into(),
            path: rb.display().to_string(),
            sha256: warroom::driver::sha256_file(&rb).unwrap(),
            t0: at,
        },
        Event::CheckTicked {
            check: "oncall".into(),
            ticked: true,
        },
    ];
    let ana = warroom::app::Operator {
        user: "ana".into(),
        host: "bastion".into(),
        ssh: None,
    };
    let records: Vec<Record> = events
        .into_iter()
        .enumerate()
        .map(|(n, event)| Record::new(n as u64 + 1, at, ana.clone(), event))
        .collect();
    let mut j = warroom::journal::Journal::open(dir.path()).unwrap().journal;
    j.append(&records).unwrap();
    dir
}

#[test]
fn report_writes_each_format_and_says_what_is_wrong() {
    let run = recorded_run_dir();
    let out = warroom().arg("report").arg(run.path()).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.contains("# Resume — post-mortem record"), "{md}");
    assert!(
        md.contains("- [x] On-call engineer is here — 02:00:00 by ana@bastion"),
        "{md}"
    );
    let json = run.path().join("r.json");
    let out = warroom()
        .args(["report", "--format", "json", "-o"])
        .arg(&json)
        .arg(run.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(v["schema"], 1);
    assert_eq!(v["outcome"], "aborted");
    let html = run.path().join("r.html");
    let out = warroom()
        .args(["report", "--format", "html", "-o"])
        .arg(&html)
        .arg(run.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        std::fs::read_to_string(&html)
            .unwrap()
            .starts_with("<!doctype html>")
    );
    // An existing report is kept unless --force.
    std::fs::write(&html, "last night's notes").unwrap();
    let out = warroom()
        .args(["report", "--format", "html", "-o"])
        .arg(&html)
        .arg(run.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("exists: give --force to overwrite it"));
    assert_eq!(
        std::fs::read_to_string(&html).unwrap(),
        "last night's notes"
    );
    let out = warroom()
        .args(["report", "--format", "html", "--force", "-o"])
        .arg(&html)
        .arg(run.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        std::fs::read_to_string(&html)
            .unwrap()
            .starts_with("<!doctype html>")
    );
    // Not a run directory: a clear error, status 2, nothing written.
    let empty = tempfile::tempdir().unwrap();
    let out = warroom().arg("report").arg(empty.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("holds no journal.jsonl"), "{err}");
    assert_eq!(std::fs::read_dir(empty.path()).unwrap().count(), 0);
}

#[test]
fn watch_without_a_terminal_or_a_journal_says_why() {
    let empty = tempfile::tempdir().unwrap();
    let out = warroom().arg("watch").arg(empty.path()).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs a terminal"), "{err}");
    assert_eq!(std::fs::read_dir(empty.path()).unwrap().count(), 0);
}

/// Every subcommand's --help says what its positional argument is.
#[test]
fn every_subcommand_describes_its_arguments() {
    for sub in [
        "check",
        "import",
        "preflight",
        "run",
        "rehearse",
        "report",
        "watch",
    ] {
        let out = warroom().args([sub, "--help"]).output().unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        let args = help
            .split("Arguments:")
            .nth(1)
            .unwrap_or_else(|| panic!("{sub}: no arguments in\n{help}"));
        let first = args.lines().find(|l| !l.trim().is_empty()).unwrap();
        let words: Vec<&str> = first.split_whitespace().collect();
        assert!(words.len() > 2, "{sub}: `{first}` says nothing of it");
    }
}

/// `check` is about the file, and warns of what would go wrong on the night: a plan in the
/// past, a draft's TODO left in, a rollback written as a phase.
#[test]
fn check_warns_of_a_past_plan_a_todo_and_a_rollback_phase() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rb.toml");
    std::fs::write(
        &path,
        "[runbook]\nname = \"old\"\nt0 = \"2020-01-01T00:00:00Z\"  # TODO: the time of T0\n[[phase]]\nid = \"rollback\"\ntitle = \"Roll back\"\n[[phase.step]]\nid = \"back\"\ntitle = \"Back to blue\"\nrun = [\"true\"]\n",
    )
    .unwrap();
    let out = warroom().arg("check").arg(&path).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stderr);
    for warning in [
        "warning: T0 2020-01-01 00:00 UTC and the whole plan are in the past",
        "warning: 1 line still holds a TODO placeholder",
        "warning: phase `rollback` reads like a rollback, but the runbook has no `[rollback]`",
    ] {
        assert!(said.contains(warning), "`{warning}` missing in:\n{said}");
    }
    // The demo runbook: none of them.
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo.toml");
    let out = warroom()
        .arg("check")
        .arg(&demo)
        .env("DEMO_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).trim().is_empty(),
        "{out:?}"
    );
}

/// `report --verify`: a journal written by consoles (one, then a resume) holds, and says
/// its head; a record changed by hand (its CRC made to match), removed or moved is named,
/// exit 1, and the console refuses to resume on it; a journal from before the chain says
/// it is not chained; no journal is exit 2.
#[test]
fn report_verify_proves_the_record_and_names_what_was_changed() {
    use warroom::app::event::{Event, Record};
    let run = recorded_run_dir();
    // A second console resumes and goes on.
    let mut opened = warroom::journal::Journal::open(run.path()).unwrap();
    let next = opened.records.len() as u64;
    let at = opened.records[0].at;
    let by = opened.records[0].by.clone();
    let mut more: Vec<Record> = (1..=2)
        .map(|i| {
            Record::new(
                next + i,
                at,
                by.clone(),
                Event::CheckTicked {
                    check: "oncall".into(),
                    ticked: i % 2 == 0,
                },
            )
        })
        .collect();
    more.push(Record::new(
        next + 3,
        at,
        by.clone(),
        Event::GateVote {
            gate: "go".into(),
            approver: "Lead".into(),
            decision: warroom::app::event::VoteDecision::Go,
            note: "dashboards clean".into(),
            evidence: vec!["error_rate=0.40%".into()],
            signature: None,
            canary: None,
        },
    ));
    opened.journal.append(&more).unwrap();
    drop(opened);
    let verify = |dir: &Path| {
        let out = warroom()
            .args(["report", "--verify"])
            .arg(dir)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (code, said) = verify(run.path());
    assert_eq!(code, Some(0), "{said}");
    assert!(
        said.contains("5 records, each linked to the one before"),
        "{said}"
    );
    assert!(said.contains("head "), "{said}");
    // Each vote, as an auditor reads it: who cast it, how, and the evidence's hash.
    assert!(
        said.contains("go  Lead: GO  by ana@bastion (at the driver's console, not signed)")
            && said.contains("evidence sha256 "),
        "{said}"
    );
    let md = warroom().arg("report").arg(run.path()).output().unwrap();
    assert!(
        String::from_utf8_lossy(&md.stdout).contains("| Journal | 5 records, each linked"),
        "the report states the chain too"
    );

    let path = run.path().join(warroom::journal::FILE);
    let good = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = good.split_inclusive('\n').collect();
    // Record 3 changed by hand: ticked becomes unticked, its CRC recomputed.
    let env: serde_json::Value = serde_json::from_str(lines[2]).unwrap();
    let mut rec: Record = serde_json::from_value(env["rec"].clone()).unwrap();
    rec.event = Event::CheckTicked {
        check: "oncall".into(),
        ticked: true,
    };
    let body = serde_json::to_string(&rec).unwrap();
    let forged = format!(
        "{{\"crc\":{},\"prev\":{},\"rec\":{body}}}\n",
        crc32c::crc32c(body.as_bytes()),
        env["prev"]
    );
    let tampered = [lines[0], lines[1], &forged, lines[3], lines[4]].concat();
    std::fs::write(&path, &tampered).unwrap();
    let (code, said) = verify(run.path());
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains("record 4") && said.contains("link to record 3 does not match"),
        "{said}"
    );
    let err = warroom::journal::Journal::open(run.path())
        .err()
        .expect("a console does not drive on a changed record")
        .to_string();
    assert!(err.contains("corrupt at record 4"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), tampered);
    // Removed, and moved.
    std::fs::write(&path, [lines[0], lines[1], lines[3], lines[4]].concat()).unwrap();
    let (code, said) = verify(run.path());
    assert_eq!(code, Some(1));
    assert!(
        said.contains("record 3") && said.contains("sequence 4"),
        "{said}"
    );
    std::fs::write(&path, [lines[0], lines[2], lines[1]].concat()).unwrap();
    assert_eq!(verify(run.path()).0, Some(1));

    // A journal written before the chain (schema 1, no `prev`): read, and said so.
    let old: String = good
        .lines()
        .map(|l| {
            let env: serde_json::Value = serde_json::from_str(l).unwrap();
            let body = env["rec"].to_string();
            format!(
                "{{\"crc\":{},\"rec\":{body}}}\n",
                crc32c::crc32c(body.as_bytes())
            )
        })
        .collect();
    std::fs::write(&path, &old).unwrap();
    let (code, said) = verify(run.path());
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("not chained"), "{said}");

    let empty = tempfile::tempdir().unwrap();
    assert_eq!(verify(empty.path()).0, Some(2));
}

/// A journal rewritten after a checkpoint, links and all (every record after the changed
/// one linked anew), is found by the checkpoint's head: `--verify` says so, exit 1.
#[test]
fn report_verify_holds_the_journal_against_its_checkpoints() {
    use warroom::app::event::{Event, Record};
    use warroom::journal;
    let run = recorded_run_dir();
    let path = run.path().join(journal::FILE);
    let (mut records, _) = journal::read(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let at = records[0].at;
    let by = records[0].by.clone();
    records.push(Record::new(
        3,
        at,
        by.clone(),
        Event::Checkpoint {
            records: 2,
            head: journal::hex(&journal::head_of(&bytes)),
            why: "run closed: success".into(),
        },
    ));
    records.push(Record::new(
        4,
        at,
        by,
        Event::CheckTicked {
            check: "oncall".into(),
            ticked: false,
        },
    ));
    std::fs::write(&path, journal::encode_all(&records)).unwrap();
    let verify = || {
        let out = warroom()
            .args(["report", "--verify"])
            .arg(run.path())
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, said) = verify();
    assert_eq!(code, Some(0), "{said}");
    let md = warroom().arg("report").arg(run.path()).output().unwrap();
    assert!(
        String::from_utf8_lossy(&md.stdout).contains("## Journal checkpoints"),
        "the report lists the checkpoints"
    );
    // Record 2 rewritten, and every record linked anew: the links hold, the checkpoint
    // does not.
    records[1].event = Event::CheckTicked {
        check: "oncall".into(),
        ticked: false,
    };
    std::fs::write(&path, journal::encode_all(&records)).unwrap();
    let (code, said) = verify();
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains("the checkpoint in record 3") && said.contains("rewritten"),
        "{said}"
    );
}

/// `report --verify` holds the record to each gate's policy too: a gated step started
/// while its gate was not GO, with no override on record, does not hold (exit 1, the
/// record named); started after the GO, or over a recorded override, it does.
#[test]
fn report_verify_holds_each_gated_step_to_its_gate() {
    use warroom::app::event::{Event, Record, RunRef, VoteDecision};
    use warroom::app::guard::{Guard, Kind};
    use warroom::journal;
    let run = recorded_run_dir();
    let path = run.path().join(journal::FILE);
    let (opened, _) = journal::read(&path).unwrap();
    let (at, by) = (opened[0].at, opened[0].by.clone());
    let started = |guards: Vec<Guard>| Event::RunStarted {
        target: RunRef::Step("slow".into()),
        attempt: 1,
        reason: None,
        guards,
    };
    let verify = |events: Vec<Event>| {
        let mut records = opened.clone();
        for e in events {
            records.push(Record::new(records.len() as u64 + 1, at, by.clone(), e));
        }
        std::fs::write(&path, journal::encode_all(&records)).unwrap();
        let out = warroom()
            .args(["report", "--verify"])
            .arg(run.path())
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, said) = verify(vec![started(Vec::new())]);
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains("record 3: step slow started while gate go was not GO under its policy (unanimous), and no override of it is on record"),
        "{said}"
    );
    let overridden = Guard {
        kind: Kind::Gate,
        words: "gate go is not GO".into(),
        badge: String::new(),
    };
    let (code, said) = verify(vec![started(vec![overridden])]);
    assert_eq!(code, Some(0), "{said}");
    let vote = Event::GateVote {
        gate: "go".into(),
        approver: "Lead".into(),
        decision: VoteDecision::Go,
        note: String::new(),
        evidence: Vec::new(),
        signature: None,
        canary: None,
    };
    let (code, said) = verify(vec![vote, started(Vec::new())]);
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("go  Lead: GO"), "{said}");
}

//! A shared bastion (issue 22), as real OS users: the test creates a group and two users
//! (`useradd`, removed at the end), drives a run as root in a pseudo-terminal, and tries it
//! as the others with `runuser`. A private run can be neither listed nor read nor watched
//! by anyone else; a run shared with a group is watched by its members and by no one else;
//! nothing in a run directory is ever world-readable.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::screen::Screen;
use common::users::{Users, as_root, as_user};

/// Every directory and file under `dir`, with its mode and group.
fn walk(dir: &Path) -> Vec<(PathBuf, u32, u32, bool)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let m = std::fs::symlink_metadata(&d).unwrap();
        out.push((d.clone(), m.mode() & 0o7777, m.gid(), true));
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let m = e.metadata().unwrap();
            if m.is_dir() {
                stack.push(e.path());
            } else {
                out.push((e.path(), m.mode() & 0o7777, m.gid(), false));
            }
        }
    }
    out
}

/// A run of tests/fixtures/guards.toml in a directory anyone may traverse to (as a runs/
/// directory on a bastion is), with one step run so it has a step's records too.
fn driven(args: &[&str]) -> (Screen, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let run_dir = dir.path().join("run");
    let rb = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/guards.toml");
    let mut all = vec![
        "run",
        rb.to_str().unwrap(),
        "--run-dir",
        run_dir.to_str().unwrap(),
    ];
    all.extend(args);
    let mut s = Screen::start(&all, 30, 100, dir);
    s.wait_for("Verify the fleet", 10);
    s.keys("\r");
    s.wait_for("FAILED", 10);
    (s, run_dir)
}

const WARROOM: &str = env!("CARGO_BIN_EXE_warroom");

#[test]
fn a_private_run_is_its_drivers_alone_and_says_so_to_anyone_else() {
    if !as_root() {
        return;
    }
    let users = Users::create("p", &[], &["stranger"]);
    let stranger = users.user("stranger");
    let (mut s, run_dir) = driven(&[]);
    // Nothing world- or group-readable: directories 0700, files 0600.
    for (path, mode, _, is_dir) in walk(&run_dir) {
        let want = if is_dir { 0o700 } else { 0o600 };
        assert_eq!(mode, want, "{} is {mode:o}", path.display());
    }
    let journal = run_dir.join("journal.jsonl");
    let (ok, out) = as_user(&stranger, &["ls", run_dir.to_str().unwrap()]);
    assert!(!ok, "a stranger listed the run: {out}");
    let (ok, out) = as_user(&stranger, &["cat", journal.to_str().unwrap()]);
    assert!(!ok, "a stranger read the journal: {out}");
    let (ok, out) = as_user(&stranger, &[WARROOM, "watch", run_dir.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        out.contains(
            "the run is private to root; ask the driver to share it with a group you are in"
        ),
        "{out}"
    );
    s.keys("q");
}

#[test]
fn a_run_shared_with_a_group_is_watched_by_its_members_and_no_one_else() {
    if !as_root() {
        return;
    }
    let users = Users::create("s", &["member"], &["other"]);
    let (member, other) = (users.user("member"), users.user("other"));
    let gid = nix::unistd::Group::from_name(&users.group)
        .unwrap()
        .unwrap()
        .gid
        .as_raw();
    let (mut s, run_dir) = driven(&["--share-with", &users.group]);
    for (path, mode, group, is_dir) in walk(&run_dir) {
        assert_eq!(mode & 0o007, 0, "{} is world-accessible", path.display());
        if path.ends_with("watchers") || path.ends_with("votes") {
            continue;
        }
        let want = if is_dir { 0o2750 } else { 0o640 };
        assert_eq!(mode, want, "{} is {mode:o}", path.display());
        assert_eq!(group, gid, "{} is not the group's", path.display());
    }
    let journal = run_dir.join("journal.jsonl");
    let (ok, out) = as_user(&member, &["cat", journal.to_str().unwrap()]);
    assert!(ok && out.contains("run_opened"), "{out}");
    let (ok, out) = as_user(&other, &["cat", journal.to_str().unwrap()]);
    assert!(!ok, "a non-member read the journal: {out}");
    let (ok, out) = as_user(&other, &[WARROOM, "watch", run_dir.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        out.contains(&format!(
            "the run is shared with group {}, which you are not in",
            users.group
        )),
        "{out}"
    );
    // The member watches it, read-only, in a terminal of their own; the driver sees them.
    let w = Screen::start_program(
        "runuser",
        &[
            "-u",
            &member,
            "--",
            WARROOM,
            "watch",
            run_dir.to_str().unwrap(),
        ],
        30,
        100,
        tempfile::tempdir().unwrap(),
    );
    w.wait_for("READ-ONLY", 15);
    w.wait_for("Verify the fleet", 5);
    s.keys("C");
    s.wait_for("Contacts and escalation", 5);
    s.wait_for(&format!("{member}@"), 15);
    // Its heartbeat is the group's, and nobody else's.
    let beats = run_dir.join("watchers");
    let m = std::fs::metadata(&beats).unwrap();
    assert_eq!(m.mode() & 0o7777, 0o3770);
    for (path, mode, _, is_dir) in walk(&beats) {
        assert_eq!(mode & 0o007, 0, "{}", path.display());
        if !is_dir {
            assert_eq!(mode, 0o640, "{} is {mode:o}", path.display());
        }
    }
    drop(w);
    s.keys("\x1b");
    s.keys("q");
}

#[test]
fn a_run_directory_in_a_place_anyone_may_write_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let run_dir = dir.path().join("run");
    let rb = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/guards.toml");
    let s = Screen::run(&rb, &run_dir, 24, 100);
    s.wait_for("is writable by anyone and not sticky", 10);
    assert!(!run_dir.exists());
    // With the sticky bit (as /tmp has) it is fine.
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o1777),
    )
    .unwrap();
    let mut s = Screen::run(&rb, &run_dir, 24, 100);
    s.wait_for("Verify the fleet", 10);
    s.keys("q");
}

/// `driver.lock` tells watchers the variables warroom gave the runbook (a rehearsal's
/// values, `DEMO_URL`): a secret's name is there, never its value.
#[test]
fn the_driver_lock_names_a_secret_variable_but_never_holds_its_value() {
    let dir = tempfile::tempdir().unwrap();
    let rb_path = dir.path().join("rb.toml");
    std::fs::write(
        &rb_path,
        "[runbook]\nname = \"lock\"\n[[endpoint]]\nid = \"api\"\nurl = \"${DEMO_URL}/health\"\nbearer-token = \"${API_TOKEN}\"\n[[phase]]\nid = \"p\"\ntitle = \"P\"\n",
    )
    .unwrap();
    let (rb, _) = warroom::runbook::load(&rb_path).unwrap();
    let run_dir = dir.path().join("run");
    warroom::durable::create_run_dir(&run_dir, None).unwrap();
    let vars = [
        ("DEMO_URL".to_owned(), "http://127.0.0.1:9".to_owned()),
        ("API_TOKEN".to_owned(), "s3cr3t-rehearsal-token".to_owned()),
    ];
    let seat = warroom::driver::take_seat(
        &run_dir,
        &rb,
        &warroom::app::Operator::current(),
        warroom::driver::OnChange::Refuse,
        false,
        &vars,
        None,
    )
    .unwrap();
    let text = std::fs::read_to_string(run_dir.join(warroom::driver::LOCK)).unwrap();
    assert!(!text.contains("s3cr3t"), "{text}");
    let h = warroom::driver::holder(&run_dir).unwrap();
    assert_eq!(h.vars, vec![vars[0].clone()]);
    assert_eq!(h.withheld, vec!["API_TOKEN".to_owned()]);
    let mode = std::fs::metadata(run_dir.join(warroom::driver::LOCK))
        .unwrap()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    drop(seat);
}

/// The demo's base URL is no secret (its webhook names it, and so do its sources): a
/// watcher gets it from driver.lock to poll the same target.
#[test]
fn a_base_url_a_webhook_shares_with_the_sources_is_no_secret() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo.toml");
    let (rb, _) = warroom::runbook::load(&path).unwrap();
    assert!(
        rb.channels
            .iter()
            .flat_map(|c| c.templated())
            .any(|w| w.contains("${DEMO_URL}")),
        "the demo's webhook names DEMO_URL"
    );
    assert!(!rb.secret_names().contains(&"DEMO_URL".to_owned()));
    // A webhook's own variable stays secret.
    let (rb, _) = warroom::runbook::load_str(
        Path::new("rb.toml"),
        "[runbook]\nname = \"w\"\n[status-updates]\nevery = \"5m\"\nwebhook = \"https://hooks.example/services/${HOOK_PATH}\"\n[[phase]]\nid = \"p\"\ntitle = \"P\"\n",
    )
    .unwrap();
    assert!(rb.secret_names().contains(&"HOOK_PATH".to_owned()));
}

/// Approvals by the approvers (issue 25): on a run shared with their group, each approver
/// votes with `warroom vote` as their own OS user; the driver's console counts each as
/// theirs (the record says who; one with `warroom vote`, one with `v` in the terminal he
/// watches from), the gate opens on both, and the step runs. A member who is
/// no approver is refused by `warroom vote` with who may vote; a vote file claiming an
/// approver but written by someone else is refused by the driver, journaled with why, and
/// kept aside. `report --verify` lists both votes as cast from their own terminals.
#[test]
fn approvers_vote_as_themselves_and_no_one_votes_for_them() {
    if !as_root() {
        return;
    }
    let users = Users::create("v", &["alice", "bob", "carol"], &[]);
    let (alice, bob, carol) = (users.user("alice"), users.user("bob"), users.user("carol"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let rb = dir.path().join("votes.toml");
    std::fs::write(
        &rb,
        format!(
            r#"
[runbook]
name = "Votes"
t0 = "+10m"
share-with = "{group}"

[[approver]]
id = "lead"
role = "Deployment Lead"
users = ["{alice}"]

[[approver]]
id = "sre"
role = "SRE on call"
users = ["{bob}"]

[[phase]]
id = "p"
title = "Cutover"

[[phase.step]]
id = "ship"
title = "Ship it"
run = ["true"]

[[gate]]
id = "go"
title = "Ship?"
approvers = ["lead", "sre"]
before = "ship"
"#,
            group = users.group
        ),
    )
    .unwrap();
    std::fs::set_permissions(&rb, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let run_dir = dir.path().join("run");
    let mut s = Screen::start(
        &[
            "run",
            rb.to_str().unwrap(),
            "--run-dir",
            run_dir.to_str().unwrap(),
        ],
        30,
        100,
        dir,
    );
    s.wait_for("Ship it", 10);
    let run = run_dir.to_str().unwrap();
    let journal = || std::fs::read_to_string(run_dir.join("journal.jsonl")).unwrap();

    // A member of the group who is no approver: refused before anything is handed in.
    let (ok, out) = as_user(&carol, &[WARROOM, "vote", run, "go"]);
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!("{carol} is not an approver of any gate"))
            && out.contains(&format!("{alice} (Deployment Lead)")),
        "{out}"
    );

    // Alice votes as herself; the driver's console counts it as hers.
    let (ok, out) = as_user(
        &alice,
        &[WARROOM, "vote", run, "go", "--note", "dashboards clean"],
    );
    assert!(ok && out.contains("Counted"), "{out}");
    s.wait_for("waiting 1/2", 5);
    assert!(
        journal().lines().any(|l| l.contains("\"gate_vote\"")
            && l.contains(&format!("\"user\":\"{alice}\""))
            && l.contains("\"approver\":\"lead\"")),
        "the record says the vote is Alice's"
    );

    // A file claiming to be Bob's vote, written by someone else (root, here): refused by
    // the console, journaled with why, kept aside; the gate still waits.
    let read = warroom::journal::verify(&std::fs::read(run_dir.join("journal.jsonl")).unwrap());
    let forged = warroom::app::VoteRequest {
        gate: "go".into(),
        approver: "sre".into(),
        decision: warroom::app::event::VoteDecision::Go,
        note: String::new(),
        ssh: None,
        run: warroom::journal::hex(&read.run.unwrap()),
        head: warroom::journal::hex(&read.head),
        evidence: Vec::new(),
        signature: None,
        key: None,
    };
    let path = warroom::votes::hand_in(&run_dir, "forged", &forged).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    s.wait_for("was refused", 5);
    let refused = journal();
    assert!(
        refused.lines().any(|l| l.contains("\"vote_refused\"")
            && l.contains(&name)
            && l.contains("root is not sre")),
        "{refused}"
    );
    assert!(run_dir.join("votes/refused").join(&name).is_file());
    s.wait_for("waiting 1/2", 5);

    // Bob votes from the terminal he watches in: `v`, his own identity only; the gate
    // opens, and the step may run.
    let mut w = Screen::start_program(
        "runuser",
        &["-u", &bob, "--", WARROOM, "watch", run],
        30,
        100,
        tempfile::tempdir().unwrap(),
    );
    w.wait_for("READ-ONLY", 15);
    w.keys("v");
    w.wait_for("Your vote", 5);
    w.wait_for(&format!("As {bob} (SRE on call)"), 5);
    w.keys("G");
    w.wait_for("hand it in", 5);
    w.keys("on call, watching\r");
    s.wait_for("GO 2/2", 5);
    w.wait_for("GO 2/2", 5);
    assert!(
        journal().lines().any(|l| l.contains("\"gate_vote\"")
            && l.contains(&format!("\"user\":\"{bob}\""))
            && l.contains("on call, watching")),
        "the record says the vote is Bob's"
    );
    drop(w);
    s.keys("j");
    s.keys("\r");
    s.wait_for("Run this step?", 5);
    s.keys("y");
    s.wait_for("ok ", 10);

    // The record proves itself, and says who cast each vote and how.
    let out = Command::new(WARROOM)
        .args(["report", "--verify", run])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}");
    for who in [&alice, &bob] {
        assert!(
            said.contains(&format!("by {who}@")) && said.contains("from their own terminal"),
            "{said}"
        );
    }
}

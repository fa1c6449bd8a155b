//! Signed approvals (issue 25), as real OS users with real keys: each approver's key is
//! made by ssh-keygen as them; Alice signs with her key file, Bob through his own running
//! ssh-agent (his private key file is gone: only the agent can sign). The driver (root)
//! counts both, the gate opens, the step runs, and `report --verify` checks the signatures
//! again; ssh-keygen itself agrees with it. Every forgery an approver's neighbour could try
//! on the votes directory is refused by the console with why, and the console goes on; so
//! is the driver's own vote from another terminal on a gate distinct from the driver.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use common::screen::Screen;
use common::users::{Users, as_root, as_user};
use warroom::app::VoteRequest;
use warroom::app::event::VoteDecision;

const WARROOM: &str = env!("CARGO_BIN_EXE_warroom");

/// A vote file put in place as `owner`'s (written whole, chowned, then renamed in, as
/// `warroom vote` run by them would): what a neighbour with a shell as that user could
/// write by hand. Its name, as the record will say it.
fn plant(run_dir: &Path, owner: &str, bytes: &[u8]) -> String {
    let dir = run_dir.join("votes");
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let name = format!("{stamp}-{owner}-planted.json");
    let tmp = dir.join(format!(".{name}"));
    std::fs::write(&tmp, bytes).unwrap();
    let out = Command::new("chown").arg(owner).arg(&tmp).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    std::fs::rename(&tmp, dir.join(&name)).unwrap();
    name
}

/// `ssh-keygen -Y sign` over `message` with `key`: an armored SSHSIG.
fn sshsig(key: &Path, message: &[u8]) -> String {
    let mut child = Command::new("ssh-keygen")
        .args(["-q", "-Y", "sign", "-n", "warroom-vote", "-f"])
        .arg(key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), message).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// `vote` signed over what it says, with `key`.
fn signed(mut vote: VoteRequest, key: &Path) -> VoteRequest {
    let evidence = warroom::signing::evidence_hash(&vote.evidence);
    vote.signature = Some(sshsig(key, &vote.ballot(&evidence).message()));
    vote
}

#[test]
fn approvers_sign_their_votes_and_forgeries_are_refused() {
    if !as_root() {
        return;
    }
    let users = Users::create("k", &["alice", "bob"], &[]);
    let (alice, bob) = (users.user("alice"), users.user("bob"));
    let (alice_key, alice_pub) = users.key("alice", "id_ed25519");
    let (alice_other, _) = users.key("alice", "id_other");
    let (bob_key, bob_pub) = users.key("bob", "id_ed25519");

    // Bob's own ssh-agent, holding his key; then the key file goes, so only the agent signs.
    let sock = users.home("bob").join("agent.sock");
    let _agent = Agent(
        Command::new("runuser")
            .args(["-u", &bob, "--", "ssh-agent", "-D", "-a"])
            .arg(&sock)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !sock.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(sock.exists(), "Bob's ssh-agent did not start");
    let agent_env = format!("SSH_AUTH_SOCK={}", sock.display());
    let (ok, out) = as_user(
        &bob,
        &["env", &agent_env, "ssh-add", bob_key.to_str().unwrap()],
    );
    assert!(ok, "{out}");
    std::fs::remove_file(&bob_key).unwrap();

    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), PermissionsExt::from_mode(0o755)).unwrap();
    // Bob's key comes from an allowed_signers file, for votes only.
    std::fs::write(
        dir.path().join("allowed_signers"),
        format!("{bob} namespaces=\"warroom-vote\" {bob_pub}\n"),
    )
    .unwrap();
    let rb = dir.path().join("signed.toml");
    std::fs::write(
        &rb,
        format!(
            r#"
[runbook]
name = "Signed"
t0 = "+10m"
share-with = "{group}"
allowed-signers = "allowed_signers"

[[approver]]
id = "lead"
role = "Deployment Lead"
users = ["{alice}"]
keys = ["{alice_pub}"]
signed = true

[[approver]]
id = "sre"
role = "SRE on call"
users = ["{bob}"]
signed = true

# The driver (root) is an approver too, but this gate counts none of the driver's votes.
[[approver]]
id = "ops"
role = "Ops manager"
users = ["root"]

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
approvers = ["lead", "sre", "ops"]
needs = 2
before = "ship"
distinct-from-driver = true
"#,
            group = users.group
        ),
    )
    .unwrap();
    for f in ["signed.toml", "allowed_signers"] {
        std::fs::set_permissions(dir.path().join(f), PermissionsExt::from_mode(0o644)).unwrap();
    }
    let out = Command::new(WARROOM)
        .arg("check")
        .arg(&rb)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        summary.contains(&format!(
            "approvers lead ({alice}, 1 key, signs), sre ({bob}, 1 key, signs), ops (root, no key)"
        )),
        "{summary}"
    );
    let run_dir = dir.path().join("run");
    let mut s = Screen::start(
        &[
            "run",
            rb.to_str().unwrap(),
            "--run-dir",
            run_dir.to_str().unwrap(),
        ],
        30,
        110,
        dir,
    );
    s.wait_for("Ship it", 10);
    let run = run_dir.to_str().unwrap();
    let journal = || std::fs::read_to_string(run_dir.join("journal.jsonl")).unwrap();
    let read = warroom::journal::verify(&std::fs::read(run_dir.join("journal.jsonl")).unwrap());
    let run_id = warroom::journal::hex(&read.run.unwrap());
    let base = VoteRequest {
        gate: "go".into(),
        approver: "lead".into(),
        decision: VoteDecision::Go,
        note: "dashboards clean".into(),
        ssh: None,
        run: run_id.clone(),
        head: warroom::journal::hex(&read.head),
        evidence: vec!["error_rate: 0.20%".into()],
        signature: None,
        key: None,
    };
    let refused = |s: &Screen, bytes: Vec<u8>, why: &str| {
        let name = plant(&run_dir, &alice, &bytes);
        s.wait_until(&format!("the refusal of {name}"), 10, |_| {
            journal()
                .lines()
                .any(|l| l.contains("\"vote_refused\"") && l.contains(&name))
        });
        let line = journal()
            .lines()
            .find(|l| l.contains("\"vote_refused\"") && l.contains(&name))
            .unwrap()
            .to_owned();
        assert!(line.contains(why), "{why}: {line}");
        // Put aside once the refusal is on record.
        s.wait_until("the refused file put aside", 5, |_| {
            run_dir.join("votes/refused").join(&name).is_file()
        });
    };
    let json = |v: &VoteRequest| serde_json::to_vec(v).unwrap();

    // Alice must sign: her unsigned vote is refused.
    refused(&s, json(&base), "lead signs their votes");
    // Signed by a key of hers the runbook does not list.
    refused(
        &s,
        json(&signed(base.clone(), &alice_other)),
        "which is not one of lead's keys",
    );
    // Signed, then the note changed.
    let mut edited = signed(base.clone(), &alice_key);
    edited.note = "all green, ship it".into();
    refused(&s, json(&edited), "not over what this vote says");
    // Signed for another gate, then put on this one.
    let mut moved = signed(
        VoteRequest {
            gate: "rollback-gate".into(),
            ..base.clone()
        },
        &alice_key,
    );
    moved.gate = "go".into();
    refused(&s, json(&moved), "not over what this vote says");
    // Signed for another run (whose id it names).
    let other_run = signed(
        VoteRequest {
            run: "ab".repeat(32),
            ..base.clone()
        },
        &alice_key,
    );
    refused(&s, json(&other_run), "cast for another run");
    // Signed over a journal head this run never had.
    let no_head = signed(
        VoteRequest {
            head: "cd".repeat(32),
            ..base.clone()
        },
        &alice_key,
    );
    refused(&s, json(&no_head), "a journal head this run never had");
    // Not a vote at all.
    refused(&s, vec![0, 159, 146, 150, 255], "not a vote");
    s.wait_for("waiting 0/3", 5);

    // The driver's own user votes from another terminal: the driver's console refuses it.
    let out = Command::new(WARROOM)
        .args(["vote", run, "go", "--note", "mine"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("root drives this run, and gate go counts no vote of the driver's"),
        "{said}"
    );

    // `warroom vote` with the wrong key is refused before anything is handed in.
    let (ok, out) = as_user(
        &alice,
        &[
            WARROOM,
            "vote",
            run,
            "go",
            "--key",
            alice_other.to_str().unwrap(),
        ],
    );
    assert!(
        !ok && out.contains("which is not one of lead's keys"),
        "{out}"
    );

    // Alice votes with her key file.
    let (ok, out) = as_user(
        &alice,
        &[
            WARROOM,
            "vote",
            run,
            "go",
            "--note",
            "dashboards clean",
            "--key",
            alice_key.to_str().unwrap(),
        ],
    );
    assert!(
        ok && out.contains("Signed: SHA256:") && out.contains("Counted"),
        "{out}"
    );
    s.wait_for("waiting 1/3", 5);

    // Bob votes from the terminal he watches in; his agent signs.
    let mut w = Screen::start_program(
        "runuser",
        &["-u", &bob, "--", "env", &agent_env, WARROOM, "watch", run],
        30,
        110,
        tempfile::tempdir().unwrap(),
    );
    w.wait_for("READ-ONLY", 15);
    // A gate waits for his vote: the footer says how.
    w.wait_for("v your vote", 5);
    w.keys("v");
    w.wait_for("Your vote", 5);
    w.wait_for("Signed with your key (the runbook asks it)", 5);
    w.keys("G");
    w.wait_for("hand it in", 5);
    w.keys("on call, watching\r");
    s.wait_for("GO 2/3", 10);
    w.wait_for("GO on go for SRE on call ✓ signed", 10);
    drop(w);
    let votes: Vec<String> = journal()
        .lines()
        .filter(|l| l.contains("\"gate_vote\""))
        .map(str::to_owned)
        .collect();
    assert_eq!(votes.len(), 2, "{votes:?}");
    assert!(
        votes.iter().all(|l| l.contains("BEGIN SSH SIGNATURE")),
        "{votes:?}"
    );
    // The driver's gate dialog says each is signed.
    s.keys("j");
    s.keys("g");
    let dialog = s.wait_for("GO ✓ signed", 5);
    assert_eq!(dialog.matches("GO ✓ signed").count(), 2, "{dialog}");
    s.keys("\x1b");

    // Alice's counted vote, handed in again: the gate is decided.
    let done = std::fs::read_dir(run_dir.join("votes/done"))
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().contains(&alice))
        .unwrap();
    refused(&s, std::fs::read(done.path()).unwrap(), "already decided");

    s.keys("\r");
    s.wait_for("Run this step?", 5);
    s.keys("y");
    s.wait_for("ok ", 10);

    // The record proves itself: both signatures hold, checked again.
    let verify = |dir: &Path| {
        let out = Command::new(WARROOM)
            .args(["report", "--verify"])
            .arg(dir)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, said) = verify(&run_dir);
    assert_eq!(code, Some(0), "{said}");
    assert_eq!(said.matches("signed by SHA256:").count(), 2, "{said}");

    // ssh-keygen agrees: Alice's vote, rebuilt from the record, verifies under her key.
    let records = warroom::journal::read(&run_dir.join("journal.jsonl"))
        .unwrap()
        .0;
    let (rec, sig) = records
        .iter()
        .find_map(|r| match &r.event {
            warroom::app::event::Event::GateVote {
                signature: Some(sig),
                ..
            } if r.by.user == alice => Some((r, sig)),
            _ => None,
        })
        .unwrap();
    let warroom::app::event::Event::GateVote { evidence, .. } = &rec.event else {
        unreachable!()
    };
    let evidence = warroom::signing::evidence_hash(evidence);
    let message = rec.event.ballot(&evidence).unwrap().0.message();
    let check = tempfile::tempdir().unwrap();
    std::fs::write(check.path().join("sig"), &sig.sshsig).unwrap();
    std::fs::write(
        check.path().join("signers"),
        format!("{alice} {alice_pub}\n"),
    )
    .unwrap();
    let mut child = Command::new("ssh-keygen")
        .args(["-Y", "verify", "-n", "warroom-vote", "-I", &alice, "-f"])
        .arg(check.path().join("signers"))
        .arg("-s")
        .arg(check.path().join("sig"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &message).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");

    // A journal rewritten whole with Alice's note changed, by someone thorough: every line
    // relinked and every checkpoint in it made to match. The chain holds; her signature
    // does not (and the checkpoints posted to the webhook would not match either).
    s.keys("q");
    let copy = tempfile::tempdir().unwrap();
    let (mut bytes, mut prev, mut hashes) = (Vec::new(), warroom::journal::GENESIS, Vec::new());
    for r in &records {
        let mut r = r.clone();
        match &mut r.event {
            warroom::app::event::Event::GateVote { note, .. } if r.by.user == alice => {
                *note = "approved without reservations".into();
            }
            warroom::app::event::Event::Checkpoint { records, head, .. } => {
                *head = warroom::journal::hex(&hashes[*records as usize - 1]);
            }
            _ => {}
        }
        let line = warroom::journal::encode(&r, &prev);
        prev = warroom::journal::line_hash(&line);
        hashes.push(prev);
        bytes.extend(line);
    }
    std::fs::write(copy.path().join("journal.jsonl"), bytes).unwrap();
    let (code, said) = verify(copy.path());
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains(&format!(
            "record {}, lead's vote on gate go, does not hold",
            rec.seq
        )) && said.contains("not over what this vote says"),
        "{said}"
    );
}

/// Bob's ssh-agent, stopped when the test ends, even when it fails.
struct Agent(std::process::Child);

impl Drop for Agent {
    fn drop(&mut self) {
        // runuser's child is the agent: its process group goes with it.
        let _ = Command::new("pkill")
            .args(["-P", &self.0.id().to_string()])
            .output();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

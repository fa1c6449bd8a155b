//! The run's `votes/` directory: where approvers hand in their votes from their own
//! terminals (`warroom vote`), and where the driving console, the journal's one writer,
//! picks them up. The file's owner is who voted, by the kernel's word; what the file
//! claims is only which gate, which approver, GO or NO-GO and the note.

use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::app::{VoteFile, VoteRequest};
use crate::runbook::Approver;
use crate::signing::{self, NAMESPACE};

pub const DIR: &str = "votes";
/// Where a vote goes once the driver has journaled it, or refused it.
pub const DONE: &str = "done";
pub const REFUSED: &str = "refused";
/// A vote is a few hundred bytes; anything much larger is not one.
pub const MAX_BYTES: u64 = 64 * 1024;

/// The vote files waiting in `run_dir`, oldest first, each read or said why not, with
/// where the journal head it names stands in the run's journal.
pub fn scan(run_dir: &Path) -> Vec<VoteFile> {
    let mut found = waiting(run_dir);
    if found.is_empty() {
        return found;
    }
    // Read once per batch: votes are rare, and the journal is what the head is held against.
    let journal = std::fs::read(run_dir.join(crate::journal::FILE));
    for v in &mut found {
        v.seen = match (&v.vote, &journal) {
            (Ok(req), Ok(bytes)) => crate::journal::seen_at(bytes, &req.run, &req.head),
            (Err(why), _) => Err(why.clone()),
            (_, Err(e)) => Err(format!("the journal cannot be read: {e}")),
        };
    }
    found
}

fn waiting(run_dir: &Path) -> Vec<VoteFile> {
    let Ok(dir) = std::fs::read_dir(run_dir.join(DIR)) else {
        return Vec::new();
    };
    let mut found: Vec<(std::time::SystemTime, VoteFile)> = dir
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            // A dot-name is a vote still being written; done/ and refused/ are dealt with.
            (name.ends_with(".json") && !name.starts_with('.')).then(|| {
                let meta = e.path().symlink_metadata();
                let at = meta
                    .as_ref()
                    .ok()
                    .and_then(|m| m.modified().ok())
                    .unwrap_or(std::time::UNIX_EPOCH);
                (at, read(&e.path(), name))
            })
        })
        .collect();
    found.sort_by(|a, b| (a.0, &a.1.file).cmp(&(b.0, &b.1.file)));
    found.into_iter().map(|(_, v)| v).collect()
}

/// One vote file: its owner's name, and what it asks.
fn read(path: &Path, file: String) -> VoteFile {
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK)
        .open(path);
    let mut f = match opened {
        Ok(f) => f,
        Err(e) => {
            let why = format!("cannot be read: {e}");
            return VoteFile {
                file,
                user: Err(why.clone()),
                vote: Err(why.clone()),
                seen: Err(why),
            };
        }
    };
    let meta = f.metadata();
    let user = match &meta {
        Ok(m) => nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(m.uid()))
            .ok()
            .flatten()
            .map(|u| u.name)
            .ok_or_else(|| format!("owned by uid {}, who is no user of this host", m.uid())),
        Err(e) => Err(e.to_string()),
    };
    let vote = match meta {
        Ok(m) if !m.is_file() => Err("not a plain file".to_owned()),
        Ok(m) if m.len() > MAX_BYTES => Err(format!(
            "{} bytes: a vote is a few hundred, this is not one",
            m.len()
        )),
        Ok(_) => {
            let mut bytes = Vec::new();
            match (&mut f).take(MAX_BYTES + 1).read_to_end(&mut bytes) {
                Ok(_) => serde_json::from_slice::<VoteRequest>(&bytes)
                    .map_err(|e| format!("not a vote: {e}")),
                Err(e) => Err(format!("cannot be read: {e}")),
            }
        }
        Err(e) => Err(e.to_string()),
    };
    VoteFile {
        file,
        user,
        vote,
        seen: Err("not looked up yet".to_owned()),
    }
}

/// Puts a vote file aside once the driver has decided on it, so it is read once: into
/// `done/` when journaled, `refused/` when not (kept, for whoever asks why).
pub fn file_away(run_dir: &Path, file: &str, accepted: bool) -> std::io::Result<()> {
    let dir = run_dir.join(DIR);
    let to = dir.join(if accepted { DONE } else { REFUSED });
    crate::durable::create_dir(&to, false)?;
    // Only a name the scan found: never a path of someone else's choosing.
    let name = Path::new(file)
        .file_name()
        .ok_or_else(|| std::io::Error::other("not a vote file's name"))?;
    std::fs::rename(dir.join(name), to.join(name))
}

/// Hands a vote in for the driver to pick up: written whole under a dot-name, then renamed
/// into place (`durable::write_atomic`), so the driver never reads half a vote.
pub fn hand_in(run_dir: &Path, user: &str, vote: &VoteRequest) -> std::io::Result<PathBuf> {
    let dir = run_dir.join(DIR);
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let path = dir.join(format!("{stamp}-{user}-{}.json", std::process::id()));
    let bytes = serde_json::to_vec(vote).map_err(std::io::Error::other)?;
    crate::durable::write_atomic(&path, &bytes)?;
    Ok(path)
}

/// What signing a vote came to, for the voter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sealing {
    /// Signed: with which key, found how (`SHA256:… from ssh-agent`).
    Signed(String),
    /// Not signed: the approver has no keys in the runbook, or (with why) none was found.
    Unsigned(Option<String>),
}

/// Signs `vote` as `approver`, when they have keys: with `key` when the voter names one,
/// else the first of their keys their ssh-agent holds, else the first of their own
/// `~/.ssh/id_*` keys the runbook lists. ssh-keygen signs (so an agent's and a FIDO key
/// work); `interactive` lets it ask for a passphrase on the terminal, else a key that needs
/// one is passed over. The signature is checked here as the driver will check it, so a
/// voter hears at once when their key is not the runbook's.
pub fn sign(
    vote: &mut VoteRequest,
    approver: &Approver,
    key: Option<&Path>,
    interactive: bool,
) -> Result<Sealing, String> {
    if approver.keys.is_empty() && key.is_none() {
        return Ok(Sealing::Unsigned(None));
    }
    let found = match key {
        Some(k) => Some((k.to_path_buf(), format!("with {}", k.display()), None)),
        None => from_agent(approver).or_else(|| from_home(approver, interactive)),
    };
    let Some((file, how, temporary)) = found else {
        return Ok(Sealing::Unsigned(Some(format!(
            "none of {}'s keys in the runbook is in your ssh-agent or ~/.ssh (give --key FILE)",
            approver.id
        ))));
    };
    let evidence = signing::evidence_hash(&vote.evidence);
    let message = vote.ballot(&evidence).message();
    let signed = ssh_keygen_sign(&file, &message, interactive);
    if let Some(t) = temporary {
        let _ = std::fs::remove_file(t);
    }
    let sshsig = signed?;
    let sealed = signing::verify(
        &vote.ballot(&evidence),
        &sshsig,
        &approver.keys,
        chrono::Utc::now(),
    )?;
    vote.signature = Some(sshsig);
    vote.key = Some(sealed.fingerprint.clone());
    Ok(Sealing::Signed(format!("{} {how}", sealed.fingerprint)))
}

/// A key file to sign with, how it was found, and a file to remove afterwards.
type Found = (PathBuf, String, Option<PathBuf>);

/// The first of the approver's keys the ssh-agent holds: its public half written to a
/// private temporary file, which ssh-keygen signs with through the agent.
fn from_agent(approver: &Approver) -> Option<Found> {
    std::env::var_os("SSH_AUTH_SOCK")?;
    let out = std::process::Command::new("ssh-add")
        .arg("-L")
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let listed = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = listed.lines().find(|l| {
        signing::parse_key(l).is_ok_and(|k| {
            approver
                .keys
                .iter()
                .any(|t| t.key.key_data() == k.key_data())
        })
    })?;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let path =
        std::env::temp_dir().join(format!("warroom-vote-{}-{stamp}.pub", std::process::id()));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .ok()?;
    std::io::Write::write_all(&mut f, format!("{line}\n").as_bytes()).ok()?;
    Some((path.clone(), "from ssh-agent".to_owned(), Some(path)))
}

/// The first of the voter's `~/.ssh/id_*` keys the runbook lists for the approver.
fn from_home(approver: &Approver, interactive: bool) -> Option<Found> {
    let home = nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()?
        .dir;
    [
        "id_ed25519",
        "id_ecdsa",
        "id_ed25519_sk",
        "id_ecdsa_sk",
        "id_rsa",
    ]
    .iter()
    .map(|n| home.join(".ssh").join(n))
    .find(|private| {
        let public = private.with_extension("pub");
        let listed = std::fs::read_to_string(&public)
            .ok()
            .and_then(|t| signing::parse_key(&t).ok())
            .is_some_and(|k| {
                approver
                    .keys
                    .iter()
                    .any(|t| t.key.key_data() == k.key_data())
            });
        // Without a terminal to ask on, only a key that needs no passphrase will do.
        listed
            && (interactive
                || std::fs::read_to_string(private)
                    .ok()
                    .and_then(|t| ssh_key::PrivateKey::from_openssh(t).ok())
                    .is_some_and(|k| !k.is_encrypted()))
    })
    .map(|p| {
        let how = format!("with {}", p.display());
        (p, how, None)
    })
}

/// `ssh-keygen -Y sign -n warroom-vote -f KEY` over `message`: the armored SSHSIG.
fn ssh_keygen_sign(key: &Path, message: &[u8], interactive: bool) -> Result<String, String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("ssh-keygen")
        .args(["-q", "-Y", "sign", "-n", NAMESPACE, "-f"])
        .arg(key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(if interactive {
            Stdio::inherit()
        } else {
            Stdio::piped()
        })
        .spawn()
        .map_err(|e| {
            format!("ssh-keygen cannot be run ({e}): it signs votes (Debian's openssh-client)")
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(message)
            .map_err(|e| format!("ssh-keygen did not take the vote to sign: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("ssh-keygen: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "ssh-keygen could not sign with {}{}",
            key.display(),
            match String::from_utf8_lossy(&out.stderr).trim() {
                "" => String::new(),
                why => format!(": {why}"),
            }
        ));
    }
    String::from_utf8(out.stdout).map_err(|_| "ssh-keygen wrote no signature".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 100 MB file, a binary one, a symlink and half a vote are each said why and never
    /// read whole; a vote written as `hand_in` writes it reads back as it was.
    #[test]
    fn what_is_not_a_vote_is_said_so_and_never_read_whole() {
        let run = tempfile::tempdir().unwrap();
        let dir = run.path().join(DIR);
        std::fs::create_dir(&dir).unwrap();
        let big = std::fs::File::create(dir.join("1-big.json")).unwrap();
        big.set_len(100 * 1024 * 1024).unwrap();
        std::fs::write(dir.join("2-bin.json"), [0u8, 159, 146, 150, 255]).unwrap();
        std::os::unix::fs::symlink("/etc/shadow", dir.join("3-link.json")).unwrap();
        std::fs::write(dir.join(".4-half.json"), b"{\"gate\":").unwrap();
        let vote = VoteRequest {
            gate: "go".into(),
            approver: "lead".into(),
            decision: crate::app::event::VoteDecision::NoGo,
            note: "EU latency".into(),
            ssh: None,
            run: "r".into(),
            head: "h".into(),
            evidence: vec!["p95: 240 ms".into()],
            signature: None,
            key: None,
        };
        hand_in(run.path(), "alice", &vote).unwrap();
        let found = scan(run.path());
        let why = |stem: &str| {
            found
                .iter()
                .find(|v| v.file.contains(stem))
                .map(|v| v.vote.clone())
                .unwrap()
        };
        assert!(why("-big").unwrap_err().contains("is not one"));
        assert!(why("-bin").unwrap_err().contains("not a vote"));
        assert!(why("-link").is_err());
        assert!(
            !found.iter().any(|v| v.file.contains("half")),
            "still being written"
        );
        assert_eq!(why("-alice-").unwrap(), vote);
        // Put aside once decided.
        let alice = found.iter().find(|v| v.file.contains("-alice-")).unwrap();
        file_away(run.path(), &alice.file, true).unwrap();
        assert!(dir.join(DONE).join(&alice.file).is_file());
        assert!(!scan(run.path()).iter().any(|v| v.file == alice.file));
    }
}

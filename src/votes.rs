//! The run's `votes/` directory: where approvers hand in their votes from their own
//! terminals (`warroom vote`), and where the driving console, the journal's one writer,
//! picks them up. The file's owner is who voted, by the kernel's word; what the file
//! claims is only which gate, which approver, GO or NO-GO and the note.

use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::app::{VoteFile, VoteRequest};

pub const DIR: &str = "votes";
/// Where a vote goes once the driver has journaled it, or refused it.
pub const DONE: &str = "done";
pub const REFUSED: &str = "refused";
/// A vote is a few hundred bytes; anything much larger is not one.
pub const MAX_BYTES: u64 = 64 * 1024;

/// The vote files waiting in `run_dir`, oldest first, each read or said why not.
pub fn scan(run_dir: &Path) -> Vec<VoteFile> {
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
                vote: Err(why),
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
    VoteFile { file, user, vote }
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

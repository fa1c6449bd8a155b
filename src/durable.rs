//! Durable file operations shared by the journal, the driver lock and the step supervisor:
//! atomic replacement, directory fsync, and advisory locks that the kernel releases when
//! their holder dies (so a lock is never stale, and never needs unlinking).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

/// Makes a directory's entries (a created, renamed or removed file) durable.
pub fn fsync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Writes `bytes` to a temporary file beside `path`, fsyncs it, renames it into place and
/// fsyncs the directory: a reader sees the old file or the whole new one, even after a crash.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut f = File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)?;
    fsync_dir(dir)
}

/// An exclusive `flock` held for as long as the value lives (or the process does).
pub type Held = Flock<File>;

/// Opens (creating it if needed) and locks `path` without waiting: `Ok(None)` when another
/// process holds it.
pub fn try_lock(path: &Path) -> std::io::Result<Option<Held>> {
    match Flock::lock(lock_file(path)?, FlockArg::LockExclusiveNonblock) {
        Ok(held) => Ok(Some(held)),
        Err((_, Errno::EWOULDBLOCK)) => Ok(None),
        Err((_, e)) => Err(std::io::Error::from(e)),
    }
}

/// Opens (creating it if needed) and locks `path`, waiting for the holder to let go.
pub fn lock(path: &Path) -> std::io::Result<Held> {
    Flock::lock(lock_file(path)?, FlockArg::LockExclusive).map_err(|(_, e)| std::io::Error::from(e))
}

/// A lock file is created once and never truncated or unlinked: the lock is on its inode.
fn lock_file(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

/// Whether a live process holds the lock on `path` (a missing file is not held). The probe
/// takes the lock for an instant when it is free; holders wait with [`lock`], never fail.
pub fn is_locked(path: &Path) -> std::io::Result<bool> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    match Flock::lock(file, FlockArg::LockSharedNonblock) {
        Ok(_) => Ok(false),
        Err((_, Errno::EWOULDBLOCK)) => Ok(true),
        Err((_, e)) => Err(std::io::Error::from(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_is_seen_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.lock");
        assert!(!is_locked(&p).unwrap(), "no file, no holder");
        let held = try_lock(&p).unwrap().expect("free");
        // flock locks belong to open file descriptions: a second open conflicts even here.
        assert!(try_lock(&p).unwrap().is_none());
        assert!(is_locked(&p).unwrap());
        drop(held);
        assert!(!is_locked(&p).unwrap());
        assert!(try_lock(&p).unwrap().is_some());
    }

    #[test]
    fn atomic_write_replaces_whole() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("exit.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file left behind");
    }
}

//! Durable file operations shared by the journal, the driver lock and the step supervisor:
//! atomic replacement, directory fsync, advisory locks that the kernel releases when
//! their holder dies (so a lock is never stale, and never needs unlinking), and the modes
//! of everything in a run directory.
//!
//! **Who may read a run** is a property of the run directory itself: `0700`, its owner's
//! alone, or `2750` with a group (`share-with`) whose members watch it. Every process that
//! writes there (the console, the step supervisor, the demo target, a watcher's heartbeat)
//! sets each directory's and file's mode from it explicitly (`0700`/`0600`, or
//! `2750`/`0640`), never leaving it to its umask; nothing is ever world-readable.

use std::fs::{File, OpenOptions, Permissions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

/// The directory `path` is in: `.` for a bare name (`draft.toml`), whose `parent()` is
/// the empty path, which no system call opens.
pub fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Makes a directory's entries (a created, renamed or removed file) durable.
pub fn fsync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Writes `bytes` to a temporary file beside `path`, fsyncs it, renames it into place and
/// fsyncs the directory: a reader sees the old file or the whole new one, even after a crash.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = parent(path);
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut f = create(&tmp, OpenOptions::new().write(true).truncate(true))?;
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
    create(
        path,
        OpenOptions::new().read(true).write(true).truncate(false),
    )
}

/// Whether the directory is shared with its group (`share-with`): group-readable.
fn shared(dir: &Path) -> bool {
    std::fs::metadata(dir).is_ok_and(|m| m.mode() & 0o040 != 0)
}

/// The mode of a file in `dir`: `0640` in a shared run, `0600` otherwise.
pub fn file_mode(dir: &Path) -> u32 {
    if shared(dir) { 0o640 } else { 0o600 }
}

/// Opens `path` with `options`, creating it if needed, with the mode its directory gives
/// set explicitly (a umask never decides it). A shared run's directories carry the set-gid
/// bit, so the file is the group's too.
pub fn create(path: &Path, options: &mut OpenOptions) -> std::io::Result<File> {
    let dir = parent(path);
    let mode = file_mode(dir);
    let file = options.create(true).mode(mode).open(path)?;
    set_mode(&file, mode)?;
    Ok(file)
}

/// Writes a whole small file (created or replaced) with its directory's file mode.
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    create(path, OpenOptions::new().write(true).truncate(true))?.write_all(bytes)
}

/// Sets a file's mode, unless it is already that; a file someone else owns (another
/// operator's, after a takeover) keeps its own.
fn set_mode(file: &File, mode: u32) -> std::io::Result<()> {
    let now = file.metadata()?.mode() & 0o7777;
    match file.set_permissions(Permissions::from_mode(mode)) {
        Err(e) if now == mode || e.kind() == std::io::ErrorKind::PermissionDenied => Ok(()),
        other => other,
    }
}

/// Creates `dir` (and its missing parents inside the run) with the mode of the directory
/// above it: `0700`, or `2750` in a shared run. `group_writes` makes a shared one `3770`
/// (the watchers' heartbeats, which group members write).
pub fn create_dir(dir: &Path, group_writes: bool) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let parent = parent(dir);
    if !parent.is_dir() {
        create_dir(parent, false)?;
    }
    let mode = match (shared(parent), group_writes) {
        // Sticky too: each member may remove only what they wrote.
        (true, true) => 0o3770,
        (true, false) => 0o2750,
        (false, _) => 0o700,
    };
    match std::fs::DirBuilder::new().mode(mode).create(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(e),
        _ => {}
    }
    std::fs::set_permissions(dir, Permissions::from_mode(mode))
}

/// Creates the run directory (its parents as the system makes them) private to its owner,
/// or shared with `group`'s members (`2750`, the group set). Refuses a parent anyone may
/// write without the sticky bit: someone else could put their own directory in its place.
pub fn create_run_dir(dir: &Path, group: Option<nix::unistd::Gid>) -> std::io::Result<()> {
    let parent = parent(dir).to_path_buf();
    std::fs::create_dir_all(&parent)?;
    let pm = std::fs::metadata(&parent)?.mode();
    if pm & 0o002 != 0 && pm & 0o1000 == 0 {
        return Err(std::io::Error::other(format!(
            "{} is writable by anyone and not sticky: another user could replace the run directory there; choose another place (--run-dir) or `chmod +t` it",
            parent.display()
        )));
    }
    let fresh = !dir.exists();
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(e),
        _ => {}
    }
    match group {
        Some(gid) => {
            nix::unistd::chown(dir, None, Some(gid)).map_err(std::io::Error::from)?;
            std::fs::set_permissions(dir, Permissions::from_mode(0o2750))?;
        }
        None if fresh => std::fs::set_permissions(dir, Permissions::from_mode(0o700))?,
        // A run shared before stays shared with its group; one an older warroom left
        // readable by anyone is closed to them.
        None => {
            let mode = std::fs::metadata(dir)?.mode() & 0o7777;
            if mode & 0o007 != 0 {
                std::fs::set_permissions(dir, Permissions::from_mode(mode & !0o007))?;
            }
        }
    }
    Ok(())
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

//! The supervisor: a detached `warroom __supervise` process that runs one step so the step
//! does not depend on the console. It leaves its own session, starts the command in a
//! process group of its own with output appended to `output.log`, enforces the timeout,
//! turns SIGTERM/SIGINT/SIGHUP into a cancel of the whole group, and writes `exit.json`.
//! It holds an `flock` on `lock` while it lives, so a console that comes back knows a run
//! is still going by the lock (the kernel drops it when the supervisor dies, however it
//! dies), not by a PID that may have been reused.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use nix::sys::signal::{self, Signal};
use nix::unistd::Pid;

pub const OUTPUT: &str = "output.log";
pub const EXIT: &str = "exit.json";
pub const PID: &str = "supervisor.pid";
pub const LOCK: &str = "lock";
/// Time a process group gets between SIGTERM and SIGKILL.
pub const GRACE: Duration = Duration::from_secs(3);

pub use crate::app::Exit;

static CANCEL: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(sig: i32) {
    CANCEL.store(sig, Ordering::SeqCst);
}

/// Runs `argv` in `dir` (the step's record directory); returns the process exit code.
pub fn run(dir: &Path, timeout: Option<Duration>, argv: &[String]) -> i32 {
    // A new session: no controlling terminal, so a dropped SSH session's SIGHUP cannot reach us.
    let _ = nix::unistd::setsid();
    // Held until this process ends, after exit.json is in place.
    let _lock = match crate::durable::lock(&dir.join(LOCK)) {
        Ok(l) => Some(l),
        Err(e) => {
            let _ = append(
                dir,
                &format!("warroom: cannot lock the run's lock file: {e}\n"),
            );
            None
        }
    };
    let _ = crate::durable::write(&dir.join(PID), std::process::id().to_string().as_bytes());
    for sig in [Signal::SIGTERM, Signal::SIGINT, Signal::SIGHUP] {
        let action = signal::SigAction::new(
            signal::SigHandler::Handler(on_signal),
            signal::SaFlags::empty(),
            signal::SigSet::empty(),
        );
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        #[allow(unsafe_code)]
        unsafe {
            let _ = signal::sigaction(sig, &action);
        }
    }
    let started = Instant::now();
    let exit = match spawn(dir, argv) {
        Err(e) => {
            let _ = append(
                dir,
                &format!(
                    "warroom: cannot start `{}`: {e}\n",
                    argv.first().map_or("", String::as_str)
                ),
            );
            Exit {
                code: None,
                signal: None,
                reason: Some(format!("cannot start: {e}")),
                seconds: 0.0,
            }
        }
        Ok(mut child) => {
            let pgid = Pid::from_raw(child.id() as i32);
            let mut reason = None;
            let status = loop {
                match child.try_wait() {
                    Ok(Some(status)) => break Some(status),
                    Ok(None) => {}
                    Err(_) => break None,
                }
                let cancel = CANCEL.load(Ordering::SeqCst);
                let timed_out = timeout.is_some_and(|t| started.elapsed() >= t);
                if reason.is_none() && (cancel != 0 || timed_out) {
                    reason = Some(if timed_out {
                        format!("timeout after {}s", timeout.map_or(0, |t| t.as_secs()))
                    } else {
                        "cancelled".to_owned()
                    });
                    let _ = append(
                        dir,
                        &format!(
                            "warroom: {}: sending SIGTERM to the process group\n",
                            reason.as_deref().unwrap_or("")
                        ),
                    );
                    break terminate(&mut child, pgid, dir);
                }
                std::thread::sleep(Duration::from_millis(50));
            };
            Exit {
                code: status.and_then(|s| s.code()),
                signal: status.and_then(|s| s.signal()),
                reason,
                seconds: started.elapsed().as_secs_f64(),
            }
        }
    };
    let code = exit.code.unwrap_or(1);
    write_exit(dir, &exit);
    code
}

fn spawn(dir: &Path, argv: &[String]) -> std::io::Result<std::process::Child> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| std::io::Error::other("empty command"))?;
    let out = crate::durable::create(&dir.join(OUTPUT), OpenOptions::new().append(true))?;
    let err = out.try_clone()?;
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0)
        .spawn()
}

/// SIGTERM to the whole group, SIGKILL after the grace period.
fn terminate(
    child: &mut std::process::Child,
    pgid: Pid,
    dir: &Path,
) -> Option<std::process::ExitStatus> {
    let _ = signal::killpg(pgid, Signal::SIGTERM);
    let deadline = Instant::now() + GRACE;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            // The leader is gone; make sure no straggler of its group survives.
            let _ = signal::killpg(pgid, Signal::SIGKILL);
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = append(
        dir,
        "warroom: still running after SIGTERM: sending SIGKILL\n",
    );
    let _ = signal::killpg(pgid, Signal::SIGKILL);
    child.wait().ok()
}

fn append(dir: &Path, text: &str) -> std::io::Result<()> {
    crate::durable::create(&dir.join(OUTPUT), OpenOptions::new().append(true))?
        .write_all(text.as_bytes())
}

/// Written whole, fsync'd, renamed into place and the directory fsync'd: a reader sees
/// no status or the whole one, even after a crash. The output is made durable first.
fn write_exit(dir: &Path, exit: &Exit) {
    if let Ok(f) = File::open(dir.join(OUTPUT)) {
        let _ = f.sync_all();
    }
    if let Ok(bytes) = serde_json::to_vec(exit) {
        let _ = crate::durable::write_atomic(&dir.join(EXIT), &bytes);
    }
}

pub fn read_exit(dir: &Path) -> Option<Exit> {
    serde_json::from_slice(&std::fs::read(dir.join(EXIT)).ok()?).ok()
}

/// Whether the run's supervisor is alive: it holds the run's lock.
pub fn is_alive(dir: &Path) -> bool {
    crate::durable::is_locked(&dir.join(LOCK)).unwrap_or(false)
}

/// The supervisor's PID, only while its lock shows it alive.
pub fn live_pid(dir: &Path) -> Option<i32> {
    let pid = std::fs::read_to_string(dir.join(PID))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    is_alive(dir).then_some(pid)
}

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

/// The secrets the console hands over on standard input (a JSON list), when it is a pipe.
fn secrets_from_stdin() -> Vec<String> {
    use std::io::Read;
    use std::os::unix::fs::FileTypeExt;
    let stdin = std::io::stdin();
    let is_pipe = File::open("/proc/self/fd/0")
        .and_then(|f| f.metadata())
        .is_ok_and(|m| m.file_type().is_fifo());
    if !is_pipe {
        return Vec::new();
    }
    let mut text = Vec::new();
    let _ = stdin.lock().read_to_end(&mut text);
    serde_json::from_slice(&text).unwrap_or_default()
}

/// Runs `argv` in `dir` (the step's record directory); returns the process exit code.
pub fn run(dir: &Path, timeout: Option<Duration>, argv: &[String]) -> i32 {
    let secrets = secrets_from_stdin();
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
    let mut copier = None;
    let exit = match spawn(dir, argv, secrets, &mut copier) {
        Err(e) => {
            // Which program, and why in plain words: the path is what the operator fixes.
            let why = format!(
                "cannot start {}: {}",
                argv.first().map_or("", String::as_str),
                crate::monitor::http::io_reason(&e)
            );
            let _ = append(dir, &format!("warroom: {why} ({e})\n"));
            Exit {
                code: None,
                signal: None,
                reason: Some(why),
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
    // The output, all of it, is in its file before the status says the run ended; a
    // process the step left behind holding the pipe gets a moment, not forever.
    if let Some(copier) = copier {
        let deadline = Instant::now() + DRAIN;
        while !copier.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        if copier.is_finished() {
            let _ = copier.join();
        }
    }
    let code = exit.code.unwrap_or(1);
    write_exit(dir, &exit);
    code
}

/// How long the output's copier may go on after the step's process ended (its pipe held
/// open by a process it left in the background).
const DRAIN: Duration = Duration::from_secs(2);

/// Starts the step's process, its output and errors into one pipe that a thread copies to
/// `output.log` with the run's secrets masked (a value split across two reads included).
/// Without secrets the process writes to the file itself.
fn spawn(
    dir: &Path,
    argv: &[String],
    secrets: Vec<String>,
    copier: &mut Option<std::thread::JoinHandle<()>>,
) -> std::io::Result<std::process::Child> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| std::io::Error::other("empty command"))?;
    let mut out = crate::durable::create(&dir.join(OUTPUT), OpenOptions::new().append(true))?;
    let mut masker = crate::secrets::Masker::new(secrets);
    let mut cmd = Command::new(program);
    cmd.args(args).stdin(Stdio::null()).process_group(0);
    if masker.is_empty() {
        cmd.stdout(out.try_clone()?).stderr(out);
        return cmd.spawn();
    }
    let (mut reader, writer) = std::io::pipe()?;
    cmd.stdout(writer.try_clone()?).stderr(writer);
    let child = cmd.spawn()?;
    // The pipe's write ends live on in the child only: EOF comes when it (and what it
    // started) are done.
    drop(cmd);
    *copier = Some(std::thread::spawn(move || {
        use std::io::Read;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let _ = out.write_all(&masker.push(&buf[..n]));
                }
            }
        }
        let _ = out.write_all(&masker.finish());
    }));
    Ok(child)
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

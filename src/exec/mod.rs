//! Running steps: each run gets a record directory in the run directory and a detached
//! supervisor; the console only tails the files, so a run survives the console.

pub mod supervise;

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{self, Signal};
use nix::unistd::Pid;
use tokio::sync::mpsc;

use crate::app::{Action, Exit, Observation, Target};
use crate::runbook::Command;

/// Bytes read from a log per look, so a flood reaches the UI in bounded slices.
pub const READ_SLICE: usize = 512 * 1024;
const POLL: Duration = Duration::from_millis(100);

pub struct Executor {
    /// The `warroom` binary, which supervises runs (`warroom __supervise`).
    supervisor: PathBuf,
    run_dir: PathBuf,
    cwd: PathBuf,
    vars: Vec<(String, String)>,
    /// The values no output file may hold: handed to each step's supervisor on its
    /// standard input (never in a file, an argument or an environment variable).
    secrets: Vec<String>,
    tx: mpsc::Sender<Action>,
    /// The record directory of each run started or re-attached, for cancelling it.
    dirs: HashMap<Target, PathBuf>,
}

impl Executor {
    pub fn new(
        supervisor: PathBuf,
        run_dir: PathBuf,
        cwd: PathBuf,
        vars: Vec<(String, String)>,
        secrets: Vec<String>,
        tx: mpsc::Sender<Action>,
    ) -> Self {
        Self {
            supervisor,
            run_dir,
            cwd,
            vars,
            secrets,
            tx,
            dirs: HashMap::new(),
        }
    }

    /// `steps/<name>.<attempt>`: the attempt comes from the journal, so a directory that
    /// exists already belongs to another run and is never reused.
    pub fn record_dir(&self, name: &str, attempt: u32) -> PathBuf {
        record_dir(&self.run_dir, name, attempt)
    }

    fn create_record_dir(&self, name: &str, attempt: u32) -> std::io::Result<PathBuf> {
        let base = self.run_dir.join("steps");
        crate::durable::create_dir(&base, false)?;
        let dir = self.record_dir(name, attempt);
        if dir.exists() {
            return Err(std::io::Error::other(format!(
                "{} exists already",
                dir.display()
            )));
        }
        crate::durable::create_dir(&dir, false)?;
        crate::durable::fsync_dir(&base)?;
        Ok(dir)
    }

    pub fn run(
        &mut self,
        target: Target,
        name: &str,
        attempt: u32,
        command: &Command,
        timeout: Option<chrono::TimeDelta>,
        env: &[(String, String)],
    ) {
        let argv: Vec<String> = match command {
            Command::Argv(a) => a.clone(),
            Command::Shell(s) => vec!["/bin/sh".into(), "-c".into(), s.clone()],
        };
        let started = self.create_record_dir(name, attempt).and_then(|dir| {
            crate::durable::write(
                &dir.join("command.json"),
                &serde_json::to_vec(&argv).unwrap_or_default(),
            )?;
            let mut cmd = std::process::Command::new(&self.supervisor);
            cmd.arg("__supervise").arg("--dir").arg(&dir);
            if let Some(t) = timeout.and_then(|t| t.to_std().ok()) {
                cmd.arg("--timeout").arg(t.as_secs_f64().to_string());
            }
            cmd.arg("--").args(&argv);
            cmd.current_dir(&self.cwd)
                .env("WARROOM_RUN_DIR", &self.run_dir)
                .envs(self.vars.iter().map(|(k, v)| (k, v)))
                .envs(env.iter().map(|(k, v)| (k, v)))
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            let mut child = cmd.spawn()?;
            // The secrets to keep out of the output file, then end of input.
            if let Some(mut stdin) = child.stdin.take() {
                use std::io::Write;
                let _ = stdin.write_all(&serde_json::to_vec(&self.secrets).unwrap_or_default());
            }
            Ok((dir, child))
        });
        match started {
            Ok((dir, child)) => {
                // Reap the supervisor so it does not linger as a zombie.
                tokio::task::spawn_blocking(move || {
                    let mut child = child;
                    let _ = child.wait();
                });
                self.dirs.insert(target, dir.clone());
                follow(target, dir, self.tx.clone());
            }
            Err(e) => {
                let tx = self.tx.clone();
                let exit = Exit::not_started(format!("cannot start: {e}"));
                tokio::spawn(async move {
                    let _ = tx.send(Action::RunFinished { target, exit }).await;
                });
            }
        }
    }

    /// Takes up a run the journal left open: a live supervisor (it holds the lock) is
    /// followed, an exit status is reported, and a run with neither is reported lost.
    pub fn reattach(&mut self, target: Target, name: &str, attempt: u32) {
        let dir = self.record_dir(name, attempt);
        self.dirs.insert(target, dir.clone());
        let tx = self.tx.clone();
        tokio::spawn(async move {
            // No record directory: the console died between recording the start and
            // starting it, so it certainly never ran.
            if !dir.exists() {
                let exit = Exit::not_started(
                    "not started: the console stopped before starting it".to_owned(),
                );
                let _ = tx.send(Action::RunFinished { target, exit }).await;
                return;
            }
            // A supervisor started an instant before the console died may not hold its
            // lock yet: look again for a moment before calling the run lost.
            for _ in 0..10 {
                if supervise::is_alive(&dir) || supervise::read_exit(&dir).is_some() {
                    follow(target, dir, tx);
                    return;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            let _ = tx.send(Action::RunLost { target }).await;
        });
    }

    /// Runs a step's verify command in the background; answers with `VerifyDone`.
    pub fn verify(
        &self,
        step: usize,
        argv: Vec<String>,
        expect: Option<String>,
        timeout: chrono::TimeDelta,
    ) {
        let (tx, vars, cwd) = (self.tx.clone(), self.vars.clone(), self.cwd.clone());
        let timeout = timeout.to_std().unwrap_or(Duration::from_secs(60));
        tokio::spawn(async move {
            let result =
                crate::monitor::command::verify(&argv, expect.as_deref(), timeout, &vars, &cwd)
                    .await;
            let _ = tx.send(Action::VerifyDone { step, result }).await;
        });
    }

    /// Sends the end of a finished run's output file to the console (after a restart the
    /// pane would otherwise be empty).
    pub fn show_output(&mut self, target: Target, name: &str, attempt: u32) {
        let dir = self.record_dir(name, attempt);
        self.dirs.insert(target, dir.clone());
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let log = dir.join(supervise::OUTPUT);
            let Some((bytes, _)) = read_new(&log, 0, READ_SLICE as u64) else {
                return;
            };
            let _ = tx.send(Action::RunSpawned { target, log }).await;
            let _ = tx
                .send(Action::Observed(Observation::RunOutput { target, bytes }))
                .await;
        });
    }

    /// Asks the supervisor to cancel: it terminates the whole process group. The PID is
    /// only used while the supervisor's lock shows it alive, so it cannot be someone else's.
    pub fn cancel(&mut self, target: Target) {
        let Some(dir) = self.dirs.get(&target) else {
            return;
        };
        if let Some(pid) = supervise::live_pid(dir) {
            let _ = signal::kill(Pid::from_raw(pid), Signal::SIGTERM);
        }
    }
}

/// Streams a run's output into the console, then its exit status.
fn follow(target: Target, dir: PathBuf, tx: mpsc::Sender<Action>) {
    let log = dir.join(supervise::OUTPUT);
    tokio::spawn(async move {
        if tx
            .send(Action::RunSpawned {
                target,
                log: log.clone(),
            })
            .await
            .is_ok()
        {
            tail(target, &dir, tx).await;
        }
    });
}

/// Follows a run's output file until its exit file appears and the output is read to the end.
pub async fn tail(target: Target, dir: &Path, tx: mpsc::Sender<Action>) {
    let log = dir.join(supervise::OUTPUT);
    let mut offset = 0u64;
    let mut buf = vec![0u8; READ_SLICE];
    loop {
        let exit = supervise::read_exit(dir);
        let n = read_from(&log, offset, &mut buf).unwrap_or(0);
        if n > 0 {
            offset += n as u64;
            if tx
                .send(Action::Observed(Observation::RunOutput {
                    target,
                    bytes: buf[..n].to_vec(),
                }))
                .await
                .is_err()
            {
                return;
            }
            continue;
        }
        if let Some(exit) = exit {
            let _ = tx.send(Action::RunFinished { target, exit }).await;
            return;
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Whether any run's supervisor in the run directory is still alive (holds its lock).
pub fn any_running(run_dir: &Path) -> bool {
    std::fs::read_dir(run_dir.join("steps"))
        .map(|entries| entries.flatten().any(|e| supervise::is_alive(&e.path())))
        .unwrap_or(false)
}

/// `<run_dir>/steps/<name>.<attempt>`: where one attempt of a run keeps its files.
pub fn record_dir(run_dir: &Path, name: &str, attempt: u32) -> PathBuf {
    run_dir.join("steps").join(format!("{name}.{attempt}"))
}

/// What a growing output file holds past `offset`, one slice at most, and the offset after
/// it; a long history is read from no further back than `back` bytes before its end (as a
/// pane holds only its end). `None` when there is nothing new.
pub fn read_new(log: &Path, offset: u64, back: u64) -> Option<(Vec<u8>, u64)> {
    let len = std::fs::metadata(log).map_or(0, |m| m.len());
    if len <= offset {
        return None;
    }
    let from = offset.max(len.saturating_sub(back));
    let mut buf = vec![0u8; READ_SLICE];
    let n = read_from(log, from, &mut buf).ok().filter(|n| *n > 0)?;
    buf.truncate(n);
    Some((buf, from + n as u64))
}

fn read_from(path: &Path, offset: u64, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut f = std::fs::File::open(path)?;
    f.seek(SeekFrom::Start(offset))?;
    f.read(buf)
}

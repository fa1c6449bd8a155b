//! Running steps: each run gets a record directory in the run directory and a detached
//! supervisor; the console only tails the files, so a run survives the console.

pub mod supervise;

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nix::sys::signal::{self, Signal};
use nix::unistd::Pid;
use tokio::sync::mpsc;

use crate::app::{Action, Target};
use crate::runbook::Command;

/// Bytes read from a log per look, so a flood reaches the UI in bounded slices.
const READ_SLICE: usize = 512 * 1024;
const POLL: Duration = Duration::from_millis(100);

pub struct Executor {
    /// The `warroom` binary, which supervises runs (`warroom __supervise`).
    supervisor: PathBuf,
    run_dir: PathBuf,
    cwd: PathBuf,
    vars: Vec<(String, String)>,
    tx: mpsc::Sender<Action>,
    /// Supervisors still running, by what they run. An entry goes when its process is
    /// reaped, so a cancel can never signal a PID the system has handed to someone else.
    pids: Arc<Mutex<HashMap<Target, u32>>>,
}

impl Executor {
    pub fn new(
        supervisor: PathBuf,
        run_dir: PathBuf,
        cwd: PathBuf,
        vars: Vec<(String, String)>,
        tx: mpsc::Sender<Action>,
    ) -> Self {
        Self {
            supervisor,
            run_dir,
            cwd,
            vars,
            tx,
            pids: Arc::default(),
        }
    }

    /// A fresh record directory: `steps/<name>.<attempt>`.
    fn record_dir(&self, name: &str) -> std::io::Result<PathBuf> {
        let base = self.run_dir.join("steps");
        std::fs::create_dir_all(&base)?;
        for attempt in 1.. {
            let dir = base.join(format!("{name}.{attempt}"));
            match std::fs::create_dir(&dir) {
                Ok(()) => return Ok(dir),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
        unreachable!("attempt numbers are unbounded")
    }

    pub fn run(
        &mut self,
        target: Target,
        name: &str,
        command: &Command,
        timeout: Option<chrono::TimeDelta>,
        env: &[(String, String)],
    ) {
        let argv: Vec<String> = match command {
            Command::Argv(a) => a.clone(),
            Command::Shell(s) => vec!["/bin/sh".into(), "-c".into(), s.clone()],
        };
        let started = self.record_dir(name).and_then(|dir| {
            std::fs::write(
                dir.join("command.json"),
                serde_json::to_vec(&argv).unwrap_or_default(),
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
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            let child = cmd.spawn()?;
            Ok((dir, child))
        });
        match started {
            Ok((dir, child)) => {
                let pid = child.id();
                lock(&self.pids).insert(target, pid);
                let pids = self.pids.clone();
                tokio::task::spawn_blocking(move || {
                    // Reap the supervisor so it does not linger as a zombie, then forget it.
                    let mut child = child;
                    let _ = child.wait();
                    let mut pids = lock(&pids);
                    if pids.get(&target) == Some(&pid) {
                        pids.remove(&target);
                    }
                });
                let tx = self.tx.clone();
                let log = dir.join(supervise::OUTPUT);
                tokio::spawn(async move {
                    if tx
                        .send(Action::RunStarted {
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
            Err(e) => {
                let tx = self.tx.clone();
                let reason = format!("cannot start: {e}");
                tokio::spawn(async move {
                    let _ = tx
                        .send(Action::RunFinished {
                            target,
                            result: Err(reason),
                        })
                        .await;
                });
            }
        }
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

    /// Asks the supervisor to cancel: it terminates the whole process group.
    pub fn cancel(&mut self, target: Target) {
        if let Some(pid) = lock(&self.pids).get(&target) {
            let _ = signal::kill(Pid::from_raw(*pid as i32), Signal::SIGTERM);
        }
    }
}

/// The PID table; a panic elsewhere while it was held leaves it usable.
fn lock(pids: &Mutex<HashMap<Target, u32>>) -> std::sync::MutexGuard<'_, HashMap<Target, u32>> {
    pids.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
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
                .send(Action::RunOutput {
                    target,
                    bytes: buf[..n].to_vec(),
                })
                .await
                .is_err()
            {
                return;
            }
            continue;
        }
        if let Some(exit) = exit {
            let _ = tx
                .send(Action::RunFinished {
                    target,
                    result: exit.result(),
                })
                .await;
            return;
        }
        tokio::time::sleep(POLL).await;
    }
}

fn read_from(path: &Path, offset: u64, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut f = std::fs::File::open(path)?;
    f.seek(SeekFrom::Start(offset))?;
    f.read(buf)
}

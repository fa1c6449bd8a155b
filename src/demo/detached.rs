//! The demo target of a run, in a process of its own: a console killed, or whose SSH
//! session dropped, takes nothing with it, so the steps still running call a live target,
//! as they would call production. It keeps its state in the run directory, says where it
//! listens in `demo-target.addr`, and leaves once no console has driven the run for a while.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

/// Where a run's target says it listens (`http://ADDR`) and its PID, one per line.
pub const ADDR_FILE: &str = "demo-target.addr";
/// Its state: traffic, faults, posted updates.
pub const STATE_FILE: &str = "demo-target.json";
/// How long it outlives the last console (and the last step) by default.
const IDLE: Duration = Duration::from_secs(600);

/// The detached process's body: serves on `listen` (or any free loopback port when that is
/// taken) until the run has not been `attended` (a console drives it, or a step runs) for
/// `IDLE` (`WARROOM_DEMO_TARGET_IDLE` seconds), or until SIGTERM.
pub async fn serve_run(
    listen: SocketAddr,
    dir: &Path,
    attended: impl Fn() -> bool,
) -> std::io::Result<()> {
    let state = Some(dir.join(STATE_FILE));
    let (addr, server) = match super::serve_keeping(listen, state.clone()).await {
        Ok(s) => s,
        Err(_) => super::serve_keeping(SocketAddr::from(([127, 0, 0, 1], 0)), state).await?,
    };
    crate::durable::write_atomic(
        &dir.join(ADDR_FILE),
        format!("http://{addr}\n{}\n", std::process::id()).as_bytes(),
    )?;
    let idle = std::env::var("WARROOM_DEMO_TARGET_IDLE")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(IDLE, Duration::from_secs);
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut unattended: Option<Instant> = None;
    loop {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = term.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
        }
        // The run directory gone (a test's, removed): nobody will come back to it.
        if !dir.exists() {
            break;
        }
        match (attended(), unattended) {
            (true, _) => unattended = None,
            (false, None) => unattended = Some(Instant::now()),
            (false, Some(since)) if since.elapsed() >= idle => break,
            (false, Some(_)) => {}
        }
    }
    server.abort();
    // Only ours: a newer target of the run may have written its own since.
    if read_addr(dir).is_some_and(|(a, pid)| a == addr && pid == std::process::id()) {
        let _ = std::fs::remove_file(dir.join(ADDR_FILE));
    }
    Ok(())
}

fn read_addr(dir: &Path) -> Option<(SocketAddr, u32)> {
    let text = std::fs::read_to_string(dir.join(ADDR_FILE)).ok()?;
    let mut lines = text.lines();
    let addr = lines.next()?.strip_prefix("http://")?.parse().ok()?;
    let pid = lines.next()?.trim().parse().ok()?;
    Some((addr, pid))
}

/// Whether a demo target answers at `addr` (a quick `GET /control/state`).
fn answers(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    if s.write_all(b"GET /control/state HTTP/1.0\r\nHost: demo\r\n\r\n")
        .is_err()
    {
        return false;
    }
    // `HTTP/1.0 200` or `HTTP/1.1 200`: the server answers in the request's version.
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.") && &head[8..] == b" 200"
}

/// The run's demo target: the one already serving it (a console started again after a
/// kill or a dropped session), or a new detached one from `exe`, on `prefer` when given
/// (the port the run had, where steps started before still call it).
pub fn for_run(exe: &Path, dir: &Path, prefer: Option<SocketAddr>) -> std::io::Result<SocketAddr> {
    if let Some((addr, _)) = read_addr(dir).filter(|(a, _)| answers(*a)) {
        return Ok(addr);
    }
    let _ = std::fs::remove_file(dir.join(ADDR_FILE));
    let listen = prefer
        .filter(|a| a.ip().is_loopback())
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("demo-target")
        .arg("--listen")
        .arg(listen.to_string())
        .arg("--run-dir")
        .arg(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    // Its own process group: a hang-up or Ctrl-C aimed at the console does not reach it.
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd.spawn()?;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some((addr, _)) = read_addr(dir) {
            // Reaped when it ends; the console does not wait for it.
            std::thread::spawn(move || child.wait());
            return Ok(addr);
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(std::io::Error::other(format!(
                "the demo target stopped at once ({status})"
            )));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            return Err(std::io::Error::other(
                "the demo target did not start in 10 s",
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The console left on purpose: the run's target goes too.
pub fn stop_for_run(dir: &Path) {
    // Only a demo target: the PID in the file may be long gone and reused.
    if let Some((_, pid)) = read_addr(dir)
        && std::fs::read(format!("/proc/{pid}/cmdline"))
            .is_ok_and(|c| c.split(|b| *b == 0).any(|arg| arg == b"demo-target"))
        && let Ok(pid) = i32::try_from(pid)
    {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGTERM,
        );
    }
}

//! Real servers for the integration tests (Prometheus, Alertmanager, VictoriaMetrics,
//! vmauth): started from their Debian packages on free loopback ports, stopped by PID.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use warroom::monitor::http;

/// The program's path, or None (locally) after saying loudly that the test did not run.
/// Under CI a missing program fails the test instead of passing without checking
/// anything: `.ci/run` installs `package`.
pub fn program(name: &str, package: &str) -> Option<String> {
    let found = std::env::var_os("PATH")
        .and_then(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join(name))
                .find(|f| f.is_file())
        })
        .map(|p| p.display().to_string());
    if found.is_none() {
        let msg = format!(
            "`{name}` is not installed (Debian package `{package}`): a test against the real server did NOT run"
        );
        assert!(
            std::env::var_os("CI").is_none(),
            "{msg}; .ci/run installs it"
        );
        eprintln!("\n!!!!!!!!!! {msg} !!!!!!!!!!\n");
    }
    found
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process stopped (by PID) when dropped.
pub struct Daemon(pub Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits (up to a minute) until `url` answers 200.
pub async fn wait_ready(client: &http::Client, url: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = http::get(client, url, &[], Duration::from_secs(2), &[]).await
            && r.status == 200
        {
            return;
        }
        assert!(Instant::now() < deadline, "{url} was not ready within 60s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Starts `program ARGS` (its output in `dir/<program>.log`), which listens on `port`, and
/// waits until `ready` (a path) answers; returns it and its base URL.
pub async fn serve(
    program: &str,
    args: &[String],
    port: u16,
    ready: &str,
    dir: &Path,
) -> (Daemon, String) {
    let name = Path::new(program)
        .file_name()
        .map_or("daemon".into(), |n| n.to_string_lossy().into_owned());
    let out = std::fs::File::create(dir.join(format!("{name}.log"))).unwrap();
    let err = out.try_clone().unwrap();
    let daemon = Daemon(
        Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    let client = http::client(&http::Tls::default()).unwrap();
    wait_ready(&client, &format!("{base}{ready}")).await;
    (daemon, base)
}

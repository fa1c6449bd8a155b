//! A pseudo-terminal running the real `warroom` binary, read back through a terminal
//! emulator: the end-to-end tests type keys and read the screen as a person would.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

/// What the terminal was asked to do besides drawing.
#[derive(Default)]
pub struct Events {
    pub titles: Vec<String>,
    pub bells: usize,
}

impl vt100::Callbacks for Events {
    fn audible_bell(&mut self, _: &mut vt100::Screen) {
        self.bells += 1;
    }
    fn set_window_title(&mut self, _: &mut vt100::Screen, title: &[u8]) {
        self.titles
            .push(String::from_utf8_lossy(title).into_owned());
    }
    fn set_window_icon_name(&mut self, _: &mut vt100::Screen, name: &[u8]) {
        self.titles.push(String::from_utf8_lossy(name).into_owned());
    }
}

pub struct Screen {
    /// The run directory's parent, removed with the screen.
    pub dir: tempfile::TempDir,
    pub parser: Arc<Mutex<vt100::Parser<Events>>>,
    /// When the terminal last received bytes: a frame larger than one read arrives in
    /// pieces, and a screen read between them shows half a frame.
    last_bytes: Arc<Mutex<Instant>>,
    /// The first megabyte the program wrote, as written (escape sequences and all).
    pub raw: Arc<Mutex<Vec<u8>>>,
    writer: Box<dyn Write + Send>,
    /// Held so the pseudo-terminal stays open as long as the screen.
    _master: Box<dyn portable_pty::MasterPty + Send>,
    pub child: Box<dyn portable_pty::Child + Send + Sync>,
}

impl Screen {
    /// The demo's first moves: once its sources answer, both approvers' GO on the gate,
    /// then the 10 % canary step run with `y`, its traffic split seen.
    #[allow(dead_code)] // not every test binary drives the demo
    pub fn demo_gate_and_canary(&mut self) {
        self.wait_for("api-green", 30);
        self.wait_for("UP", 15);
        self.keys("j");
        self.keys("g");
        self.keys("G");
        self.keys("\r");
        self.keys("G");
        self.keys("checked the dashboards\r");
        self.wait_for("GO 2/2", 5);
        self.keys("\r");
        self.wait_for("Run this step?", 5);
        self.keys("y");
        self.wait_for("Traffic split now: green 10%", 20);
    }

    /// `warroom ARGS... --run-dir <temp>/run` in a pseudo-terminal of `rows` x `cols`.
    pub fn launch(args: &[&str], rows: u16, cols: u16) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let run_dir = dir.path().join("run");
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--run-dir", run_dir.to_str().unwrap()]);
        Self::start(&all, rows, cols, dir)
    }

    /// `warroom run RUNBOOK --run-dir RUN_DIR` in a terminal of `rows` x `cols` (its own
    /// scratch directory; the run directory is the caller's).
    pub fn run(runbook: &std::path::Path, run_dir: &std::path::Path, rows: u16, cols: u16) -> Self {
        Self::start(
            &[
                "run",
                runbook.to_str().unwrap(),
                "--run-dir",
                run_dir.to_str().unwrap(),
            ],
            rows,
            cols,
            tempfile::tempdir().unwrap(),
        )
    }

    /// A runbook from tests/fixtures in the console.
    pub fn fixture(name: &str, rows: u16, cols: u16) -> Self {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        Self::launch(&["run", path.to_str().unwrap()], rows, cols)
    }

    pub fn run_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("run")
    }

    pub fn start(args: &[&str], rows: u16, cols: u16, dir: tempfile::TempDir) -> Self {
        Self::start_program(env!("CARGO_BIN_EXE_warroom"), args, rows, cols, dir)
    }

    /// `warroom ARGS...` with these variables set in its environment.
    pub fn start_with_env(
        args: &[&str],
        env: &[(&str, &str)],
        rows: u16,
        cols: u16,
        dir: tempfile::TempDir,
    ) -> Self {
        Self::spawn(env!("CARGO_BIN_EXE_warroom"), args, env, rows, cols, dir)
    }

    /// Another program in the terminal: `strace ... warroom ...`, `unshare ... warroom ...`.
    pub fn start_program(
        program: &str,
        args: &[&str],
        rows: u16,
        cols: u16,
        dir: tempfile::TempDir,
    ) -> Self {
        Self::spawn(program, args, &[], rows, cols, dir)
    }

    fn spawn(
        program: &str,
        args: &[&str],
        env: &[(&str, &str)],
        rows: u16,
        cols: u16,
        dir: tempfile::TempDir,
    ) -> Self {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut cmd = CommandBuilder::new(program);
        cmd.args(args);
        cmd.cwd(env!("CARGO_MANIFEST_DIR"));
        cmd.env("TERM", "xterm-256color");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pty.slave.spawn_command(cmd).unwrap();
        drop(pty.slave);
        let parser = Arc::new(Mutex::new(vt100::Parser::new_with_callbacks(
            rows,
            cols,
            0,
            Events::default(),
        )));
        let mut reader = pty.master.try_clone_reader().unwrap();
        let sink = parser.clone();
        let last_bytes = Arc::new(Mutex::new(Instant::now()));
        let stamp = last_bytes.clone();
        let raw = Arc::new(Mutex::new(Vec::new()));
        let keep = raw.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().process(&buf[..n]);
                *stamp.lock().unwrap() = Instant::now();
                let mut kept = keep.lock().unwrap();
                let room = (1usize << 20).saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
        });
        let writer = pty.master.take_writer().unwrap();
        Self {
            dir,
            parser,
            last_bytes,
            raw,
            writer,
            child,
            _master: pty.master,
        }
    }

    /// The screen once no bytes have come for a moment, so never half a frame (the console
    /// draws at most ten frames a second; a frame's pieces come within microseconds).
    pub fn text(&self) -> String {
        let quiet = Duration::from_millis(30);
        let give_up = Instant::now() + Duration::from_secs(2);
        loop {
            let since = self.last_bytes.lock().unwrap().elapsed();
            if since >= quiet || Instant::now() >= give_up {
                return self.parser.lock().unwrap().screen().contents();
            }
            std::thread::sleep(quiet - since);
        }
    }

    #[track_caller]
    pub fn wait_for(&self, needle: &str, secs: u64) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let text = self.text();
            if text.contains(needle) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "`{needle}` did not appear within {secs}s; the screen:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The terminal changes size, as when the operator resizes the SSH window.
    pub fn resize(&mut self, rows: u16, cols: u16) {
        self.parser
            .lock()
            .unwrap()
            .screen_mut()
            .set_size(rows, cols);
        self._master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
    }

    #[track_caller]
    pub fn wait_until(&self, what: &str, secs: u64, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let text = self.text();
            if ok(&text) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "{what} within {secs}s; the screen:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Bytes to the terminal, then a short pause (for long key sequences).
    pub fn keys_quickly(&mut self, bytes: &str) {
        self.writer.write_all(bytes.as_bytes()).unwrap();
        self.writer.flush().unwrap();
        std::thread::sleep(Duration::from_millis(40));
    }

    pub fn keys(&mut self, bytes: &str) {
        self.writer.write_all(bytes.as_bytes()).unwrap();
        self.writer.flush().unwrap();
        std::thread::sleep(Duration::from_millis(150));
    }

    /// The console dies as `kill -9` kills it: no cleanup, the terminal left as it was.
    pub fn kill9(&mut self) {
        if let Some(pid) = self.child.process_id() {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let _ = self.child.wait();
    }

    /// The same run directory in a new console: `warroom ARGS... --run-dir <same>`.
    pub fn again(mut self, args: &[&str], rows: u16, cols: u16) -> Self {
        if let Ok(None) = self.child.try_wait() {
            self.kill9();
        }
        let run_dir = self.run_dir();
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--run-dir", run_dir.to_str().unwrap()]);
        Self::start(&all, rows, cols, self.dir)
    }

    /// The screen once it shows `needle`; `None` if the program ended first.
    pub fn wait_until_or_exit(&mut self, needle: &str, secs: u64) -> Option<String> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let text = self.text();
            if text.contains(needle) {
                return Some(text);
            }
            if !matches!(self.child.try_wait(), Ok(None)) || Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Whether the program ended within `secs` (it is left running otherwise).
    pub fn wait_exit_quietly(&mut self, secs: u64) -> bool {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    pub fn wait_exit(&mut self, secs: u64) -> bool {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!(
            "warroom did not exit within {secs}s; the screen:\n{}",
            self.text()
        );
    }
}

//! The whole-process performance harness: `warroom demo` and htop side by side, each in a
//! pseudo-terminal of the same size, measured the same way in the same run, and each
//! budget printed with warroom's figure, htop's, and the ratio.
//!
//! ```sh
//! cargo build --release --bins --examples && target/release/examples/perf [--seconds 60] [--keys 60]
//! target/release/examples/perf --scale 1000 --seconds 30     # 1,000 sources every second
//! target/release/examples/perf --flood --keys 200             # a step printing 1,000,000 lines
//! target/release/examples/perf --scale 100 --seconds 1800 --keys 30   # the 30-minute soak
//! ```
//!
//! What it measures, per program:
//! - start-up to first frame: from spawn until the terminal has received a screenful;
//! - idle CPU: the process and every descendant (its children's time included once they
//!   are reaped), from /proc, over `--seconds` of nothing happening;
//! - resident memory (VmRSS) at the end of the idle window;
//! - bytes written to the terminal per minute while idle;
//! - key-to-frame latency: a key that moves the selection is written, and the time until
//!   the terminal receives the frame's first bytes is taken; p50 and p99 over `--keys`.
//!
//! Loopback only (the demo target), bounded in time, and everything it started is stopped.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, NativePtySystem, PtySize, PtySystem};

const ROWS: u16 = 48;
const COLS: u16 = 160;

/// Every chunk the terminal received: when, how many bytes.
type Chunks = Arc<Mutex<Vec<(Instant, usize)>>>;

struct Subject {
    name: &'static str,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    chunks: Chunks,
    started: Instant,
    _master: Box<dyn portable_pty::MasterPty + Send>,
}

impl Subject {
    fn start(
        name: &'static str,
        program: &Path,
        args: &[&str],
        cwd: &Path,
    ) -> Result<Self, String> {
        let pty = NativePtySystem::default()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .map_err(|e| format!("{name}: no pty: {e}"))?;
        let mut cmd = CommandBuilder::new(program);
        cmd.args(args);
        cmd.cwd(cwd);
        cmd.env("TERM", "xterm-256color");
        let started = Instant::now();
        let child = pty
            .slave
            .spawn_command(cmd)
            .map_err(|e| format!("{name}: cannot start {}: {e}", program.display()))?;
        drop(pty.slave);
        let chunks: Chunks = Arc::default();
        let mut reader = pty
            .master
            .try_clone_reader()
            .map_err(|e| format!("{name}: {e}"))?;
        let sink = chunks.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 65536];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut c) = sink.lock() {
                    c.push((Instant::now(), n));
                }
            }
        });
        let writer = pty
            .master
            .take_writer()
            .map_err(|e| format!("{name}: {e}"))?;
        Ok(Self {
            name,
            child,
            writer,
            chunks,
            started,
            _master: pty.master,
        })
    }

    fn pid(&self) -> Option<u32> {
        self.child.process_id()
    }

    fn bytes_between(&self, from: Instant, to: Instant) -> usize {
        self.chunks.lock().map_or(0, |c| {
            c.iter()
                .filter(|(at, _)| *at >= from && *at < to)
                .map(|(_, n)| n)
                .sum()
        })
    }

    /// When the terminal had received `bytes` in all (a first screenful).
    fn first_frame(&self, bytes: usize) -> Option<Duration> {
        let c = self.chunks.lock().ok()?;
        let mut total = 0;
        c.iter().find_map(|(at, n)| {
            total += n;
            (total >= bytes).then(|| *at - self.started)
        })
    }

    /// Writes `key`, then waits for the next bytes on the terminal: the latency.
    fn key_to_frame(&mut self, key: &[u8]) -> Option<Duration> {
        let seen = self.chunks.lock().ok()?.len();
        let sent = Instant::now();
        self.writer.write_all(key).ok()?;
        self.writer.flush().ok()?;
        let deadline = sent + Duration::from_secs(2);
        while Instant::now() < deadline {
            if let Some(at) = self.chunks.lock().ok()?.get(seen).map(|(at, _)| *at) {
                return Some(at.saturating_duration_since(sent));
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        None
    }

    fn stop(&mut self, quit: &[u8]) {
        let _ = self.writer.write_all(quit);
        let _ = self.writer.flush();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
    }
}

/// CPU clock ticks used by `pid` and every live descendant (reaped children included in
/// their parent's `cutime`/`cstime`).
fn cpu_ticks(pid: u32) -> u64 {
    tree_ticks(pid).iter().map(|(_, _, t)| t).sum()
}

/// Each process of the tree under `pid`: its PID, name and ticks (with reaped children).
fn tree_ticks(pid: u32) -> Vec<(u32, String, u64)> {
    let mut stats: Vec<(u32, u32, u64, String)> = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            let Some(p) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) else {
                continue;
            };
            // The command name is in parentheses and may hold spaces; the fields follow.
            let Some((head, rest)) = stat.rsplit_once(')') else {
                continue;
            };
            let name = head.split_once('(').map_or("", |(_, n)| n).to_owned();
            let f: Vec<&str> = rest.split_whitespace().collect();
            let num = |i: usize| f.get(i).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
            // rest[0] is the state, [1] ppid, [11..14] utime stime cutime cstime.
            let ppid = f.get(1).and_then(|s| s.parse().ok()).unwrap_or(0);
            stats.push((p, ppid, num(11) + num(12) + num(13) + num(14), name));
        }
    }
    let mut tree = vec![pid];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(
            stats
                .iter()
                .filter(|(_, pp, _, _)| *pp == parent)
                .map(|(p, _, _, _)| *p),
        );
        i += 1;
    }
    stats
        .into_iter()
        .filter(|(p, _, _, _)| tree.contains(p))
        .map(|(p, _, t, n)| (p, n, t))
        .collect()
}

fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// `warroom run` in a pseudo-terminal over `toml`, written to `dir/runbook.toml`, its
/// record in `dir/run`.
fn run_runbook(warroom: &Path, dir: &Path, toml: &str) -> Result<Subject, String> {
    let rb = dir.join("runbook.toml");
    std::fs::write(&rb, toml).map_err(|e| e.to_string())?;
    let run_dir = dir.join("run");
    Subject::start(
        "warroom",
        warroom,
        &[
            "run",
            &rb.to_string_lossy(),
            "--run-dir",
            &run_dir.to_string_lossy(),
        ],
        dir,
    )
}

/// Clock ticks a second, the unit of /proc's CPU times.
fn ticks_per_second() -> f64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .unwrap_or(100) as f64
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

struct Figures {
    first_frame: Option<Duration>,
    cpu_pct: f64,
    rss_mb: f64,
    bytes_per_min: f64,
    p50: Duration,
    p99: Duration,
}

fn measure(s: &mut Subject, idle: Duration, keys: usize, down: &[u8], up: &[u8]) -> Figures {
    // Settle: the first frame and the first polls.
    std::thread::sleep(Duration::from_secs(5));
    let first_frame = s.first_frame(usize::from(ROWS) * usize::from(COLS) / 2);
    let pid = s.pid().unwrap_or(0);
    let ticks = |pid| cpu_ticks(pid) as f64;
    let hz = ticks_per_second();
    let before = tree_ticks(pid);
    let (t0, c0) = (Instant::now(), ticks(pid));
    std::thread::sleep(idle);
    let (t1, c1) = (Instant::now(), ticks(pid));
    // Who used it: each process of the tree, its share of the window.
    for (p, name, t) in tree_ticks(pid) {
        let was = before
            .iter()
            .find(|(q, _, _)| *q == p)
            .map_or(0, |(_, _, t)| *t);
        let used = t.saturating_sub(was);
        eprintln!(
            "  {}: pid {p} {name}: {:.2} % ({used} ticks), {:.1} MB resident",
            s.name,
            100.0 * used as f64 / hz / (t1 - t0).as_secs_f64(),
            rss_kb(p).unwrap_or(0) as f64 / 1024.0
        );
    }
    let cpu_pct = 100.0 * (c1 - c0) / hz / (t1 - t0).as_secs_f64();
    let bytes_per_min = s.bytes_between(t0, t1) as f64 * 60.0 / (t1 - t0).as_secs_f64();
    let rss_mb = rss_kb(pid).unwrap_or(0) as f64 / 1024.0;
    let mut lat = Vec::new();
    for i in 0..keys {
        let key = if i % 2 == 0 { down } else { up };
        if let Some(d) = s.key_to_frame(key) {
            lat.push(d);
        }
        std::thread::sleep(Duration::from_millis(150));
    }
    lat.sort();
    Figures {
        first_frame,
        cpu_pct,
        rss_mb,
        bytes_per_min,
        p50: percentile(&lat, 0.5),
        p99: percentile(&lat, 0.99),
    }
}

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `--scale N`: N Prometheus text pages served on loopback, one KPI each polled every
/// second by `warroom run`; the console's CPU (with children), how many of the polls it
/// was due to make reached the pages, and key-to-frame latency under that load.
fn scale(warroom: &Path, n: usize, seconds: u64, keys: usize) -> Result<(), String> {
    use std::sync::atomic::{AtomicU64, Ordering};
    let hits = Arc::new(AtomicU64::new(0));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let counter = hits.clone();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let app = axum::Router::new().route(
        "/metrics/{n}",
        axum::routing::get(move |axum::extract::Path(n): axum::extract::Path<u64>| {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::Relaxed);
                format!(
                    "# HELP fleet_value A value.\n# TYPE fleet_value gauge\nfleet_value{{host=\"h{n}\"}} {}\n",
                    n % 97
                )
            }
        }),
    );
    rt.spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut toml = String::from(
        "[runbook]\nname = \"Fleet\"\nt0 = \"+1m\"\n\n[[phase]]\nid = \"p\"\ntitle = \"Watch\"\n\n[[phase.step]]\nid = \"s\"\ntitle = \"A step\"\nat = \"T+0\"\n\n",
    );
    for i in 0..n {
        toml.push_str(&format!(
            "[[kpi]]\nid = \"k{i}\"\ninterval = \"1s\"\nscrape = {{ url = \"http://{addr}/metrics/{i}\", metric = \"fleet_value\" }}\n\n"
        ));
    }
    eprintln!(
        "measuring warroom run over {n} sources polled every second: {seconds}s, {keys} keys"
    );
    let mut w = run_runbook(warroom, dir.path(), &toml)?;
    std::thread::sleep(Duration::from_secs(10));
    let pid = w.pid().unwrap_or(0);
    let hz = ticks_per_second();
    let rss_start = rss_kb(pid).unwrap_or(0) as f64 / 1024.0;
    let (t0, c0, h0) = (Instant::now(), cpu_ticks(pid), hits.load(Ordering::Relaxed));
    let mut lat = Vec::new();
    let stride = Duration::from_secs(seconds) / u32::try_from(keys.max(1)).unwrap_or(1);
    for i in 0..keys {
        if let Some(d) = w.key_to_frame(if i % 2 == 0 { b"j" } else { b"k" }) {
            lat.push(d);
        }
        std::thread::sleep(stride);
    }
    let (t1, c1, h1) = (Instant::now(), cpu_ticks(pid), hits.load(Ordering::Relaxed));
    let secs = (t1 - t0).as_secs_f64();
    let rss = rss_kb(pid).unwrap_or(0) as f64 / 1024.0;
    w.stop(b"q");
    lat.sort();
    let cpu = 100.0 * (c1 - c0) as f64 / hz / secs;
    let polled = (h1 - h0) as f64 / (n as f64 * secs);
    let p99 = percentile(&lat, 0.99).as_secs_f64() * 1000.0;
    let verdict = |ok: bool| if ok { "met" } else { "NOT MET" };
    println!("{:<34} {:>10}  {:<10}", "figure", "warroom", "budget");
    println!(
        "{:<34} {cpu:>10.2}  {:<10} {}",
        "CPU % of one core (with children)",
        "< 15",
        verdict(cpu < 15.0)
    );
    println!(
        "{:<34} {:>10.1}  {:<10} {}",
        "polls made / polls due, %",
        polled * 100.0,
        ">= 99",
        verdict(polled >= 0.99)
    );
    println!(
        "{:<34} {p99:>10.2}  {:<10} {}",
        "key-to-frame p99 ms",
        "< 50",
        verdict(p99 < 50.0)
    );
    println!("{:<34} {rss:>10.1}", "resident memory MB");
    // Over a long run (a soak: `--scale 100 --seconds 1800`), memory must stay flat.
    println!(
        "{:<34} {:>10.2}  {:<10} {}",
        "memory growth MB over the window",
        rss - rss_start,
        "< 1",
        verdict(rss - rss_start < 1.0)
    );
    Ok(())
}

/// `--flood`: a step that prints 1,000,000 lines as fast as it can; key-to-frame latency
/// while it floods, the console's memory before and after, and every line in the step's
/// output file.
fn flood(warroom: &Path, keys: usize) -> Result<(), String> {
    let lines = 1_000_000;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let toml = format!(
        "[runbook]\nname = \"Flood\"\n\n[[phase]]\nid = \"p\"\ntitle = \"Flood\"\n\n[[phase.step]]\nid = \"flood\"\ntitle = \"Print {lines} lines\"\nrun = [\"seq\", \"{lines}\"]\nconfirm = \"none\"\n"
    );
    let run_dir = dir.path().join("run");
    eprintln!("measuring warroom run while a step prints {lines} lines, {keys} keys");
    let mut w = run_runbook(warroom, dir.path(), &toml)?;
    std::thread::sleep(Duration::from_secs(3));
    let pid = w.pid().unwrap_or(0);
    let rss_before = rss_kb(pid).unwrap_or(0) as f64 / 1024.0;
    w.writer.write_all(b"\r").map_err(|e| e.to_string())?;
    let _ = w.writer.flush();
    let exit = run_dir.join("steps/flood.1/exit.json");
    let mut lat = Vec::new();
    let mut peak = rss_before;
    let mut during = 0;
    for i in 0..keys {
        let flooding = !exit.exists();
        if let Some(d) = w.key_to_frame(if i % 2 == 0 { b"j" } else { b"k" })
            && flooding
        {
            lat.push(d);
            during += 1;
        }
        peak = peak.max(rss_kb(pid).unwrap_or(0) as f64 / 1024.0);
        // Keys come thick while it floods (the flood lasts well under a second here).
        std::thread::sleep(Duration::from_millis(if flooding { 1 } else { 20 }));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while !exit.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let log = std::fs::read(run_dir.join("steps/flood.1/output.log")).unwrap_or_default();
    let written = log.iter().filter(|b| **b == b'\n').count();
    w.stop(b"q");
    lat.sort();
    let p99 = percentile(&lat, 0.99).as_secs_f64() * 1000.0;
    let verdict = |ok: bool| if ok { "met" } else { "NOT MET" };
    println!("{:<34} {:>10}  {:<10}", "figure", "warroom", "budget");
    println!(
        "{:<34} {p99:>10.2}  {:<10} {} ({during} keys during the flood)",
        "key-to-frame p99 ms, flooding",
        "< 50",
        verdict(p99 < 50.0 && during > 0)
    );
    println!(
        "{:<34} {:>10.1}  {:<10} {}",
        "memory growth MB (peak - before)",
        peak - rss_before,
        "< 20",
        verdict(peak - rss_before < 20.0)
    );
    println!(
        "{:<34} {written:>10}  {:<10} {}",
        "lines in the output file",
        lines,
        verdict(written == lines)
    );
    Ok(())
}

fn main() -> Result<(), String> {
    let idle = Duration::from_secs(arg("--seconds", 60));
    let keys = arg("--keys", 60) as usize;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    // target/release/examples/perf -> target/release/warroom
    let warroom: PathBuf = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("warroom"))
        .filter(|p| p.is_file())
        .ok_or("no target/release/warroom: run `cargo build --release --bins --examples` first")?;
    if std::env::args().any(|a| a == "--flood") {
        return flood(&warroom, keys);
    }
    let n = arg("--scale", 0) as usize;
    if n > 0 {
        return scale(&warroom, n, idle.as_secs(), keys);
    }
    let htop = PathBuf::from("/usr/bin/htop");
    if !htop.is_file() {
        return Err("htop is the reference: apt-get install htop".into());
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let runs = tempfile::tempdir().map_err(|e| e.to_string())?;
    let run_dir = runs.path().join("run");
    let run_dir_s = run_dir.to_string_lossy().into_owned();

    eprintln!(
        "measuring warroom demo and htop at {COLS}x{ROWS}: {}s idle each, {keys} keys",
        idle.as_secs()
    );
    let mut w = Subject::start(
        "warroom",
        &warroom,
        &["demo", "--run-dir", &run_dir_s],
        root,
    )?;
    let mut h = Subject::start("htop", &htop, &["-d", "10"], root)?;
    // Side by side, in the same run: both idle windows overlap, so noise hits both.
    let (ws, hs) = std::thread::scope(|scope| {
        let wt = scope.spawn(|| measure(&mut w, idle, keys, b"j", b"k"));
        let ht = scope.spawn(|| measure(&mut h, idle, keys, b"\x1b[B", b"\x1b[A"));
        (wt.join(), ht.join())
    });
    w.stop(b"q");
    h.stop(b"q");
    let (ws, hs) = (
        ws.map_err(|_| "warroom: measuring failed")?,
        hs.map_err(|_| "htop: measuring failed")?,
    );

    let ms = |d: Option<Duration>| d.map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0);
    let rows: Vec<(&str, f64, f64, &str, bool)> = vec![
        (
            "idle CPU % (with children)",
            ws.cpu_pct,
            hs.cpu_pct,
            "<= htop",
            ws.cpu_pct <= hs.cpu_pct,
        ),
        (
            "resident memory MB",
            ws.rss_mb,
            hs.rss_mb,
            "< 8",
            ws.rss_mb < 8.0,
        ),
        (
            "terminal bytes/min idle",
            ws.bytes_per_min,
            hs.bytes_per_min,
            "<= htop/2",
            ws.bytes_per_min <= hs.bytes_per_min / 2.0,
        ),
        (
            "first frame ms",
            ms(ws.first_frame),
            ms(hs.first_frame),
            "< 100, <= htop",
            ms(ws.first_frame) < 100.0 && ms(ws.first_frame) <= ms(hs.first_frame),
        ),
        (
            "key-to-frame p50 ms",
            ms(Some(ws.p50)),
            ms(Some(hs.p50)),
            "",
            true,
        ),
        (
            "key-to-frame p99 ms",
            ms(Some(ws.p99)),
            ms(Some(hs.p99)),
            "< 50",
            ms(Some(ws.p99)) < 50.0,
        ),
    ];
    println!(
        "{:<28} {:>10} {:>10} {:>7}  {:<15}",
        "figure", "warroom", "htop", "ratio", "budget"
    );
    for (name, wv, hv, budget, ok) in rows {
        let ratio = if hv > 0.0 { wv / hv } else { f64::NAN };
        println!(
            "{name:<28} {wv:>10.2} {hv:>10.2} {ratio:>7.2}  {budget:<15} {}",
            if budget.is_empty() {
                ""
            } else if ok {
                "met"
            } else {
                "NOT MET"
            }
        );
    }
    Ok(())
}

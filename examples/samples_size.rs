//! The samples budget (issue 28): 1,000 KPIs at 1 s for 8 hours under 200 MB on disk, and
//! under 1 % of a core to write. This writes the whole 8 hours through the console's own
//! writer into a temporary run directory (real files, real fsync at each block), a block
//! every second as the console writes them, and prints the bytes on disk and the CPU
//! time per second of samples.
//!
//! ```sh
//! cargo run --release --example samples_size [-- --kpis 1000 --hours 8]
//! ```
//!
//! The values are a mix as sources give them: 40 % gauges with one or two decimals moving
//! a little (latencies in 0.1 ms, percentages in 0.01), 20 % whole numbers (connections,
//! queue depths), 20 % Prometheus rates (full doubles: `x / 300`), 20 % nearly constant
//! (flags, replicas).

use std::time::Instant;

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// CPU time of this process so far (user + system), from /proc.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields 14 and 15 (utime, stime) are the 12th and 13th after the name.
    (ticks(11) + ticks(12)) / 100.0
}

fn main() {
    let kpis = arg("--kpis", 1000) as usize;
    // A block every this many seconds, as the console writes them.
    let block = arg("--block-seconds", 1).max(1);
    let seconds = arg("--hours", 8) * 3600;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut w = warroom::samples::Writer::open(dir.path()).expect("the writer opens");
    let names: Vec<String> = (0..kpis)
        .map(|i| warroom::samples::kpi_series(&format!("kpi_{i}")))
        .collect();
    let mut rng = fastrand::Rng::with_seed(28);
    let mut level: Vec<i64> = (0..kpis).map(|i| 1000 + i as i64).collect();
    let start_ms = 1_800_000_000_000_i64;
    let (cpu0, wall0) = (cpu_seconds(), Instant::now());
    for s in 0..seconds {
        let at = start_ms + s as i64 * 1000;
        for (i, name) in names.iter().enumerate() {
            let v = match i % 5 {
                0 | 1 => {
                    level[i] += rng.i64(-3..=3);
                    let scale = if i % 2 == 0 { 10.0 } else { 100.0 };
                    // As a JSON source gives it: the number parsed from its text.
                    format!("{}", level[i] as f64 / scale)
                        .parse()
                        .unwrap_or(0.0)
                }
                2 => {
                    level[i] = (level[i] + rng.i64(-2..=2)).max(0);
                    level[i] as f64
                }
                3 => {
                    level[i] += rng.i64(0..=40);
                    level[i] as f64 / 300.0
                }
                _ => {
                    if rng.u32(0..600) == 0 {
                        level[i] = 1 - level[i].min(1);
                    }
                    level[i].min(1) as f64
                }
            };
            w.record(name, at, warroom::samples::Value::Number(v))
                .expect("recorded");
        }
        if s % block == block - 1 {
            w.flush().expect("flushed");
        }
    }
    w.flush().expect("flushed");
    let (cpu, wall) = (cpu_seconds() - cpu0, wall0.elapsed().as_secs_f64());
    let bytes = std::fs::metadata(dir.path().join(warroom::samples::FILE))
        .map(|m| m.len())
        .unwrap_or(0);
    let points = kpis as u64 * seconds;
    println!(
        "{kpis} KPIs x {seconds} s = {points} samples: {:.1} MB on disk ({:.2} bytes a sample; budget 200 MB for 1,000 x 8 h)",
        bytes as f64 / 1e6,
        bytes as f64 / points as f64
    );
    println!(
        "writing: {cpu:.1} s of CPU for {seconds} s of samples = {:.3} % of a core (budget 1 %); {wall:.1} s wall",
        cpu / seconds as f64 * 100.0
    );
    // Read back whole only when it fits comfortably in memory (a point is about 40 bytes
    // decoded): replay seeks by block instead.
    if points > 5_000_000 {
        return;
    }
    let t = Instant::now();
    let r = warroom::samples::read(dir.path());
    println!(
        "reading it all back: {} points in {:.1} s{}",
        r.points.len(),
        t.elapsed().as_secs_f64(),
        r.torn.map(|t| format!(" ({t})")).unwrap_or_default()
    );
}

//! Every sample recorded (issue 28, part 1): the driving console writes each KPI sample and
//! probe to `samples.wrs`; a torn tail is read up to, cut off before the next console
//! appends, and nothing synced before a kill -9 is lost.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::io::Write;

use common::screen::Screen;
use warroom::samples::{self, Value};

fn number(v: &Value) -> f64 {
    match v {
        Value::Number(n) => *n,
        other => panic!("{other:?} is not a number"),
    }
}

#[test]
fn what_is_written_reads_back_across_consoles_and_a_torn_tail_is_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = 1_800_000_000_000_i64;
    let mut w = samples::Writer::open(dir.path()).unwrap();
    for s in 0..10 {
        w.record(
            "kpi:error_rate",
            t0 + s * 1000,
            Value::Number(0.4 + s as f64 / 100.0),
        )
        .unwrap();
        w.record("endpoint:api", t0 + s * 1000, Value::Number(1.0))
            .unwrap();
    }
    w.flush().unwrap();
    drop(w);
    // A second console on the same run: the names it knows keep their numbers.
    let mut w = samples::Writer::open(dir.path()).unwrap();
    w.record("kpi:error_rate", t0 + 10_000, Value::Number(7.25))
        .unwrap();
    w.record("kpi:version", t0 + 10_000, Value::Text("v1.5.0".into()))
        .unwrap();
    w.record("kpi:p95_ms", t0 + 11_000, Value::Missing).unwrap();
    w.flush().unwrap();
    drop(w);
    let r = samples::read(dir.path());
    assert_eq!(r.torn, None);
    assert_eq!(
        r.series,
        [
            "kpi:error_rate",
            "endpoint:api",
            "kpi:version",
            "kpi:p95_ms"
        ]
    );
    assert_eq!(r.points.len(), 23);
    let errors = r.series_index("kpi:error_rate").unwrap();
    let mine: Vec<f64> = r
        .points
        .iter()
        .filter(|p| p.series == errors)
        .map(|p| number(&p.value))
        .collect();
    assert_eq!(mine.len(), 11);
    assert_eq!(
        mine[3].to_bits(),
        (0.4 + 3.0 / 100.0_f64).to_bits(),
        "exactly as written"
    );
    assert_eq!(mine[10], 7.25);
    assert_eq!(r.points[21].value, Value::Text("v1.5.0".into()));
    assert_eq!(r.points[22].value, Value::Missing);
    assert_eq!(r.points[22].at_ms, t0 + 11_000);

    // A console killed while it wrote a block: the block's first half on disk.
    let path = dir.path().join(samples::FILE);
    let whole = std::fs::metadata(&path).unwrap().len();
    let mut w = samples::Writer::open(dir.path()).unwrap();
    w.record("kpi:error_rate", t0 + 12_000, Value::Number(1.5))
        .unwrap();
    w.flush().unwrap();
    drop(w);
    let with_third = std::fs::metadata(&path).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(whole + (with_third - whole) / 2).unwrap();
    let r = samples::read(dir.path());
    assert_eq!(r.points.len(), 23, "read up to the tear");
    let torn = r.torn.unwrap();
    assert!(torn.contains(&format!("at byte {whole}")), "{torn}");
    // The next console cuts it off and appends after what held.
    let mut w = samples::Writer::open(dir.path()).unwrap();
    w.record("kpi:error_rate", t0 + 13_000, Value::Number(2.5))
        .unwrap();
    w.flush().unwrap();
    drop(w);
    let r = samples::read(dir.path());
    assert_eq!(r.torn, None);
    assert_eq!(r.points.len(), 24);
    assert_eq!(number(&r.points[23].value), 2.5);

    // A damaged byte in the middle: read up to the damage, said.
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let r = samples::read(dir.path());
    assert!(r.torn.is_some());
    assert!(r.points.len() < 24);
    // Garbage instead of samples: nothing read, said, never a panic.
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(b"not samples at all").unwrap();
    let r = samples::read(dir.path());
    assert!(r.points.is_empty() && r.torn.is_some());
}

/// The demo's console records its KPIs and probes as it sees them; killed with -9, what it
/// synced is all there and whole, and the console started again goes on appending.
#[test]
fn the_console_records_every_sample_and_a_kill_loses_only_the_unsynced_seconds() {
    let mut s = Screen::launch(&["demo"], 24, 80);
    s.wait_for("UP", 30);
    // Several blocks' worth (a block is written every second).
    std::thread::sleep(std::time::Duration::from_secs(11));
    // A run still going replays up to now (here as a recording, which needs no terminal).
    let live_cast = s.run_dir().parent().unwrap().join("live.cast");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["replay", s.run_dir().to_str().unwrap(), "--cast"])
        .arg(&live_cast)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        std::fs::read_to_string(&live_cast)
            .unwrap()
            .contains("REPLAY")
    );
    s.kill9();
    let killed_ms = chrono::Utc::now().timestamp_millis();
    let run_dir = s.run_dir();
    let r = samples::read(&run_dir);
    assert_eq!(r.torn, None);
    for name in ["kpi:error_rate", "kpi:green_p95_ms", "endpoint:api-blue"] {
        assert!(r.series_index(name).is_some(), "{name} in {:?}", r.series);
    }
    let errors = r.series_index("kpi:error_rate").unwrap();
    let before = r.points.iter().filter(|p| p.series == errors).count();
    assert!(before >= 2, "{before} samples of error_rate");
    // What a kill loses is the block being gathered: at most its second (and the polls
    // that would have closed it).
    let last = r.points.iter().map(|p| p.at_ms).max().unwrap();
    assert!(
        killed_ms - last <= 5_000,
        "the last recorded sample is {} ms before the kill",
        killed_ms - last
    );
    let blue = r.series_index("endpoint:api-blue").unwrap();
    assert!(
        r.points
            .iter()
            .filter(|p| p.series == blue)
            .all(|p| samples::health_of(number(&p.value)).is_some())
    );
    // Times in order, within the run.
    assert!(r.points.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));

    let mut s = s.again(&["demo"], 24, 80);
    s.wait_for("Resumed", 30);
    std::thread::sleep(std::time::Duration::from_secs(6));
    s.keys("q");
    assert!(s.wait_exit(10));
    let r = samples::read(&run_dir);
    assert_eq!(r.torn, None);
    let after = r.points.iter().filter(|p| p.series == errors).count();
    assert!(after > before, "{after} after, {before} before");
}

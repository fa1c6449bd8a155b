//! Every KPI sample and endpoint probe the driving console saw, with its time, at full
//! resolution: what `replay` rebuilds the screen from and the report's targets read.
//!
//! `samples.series` names the series, one per line (`kpi:error_rate`,
//! `endpoint:api-blue`, `endpoint:api-blue:latency_ms`), its line number the series'
//! number. `samples.wrs` is a run of blocks, each on its own: a 36-byte header (magic,
//! raw and compressed lengths, the CRC-32C of the compressed bytes, its first and last
//! times, how many points) and the LZ4-compressed records (block.rs). A block is written
//! whole and synced every second, as the journal syncs observations; a console killed
//! mid-block leaves a torn tail, which the next console cuts off before it appends (as
//! etcd repairs its WAL) and a reader stops at, saying where.

pub mod block;

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::{Duration, Instant};

pub use block::{Point, Value};

pub const FILE: &str = "samples.wrs";
pub const SERIES: &str = "samples.series";
/// How far each run's output had come, and when: `{"at": ms, "run": "canary-10.1",
/// "len": bytes}` lines, one each time a running step's output grew (a replay shows a step's
/// output as it stood at the moment).
pub const OUTPUT: &str = "samples.output";
const MAGIC: &[u8; 4] = b"WRB1";
const HEADER: usize = 36;
/// A block is written when it is this old or this large (raw), whichever first: every
/// second, the journal's cadence for observations (a kill loses at most the second).
const EVERY: Duration = Duration::from_secs(1);
const LARGE: usize = 256 * 1024;
/// No block a writer makes is larger; a header claiming more is damage.
const MAX_RAW: usize = 16 * 1024 * 1024;

/// The series' name for a KPI, an endpoint's health, an endpoint's latency.
pub fn kpi_series(id: &str) -> String {
    format!("kpi:{id}")
}

pub fn endpoint_series(id: &str) -> String {
    format!("endpoint:{id}")
}

pub fn latency_series(id: &str) -> String {
    format!("endpoint:{id}:latency_ms")
}

/// An endpoint's health as recorded: 1 up, 2 degraded, 3 down (stale is not a probe's).
pub fn health_code(h: crate::runbook::Health) -> f64 {
    use crate::runbook::Health;
    match h {
        Health::Up => 1.0,
        Health::Degraded => 2.0,
        Health::Down | Health::Stale => 3.0,
    }
}

pub fn health_of(code: f64) -> Option<crate::runbook::Health> {
    use crate::runbook::Health;
    match code as i64 {
        1 => Some(Health::Up),
        2 => Some(Health::Degraded),
        3 => Some(Health::Down),
        _ => None,
    }
}

/// A block's header, as read.
#[derive(Debug, Clone, Copy)]
struct Header {
    raw_len: usize,
    comp_len: usize,
    crc: u32,
    first_ms: i64,
    last_ms: i64,
}

fn header(bytes: &[u8]) -> Option<Header> {
    if bytes.len() < HEADER || &bytes[..4] != MAGIC {
        return None;
    }
    let u32_at = |i: usize| bytes.get(i..i + 4)?.try_into().ok().map(u32::from_le_bytes);
    let i64_at = |i: usize| bytes.get(i..i + 8)?.try_into().ok().map(i64::from_le_bytes);
    let h = Header {
        raw_len: usize::try_from(u32_at(4)?).ok()?,
        comp_len: usize::try_from(u32_at(8)?).ok()?,
        crc: u32_at(12)?,
        first_ms: i64_at(16)?,
        last_ms: i64_at(24)?,
    };
    (h.raw_len <= MAX_RAW && h.comp_len <= MAX_RAW + MAX_RAW / 64 + 64).then_some(h)
}

/// Appends the console's samples to the run directory.
pub struct Writer {
    file: std::fs::File,
    series_file: std::fs::File,
    names: HashMap<String, u32>,
    block: block::Encoder,
    opened: Instant,
    /// Bytes on disk, for the measurement harness.
    pub written: u64,
}

impl Writer {
    /// Opens (or starts) the run's samples, cutting a torn tail off first.
    pub fn open(run_dir: &Path) -> std::io::Result<Self> {
        let path = run_dir.join(FILE);
        let mut file = crate::durable::create(
            &path,
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .truncate(false),
        )?;
        let valid = valid_length(&mut file)?;
        if valid < file.metadata()?.len() {
            tracing::warn!(
                cut = file.metadata()?.len() - valid,
                "the samples file ended in a torn block: cut off before appending"
            );
            file.set_len(valid)?;
            file.sync_all()?;
        }
        file.seek(SeekFrom::End(0))?;
        let series_path = run_dir.join(SERIES);
        let names = read_series(&series_path)
            .into_iter()
            .enumerate()
            .filter_map(|(i, n)| Some((n, u32::try_from(i).ok()?)))
            .collect();
        let series_file =
            crate::durable::create(&series_path, std::fs::OpenOptions::new().append(true))?;
        Ok(Self {
            file,
            series_file,
            names,
            block: block::Encoder::default(),
            opened: Instant::now(),
            written: valid,
        })
    }

    /// One point of a named series; a block goes to disk when one is due.
    pub fn record(&mut self, name: &str, at_ms: i64, value: Value) -> std::io::Result<()> {
        let series = match self.names.get(name) {
            Some(n) => *n,
            None => {
                let n = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
                // A name cannot hold a line break: it would shift every number after it.
                let clean: String = name.chars().filter(|c| *c != '\n').collect();
                self.series_file
                    .write_all(format!("{clean}\n").as_bytes())?;
                self.names.insert(name.to_owned(), n);
                n
            }
        };
        self.block.push(&Point {
            series,
            at_ms,
            value,
        });
        if self.block.raw.len() >= LARGE {
            self.flush()?;
        }
        self.flush_if_due()
    }

    /// The block so far, once it is a second old (called with every batch, samples or not,
    /// so a slow source's last sample does not wait for the next).
    pub fn flush_if_due(&mut self) -> std::io::Result<()> {
        if self.opened.elapsed() >= EVERY {
            self.flush()?;
        }
        Ok(())
    }

    /// The block so far, compressed, written whole and synced (the names it uses first).
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.opened = Instant::now();
        if self.block.is_empty() {
            return Ok(());
        }
        let b = std::mem::take(&mut self.block);
        let comp = lz4_flex::block::compress(&b.raw);
        let mut out = Vec::with_capacity(HEADER + comp.len());
        out.extend_from_slice(MAGIC);
        let len = |n: usize| u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes();
        out.extend_from_slice(&len(b.raw.len()));
        out.extend_from_slice(&len(comp.len()));
        out.extend_from_slice(&crc32c::crc32c(&comp).to_le_bytes());
        out.extend_from_slice(&b.first_ms.unwrap_or(0).to_le_bytes());
        out.extend_from_slice(&b.last_ms.to_le_bytes());
        out.extend_from_slice(&len(b.points));
        out.extend_from_slice(&comp);
        self.series_file.sync_data()?;
        self.file.write_all(&out)?;
        self.file.sync_data()?;
        self.written += out.len() as u64;
        Ok(())
    }
}

/// Where the blocks that hold up end.
fn valid_length(file: &mut std::fs::File) -> std::io::Result<u64> {
    let mut bytes = Vec::new();
    file.seek(SeekFrom::Start(0))?;
    file.read_to_end(&mut bytes)?;
    let mut at = 0usize;
    while let Some((_, _, next)) = block_span(&bytes, at) {
        at = next;
    }
    Ok(at as u64)
}

/// The block at `at` whose bytes are as written (its CRC holds), and where the next
/// begins.
fn block_span(bytes: &[u8], at: usize) -> Option<(Header, &[u8], usize)> {
    let h = header(bytes.get(at..)?)?;
    let start = at + HEADER;
    let end = start.checked_add(h.comp_len)?;
    let comp = bytes.get(start..end)?;
    (crc32c::crc32c(comp) == h.crc).then_some((h, comp, end))
}

fn read_series(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .map(|t| t.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// A run's recorded samples, decoded whole.
#[derive(Debug, Default)]
pub struct Recording {
    pub series: Vec<String>,
    /// In the order recorded (time order).
    pub points: Vec<Point>,
    /// Where the file stopped holding up, if it did before its end.
    pub torn: Option<String>,
}

impl Recording {
    pub fn series_index(&self, name: &str) -> Option<u32> {
        self.series
            .iter()
            .position(|s| s == name)
            .and_then(|i| u32::try_from(i).ok())
    }
}

/// Where one block is, and the times it spans.
#[derive(Debug, Clone)]
struct BlockRef {
    comp: std::ops::Range<usize>,
    raw_len: usize,
    first_ms: i64,
    last_ms: i64,
}

/// A run's samples as written, indexed by block and decoded a block at a time: what a
/// replay seeks in, holding the compressed bytes only (an 8-hour night of 1,000 KPIs is
/// about 175 MB of them, several times that decoded).
#[derive(Debug, Default)]
pub struct Blocks {
    pub series: Vec<String>,
    bytes: Vec<u8>,
    index: Vec<BlockRef>,
    /// Where the file stopped holding up, if it did before its end.
    pub torn: Option<String>,
}

impl Blocks {
    /// The run's samples file indexed (none, for an older run: no blocks); a torn or
    /// damaged block ends the index, said in `torn`.
    pub fn open(run_dir: &Path) -> Self {
        let series = read_series(&run_dir.join(SERIES));
        let Ok(bytes) = std::fs::read(run_dir.join(FILE)) else {
            return Self {
                series,
                ..Self::default()
            };
        };
        let mut index = Vec::new();
        let mut at = 0usize;
        let mut torn = None;
        while at < bytes.len() {
            match block_span(&bytes, at) {
                Some((h, _, next)) => {
                    index.push(BlockRef {
                        comp: at + HEADER..next,
                        raw_len: h.raw_len,
                        first_ms: h.first_ms,
                        last_ms: h.last_ms,
                    });
                    at = next;
                }
                None => {
                    torn = Some(format!(
                        "the samples end in a torn or damaged block at byte {at} of {}: read up to it",
                        bytes.len()
                    ));
                    break;
                }
            }
        }
        Self {
            series,
            bytes,
            index,
            torn,
        }
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The first and last times recorded.
    pub fn span(&self) -> Option<(i64, i64)> {
        let first = self.index.iter().map(|b| b.first_ms).min()?;
        let last = self.index.iter().map(|b| b.last_ms).max()?;
        Some((first, last))
    }

    /// The blocks holding any time in `[from_ms, to_ms]`, in the order written.
    pub fn overlapping(&self, from_ms: i64, to_ms: i64) -> Vec<usize> {
        self.index
            .iter()
            .enumerate()
            .filter(|(_, b)| b.last_ms >= from_ms && b.first_ms <= to_ms)
            .map(|(i, _)| i)
            .collect()
    }

    /// Block `i`'s points (none if it does not decode: its CRC held, so that is a bug).
    pub fn decode(&self, i: usize) -> Vec<Point> {
        let Some(b) = self.index.get(i) else {
            return Vec::new();
        };
        let Some(comp) = self.bytes.get(b.comp.clone()) else {
            return Vec::new();
        };
        lz4_flex::block::decompress(comp, b.raw_len)
            .ok()
            .and_then(|raw| block::decode(&raw, b.first_ms).ok())
            .unwrap_or_default()
    }
}

/// Reads what a run recorded, decoded whole: none (an older run) is an empty recording; a
/// torn block ends it, said in `torn`.
pub fn read(run_dir: &Path) -> Recording {
    let blocks = Blocks::open(run_dir);
    let points = (0..blocks.len()).flat_map(|i| blocks.decode(i)).collect();
    Recording {
        series: blocks.series,
        points,
        torn: blocks.torn,
    }
}

/// One mark of a run's output: when, which record directory (`<name>.<attempt>`), how long.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OutputMark {
    pub at: i64,
    pub run: String,
    pub len: u64,
}

/// Appends output marks (observations: not synced on their own).
pub fn mark_output(run_dir: &Path, marks: &[OutputMark]) -> std::io::Result<()> {
    if marks.is_empty() {
        return Ok(());
    }
    let mut buf = Vec::new();
    for m in marks {
        serde_json::to_writer(&mut buf, m).map_err(std::io::Error::other)?;
        buf.push(b'\n');
    }
    crate::durable::create(
        &run_dir.join(OUTPUT),
        std::fs::OpenOptions::new().append(true),
    )?
    .write_all(&buf)
}

/// Each run's output marks, in time order; lines that do not parse (a torn last one) are
/// skipped.
pub fn read_output(run_dir: &Path) -> HashMap<String, Vec<(i64, u64)>> {
    let mut out: HashMap<String, Vec<(i64, u64)>> = HashMap::new();
    let text = std::fs::read_to_string(run_dir.join(OUTPUT)).unwrap_or_default();
    for m in text
        .lines()
        .filter_map(|l| serde_json::from_str::<OutputMark>(l).ok())
    {
        out.entry(m.run).or_default().push((m.at, m.len));
    }
    for v in out.values_mut() {
        v.sort_unstable();
    }
    out
}

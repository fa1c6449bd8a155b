//! The run's journal: `journal.jsonl`, the append-only list of domain events that is the
//! source of truth for resume (and, later, watch and report).
//!
//! One record per line: `{"crc":<CRC32C of rec>,"rec":{...}}`. The newline is the commit
//! marker: the bytes after the last newline are a torn write (cut off, or zeros a crash
//! left) and are repaired away with the original kept aside; a committed line that fails
//! its CRC, its sequence or its JSON is corruption, and the journal is refused, untouched.
//! Written here rather than taken from a crate: this is the heart of the product, and no
//! WAL crate gives a human-readable line format with these recovery rules.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::app::event::{Event, Record, SCHEMA};
use crate::durable;

pub const FILE: &str = "journal.jsonl";
/// Where a repaired journal's original bytes are kept.
pub const BROKEN: &str = "journal.jsonl.broken";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "{}: corrupt at record {record} (byte {offset}): {why}; it was left as it is (move it aside to start a new run there)",
        path.display()
    )]
    Corrupt {
        path: PathBuf,
        record: u64,
        offset: u64,
        why: String,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Where the committed part of a journal ends, and what follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Torn {
    /// Length of the committed, valid part.
    pub good_len: u64,
    /// Bytes after it: a torn last write.
    pub bytes: u64,
}

/// A committed line that does not hold up: which record, where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corrupt {
    pub record: u64,
    pub offset: u64,
    pub why: String,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    crc: u32,
    #[serde(borrow)]
    rec: &'a RawValue,
}

/// One record as a journal line, newline included.
pub fn encode(rec: &Record) -> Vec<u8> {
    // Serializing our own types cannot fail (string keys, no non-finite floats reach it:
    // serde_json writes those as null).
    let body = serde_json::to_string(rec).unwrap_or_else(|_| "null".to_owned());
    let crc = crc32c::crc32c(body.as_bytes());
    format!("{{\"crc\":{crc},\"rec\":{body}}}\n").into_bytes()
}

fn decode(line: &[u8], expected_seq: u64) -> Result<Record, String> {
    let env: Envelope<'_> =
        serde_json::from_slice(line).map_err(|e| format!("not a record: {e}"))?;
    let body = env.rec.get();
    let crc = crc32c::crc32c(body.as_bytes());
    if crc != env.crc {
        return Err(format!("CRC mismatch (stored {}, computed {crc})", env.crc));
    }
    let rec: Record = serde_json::from_str(body).map_err(|e| format!("unreadable event: {e}"))?;
    if rec.v > SCHEMA {
        return Err(format!(
            "written with journal schema {} by a newer warroom (this one reads up to {SCHEMA})",
            rec.v
        ));
    }
    if rec.seq != expected_seq {
        return Err(format!("sequence {} where {expected_seq} was due", rec.seq));
    }
    Ok(rec)
}

/// The committed records of a journal's bytes, how far they go, and the first committed
/// line that does not hold up (scanning stops there).
fn scan(bytes: &[u8]) -> (Vec<Record>, usize, Option<Corrupt>) {
    let mut records = Vec::new();
    let mut at = 0usize;
    while let Some(nl) = bytes[at..].iter().position(|b| *b == b'\n') {
        // Zeros (with or without newlines) to the end are a crash's unwritten blocks.
        if bytes[at..].iter().all(|b| *b == 0 || *b == b'\n') {
            break;
        }
        let seq = records.len() as u64 + 1;
        match decode(&bytes[at..at + nl], seq) {
            Ok(rec) => records.push(rec),
            Err(why) => {
                let c = Corrupt {
                    record: seq,
                    offset: at as u64,
                    why,
                };
                return (records, at, Some(c));
            }
        }
        at += nl + 1;
    }
    (records, at, None)
}

/// Reads a journal's bytes: the committed records, and the torn tail if there is one.
pub fn parse(bytes: &[u8]) -> Result<(Vec<Record>, Option<Torn>), Corrupt> {
    let (records, at, corrupt) = scan(bytes);
    if let Some(c) = corrupt {
        return Err(c);
    }
    let torn = (at < bytes.len()).then(|| Torn {
        good_len: at as u64,
        bytes: (bytes.len() - at) as u64,
    });
    Ok((records, torn))
}

/// Reads what holds up of a journal, for a report: the records before any damage, and
/// what the damage is (a torn tail is not damage: it was never committed).
pub fn read_until_damage(path: &Path) -> Result<(Vec<Record>, Option<Corrupt>), Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    let (records, _, corrupt) = scan(&bytes);
    Ok((records, corrupt))
}

/// Reads the journal at `path` without changing it.
pub fn read(path: &Path) -> Result<(Vec<Record>, Option<Torn>), Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    parse(&bytes).map_err(|c| Error::Corrupt {
        path: path.to_owned(),
        record: c.record,
        offset: c.offset,
        why: c.why,
    })
}

/// Follows a journal another process writes, without writing anything: each poll returns
/// the records committed since the last one (a torn or unfinished line waits).
#[derive(Debug)]
pub struct Follower {
    /// The end of the last whole line read.
    offset: u64,
    next_seq: u64,
}

impl Default for Follower {
    /// From the journal's first record (sequence 1).
    fn default() -> Self {
        Self {
            offset: 0,
            next_seq: 1,
        }
    }
}

impl Follower {
    /// The records committed since the last poll; an error names the record that does not
    /// hold up (the follower then stops there).
    pub fn poll(&mut self, path: &Path) -> Result<Vec<Record>, Corrupt> {
        use std::io::{Read, Seek, SeekFrom};
        // Read from the end of the last whole line each time: an unfinished line is read
        // again, so a torn tail the driver cut off and wrote over is never mixed in.
        let committed = self.offset;
        let mut tail = Vec::new();
        if let Ok(mut f) = File::open(path)
            && f.seek(SeekFrom::Start(committed)).is_ok()
        {
            let _ = f.read_to_end(&mut tail);
        }
        let mut records = Vec::new();
        let mut at = 0;
        while let Some(nl) = tail[at..].iter().position(|b| *b == b'\n') {
            match decode(&tail[at..at + nl], self.next_seq) {
                Ok(rec) => records.push(rec),
                Err(why) => {
                    return Err(Corrupt {
                        record: self.next_seq,
                        offset: committed + at as u64,
                        why,
                    });
                }
            }
            self.next_seq += 1;
            at += nl + 1;
        }
        self.offset = committed + at as u64;
        Ok(records)
    }
}

/// Observations may trail the disk by up to a second; decisions never do.
fn needs_sync(event: &Event) -> bool {
    !matches!(
        event,
        Event::RulePending { .. }
            | Event::RuleFiring { .. }
            | Event::RuleResolved { .. }
            | Event::RuleReset { .. }
            | Event::CheckAuto { .. }
    )
}

/// The open journal of a run, for appending.
pub struct Journal {
    file: File,
    /// Length of what was written whole.
    len: u64,
    /// Length known to be on disk.
    synced_len: u64,
    /// Since when records written have not been fsync'd.
    unsynced: Option<Instant>,
    /// Why the journal stopped: nothing more is appended after a failure.
    failed: Option<String>,
}

/// What opening found: the records to replay, and a repair done on the way.
pub struct Opened {
    pub journal: Journal,
    pub records: Vec<Record>,
    /// Set when a torn tail was cut off: what was done, for the operator.
    pub repaired: Option<String>,
}

impl Journal {
    /// Opens the journal in `dir` (creating an empty one), after reading it whole. A torn
    /// tail is repaired (the original kept as `journal.jsonl.broken`); corruption is refused.
    pub fn open(dir: &Path) -> Result<Opened, Error> {
        let path = dir.join(FILE);
        let io = |source| Error::Io {
            path: path.clone(),
            source,
        };
        let existed = path.exists();
        let (records, torn) = if existed {
            read(&path)?
        } else {
            (Vec::new(), None)
        };
        let mut repaired = None;
        if let Some(t) = &torn {
            let broken = dir.join(BROKEN);
            std::fs::copy(&path, &broken).map_err(io)?;
            File::open(&broken).and_then(|f| f.sync_all()).map_err(io)?;
            let f = OpenOptions::new().write(true).open(&path).map_err(io)?;
            f.set_len(t.good_len).map_err(io)?;
            f.sync_all().map_err(io)?;
            repaired = Some(format!(
                "the journal's last write was torn: {} byte(s) after record {} were cut off (the original is kept as {BROKEN})",
                t.bytes,
                records.len()
            ));
        }
        let file = durable::create(&path, OpenOptions::new().append(true)).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        if !existed || torn.is_some() {
            durable::fsync_dir(dir).map_err(io)?;
        }
        Ok(Opened {
            journal: Self {
                file,
                len,
                synced_len: len,
                unsynced: None,
                failed: None,
            },
            records,
            repaired,
        })
    }

    pub fn failed(&self) -> Option<&str> {
        self.failed.as_deref()
    }

    /// Appends records in one write, and fsyncs unless they are all observations. A failure
    /// is final: the journal is cut back to its last whole record and takes nothing more
    /// (after a failed fsync the kernel may have dropped the data and report the next one
    /// as fine, so retrying would lie).
    pub fn append(&mut self, records: &[Record]) -> Result<(), String> {
        if let Some(why) = &self.failed {
            return Err(why.clone());
        }
        if records.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::new();
        for r in records {
            buf.extend_from_slice(&encode(r));
        }
        if let Err(e) = self.file.write_all(&buf) {
            let cut = self.file.set_len(self.len);
            return Err(self.fail(format!(
                "writing the journal failed ({e}){}",
                if cut.is_err() {
                    "; it could not be cut back to its last whole record"
                } else {
                    ""
                }
            )));
        }
        self.len += buf.len() as u64;
        self.unsynced.get_or_insert_with(Instant::now);
        if records.iter().any(|r| needs_sync(&r.event)) {
            self.sync()?;
        }
        Ok(())
    }

    /// Flushes observations written more than `after` ago.
    pub fn sync_if_older(&mut self, after: std::time::Duration) -> Result<(), String> {
        match self.unsynced {
            Some(t) if t.elapsed() >= after => self.sync(),
            _ => Ok(()),
        }
    }

    pub fn sync(&mut self) -> Result<(), String> {
        if let Some(why) = &self.failed {
            return Err(why.clone());
        }
        if self.unsynced.is_none() {
            return Ok(());
        }
        match self.file.sync_data() {
            Ok(()) => {
                self.unsynced = None;
                self.synced_len = self.len;
                Ok(())
            }
            Err(e) => {
                // What was not made durable is taken back, so a resume cannot find records
                // whose effects this console never ran.
                let cut = self.file.set_len(self.synced_len);
                Err(self.fail(format!(
                    "fsync of the journal failed ({e}){}",
                    if cut.is_err() {
                        "; it could not be cut back to its last durable record"
                    } else {
                        ""
                    }
                )))
            }
        }
    }

    fn fail(&mut self, why: String) -> String {
        tracing::error!(%why, "journal failed; no further actions are accepted");
        self.failed = Some(why.clone());
        why
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::event::Operator;

    fn rec(seq: u64) -> Record {
        let by = Operator {
            user: "op".into(),
            host: "h".into(),
            ssh: None,
        };
        let event = Event::CheckTicked {
            check: format!("c{seq}"),
            ticked: true,
        };
        let at = chrono::DateTime::from_timestamp(1_800_000_000 + seq as i64, 0).unwrap();
        Record::new(seq, at, by, event)
    }

    fn bytes(n: u64) -> Vec<u8> {
        (1..=n).flat_map(|i| encode(&rec(i))).collect()
    }

    #[test]
    fn a_follower_sees_each_record_once_as_it_is_committed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        let all = bytes(3);
        let cut = all.len() - 10;
        std::fs::write(&path, &all[..cut]).unwrap();
        let mut f = Follower::default();
        assert_eq!(f.poll(&path).unwrap(), vec![rec(1), rec(2)]);
        assert!(
            f.poll(&path).unwrap().is_empty(),
            "the unfinished line waits"
        );
        std::fs::write(&path, &all).unwrap();
        assert_eq!(f.poll(&path).unwrap(), vec![rec(3)]);
        assert!(f.poll(&path).unwrap().is_empty());
    }

    #[test]
    fn a_follower_survives_the_repair_of_a_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        let two = bytes(2);
        let mut torn = two.clone();
        torn.extend_from_slice(b"{\"crc\":1,\"rec\":{\"v\":1,\"se");
        std::fs::write(&path, &torn).unwrap();
        let mut f = Follower::default();
        assert_eq!(f.poll(&path).unwrap().len(), 2);
        // The driver repairs (cuts the tail), then appends record 3 over where it was.
        let mut repaired = two.clone();
        repaired.extend_from_slice(&encode(&rec(3)));
        std::fs::write(&path, &two).unwrap();
        assert!(f.poll(&path).unwrap().is_empty());
        std::fs::write(&path, &repaired).unwrap();
        assert_eq!(f.poll(&path).unwrap(), vec![rec(3)]);
        // The same when the cut and the new record both land between two polls.
        let mut g = Follower::default();
        std::fs::write(&path, &torn).unwrap();
        assert_eq!(g.poll(&path).unwrap().len(), 2);
        std::fs::write(&path, &repaired).unwrap();
        assert_eq!(g.poll(&path).unwrap(), vec![rec(3)]);
    }

    #[test]
    fn round_trip() {
        let (recs, torn) = parse(&bytes(5)).unwrap();
        assert_eq!(recs, (1..=5).map(rec).collect::<Vec<_>>());
        assert_eq!(torn, None);
    }

    #[test]
    fn a_line_without_its_newline_is_torn_not_committed() {
        let mut b = bytes(3);
        b.pop();
        let (recs, torn) = parse(&b).unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(torn.unwrap().good_len, bytes(2).len() as u64);
    }

    #[test]
    fn a_committed_line_with_garbage_is_corrupt() {
        let mut b = bytes(3);
        b.extend_from_slice(b"hello\n");
        let c = parse(&b).unwrap_err();
        assert_eq!(c.record, 4);
        assert_eq!(c.offset, bytes(3).len() as u64);
    }

    #[test]
    fn a_sequence_gap_is_corrupt() {
        let mut b = bytes(2);
        b.extend_from_slice(&encode(&rec(4)));
        let c = parse(&b).unwrap_err();
        assert_eq!(c.record, 3);
        assert!(c.why.contains("sequence 4"), "{}", c.why);
    }
}

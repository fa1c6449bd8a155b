//! The run's journal: `journal.jsonl`, the append-only list of domain events that is the
//! source of truth for resume (and, later, watch and report).
//!
//! One record per line: `{"crc":<CRC32C of rec>,"prev":"<SHA-256 of the line before>","rec":{...}}`.
//! `prev` chains each line to the one before it (the first to [`GENESIS`]), so an edited,
//! removed or reordered record shows in [`verify`]; journals written before the chain
//! (schema 1) have no `prev` and read as unchained. The newline is the commit
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
use sha2::{Digest, Sha256};

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
#[serde(deny_unknown_fields)]
struct Envelope<'a> {
    crc: u32,
    /// The SHA-256 of the line before, in hex; absent in a journal older than the chain.
    #[serde(default)]
    prev: Option<&'a str>,
    #[serde(borrow)]
    rec: &'a RawValue,
}

/// The SHA-256 of a journal line (its newline included).
pub type Hash = [u8; 32];

/// What the first record links to.
pub const GENESIS: Hash = [0; 32];

/// The hash the next line links to: this line's, newline included.
pub fn line_hash(line: &[u8]) -> Hash {
    Sha256::digest(line).into()
}

/// A hash as the journal writes it: 64 lower-case hex digits.
pub fn hex(h: &Hash) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

/// One record as a journal line, newline included, linked to the line before it.
pub fn encode(rec: &Record, prev: &Hash) -> Vec<u8> {
    // Serializing our own types cannot fail (string keys, no non-finite floats reach it:
    // serde_json writes those as null).
    let body = serde_json::to_string(rec).unwrap_or_else(|_| "null".to_owned());
    let crc = crc32c::crc32c(body.as_bytes());
    format!(
        "{{\"crc\":{crc},\"prev\":\"{}\",\"rec\":{body}}}\n",
        hex(prev)
    )
    .into_bytes()
}

/// Records as the lines of a journal from its start, each linked to the one before.
pub fn encode_all(records: &[Record]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut prev = GENESIS;
    for r in records {
        let line = encode(r, &prev);
        prev = line_hash(&line);
        out.extend_from_slice(&line);
    }
    out
}

/// Where the chain stands while a journal is read: the hash the next line must link to,
/// whether a linked line was seen, and how many lines came before the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    pub head: Hash,
    chained: bool,
    pub unchained: u64,
    /// The first line's hash: the run's id, which a signed vote names.
    pub first: Option<Hash>,
}

impl Default for Link {
    fn default() -> Self {
        Self {
            head: GENESIS,
            chained: false,
            unchained: 0,
            first: None,
        }
    }
}

/// One committed line (without its newline): its CRC, JSON, schema, sequence and link to
/// the line before. On success the link moves on to this line.
fn decode(line: &[u8], expected_seq: u64, link: &mut Link) -> Result<Record, String> {
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
    match env.prev {
        None if link.chained => {
            return Err("it has no link to the record before it, though the records before it are chained: it was put there by hand".to_owned());
        }
        None => link.unchained += 1,
        Some(p) if p == hex(&link.head) => link.chained = true,
        Some(_) if expected_seq == 1 => {
            return Err(
                "it does not link to the journal's start: records before it were removed"
                    .to_owned(),
            );
        }
        Some(_) => {
            return Err(format!(
                "its link to record {} does not match: that record was changed after it was written, or this link was",
                expected_seq - 1
            ));
        }
    }
    // The line as written, newline included, is what the next one links to.
    let mut full = Sha256::new();
    full.update(line);
    full.update(b"\n");
    link.head = full.finalize().into();
    link.first.get_or_insert(link.head);
    Ok(rec)
}

/// The committed records of a journal's bytes, how far they go, and the first committed
/// line that does not hold up (scanning stops there).
fn scan(bytes: &[u8]) -> (Vec<Record>, usize, Option<Corrupt>, Link) {
    let mut records = Vec::new();
    let mut at = 0usize;
    let mut link = Link::default();
    while let Some(nl) = bytes[at..].iter().position(|b| *b == b'\n') {
        // Zeros (with or without newlines) to the end are a crash's unwritten blocks.
        if bytes[at..].iter().all(|b| *b == 0 || *b == b'\n') {
            break;
        }
        let seq = records.len() as u64 + 1;
        match decode(&bytes[at..at + nl], seq, &mut link) {
            Ok(rec) => records.push(rec),
            Err(why) => {
                let c = Corrupt {
                    record: seq,
                    offset: at as u64,
                    why,
                };
                return (records, at, Some(c), link);
            }
        }
        at += nl + 1;
    }
    (records, at, None, link)
}

/// Reads a journal's bytes: the committed records, and the torn tail if there is one.
pub fn parse(bytes: &[u8]) -> Result<(Vec<Record>, Option<Torn>), Corrupt> {
    let (records, at, corrupt, _) = scan(bytes);
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
    let (records, _, corrupt, _) = scan(&bytes);
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

/// The hash the next record links to, given a journal's committed bytes: its last
/// line's, or [`GENESIS`] for an empty journal.
pub fn head_of(committed: &[u8]) -> Hash {
    let Some(body) = committed.strip_suffix(b"\n") else {
        return GENESIS;
    };
    let start = body.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    line_hash(&committed[start..])
}

/// Each committed line's SHA-256, in order: what a checkpoint's head is held against.
pub fn line_hashes(bytes: &[u8]) -> Vec<Hash> {
    bytes
        .split_inclusive(|b| *b == b'\n')
        .take_while(|l| l.ends_with(b"\n") && !l.iter().all(|b| *b == 0 || *b == b'\n'))
        .map(line_hash)
        .collect()
}

/// What a journal's chain says: how many records hold up, how many came before the chain
/// (a journal begun by an older warroom), the head the next record would link to, and the
/// first record where it breaks (scanning stops there).
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub records: u64,
    /// The records that hold up, in order: all of them, or those before `broken`.
    pub read: Vec<Record>,
    pub unchained: u64,
    pub head: Hash,
    /// The run's id: the first line's hash.
    pub run: Option<Hash>,
    pub broken: Option<Corrupt>,
}

/// Checks every committed record: its CRC, JSON and sequence as reading does, and its
/// link to the line before it. A record changed by hand (its CRC made to match) breaks the
/// link of the record after it; a record removed or moved breaks the sequence. What the
/// chain cannot show by itself is a change to the last record: compare the head with a
/// copy of it kept elsewhere (a checkpoint).
pub fn verify(bytes: &[u8]) -> Verified {
    let (records, _, broken, link) = scan(bytes);
    Verified {
        records: records.len() as u64,
        read: records,
        unchained: link.unchained,
        head: link.head,
        run: link.first,
        broken,
    }
}

/// Where a vote's run and head stand in a journal's bytes: how many records the voter had
/// seen (the head is that record's line hash); else why they are not this journal's.
pub fn seen_at(bytes: &[u8], run: &str, head: &str) -> Result<u64, String> {
    let hashes = line_hashes(bytes);
    if hashes.first().is_none_or(|h| hex(h) != run) {
        return Err("it was cast for another run (its run id is not this journal's)".to_owned());
    }
    hashes
        .iter()
        .position(|h| hex(h) == head)
        .map(|i| i as u64 + 1)
        .ok_or_else(|| "it names a journal head this run never had".to_owned())
}

/// Follows a journal another process writes, without writing anything: each poll returns
/// the records committed since the last one (a torn or unfinished line waits).
#[derive(Debug)]
pub struct Follower {
    /// The end of the last whole line read.
    offset: u64,
    next_seq: u64,
    link: Link,
}

impl Default for Follower {
    /// From the journal's first record (sequence 1).
    fn default() -> Self {
        Self {
            offset: 0,
            next_seq: 1,
            link: Link::default(),
        }
    }
}

impl Follower {
    /// The run's id (its first line's hash), once read.
    pub fn run(&self) -> Option<Hash> {
        self.link.first
    }

    /// The hash of the last record read.
    pub fn head(&self) -> Hash {
        self.link.head
    }

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
            match decode(&tail[at..at + nl], self.next_seq, &mut self.link) {
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
            | Event::CanaryJudged { .. }
            | Event::CheckAuto { .. }
    )
}

/// The open journal of a run, for appending.
pub struct Journal {
    file: File,
    /// The hash the next record links to: the last line's.
    head: Hash,
    /// Length of what was written whole.
    len: u64,
    /// Length known to be on disk, and the hash its last line has.
    synced_len: u64,
    synced_head: Hash,
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
        let bytes = if existed {
            std::fs::read(&path).map_err(io)?
        } else {
            Vec::new()
        };
        let (records, torn) = parse(&bytes).map_err(|c| Error::Corrupt {
            path: path.clone(),
            record: c.record,
            offset: c.offset,
            why: c.why,
        })?;
        let committed = torn.as_ref().map_or(bytes.len(), |t| t.good_len as usize);
        let head = head_of(&bytes[..committed]);
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
                head,
                len,
                synced_len: len,
                synced_head: head,
                unsynced: None,
                failed: None,
            },
            records,
            repaired,
        })
    }

    /// The hash the next record links to: the last line's, in hex.
    pub fn head(&self) -> String {
        hex(&self.head)
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
        let mut head = self.head;
        for r in records {
            let line = encode(r, &head);
            head = line_hash(&line);
            buf.extend_from_slice(&line);
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
        self.head = head;
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
                self.synced_head = self.head;
                Ok(())
            }
            Err(e) => {
                // What was not made durable is taken back, so a resume cannot find records
                // whose effects this console never ran.
                let cut = self.file.set_len(self.synced_len);
                self.head = self.synced_head;
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
        encode_all(&(1..=n).map(rec).collect::<Vec<_>>())
    }

    /// A record's line, linked to the end of `before`.
    fn after(before: &[u8], r: &Record) -> Vec<u8> {
        encode(r, &head_of(before))
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
        torn.extend_from_slice(b"{\"crc\":1,\"prev\":\"00\",\"rec\":{\"v\":2,\"se");
        std::fs::write(&path, &torn).unwrap();
        let mut f = Follower::default();
        assert_eq!(f.poll(&path).unwrap().len(), 2);
        // The driver repairs (cuts the tail), then appends record 3 over where it was.
        let mut repaired = two.clone();
        repaired.extend_from_slice(&after(&two, &rec(3)));
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
        let link = after(&b, &rec(4));
        b.extend_from_slice(&link);
        let c = parse(&b).unwrap_err();
        assert_eq!(c.record, 3);
        assert!(c.why.contains("sequence 4"), "{}", c.why);
    }

    /// A line as a journal older than the chain wrote it: no `prev`.
    fn unchained(r: &Record) -> Vec<u8> {
        let body = serde_json::to_string(r).unwrap();
        let crc = crc32c::crc32c(body.as_bytes());
        format!("{{\"crc\":{crc},\"rec\":{body}}}\n").into_bytes()
    }

    /// Record `n`'s line changed by hand, its CRC made to match, its link kept.
    fn edited(b: &[u8], n: usize) -> Vec<u8> {
        let lines: Vec<&[u8]> = b.split_inclusive(|c| *c == b'\n').collect();
        let mut out = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            if i + 1 == n {
                let text = std::str::from_utf8(l).unwrap();
                let env: serde_json::Value = serde_json::from_str(text).unwrap();
                let mut r: Record = serde_json::from_value(env["rec"].clone()).unwrap();
                r.event = Event::CheckTicked {
                    check: "forged".into(),
                    ticked: false,
                };
                let body = serde_json::to_string(&r).unwrap();
                let crc = crc32c::crc32c(body.as_bytes());
                let prev = env["prev"].as_str().unwrap();
                out.extend_from_slice(
                    format!("{{\"crc\":{crc},\"prev\":\"{prev}\",\"rec\":{body}}}\n").as_bytes(),
                );
            } else {
                out.extend_from_slice(l);
            }
        }
        out
    }

    #[test]
    fn the_chain_holds_and_names_the_record_changed_removed_or_moved() {
        let b = bytes(5);
        let v = verify(&b);
        assert_eq!((v.records, v.unchained, v.broken), (5, 0, None));
        assert_eq!(v.head, head_of(&b));
        // Changed by hand, CRC and all: the next record's link says which.
        let v = verify(&edited(&b, 3));
        let broken = v.broken.unwrap();
        assert_eq!(broken.record, 4);
        assert!(broken.why.contains("record 3"), "{}", broken.why);
        // The last record changed: the chain holds, but its head moved.
        let v = verify(&edited(&b, 5));
        assert!(v.broken.is_none());
        assert_ne!(v.head, head_of(&b));
        // Removed, or two swapped: the sequence says where.
        let lines: Vec<&[u8]> = b.split_inclusive(|c| *c == b'\n').collect();
        let removed: Vec<u8> = [lines[0], lines[2], lines[3]].concat();
        assert_eq!(verify(&removed).broken.unwrap().record, 2);
        let swapped: Vec<u8> = [lines[0], lines[2], lines[1]].concat();
        assert_eq!(verify(&swapped).broken.unwrap().record, 2);
        // The first removed: the new first does not link to the start.
        let headless: Vec<u8> = lines[1..].concat();
        let c = verify(&headless).broken.unwrap();
        assert_eq!(c.record, 1);
    }

    #[test]
    fn a_journal_older_than_the_chain_reads_as_unchained_and_goes_on_chained() {
        let mut b: Vec<u8> = (1..=3).flat_map(|i| unchained(&rec(i))).collect();
        // Reading it is as before.
        assert_eq!(parse(&b).unwrap().0.len(), 3);
        // A newer console goes on from its last line.
        let next = after(&b, &rec(4));
        b.extend_from_slice(&next);
        let v = verify(&b);
        assert_eq!((v.records, v.unchained, v.broken), (4, 3, None));
        // An unchained line after chained ones was put there by hand.
        b.extend_from_slice(&unchained(&rec(5)));
        let c = verify(&b).broken.unwrap();
        assert_eq!(c.record, 5);
        assert!(c.why.contains("by hand"), "{}", c.why);
    }

    #[test]
    fn the_writer_chains_across_a_resume_and_a_repaired_tail() {
        let dir = tempfile::tempdir().unwrap();
        let mut opened = Journal::open(dir.path()).unwrap();
        opened.journal.append(&[rec(1), rec(2)]).unwrap();
        drop(opened);
        // A torn write after record 2, repaired at the next open.
        let path = dir.path().join(FILE);
        let mut torn = std::fs::read(&path).unwrap();
        torn.extend_from_slice(b"{\"crc\":5,\"pr");
        std::fs::write(&path, &torn).unwrap();
        let mut opened = Journal::open(dir.path()).unwrap();
        assert!(opened.repaired.is_some());
        opened.journal.append(&[rec(3)]).unwrap();
        let v = verify(&std::fs::read(&path).unwrap());
        assert_eq!((v.records, v.unchained, v.broken), (3, 0, None));
    }
}

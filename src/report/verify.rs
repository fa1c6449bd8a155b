//! `report --verify`: whether a journal is exactly what its consoles wrote (every record's
//! CRC, sequence and link, and every checkpoint), and every vote as an auditor reads it.

use std::fmt::Write as _;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::*;

#[derive(Debug, Clone, Default, Serialize)]
pub struct ChainReport {
    pub records: u64,
    /// Records written by a warroom older than the chain (schema 1), from the first.
    pub unchained: u64,
    pub head: String,
}

impl ChainReport {
    pub(super) fn of(v: &journal::Verified) -> Self {
        Self {
            records: v.records,
            unchained: v.unchained,
            head: journal::hex(&v.head),
        }
    }

    /// `57 records, each linked to the one before (head 3f2a9c…)`.
    pub fn words(&self) -> String {
        let head = self.head.get(..12).unwrap_or("");
        match (self.records, self.unchained) {
            (0, _) => "no records".to_owned(),
            (n, 0) => format!("{n} records, each linked to the one before (head `{head}`)"),
            (n, u) if u == n => {
                format!("{n} records, not chained (written before warroom linked its records)")
            }
            (n, u) => format!(
                "{n} records: 1-{u} written before warroom linked its records, {}-{n} linked (head `{head}`)",
                u + 1
            ),
        }
    }
}

/// `report --verify`: whether the journal in `run_dir` is exactly what its consoles
/// wrote, in words, and whether it holds. Every record's CRC, sequence and link to the one
/// before are checked; the head is printed to be compared with a copy kept elsewhere.
pub fn verify(run_dir: &Path) -> Result<(String, bool), Error> {
    let path = run_dir.join(journal::FILE);
    let bytes = std::fs::read(&path).map_err(|source| journal::Error::Io {
        path: path.clone(),
        source,
    })?;
    let v = journal::verify(&bytes);
    let chain = ChainReport::of(&v);
    if v.broken.is_none()
        && let Some(wrong) = checkpoint_mismatch(&bytes, &v.read)
    {
        return Ok((format!("{}: {wrong}\n", path.display()), false));
    }
    let mut text = match &v.broken {
        None if v.unchained == v.records => format!(
            "{}: every record's CRC and sequence hold; {}: a record changed by hand with its CRC made to match would not show.\n",
            path.display(),
            chain.words(),
        ),
        None => format!(
            "{}: the record holds: {}.\nhead {} (compare it with a copy kept elsewhere: a change to the last record shows only there)\n",
            path.display(),
            chain.words(),
            chain.head
        ),
        Some(c) => format!(
            "{}: record {} (byte {}) does not hold: {}\nthe {} records before it hold: {}.\n",
            path.display(),
            c.record,
            c.offset,
            c.why,
            v.records,
            chain.words()
        ),
    };
    if v.broken.is_none()
        && let Some(rb) = runbook_of(&v.read)
    {
        text.push_str(&approvals(&v.read, &rb));
    }
    Ok((text, v.broken.is_none()))
}

/// The runbook the journal names, when it loads: who the approvers are.
fn runbook_of(records: &[Record]) -> Option<Runbook> {
    let Some(Event::RunOpened { path, .. }) = records.first().map(|r| &r.event) else {
        return None;
    };
    crate::runbook::load(Path::new(path)).ok().map(|(rb, _)| rb)
}

/// Every vote in the record, as an auditor reads it: the gate, the approver, who cast it
/// and how, when, and the SHA-256 of the evidence on screen then (the hash a signed vote
/// will sign).
fn approvals(records: &[Record], rb: &Runbook) -> String {
    let mut out = String::new();
    // Who drives as the record goes: a vote they cast is the driver's.
    let mut driver: Option<&str> = None;
    for r in records {
        match &r.event {
            Event::DriverAttached { .. } => driver = Some(&r.by.user),
            Event::Handover { to, .. } => driver = Some(&to.user),
            Event::GateVote {
                gate,
                approver,
                decision,
                evidence,
                ..
            } => {
                if out.is_empty() {
                    out.push_str("approvals:\n");
                }
                let how = history::vote_how(rb, &r.event, driver, &r.by.user);
                let evidence_hash: String = Sha256::digest(evidence.join("\n").as_bytes())
                    .iter()
                    .take(6)
                    .map(|b| format!("{b:02x}"))
                    .collect();
                let _ = writeln!(
                    out,
                    "  {gate}  {approver}: {}  by {} ({how}, not signed)  at {} UTC  evidence sha256 {evidence_hash}…",
                    match decision {
                        VoteDecision::Go => "GO",
                        VoteDecision::NoGo => "NO-GO",
                    },
                    who(&r.by),
                    r.at.format("%Y-%m-%d %H:%M:%S")
                );
            }
            _ => {}
        }
    }
    out
}

/// The first checkpoint whose head is not the hash the journal's line has there: the
/// journal was cut back or rewritten after it (links and all).
fn checkpoint_mismatch(bytes: &[u8], records: &[Record]) -> Option<String> {
    let hashes = journal::line_hashes(bytes);
    records.iter().find_map(|r| match &r.event {
        Event::Checkpoint { records: n, head, .. } => {
            let at = usize::try_from(*n).ok()?.checked_sub(1)?;
            match hashes.get(at) {
                Some(h) if journal::hex(h) == *head => None,
                Some(h) => Some(format!(
                    "the checkpoint in record {} says record {n}'s hash is {head}, but it is {}: the journal was rewritten after it",
                    r.seq,
                    journal::hex(h)
                )),
                None => Some(format!(
                    "the checkpoint in record {} counts {n} records, but there are {}",
                    r.seq,
                    hashes.len()
                )),
            }
        }
        _ => None,
    })
}

//! `report --verify`: whether a journal is exactly what its consoles wrote (every record's
//! CRC, sequence and link, and every checkpoint), and every vote as an auditor reads it.

use std::fmt::Write as _;
use std::path::Path;

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
    let mut holds = v.broken.is_none();
    if holds && let Some((rb, note)) = runbook_of(&v.read) {
        text.push_str(&note);
        let hashes = journal::line_hashes(&bytes);
        let a = approvals(&v.read, &rb, &hashes);
        text.push_str(&a.text);
        if let Some(problem) = a.problem.or_else(|| gates_opened(&v.read, rb)) {
            let _ = writeln!(text, "{}: {problem}", path.display());
            holds = false;
        }
    }
    Ok((text, holds))
}

/// The runbook the journal names, when it loads, and a line when it is not the one the
/// run last followed: the keys and policies checked are then today's.
fn runbook_of(records: &[Record]) -> Option<(Runbook, String)> {
    let Some(Event::RunOpened { path, .. }) = records.first().map(|r| &r.event) else {
        return None;
    };
    let (rb, _) = crate::runbook::load(Path::new(path)).ok()?;
    let now = crate::driver::sha256_file(Path::new(path)).ok();
    let note = match (crate::app::event::runbook_sha(records), now) {
        (Some(then), Some(now)) if then != now => format!(
            "note: {path} has changed since the run last read it (sha256 {} then, {} now): votes are checked against the approvers, keys and policies it has now\n",
            then.get(..12).unwrap_or(then),
            now.get(..12).unwrap_or(&now)
        ),
        _ => String::new(),
    };
    Some((rb, note))
}

/// The approvals table, and the first vote that does not hold.
struct Approvals {
    text: String,
    problem: Option<String>,
}

/// Every vote in the record, as an auditor reads it: the gate, the approver, who cast it
/// and how, when, whether it is signed (the signature checked again, here), and the
/// SHA-256 of the evidence its voter was shown. A vote from a terminal by a user who is not
/// the approver, an unsigned one where the approver must sign, and a signature that does
/// not hold are problems.
fn approvals(records: &[Record], rb: &Runbook, hashes: &[journal::Hash]) -> Approvals {
    let mut out = Approvals {
        text: String::new(),
        problem: None,
    };
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
                if out.text.is_empty() {
                    out.text.push_str("approvals:\n");
                }
                let how = history::vote_how(rb, &r.event, driver, &r.by.user);
                let from_terminal = driver.is_some_and(|d| d != r.by.user);
                let seal = seal(rb, r, hashes);
                let signed = match &seal {
                    Some(Ok(key)) => format!("signed by {key}"),
                    Some(Err(why)) => format!("SIGNATURE DOES NOT HOLD: {why}"),
                    None => "not signed".to_owned(),
                };
                let problem = match (rb.approver(approver), &seal) {
                    (_, Some(Err(why))) => Some(why.clone()),
                    (Some(a), _) if from_terminal && !a.users.contains(&r.by.user) => {
                        Some(format!(
                            "it was cast by {}, who is not {} ({})",
                            r.by.user,
                            a.id,
                            a.users.join(", ")
                        ))
                    }
                    (Some(a), None) if from_terminal && a.signed => Some(format!(
                        "{} signs their votes (`signed = true`), and this one from their terminal is not signed",
                        a.id
                    )),
                    _ => None,
                };
                if out.problem.is_none()
                    && let Some(why) = problem
                {
                    out.problem = Some(format!(
                        "record {}, {approver}'s vote on gate {gate}, does not hold: {why}",
                        r.seq
                    ));
                }
                let evidence_hash = crate::signing::evidence_hash(evidence);
                let _ = writeln!(
                    out.text,
                    "  {gate}  {approver}: {}  by {} ({how}, {signed})  at {} UTC  evidence sha256 {}…",
                    match decision {
                        VoteDecision::Go => "GO",
                        VoteDecision::NoGo => "NO-GO",
                    },
                    who(&r.by),
                    r.at.format("%Y-%m-%d %H:%M:%S"),
                    evidence_hash.get(..12).unwrap_or(""),
                );
            }
            _ => {}
        }
    }
    out
}

/// A journaled vote's signature, checked again: it names this run and a head this journal
/// had before the vote, and it is by one of the approver's keys over exactly what the
/// record says. `None`: not signed.
pub(super) fn seal(
    rb: &Runbook,
    r: &Record,
    hashes: &[journal::Hash],
) -> Option<Result<String, String>> {
    let Event::GateVote { evidence, .. } = &r.event else {
        return None;
    };
    let evidence = crate::signing::evidence_hash(evidence);
    let (ballot, sig) = r.event.ballot(&evidence)?;
    let check = || {
        if hashes.first().is_none_or(|h| journal::hex(h) != sig.run) {
            return Err("it is signed for another run".to_owned());
        }
        let before = usize::try_from(r.seq.saturating_sub(1)).unwrap_or(0);
        if !hashes
            .iter()
            .take(before)
            .any(|h| journal::hex(h) == sig.head)
        {
            return Err(
                "it is signed over a journal head this run did not have before it".to_owned(),
            );
        }
        let keys = rb
            .approver(ballot.approver)
            .map_or(&[][..], |a| &a.keys[..]);
        let sealed = crate::signing::verify(&ballot, &sig.sshsig, keys, r.at)?;
        if sealed.fingerprint != sig.key {
            return Err(format!(
                "the record names key {}, but {} signed it",
                sig.key, sealed.fingerprint
            ));
        }
        Ok(sealed.fingerprint)
    };
    Some(check())
}

/// A vote's signature in a report's words: `✓ SHA256:…` checked, `✗ why`, or `—`.
pub(super) fn seal_words(rb: &Runbook, r: &Record, hashes: &[journal::Hash]) -> String {
    match seal(rb, r, hashes) {
        Some(Ok(key)) => format!("✓ {key}"),
        Some(Err(why)) => format!("✗ {why}"),
        None => "—".to_owned(),
    }
}

/// The first gated step started while its gate was not GO by its policy, without the
/// override on record: replayed through the same `apply`, with the runbook's policy.
fn gates_opened(records: &[Record], rb: Runbook) -> Option<String> {
    let rb = std::sync::Arc::new(rb);
    let mut state = State::new(rb.clone(), records.first()?.at);
    for r in records {
        if let Event::RunStarted {
            target: RunRef::Step(step),
            guards,
            ..
        } = &r.event
            && let Some(g) = rb.gates.iter().position(|g| g.before == *step)
            && !state.gates[g].is_go()
            && !guards
                .iter()
                .any(|x| x.kind == crate::app::guard::Kind::Gate)
        {
            return Some(format!(
                "record {}: step {step} started while gate {} was not GO under its policy ({}), and no override of it is on record",
                r.seq,
                rb.gates[g].id,
                rb.gates[g].policy_words()
            ));
        }
        state.apply(r);
    }
    None
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

//! The post-mortem: the journal replayed into a `Report` (what ran when and who decided),
//! with the per-minute KPI summary the console keeps, rendered as Markdown, JSON or one
//! self-contained HTML file. A fold over the record, never a second source of truth.

mod history;
pub mod html;
pub mod kpi_log;
mod markdown;
pub mod targets;
mod verify;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use crate::app::event::{Event, Record, RunRef, VoteDecision};
use crate::app::{Operator, RunStatus, State};
use crate::journal;
use crate::runbook::Runbook;

use history::History;
pub use markdown::markdown;
pub use verify::{ChainReport, verify};

/// The report's JSON schema version (docs/report.md).
pub const SCHEMA: u32 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema: u32,
    pub runbook: RunbookRef,
    pub run_dir: String,
    pub t0: DateTime<Utc>,
    /// The first and the last record's times.
    pub began: DateTime<Utc>,
    pub last_record: DateTime<Utc>,
    /// `success`, `rolled back`, `rollback failed`, `aborted` or `in progress`.
    pub outcome: String,
    /// One line: the outcome, steps done, alerts, the rollback.
    pub summary: String,
    /// Set when the run is still being driven: the report says what is known so far.
    pub in_progress: bool,
    /// Set when the journal stops holding up: where the report stopped.
    pub damaged: Option<String>,
    /// The journal's chain: how many records, how many written before the chain, and the
    /// SHA-256 its last line has (the head a copy kept elsewhere is compared with).
    pub chain: ChainReport,
    pub operators: Vec<Operator>,
    pub steps: Vec<StepReport>,
    pub gates: Vec<GateReport>,
    pub alerts: Vec<AlertReport>,
    pub rollback: Option<RunReport>,
    /// The rollback's preview (its last run), shown before the phrase.
    pub rollback_preview: Option<RunReport>,
    /// Every start past a guard: hard ones overridden (with the typed reason), soft ones
    /// confirmed.
    pub guards: Vec<GuardReport>,
    /// A rollback procedure's steps as the last attempt ran them: id, title, when each
    /// started (empty for a rollback of one command).
    pub rollback_steps: Vec<RollbackStepReport>,
    /// The rollback's target duration, in seconds, when the runbook gives one.
    pub rollback_target_s: Option<f64>,
    /// Its success criteria and what became of them: `met 02:01:20`, `not met: why`,
    /// `checking`.
    pub rollback_criteria: Option<String>,
    pub checklist: Vec<CheckReport>,
    pub kpis: Vec<KpiReport>,
    /// `[[summary]]`: each target against its actual.
    pub targets: Vec<targets::TargetReport>,
    pub handovers: Vec<HandoverReport>,
    /// Every console that drove the run: when it started or resumed, how it left.
    pub sessions: Vec<SessionReport>,
    pub incidents: Vec<IncidentReport>,
    /// Every status update and planned message written, with what became of it.
    pub updates: Vec<UpdateReport>,
    /// The runbook's sign-offs and who gave them.
    pub sign_offs: Vec<SignOffReport>,
    /// When and by whom the run was closed, with the outcome above.
    pub closed: Option<ClosedReport>,
    /// The journal's head as it was checkpointed after each vote and at the close.
    pub checkpoints: Vec<CheckpointReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckpointReport {
    pub at: DateTime<Utc>,
    /// How many records the journal held, and the SHA-256 of the last of them.
    pub records: u64,
    pub head: String,
    pub why: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunbookRef {
    pub name: String,
    pub path: String,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    pub id: String,
    pub title: String,
    pub phase: String,
    pub owner: Option<String>,
    /// Planned start, absolute (T0 + offset).
    pub planned: Option<DateTime<Utc>>,
    pub planned_duration_s: Option<f64>,
    /// `done`, `failed`, `skipped`, `lost`, `running`, `not run`.
    pub outcome: String,
    pub run: Option<RunReport>,
    /// Seconds late (positive) or early (negative) against the plan.
    pub drift_s: Option<f64>,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub attempts: u32,
    pub started: DateTime<Utc>,
    pub finished: Option<DateTime<Utc>>,
    pub duration_s: Option<f64>,
    pub started_by: String,
    /// `exit 0`, `exit status 3`, `cancelled`, `LOST`...
    pub result: String,
    pub reason: Option<String>,
}

/// A start that went past the plan's guards.
#[derive(Debug, Clone, Serialize)]
pub struct GuardReport {
    pub at: DateTime<Utc>,
    pub by: String,
    /// A step's id, or `rollback`.
    pub target: String,
    /// `overridden` (hard guards, by a typed reason) or `confirmed` (soft ones, by `y` or
    /// the phrase).
    pub how: String,
    /// The guards, in words, each with `hard:` or `soft:`.
    pub guards: Vec<String>,
    pub reason: Option<String>,
}

impl Report {
    /// How many hard guards were overridden in the run.
    pub fn guards_overridden(&self) -> usize {
        self.guards
            .iter()
            .filter(|g| g.how == "overridden")
            .map(|g| g.guards.iter().filter(|w| w.starts_with("hard:")).count())
            .sum()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RollbackStepReport {
    pub id: String,
    pub title: String,
    pub started: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GateReport {
    pub id: String,
    pub title: String,
    /// `unanimous`, `any`, or `final say: <approver>`.
    pub policy: String,
    pub votes: Vec<VoteReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VoteReport {
    pub approver: String,
    pub decision: String,
    pub note: String,
    pub evidence: Vec<String>,
    pub at: DateTime<Utc>,
    pub recorded_by: String,
    /// `from their own terminal`, `at the driver's console`, or `by proxy at the driver's
    /// console` (for an approver who votes from a terminal of their own).
    pub how: String,
    /// Its signature, checked against the runbook's keys: `✓ SHA256:…`, `✗ why`, or `—`.
    pub signed: String,
    /// The SHA-256 of the evidence its voter was shown (what a signature covers).
    pub evidence_sha256: String,
    /// The gate's canary verdict it was cast under: `canary green FAIL 40`, then each
    /// metric's reason.
    pub canary: Option<crate::app::event::CanaryEvidence>,
    /// Its record, for the signature's check.
    #[serde(skip)]
    pub seq: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AlertReport {
    pub rule: String,
    pub severity: String,
    pub title: String,
    pub detail: String,
    pub fired: DateTime<Utc>,
    pub resolved: Option<DateTime<Utc>>,
    pub acked: Option<AckReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AckReport {
    pub at: DateTime<Utc>,
    pub by: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub id: String,
    pub text: String,
    pub ticked: Option<DateTime<Utc>>,
    pub by: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct KpiReport {
    pub id: String,
    pub label: String,
    pub unit: String,
    pub min: Option<f64>,
    pub avg: Option<f64>,
    pub max: Option<f64>,
    pub last: Option<f64>,
    pub target: Option<f64>,
    pub warning: Option<f64>,
    pub critical: Option<f64>,
    /// Per minute: start of the minute, min, avg, max.
    pub minutes: Vec<kpi_log::Minute>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UpdateReport {
    pub at: DateTime<Utc>,
    pub by: String,
    /// The audience or channel, or `none` (recorded, not sent: no webhook).
    pub to: String,
    pub text: String,
    /// `sent`, `failed: <why>`, `recorded` (no webhook) or `unanswered`.
    pub result: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SignOffReport {
    pub role: String,
    pub criteria: String,
    pub signed: Option<DateTime<Utc>>,
    pub by: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClosedReport {
    pub at: DateTime<Utc>,
    pub by: String,
}

/// A time of day as the report writes it.
pub(crate) fn hms(t: DateTime<Utc>) -> String {
    t.format("%H:%M:%S").to_string()
}

impl IncidentReport {
    /// `L1 02:00:57 → L2 02:05:57`.
    pub fn escalation(&self) -> String {
        self.levels
            .iter()
            .map(|(l, at)| format!("L{l} {}", hms(*at)))
            .collect::<Vec<_>>()
            .join(" → ")
    }

    /// `ended 02:01:13 (why)`, or that it is still open.
    pub fn end(&self) -> String {
        match (self.closed, &self.closed_why) {
            (Some(at), Some(why)) => format!("ended {} UTC ({why})", hms(at)),
            _ => "still open at the last record".to_owned(),
        }
    }
}

/// An incident: what opened it, each escalation level reached, and how it ended.
#[derive(Debug, Clone, Serialize)]
pub struct IncidentReport {
    pub opened: DateTime<Utc>,
    pub opened_by: String,
    pub trigger: String,
    /// `(level, when it was reached)`, the first at the opening.
    pub levels: Vec<(u8, DateTime<Utc>)>,
    pub closed: Option<DateTime<Utc>>,
    pub closed_why: Option<String>,
}

/// One moment in the consoles' life: a start, a resume, a leaving, a handover.
#[derive(Debug, Clone, Serialize)]
pub struct SessionReport {
    pub at: DateTime<Utc>,
    pub by: String,
    /// `started`, `resumed`, `resumed (the console before left no word: killed, or its
    /// host went down)`, `left: quit`, `handed over to ...`.
    pub what: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct HandoverReport {
    pub at: DateTime<Utc>,
    pub from: String,
    pub to: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Journal(#[from] journal::Error),
    #[error("{0}")]
    Other(String),
}

fn who(o: &Operator) -> String {
    o.at_host()
}

/// Builds the report of the run in `run_dir` (the runbook from the journal, or `runbook`).
pub fn build(run_dir: &Path, runbook: Option<&Path>) -> Result<Report, Error> {
    let path = run_dir.join(journal::FILE);
    if !path.is_file() {
        return Err(Error::Other(format!(
            "{} holds no {}: not a run directory (a console writes one with `warroom run --run-dir`)",
            run_dir.display(),
            journal::FILE
        )));
    }
    let bytes = std::fs::read(&path).map_err(|source| journal::Error::Io {
        path: path.clone(),
        source,
    })?;
    // One pass: the records that hold up, the chain, and where it breaks if it does.
    let mut verified = journal::verify(&bytes);
    let records = std::mem::take(&mut verified.read);
    let damage = verified.broken.clone();
    let Some(first) = records.first() else {
        return Err(Error::Other(format!(
            "{}: no record to report on{}",
            path.display(),
            damage
                .map(|d| format!(" (corrupt at record {}: {})", d.record, d.why))
                .unwrap_or_default()
        )));
    };
    let Event::RunOpened {
        runbook: name,
        path: rb_path,
        sha256,
        ..
    } = &first.event
    else {
        return Err(Error::Other(format!(
            "{}: record 1 is not the run's opening record",
            path.display()
        )));
    };
    let rb_path = runbook.map_or_else(|| PathBuf::from(rb_path), Path::to_path_buf);
    let (rb, _) = crate::runbook::load(&rb_path).map_err(|d| {
        Error::Other(format!(
            "the run's runbook {} does not load (pass --runbook FILE): {}",
            rb_path.display(),
            d.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ))
    })?;
    let in_progress =
        crate::durable::is_locked(&run_dir.join(crate::driver::LOCK)).unwrap_or(false);
    let minutes = kpi_log::read(&run_dir.join(kpi_log::FILE));
    let rb = Arc::new(rb);
    let samples = crate::samples::Blocks::open(run_dir);
    let mut r = fold(rb.clone(), &records, &minutes, Some(&samples));
    r.runbook = RunbookRef {
        name: name.clone(),
        path: rb_path.display().to_string(),
        sha256: sha256.clone(),
    };
    r.run_dir = run_dir.display().to_string();
    r.in_progress = in_progress;
    r.chain = ChainReport::of(&verified);
    let hashes = journal::line_hashes(&bytes);
    for v in r.gates.iter_mut().flat_map(|g| &mut g.votes) {
        if let Some(rec) = usize::try_from(v.seq)
            .ok()
            .and_then(|s| records.get(s.checked_sub(1)?))
        {
            v.signed = verify::seal_words(&rb, rec, &hashes);
        }
    }
    r.damaged = damage.map(|d| {
        format!(
            "the journal is corrupt at record {} (byte {}): {}; this report stops before it",
            d.record, d.offset, d.why
        )
    });
    if in_progress && r.closed.is_none() && r.outcome != "rolled back" && r.outcome != "success" {
        r.outcome = "in progress".into();
    }
    r.summary = summary(&r);
    Ok(r)
}

/// The report of these records: the state they rebuild, and who did what from the records.
/// With the run's recorded samples, its targets are judged on every sample; without (an
/// older run), on the per-minute summaries.
pub fn fold(
    rb: Arc<Runbook>,
    records: &[Record],
    minutes: &[kpi_log::MinuteLine],
    samples: Option<&crate::samples::Blocks>,
) -> Report {
    let start = records.first().map_or_else(Utc::now, |r| r.at);
    let mut state = State::new(rb.clone(), start);
    let mut history = History::default();
    for rec in records {
        state.apply(rec);
        history.note(rec, &rb);
    }
    let History {
        started_by,
        acks,
        ticks,
        votes,
        handovers,
        sessions,
        incidents,
        closed,
        updates,
        operators,
        rollback_steps,
        guards,
        checkpoints,
        ..
    } = history;
    let steps = steps(&rb, &state, &started_by);
    let rollback_preview = run_report(&state.preview, started_by.get("rollback-preview"));
    let rollback = run_report(&state.rollback, started_by.get("rollback")).map(|mut r| {
        r.reason.clone_from(&state.rollback_reason);
        r
    });
    let gates = gates(&rb, &votes);
    let alerts = alerts(&rb, &state, &acks);
    let checklist = checklist(&rb, &state, &ticks);
    let kpis = rb
        .kpis
        .iter()
        .map(|k| kpi_log::summarize(k, minutes))
        .collect();
    let outcome = outcome(&state);
    let sign_offs = sign_offs(&rb, &state);
    let targets = targets::targets(
        &state,
        minutes,
        samples,
        records.last().map_or(start, |r| r.at),
    );
    Report {
        schema: SCHEMA,
        runbook: RunbookRef {
            name: rb.name.clone(),
            path: rb.path.display().to_string(),
            sha256: String::new(),
        },
        run_dir: String::new(),
        t0: state.t0,
        began: start,
        last_record: records.last().map_or(start, |r| r.at),
        outcome: outcome.into(),
        summary: String::new(),
        in_progress: false,
        damaged: None,
        chain: ChainReport::default(),
        operators,
        steps,
        gates,
        alerts,
        rollback,
        rollback_preview,
        guards,
        rollback_steps,
        rollback_target_s: rb
            .rollback
            .as_ref()
            .and_then(|r| r.target)
            .map(|t| t.as_seconds_f64()),
        rollback_criteria: rb
            .rollback
            .as_ref()
            .and_then(|r| r.success.as_ref())
            .map(|s| {
                let result = match &state.rollback_check {
                    Some(crate::app::RollbackCheck::Met(at)) => format!("met {} UTC", hms(*at)),
                    Some(crate::app::RollbackCheck::NotMet(_, why)) => format!("NOT met: {why}"),
                    Some(crate::app::RollbackCheck::Checking { .. }) => "still checking".into(),
                    None => "not checked (the rollback did not succeed)".into(),
                };
                format!("`{}`: {result}", s.source)
            }),
        checklist,
        kpis,
        targets,
        handovers,
        sessions,
        incidents,
        updates,
        sign_offs,
        closed,
        checkpoints,
    }
}

/// A run as the report states it: when, how long, by whom, with what result.
fn run_report(run: &crate::app::Run, started_by: Option<&String>) -> Option<RunReport> {
    let (started, finished, result) = match &run.status {
        RunStatus::Waiting => {
            let at = run.done_by_hand?;
            (at, Some(at), "done by hand".to_owned())
        }
        RunStatus::Running { started } => (*started, None, "running".to_owned()),
        RunStatus::Succeeded { started, finished } => {
            (*started, Some(*finished), "exit 0".to_owned())
        }
        RunStatus::Failed {
            started,
            finished,
            reason,
        } => (*started, Some(*finished), reason.clone()),
        RunStatus::Lost { started, noticed } => (*started, Some(*noticed), "LOST".to_owned()),
    };
    Some(RunReport {
        attempts: run.attempt,
        started,
        finished,
        duration_s: finished.map(|f| secs(f - started)),
        started_by: started_by.cloned().unwrap_or_default(),
        result,
        reason: None,
    })
}

/// Each step of the plan: its outcome, its run and its drift from the plan.
fn steps(rb: &Runbook, state: &State, started_by: &HashMap<String, String>) -> Vec<StepReport> {
    rb.steps()
        .enumerate()
        .map(|(i, (phase, step))| {
            let run = &state.steps[i];
            let outcome = if run.skipped.is_some() {
                "skipped"
            } else if state.step_done(i) {
                "done"
            } else {
                match run.status {
                    RunStatus::Waiting => "not run",
                    RunStatus::Running { .. } => "running",
                    RunStatus::Succeeded { .. } => "verify failed",
                    RunStatus::Failed { .. } => "failed",
                    RunStatus::Lost { .. } => "lost",
                }
            };
            let planned = step.planned.map(|p| state.t0 + p);
            let report = run_report(run, started_by.get(&format!("step:{}", step.id)));
            StepReport {
                id: step.id.clone(),
                title: step.title.clone(),
                phase: phase.title.clone(),
                owner: step.owner.clone(),
                planned,
                planned_duration_s: step.duration.map(secs),
                outcome: outcome.into(),
                drift_s: planned
                    .zip(report.as_ref())
                    .map(|(p, r)| secs(r.started - p)),
                run: report,
                reasons: run.reasons.iter().map(|(_, r)| r.clone()).collect(),
            }
        })
        .collect()
}

/// Each gate: its policy and each approver's last vote.
fn gates(rb: &Runbook, votes: &[(String, VoteReport)]) -> Vec<GateReport> {
    rb.gates
        .iter()
        .map(|g| GateReport {
            id: g.id.clone(),
            title: g.title.clone(),
            policy: g.policy_words(),
            votes: votes
                .iter()
                .filter(|(gid, _)| *gid == g.id)
                .map(|(_, v)| v.clone())
                .collect(),
        })
        .collect()
}

/// Each alert: when it fired, resolved, and who acknowledged it.
fn alerts(rb: &Runbook, state: &State, acks: &HashMap<usize, String>) -> Vec<AlertReport> {
    state
        .alerts
        .iter()
        .enumerate()
        .map(|(i, a)| AlertReport {
            rule: rb.rules[a.rule].id.clone(),
            severity: format!("{:?}", a.severity).to_lowercase(),
            title: a.title.clone(),
            detail: a.detail.clone(),
            fired: a.fired,
            resolved: a.resolved,
            acked: a.acked.as_ref().map(|(at, reason)| AckReport {
                at: *at,
                by: acks.get(&i).cloned().unwrap_or_default(),
                reason: reason.clone(),
            }),
        })
        .collect()
}

/// Each checklist item: ticked when, by whom (or by its rule).
fn checklist(rb: &Runbook, state: &State, ticks: &HashMap<String, String>) -> Vec<CheckReport> {
    rb.checks()
        .enumerate()
        .map(|(i, (_, c))| CheckReport {
            id: c.id.clone(),
            text: c.text.clone(),
            ticked: state.checks[i].or(state.checks_auto[i]),
            by: match (state.checks[i], state.checks_auto[i]) {
                (Some(_), _) => ticks.get(&c.id).cloned(),
                (None, Some(_)) => Some("its rule (auto)".into()),
                (None, None) => None,
            },
        })
        .collect()
}

/// The outcome the operator closed the run with; else what the record shows.
fn outcome(state: &State) -> &'static str {
    match (&state.closed, &state.rollback.status) {
        (Some((_, o)), _) => o.word(),
        (None, RunStatus::Succeeded { .. }) => "rolled back",
        (None, RunStatus::Failed { .. } | RunStatus::Lost { .. }) => "rollback failed",
        (None, RunStatus::Running { .. }) => "rolling back",
        (None, RunStatus::Waiting) if (0..state.steps.len()).all(|i| state.step_done(i)) => {
            "success"
        }
        (None, RunStatus::Waiting) => "aborted",
    }
}

/// Each role's sign-off, or that it is missing.
fn sign_offs(rb: &Runbook, state: &State) -> Vec<SignOffReport> {
    rb.sign_off
        .iter()
        .zip(&state.sign_offs)
        .map(|(so, signed)| SignOffReport {
            role: so.role.clone(),
            criteria: so.criteria.clone(),
            signed: signed.as_ref().map(|s| s.at),
            by: signed.as_ref().map(|s| s.by.clone()),
            note: signed.as_ref().map(|s| s.note.clone()),
        })
        .collect()
}

fn run_key(target: &RunRef) -> String {
    match target {
        RunRef::Step(id) => format!("step:{id}"),
        RunRef::Rollback => "rollback".into(),
        RunRef::RollbackPreview => "rollback-preview".into(),
    }
}

fn secs(d: TimeDelta) -> f64 {
    d.num_milliseconds() as f64 / 1000.0
}

/// `Rolled back · 3 of 8 steps done · 3 alerts (2 critical) · rollback 4s after ...`
pub fn summary(r: &Report) -> String {
    let done = r.steps.iter().filter(|s| s.outcome == "done").count();
    let critical = r.alerts.iter().filter(|a| a.severity == "critical").count();
    let mut out = format!(
        "{} · {done} of {} step{} done · {} alert{} ({critical} critical)",
        capitalized(&r.outcome),
        r.steps.len(),
        if r.steps.len() == 1 { "" } else { "s" },
        r.alerts.len(),
        if r.alerts.len() == 1 { "" } else { "s" }
    );
    match r.guards_overridden() {
        0 => {}
        1 => out.push_str(" · 1 guard overridden"),
        n => out.push_str(&format!(" · {n} guards overridden")),
    }
    if let Some(rb) = &r.rollback {
        out.push_str(&format!(
            " · rollback at {} by {}",
            rb.started.format("%H:%M:%S"),
            if rb.started_by.is_empty() {
                "?"
            } else {
                &rb.started_by
            }
        ));
        if let Some(d) = rb.duration_s {
            out.push_str(&format!(
                ", {}",
                crate::runbook::time::format_duration(TimeDelta::milliseconds((d * 1000.0) as i64),)
            ));
        }
    }
    out
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// The report as JSON (the documented schema).
pub fn json(r: &Report) -> String {
    serde_json::to_string_pretty(r).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

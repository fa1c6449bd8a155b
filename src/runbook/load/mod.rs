//! Reading a runbook: TOML syntax, then each section on its own (so one typo does not hide
//! the next), then a validation pass for what serde cannot see.

mod alertmanager;
mod approver;
mod canary;
mod channel;
mod endpoint;
mod gate;
mod header;
mod kpi;
mod people;
mod phase;
mod rehearsal;
mod rollback;
mod rule;
mod sections;
mod status;
mod summary;
mod values;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

use chrono::TimeDelta;
use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::connect::{Connections, Resolved, Table, UrlUse};
use super::diag::Diagnostics;
use super::expr::Expr;
use super::time::{TimeSpec, parse_datetime, parse_duration};
use super::{raw, *};

use sections::*;
use values::*;

/// Reads and validates a runbook file. On failure, every problem found; warnings are
/// returned beside a valid runbook.
pub fn load(path: &Path) -> Result<(Runbook, Vec<Diagnostic>), Vec<Diagnostic>> {
    let refuse = |message: String| {
        vec![Diagnostic {
            level: Level::Error,
            file: path.to_path_buf(),
            line: 0,
            column: 0,
            key: String::new(),
            message,
        }]
    };
    // Checked before it is read: a parse holds many times its size in memory (an 8.6 MB
    // runbook took 601 MB), and no plan a team writes comes near this.
    if let Ok(m) = std::fs::metadata(path)
        && m.len() > MAX_RUNBOOK
    {
        return Err(refuse(format!(
            "the runbook is {:.1} MB: larger than the {} MB a runbook may be",
            m.len() as f64 / 1e6,
            MAX_RUNBOOK / 1024 / 1024
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|e| {
        refuse(match e.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_owned(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
            std::io::ErrorKind::InvalidData => {
                "not text (UTF-8): a runbook is a TOML file".to_owned()
            }
            _ => format!("cannot read the runbook: {e}"),
        })
    })?;
    load_str(path, &text)
}

/// The largest runbook file read: 16 MB.
pub const MAX_RUNBOOK: u64 = 16 * 1024 * 1024;

pub fn load_str(path: &Path, text: &str) -> Result<(Runbook, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut d = Diagnostics::new(path, text);
    let sections = read_sections(&mut d);
    let runbook = sections.and_then(|s| validate(path, s, &mut d));
    // In file order, as an editor would list them.
    d.list.sort_by(|a, b| {
        (a.file != path, &a.file, a.line, a.column).cmp(&(
            b.file != path,
            &b.file,
            b.line,
            b.column,
        ))
    });
    match runbook {
        Some(rb) if !d.has_errors() => Ok((rb, d.list)),
        _ => Err(d.list),
    }
}

fn validate(path: &Path, mut s: Sections, d: &mut Diagnostics<'_>) -> Option<Runbook> {
    let dir = path
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let dir = if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir
    };
    // Steps run here: absolute, so the confirmation shows exactly where.
    let dir = dir.canonicalize().unwrap_or(dir);
    let Some(header) = s.header.take() else {
        if s.header_span.is_none() {
            d.error(
                Some(0..0),
                "runbook",
                "missing the `[runbook]` section (with at least `name = \"...\"`)",
            );
        }
        return None;
    };

    let t0_spec = header::t0(d, &header);
    let t0 = t0_spec.and_then(T0::fixed);
    let mut connections = Connections::read(d, &s.connections, &dir);
    let (endpoints, endpoint_ids) = endpoint::endpoints(d, &s, &mut connections, &dir, t0);
    let (kpis, kpi_ids) = kpi::kpis(d, &s, &mut connections, &dir, t0);
    let text_kpis: Vec<&str> = kpis
        .iter()
        .filter(|k| k.text)
        .map(|k| k.id.as_str())
        .collect();
    let refs = Refs {
        kpis: &kpi_ids,
        endpoints: &endpoint_ids,
        facts: &[],
        texts: &text_kpis,
    };
    let (rules, rule_ids) = rule::rules(d, &s, &refs);
    let (phases, phase_ids, step_ids) = phase::phases(d, &s, &refs, &dir, t0);
    rule::scopes(d, &s, &phase_ids, &step_ids);
    let signers = approver::allowed_signers(d, &header, &dir);
    let (approvers, _) = approver::approvers(d, &s, signers.as_ref());
    let (canaries, canary_ids) = canary::canaries(d, &s, &kpis);
    let gates = gate::gates(d, &s, (&rule_ids, &canary_ids), &phase_ids, &step_ids);
    let rollback = rollback::rollback(d, &s, &step_ids, &refs, &dir, t0);
    let alertmanager = alertmanager::alertmanager(d, &s, &mut connections, &dir);
    connections.warn_unused(d);
    let channels = channel::channels(d, &s);
    let status_updates = people::status_updates(d, &s, &channels);
    let communications = people::communications(d, &s, t0, &channels, status_updates.as_ref());
    let escalation = status::escalation(d, &s, &refs);
    let status_levels = status::status_levels(d, &s, &refs);
    let summaries = summary::summaries(d, &s, &refs, &phases, t0);
    let rehearsal = s
        .rehearsal
        .as_ref()
        .map(|r| rehearsal::rehearsal(d, r, &dir, &kpis))
        .unwrap_or_default();
    let share_with = header::share_with(d, &header);
    let window = header::window(d, &header, t0);

    Some(Runbook {
        path: path.to_path_buf(),
        dir,
        name: header.name,
        version: header.version,
        description: header.description,
        t0: t0_spec.unwrap_or(T0::AfterStart(TimeDelta::zero())),
        run_dir: header.run_dir.map(PathBuf::from),
        env: header.env.into_iter().collect(),
        bell: header.bell.unwrap_or(true),
        evaluation_interval: duration(d, "evaluation-interval", &header.evaluation_interval),
        early_warning: early_warning(d, &header.early_warning),
        share_with,
        window,
        allowed_signers: signers.map(|(path, _)| path),
        endpoints,
        kpis,
        rules,
        phases,
        gates,
        approvers,
        canaries,
        rollback,
        alertmanager,
        contacts: people::contacts(s.contacts),
        status_updates,
        status_levels,
        channels,
        summaries,
        communications,
        escalation,
        rehearsal,
        sign_off: people::sign_offs(s.close),
    })
}

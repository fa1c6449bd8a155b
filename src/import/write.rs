//! The draft written as text, so the comments sit beside the entries they belong to.

use std::fmt::Write as _;

use chrono::Datelike;

use super::recognise::{Condition, Hms, never_exits, prompted_phrase};
use super::{Contact, Phase, Summary};

/// An id from a title: lower case, words joined by `sep`, a leading section number
/// (`1.2`) dropped, and a letter first as ids need (`s24-hour-review`).
pub(super) fn id_of(text: &str, sep: char) -> String {
    let text = text.trim_start();
    let text = match text.split_once(' ') {
        Some((num, rest)) if num.chars().all(|c| c.is_ascii_digit() || c == '.') => rest,
        _ => text,
    };
    let mut id = String::new();
    if text.starts_with(|c: char| c.is_ascii_digit()) {
        id.push(if sep == '_' { 'k' } else { 's' });
    }
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c.to_ascii_lowercase());
        } else if !id.is_empty() && !id.ends_with(sep) {
            id.push(sep);
        }
        if id.len() > MAX_ID {
            // Cut at the last whole word (`rollback-procedure-quick`, not `...-rollbac`),
            // or, for one long word, at the length.
            let at = id[..MAX_ID]
                .rfind(sep)
                .filter(|i| *i > MAX_ID / 2)
                .unwrap_or(MAX_ID);
            id.truncate(at);
            break;
        }
    }
    id.trim_end_matches(sep).to_owned()
}

/// The longest id a draft makes from a title.
pub(super) const MAX_ID: usize = 32;

/// A string as TOML writes it: everything passes through (Arabic, emoji), quotes,
/// backslashes and control characters escaped.
pub(super) fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[allow(clippy::too_many_arguments)]
pub(super) fn write(
    name: Option<&str>,
    source: &str,
    phases: &[Phase],
    conditions: &[(usize, String, Condition)],
    contacts: &[Contact],
    t0_date: Option<chrono::NaiveDate>,
    t0_time: Option<Hms>,
    summary: &mut Summary,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# A runbook draft imported from {source} by `warroom import`.\n\
         # Read it through: every `TODO` is something the document did not say, and the\n\
         # comments are the document's lines the import could not place, beside their section."
    );
    out.push_str("\n[runbook]\n");
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    let _ = writeln!(out, "name = {}", quoted(name.unwrap_or(source)));
    if name.is_none() {
        summary
            .placeholders
            .push((1, "the runbook's name (the document has no title)".into()));
    }
    let timed = phases
        .iter()
        .flat_map(|p| &p.steps)
        .any(|s| s.when.as_ref().is_some_and(|w| !w.at.starts_with('T')));
    match (t0_date, t0_time) {
        (Some(d), Some((h, m, s))) => {
            let _ = writeln!(out, "t0 = \"{d}T{h:02}:{m:02}:{:02}Z\"", s.unwrap_or(0));
        }
        (Some(d), None) => {
            let _ = writeln!(
                out,
                "t0 = \"{d}T00:00:00Z\"  # TODO: the time of T0 (the document gives the date only)"
            );
            summary
                .placeholders
                .push((1, "the time of T0 (`[runbook] t0`)".into()));
        }
        (None, _) if timed => {
            let _ = writeln!(
                out,
                "t0 = \"2030-01-01T00:00:00Z\"  # TODO: the date and time of T0 (the document gives times, no date)"
            );
            summary
                .placeholders
                .push((1, "the date and time of T0 (`[runbook] t0`)".into()));
        }
        (None, _) => {}
    }
    let mut ids = std::collections::HashSet::new();
    let mut unique = |base: String, fallback: &str| {
        let base = if base.is_empty() {
            fallback.to_owned()
        } else {
            base
        };
        let mut id = base.clone();
        let mut n = 2;
        while !ids.insert(id.clone()) {
            id = format!("{base}-{n}");
            n += 1;
        }
        id
    };
    let mut pending_kept: Vec<(usize, String)> = Vec::new();
    let mut check_n = 0;
    for (pi, phase) in phases.iter().enumerate() {
        if phase.steps.is_empty() && phase.checks.is_empty() {
            // A section with nothing to run or tick: its lines go with the next phase.
            if !phase.title.is_empty() {
                pending_kept.push((phase.line, format!("## {}", phase.title)));
            }
            pending_kept.extend(phase.kept.iter().cloned());
            continue;
        }
        summary.phases += 1;
        out.push('\n');
        comments(&mut out, &pending_kept, summary);
        pending_kept.clear();
        let title = if phase.title.is_empty() {
            "Before the first heading"
        } else {
            &phase.title
        };
        let _ = writeln!(out, "[[phase]]  # line {}", phase.line);
        let _ = writeln!(
            out,
            "id = {}",
            quoted(&unique(id_of(title, '-'), &format!("phase-{}", pi + 1)))
        );
        let _ = writeln!(out, "title = {}", quoted(title));
        comments(&mut out, &phase.kept, summary);
        for step in &phase.steps {
            summary.steps += 1;
            let _ = writeln!(out, "\n[[phase.step]]  # line {}", step.line);
            let _ = writeln!(
                out,
                "id = {}",
                quoted(&unique(id_of(&step.title, '-'), "step"))
            );
            let _ = writeln!(out, "title = {}", quoted(&step.title));
            if let Some(w) = &step.when {
                summary.timed_steps += 1;
                let at = match w.date {
                    Some((m, d)) => {
                        let year = t0_date.map_or_else(|| chrono::Utc::now().year(), |d| d.year());
                        format!("{year}-{m:02}-{d:02} {}", w.at)
                    }
                    None => w.at.clone(),
                };
                let _ = writeln!(out, "at = {}", quoted(&at));
                // A time written in words (`T+1 week`) is kept as the document wrote it.
                let words = w
                    .written
                    .replace("UTC", "")
                    .replace("AM", "")
                    .replace("PM", "");
                if words.chars().filter(|c| c.is_alphabetic()).count() > 1 {
                    let _ = writeln!(out, "# planned, as written: {}", w.written);
                }
            }
            if let Some(d) = step
                .when
                .as_ref()
                .and_then(|w| w.duration.as_ref())
                .or(step.duration.as_ref())
            {
                let _ = writeln!(out, "duration = {}", quoted(d));
            }
            if let Some(o) = &step.owner {
                let _ = writeln!(out, "owner = {}", quoted(o));
            }
            if !step.shell.is_empty() {
                summary.commands += 1;
                let _ = writeln!(out, "shell = {}", quoted(&step.shell.join("\n")));
                let script = step.shell.join("\n");
                if never_exits(&script) {
                    let _ = writeln!(
                        out,
                        "timeout = \"5m\"  # TODO: this command never exits by itself (it follows); it is stopped after 5m"
                    );
                }
                if let Some(phrase) = prompted_phrase(&script) {
                    let _ = writeln!(
                        out,
                        "phrase = {}  # TODO: the script asks on a terminal a step does not have; warroom asks this phrase first: take the `read` out",
                        quoted(&phrase)
                    );
                }
            }
            if !step.notes.is_empty() {
                let notes: Vec<&str> = step.notes.iter().map(|(_, n)| n.as_str()).collect();
                let _ = writeln!(out, "notes = {}", quoted(&notes.join("\n")));
            }
        }
        for (line, text) in &phase.checks {
            summary.checks += 1;
            check_n += 1;
            let _ = writeln!(out, "\n[[phase.check]]  # line {line}");
            let _ = writeln!(out, "id = \"c{check_n}\"");
            let _ = writeln!(out, "text = {}", quoted(text));
        }
    }
    if !pending_kept.is_empty() {
        out.push('\n');
        comments(&mut out, &pending_kept, summary);
    }
    // Each metric the rules name gets a KPI whose source a person must give.
    let mut kpis: Vec<(String, String, Option<&str>, usize)> = Vec::new();
    for (line, _, c) in conditions {
        if !kpis.iter().any(|k| k.1 == c.metric) {
            // A metric named in another script (`معدل الخطأ`) still needs an id of letters.
            let id = Some(id_of(&c.metric, '_'))
                .filter(|id| !id.is_empty() && !kpis.iter().any(|k| &k.0 == id))
                .unwrap_or_else(|| format!("metric_{}", kpis.len() + 1));
            kpis.push((id, c.metric.clone(), c.unit, *line));
        }
    }
    for (id, label, unit, line) in &kpis {
        let _ = writeln!(out, "\n[[kpi]]  # line {line}: a rule watches it");
        let _ = writeln!(out, "id = {}", quoted(id));
        let _ = writeln!(out, "label = {}", quoted(label));
        if let Some(u) = unit {
            let _ = writeln!(out, "unit = {}", quoted(u));
        }
        let _ = writeln!(
            out,
            "prometheus = {{ url = \"http://prometheus.invalid:9090\", query = {} }}  # TODO: the real source",
            quoted(&format!("TODO_{id}"))
        );
        summary
            .placeholders
            .push((*line, format!("the source of KPI `{id}` ({label})")));
    }
    let mut rule_ids = std::collections::HashSet::new();
    for (line, text, c) in conditions {
        summary.rules += 1;
        let kpi = kpis
            .iter()
            .find(|k| k.1 == c.metric)
            .map_or_else(String::new, |k| k.0.clone());
        let mut id = kpi.replace('_', "-");
        let mut n = 2;
        while !rule_ids.insert(id.clone()) {
            id = format!("{}-{n}", kpi.replace('_', "-"));
            n += 1;
        }
        let _ = writeln!(out, "\n[[rule]]  # line {line}");
        let _ = writeln!(out, "id = {}", quoted(&id));
        let _ = writeln!(
            out,
            "expr = {}",
            quoted(&format!("{kpi} {} {}", c.op, c.value))
        );
        let _ = writeln!(out, "for = {}", quoted(&c.for_));
        let _ = writeln!(out, "summary = {}", quoted(text));
    }
    for Contact {
        line,
        role,
        name,
        reach,
        level,
    } in contacts
    {
        summary.contacts += 1;
        let _ = writeln!(out, "\n[[contact]]  # line {line}");
        let _ = writeln!(out, "role = {}", quoted(role));
        match name {
            Some(n) => {
                let _ = writeln!(out, "name = {}", quoted(n));
            }
            None => summary
                .placeholders
                .push((*line, format!("the name of the contact `{role}`"))),
        }
        if let Some(r) = reach {
            let _ = writeln!(out, "reach = {}", quoted(r));
        }
        if let Some(l) = level {
            let _ = writeln!(out, "escalation-level = {l}");
        }
    }
    if let Some(every) = &summary.cadence {
        let _ = writeln!(out, "\n[status-updates]\nevery = {}", quoted(every));
    }
    out
}

pub(super) fn comments(out: &mut String, kept: &[(usize, String)], summary: &mut Summary) {
    for (line, text) in kept {
        summary.kept += 1;
        // One comment per line of the document; a line break inside would end the comment.
        let text = text.replace(['\n', '\r'], " ");
        let _ = writeln!(out, "# {line:>4}: {}", text.trim_end());
    }
}

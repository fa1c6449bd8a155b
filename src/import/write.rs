//! The draft written as text, so the comments sit beside the entries they belong to.

use std::fmt::Write as _;

use chrono::Datelike;

use super::recognise::{Condition, Hms, never_exits, prompted_phrase};
use super::{Contact, Found, Gate, Phase, Step, Summary};
use crate::runbook::names_a_rollback;

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

pub(super) fn write(
    name: Option<&str>,
    source: &str,
    found: &Found,
    summary: &mut Summary,
) -> String {
    let Found {
        phases,
        conditions,
        contacts,
        sign_offs,
        gates,
        t0_date,
        t0_time,
        ..
    } = found;
    let (t0_date, t0_time) = (*t0_date, *t0_time);
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
    write_t0(&mut out, phases, t0_date, t0_time, summary);
    let mut ids = Ids::default();
    let rollback = rollback_phase(phases);
    // Each step written, and where it came from: a go/no-go is a gate before one of them.
    let mut written: Vec<Written> = Vec::new();
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
        out.push('\n');
        comments(&mut out, &pending_kept, summary);
        pending_kept.clear();
        if rollback.is_some_and(|r| r.0 == pi) {
            write_rollback(&mut out, phase, &mut ids, summary);
            continue;
        }
        summary.phases += 1;
        let title = if phase.title.is_empty() {
            "Before the first heading"
        } else {
            &phase.title
        };
        let _ = writeln!(out, "[[phase]]  # line {}", phase.line);
        let _ = writeln!(
            out,
            "id = {}",
            quoted(&ids.unique(id_of(title, '-'), &format!("phase-{}", pi + 1)))
        );
        let _ = writeln!(out, "title = {}", quoted(title));
        if let Some((r, line)) = rollback
            && r != pi
            && names_a_rollback(&phase.title)
        {
            let _ = writeln!(
                out,
                "# Another rollback procedure: a runbook has one `[rollback]` (line {line}'s); this one stays a phase of steps to run by hand."
            );
        }
        comments(&mut out, &phase.kept, summary);
        for step in &phase.steps {
            let id = write_step(&mut out, step, &mut ids, t0_date, summary);
            written.push(Written {
                line: step.line,
                id,
                title: step.title.to_lowercase(),
                phase: title.to_lowercase(),
            });
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
    for gate in gates {
        write_gate(&mut out, gate, &written, &mut ids, summary);
    }
    write_rules(&mut out, conditions, summary);
    write_contacts(&mut out, contacts, summary);
    write_close(&mut out, sign_offs, summary);
    if let Some(every) = &summary.cadence {
        let _ = writeln!(out, "\n[status-updates]\nevery = {}", quoted(every));
    }
    out
}

/// `t0`: the document's date and T+0's time, or a placeholder that says what is missing.
fn write_t0(
    out: &mut String,
    phases: &[Phase],
    t0_date: Option<chrono::NaiveDate>,
    t0_time: Option<Hms>,
    summary: &mut Summary,
) {
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
}

/// A step of a phase: its id (returned), title, planned time, duration, owner, command and
/// notes.
fn write_step(
    out: &mut String,
    step: &Step,
    ids: &mut Ids,
    t0_date: Option<chrono::NaiveDate>,
    summary: &mut Summary,
) -> String {
    summary.steps += 1;
    let _ = writeln!(out, "\n[[phase.step]]  # line {}", step.line);
    let id = ids.unique(id_of(&step.title, '-'), "step");
    let _ = writeln!(out, "id = {}", quoted(&id));
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
    }
    write_command(out, step);
    if !step.notes.is_empty() {
        let notes: Vec<&str> = step.notes.iter().map(|(_, n)| n.as_str()).collect();
        let _ = writeln!(out, "notes = {}", quoted(&notes.join("\n")));
    }
    id
}

/// Each rule, and a KPI for each metric the rules name, whose source a person must give.
fn write_rules(out: &mut String, conditions: &[(usize, String, Condition)], summary: &mut Summary) {
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
}

/// Who to call, with what the document left out named for a person.
fn write_contacts(out: &mut String, contacts: &[Contact], summary: &mut Summary) {
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
}

/// The close's sign-off roles.
fn write_close(out: &mut String, sign_offs: &[(usize, String)], summary: &mut Summary) {
    if !sign_offs.is_empty() {
        let _ = writeln!(
            out,
            "\n# The document's sign-off (line {}): each role signs with `F` before a success closes the run.",
            sign_offs[0].0
        );
        out.push_str("[close]\nsign-off = [\n");
        for (_, role) in sign_offs {
            summary.sign_offs += 1;
            let _ = writeln!(out, "  {{ role = {} }},", quoted(role));
        }
        out.push_str("]\n");
    }
}

pub(super) fn comments(out: &mut String, kept: &[(usize, String)], summary: &mut Summary) {
    for (line, text) in kept {
        summary.kept += 1;
        // One comment per line of the document; a line break inside would end the comment.
        let text = text.replace(['\n', '\r'], " ");
        let _ = writeln!(out, "# {line:>4}: {}", text.trim_end());
    }
}

/// The ids given so far: each new one is made unique with a number.
#[derive(Default)]
struct Ids(std::collections::HashSet<String>);

impl Ids {
    fn unique(&mut self, base: String, fallback: &str) -> String {
        let base = if base.is_empty() {
            fallback.to_owned()
        } else {
            base
        };
        let mut id = base.clone();
        let mut n = 2;
        while !self.0.insert(id.clone()) {
            id = format!("{base}-{n}");
            n += 1;
        }
        id
    }
}

/// The section that becomes `[rollback]`, and its line: the first whose heading (or the
/// empty heading just above it, `## 7. Rollback Plan` over `### If deployment must be
/// aborted`) names a rollback and that has a step with a command.
fn rollback_phase(phases: &[Phase]) -> Option<(usize, usize)> {
    let mut above = "";
    for (i, p) in phases.iter().enumerate() {
        if p.steps.is_empty() && p.checks.is_empty() {
            above = &p.title;
            continue;
        }
        if (names_a_rollback(&p.title) || names_a_rollback(above))
            && p.steps.iter().any(|s| !s.shell.is_empty())
        {
            return Some((i, p.line));
        }
        above = "";
    }
    None
}

/// A step's command, and what the import saw in it: a command that never exits gets a
/// timeout, one that asks on a terminal gets its phrase.
fn write_command(out: &mut String, step: &Step) {
    if step.shell.is_empty() {
        return;
    }
    let script = step.shell.join("\n");
    let _ = writeln!(out, "shell = {}", quoted(&script));
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

/// The document's rollback procedure as `[rollback]` steps. A rollback step runs a
/// command, so what the document does by hand (`Announce Rollback`) stays beside the next
/// step as a comment, and that step asks `y` first: the procedure pauses for it there.
fn write_rollback(out: &mut String, phase: &Phase, ids: &mut Ids, summary: &mut Summary) {
    let _ = writeln!(
        out,
        "[rollback]  # line {}: {}: `R`, then the phrase, runs these steps in order",
        phase.line, phase.title
    );
    let mut kept = phase.kept.clone();
    kept.extend(
        phase
            .checks
            .iter()
            .map(|(line, text)| (*line, format!("check after it: {text}"))),
    );
    kept.sort_by_key(|(line, _)| *line);
    comments(out, &kept, summary);
    let mut by_hand: Vec<(usize, String)> = Vec::new();
    for step in &phase.steps {
        let mut said = vec![(step.line, step.title.clone())];
        if let Some(w) = &step.when {
            said.push((step.line, format!("planned, as written: {}", w.written)));
        }
        if let Some(o) = &step.owner {
            said.push((step.line, format!("owner: {o}")));
        }
        said.extend(step.notes.iter().cloned());
        if step.shell.is_empty() {
            by_hand.extend(said.into_iter().map(|(l, t)| (l, format!("by hand: {t}"))));
            continue;
        }
        summary.rollback_steps += 1;
        out.push('\n');
        comments(out, &by_hand, summary);
        let _ = writeln!(out, "[[rollback.step]]  # line {}", step.line);
        let id = ids.unique(id_of(&step.title, '-'), "rollback-step");
        let _ = writeln!(out, "id = {}", quoted(&id));
        let _ = writeln!(out, "title = {}", quoted(&step.title));
        write_command(out, step);
        if !by_hand.is_empty() && prompted_phrase(&step.shell.join("\n")).is_none() {
            let _ = writeln!(
                out,
                "confirm = \"yes-no\"  # the procedure pauses here for what is done by hand before it (above)"
            );
        }
        comments(out, &said[1..], summary);
        by_hand.clear();
    }
    if !by_hand.is_empty() {
        out.push('\n');
        comments(out, &by_hand, summary);
    }
}

/// A gate's id: its title's, starting `go` as a go/no-go's do (`go-final-review`).
fn gate_id(title: &str) -> String {
    let id = id_of(title, '-');
    if id.starts_with("go") {
        id
    } else {
        format!("go-{id}")
    }
}

/// A step as written, for a gate to find the one it holds.
struct Written {
    line: usize,
    id: String,
    /// The step's and its phase's titles, in lower case.
    title: String,
    phase: String,
}

/// A go/no-go the document names its decision-makers for: a gate before the first step of
/// what its title names (`(30 min before Phase 4)`), or else before the step that follows
/// it in the document. With no step to hold, its approvers are kept as a comment.
fn write_gate(
    out: &mut String,
    gate: &Gate,
    written: &[Written],
    ids: &mut Ids,
    summary: &mut Summary,
) {
    let title = gate.title.to_lowercase();
    let named = title
        .split_once("before ")
        .map(|(_, rest)| rest.split(')').next().unwrap_or(rest).trim())
        .filter(|n| n.chars().any(char::is_alphabetic));
    let before = named
        .and_then(|n| {
            written
                .iter()
                .find(|w| w.phase.contains(n) || w.title.contains(n))
        })
        .or_else(|| written.iter().find(|w| w.line > gate.line));
    let Some(before) = before else {
        let _ = writeln!(out);
        comments(
            out,
            &[(
                gate.line,
                format!(
                    "{}: decided by {} (no step follows it to hold)",
                    gate.title,
                    gate.approvers.join(", ")
                ),
            )],
            summary,
        );
        return;
    };
    summary.gates += 1;
    let approvers: Vec<String> = gate.approvers.iter().map(|a| quoted(a)).collect();
    let _ = writeln!(out, "\n[[gate]]  # line {}", gate.line);
    let _ = writeln!(
        out,
        "id = {}",
        quoted(&ids.unique(gate_id(&gate.title), "go-no-go"))
    );
    let _ = writeln!(out, "title = {}", quoted(&gate.title));
    let _ = writeln!(out, "approvers = [{}]", approvers.join(", "));
    let _ = writeln!(out, "before = {}", quoted(&before.id));
}

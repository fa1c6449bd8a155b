//! Reading a runbook: TOML syntax, then each section on its own (so one typo does not hide
//! the next), then a validation pass for what serde cannot see.

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
    d.list.sort_by_key(|x| (x.line, x.column));
    match runbook {
        Some(rb) if !d.has_errors() => Ok((rb, d.list)),
        _ => Err(d.list),
    }
}

const SECTIONS: &[&str] = &[
    "alertmanager",
    "connection",
    "runbook",
    "endpoint",
    "kpi",
    "rule",
    "phase",
    "gate",
    "rollback",
    "contact",
    "escalation",
    "close",
    "communication",
    "status-updates",
    "rehearsal",
];

#[derive(Default)]
struct Sections {
    header: Option<raw::Header>,
    header_span: Option<Range<usize>>,
    connections: BTreeMap<raw::S<String>, raw::S<raw::NamedConnection>>,
    endpoints: Vec<raw::S<raw::Endpoint>>,
    kpis: Vec<raw::Kpi>,
    rules: Vec<raw::Rule>,
    phases: Vec<raw::Phase>,
    gates: Vec<raw::Gate>,
    rollback: Option<raw::Rollback>,
    alertmanager: Option<raw::S<raw::Alertmanager>>,
    contacts: Vec<raw::Contact>,
    escalation: Option<raw::Escalation>,
    close: Option<raw::Close>,
    communications: Vec<raw::Communication>,
    status_updates: Option<raw::StatusUpdates>,
    rehearsal: Option<raw::Rehearsal>,
    unparsed: Unparsed,
}

fn read_sections(d: &mut Diagnostics<'_>) -> Option<Sections> {
    let (root, syntax) = DeTable::parse_recoverable(d.text());
    if !syntax.is_empty() {
        for e in syntax {
            d.error(e.span(), "", format!("TOML syntax: {}", e.message().trim()));
        }
        return None;
    }
    let mut s = Sections::default();
    for (key, value) in root.into_inner() {
        let name = key.get_ref().to_string();
        let key_span = key.span();
        match name.as_str() {
            "runbook" => {
                s.header_span = Some(key_span);
                s.header = one(d, "runbook", value);
            }
            "connection" => {
                s.connections = one(d, "connection", value).unwrap_or_default();
            }
            "endpoint" => s.endpoints = many(d, "endpoint", value, &mut s.unparsed),
            "kpi" => s.kpis = many(d, "kpi", value, &mut s.unparsed),
            "rule" => s.rules = many(d, "rule", value, &mut s.unparsed),
            "phase" => s.phases = many(d, "phase", value, &mut s.unparsed),
            "gate" => s.gates = many(d, "gate", value, &mut s.unparsed),
            "rollback" => s.rollback = one(d, "rollback", value),
            "contact" => s.contacts = many(d, "contact", value, &mut s.unparsed),
            "alertmanager" => s.alertmanager = one(d, "alertmanager", value),
            "status-updates" => s.status_updates = one(d, "status-updates", value),
            "escalation" => s.escalation = one(d, "escalation", value),
            "close" => s.close = one(d, "close", value),
            "rehearsal" => s.rehearsal = one(d, "rehearsal", value),
            "communication" => s.communications = many(d, "communication", value, &mut s.unparsed),
            other => d.error(
                Some(key_span),
                other,
                format!(
                    "unknown section `{other}`, expected one of: {}",
                    SECTIONS.join(", ")
                ),
            ),
        }
    }
    Some(s)
}

fn one<T: for<'de> Deserialize<'de>>(
    d: &mut Diagnostics<'_>,
    section: &str,
    value: Spanned<DeValue<'_>>,
) -> Option<T> {
    if !value.get_ref().is_table() {
        d.error(
            Some(value.span()),
            section,
            format!("expected a table `[{section}]`"),
        );
        return None;
    }
    deserialize(d, section, value)
}

fn many<T: for<'de> Deserialize<'de>>(
    d: &mut Diagnostics<'_>,
    section: &str,
    value: Spanned<DeValue<'_>>,
    unparsed: &mut Unparsed,
) -> Vec<T> {
    let span = value.span();
    match value.into_inner() {
        DeValue::Array(items) => items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| {
                // Named by its id where it has one, as every later message names it.
                let name = string_at(item.get_ref(), "id").unwrap_or_else(|| i.to_string());
                let parsed = deserialize(d, &format!("{section}[{name}]"), item.clone());
                if parsed.is_none() {
                    unparsed_ids(section, item.get_ref(), unparsed);
                }
                parsed
            })
            .collect(),
        _ => {
            d.error(
                Some(span),
                section,
                format!("expected `[[{section}]]` entries (an array of tables)"),
            );
            Vec::new()
        }
    }
}

/// The ids of entries that failed to parse, by section (`kpi`, `phase`, `step`, `check`):
/// what refers to them is not refused again for it, the one real error said once.
pub type Unparsed = std::collections::BTreeMap<String, Vec<String>>;

fn unparsed_ids(section: &str, item: &DeValue<'_>, unparsed: &mut Unparsed) {
    if let Some(id) = string_at(item, "id") {
        unparsed.entry(section.to_owned()).or_default().push(id);
    }
    // A phase that failed takes its steps and checklist items with it.
    if let DeValue::Table(t) = item {
        for (k, v) in t.iter() {
            let child = match k.get_ref().as_ref() {
                "step" => "step",
                "check" => "check",
                _ => continue,
            };
            if let DeValue::Array(items) = v.get_ref() {
                for i in items.iter() {
                    if let Some(id) = string_at(i.get_ref(), "id") {
                        unparsed.entry(child.to_owned()).or_default().push(id);
                    }
                }
            }
        }
    }
}

/// A string value at `key` of a table, if it is one.
fn string_at(value: &DeValue<'_>, key: &str) -> Option<String> {
    let DeValue::Table(t) = value else {
        return None;
    };
    t.iter().find_map(|(k, v)| match v.get_ref() {
        DeValue::String(s) if k.get_ref() == key => Some(s.to_string()),
        _ => None,
    })
}

fn deserialize<T: for<'de> Deserialize<'de>>(
    d: &mut Diagnostics<'_>,
    where_: &str,
    value: Spanned<DeValue<'_>>,
) -> Option<T> {
    let whole = value.span();
    match T::deserialize(ValueDeserializer::from(value)) {
        Ok(v) => Some(v),
        Err(e) => {
            let span = e.span().unwrap_or(whole);
            let key = key_at(d.text(), &span)
                .map_or_else(|| where_.to_owned(), |k| format!("{where_}.{k}"));
            d.error(Some(span), key, explain_serde(e.message()));
            None
        }
    }
}

/// The key a serde error points at: the span itself for an unknown key, otherwise the
/// `key =` at the start of the value's line.
fn key_at(text: &str, span: &Range<usize>) -> Option<String> {
    let slice = text.get(span.clone())?.trim();
    let is_key = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    if is_key(slice) {
        return Some(slice.to_owned());
    }
    let line_start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..span.start];
    let (key, _) = before.rsplit_once('=')?;
    let key = key.rsplit(['{', ',']).next()?.trim();
    is_key(key).then(|| key.to_owned())
}

/// serde's wording, made plain for people who write TOML rather than Rust.
fn explain_serde(message: &str) -> String {
    let m = message.trim();
    // One wording for a misspelt key in every section (the connection options' own check
    // says "unknown key" too).
    m.replace("unknown field", "unknown key")
        .replace("invalid type: ", "wrong type: found ")
        .replace("sequence", "array")
        .replace("map", "table")
        .replace("a string", "a string (in quotes)")
        .replace("f64", "a number")
        .replace("u16", "a whole number")
}

/// Level N from the Nth duration of the incident's age: the first is `0m`, each later
/// than the one before.
/// `[rehearsal]`: variable names that could be set, and a replay series that reads and
/// names only the runbook's KPIs (read now, so `check` finds a bad one the night before).
fn rehearsal(d: &mut Diagnostics<'_>, r: &raw::Rehearsal, dir: &Path, kpis: &[Kpi]) -> Rehearsal {
    let mut env = Vec::new();
    for (name, value) in &r.env {
        let ok = name
            .get_ref()
            .chars()
            .enumerate()
            .all(|(i, c)| c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit()));
        if !ok || name.get_ref().is_empty() {
            d.error(
                Some(name.span()),
                "rehearsal.env",
                format!(
                    "`{}` is not a variable name (letters, digits and `_`, not starting with a digit)",
                    name.get_ref()
                ),
            );
            continue;
        }
        env.push((name.get_ref().clone(), value.clone()));
    }
    let replay = r.replay.as_ref().and_then(|file| {
        let path = dir.join(file.get_ref());
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                d.error(
                    Some(file.span()),
                    "rehearsal.replay",
                    format!("cannot read the series {}: {e}", path.display()),
                );
                return None;
            }
        };
        match crate::runbook::series::Series::parse(&text) {
            Ok(series) => {
                for k in series.kpis() {
                    if !kpis.iter().any(|kpi| kpi.id == k) {
                        d.error(
                            Some(file.span()),
                            "rehearsal.replay",
                            format!("the series names KPI `{k}`, which the runbook does not have"),
                        );
                    }
                }
            }
            Err(e) => d.error(
                Some(file.span()),
                "rehearsal.replay",
                format!("{}: {e}", path.display()),
            ),
        }
        Some(path)
    });
    Rehearsal { env, replay }
}

fn escalation_levels(d: &mut Diagnostics<'_>, e: &raw::Escalation) -> Vec<TimeDelta> {
    let mut out: Vec<TimeDelta> = Vec::new();
    for (i, v) in e.levels.get_ref().iter().enumerate() {
        let key = format!("escalation.levels[{i}]");
        let Ok(at) = parse_duration(v.get_ref()).map_err(|e| d.error(Some(v.span()), &key, e))
        else {
            continue;
        };
        if i == 0 && at != TimeDelta::zero() {
            d.error(
                Some(v.span()),
                &key,
                "level 1 starts when the incident does: write `0m` first",
            );
        }
        if out.last().is_some_and(|prev| at <= *prev) {
            d.error(
                Some(v.span()),
                &key,
                format!("level {} must start later than level {}", i + 1, i),
            );
        }
        out.push(at);
    }
    if out.is_empty() {
        d.error(
            Some(e.levels.span()),
            "escalation.levels",
            "at least one level: `levels = [\"0m\", \"15m\", \"30m\"]`",
        );
    }
    out
}

/// A planned time (`T-15m`, `02:00`, `2026-02-08 02:00`) as an offset from T0; a clock or
/// calendar time needs a fixed T0. Errors are reported at the value.
fn planned_time(
    d: &mut Diagnostics<'_>,
    key: &str,
    at: &raw::S<String>,
    t0: Option<DateTime<Utc>>,
) -> Option<TimeDelta> {
    match TimeSpec::parse(at.get_ref()) {
        Ok(spec) => spec.offset_from(t0).or_else(|| {
            d.error(
                Some(at.span()),
                key,
                format!(
                    "`{}` is a clock or calendar time, which needs a fixed `t0` date-time in `[runbook]`",
                    at.get_ref()
                ),
            );
            None
        }),
        Err(why) => {
            d.error(Some(at.span()), key, why);
            None
        }
    }
}

/// A KPI's changing intervals: each `until` a planned time after the one before.
fn schedule(
    d: &mut Diagnostics<'_>,
    key: &str,
    entries: &[raw::ScheduleEntry],
    t0: Option<DateTime<Utc>>,
) -> Vec<(TimeDelta, TimeDelta)> {
    let mut out: Vec<(TimeDelta, TimeDelta)> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let k = format!("{key}.schedule[{i}]");
        let until = planned_time(d, &format!("{k}.until"), &e.until, t0);
        let every = duration(d, &format!("{k}.every"), &Some(e.every.clone()));
        let (Some(until), Some(every)) = (until, every) else {
            continue;
        };
        if out.last().is_some_and(|(prev, _)| until <= *prev) {
            d.error(
                Some(e.until.span()),
                format!("{k}.until"),
                "each `until` comes after the one before",
            );
        }
        out.push((until, every));
    }
    out
}

fn aggregate(d: &mut Diagnostics<'_>, key: &str, v: &raw::S<String>) -> Aggregate {
    match v.get_ref().as_str() {
        "sum" => Aggregate::Sum,
        "avg" => Aggregate::Avg,
        "max" => Aggregate::Max,
        "min" => Aggregate::Min,
        other => {
            d.error(
                Some(v.span()),
                key,
                format!("`{other}` is not an aggregate: expected sum, avg, max or min"),
            );
            Aggregate::Sum
        }
    }
}

fn duration(d: &mut Diagnostics<'_>, key: &str, v: &Option<raw::S<String>>) -> Option<TimeDelta> {
    let v = v.as_ref()?;
    match parse_duration(v.get_ref()) {
        Ok(t) if t > TimeDelta::zero() => Some(t),
        Ok(_) => {
            d.error(
                Some(v.span()),
                key,
                format!("`{}` must be longer than zero", v.get_ref()),
            );
            None
        }
        Err(e) => {
            d.error(Some(v.span()), key, e);
            None
        }
    }
}

/// What a runbook that does not say means, in one place.
mod defaults {
    use chrono::TimeDelta;
    /// How often an endpoint or a KPI is asked (`interval`).
    pub const INTERVAL: TimeDelta = TimeDelta::seconds(5);
    /// How long a request may take (`timeout`).
    pub const TIMEOUT: TimeDelta = TimeDelta::seconds(3);
    /// An automatic rollback's countdown (`grace`).
    pub const GRACE: TimeDelta = TimeDelta::seconds(60);
    /// How long after a rollback its success may take (`success-within`).
    pub const SUCCESS_WITHIN: TimeDelta = TimeDelta::minutes(5);
    /// A verification's deadline (`verify.timeout`).
    pub const VERIFY_TIMEOUT: TimeDelta = TimeDelta::seconds(60);
    /// The Alertmanager's poll (`[alertmanager] interval`, `timeout`).
    pub const ALERTMANAGER_INTERVAL: TimeDelta = TimeDelta::seconds(15);
    pub const ALERTMANAGER_TIMEOUT: TimeDelta = TimeDelta::seconds(5);
    /// How far ahead of its plan a step starts before that is a guard (`early-warning`).
    pub const EARLY_WARNING: TimeDelta = TimeDelta::minutes(5);
}

/// `[runbook] early-warning`: zero warns of any early start; absent, five minutes.
fn early_warning(d: &mut Diagnostics<'_>, v: &Option<raw::S<String>>) -> TimeDelta {
    let Some(v) = v else {
        return defaults::EARLY_WARNING;
    };
    let text = v.get_ref().trim();
    // A warning after the planned time makes no sense; say so rather than "not a duration".
    let negative = text
        .strip_prefix('-')
        .and_then(|rest| parse_duration(rest).ok())
        .map(|t| -t);
    match negative.map_or_else(|| parse_duration(text), Ok) {
        Ok(t) if t >= TimeDelta::zero() => t,
        Ok(_) => {
            d.error(
                Some(v.span()),
                "early-warning",
                format!(
                    "`{}` is negative: expected a duration such as \"5m\"",
                    v.get_ref()
                ),
            );
            defaults::EARLY_WARNING
        }
        Err(e) => {
            d.error(Some(v.span()), "early-warning", e);
            defaults::EARLY_WARNING
        }
    }
}

fn expression(d: &mut Diagnostics<'_>, key: &str, v: &raw::S<String>) -> Option<Expr> {
    match Expr::parse(v.get_ref()) {
        Ok(e) => Some(e),
        Err(e) => {
            // Point at the character inside the quoted string.
            let at = v.span().start + 1 + e.offset;
            d.error(
                Some(at..at + 1),
                key,
                format!("rule expression `{}`: {}", v.get_ref(), e.message),
            );
            None
        }
    }
}

fn check_id(d: &mut Diagnostics<'_>, key: &str, id: &raw::S<String>, allow_dash: bool) {
    let s = id.get_ref();
    let first_ok = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    let rest_ok = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || (allow_dash && c == '-'));
    if !first_ok || !rest_ok {
        let allowed = if allow_dash {
            "letters, digits, `_` and `-`"
        } else {
            "letters, digits and `_` (it is used in rule expressions)"
        };
        d.error(
            Some(id.span()),
            key,
            format!("id `{s}` must start with a letter and contain only {allowed}"),
        );
    }
}

/// A step's `confirm` and `phrase`, one with the other: giving a phrase implies it;
/// `default` is what neither means.
fn confirmation(
    d: &mut Diagnostics<'_>,
    key: &str,
    confirm: &Option<raw::S<String>>,
    phrase: &Option<raw::S<String>>,
    default: Confirm,
) -> Confirm {
    match (
        confirm.as_ref().map(|c| (c.get_ref().as_str(), c.span())),
        phrase,
    ) {
        (_, Some(phrase)) if phrase.get_ref().trim().is_empty() => {
            d.error(
                Some(phrase.span()),
                format!("{key}.phrase"),
                "the confirmation phrase is empty",
            );
            default
        }
        (None | Some(("phrase", _)), Some(phrase)) => Confirm::Phrase(phrase.get_ref().clone()),
        (Some(("phrase", _)), None) => Confirm::Phrase("PROCEED".into()),
        (None, None) => default,
        (Some(("yes-no", _)), None) => Confirm::YesNo,
        (Some(("none", _)), None) => Confirm::None,
        (Some((other @ ("none" | "yes-no"), span)), Some(_)) => {
            d.error(Some(span), format!("{key}.confirm"), format!("`confirm = \"{other}\"` contradicts `phrase`: use `confirm = \"phrase\"` or drop `phrase`"));
            default
        }
        (Some((other, span)), _) => {
            d.error(
                Some(span),
                format!("{key}.confirm"),
                format!("`{other}` is not a confirmation: expected none, yes-no or phrase"),
            );
            default
        }
    }
}

struct Ids {
    seen: HashMap<String, Range<usize>>,
    what: &'static str,
    /// Ids of entries that failed to parse: known, so a reference to one is not an error
    /// of its own.
    unparsed: HashSet<String>,
}

impl Ids {
    fn new(what: &'static str) -> Self {
        Self {
            seen: HashMap::new(),
            what,
            unparsed: HashSet::new(),
        }
    }

    /// Knowing the ids of the section's entries that failed to parse.
    fn knowing(mut self, unparsed: &Unparsed, section: &str) -> Self {
        self.unparsed
            .extend(unparsed.get(section).into_iter().flatten().cloned());
        self
    }

    fn add(&mut self, d: &mut Diagnostics<'_>, key: &str, id: &raw::S<String>) {
        if let Some(first) = self.seen.get(id.get_ref()) {
            let (line, _) = super::diag::line_col(d.text(), first.start);
            d.error(
                Some(id.span()),
                key,
                format!(
                    "duplicate {} id `{}` (first defined on line {line})",
                    self.what,
                    id.get_ref()
                ),
            );
        } else {
            self.seen.insert(id.get_ref().clone(), id.span());
        }
    }

    fn contains(&self, id: &str) -> bool {
        self.seen.contains_key(id) || self.unparsed.contains(id)
    }
}

fn command(
    d: &mut Diagnostics<'_>,
    key: &str,
    run: &Option<raw::S<Vec<String>>>,
    shell: &Option<raw::S<String>>,
    dir: &Path,
) -> Option<Command> {
    match (run, shell) {
        (Some(run), Some(shell)) => {
            d.error(
                Some(shell.span()),
                key,
                "give either `run` (an argv list) or `shell` (a shell string), not both",
            );
            let _ = run;
            None
        }
        (Some(run), None) => {
            let argv = run.get_ref();
            let Some(program) = argv.first() else {
                d.error(
                    Some(run.span()),
                    format!("{key}.run"),
                    "`run` is empty: expected [\"program\", \"arg\", ...]",
                );
                return None;
            };
            warn_missing_script(d, &format!("{key}.run"), run.span(), program, dir);
            Some(Command::Argv(argv.clone()))
        }
        (None, Some(shell)) => {
            if shell.get_ref().trim().is_empty() {
                d.error(
                    Some(shell.span()),
                    format!("{key}.shell"),
                    "`shell` is empty",
                );
                return None;
            }
            Some(Command::Shell(shell.get_ref().clone()))
        }
        (None, None) => None,
    }
}

/// A program written as a path (`./scripts/x.sh`, `assets/x.sh`) must exist; bare names
/// are looked up on PATH when they run.
fn warn_missing_script(
    d: &mut Diagnostics<'_>,
    key: &str,
    span: Range<usize>,
    program: &str,
    dir: &Path,
) {
    if !program.contains('/') {
        return;
    }
    let path = dir.join(program);
    if !path.exists() {
        d.warning(
            Some(span),
            key,
            format!(
                "script `{program}` does not exist (looked for {})",
                path.display()
            ),
        );
    }
}

fn validate(path: &Path, s: Sections, d: &mut Diagnostics<'_>) -> Option<Runbook> {
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
    let Some(header) = s.header else {
        if s.header_span.is_none() {
            d.error(
                Some(0..0),
                "runbook",
                "missing the `[runbook]` section (with at least `name = \"...\"`)",
            );
        }
        return None;
    };

    let t0_spec = header.t0.as_ref().map_or(Some(T0::AfterStart(TimeDelta::zero())), |t| {
        let text = t.get_ref().trim();
        if let Some(delay) = text.strip_prefix('+') {
            return match parse_duration(delay) {
                Ok(d) => Some(T0::AfterStart(d)),
                Err(e) => {
                    d.error(Some(t.span()), "runbook.t0", format!("a T0 relative to the start: {e}"));
                    None
                }
            };
        }
        match parse_datetime(text) {
            Some(dt) => Some(T0::At(dt)),
            None => {
                d.error(
                    Some(t.span()),
                    "runbook.t0",
                    format!("`{text}` is not a T0: expected a UTC date-time such as \"2026-02-08T02:00:00Z\", or \"+2m\" for two minutes after the console starts"),
                );
                None
            }
        }
    });
    let t0 = t0_spec.and_then(T0::fixed);

    let mut connections = Connections::read(d, &s.connections, &dir);

    // Endpoints.
    let mut endpoint_ids = Ids::new("endpoint").knowing(&s.unparsed, "endpoint");
    let mut endpoints = Vec::new();
    for (i, spanned) in s.endpoints.iter().enumerate() {
        let (e, span) = (spanned.get_ref(), spanned.span());
        let key = format!("endpoint[{}]", e.id.get_ref());
        check_id(d, &format!("{key}.id"), &e.id, true);
        endpoint_ids.add(d, &format!("endpoint[{i}].id"), &e.id);
        let json = e
            .json
            .as_ref()
            .and_then(|j| json_assert(d, &format!("{key}.json"), j));
        let reach = connections.resolve(
            d,
            Table {
                key: &key,
                span,
                own_keys: &["id", "url", "interval", "expect-status", "slow", "json"],
                options: &e.options,
                unknown: &e.unknown,
                url: Some(e.url.get_ref()),
                url_use: UrlUse::Page,
            },
            &dir,
        );
        endpoints.push(Endpoint {
            id: e.id.get_ref().clone(),
            url: reach.url.unwrap_or_default(),
            interval: duration(d, &format!("{key}.interval"), &e.interval)
                .unwrap_or(defaults::INTERVAL),
            timeout: reach
                .timeout
                .or(reach.connection_timeout)
                .unwrap_or(defaults::TIMEOUT),
            expect_status: e.expect_status.clone().unwrap_or_else(|| vec![200]),
            slow: duration(d, &format!("{key}.slow"), &e.slow),
            json,
            connection: reach.connection,
        });
    }

    // KPIs.
    let mut kpi_ids = Ids::new("KPI").knowing(&s.unparsed, "kpi");
    let mut kpis = Vec::new();
    for (i, k) in s.kpis.iter().enumerate() {
        let key = format!("kpi[{}]", k.id.get_ref());
        check_id(d, &format!("{key}.id"), &k.id, false);
        kpi_ids.add(d, &format!("kpi[{i}].id"), &k.id);
        let mut sources: Vec<(Range<usize>, KpiSource, Option<Resolved>)> = Vec::new();
        if let Some(p) = &k.prometheus {
            let r = p.get_ref();
            let reach = connections.resolve(
                d,
                Table {
                    key: &format!("{key}.prometheus"),
                    span: p.span(),
                    own_keys: &["url", "query", "aggregate"],
                    options: &r.options,
                    unknown: &r.unknown,
                    url: r.url.as_deref(),
                    url_use: UrlUse::Base,
                },
                &dir,
            );
            let aggregate = r
                .aggregate
                .as_ref()
                .map(|a| aggregate(d, &format!("{key}.prometheus.aggregate"), a));
            sources.push((
                p.span(),
                KpiSource::Prometheus {
                    url: reach.url.clone().unwrap_or_default(),
                    query: r.query.clone(),
                    aggregate,
                },
                Some(reach),
            ));
        }
        if let Some(sc) = &k.scrape {
            let r = sc.get_ref();
            let reach = connections.resolve(
                d,
                Table {
                    key: &format!("{key}.scrape"),
                    span: sc.span(),
                    own_keys: &["url", "metric", "labels", "aggregate", "strict"],
                    options: &r.options,
                    unknown: &r.unknown,
                    url: r.url.as_deref(),
                    url_use: UrlUse::Page,
                },
                &dir,
            );
            let aggregate = r.aggregate.as_ref().map_or(Aggregate::Sum, |a| {
                aggregate(d, &format!("{key}.scrape.aggregate"), a)
            });
            sources.push((
                sc.span(),
                KpiSource::Scrape {
                    url: reach.url.clone().unwrap_or_default(),
                    metric: r.metric.clone(),
                    labels: r
                        .labels
                        .iter()
                        .map(|(a, b)| (a.clone(), b.clone()))
                        .collect(),
                    aggregate,
                    rules: if r.strict {
                        crate::exposition::Rules::Spec
                    } else {
                        crate::exposition::Rules::Scraper
                    },
                },
                Some(reach),
            ));
        }
        if let Some(j) = &k.json {
            let r = j.get_ref();
            let reach = connections.resolve(
                d,
                Table {
                    key: &format!("{key}.json"),
                    span: j.span(),
                    own_keys: &["url", "pointer"],
                    options: &r.options,
                    unknown: &r.unknown,
                    url: r.url.as_deref(),
                    url_use: UrlUse::Page,
                },
                &dir,
            );
            check_pointer(d, &format!("{key}.json.pointer"), &r.pointer);
            sources.push((
                j.span(),
                KpiSource::Json {
                    url: reach.url.clone().unwrap_or_default(),
                    pointer: r.pointer.get_ref().clone(),
                },
                Some(reach),
            ));
        }
        if let Some(c) = &k.command {
            if let Some(program) = c.get_ref().first() {
                warn_missing_script(d, &format!("{key}.command"), c.span(), program, &dir);
                sources.push((
                    c.span(),
                    KpiSource::Command {
                        argv: c.get_ref().clone(),
                    },
                    None,
                ));
            } else {
                d.error(
                    Some(c.span()),
                    format!("{key}.command"),
                    "`command` is empty: expected [\"program\", \"arg\", ...]",
                );
            }
        }
        let source = match sources.len() {
            1 => sources.pop().map(|(_, s, reach)| (s, reach)),
            0 => {
                d.error(
                    Some(k.id.span()),
                    key.clone(),
                    "a KPI needs exactly one source: `prometheus`, `scrape`, `json` or `command`",
                );
                None
            }
            _ => {
                d.error(
                    Some(sources[1].0.clone()),
                    key.clone(),
                    "a KPI takes exactly one source, this one has several",
                );
                None
            }
        };
        let thresholds = thresholds(d, &key, k);
        if let Some((source, reach)) = source {
            let own_timeout = duration(d, &format!("{key}.timeout"), &k.timeout);
            let (connection, source_timeout, connection_timeout) = reach
                .map_or((Connection::default(), None, None), |r| {
                    (r.connection, r.timeout, r.connection_timeout)
                });
            if let (Some(t), Some(_)) = (&k.timeout, source_timeout) {
                d.error(
                    Some(t.span()),
                    format!("{key}.timeout"),
                    format!(
                        "the timeout is set twice, here and in its `{}` source: keep one",
                        source.kind()
                    ),
                );
            }
            kpis.push(Kpi {
                id: k.id.get_ref().clone(),
                label: k.label.clone().unwrap_or_else(|| k.id.get_ref().clone()),
                unit: k.unit.clone().unwrap_or_default(),
                interval: duration(d, &format!("{key}.interval"), &k.interval)
                    .unwrap_or(defaults::INTERVAL),
                schedule: schedule(d, &key, &k.schedule, t0),
                timeout: own_timeout
                    .or(source_timeout)
                    .or(connection_timeout)
                    .unwrap_or(defaults::TIMEOUT),
                source,
                connection,
                thresholds,
            });
        }
    }

    let refs = Refs {
        kpis: &kpi_ids,
        endpoints: &endpoint_ids,
    };

    // Rules.
    let mut rule_ids = Ids::new("rule").knowing(&s.unparsed, "rule");
    let mut rules = Vec::new();
    for (i, r) in s.rules.iter().enumerate() {
        let key = format!("rule[{}]", r.id.get_ref());
        check_id(d, &format!("{key}.id"), &r.id, true);
        rule_ids.add(d, &format!("rule[{i}].id"), &r.id);
        let expr = expression(d, &format!("{key}.expr"), &r.expr);
        if let Some(e) = &expr {
            refs.check(d, &format!("{key}.expr"), &r.expr, e);
        }
        let resolve = r.resolve.as_ref().and_then(|x| {
            let e = expression(d, &format!("{key}.resolve"), x)?;
            refs.check(d, &format!("{key}.resolve"), x, &e);
            Some(e)
        });
        let severity = match r
            .severity
            .as_ref()
            .map(|s| (s.get_ref().as_str(), s.span()))
        {
            None | Some(("warning", _)) => Severity::Warning,
            Some(("critical", _)) => Severity::Critical,
            Some(("info", _)) => Severity::Info,
            Some((other, span)) => {
                d.error(
                    Some(span),
                    format!("{key}.severity"),
                    format!("`{other}` is not a severity: expected info, warning or critical"),
                );
                Severity::Warning
            }
        };
        let grace = duration(d, &format!("{key}.grace"), &r.grace);
        let action = match r.action.as_ref().map(|s| (s.get_ref().as_str(), s.span())) {
            None | Some(("none", _)) => RuleAction::None,
            Some(("propose-rollback", _)) => RuleAction::ProposeRollback,
            Some(("auto-rollback", _)) => RuleAction::AutoRollback {
                grace: grace.unwrap_or(defaults::GRACE),
            },
            Some((other, span)) => {
                d.error(Some(span), format!("{key}.action"), format!("`{other}` is not an action: expected none, propose-rollback or auto-rollback"));
                RuleAction::None
            }
        };
        if !matches!(action, RuleAction::None)
            && s.rollback.is_none()
            && let Some(a) = &r.action
        {
            d.error(
                Some(a.span()),
                format!("{key}.action"),
                "this rule acts on the rollback, but the runbook has no `[rollback]` section",
            );
        }
        let tier = r.tier.as_ref().and_then(|t| match t.get_ref().as_str() {
            "immediate" => Some(Tier::Immediate),
            "urgent" => Some(Tier::Urgent),
            "conditional" => Some(Tier::Conditional),
            other => {
                d.error(
                    Some(t.span()),
                    format!("{key}.tier"),
                    format!("`{other}` is not a tier: expected immediate, urgent or conditional"),
                );
                None
            }
        });
        let no_data = match r.no_data.as_ref().map(|s| (s.get_ref().as_str(), s.span())) {
            None | Some(("keep", _)) => NoData::Keep,
            Some(("resolve", _)) => NoData::Resolve,
            Some(("alert", _)) => NoData::Alert,
            Some((other, span)) => {
                d.error(
                    Some(span),
                    format!("{key}.no-data"),
                    format!("`{other}` is not a no-data choice: expected keep, resolve or alert"),
                );
                NoData::Keep
            }
        };
        if let Some(expr) = expr {
            rules.push(Rule {
                id: r.id.get_ref().clone(),
                source: r.expr.get_ref().clone(),
                expr,
                for_: duration(d, &format!("{key}.for"), &r.for_).unwrap_or_default(),
                keep_firing_for: duration(d, &format!("{key}.keep-firing-for"), &r.keep_firing_for)
                    .unwrap_or_default(),
                resolve,
                severity,
                summary: r
                    .summary
                    .clone()
                    .unwrap_or_else(|| r.expr.get_ref().clone()),
                action,
                tier,
                decide_within: duration(d, &format!("{key}.decide-within"), &r.decide_within),
                authority: r.authority.clone(),
                no_data,
                hold_while_pending: r.hold_while_pending,
                scope: match (&r.during, &r.after) {
                    (Some(p), _) => RuleScope::During(p.get_ref().clone()),
                    (None, Some(st)) => RuleScope::After {
                        step: st.get_ref().clone(),
                        window: duration(d, &format!("{key}.window"), &r.window),
                    },
                    (None, None) => RuleScope::Always,
                },
            });
        }
    }

    // Phases, steps, checklists.
    let mut phase_ids = Ids::new("phase").knowing(&s.unparsed, "phase");
    let mut step_ids = Ids::new("step").knowing(&s.unparsed, "step");
    let mut check_ids = Ids::new("check").knowing(&s.unparsed, "check");
    let mut phases = Vec::new();
    let mut previous: Option<(TimeDelta, String)> = None;
    for (pi, p) in s.phases.iter().enumerate() {
        let pkey = format!("phase[{}]", p.id.get_ref());
        check_id(d, &format!("{pkey}.id"), &p.id, true);
        phase_ids.add(d, &format!("phase[{pi}].id"), &p.id);
        let mut steps = Vec::new();
        for st in &p.step {
            let step_span = st.span();
            let st = st.get_ref();
            let key = format!("{pkey}.step[{}]", st.id.get_ref());
            check_id(d, &format!("{key}.id"), &st.id, true);
            step_ids.add(d, &format!("{key}.id"), &st.id);
            let planned = st
                .at
                .as_ref()
                .and_then(|at| planned_time(d, &format!("{key}.at"), at, t0));
            if let (Some(at), Some((prev, prev_id))) = (planned, &previous)
                && at < *prev
            {
                let span = st.at.as_ref().map_or(step_span.clone(), |a| a.span());
                d.warning(
                    Some(span),
                    format!("{key}.at"),
                    format!("planned at {} but comes after step `{prev_id}` planned at {}: steps are out of time order", time::format_planned(at), time::format_planned(*prev)),
                );
            }
            if let Some(at) = planned {
                previous = Some((at, st.id.get_ref().clone()));
            }
            let cmd = command(d, &key, &st.run, &st.shell, &dir);
            let confirm = confirmation(d, &key, &st.confirm, &st.phrase, Confirm::YesNo);
            if st.automatic && confirm != Confirm::None {
                d.warning(Some(step_span.clone()), key.clone(), "an automatic step runs at its planned time without a confirmation; its `confirm` is ignored");
            }
            if st.automatic && planned.is_none() {
                d.error(
                    Some(step_span.clone()),
                    key.clone(),
                    "an automatic step needs a planned time `at`",
                );
            }
            for k in &st.capture_baseline {
                if !refs.kpis.contains(k.get_ref()) {
                    d.error(
                        Some(k.span()),
                        format!("{key}.capture-baseline"),
                        format!("`{}` is not a KPI id defined in a `[[kpi]]`", k.get_ref()),
                    );
                }
            }
            let verify = st
                .verify
                .as_ref()
                .and_then(|v| verify(d, &format!("{key}.verify"), v, &refs, &dir));
            if st.continuous && (st.run.is_some() || st.shell.is_some() || st.automatic) {
                d.error(
                    Some(step_span.clone()),
                    format!("{key}.continuous"),
                    "a continuous step is a watch with nothing to run: drop `run`, `shell` and `automatic`",
                );
            }
            if st.continuous && st.at.is_none() {
                d.error(
                    Some(step_span.clone()),
                    format!("{key}.continuous"),
                    "a continuous step watches from its `at`: give it one",
                );
            }
            steps.push(Step {
                continuous: st.continuous,
                id: st.id.get_ref().clone(),
                title: st.title.clone(),
                owner: st.owner.clone(),
                planned,
                duration: duration(d, &format!("{key}.duration"), &st.duration),
                hold: duration(d, &format!("{key}.hold"), &st.hold),
                command: cmd,
                confirm: if st.automatic { Confirm::None } else { confirm },
                timeout: duration(d, &format!("{key}.timeout"), &st.timeout),
                verify,
                blocking: st.blocking.unwrap_or(true),
                automatic: st.automatic,
                point_of_no_return: st.point_of_no_return,
                capture_baseline: st
                    .capture_baseline
                    .iter()
                    .map(|k| k.get_ref().clone())
                    .collect(),
                notes: st.notes.clone(),
            });
        }
        let mut checks = Vec::new();
        for c in &p.check {
            let key = format!("{pkey}.check[{}]", c.id.get_ref());
            check_id(d, &format!("{key}.id"), &c.id, true);
            check_ids.add(d, &format!("{key}.id"), &c.id);
            let auto = c.auto.as_ref().and_then(|a| {
                let e = expression(d, &format!("{key}.auto"), a)?;
                refs.check(d, &format!("{key}.auto"), a, &e);
                Some(e)
            });
            checks.push(Check {
                id: c.id.get_ref().clone(),
                text: c.text.clone(),
                auto,
            });
        }
        phases.push(Phase {
            id: p.id.get_ref().clone(),
            title: p.title.clone(),
            steps,
            checks,
        });
    }

    // Rules' scopes name phases and steps, known only now.
    for r in &s.rules {
        let key = format!("rule[{}]", r.id.get_ref());
        if let (Some(p), Some(_)) = (&r.during, &r.after) {
            d.error(
                Some(p.span()),
                format!("{key}.during"),
                "a rule is scoped by `during` a phase or `after` a step, not both",
            );
        }
        if let Some(p) = &r.during
            && !phase_ids.contains(p.get_ref())
        {
            d.error(
                Some(p.span()),
                format!("{key}.during"),
                format!("`{}` is not a phase id", p.get_ref()),
            );
        }
        if let Some(st) = &r.after
            && !step_ids.contains(st.get_ref())
        {
            d.error(
                Some(st.span()),
                format!("{key}.after"),
                format!("`{}` is not a step id defined in any phase", st.get_ref()),
            );
        }
        if let (Some(w), None) = (&r.window, &r.after) {
            d.error(
                Some(w.span()),
                format!("{key}.window"),
                "`window` counts from a step: add `after = \"<step id>\"`",
            );
        }
    }

    // Gates.
    let mut gate_ids = Ids::new("gate").knowing(&s.unparsed, "gate");
    let mut gated_steps = HashSet::new();
    let mut gates = Vec::new();
    for (i, g) in s.gates.iter().enumerate() {
        let key = format!("gate[{}]", g.id.get_ref());
        check_id(d, &format!("{key}.id"), &g.id, true);
        gate_ids.add(d, &format!("gate[{i}].id"), &g.id);
        if g.approvers.get_ref().is_empty() {
            d.error(
                Some(g.approvers.span()),
                format!("{key}.approvers"),
                "a gate needs at least one approver",
            );
        }
        if !step_ids.contains(g.before.get_ref()) {
            d.error(
                Some(g.before.span()),
                format!("{key}.before"),
                format!(
                    "`{}` is not a step id defined in any phase",
                    g.before.get_ref()
                ),
            );
        } else if !gated_steps.insert(g.before.get_ref().clone()) {
            d.error(
                Some(g.before.span()),
                format!("{key}.before"),
                format!("step `{}` already has a gate", g.before.get_ref()),
            );
        }
        for r in &g.rules {
            if !rule_ids.contains(r.get_ref()) {
                d.error(
                    Some(r.span()),
                    format!("{key}.rules"),
                    format!("`{}` is not a rule id", r.get_ref()),
                );
            }
        }
        for r in &g.holding_rules {
            if !rule_ids.contains(r.get_ref()) {
                d.error(
                    Some(r.span()),
                    format!("{key}.holding-rules"),
                    format!("`{}` is not a rule id", r.get_ref()),
                );
            }
        }
        for c in &g.checklists {
            if !phase_ids.contains(c.get_ref()) {
                d.error(
                    Some(c.span()),
                    format!("{key}.checklists"),
                    format!(
                        "`{}` is not a phase id (a gate depends on a phase's checklist)",
                        c.get_ref()
                    ),
                );
            }
        }
        let policy = match g.decide.as_ref().map(|s| (s.get_ref().as_str(), s.span())) {
            None | Some(("unanimous", _)) => GatePolicy::Unanimous,
            Some(("any", _)) => GatePolicy::Any,
            Some(("final-say", span)) => {
                let who = g.final_say.as_ref().and_then(|f| {
                    let i = g.approvers.get_ref().iter().position(|a| a == f.get_ref());
                    if i.is_none() {
                        d.error(
                            Some(f.span()),
                            format!("{key}.final-say"),
                            format!("`{}` is not one of the gate's approvers", f.get_ref()),
                        );
                    }
                    i
                });
                if g.final_say.is_none() {
                    d.error(
                        Some(span),
                        format!("{key}.decide"),
                        "`final-say` names whose vote decides: add `final-say = \"<approver>\"`",
                    );
                }
                GatePolicy::FinalSay(who.unwrap_or(0))
            }
            Some((other, span)) => {
                d.error(
                    Some(span),
                    format!("{key}.decide"),
                    format!("`{other}` is not a gate policy: expected unanimous, any or final-say"),
                );
                GatePolicy::Unanimous
            }
        };
        if let (Some(f), false) = (
            &g.final_say,
            matches!(
                g.decide.as_ref().map(|s| s.get_ref().as_str()),
                Some("final-say")
            ),
        ) {
            d.error(
                Some(f.span()),
                format!("{key}.final-say"),
                "`final-say` needs `decide = \"final-say\"`",
            );
        }
        gates.push(Gate {
            policy,
            id: g.id.get_ref().clone(),
            title: g.title.clone(),
            approvers: g.approvers.get_ref().clone(),
            before: g.before.get_ref().clone(),
            rules: g.rules.iter().map(|r| r.get_ref().clone()).collect(),
            holding_rules: g
                .holding_rules
                .iter()
                .map(|r| r.get_ref().clone())
                .collect(),
            checklists: g.checklists.iter().map(|r| r.get_ref().clone()).collect(),
        });
    }

    let rollback = s.rollback.as_ref().and_then(|r| {
        let timeout = duration(d, "rollback.timeout", &r.timeout);
        let steps = if r.step.is_empty() {
            let cmd = command(d, "rollback", &r.run, &r.shell, &dir);
            if cmd.is_none() && r.run.is_none() && r.shell.is_none() {
                let (span, why) = match r.preview.as_ref().map(|p| p.span()).or(r.preview_shell.as_ref().map(|p| p.span())) {
                    // A preview shows what the rollback will do: there must be one.
                    Some(span) => (Some(span), "`preview` shows what the rollback will do, and there is no rollback: `[rollback]` needs `run` (an argv list), `shell`, or its steps (`[[rollback.step]]`)"),
                    None => (None, "`[rollback]` needs `run` (an argv list), `shell`, or its steps (`[[rollback.step]]`)"),
                };
                d.error(span, "rollback", why);
            }
            if step_ids.contains("rollback") {
                d.error(
                    None,
                    "rollback",
                    "a step named `rollback` would keep its record in steps/rollback.N, as the rollback does: rename the step",
                );
            }
            vec![RollbackStep {
                id: "rollback".to_owned(),
                title: "Rollback".to_owned(),
                command: cmd?,
                timeout,
                confirm: Confirm::None,
            }]
        } else {
            if let Some(span) = r.run.as_ref().map(|x| x.span()).or(r.shell.as_ref().map(|x| x.span())) {
                d.error(
                    Some(span),
                    "rollback",
                    "give the rollback either one command (`run`/`shell`) or its steps (`[[rollback.step]]`), not both",
                );
            }
            let mut seen = HashSet::new();
            let steps: Vec<RollbackStep> = r
                .step
                .iter()
                .enumerate()
                .filter_map(|(i, st)| {
                    let key = format!("rollback.step[{i}]");
                    check_id(d, &format!("{key}.id"), &st.id, true);
                    // Each runs in steps/rollback-<id>.<attempt>: a step of that name would share it.
                    let dir_name = format!("rollback-{}", st.id.get_ref());
                    if step_ids.contains(&dir_name) {
                        d.error(
                            Some(st.id.span()),
                            format!("{key}.id"),
                            format!(
                                "rollback step `{}` would keep its record in steps/{dir_name}.N, as step `{dir_name}` does: rename one",
                                st.id.get_ref()
                            ),
                        );
                    }
                    if !seen.insert(st.id.get_ref().clone()) {
                        d.error(
                            Some(st.id.span()),
                            format!("{key}.id"),
                            format!("rollback step `{}` is defined twice", st.id.get_ref()),
                        );
                    }
                    let cmd = command(d, &key, &st.run, &st.shell, &dir);
                    if cmd.is_none() && st.run.is_none() && st.shell.is_none() {
                        d.error(
                            Some(st.id.span()),
                            key.clone(),
                            "a rollback step needs `run` (an argv list) or `shell`",
                        );
                    }
                    let confirm = confirmation(d, &key, &st.confirm, &st.phrase, Confirm::None);
                    Some(RollbackStep {
                        id: st.id.get_ref().clone(),
                        title: st.title.clone(),
                        command: cmd?,
                        timeout: duration(d, &format!("{key}.timeout"), &st.timeout).or(timeout),
                        confirm,
                    })
                })
                .collect();
            if steps.len() != r.step.len() {
                return None;
            }
            steps
        };
        let phrase = r
            .phrase
            .as_ref()
            .map_or_else(|| "ROLLBACK".to_owned(), |p| p.get_ref().clone());
        if phrase.trim().is_empty()
            && let Some(p) = &r.phrase
        {
            d.error(
                Some(p.span()),
                "rollback.phrase",
                "the rollback phrase is empty",
            );
        }
        let success = r.success.as_ref().and_then(|src| {
            let expr = expression(d, "rollback.success", src)?;
            refs.check(d, "rollback.success", src, &expr);
            Some(RollbackSuccess {
                expr,
                source: src.get_ref().clone(),
                hold: duration(d, "rollback.success-for", &r.success_for).unwrap_or_default(),
                within: duration(d, "rollback.success-within", &r.success_within)
                    .unwrap_or(defaults::SUCCESS_WITHIN),
            })
        });
        let preview = match (&r.preview, &r.preview_shell) {
            (None, None) => None,
            (Some(_), Some(sh)) => {
                d.error(
                    Some(sh.span()),
                    "rollback.preview-shell",
                    "give the preview either as argv (`preview`) or as a shell line (`preview-shell`), not both",
                );
                None
            }
            (Some(argv), None) => match argv.get_ref().first() {
                Some(program) => {
                    warn_missing_script(d, "rollback.preview", argv.span(), program, &dir);
                    Some(Command::Argv(argv.get_ref().clone()))
                }
                None => {
                    d.error(
                        Some(argv.span()),
                        "rollback.preview",
                        "`preview` is empty: expected [\"program\", \"arg\", ...]",
                    );
                    None
                }
            },
            (None, Some(sh)) if sh.get_ref().trim().is_empty() => {
                d.error(Some(sh.span()), "rollback.preview-shell", "`preview-shell` is empty");
                None
            }
            (None, Some(sh)) => Some(Command::Shell(sh.get_ref().clone())),
        };
        Some(Rollback {
            steps,
            preview,
            until: r
                .until
                .as_ref()
                .and_then(|u| planned_time(d, "rollback.until", u, t0)),
            phrase,
            timeout,
            roll_forward: r.roll_forward.clone(),
            target: duration(d, "rollback.target", &r.target),
            success,
        })
    });

    let alertmanager = s.alertmanager.as_ref().map(|spanned| {
        let (a, span) = (spanned.get_ref(), spanned.span());
        let reach = connections.resolve(
            d,
            Table {
                key: "alertmanager",
                span,
                own_keys: &["url", "interval", "silence"],
                options: &a.options,
                unknown: &a.unknown,
                url: Some(a.url.get_ref()),
                url_use: UrlUse::Page,
            },
            &dir,
        );
        let silence = a.silence.as_ref().map(|sil| {
            if sil.matchers.get_ref().is_empty() {
                d.error(
                    Some(sil.matchers.span()),
                    "alertmanager.silence.matchers",
                    "a silence needs at least one matcher (an empty one would silence everything)",
                );
            }
            Silence {
                matchers: sil
                    .matchers
                    .get_ref()
                    .iter()
                    .map(|m| Matcher {
                        name: m.name.clone(),
                        value: m.value.clone(),
                        regex: m.regex,
                    })
                    .collect(),
                comment: sil.comment.clone(),
                created_by: sil
                    .created_by
                    .clone()
                    .unwrap_or_else(|| "warroom".to_owned()),
            }
        });
        Alertmanager {
            url: reach.url.unwrap_or_default(),
            interval: duration(d, "alertmanager.interval", &a.interval)
                .unwrap_or(defaults::ALERTMANAGER_INTERVAL),
            timeout: reach
                .timeout
                .or(reach.connection_timeout)
                .unwrap_or(defaults::ALERTMANAGER_TIMEOUT),
            connection: reach.connection,
            silence,
        }
    });

    connections.warn_unused(d);

    let communications = s
        .communications
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let planned = planned_time(d, &format!("communication[{i}].at"), &c.at, t0)?;
            Some(Communication {
                planned,
                audience: c.audience.clone(),
                text: c.text.clone(),
            })
        })
        .collect();

    let escalation = s
        .escalation
        .as_ref()
        .map(|e| escalation_levels(d, e))
        .unwrap_or_default();

    let status_updates = s.status_updates.as_ref().and_then(|u| {
        let webhook = u.webhook.as_ref().map(|w| {
            // A webhook URL lets anyone post to the channel: it lives in the environment.
            if var_names(w.get_ref()).is_empty() {
                d.error(
                    Some(w.span()),
                    "status-updates.webhook",
                    "a webhook URL is a secret: set it in the environment and write \
                     `webhook = \"${SLACK_WEBHOOK_URL}\"`",
                );
            }
            w.get_ref().clone()
        });
        Some(StatusUpdates {
            every: duration(d, "status-updates.every", &Some(u.every.clone()))?,
            channel: u.channel.clone(),
            template: u.template.clone(),
            webhook,
        })
    });

    let rehearsal = s
        .rehearsal
        .as_ref()
        .map(|r| rehearsal(d, r, &dir, &kpis))
        .unwrap_or_default();

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
        share_with: header.share_with.as_ref().and_then(|g| {
            let name = g.get_ref().trim();
            let valid = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
            if !valid {
                d.error(
                    Some(g.span()),
                    "share-with",
                    format!("`{name}` is not a group name (letters, digits, `.`, `_`, `-`)"),
                );
            }
            valid.then(|| name.to_owned())
        }),
        endpoints,
        kpis,
        rules,
        phases,
        gates,
        rollback,
        alertmanager,
        contacts: s
            .contacts
            .into_iter()
            .map(|c| Contact {
                role: c.role,
                name: c.name,
                reach: c.reach,
                escalation_level: c.escalation_level,
            })
            .collect(),
        status_updates,
        communications,
        escalation,
        rehearsal,
        sign_off: s
            .close
            .map(|c| {
                c.sign_off
                    .into_iter()
                    .map(|so| SignOff {
                        role: so.role,
                        criteria: so.criteria.unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    })
}

struct Refs<'a> {
    kpis: &'a Ids,
    endpoints: &'a Ids,
}

impl Refs<'_> {
    /// Every KPI and endpoint an expression names must exist.
    fn check(&self, d: &mut Diagnostics<'_>, key: &str, src: &raw::S<String>, e: &Expr) {
        let text = src.get_ref();
        let at = |name: &str| {
            let off = text.find(name).unwrap_or(0);
            let start = src.span().start + 1 + off;
            start..start + name.len()
        };
        for k in e.kpis() {
            if !self.kpis.contains(k) {
                d.error(
                    Some(at(k)),
                    key,
                    format!("`{k}` is not a KPI id defined in a `[[kpi]]`"),
                );
            }
        }
        for ep in e.endpoints() {
            if !self.endpoints.contains(ep) {
                d.error(
                    Some(at(ep)),
                    key,
                    format!("`{ep}` is not an endpoint id defined in an `[[endpoint]]`"),
                );
            }
        }
    }
}

fn verify(
    d: &mut Diagnostics<'_>,
    key: &str,
    v: &raw::S<raw::Verify>,
    refs: &Refs<'_>,
    dir: &Path,
) -> Option<Verify> {
    let span = v.span();
    let v = v.get_ref();
    let command = v.run.as_ref().and_then(|r| {
        let program = r.get_ref().first();
        if let Some(p) = program {
            warn_missing_script(d, &format!("{key}.run"), r.span(), p, dir);
        } else {
            d.error(Some(r.span()), format!("{key}.run"), "`run` is empty");
        }
        program.map(|_| r.get_ref().clone())
    });
    if let Some(ep) = &v.endpoint
        && !refs.endpoints.contains(ep.get_ref())
    {
        d.error(
            Some(ep.span()),
            format!("{key}.endpoint"),
            format!("`{}` is not an endpoint id", ep.get_ref()),
        );
    }
    let rule = v.rule.as_ref().and_then(|r| {
        let e = expression(d, &format!("{key}.rule"), r)?;
        refs.check(d, &format!("{key}.rule"), r, &e);
        Some(e)
    });
    if command.is_none() && v.endpoint.is_none() && rule.is_none() {
        d.error(
            Some(span),
            key,
            "a verification needs `run`, `endpoint` or `rule`",
        );
        return None;
    }
    if v.expect_output.is_some() && command.is_none() {
        d.error(
            Some(span),
            format!("{key}.expect-output"),
            "`expect-output` checks the output of `run`, which is missing",
        );
    }
    Some(Verify {
        command,
        expect_output: v.expect_output.clone(),
        endpoint: v.endpoint.as_ref().map(|e| e.get_ref().clone()),
        rule,
        hold_for: duration(d, &format!("{key}.for"), &v.for_).unwrap_or_default(),
        timeout: duration(d, &format!("{key}.timeout"), &v.timeout)
            .unwrap_or(defaults::VERIFY_TIMEOUT),
    })
}

fn thresholds(d: &mut Diagnostics<'_>, key: &str, k: &raw::Kpi) -> Option<Thresholds> {
    let better = match k.better.as_ref().map(|b| (b.get_ref().as_str(), b.span())) {
        None | Some(("lower", _)) => Better::Lower,
        Some(("higher", _)) => Better::Higher,
        Some((other, span)) => {
            d.error(
                Some(span),
                format!("{key}.better"),
                format!("`{other}` is not a direction: expected \"lower\" or \"higher\""),
            );
            Better::Lower
        }
    };
    let levels = [
        ("target", &k.target),
        ("warning", &k.warning),
        ("critical", &k.critical),
    ];
    let mut last: Option<(&str, f64)> = None;
    for (name, v) in levels {
        let Some(v) = v else { continue };
        let x = *v.get_ref();
        if !x.is_finite() {
            d.error(
                Some(v.span()),
                format!("{key}.{name}"),
                format!("`{name}` must be a finite number"),
            );
            continue;
        }
        if let Some((prev_name, prev)) = last {
            let out_of_order = match better {
                Better::Lower => x < prev,
                Better::Higher => x > prev,
            };
            if out_of_order {
                let expect = if better == Better::Lower {
                    "at least"
                } else {
                    "at most"
                };
                d.error(
                    Some(v.span()),
                    format!("{key}.{name}"),
                    format!("thresholds out of order: {name} {x} must be {expect} {prev_name} {prev} when {} is better", if better == Better::Lower { "lower" } else { "higher" }),
                );
            }
        }
        last = Some((name, x));
    }
    if k.target.is_none() && k.warning.is_none() && k.critical.is_none() {
        return None;
    }
    Some(Thresholds {
        better,
        target: k.target.as_ref().map(|v| *v.get_ref()),
        warning: k.warning.as_ref().map(|v| *v.get_ref()),
        critical: k.critical.as_ref().map(|v| *v.get_ref()),
    })
}

fn json_assert(d: &mut Diagnostics<'_>, key: &str, j: &raw::JsonAssert) -> Option<JsonAssert> {
    check_pointer(d, &format!("{key}.pointer"), &j.pointer);
    let mut one_of: Vec<serde_json::Value> = Vec::new();
    if let Some(v) = &j.equals {
        one_of.push(serde_json::to_value(v).ok()?);
    }
    for v in j.one_of.iter().flatten() {
        one_of.push(serde_json::to_value(v).ok()?);
    }
    if one_of.is_empty() {
        one_of.push(serde_json::Value::Bool(true));
    }
    Some(JsonAssert {
        pointer: j.pointer.get_ref().clone(),
        one_of,
    })
}

fn check_pointer(d: &mut Diagnostics<'_>, key: &str, p: &raw::S<String>) {
    if !p.get_ref().is_empty() && !p.get_ref().starts_with('/') {
        d.error(
            Some(p.span()),
            key,
            format!(
                "`{}` is not a JSON pointer: it must start with `/` (e.g. \"/status\")",
                p.get_ref()
            ),
        );
    }
}

//! What many sections share: durations, planned times, expressions, ids, commands and
//! confirmations read with their place in the file, and the defaults of what a runbook
//! does not say.

use super::*;
use crate::runbook::expr::BinOp;

/// A planned time (`T-15m`, `02:00`, `2026-02-08 02:00`) as an offset from T0; a clock or
/// calendar time needs a fixed T0. Errors are reported at the value.
pub(super) fn planned_time(
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
pub(super) fn schedule(
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

pub(super) fn aggregate(d: &mut Diagnostics<'_>, key: &str, v: &raw::S<String>) -> Aggregate {
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

pub(super) fn duration(
    d: &mut Diagnostics<'_>,
    key: &str,
    v: &Option<raw::S<String>>,
) -> Option<TimeDelta> {
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
pub(super) mod defaults {
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
pub(super) fn early_warning(d: &mut Diagnostics<'_>, v: &Option<raw::S<String>>) -> TimeDelta {
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

pub(super) fn expression(d: &mut Diagnostics<'_>, key: &str, v: &raw::S<String>) -> Option<Expr> {
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

pub(super) fn check_id(d: &mut Diagnostics<'_>, key: &str, id: &raw::S<String>, allow_dash: bool) {
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
pub(super) fn confirmation(
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

pub(super) struct Ids {
    pub(super) seen: HashMap<String, Range<usize>>,
    pub(super) what: &'static str,
    /// Ids of entries that failed to parse: known, so a reference to one is not an error
    /// of its own.
    pub(super) unparsed: HashSet<String>,
}

impl Ids {
    pub(super) fn new(what: &'static str) -> Self {
        Self {
            seen: HashMap::new(),
            what,
            unparsed: HashSet::new(),
        }
    }

    /// Knowing the ids of the section's entries that failed to parse.
    pub(super) fn knowing(mut self, unparsed: &Unparsed, section: &str) -> Self {
        self.unparsed
            .extend(unparsed.get(section).into_iter().flatten().cloned());
        self
    }

    pub(super) fn add(&mut self, d: &mut Diagnostics<'_>, key: &str, id: &raw::S<String>) {
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

    pub(super) fn contains(&self, id: &str) -> bool {
        self.seen.contains_key(id) || self.unparsed.contains(id)
    }
}

pub(super) fn command(
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
pub(super) fn warn_missing_script(
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

#[derive(Clone, Copy)]
pub(super) struct Refs<'a> {
    pub(super) kpis: &'a Ids,
    pub(super) endpoints: &'a Ids,
    /// Names an expression may read besides KPIs (the plan's facts, in status and
    /// escalation conditions).
    pub(super) facts: &'a [&'a str],
    /// The KPIs whose values are text (`text = true`).
    pub(super) texts: &'a [&'a str],
}

impl Refs<'_> {
    /// Every KPI and endpoint an expression names must exist.
    pub(super) fn check(&self, d: &mut Diagnostics<'_>, key: &str, src: &raw::S<String>, e: &Expr) {
        let text = src.get_ref();
        let at = |name: &str| {
            let off = text.find(name).unwrap_or(0);
            let start = src.span().start + 1 + off;
            start..start + name.len()
        };
        for k in e.kpis() {
            if !self.kpis.contains(k) && !self.facts.contains(&k) {
                d.error(
                    Some(at(k)),
                    key,
                    if self.facts.is_empty() {
                        format!("`{k}` is not a KPI id defined in a `[[kpi]]`")
                    } else {
                        format!(
                            "`{k}` is neither a KPI id defined in a `[[kpi]]` nor one of the plan's facts ({})",
                            self.facts.join(", ")
                        )
                    },
                );
            }
        }
        if let Some(why) = text_misuse(e, self.texts) {
            d.error(Some(src.span()), key, why);
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

pub(super) fn json_assert(
    d: &mut Diagnostics<'_>,
    key: &str,
    j: &raw::JsonAssert,
) -> Option<JsonAssert> {
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

pub(super) fn check_pointer(d: &mut Diagnostics<'_>, key: &str, p: &raw::S<String>) {
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

/// Text (a quoted string, a `text = true` KPI) is compared with text by `==` or `!=`, and
/// nothing else: said at `check`, not found out on the night. `e` stands where a truth is
/// wanted (the whole expression, an operand of `and`, `or`, `not`).
fn text_misuse(e: &Expr, texts: &[&str]) -> Option<String> {
    let is_text = |x: &Expr| match x {
        Expr::Text(_) => true,
        Expr::Kpi(id) => texts.contains(&id.as_str()),
        _ => false,
    };
    if is_text(e) {
        return Some(format!("`{e}` is text: compare it, as in `{e} == \"...\"`"));
    }
    match e {
        Expr::Binary(a, BinOp::And | BinOp::Or, b) => {
            text_misuse(a, texts).or_else(|| text_misuse(b, texts))
        }
        Expr::Not(x) => text_misuse(x, texts),
        _ => operand_misuse(e, &is_text),
    }
}

/// Inside a comparison or arithmetic: text only on both sides of `==` or `!=`.
fn operand_misuse(e: &Expr, is_text: &dyn Fn(&Expr) -> bool) -> Option<String> {
    match e {
        Expr::Binary(a, op, b) => {
            let (ta, tb) = (is_text(a), is_text(b));
            // The innermost mistake first: it is the one to mend.
            operand_misuse(a, is_text)
                .or_else(|| operand_misuse(b, is_text))
                .or_else(|| match op {
                    BinOp::Eq | BinOp::Ne if ta != tb => Some(format!(
                        "`{e}` compares text with a number: text is compared with text"
                    )),
                    BinOp::Gt | BinOp::Ge | BinOp::Lt | BinOp::Le if ta || tb => {
                        Some(format!("`{e}`: text is compared only by `==` or `!=`"))
                    }
                    BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div if ta || tb => {
                        Some(format!("`{e}`: no arithmetic on text"))
                    }
                    _ => None,
                })
        }
        Expr::Neg(x) if is_text(x) => Some(format!("`{e}`: no arithmetic on text")),
        Expr::Neg(x) | Expr::Not(x) => operand_misuse(x, is_text),
        Expr::Baseline(id) if is_text(&Expr::Kpi(id.clone())) => {
            Some(format!("`{e}`: a text KPI has no baseline"))
        }
        _ => None,
    }
}

//! Rule conformance: promtool's own unit-test files (`tests/conformance/*.test.yml`, the
//! `promtool test rules` format) run through warroom's rule engine, and, where promtool is
//! installed (always under CI), through promtool itself, so the expected states are proved
//! by the real oracle, not by our reading of Prometheus.
//!
//! The harness plays the part Prometheus's query engine plays for a rule: it holds the
//! input series, selects each series' value at an evaluation (the last sample within the
//! 5m lookback, none after a stale marker), and gives every label set its own alert
//! instance, as Prometheus does. Whether an instance is pending, firing or resolved is
//! decided by warroom alone: the alerting expression is translated into warroom's own
//! expression language, one KPI per selector, and evaluated by `RuleState::evaluate` with
//! `no-data = "resolve"` (Prometheus's behaviour).
//!
//! The PromQL accepted is what a warroom rule can say: selectors (with `=`, `!=`, `=~`,
//! `!~` matchers) compared with numbers, joined by `and`/`or`, in parentheses. Anything
//! else fails the test with the expression named, never silently passes.
//!
//! `WARROOM_RULE_TESTS=DIR` runs the `*.test.yml` files of another directory as well.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeDelta, Utc};
use serde::Deserialize;
use warroom::rules::{Facts, RulePhase, RuleState};
use warroom::runbook::expr::{Expr, Health};
use warroom::runbook::{NoData, Rule, RuleAction, Severity};

// ---------------------------------------------------------------- promtool's file format

#[derive(Deserialize)]
struct TestFile {
    rule_files: Vec<String>,
    evaluation_interval: Option<String>,
    #[serde(default)]
    tests: Vec<TestGroup>,
}

#[derive(Deserialize)]
struct TestGroup {
    interval: Option<String>,
    #[serde(default)]
    input_series: Vec<InputSeries>,
    #[serde(default)]
    alert_rule_test: Vec<AlertTest>,
    #[serde(default)]
    promql_expr_test: Vec<serde_yaml_ng::Value>,
}

#[derive(Deserialize)]
struct InputSeries {
    series: String,
    values: String,
}

#[derive(Deserialize)]
struct AlertTest {
    eval_time: String,
    alertname: String,
    #[serde(default)]
    exp_alerts: Vec<ExpAlert>,
}

#[derive(Deserialize)]
struct ExpAlert {
    #[serde(default)]
    exp_labels: BTreeMap<String, String>,
    #[serde(default)]
    exp_annotations: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct RuleFile {
    groups: Vec<RuleGroup>,
}

#[derive(Deserialize)]
struct RuleGroup {
    rules: Vec<PromRule>,
}

#[derive(Deserialize)]
struct PromRule {
    alert: Option<String>,
    record: Option<String>,
    expr: String,
    #[serde(rename = "for")]
    for_: Option<String>,
    keep_firing_for: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

/// A Prometheus duration: `90s`, `1m30s`, `2h`, `500ms`, `1d`, `1w`, `1y`.
fn duration(text: &str) -> TimeDelta {
    let mut total = 0i64;
    let mut rest = text.trim();
    assert!(!rest.is_empty(), "empty duration");
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let n: i64 = rest[..digits]
            .parse()
            .unwrap_or_else(|_| panic!("bad duration {text:?}"));
        rest = &rest[digits..];
        let unit = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let ms = match &rest[..unit] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 7 * 86_400_000,
            "y" => 365 * 86_400_000,
            other => panic!("bad duration unit {other:?} in {text:?}"),
        };
        total += n * ms;
        rest = &rest[unit..];
    }
    TimeDelta::milliseconds(total)
}

// ---------------------------------------------------------------- series and selectors

type Labels = BTreeMap<String, String>;

#[derive(Clone, Copy, Debug)]
enum Point {
    Value(f64),
    Missing,
    Stale,
}

struct Series {
    /// With `__name__`.
    labels: Labels,
    points: Vec<Point>,
}

fn number(text: &str) -> Option<f64> {
    match text.to_ascii_lowercase().as_str() {
        "nan" => Some(f64::NAN),
        "inf" | "+inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        _ => text.parse().ok(),
    }
}

/// promtool's expanding notation: `a+bxn`, `a-bxn`, `axn`, `_`, `_xn`, `stale`.
fn expand(values: &str) -> Vec<Point> {
    let mut out = Vec::new();
    for word in values.split_whitespace() {
        if word == "_" {
            out.push(Point::Missing);
        } else if let Some(n) = word.strip_prefix("_x") {
            let n: usize = n.parse().unwrap_or_else(|_| panic!("bad {word:?}"));
            out.extend(std::iter::repeat_n(Point::Missing, n));
        } else if word == "stale" {
            out.push(Point::Stale);
        } else if let Some((head, times)) = word.rsplit_once('x') {
            let times: usize = times.parse().unwrap_or_else(|_| panic!("bad {word:?}"));
            // The step's sign is the first + or - after the start's own sign and exponent.
            let split = head
                .char_indices()
                .skip(1)
                .find(|&(i, c)| {
                    (c == '+' || c == '-') && !matches!(head.as_bytes()[i - 1], b'e' | b'E')
                })
                .map(|(i, _)| i);
            let (start, step) = match split {
                Some(i) => (&head[..i], &head[i..]),
                None => (head, "0"),
            };
            let start = number(start).unwrap_or_else(|| panic!("bad start in {word:?}"));
            let step = number(step).unwrap_or_else(|| panic!("bad step in {word:?}"));
            for k in 0..=times {
                out.push(Point::Value(start + step * k as f64));
            }
        } else {
            out.push(Point::Value(
                number(word).unwrap_or_else(|| panic!("bad value {word:?}")),
            ));
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(f64),
    Op(&'static str),
}

fn lex(text: &str) -> Vec<Tok> {
    const OPS: [&str; 12] = [
        "==", "!=", ">=", "<=", "=~", "!~", ">", "<", "=", "(", ")", ",",
    ];
    let mut toks = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i] as char;
        if c.is_whitespace() {
            i += 1;
        } else if c == '{' || c == '}' {
            toks.push(Tok::Op(if c == '{' { "{" } else { "}" }));
            i += 1;
        } else if c == '"' || c == '\'' {
            let mut s = String::new();
            i += 1;
            while i < b.len() && b[i] as char != c {
                if b[i] == b'\\' && i + 1 < b.len() {
                    i += 1;
                    s.push(match b[i] {
                        b'n' => '\n',
                        b't' => '\t',
                        other => other as char,
                    });
                } else {
                    let ch = text[i..].chars().next().unwrap_or('?');
                    s.push(ch);
                    i += ch.len_utf8() - 1;
                }
                i += 1;
            }
            i += 1;
            toks.push(Tok::Str(s));
        } else if c.is_ascii_alphabetic() || c == '_' || c == ':' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b':') {
                i += 1;
            }
            let word = &text[start..i];
            match number(word) {
                Some(n) if word.eq_ignore_ascii_case("nan") || word.eq_ignore_ascii_case("inf") => {
                    toks.push(Tok::Num(n))
                }
                _ => toks.push(Tok::Ident(word.to_owned())),
            }
        } else if c.is_ascii_digit() || c == '.' {
            let start = i;
            while i < b.len()
                && (b[i].is_ascii_alphanumeric()
                    || b[i] == b'.'
                    || ((b[i] == b'+' || b[i] == b'-') && matches!(b[i - 1], b'e' | b'E')))
            {
                i += 1;
            }
            let word = &text[start..i];
            toks.push(Tok::Num(
                number(word).unwrap_or_else(|| panic!("bad number {word:?} in {text:?}")),
            ));
        } else if let Some(op) = OPS.iter().find(|op| text[i..].starts_with(**op)) {
            toks.push(Tok::Op(op));
            i += op.len();
        } else if c == '-' || c == '+' {
            toks.push(Tok::Op(if c == '-' { "-" } else { "+" }));
            i += 1;
        } else {
            panic!("{text:?}: {c:?} is outside the PromQL the conformance harness translates");
        }
    }
    toks
}

#[derive(Debug, Clone)]
struct Matcher {
    name: String,
    op: &'static str,
    value: String,
}

impl Matcher {
    fn matches(&self, labels: &Labels) -> bool {
        let have = labels.get(&self.name).map_or("", String::as_str);
        let re = || {
            regex_lite::Regex::new(&format!("^(?:{})$", self.value))
                .unwrap_or_else(|e| panic!("bad regex {:?}: {e}", self.value))
        };
        match self.op {
            "=" => have == self.value,
            "!=" => have != self.value,
            "=~" => re().is_match(have),
            "!~" => !re().is_match(have),
            _ => unreachable!(),
        }
    }
}

/// A series selector: `name{label="v", ...}` or `{__name__="name", ...}`.
fn selector(toks: &[Tok], pos: &mut usize) -> Vec<Matcher> {
    let mut matchers = Vec::new();
    if let Some(Tok::Ident(name)) = toks.get(*pos) {
        matchers.push(Matcher {
            name: "__name__".into(),
            op: "=",
            value: name.clone(),
        });
        *pos += 1;
    }
    if toks.get(*pos) == Some(&Tok::Op("{")) {
        *pos += 1;
        loop {
            match toks.get(*pos) {
                Some(Tok::Op("}")) => {
                    *pos += 1;
                    break;
                }
                Some(Tok::Op(",")) => *pos += 1,
                Some(Tok::Ident(name)) => {
                    let (Some(Tok::Op(op)), Some(Tok::Str(value))) =
                        (toks.get(*pos + 1), toks.get(*pos + 2))
                    else {
                        panic!("bad matcher after {name:?}");
                    };
                    matchers.push(Matcher {
                        name: name.clone(),
                        op,
                        value: value.clone(),
                    });
                    *pos += 3;
                }
                other => panic!("bad selector at {other:?}"),
            }
        }
    }
    matchers
}

fn series_labels(text: &str) -> Labels {
    let toks = lex(text);
    let mut pos = 0;
    let matchers = selector(&toks, &mut pos);
    assert_eq!(pos, toks.len(), "bad series {text:?}");
    matchers
        .into_iter()
        .map(|m| {
            assert_eq!(m.op, "=", "series {text:?} takes `=` labels only");
            (m.name, m.value)
        })
        .collect()
}

// ---------------------------------------------------------------- the rule expression

/// The alerting expression, as PromQL reads it.
#[derive(Debug)]
enum Node {
    Selector(usize),
    Number(f64),
    Compare(Box<Node>, &'static str, Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
}

struct Parsed {
    node: Node,
    selectors: Vec<Vec<Matcher>>,
}

fn parse_rule_expr(text: &str) -> Parsed {
    let toks = lex(text);
    let mut p = Parser {
        toks,
        pos: 0,
        selectors: Vec::new(),
        text,
    };
    let node = p.or();
    assert_eq!(
        p.pos,
        p.toks.len(),
        "{text:?}: unexpected {:?}",
        p.toks.get(p.pos)
    );
    Parsed {
        node,
        selectors: p.selectors,
    }
}

struct Parser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    selectors: Vec<Vec<Matcher>>,
    text: &'a str,
}

impl Parser<'_> {
    fn keyword(&mut self, word: &str) -> bool {
        if matches!(self.toks.get(self.pos), Some(Tok::Ident(w)) if w.eq_ignore_ascii_case(word)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Node {
        let mut left = self.and();
        while self.keyword("or") {
            left = Node::Or(Box::new(left), Box::new(self.and()));
        }
        left
    }

    fn and(&mut self) -> Node {
        let mut left = self.compare();
        while self.keyword("and") {
            left = Node::And(Box::new(left), Box::new(self.compare()));
        }
        left
    }

    fn compare(&mut self) -> Node {
        let left = self.primary();
        if let Some(Tok::Op(op @ ("==" | "!=" | ">" | "<" | ">=" | "<="))) = self.toks.get(self.pos)
        {
            let op = *op;
            self.pos += 1;
            if matches!(self.toks.get(self.pos), Some(Tok::Ident(w)) if w == "bool") {
                panic!("{:?}: `bool` is outside the harness's PromQL", self.text);
            }
            let right = self.primary();
            return Node::Compare(Box::new(left), op, Box::new(right));
        }
        left
    }

    fn primary(&mut self) -> Node {
        match self.toks.get(self.pos).cloned() {
            Some(Tok::Op("(")) => {
                self.pos += 1;
                let inner = self.or();
                assert_eq!(
                    self.toks.get(self.pos),
                    Some(&Tok::Op(")")),
                    "{:?}",
                    self.text
                );
                self.pos += 1;
                inner
            }
            Some(Tok::Num(n)) => {
                self.pos += 1;
                Node::Number(n)
            }
            Some(Tok::Op("-")) => {
                self.pos += 1;
                match self.primary() {
                    Node::Number(n) => Node::Number(-n),
                    other => panic!("{:?}: `-` before {other:?}", self.text),
                }
            }
            Some(Tok::Ident(w)) if self.toks.get(self.pos + 1) == Some(&Tok::Op("(")) => {
                panic!(
                    "{:?}: function `{w}` is outside the harness's PromQL",
                    self.text
                )
            }
            Some(Tok::Ident(_) | Tok::Op("{")) => {
                let m = selector(&self.toks, &mut self.pos);
                self.selectors.push(m);
                Node::Selector(self.selectors.len() - 1)
            }
            other => panic!("{:?}: unexpected {other:?}", self.text),
        }
    }
}

/// The same expression in warroom's language: selector `i` is KPI `s{i}`.
fn to_warroom(node: &Node, top: bool) -> String {
    match node {
        Node::Selector(i) => {
            assert!(
                !top,
                "a bare selector alerts on every series: not a warroom rule"
            );
            format!("s{i}")
        }
        Node::Number(n) => {
            assert!(n.is_finite(), "a threshold of {n} is not a warroom number");
            format!("{n}")
        }
        Node::Compare(a, op, b) => {
            let bare = |n: &Node| matches!(n, Node::Selector(_) | Node::Number(_));
            assert!(
                bare(a) && bare(b),
                "compare a selector with a number: {node:?}"
            );
            format!("({} {op} {})", to_warroom(a, false), to_warroom(b, false))
        }
        Node::And(a, b) | Node::Or(a, b) => {
            for side in [a, b] {
                assert!(
                    !matches!(**side, Node::Selector(_) | Node::Number(_)),
                    "`and`/`or` between comparisons only: {node:?}"
                );
            }
            let word = if matches!(node, Node::And(..)) {
                "and"
            } else {
                "or"
            };
            format!("({} {word} {})", to_warroom(a, false), to_warroom(b, false))
        }
    }
}

/// The sample value PromQL's result carries for this instance (the alert's `$value`).
fn result_value(node: &Node, values: &[Option<f64>]) -> Option<f64> {
    let holds = |x: f64, op: &str, y: f64| match op {
        "==" => x == y,
        "!=" => x != y,
        ">" => x > y,
        "<" => x < y,
        ">=" => x >= y,
        "<=" => x <= y,
        _ => false,
    };
    match node {
        Node::Compare(a, op, b) => match (&**a, &**b) {
            (Node::Selector(i), Node::Number(n)) => values[*i].filter(|&v| holds(v, op, *n)),
            (Node::Number(n), Node::Selector(i)) => values[*i].filter(|&v| holds(*n, op, v)),
            _ => None,
        },
        Node::And(a, b) => result_value(b, values).and(result_value(a, values)),
        Node::Or(a, b) => result_value(a, values).or_else(|| result_value(b, values)),
        _ => None,
    }
}

// ---------------------------------------------------------------- templates

/// Go's `%v` for a float64, as `{{ $value }}` prints it.
fn go_float(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    let sci = format!("{v:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        format!("{v}")
    }
}

fn expand_template(text: &str, labels: &Labels, value: f64) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let close = rest[open..]
            .find("}}")
            .unwrap_or_else(|| panic!("unclosed template in {text:?}"))
            + open;
        let action = rest[open + 2..close].trim();
        if action == "$value" {
            out.push_str(&go_float(value));
        } else if let Some(name) = action.strip_prefix("$labels.") {
            out.push_str(labels.get(name).map_or("<no value>", String::as_str));
        } else {
            panic!("template {{{{ {action} }}}} is outside the harness");
        }
        rest = &rest[close + 2..];
    }
    out.push_str(rest);
    out
}

// ---------------------------------------------------------------- the run

struct Alerting {
    name: String,
    rule: Rule,
    parsed: Parsed,
    labels: Labels,
    annotations: Labels,
}

fn load_rules(dir: &Path, files: &[String]) -> Vec<Alerting> {
    let mut out = Vec::new();
    for file in files {
        let path = dir.join(file);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let rf: RuleFile =
            serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for r in rf.groups.into_iter().flat_map(|g| g.rules) {
            assert!(
                r.record.is_none(),
                "{}: recording rules are outside warroom",
                path.display()
            );
            let name = r
                .alert
                .unwrap_or_else(|| panic!("{}: a rule with no alert", path.display()));
            let parsed = parse_rule_expr(&r.expr);
            let translated = to_warroom(&parsed.node, true);
            let expr = Expr::parse(&translated)
                .unwrap_or_else(|e| panic!("{name}: {translated:?} does not parse: {e:?}"));
            let rule = Rule {
                id: name.clone(),
                expr,
                source: translated,
                for_: r.for_.as_deref().map_or(TimeDelta::zero(), duration),
                keep_firing_for: r
                    .keep_firing_for
                    .as_deref()
                    .map_or(TimeDelta::zero(), duration),
                resolve: None,
                severity: Severity::Warning,
                summary: name.clone(),
                action: RuleAction::None,
                tier: None,
                decide_within: None,
                authority: None,
                no_data: NoData::Resolve,
                scope: warroom::runbook::RuleScope::Always,
                hold_while_pending: false,
            };
            out.push(Alerting {
                name,
                rule,
                parsed,
                labels: r.labels,
                annotations: r.annotations,
            });
        }
    }
    out
}

/// An instance's view of the world at one evaluation: its series' values, one per selector.
struct InstanceFacts<'a>(&'a [Option<f64>]);

impl Facts for InstanceFacts<'_> {
    fn kpi(&self, id: &str) -> Result<f64, String> {
        id.strip_prefix('s')
            .and_then(|i| i.parse::<usize>().ok())
            .and_then(|i| self.0.get(i).copied().flatten())
            .ok_or_else(|| format!("{id}: no series"))
    }
    fn baseline(&self, id: &str) -> Result<f64, String> {
        Err(format!("no baseline for {id}"))
    }
    fn endpoint(&self, id: &str) -> Result<Health, String> {
        Err(format!("no endpoint {id}"))
    }
}

const LOOKBACK: TimeDelta = TimeDelta::minutes(5);

/// The value an instant query reads at `at`: the last sample within the lookback, unless
/// a stale marker came after it.
fn value_at(series: &Series, step: TimeDelta, at: TimeDelta) -> Option<f64> {
    let mut last = None;
    for (i, p) in series.points.iter().enumerate() {
        let t = step * i as i32;
        if t > at {
            break;
        }
        match p {
            Point::Value(v) => last = Some((t, Some(*v))),
            Point::Stale => last = Some((t, None)),
            Point::Missing => {}
        }
    }
    last.filter(|(t, _)| at - *t <= LOOKBACK)
        .and_then(|(_, v)| v)
}

#[derive(Default)]
struct Tally {
    states: usize,
    states_agreed: usize,
    tests: usize,
    tests_agreed: usize,
    /// `promql_expr_test` cases, which test the query engine, not the alerting.
    expr_tests: usize,
    failures: Vec<String>,
}

type Alert = (Labels, Labels);

/// A rule's firing instances as promtool lists them: labels with the rule's own and
/// `alertname`, annotations expanded with the instance's last value.
fn firing(alerting: &Alerting, states: &BTreeMap<Labels, (RuleState, f64)>) -> Vec<Alert> {
    states
        .iter()
        .filter(|(_, (s, _))| s.is_firing())
        .map(|(inst, (_, value))| {
            let mut labels = inst.clone();
            for (k, v) in &alerting.labels {
                labels.insert(k.clone(), expand_template(v, inst, *value));
            }
            labels.insert("alertname".into(), alerting.name.clone());
            let annotations = alerting
                .annotations
                .iter()
                .map(|(k, v)| (k.clone(), expand_template(v, inst, *value)))
                .collect();
            (labels, annotations)
        })
        .collect()
}

fn run_group(
    where_: &str,
    rules: &[Alerting],
    eval_interval: TimeDelta,
    group: &TestGroup,
    tally: &mut Tally,
) {
    tally.expr_tests += group.promql_expr_test.len();
    let step = group
        .interval
        .as_deref()
        .map_or(TimeDelta::minutes(1), duration);
    let series: Vec<Series> = group
        .input_series
        .iter()
        .map(|s| Series {
            labels: series_labels(&s.series),
            points: expand(&s.values),
        })
        .collect();
    let epoch = DateTime::<Utc>::UNIX_EPOCH;
    let mut checks: Vec<(TimeDelta, &AlertTest)> = group
        .alert_rule_test
        .iter()
        .map(|t| (duration(&t.eval_time), t))
        .collect();
    checks.sort_by_key(|(t, _)| *t);
    let Some(max) = checks.last().map(|(t, _)| *t) else {
        return;
    };
    // One state per (rule, instance), with its last value and annotations.
    let mut states: Vec<BTreeMap<Labels, (RuleState, f64)>> =
        rules.iter().map(|_| BTreeMap::new()).collect();
    let mut next = 0;
    let mut ts = TimeDelta::zero();
    let mut group_ok = true;
    while ts <= max {
        for (r, alerting) in rules.iter().enumerate() {
            // The instances: every label set (without the name) a selector matches.
            let mut instances: BTreeSet<Labels> = states[r].keys().cloned().collect();
            for m in &alerting.parsed.selectors {
                for s in series
                    .iter()
                    .filter(|s| m.iter().all(|m| m.matches(&s.labels)))
                {
                    let mut l = s.labels.clone();
                    l.remove("__name__");
                    instances.insert(l);
                }
            }
            for inst in instances {
                let values: Vec<Option<f64>> = alerting
                    .parsed
                    .selectors
                    .iter()
                    .map(|m| {
                        let mut found = series.iter().filter(|s| {
                            m.iter().all(|m| m.matches(&s.labels)) && {
                                let mut l = s.labels.clone();
                                l.remove("__name__");
                                l == inst
                            }
                        });
                        found.next().and_then(|s| value_at(s, step, ts))
                    })
                    .collect();
                let entry = states[r]
                    .entry(inst.clone())
                    .or_insert_with(|| (RuleState::default(), f64::NAN));
                entry
                    .0
                    .evaluate(&alerting.rule, &InstanceFacts(&values), epoch + ts);
                if let Some(v) = result_value(&alerting.parsed.node, &values) {
                    entry.1 = v;
                }
                if entry.0.phase == RulePhase::Inactive {
                    states[r].remove(&inst);
                }
            }
        }
        // Checks at eval times from this evaluation up to the next, as promtool does.
        while next < checks.len() && checks[next].0 < ts + eval_interval {
            let (at, test) = checks[next];
            next += 1;
            // Every rule of that name contributes its firing instances, as in promtool.
            let named: Vec<usize> = (0..rules.len())
                .filter(|&r| rules[r].name == test.alertname)
                .collect();
            assert!(!named.is_empty(), "{where_}: no alert {}", test.alertname);
            let mut got: Vec<Alert> = named
                .iter()
                .flat_map(|&r| firing(&rules[r], &states[r]))
                .collect();
            got.sort();
            let mut want: Vec<Alert> = test
                .exp_alerts
                .iter()
                .map(|a| {
                    let mut labels = a.exp_labels.clone();
                    labels.insert("alertname".into(), test.alertname.clone());
                    (labels, a.exp_annotations.clone())
                })
                .collect();
            want.sort();
            tally.states += 1;
            if got == want {
                tally.states_agreed += 1;
            } else {
                group_ok = false;
                tally.failures.push(format!(
                    "{where_}: {} at {}s:\n  promtool expects {want:?}\n  warroom has      {got:?}",
                    test.alertname,
                    at.num_seconds()
                ));
            }
        }
        ts += eval_interval;
    }
    tally.tests += 1;
    if group_ok {
        tally.tests_agreed += 1;
    }
}

fn test_files() -> Vec<PathBuf> {
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance")];
    if let Some(extra) = std::env::var_os("WARROOM_RULE_TESTS") {
        dirs.push(PathBuf::from(extra));
    }
    let mut files = Vec::new();
    for dir in dirs {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("a directory entry").path();
            if path.to_string_lossy().ends_with(".test.yml") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn warroom_agrees_with_the_promtool_tests_state_for_state() {
    let files = test_files();
    assert!(
        files.len() >= 6,
        "the conformance suite is missing: {files:?}"
    );
    let mut tally = Tally::default();
    // A file or test the harness cannot run (PromQL beyond what a warroom rule says, a
    // template it does not know) is reported with the others and fails the suite; the rest
    // still run, so one such file does not hide what the others show.
    let why = |p: Box<dyn std::any::Any + Send>| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default()
    };
    for file in &files {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let loaded = std::panic::catch_unwind(|| {
            let text = std::fs::read_to_string(file).expect("the test file");
            let tf: TestFile = serde_yaml_ng::from_str(&text)
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let dir = file.parent().expect("a directory");
            let rules = load_rules(dir, &tf.rule_files);
            (tf, rules)
        });
        let (tf, rules) = match loaded {
            Ok(loaded) => loaded,
            Err(p) => {
                tally.failures.push(format!("{name}: not run: {}", why(p)));
                tally.tests += 1;
                continue;
            }
        };
        let eval = tf
            .evaluation_interval
            .as_deref()
            .map_or(TimeDelta::minutes(1), duration);
        for (i, group) in tf.tests.iter().enumerate() {
            let where_ = format!("{name} test {}", i + 1);
            let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                run_group(&where_, &rules, eval, group, &mut tally)
            }));
            if let Err(p) = ran {
                tally.tests += 1;
                tally
                    .failures
                    .push(format!("{where_}: not run: {}", why(p)));
            }
        }
    }
    eprintln!(
        "warroom agrees with promtool's expected alerts on {} of {} (time, alert) states, {} of {} tests{}",
        tally.states_agreed,
        tally.states,
        tally.tests_agreed,
        tally.tests,
        if tally.expr_tests > 0 {
            format!(
                " ({} promql_expr_test cases skipped: they test a query engine, which warroom is not)",
                tally.expr_tests
            )
        } else {
            String::new()
        }
    );
    assert!(
        tally.failures.is_empty(),
        "{} disagreements:\n{}",
        tally.failures.len(),
        tally.failures.join("\n")
    );
    assert!(
        tally.states >= 60,
        "too few states checked: {}",
        tally.states
    );
}

/// The oracle: the same files through `promtool test rules`. Where promtool is missing it
/// says so and checks nothing, except under CI, which installs it and must run it.
#[test]
fn promtool_itself_passes_the_conformance_suite() {
    let files = test_files();
    let out = match std::process::Command::new("promtool")
        .arg("test")
        .arg("rules")
        .args(&files)
        .output()
    {
        Ok(out) => out,
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("promtool is not installed ({e}): the oracle was not run");
            return;
        }
        Err(e) => panic!("CI must install promtool (Debian `prometheus`): {e}"),
    };
    assert!(
        out.status.success(),
        "promtool disagrees with the conformance suite's expectations:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(said.matches("SUCCESS").count(), files.len(), "{said}");
}

#[test]
fn the_harness_reads_promtools_notation() {
    let p = |v: &[Point]| {
        v.iter()
            .map(|p| match p {
                Point::Value(v) => format!("{v}"),
                Point::Missing => "_".into(),
                Point::Stale => "stale".into(),
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(p(&expand("-2+4x3")), "-2 2 6 10");
    assert_eq!(p(&expand(" 1-2x4")), "1 -1 -3 -5 -7");
    assert_eq!(p(&expand("1x4")), "1 1 1 1 1");
    assert_eq!(p(&expand("1 _x3 stale")), "1 _ _ _ stale");
    assert_eq!(p(&expand("1e3+1e2x1")), "1000 1100");
    assert_eq!(duration("1m30s"), TimeDelta::seconds(90));
    assert_eq!(go_float(1e6), "1e+06");
    assert_eq!(go_float(123456.0), "123456");
    assert_eq!(go_float(0.5), "0.5");
}

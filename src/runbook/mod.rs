//! The runbook: the file format an operator writes once and trusts, loaded and validated
//! into the model the rest of warroom reads.

mod connect;
mod diag;
pub mod expr;
mod load;
pub mod number;
mod raw;
pub mod series;
pub mod time;

use std::path::PathBuf;

use chrono::{DateTime, TimeDelta, Utc};

pub use diag::{Diagnostic, Diagnostics, Level, line_col};
pub use expr::{Expr, Health};
pub use load::{load, load_str};

#[derive(Debug, Clone)]
pub struct Runbook {
    pub path: PathBuf,
    /// Steps run here, and relative paths are resolved against it.
    pub dir: PathBuf,
    pub name: String,
    pub version: Option<String>,
    pub description: Option<String>,
    pub t0: T0,
    pub run_dir: Option<PathBuf>,
    pub env: Vec<(String, String)>,
    pub bell: bool,
    /// Rules are evaluated at this interval (Prometheus's `evaluation_interval`), or, when
    /// absent, at every new sample and every second.
    pub evaluation_interval: Option<TimeDelta>,
    /// The group whose members may read the run (`share-with`); none: private.
    pub share_with: Option<String>,
    /// A step started more than this before its planned time is a guard to confirm.
    pub early_warning: TimeDelta,
    pub endpoints: Vec<Endpoint>,
    pub kpis: Vec<Kpi>,
    pub rules: Vec<Rule>,
    pub phases: Vec<Phase>,
    pub gates: Vec<Gate>,
    pub rollback: Option<Rollback>,
    pub alertmanager: Option<Alertmanager>,
    pub contacts: Vec<Contact>,
    pub status_updates: Option<StatusUpdates>,
    /// When each escalation level starts, counted from the incident's start: level 1 at
    /// the first (`0m`), level 2 at the second, ...; empty: no escalation bands.
    pub escalation: Vec<TimeDelta>,
    /// Messages planned for their times (`[[communication]]`), in the file's order.
    pub communications: Vec<Communication>,
    /// Who signs the run off at its close, and against what (`[close] sign-off`).
    pub sign_off: Vec<SignOff>,
    /// How it runs against the demo target (`[rehearsal]`).
    pub rehearsal: Rehearsal,
}

/// What a runbook's variables point at when it runs against the demo target, and the
/// series a rehearsal replays unless `--replay` names another.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rehearsal {
    /// Values may name `${DEMO_URL}`, the demo target's address.
    pub env: Vec<(String, String)>,
    pub replay: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Communication {
    /// From T0.
    pub planned: TimeDelta,
    pub audience: String,
    /// A template with the status-update fields.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignOff {
    pub role: String,
    pub criteria: String,
}

impl Runbook {
    /// The escalation level an incident this old is at (1-based), if there are bands.
    pub fn escalation_level(&self, age: TimeDelta) -> Option<u8> {
        let n = self.escalation.iter().filter(|from| age >= **from).count();
        u8::try_from(n).ok().filter(|n| *n > 0)
    }
}

/// When T+0 is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum T0 {
    /// A fixed UTC instant.
    At(DateTime<Utc>),
    /// This long after the console starts (`t0 = "+2m"`, or absent for `+0`).
    AfterStart(TimeDelta),
}

impl T0 {
    pub fn resolve(self, start: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Self::At(t) => t,
            Self::AfterStart(d) => start + d,
        }
    }

    pub fn fixed(self) -> Option<DateTime<Utc>> {
        match self {
            Self::At(t) => Some(t),
            Self::AfterStart(_) => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Endpoint {
    pub id: String,
    pub url: String,
    pub interval: TimeDelta,
    pub timeout: TimeDelta,
    pub expect_status: Vec<u16>,
    pub slow: Option<TimeDelta>,
    pub json: Option<JsonAssert>,
    pub connection: Connection,
}

/// How an HTTP source is reached: merged from its `[connection.NAME]` and the keys beside
/// its own URL. It names where secrets come from, never holds one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Connection {
    /// Sent with every request to the source's host; values may name `${NAME}`.
    pub headers: Vec<(String, String)>,
    pub auth: Option<Auth>,
    pub tls: Tls,
    /// `follow-redirects = false`: a redirect is the answer, not followed (Prometheus's
    /// `follow_redirects`).
    pub no_redirects: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// `Authorization: Bearer <token>`.
    Bearer(Credential),
    /// `Authorization: Basic ...`; no password is an empty one, as Prometheus reads it.
    Basic {
        username: String,
        password: Option<Credential>,
    },
}

/// Where a secret comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// Text naming `${NAME}`, expanded at each request.
    Var(String),
    /// A file read at each request (a rotated token is picked up), surrounding whitespace
    /// trimmed.
    File(PathBuf),
}

/// TLS choices a source may make; the default verifies against the system's roots.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Tls {
    pub insecure: bool,
    pub ca_file: Option<PathBuf>,
}

impl Connection {
    /// Every text that may name `${NAME}` variables: header values, a token or password.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        let auth = match &self.auth {
            Some(Auth::Bearer(Credential::Var(v)))
            | Some(Auth::Basic {
                password: Some(Credential::Var(v)),
                ..
            }) => Some(v.as_str()),
            _ => None,
        };
        self.headers.iter().map(|(_, v)| v.as_str()).chain(auth)
    }

    /// The files a secret is read from.
    pub fn credential_files(&self) -> impl Iterator<Item = &std::path::Path> {
        let file = match &self.auth {
            Some(Auth::Bearer(Credential::File(p)))
            | Some(Auth::Basic {
                password: Some(Credential::File(p)),
                ..
            }) => Some(p.as_path()),
            _ => None,
        };
        file.into_iter()
    }
}

#[derive(Debug, Clone)]
pub struct JsonAssert {
    pub pointer: String,
    /// The answer at `pointer` must equal one of these.
    pub one_of: Vec<serde_json::Value>,
}

#[derive(Debug, Clone)]
pub struct Kpi {
    pub id: String,
    pub label: String,
    pub unit: String,
    /// The interval after the schedule's last entry (or always, without one).
    pub interval: TimeDelta,
    /// `(until, every)`, from T0, in order: sample `every` until then.
    pub schedule: Vec<(TimeDelta, TimeDelta)>,
    pub timeout: TimeDelta,
    pub source: KpiSource,
    /// How an HTTP source is reached (a command's is the default, unused).
    pub connection: Connection,
    pub thresholds: Option<Thresholds>,
}

impl Kpi {
    /// The sampling interval at this time from T0: the schedule's, or `interval`.
    pub fn interval_at(&self, since_t0: TimeDelta) -> TimeDelta {
        self.schedule
            .iter()
            .find(|(until, _)| since_t0 < *until)
            .map_or(self.interval, |(_, every)| *every)
    }
}

#[derive(Debug, Clone)]
pub enum KpiSource {
    /// A Prometheus server's instant-query API.
    Prometheus {
        url: String,
        query: String,
        /// Several series in the answer are combined this way; `None`: they are an error
        /// that says how many came back.
        aggregate: Option<Aggregate>,
    },
    /// A Prometheus text-format page, summed or averaged over the matching series.
    Scrape {
        url: String,
        metric: String,
        labels: Vec<(String, String)>,
        aggregate: Aggregate,
        /// As Prometheus's scraper reads pages (the default), or by the spec's letter.
        rules: crate::exposition::Rules,
    },
    Json {
        url: String,
        pointer: String,
    },
    Command {
        argv: Vec<String>,
    },
}

/// The names in `${NAME}` references of a string.
/// The `${NAME}` variables a text uses, in order.
pub fn var_names(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        out.push(after[..end].to_owned());
        rest = &after[end + 1..];
    }
    out
}

impl KpiSource {
    /// The URL an HTTP source reads (a command has none).
    pub fn url(&self) -> Option<&str> {
        match self {
            Self::Prometheus { url, .. } | Self::Scrape { url, .. } | Self::Json { url, .. } => {
                Some(url)
            }
            Self::Command { .. } => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Self::Prometheus { .. } => "prometheus",
            Self::Scrape { .. } => "scrape",
            Self::Json { .. } => "json",
            Self::Command { .. } => "command",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    Sum,
    Avg,
    Max,
    Min,
}

impl Aggregate {
    /// Several series' values as one; `None` for none.
    pub fn apply(self, values: impl IntoIterator<Item = f64>) -> Option<f64> {
        let values: Vec<f64> = values.into_iter().collect();
        if values.is_empty() {
            return None;
        }
        let n = values.len() as f64;
        let it = values.into_iter();
        Some(match self {
            Self::Sum => it.sum(),
            Self::Avg => it.sum::<f64>() / n,
            Self::Max => it.fold(f64::NEG_INFINITY, f64::max),
            Self::Min => it.fold(f64::INFINITY, f64::min),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    Lower,
    Higher,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub better: Better,
    pub target: Option<f64>,
    pub warning: Option<f64>,
    pub critical: Option<f64>,
}

/// How a value stands against its thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Standing {
    Good,
    Warning,
    Critical,
}

impl Thresholds {
    pub fn classify(&self, value: f64) -> Standing {
        let beyond = |limit: Option<f64>| match (limit, self.better) {
            (Some(l), Better::Lower) => value >= l,
            (Some(l), Better::Higher) => value <= l,
            (None, _) => false,
        };
        if beyond(self.critical) {
            Standing::Critical
        } else if beyond(self.warning) {
            Standing::Warning
        } else {
            Standing::Good
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleAction {
    None,
    ProposeRollback,
    AutoRollback { grace: TimeDelta },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    Immediate,
    Urgent,
    Conditional,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub expr: Expr,
    pub source: String,
    pub for_: TimeDelta,
    pub keep_firing_for: TimeDelta,
    pub resolve: Option<Expr>,
    pub severity: Severity,
    pub summary: String,
    pub action: RuleAction,
    pub tier: Option<Tier>,
    pub decide_within: Option<TimeDelta>,
    pub authority: Option<String>,
    pub no_data: NoData,
    /// When the rule watches; outside it, it neither pends nor fires.
    pub scope: RuleScope,
    /// A gate it holds stays closed while it is pending too, not only firing.
    pub hold_while_pending: bool,
}

/// The moment a rule belongs to, so it does not fire all night.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RuleScope {
    /// The whole run.
    #[default]
    Always,
    /// While the phase (by id) is the current one.
    During(String),
    /// From when the step (by id) finished, for `window` (or to the end).
    After {
        step: String,
        window: Option<TimeDelta>,
    },
}

/// What a rule does when its expression has no data (a source down, a KPI stale).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NoData {
    /// Nothing changes: a firing rule stays firing, a pending one starts over (the default:
    /// silence is not a recovery).
    #[default]
    Keep,
    /// No data counts as the condition not holding, as in Prometheus, where an alert whose
    /// series vanish resolves (after `keep-firing-for`).
    Resolve,
    /// No data is itself a breach.
    Alert,
}

#[derive(Debug, Clone)]
pub struct Phase {
    pub id: String,
    pub title: String,
    pub steps: Vec<Step>,
    pub checks: Vec<Check>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Argv(Vec<String>),
    Shell(String),
}

impl Command {
    /// The exact command as the confirmation shows it.
    pub fn display(&self) -> String {
        match self {
            Self::Argv(argv) => argv
                .iter()
                .map(|a| {
                    if a.is_empty()
                        || a.contains(|c: char| c.is_whitespace() || "'\"$`\\".contains(c))
                    {
                        format!("'{}'", a.replace('\'', "'\\''"))
                    } else {
                        a.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(" "),
            Self::Shell(s) => format!("sh -c {s:?}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirm {
    None,
    YesNo,
    Phrase(String),
}

#[derive(Debug, Clone)]
pub struct Step {
    pub id: String,
    pub title: String,
    pub owner: Option<String>,
    /// Planned start relative to T0.
    pub planned: Option<TimeDelta>,
    pub duration: Option<TimeDelta>,
    pub hold: Option<TimeDelta>,
    pub command: Option<Command>,
    pub confirm: Confirm,
    pub timeout: Option<TimeDelta>,
    pub verify: Option<Verify>,
    pub blocking: bool,
    pub automatic: bool,
    pub point_of_no_return: bool,
    /// A watch row, not a task (`continuous = true`): nothing runs; it is watching from
    /// `planned` for `duration` (or to the end of the run), and done when that is over.
    pub continuous: bool,
    /// KPI ids whose baselines are captured when the step succeeds.
    pub capture_baseline: Vec<String>,
    pub notes: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Verify {
    pub command: Option<Vec<String>>,
    pub expect_output: Option<String>,
    pub endpoint: Option<String>,
    pub rule: Option<Expr>,
    pub hold_for: TimeDelta,
    pub timeout: TimeDelta,
}

#[derive(Debug, Clone)]
pub struct Check {
    pub id: String,
    pub text: String,
    pub auto: Option<Expr>,
}

#[derive(Debug, Clone)]
pub struct Gate {
    pub id: String,
    pub title: String,
    pub approvers: Vec<String>,
    pub before: String,
    pub rules: Vec<String>,
    /// Rules that keep the gate closed while they fire, whatever the votes.
    pub holding_rules: Vec<String>,
    pub checklists: Vec<String>,
    pub policy: GatePolicy,
}

/// How a gate's votes make its decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GatePolicy {
    /// GO when every approver says GO; one NO-GO holds it.
    #[default]
    Unanimous,
    /// One GO opens it; a NO-GO from anyone still holds it.
    Any,
    /// This approver's vote decides (by index); the others' are advice. Their vote needs
    /// its rationale.
    FinalSay(usize),
}

#[derive(Debug, Clone)]
pub struct Rollback {
    /// Run one after another after the phrase; a failed one stops the procedure. A
    /// rollback written as one command is one step, `rollback`.
    pub steps: Vec<RollbackStep>,
    /// A read-only command run when the operator presses `R`; its output is shown before
    /// the phrase can be typed.
    pub preview: Option<Command>,
    /// The rollback window's end, from T0: after it the plan is to roll forward.
    pub until: Option<TimeDelta>,
    pub phrase: String,
    pub timeout: Option<TimeDelta>,
    pub roll_forward: Option<String>,
    /// How long it should take: the header counts down to it while it runs.
    pub target: Option<TimeDelta>,
    /// Its success criteria, checked once it is done.
    pub success: Option<RollbackSuccess>,
}

impl Rollback {
    /// What the rollback runs, in one line: its command, or its steps in order.
    pub fn summary(&self) -> String {
        match self.steps.as_slice() {
            [one] => one.command.display(),
            steps => format!(
                "{} steps: {}",
                steps.len(),
                steps
                    .iter()
                    .map(|s| s.id.as_str())
                    .collect::<Vec<_>>()
                    .join(" → ")
            ),
        }
    }
}

#[derive(Debug, Clone)]
pub struct RollbackStep {
    pub id: String,
    pub title: String,
    pub command: Command,
    pub timeout: Option<TimeDelta>,
    /// The procedure pauses before this step and asks (`None`: it goes straight on).
    pub confirm: Confirm,
}

/// What must hold after a rollback: `expr` for `hold`, within `within` of its end.
#[derive(Debug, Clone)]
pub struct RollbackSuccess {
    pub expr: Expr,
    pub source: String,
    pub hold: TimeDelta,
    pub within: TimeDelta,
}

/// An Alertmanager whose alerts join the feed, and the maintenance silence the operator
/// may create there for the run.
#[derive(Debug, Clone)]
pub struct Alertmanager {
    pub url: String,
    pub interval: TimeDelta,
    pub timeout: TimeDelta,
    pub connection: Connection,
    pub silence: Option<Silence>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Silence {
    pub matchers: Vec<Matcher>,
    pub comment: String,
    pub created_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matcher {
    pub name: String,
    pub value: String,
    pub regex: bool,
}

#[derive(Debug, Clone)]
pub struct Contact {
    pub role: String,
    pub name: Option<String>,
    pub reach: Option<String>,
    pub escalation_level: Option<u8>,
}

#[derive(Debug, Clone)]
pub struct StatusUpdates {
    pub every: TimeDelta,
    pub channel: Option<String>,
    pub template: Option<String>,
    /// Where `U` sends an update: a Slack-compatible webhook URL, with `${NAME}` for its
    /// secret part.
    pub webhook: Option<String>,
}

impl Runbook {
    pub fn steps(&self) -> impl Iterator<Item = (&Phase, &Step)> {
        self.phases
            .iter()
            .flat_map(|p| p.steps.iter().map(move |s| (p, s)))
    }

    pub fn checks(&self) -> impl Iterator<Item = (&Phase, &Check)> {
        self.phases
            .iter()
            .flat_map(|p| p.checks.iter().map(move |c| (p, c)))
    }

    /// The earliest and latest planned offsets, including planned durations.
    pub fn span(&self) -> Option<(TimeDelta, TimeDelta)> {
        let mut bounds: Option<(TimeDelta, TimeDelta)> = None;
        for (_, step) in self.steps() {
            let Some(at) = step.planned else { continue };
            let end = at
                + step
                    .duration
                    .unwrap_or_default()
                    .max(step.hold.unwrap_or_default());
            bounds = Some(match bounds {
                None => (at, end),
                Some((lo, hi)) => (lo.min(at), hi.max(end)),
            });
        }
        bounds
    }

    /// A step's position in the flattened timeline.
    pub fn step_index(&self, id: &str) -> Option<usize> {
        self.steps().position(|(_, s)| s.id == id)
    }

    pub fn kpi_index(&self, id: &str) -> Option<usize> {
        self.kpis.iter().position(|k| k.id == id)
    }

    pub fn endpoint_index(&self, id: &str) -> Option<usize> {
        self.endpoints.iter().position(|e| e.id == id)
    }

    /// Every source's connection: endpoints, KPIs, the Alertmanager.
    pub fn connections(&self) -> impl Iterator<Item = &Connection> {
        self.endpoints
            .iter()
            .map(|e| &e.connection)
            .chain(self.kpis.iter().map(|k| &k.connection))
            .chain(self.alertmanager.as_ref().map(|a| &a.connection))
    }

    /// The `${NAME}` variables that hold credentials: in headers, tokens and passwords.
    pub fn credential_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .connections()
            .flat_map(Connection::texts)
            .flat_map(var_names)
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Every file a credential is read from.
    pub fn credential_files(&self) -> Vec<&std::path::Path> {
        let mut files: Vec<&std::path::Path> = self
            .connections()
            .flat_map(Connection::credential_files)
            .collect();
        files.sort();
        files.dedup();
        files
    }

    /// Every URL the runbook reads: endpoints, HTTP KPIs, the Alertmanager.
    fn urls(&self) -> impl Iterator<Item = &str> {
        self.endpoints
            .iter()
            .map(|e| e.url.as_str())
            .chain(self.kpis.iter().filter_map(|k| k.source.url()))
            .chain(self.alertmanager.as_ref().map(|a| a.url.as_str()))
    }

    /// Every `${NAME}` the runbook uses, sorted: in URLs, connections (headers, tokens,
    /// passwords), command KPIs, step and rollback commands, and the status-update webhook.
    pub fn variables(&self) -> Vec<String> {
        let connections = self.connections().flat_map(Connection::texts);
        let kpi_commands = self.kpis.iter().flat_map(|k| match &k.source {
            KpiSource::Command { argv } => argv.iter().map(String::as_str).collect(),
            _ => Vec::new(),
        });
        let commands = self
            .steps()
            .filter_map(|(_, s)| s.command.as_ref())
            .chain(
                self.rollback
                    .iter()
                    .flat_map(|r| r.steps.iter().map(|s| &s.command)),
            )
            .flat_map(|c| match c {
                Command::Argv(argv) => argv.iter().map(String::as_str).collect(),
                Command::Shell(s) => vec![s.as_str()],
            });
        let webhook = self
            .status_updates
            .as_ref()
            .and_then(|u| u.webhook.as_deref());
        let mut names: Vec<String> = self
            .urls()
            .chain(connections)
            .chain(kpi_commands)
            .chain(commands)
            .chain(webhook)
            .flat_map(var_names)
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The `${NAME}` variables whose values are secrets: every one a connection uses
    /// (headers, tokens, passwords), the webhook's, and any whose name says so (TOKEN,
    /// SECRET, PASSWORD, KEY, AUTH, CREDENTIAL...).
    pub fn secret_names(&self) -> Vec<String> {
        let in_urls = self.urls();
        let secretish = |name: &str| {
            let n = name.to_ascii_uppercase();
            [
                "TOKEN",
                "SECRET",
                "PASSWORD",
                "PASSWD",
                "PASS",
                "KEY",
                "AUTH",
                "CREDENTIAL",
            ]
            .iter()
            .any(|w| n.contains(w))
        };
        let in_webhook = self
            .status_updates
            .as_ref()
            .and_then(|u| u.webhook.as_deref());
        // A webhook's variable is its secret part, unless sources' URLs read it too (a base
        // URL such as the demo target's, which watchers need to poll).
        let url_vars: Vec<String> = self.urls().flat_map(var_names).collect();
        let mut names: Vec<String> = self.credential_names();
        names.extend(
            in_webhook
                .into_iter()
                .flat_map(var_names)
                .filter(|n| !url_vars.contains(n) || secretish(n)),
        );
        names.extend(in_urls.flat_map(var_names).filter(|n| secretish(n)));
        names.sort();
        names.dedup();
        names
    }

    pub fn rule_index(&self, id: &str) -> Option<usize> {
        self.rules.iter().position(|r| r.id == id)
    }
}

/// A title that names a rollback (`Rollback Plan`, `How to roll back`, `If deployment must be
/// aborted`): `check` asks for a `[rollback]` beside such a phase, `import` makes one of it.
pub fn names_a_rollback(title: &str) -> bool {
    let t = title.to_lowercase();
    ["rollback", "roll back", "roll-back", "abort"]
        .iter()
        .any(|w| t.contains(w))
}

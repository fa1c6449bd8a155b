//! The runbook file as serde reads it: every section, every key, nothing interpreted yet.
//! `Spanned` marks the values that validation may need to point at.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

pub type S<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Header {
    pub name: String,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// Absolute UTC T0; absent means the operator's start of the run.
    #[serde(default)]
    pub t0: Option<S<String>>,
    #[serde(default)]
    pub run_dir: Option<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Ring the terminal bell on new critical alerts.
    #[serde(default)]
    pub bell: Option<bool>,
    /// Evaluate rules at this interval, as Prometheus does; absent: on every change.
    #[serde(default)]
    pub evaluation_interval: Option<S<String>>,
    /// A group whose members may read (watch) the run: directories 2750, files 0640.
    #[serde(default)]
    pub share_with: Option<S<String>>,
    /// Starting a step more than this before its planned time asks first (default 5m).
    #[serde(default)]
    pub early_warning: Option<S<String>>,
    /// An ssh-keygen allowed_signers file: more keys approvers sign votes with.
    #[serde(default)]
    pub allowed_signers: Option<S<String>>,
    /// The deployment window: `{ start = "22:00", end = "06:00" }`, planned times.
    #[serde(default)]
    pub window: Option<S<RawWindow>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawWindow {
    pub start: S<String>,
    pub end: S<String>,
}

/// How warroom reaches an HTTP source: the same keys beside the URL of every endpoint, KPI
/// source, the Alertmanager and a named `[connection.NAME]`. Read flattened into each of
/// them (serde's `flatten` cannot carry spans: the loader finds a key's place by name).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ConnectionOptions {
    /// A `[connection.NAME]` whose options (and URL) this source starts from.
    #[serde(default)]
    pub connection: Option<String>,
    #[serde(default)]
    pub headers: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub bearer_token: Option<String>,
    #[serde(default)]
    pub bearer_token_file: Option<String>,
    #[serde(default)]
    pub basic_auth: Option<BasicAuth>,
    #[serde(default)]
    pub ca_file: Option<String>,
    #[serde(default)]
    pub insecure: Option<bool>,
    #[serde(default)]
    pub timeout: Option<String>,
    #[serde(default)]
    pub follow_redirects: Option<bool>,
}

impl ConnectionOptions {
    /// The keys it reads, as written in a runbook.
    pub const KEYS: &[&str] = &[
        "connection",
        "headers",
        "bearer-token",
        "bearer-token-file",
        "basic-auth",
        "ca-file",
        "insecure",
        "timeout",
        "follow-redirects",
    ];
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct BasicAuth {
    pub username: String,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub password_file: Option<String>,
}

/// The keys of a table that no field took: with `flatten`, serde cannot refuse them itself.
pub type Unknown = BTreeMap<String, toml::Value>;

/// `[connection.NAME]`: a URL and the options many sources share.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct NamedConnection {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(flatten)]
    pub options: ConnectionOptions,
    #[serde(flatten)]
    pub unknown: Unknown,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Endpoint {
    pub id: S<String>,
    pub url: S<String>,
    #[serde(default)]
    pub interval: Option<S<String>>,
    #[serde(default)]
    pub expect_status: Option<Vec<u16>>,
    /// Answers slower than this make the endpoint DEGRADED.
    #[serde(default)]
    pub slow: Option<S<String>>,
    #[serde(default)]
    pub json: Option<JsonAssert>,
    /// Changing intervals, as a KPI's: `{ until = "T+1h", every = "10s" }`, then `interval`.
    #[serde(default)]
    pub schedule: Vec<ScheduleEntry>,
    #[serde(flatten)]
    pub options: ConnectionOptions,
    #[serde(flatten)]
    pub unknown: Unknown,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ScheduleEntry {
    pub until: S<String>,
    pub every: S<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct JsonAssert {
    pub pointer: S<String>,
    #[serde(default)]
    pub equals: Option<toml::Value>,
    #[serde(default)]
    pub one_of: Option<Vec<toml::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Kpi {
    pub id: S<String>,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub interval: Option<S<String>>,
    #[serde(default)]
    pub timeout: Option<S<String>>,
    /// Intervals that change over the run: `[{ until = "T+1h", every = "1m" }, ...]`,
    /// `interval` after the last.
    #[serde(default)]
    pub schedule: Vec<ScheduleEntry>,
    #[serde(default)]
    pub prometheus: Option<S<PromSource>>,
    #[serde(default)]
    pub scrape: Option<S<ScrapeSource>>,
    #[serde(default)]
    pub json: Option<S<JsonSource>>,
    #[serde(default)]
    pub command: Option<S<Vec<String>>>,
    /// The value is text (a command's output, a JSON string), compared with `==`/`!=`.
    #[serde(default)]
    pub text: Option<S<bool>>,
    #[serde(default)]
    pub better: Option<S<String>>,
    #[serde(default)]
    pub target: Option<S<f64>>,
    #[serde(default)]
    pub warning: Option<S<f64>>,
    #[serde(default)]
    pub critical: Option<S<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct PromSource {
    /// The server's base URL; absent: the connection's.
    #[serde(default)]
    pub url: Option<String>,
    pub query: String,
    /// How several series become one number; absent: several are an error.
    #[serde(default)]
    pub aggregate: Option<S<String>>,
    #[serde(flatten)]
    pub options: ConnectionOptions,
    #[serde(flatten)]
    pub unknown: Unknown,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ScrapeSource {
    /// The page; a path (`/metrics`) is read from the connection's URL.
    #[serde(default)]
    pub url: Option<String>,
    pub metric: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub aggregate: Option<S<String>>,
    /// Read the page by the spec to the letter, not as Prometheus's scraper does.
    #[serde(default)]
    pub strict: bool,
    #[serde(flatten)]
    pub options: ConnectionOptions,
    #[serde(flatten)]
    pub unknown: Unknown,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct JsonSource {
    /// The document; a path (`/api/stats`) is read from the connection's URL.
    #[serde(default)]
    pub url: Option<String>,
    pub pointer: S<String>,
    #[serde(flatten)]
    pub options: ConnectionOptions,
    #[serde(flatten)]
    pub unknown: Unknown,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Rule {
    pub id: S<String>,
    pub expr: S<String>,
    #[serde(default, rename = "for")]
    pub for_: Option<S<String>>,
    #[serde(default)]
    pub keep_firing_for: Option<S<String>>,
    #[serde(default)]
    pub resolve: Option<S<String>>,
    #[serde(default)]
    pub severity: Option<S<String>>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub action: Option<S<String>>,
    #[serde(default)]
    pub tier: Option<S<String>>,
    #[serde(default)]
    pub decide_within: Option<S<String>>,
    #[serde(default)]
    pub authority: Option<String>,
    /// Countdown before an automatic rollback, which the operator can cancel.
    #[serde(default)]
    pub grace: Option<S<String>>,
    /// `keep`, `resolve` or `alert`: what no data means for this rule.
    #[serde(default)]
    pub no_data: Option<S<String>>,
    /// Active only while this phase is the current one.
    #[serde(default)]
    pub during: Option<S<String>>,
    /// Active from when this step finished...
    #[serde(default)]
    pub after: Option<S<String>>,
    /// ...for this long (absent: to the end of the run).
    #[serde(default)]
    pub window: Option<S<String>>,
    /// A gate this rule holds stays closed while the rule is pending, not only firing.
    #[serde(default)]
    pub hold_while_pending: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Phase {
    pub id: S<String>,
    pub title: String,
    /// The day its steps' clock times fall on (`2026-02-09`), for a plan over days.
    #[serde(default)]
    pub date: Option<S<String>>,
    #[serde(default)]
    pub step: Vec<S<Step>>,
    #[serde(default)]
    pub check: Vec<Check>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Step {
    pub id: S<String>,
    pub title: String,
    #[serde(default)]
    pub at: Option<S<String>>,
    #[serde(default)]
    pub duration: Option<S<String>>,
    #[serde(default)]
    pub hold: Option<S<String>>,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub run: Option<S<Vec<String>>>,
    #[serde(default)]
    pub shell: Option<S<String>>,
    #[serde(default)]
    pub confirm: Option<S<String>>,
    #[serde(default)]
    pub phrase: Option<S<String>>,
    #[serde(default)]
    pub timeout: Option<S<String>>,
    #[serde(default)]
    pub verify: Option<S<Verify>>,
    #[serde(default)]
    pub blocking: Option<bool>,
    #[serde(default)]
    pub automatic: bool,
    #[serde(default)]
    pub point_of_no_return: bool,
    /// A day's item, not an hour's: from its day's midnight, for the whole day.
    #[serde(default)]
    pub all_day: Option<S<bool>>,
    /// A watch, not a task: from `at` for `duration` (or to the end), with nothing to run.
    #[serde(default)]
    pub continuous: bool,
    /// KPIs whose current values become their baselines when the step succeeds.
    #[serde(default)]
    pub capture_baseline: Vec<S<String>>,
    #[serde(default)]
    pub notes: Option<String>,
    /// An actual the operator enters by hand when the step is done.
    #[serde(default)]
    pub record: Option<S<Record>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Verify {
    #[serde(default)]
    pub run: Option<S<Vec<String>>>,
    #[serde(default)]
    pub expect_output: Option<String>,
    #[serde(default)]
    pub endpoint: Option<S<String>>,
    #[serde(default)]
    pub rule: Option<S<String>>,
    #[serde(default, rename = "for")]
    pub for_: Option<S<String>>,
    #[serde(default)]
    pub timeout: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Check {
    pub id: S<String>,
    pub text: String,
    #[serde(default)]
    pub auto: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Gate {
    pub id: S<String>,
    pub title: String,
    pub approvers: S<Vec<String>>,
    /// The first step that cannot run until this gate is GO.
    pub before: S<String>,
    #[serde(default)]
    pub rules: Vec<S<String>>,
    #[serde(default)]
    pub checklists: Vec<S<String>>,
    /// `unanimous` (the default), `any`, or `final-say` (with `final-say`).
    #[serde(default)]
    pub decide: Option<S<String>>,
    /// The approver whose vote decides, with `decide = "final-say"`.
    #[serde(default)]
    pub final_say: Option<S<String>>,
    /// How many approvers' GO open the gate (N of them), when not all of them must.
    #[serde(default)]
    pub needs: Option<S<i64>>,
    /// The driving console's own votes never count toward opening it.
    #[serde(default)]
    pub distinct_from_driver: bool,
    /// Rules that keep the gate closed while they fire, whatever the votes.
    #[serde(default)]
    pub holding_rules: Vec<S<String>>,
    /// A `[[canary]]` whose verdict the gate shows as evidence.
    #[serde(default)]
    pub canary: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Rollback {
    #[serde(default)]
    pub run: Option<S<Vec<String>>>,
    #[serde(default)]
    pub shell: Option<S<String>>,
    #[serde(default)]
    pub phrase: Option<S<String>>,
    #[serde(default)]
    pub timeout: Option<S<String>>,
    #[serde(default)]
    pub roll_forward: Option<String>,
    /// How long the rollback should take: a countdown while it runs.
    #[serde(default)]
    pub target: Option<S<String>>,
    /// What must hold once it is done...
    #[serde(default)]
    pub success: Option<S<String>>,
    /// ...for this long...
    #[serde(default)]
    pub success_for: Option<S<String>>,
    /// ...within this long of its end.
    #[serde(default)]
    pub success_within: Option<S<String>>,
    /// Until when (a planned time) the rollback is the plan; after it, roll forward.
    #[serde(default)]
    pub until: Option<S<String>>,
    /// A procedure of its own steps, run one after another (instead of `run`/`shell`).
    #[serde(default)]
    pub step: Vec<RollbackStep>,
    /// A read-only command (a dry run, a diff) shown before the phrase can be typed.
    #[serde(default)]
    pub preview: Option<S<Vec<String>>>,
    #[serde(default)]
    pub preview_shell: Option<S<String>>,
}

/// One step of a rollback procedure: dry run, switch, wait, verify, archive.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RollbackStep {
    pub id: S<String>,
    pub title: String,
    #[serde(default)]
    pub run: Option<S<Vec<String>>>,
    #[serde(default)]
    pub shell: Option<S<String>>,
    #[serde(default)]
    pub timeout: Option<S<String>>,
    /// `yes-no` or `phrase`: the procedure pauses before this step and asks.
    #[serde(default)]
    pub confirm: Option<S<String>>,
    #[serde(default)]
    pub phrase: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Alertmanager {
    pub url: S<String>,
    #[serde(default)]
    pub interval: Option<S<String>>,
    #[serde(default)]
    pub silence: Option<Silence>,
    #[serde(flatten)]
    pub options: ConnectionOptions,
    #[serde(flatten)]
    pub unknown: Unknown,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Silence {
    pub matchers: S<Vec<Matcher>>,
    pub comment: String,
    #[serde(default)]
    pub created_by: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Matcher {
    pub name: String,
    pub value: String,
    #[serde(default)]
    pub regex: bool,
}

/// `[[canary]]`: a canary analysis, judged as Kayenta judges (docs/canary.md).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Canary {
    pub id: S<String>,
    #[serde(default)]
    pub window: Option<S<String>>,
    #[serde(default)]
    pub pass: Option<S<f64>>,
    #[serde(default)]
    pub marginal: Option<S<f64>>,
    #[serde(default)]
    pub min_points: Option<S<u32>>,
    /// A FAIL holds the gate that shows it, as a holding rule does.
    #[serde(default)]
    pub holding: bool,
    #[serde(default)]
    pub metric: Vec<CanaryMetric>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CanaryMetric {
    pub id: S<String>,
    pub baseline: S<String>,
    pub canary: S<String>,
    /// `proportion`: `baseline`/`canary` count events out of `*-total`.
    #[serde(default)]
    pub kind: Option<S<String>>,
    #[serde(default)]
    pub baseline_total: Option<S<String>>,
    #[serde(default)]
    pub canary_total: Option<S<String>>,
    #[serde(default)]
    pub direction: Option<S<crate::canary::Direction>>,
    #[serde(default)]
    pub critical: bool,
    #[serde(default)]
    pub must_have_data: bool,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub weight: Option<S<f64>>,
    #[serde(default)]
    pub effect: Option<crate::canary::Effect>,
    #[serde(default)]
    pub allowed_increase: Option<S<f64>>,
    #[serde(default)]
    pub allowed_decrease: Option<S<f64>>,
    #[serde(default)]
    pub nan: Option<crate::canary::Nan>,
    #[serde(default)]
    pub outliers: Option<crate::canary::Outliers>,
    /// Both KPIs are Prometheus queries: judge each side on one `query_range` over the
    /// window instead of the console's own samples.
    #[serde(default)]
    pub query_range: Option<S<bool>>,
}

/// A person who may vote on a gate from their own terminal (`warroom vote`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Approver {
    pub id: S<String>,
    pub role: String,
    /// The OS users who are this approver: their votes are theirs by the kernel's word.
    pub users: S<Vec<S<String>>>,
    /// Their SSH public keys, as `.pub` files hold them: a vote they sign is checked on them.
    #[serde(default)]
    pub keys: Option<S<Vec<S<String>>>>,
    /// Only a signed vote of theirs is counted.
    #[serde(default)]
    pub signed: Option<S<bool>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Contact {
    pub role: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub reach: Option<String>,
    #[serde(default)]
    pub escalation_level: Option<u8>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub chat: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

/// A message planned for a time: a notice at T-7d, an update to an audience at 22:30.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Communication {
    pub at: S<String>,
    pub audience: String,
    /// A template with the status-update fields.
    pub text: String,
    /// The `[channel.NAME]`s it goes to; absent: those of the status updates.
    #[serde(default)]
    pub channels: Option<S<Vec<S<String>>>>,
    /// What a status page shows while it stands ("Scheduled maintenance").
    #[serde(default)]
    pub state: Option<String>,
}

/// The close of a run: who signs it off, against what.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Close {
    #[serde(default)]
    pub sign_off: Vec<SignOff>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SignOff {
    pub role: String,
    #[serde(default)]
    pub criteria: Option<String>,
}

/// Escalation levels: by the incident's age alone (`levels`, level N from the Nth
/// duration on), or each with its own table (`[[escalation.level]]`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Escalation {
    #[serde(default)]
    pub levels: Option<S<Vec<S<String>>>>,
    #[serde(default)]
    pub level: Vec<S<EscalationLevel>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EscalationLevel {
    #[serde(default)]
    pub after: Option<S<String>>,
    #[serde(default)]
    pub when: Option<S<String>>,
    #[serde(default)]
    pub respond_within: Option<S<String>>,
    #[serde(default)]
    pub duties: Option<String>,
}

/// `[[summary]]`: an aggregate over a stretch of the run against its target, or an actual
/// entered by hand (`record`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Summary {
    pub id: S<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub kpi: Option<S<String>>,
    #[serde(default)]
    pub endpoint: Option<S<String>>,
    #[serde(default)]
    pub record: Option<S<String>>,
    #[serde(default)]
    pub aggregate: Option<S<String>>,
    #[serde(default)]
    pub from: Option<S<String>>,
    #[serde(default, rename = "for")]
    pub for_: Option<S<String>>,
    pub target: S<String>,
}

/// A step's `record = { id, unit }`: an actual the operator enters by hand.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Record {
    pub id: S<String>,
    #[serde(default)]
    pub unit: Option<String>,
}

/// `[status]`: the playbook's own status levels.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Status {
    pub levels: S<Vec<S<StatusLevel>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct StatusLevel {
    pub name: S<String>,
    pub color: S<String>,
    #[serde(default)]
    pub when: Option<S<String>>,
}

/// `[channel.NAME]`: one of `webhook`, `smtp`, `status-page`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Channel {
    #[serde(default)]
    pub webhook: Option<S<String>>,
    #[serde(default)]
    pub format: Option<S<String>>,
    #[serde(default)]
    pub smtp: Option<S<Smtp>>,
    #[serde(default)]
    pub status_page: Option<S<String>>,
    #[serde(default)]
    pub subject: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Smtp {
    pub host: S<String>,
    #[serde(default)]
    pub port: Option<S<i64>>,
    pub from: S<String>,
    pub to: S<Vec<S<String>>>,
    #[serde(default)]
    pub starttls: Option<bool>,
    #[serde(default)]
    pub username: Option<S<String>>,
    #[serde(default)]
    pub password: Option<S<String>>,
}

/// How the runbook runs against the demo target (`warroom rehearse`, `warroom demo
/// --runbook`): what its variables point at there, and a recorded series to replay.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Rehearsal {
    #[serde(default)]
    pub env: BTreeMap<S<String>, String>,
    #[serde(default)]
    pub replay: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct StatusUpdates {
    pub every: S<String>,
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub template: Option<String>,
    /// A Slack-compatible incoming webhook, written as `${NAME}`: the URL is a secret.
    #[serde(default)]
    pub webhook: Option<S<String>>,
    /// The `[channel.NAME]`s each update goes to; absent: every channel.
    #[serde(default)]
    pub channels: Option<S<Vec<S<String>>>>,
    /// What a status page shows while the updates run ("In progress").
    #[serde(default)]
    pub state: Option<String>,
}

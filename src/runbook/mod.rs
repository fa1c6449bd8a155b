//! The runbook: the file format an operator writes once and trusts, loaded and validated
//! into the model the rest of warroom reads.

pub mod canary;
pub mod channel;
mod connect;
mod diag;
pub mod expr;
mod load;
pub mod number;
mod plan;
mod raw;
mod rule;
pub mod series;
mod source;
pub mod status;
pub mod summary;
pub mod time;

use std::path::PathBuf;

use chrono::{DateTime, TimeDelta, Utc};

pub use diag::{Diagnostic, Diagnostics, Level, line_col};
pub use expr::{Expr, Health};
pub use load::{load, load_str};
pub use plan::*;
pub use rule::*;
pub use source::*;

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
    /// `[runbook] window`: when the deployment may happen, as offsets from T0.
    pub window: Option<Window>,
    /// `allowed-signers`: the ssh-keygen allowed_signers file read for approvers' keys.
    pub allowed_signers: Option<PathBuf>,
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
    /// Who votes from their own terminal (`warroom vote`), by OS user.
    pub approvers: Vec<Approver>,
    /// `[[canary]]`: analyses a gate shows as evidence.
    pub canaries: Vec<canary::CanaryAnalysis>,
    pub status_updates: Option<StatusUpdates>,
    /// `[status] levels`: the playbook's own Green/Yellow/Red, first match wins; empty:
    /// warroom's light.
    pub status_levels: Vec<status::StatusLevel>,
    /// `[channel.NAME]`s, in name order; a `[status-updates] webhook` is one of them.
    pub channels: Vec<channel::Channel>,
    /// `[[summary]]`: targets the report holds the run against.
    pub summaries: Vec<summary::Summary>,
    /// The incident's escalation levels, level 1 first; empty: no escalation bands.
    pub escalation: Vec<status::EscalationLevel>,
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
    /// The channels it goes to (names of `channels`).
    pub channels: Vec<String>,
    /// A status page's state while it stands.
    pub state: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignOff {
    pub role: String,
    pub criteria: String,
}

impl Runbook {
    /// The escalation level an incident this old is at by its age alone (1-based), if
    /// there are bands.
    pub fn escalation_level(&self, age: TimeDelta) -> Option<u8> {
        let n = self
            .escalation
            .iter()
            .rposition(|l| l.after.is_some_and(|from| age >= from))?;
        u8::try_from(n + 1).ok()
    }

    pub fn channel(&self, name: &str) -> Option<&channel::Channel> {
        self.channels.iter().find(|c| c.name == name)
    }

    /// Where the journal's checkpoints are posted, a witness outside the host: the first
    /// webhook among the status updates' channels.
    pub fn witness_channel(&self) -> Option<&channel::Channel> {
        self.status_updates
            .iter()
            .flat_map(|u| &u.channels)
            .filter_map(|n| self.channel(n))
            .find(|c| matches!(c.kind, channel::ChannelKind::Webhook { .. }))
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
    pub phone: Option<String>,
    pub chat: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone)]
pub struct StatusUpdates {
    pub every: TimeDelta,
    pub channel: Option<String>,
    pub template: Option<String>,
    /// The channels each update goes to (names of `Runbook::channels`); a `webhook` here
    /// is the channel named after `channel` (or `webhook`).
    pub channels: Vec<String>,
    /// A status page's state while the updates run.
    pub state: Option<String>,
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
        self.span_until(None)
    }

    /// As [`Runbook::span`], of the steps planned no later than `until` (a deployment
    /// window's end: what follows it is a follow-up, not the night's plan).
    pub fn span_until(&self, until: Option<TimeDelta>) -> Option<(TimeDelta, TimeDelta)> {
        let mut bounds: Option<(TimeDelta, TimeDelta)> = None;
        for (_, step) in self.steps() {
            let Some(at) = step.planned else { continue };
            if until.is_some_and(|u| at > u) {
                continue;
            }
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
    /// The `[[approver]]` a gate's entry names, when it names one (else it is a role the
    /// driver records for).
    pub fn approver(&self, entry: &str) -> Option<&Approver> {
        self.approvers.iter().find(|a| a.id == entry)
    }

    /// The gates `user` may vote on from their own terminal, with the approver each makes
    /// them: (gate index, approver index in the gate).
    pub fn votes_of(&self, user: &str) -> Vec<(usize, usize)> {
        self.gates
            .iter()
            .enumerate()
            .flat_map(|(g, gate)| {
                gate.approvers
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| {
                        self.approver(e)
                            .is_some_and(|a| a.users.iter().any(|u| u == user))
                    })
                    .map(move |(a, _)| (g, a))
            })
            .collect()
    }

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
    /// passwords), command KPIs, step and rollback commands, and the channels.
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
        let channels = self.channels.iter().flat_map(channel::Channel::templated);
        let mut names: Vec<String> = self
            .urls()
            .chain(connections)
            .chain(kpi_commands)
            .chain(commands)
            .chain(channels)
            .flat_map(var_names)
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The `${NAME}` variables whose values are secrets: every one a connection uses
    /// (headers, tokens, passwords), the channels' secrets, and any whose name says so (TOKEN,
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
        let in_channels = self.channels.iter().flat_map(channel::Channel::secret);
        // A webhook's variable is its secret part, unless sources' URLs read it too (a base
        // URL such as the demo target's, which watchers need to poll).
        let url_vars: Vec<String> = self.urls().flat_map(var_names).collect();
        let mut names: Vec<String> = self.credential_names();
        names.extend(
            in_channels
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

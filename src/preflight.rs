//! `warroom preflight`: the night-before check every playbook asks for. Every `${NAME}`
//! the runbook uses is set (its value never printed), every script exists and may be
//! run, every endpoint and KPI answers once, the Alertmanager too, and every rule is
//! evaluated once on what came back. One table; failing when anything is broken.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::app::Reading;
use crate::monitor::{self, health, http};
use crate::rules::{Facts, Truth};
use crate::runbook::{Command, Health, Runbook};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    /// Worth a look, not broken: a rule that holds now, a slow endpoint.
    Warn,
    Fail,
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// `variable`, `script`, `endpoint`, `kpi`, `alertmanager`, `rule`.
    pub kind: &'static str,
    pub id: String,
    pub status: Status,
    /// The value or state, or why not.
    pub detail: String,
    pub latency_ms: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub runbook: String,
    pub ok: bool,
    pub checks: Vec<Check>,
}

fn check(kind: &'static str, id: &str, status: Status, detail: impl Into<String>) -> Check {
    Check {
        kind,
        id: id.to_owned(),
        status,
        detail: detail.into(),
        latency_ms: None,
    }
}

/// Runs every check; `vars` are the variables the console would give its pollers, and
/// the KPIs a rehearsal's `replay` series names are read from it instead of polled.
pub async fn run(
    rb: Arc<Runbook>,
    vars: Arc<Vec<(String, String)>>,
    replay: Option<Arc<crate::runbook::series::Series>>,
) -> Report {
    let mut checks = variables(&rb, &vars);
    checks.extend(credential_files(&rb));
    checks.extend(scripts(&rb));
    let sources = sources(rb.clone(), vars, replay).await;
    checks.extend(sources.checks);
    checks.extend(rules(&rb, &sources.facts));
    Report {
        runbook: rb.name.clone(),
        ok: checks.iter().all(|c| c.status != Status::Fail),
        checks,
    }
}

/// Every `${NAME}` the runbook uses, set or not (never its value).
fn variables(rb: &Runbook, vars: &[(String, String)]) -> Vec<Check> {
    // The webhook is among them: checked, never posted to (a test would reach the channel).
    let names = rb.variables();
    names
        .iter()
        .map(|n| {
            let set = vars.iter().any(|(k, _)| k == n)
                || rb.env.iter().any(|(k, _)| k == n)
                || std::env::var_os(n).is_some();
            // One the demo target or `[rehearsal]` gives: this is a rehearsal runbook,
            // or one to check against the demo target.
            let rehearsed = n == "DEMO_URL" || rb.rehearsal.env.iter().any(|(k, _)| k == n);
            match (set, rehearsed) {
                (true, _) => check("variable", n, Status::Ok, "set"),
                (false, true) => check(
                    "variable",
                    n,
                    Status::Fail,
                    "not set: the demo target gives it (preflight --rehearsal)",
                ),
                (false, false) => check("variable", n, Status::Fail, "not set"),
            }
        })
        .collect()
}

/// Every file a source's credential is read from: there, readable and not empty (what it
/// holds is never shown).
fn credential_files(rb: &Runbook) -> Vec<Check> {
    rb.credential_files()
        .into_iter()
        .map(|path| {
            let name = path.display().to_string();
            match std::fs::read_to_string(path) {
                Ok(text) if !text.trim().is_empty() => {
                    check("credential", &name, Status::Ok, "readable")
                }
                Ok(_) => check("credential", &name, Status::Fail, "empty"),
                Err(e) => check("credential", &name, Status::Fail, http::io_reason(&e)),
            }
        })
        .collect()
}

/// Every program a step, the rollback, a verification or a command KPI runs: a path must
/// exist and be executable; a bare name must be on PATH.
fn scripts(rb: &Runbook) -> Vec<Check> {
    let mut programs: Vec<(String, String)> = Vec::new();
    let mut add = |whose: String, argv: &[String]| {
        if let Some(p) = argv.first()
            && !programs.iter().any(|(_, q)| q == p)
        {
            programs.push((whose, p.clone()));
        }
    };
    for (_, s) in rb.steps() {
        match &s.command {
            Some(Command::Argv(argv)) => add(format!("step {}", s.id), argv),
            Some(Command::Shell(line)) => {
                for program in shell_scripts(line) {
                    add(format!("step {}", s.id), &[program]);
                }
            }
            None => {}
        }
        if let Some(argv) = s.verify.as_ref().and_then(|v| v.command.as_ref()) {
            add(format!("step {} verify", s.id), argv);
        }
    }
    let rollback = rb.rollback.iter().flat_map(|r| {
        let preview = r
            .preview
            .as_ref()
            .map(|c| ("rollback preview".to_owned(), c));
        r.steps
            .iter()
            .map(|st| {
                let whose = if st.id == "rollback" {
                    "rollback".to_owned()
                } else {
                    format!("rollback step {}", st.id)
                };
                (whose, &st.command)
            })
            .chain(preview)
    });
    for (whose, command) in rollback {
        match command {
            Command::Argv(argv) => add(whose, argv),
            Command::Shell(line) => {
                for program in shell_scripts(line) {
                    add(whose.clone(), &[program]);
                }
            }
        }
    }
    for k in &rb.kpis {
        if let crate::runbook::KpiSource::Command { argv } = &k.source {
            add(format!("kpi {}", k.id), argv);
        }
    }
    programs
        .into_iter()
        .map(|(whose, program)| match runnable(&rb.dir, &program) {
            Ok(()) => check(
                "script",
                &program,
                Status::Ok,
                format!("executable ({whose})"),
            ),
            Err(why) => check("script", &program, Status::Fail, format!("{why} ({whose})")),
        })
        .collect()
}

/// The scripts a shell line runs by path (`./x.sh && ../y.sh | z`): the first word of
/// each simple command that names a file. Commands found on PATH are the shell's business.
fn shell_scripts(line: &str) -> Vec<String> {
    line.split(['&', '|', ';', '\n'])
        .filter_map(|cmd| cmd.split_whitespace().next())
        .filter(|w| w.contains('/') && !w.contains('$') && !w.contains('`'))
        .map(str::to_owned)
        .collect()
}

fn runnable(dir: &Path, program: &str) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let path = if program.contains('/') {
        dir.join(program)
    } else {
        let found = std::env::var_os("PATH").and_then(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join(program))
                .find(|f| f.is_file())
        });
        found.ok_or_else(|| format!("`{program}` is not on PATH"))?
    };
    let meta = std::fs::metadata(&path)
        .map_err(|_| format!("does not exist (looked for {})", path.display()))?;
    if !meta.is_file() {
        return Err(format!("{} is not a file", path.display()));
    }
    if meta.permissions().mode() & 0o111 == 0 {
        return Err(format!("{} is not executable (chmod +x)", path.display()));
    }
    Ok(())
}

/// What the sources said, for the rules.
#[derive(Default)]
struct Seen {
    kpis: Vec<(String, Result<f64, String>)>,
    endpoints: Vec<(String, Result<Health, String>)>,
}

impl Facts for Seen {
    fn kpi(&self, id: &str) -> Result<f64, String> {
        self.kpis
            .iter()
            .find(|(k, _)| k == id)
            .map_or_else(|| Err(format!("{id}: no such KPI")), |(_, r)| r.clone())
    }
    fn baseline(&self, id: &str) -> Result<f64, String> {
        Err(format!("no baseline for {id} before the run"))
    }
    fn endpoint(&self, id: &str) -> Result<Health, String> {
        self.endpoints.iter().find(|(e, _)| e == id).map_or_else(
            || Err(format!("{id}: no such endpoint")),
            |(_, r)| r.clone(),
        )
    }
}

struct Sources {
    checks: Vec<Check>,
    facts: Seen,
}

/// Every endpoint, KPI and the Alertmanager, polled once, all at the same time.
async fn sources(
    rb: Arc<Runbook>,
    vars: Arc<Vec<(String, String)>>,
    replay: Option<Arc<crate::runbook::series::Series>>,
) -> Sources {
    enum Polled {
        Endpoint(usize, crate::app::Probe),
        /// The time is `None` when nothing was asked (a variable it needs is not set).
        Kpi(usize, Result<Reading, crate::app::Fault>, Option<Duration>),
        Replayed(usize, Option<f64>),
        Alertmanager(Result<usize, String>, Duration),
    }
    let mut set = tokio::task::JoinSet::new();
    for i in 0..rb.endpoints.len() {
        let (rb, vars) = (rb.clone(), vars.clone());
        let client = http::client_for(&rb.endpoints[i].connection);
        set.spawn(async move {
            let probe = match client {
                Ok(c) => health::probe(&c, &rb.endpoints[i], &vars).await,
                Err(e) => health::unprobed(e),
            };
            Polled::Endpoint(i, probe)
        });
    }
    for i in 0..rb.kpis.len() {
        let (rb, vars) = (rb.clone(), vars.clone());
        let replay = replay.clone();
        set.spawn(async move {
            let k = &rb.kpis[i];
            if let Some(series) = replay.filter(|s| s.kpis().contains(&k.id.as_str())) {
                return Polled::Replayed(i, series.value_at(&k.id, chrono::TimeDelta::zero()));
            }
            let timeout = k.timeout.to_std().unwrap_or(Duration::from_secs(3));
            let asked = k
                .source
                .url()
                .is_none_or(|u| http::expand(u, &vars).is_ok());
            let started = Instant::now();
            let r = match http::client_for(&k.connection) {
                Ok(client) => monitor::poll_kpi(&client, &k.source, timeout, &vars, &rb.dir).await,
                Err(e) => Err(monitor::fault(e)),
            };
            Polled::Kpi(i, r, asked.then(|| started.elapsed()))
        });
    }
    if let Some(am) = rb.alertmanager.clone() {
        let vars = vars.clone();
        set.spawn(async move {
            let started = Instant::now();
            let timeout = am.timeout.to_std().unwrap_or(Duration::from_secs(5));
            let r = match http::client_for(&am.connection) {
                Ok(client) => monitor::alertmanager::alerts(&client, &am.url, timeout, &vars)
                    .await
                    .map(|a| a.len()),
                Err(e) => Err(e),
            };
            Polled::Alertmanager(r, started.elapsed())
        });
    }
    let mut endpoints = Vec::new();
    let mut kpis = Vec::new();
    let mut am = Vec::new();
    while let Some(done) = set.join_next().await {
        match done {
            Ok(Polled::Endpoint(i, p)) => endpoints.push((i, p)),
            Ok(Polled::Kpi(i, r, t)) => kpis.push((i, r, t)),
            Ok(Polled::Replayed(i, v)) => {
                let r = v.map(Reading::from).ok_or_else(|| crate::app::Fault {
                    kind: crate::app::FaultKind::Failed,
                    why: "the replayed series has no point at or before T0".to_owned(),
                });
                kpis.push((i, r, None));
            }
            Ok(Polled::Alertmanager(r, t)) => am.push((r, t)),
            Err(e) => am.push((Err(format!("a poll failed: {e}")), Duration::ZERO)),
        }
    }
    endpoints.sort_by_key(|(i, _)| *i);
    kpis.sort_by_key(|(i, _, _)| *i);
    let mut checks = Vec::new();
    let mut facts = Seen::default();
    for (i, p) in endpoints {
        let ep = &rb.endpoints[i];
        let (status, detail) = match p.health {
            Health::Up => (Status::Ok, "UP".to_owned()),
            Health::Degraded => (
                Status::Warn,
                format!("DEGRADED {}", p.reason.clone().unwrap_or_default()),
            ),
            _ => (
                Status::Fail,
                format!("DOWN: {}", p.reason.clone().unwrap_or_default()),
            ),
        };
        facts.endpoints.push((ep.id.clone(), Ok(p.health)));
        checks.push(Check {
            latency_ms: p
                .latency
                .and_then(|l| u64::try_from(l.num_milliseconds()).ok()),
            ..check("endpoint", &ep.id, status, detail.trim_end())
        });
    }
    for (i, r, took) in kpis {
        let k = &rb.kpis[i];
        let (status, detail) = match &r {
            Ok(reading) => (
                Status::Ok,
                format!(
                    "{} {}",
                    crate::runbook::number::format_kpi_value(k, reading.value),
                    k.unit
                )
                .trim_end()
                .to_owned(),
            ),
            // A badge in words (`unauthorized (401)`) is the whole reason already.
            Err(f) if f.why == f.kind.badge() => (Status::Fail, f.why.clone()),
            Err(f) => (Status::Fail, format!("{}: {}", f.kind.badge(), f.why)),
        };
        facts
            .kpis
            .push((k.id.clone(), r.map(|r| r.value).map_err(|f| f.why)));
        let replayed = replay
            .as_ref()
            .is_some_and(|s| s.kpis().contains(&k.id.as_str()));
        let detail = if replayed && status == Status::Ok {
            format!("{detail} (replayed, at T0)")
        } else {
            detail
        };
        checks.push(Check {
            latency_ms: took.and_then(|t| u64::try_from(t.as_millis()).ok()),
            ..check("kpi", &k.id, status, detail)
        });
    }
    for (r, took) in am {
        let (status, detail) = match r {
            Ok(n) => (Status::Ok, format!("{n} alerts")),
            Err(e) => (Status::Fail, e),
        };
        checks.push(Check {
            latency_ms: u64::try_from(took.as_millis()).ok(),
            ..check("alertmanager", "alertmanager", status, detail)
        });
    }
    Sources { checks, facts }
}

/// Every rule once, on what the sources said: one that holds already is worth a look
/// before the night starts; one without data says why.
fn rules(rb: &Runbook, facts: &Seen) -> Vec<Check> {
    rb.rules
        .iter()
        .map(|r| match crate::rules::eval(&r.expr, facts) {
            Truth::False => check("rule", &r.id, Status::Ok, "quiet"),
            Truth::True => check(
                "rule",
                &r.id,
                Status::Warn,
                format!("holds now: `{}`", r.source),
            ),
            Truth::NoData(why) => check("rule", &r.id, Status::Warn, format!("no data: {why}")),
        })
        .collect()
}

/// The table: one line a check, then the count.
pub fn table(report: &Report) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(s, "preflight: {}", report.runbook);
    let id_w = report
        .checks
        .iter()
        .map(|c| c.id.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(8, 40);
    for c in &report.checks {
        let mark = match c.status {
            Status::Ok => "ok  ",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
        };
        let latency = c
            .latency_ms
            .map(|l| format!("{l:>5} ms"))
            .unwrap_or_default();
        let id: String = if c.id.chars().count() > id_w && c.id.contains('/') {
            // A path keeps its end: the script's own name tells them apart.
            let n = c.id.chars().count();
            let tail: String = c.id.chars().skip(n - (id_w - 1)).collect();
            format!("…{tail}")
        } else if c.id.chars().count() > id_w {
            let mut cut: String = c.id.chars().take(id_w - 1).collect();
            cut.push('…');
            cut
        } else {
            c.id.clone()
        };
        let _ = writeln!(
            s,
            "  {mark}  {:<12} {id:<id_w$}  {latency:>8}  {}",
            c.kind, c.detail
        );
    }
    let count = |st: Status| report.checks.iter().filter(|c| c.status == st).count();
    let _ = writeln!(
        s,
        "{} checks: {} ok, {} to look at, {} failed{}",
        report.checks.len(),
        count(Status::Ok),
        count(Status::Warn),
        count(Status::Fail),
        if report.ok { "" } else { " — not ready" }
    );
    s
}

#[cfg(test)]
mod tests {
    use super::shell_scripts;

    #[test]
    fn a_shell_line_names_the_scripts_it_runs_by_path() {
        assert_eq!(
            shell_scripts("./a.sh && ../b/c.sh --x | grep y; /opt/d.sh\n echo $HOME/e.sh"),
            vec!["./a.sh", "../b/c.sh", "/opt/d.sh"]
        );
        assert!(shell_scripts("kubectl apply -f x.yaml").is_empty());
        assert!(shell_scripts("$DIR/run.sh").is_empty());
    }
}

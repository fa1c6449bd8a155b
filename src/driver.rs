//! Taking the driver's seat on a run directory: one driver per run (an `flock` on
//! `driver.lock`, never unlinked, released by the kernel when the holder dies), the journal
//! opened and repaired, and the runbook checked against the one the journal was begun with.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::app::{Begin, Event, Operator, Record};
use crate::durable::{self, Held};
use crate::journal::{self, Journal};
use crate::runbook::Runbook;

pub const LOCK: &str = "driver.lock";
/// Written by a console that asks to take over (`--take-over`); the driver answers in
/// [`TAKEOVER_ANSWER`] or by leaving.
pub const TAKEOVER_REQUEST: &str = "takeover.request";
pub const TAKEOVER_ANSWER: &str = "takeover.answer";
/// How long a console asking to take over waits for the driver's answer.
const TAKEOVER_WAIT: std::time::Duration = std::time::Duration::from_secs(180);

/// Who holds the driver's seat, as written in `driver.lock`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Holder {
    pub operator: Operator,
    pub pid: u32,
    pub since: DateTime<Utc>,
    /// The variables warroom itself gave the runbook (`DEMO_URL`, a rehearsal's values),
    /// for watchers' pollers; never a secret's value.
    #[serde(default)]
    pub vars: Vec<(String, String)>,
    /// The names of those whose values are secrets and are not written here: a watcher
    /// reads them from its own environment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub withheld: Vec<String>,
    /// Set when the run is a rehearsal: its clock and replayed series, for watchers.
    #[serde(default)]
    pub rehearsal: Option<Rehearsing>,
}

/// A rehearsal as its driver runs it: the rehearsal clock showed `at` when the wall clock
/// showed `real`, at `speed`; `replay` is the series fed in place of some KPIs' sources.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rehearsing {
    pub at: DateTime<Utc>,
    pub real: DateTime<Utc>,
    pub speed: f64,
    #[serde(default)]
    pub replay: Option<PathBuf>,
}

impl Rehearsing {
    /// The driver's rehearsal clock, running here.
    pub fn clock(&self) -> crate::clock::Clock {
        crate::clock::Clock::following(self.at, self.real, self.speed)
    }
}

/// Who drives (or last drove) the run in `dir`, as its lock file says.
pub fn holder(dir: &Path) -> Option<Holder> {
    serde_json::from_slice(&std::fs::read(dir.join(LOCK)).ok()?).ok()
}

/// A console's seat on a run: keep it alive as long as the console drives.
pub struct Seat {
    pub lock: Held,
    pub journal: Journal,
    pub records: Vec<Record>,
    pub begin: Begin,
    /// Things the operator should know from the start (a repair, a lock taken over).
    pub notices: Vec<String>,
}

/// What the operator said about a runbook that changed since the journal began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnChange {
    Refuse,
    Continue,
}

pub fn sha256_file(path: &Path) -> Result<String> {
    let bytes =
        std::fs::read(path).with_context(|| format!("reading the runbook {}", path.display()))?;
    Ok(format!("{:x}", Sha256::digest(&bytes)))
}

/// A console's request to take over, as the driver reads it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TakeoverRequest {
    pub operator: Operator,
    pub pid: u32,
    pub at: DateTime<Utc>,
}

/// The request waiting in `dir`, if any.
pub fn takeover_request(dir: &Path) -> Option<TakeoverRequest> {
    serde_json::from_slice(&std::fs::read(dir.join(TAKEOVER_REQUEST)).ok()?).ok()
}

/// The driver's answer: agreed (it leaves next) or refused.
pub fn answer_takeover(dir: &Path, agreed: bool) -> std::io::Result<()> {
    let answer: &[u8] = if agreed { b"agreed" } else { b"refused" };
    durable::write_atomic(&dir.join(TAKEOVER_ANSWER), answer)?;
    if !agreed {
        std::fs::remove_file(dir.join(TAKEOVER_REQUEST))?;
    }
    Ok(())
}

/// Asks the driver holding `lock_path` to hand over and waits: the seat when it leaves
/// (or dies), an error when it refuses or does not answer.
fn ask_for_seat(
    dir: &Path,
    lock_path: &Path,
    operator: &Operator,
    holder: Option<&Holder>,
) -> Result<Held> {
    let request = TakeoverRequest {
        operator: operator.clone(),
        pid: std::process::id(),
        at: Utc::now(),
    };
    let _ = std::fs::remove_file(dir.join(TAKEOVER_ANSWER));
    durable::write_atomic(
        &dir.join(TAKEOVER_REQUEST),
        &serde_json::to_vec(&request).unwrap_or_default(),
    )
    .context("writing the takeover request")?;
    let who = holder.map_or_else(|| "the driver".to_owned(), |h| h.operator.to_string());
    eprintln!(
        "warroom: asking {who} to hand over (the question is on their screen; Ctrl-C gives up)"
    );
    let clean = || {
        let _ = std::fs::remove_file(dir.join(TAKEOVER_REQUEST));
        let _ = std::fs::remove_file(dir.join(TAKEOVER_ANSWER));
    };
    let deadline = std::time::Instant::now() + TAKEOVER_WAIT;
    loop {
        if let Some(lock) = durable::try_lock(lock_path)
            .with_context(|| format!("locking {}", lock_path.display()))?
        {
            clean();
            return Ok(lock);
        }
        if std::fs::read(dir.join(TAKEOVER_ANSWER)).is_ok_and(|a| a == b"refused") {
            clean();
            return Err(anyhow!(
                "{who} refused the handover: they keep driving the run"
            ));
        }
        if std::time::Instant::now() > deadline {
            clean();
            return Err(anyhow!(
                "{who} did not answer within {} minutes: they keep driving the run",
                TAKEOVER_WAIT.as_secs() / 60
            ));
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// Takes the driver's seat on `dir`, or says who has it. With `take_over`, a live driver
/// is asked to hand over, and the handover is journaled with both operators.
pub fn take_seat(
    dir: &Path,
    runbook: &Runbook,
    operator: &Operator,
    on_change: OnChange,
    take_over: bool,
    vars: &[(String, String)],
    rehearsal: Option<Rehearsing>,
) -> Result<Seat> {
    let lock_path = dir.join(LOCK);
    let previous = holder(dir);
    // Watchers and reports probe the lock for an instant to see whether a driver lives;
    // a start that meets such a probe tries again rather than refusing.
    let mut held = None;
    for _ in 0..5 {
        held = durable::try_lock(&lock_path)
            .with_context(|| format!("locking {}", lock_path.display()))?;
        if held.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let held = match held {
        None if take_over => Some(ask_for_seat(dir, &lock_path, operator, previous.as_ref())?),
        other => other,
    };
    let Some(lock) = held else {
        return Err(match previous {
            Some(h) => anyhow!(
                "{} is driven by {} (pid {}) since {}: one driver per run. Watch it with `warroom watch {}`, or take over with --take-over (they are asked first)",
                dir.display(),
                h.operator,
                h.pid,
                h.since.format("%Y-%m-%d %H:%M UTC"),
                dir.display()
            ),
            None => anyhow!(
                "{} is driven by another console that is just starting: one driver per run",
                dir.display()
            ),
        });
    };
    let mut notices = Vec::new();
    if let Some(h) = &previous {
        notices.push(format!(
            "previous driver {} (pid {}) is gone: you drive now",
            h.operator, h.pid
        ));
    }
    // Readable by the run's group: a secret's value never goes in it, only its name.
    let secret = runbook.secret_names();
    let (withheld, kept): (Vec<_>, Vec<_>) =
        vars.iter().cloned().partition(|(k, _)| secret.contains(k));
    let me = Holder {
        operator: operator.clone(),
        pid: std::process::id(),
        since: Utc::now(),
        vars: kept,
        withheld: withheld.into_iter().map(|(k, _)| k).collect(),
        rehearsal,
    };
    write_holder(&lock, &me).with_context(|| format!("writing {}", lock_path.display()))?;
    durable::fsync_dir(dir).with_context(|| format!("syncing {}", dir.display()))?;

    let opened = Journal::open(dir)?;
    if let Some(r) = &opened.repaired {
        tracing::warn!("{r}");
        notices.push(format!("Journal repaired: {r}"));
    }
    let sha = sha256_file(&runbook.path)?;
    let changed_from = check_runbook(dir, &opened.records, runbook, &sha, on_change)?;
    // The driver that agreed journaled the handover itself; one that was gone could not.
    let handed_over = opened
        .records
        .iter()
        .rev()
        .take_while(|r| !matches!(r.event, Event::DriverAttached { .. }))
        .any(|r| matches!(&r.event, Event::Handover { to, .. } if to == operator));
    let took_over_from = previous
        .filter(|_| take_over && !handed_over)
        .map(|h| h.operator);
    Ok(Seat {
        lock,
        journal: opened.journal,
        records: opened.records,
        begin: Begin {
            runbook_sha256: sha,
            pid: std::process::id(),
            changed_from,
            took_over_from,
        },
        notices,
    })
}

fn write_holder(lock: &Held, me: &Holder) -> std::io::Result<()> {
    use std::io::{Seek, Write};
    let mut f: &std::fs::File = lock;
    f.set_len(0)?;
    f.seek(std::io::SeekFrom::Start(0))?;
    f.write_all(&serde_json::to_vec(me).unwrap_or_default())?;
    f.sync_all()
}

/// The journal must be this runbook's: refused when it is another's; when the file has
/// changed since, the operator chooses (`Some(old hash)` to continue and journal it).
fn check_runbook(
    dir: &Path,
    records: &[Record],
    runbook: &Runbook,
    sha: &str,
    on_change: OnChange,
) -> Result<Option<String>> {
    let Some(first) = records.first() else {
        return Ok(None);
    };
    let path = dir.join(journal::FILE);
    let Event::RunOpened {
        runbook: name,
        sha256,
        path: rb_path,
        ..
    } = &first.event
    else {
        return Err(anyhow!(
            "{}: record 1 is not the run's opening record; it was left as it is",
            path.display()
        ));
    };
    if *name != runbook.name {
        return Err(anyhow!(
            "{} belongs to runbook \"{name}\" ({rb_path}), not \"{}\" ({}): use another --run-dir",
            path.display(),
            runbook.name,
            runbook.path.display()
        ));
    }
    let current = crate::app::event::runbook_sha(records).unwrap_or(sha256);
    if current == sha {
        return Ok(None);
    }
    match on_change {
        OnChange::Continue => Ok(Some(current.to_owned())),
        OnChange::Refuse => Err(anyhow!(
            "{} has changed since this run's journal was written (sha256 {} then, {} now). \
             Restore it to resume the run as planned, or pass --accept-changed-runbook to \
             continue with the changed file (the change is journaled)",
            runbook.path.display(),
            short(current),
            short(sha)
        )),
    }
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

/// Where a runbook's runs go (`<runbook run-dir or ./runs>`), and their names' stem.
fn runs_of(rb: &Runbook) -> (PathBuf, String) {
    let base = rb
        .run_dir
        .as_ref()
        .map_or_else(|| PathBuf::from("runs"), |d| rb.dir.join(d));
    let stem = rb
        .path
        .file_stem()
        .map_or_else(|| "run".into(), |s| s.to_string_lossy().into_owned());
    (base, stem)
}

/// A rehearsal's own directory, `<stem>-rehearsal-<UTC time>`: each rehearsal is new,
/// and no real run ever resumes one.
/// A new rehearsal's directory, named by the wall clock when it starts (never by the
/// rehearsal clock, which starts at the same planned time every time): each `rehearse`
/// is a new one unless `--run-dir` names one.
pub fn rehearsal_run_dir(rb: &Runbook, now: DateTime<Utc>) -> PathBuf {
    let (base, stem) = runs_of(rb);
    let name = format!("{stem}-rehearsal-{}", now.format("%Y%m%d-%H%M%S"));
    let mut dir = base.join(&name);
    let mut n = 2;
    while dir.exists() {
        dir = base.join(format!("{name}-{n}"));
        n += 1;
    }
    dir
}

/// A run recorded this recently is resumed when no directory is named: the same command
/// typed again after a dropped session or a crash carries on with the run, instead of
/// opening a second one that knows nothing of the first (and could run a step again).
pub const RESUME_WITHIN: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// Where a console's record goes when no `--run-dir` is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunDir {
    /// The latest run of this runbook, recorded this long ago.
    Resume(PathBuf, chrono::TimeDelta),
    /// A new run: `<runbook run-dir or ./runs>/<stem>-<UTC time>`.
    New(PathBuf),
}

/// The latest run of this runbook whose journal was written within [`RESUME_WITHIN`], or
/// a new directory; `new` always makes a new one.
pub fn choose_run_dir(rb: &Runbook, new: bool, now: DateTime<Utc>) -> RunDir {
    let (base, stem) = runs_of(rb);
    let fresh = RunDir::New(base.join(format!("{stem}-{}", now.format("%Y%m%d-%H%M%S"))));
    if new {
        return fresh;
    }
    let prefix = format!("{stem}-");
    // Names sort by their UTC time: the greatest is the latest run.
    let latest = std::fs::read_dir(&base)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let time = name.strip_prefix(&prefix)?;
            chrono::NaiveDateTime::parse_from_str(time, "%Y%m%d-%H%M%S").ok()?;
            Some(name)
        })
        .max();
    let Some(latest) = latest else {
        return fresh;
    };
    let dir = base.join(latest);
    let written = std::fs::metadata(dir.join(journal::FILE))
        .and_then(|m| m.modified())
        .map(DateTime::<Utc>::from);
    match written {
        Ok(at) if now - at <= RESUME_WITHIN => RunDir::Resume(dir, now - at),
        _ => fresh,
    }
}

//! `warroom watch RUN_DIR`: the on-call's console. It follows the driver's journal (a poll
//! every quarter second), polls the runbook's KPIs and endpoints itself, tails the output
//! of the driver's steps, and notices when the driver is gone. It holds no journal writer
//! and no process launcher: its loop feeds `app::watch::update`, which can only apply,
//! observe and move the view. The one file it writes is its own heartbeat in `watchers/`.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use chrono::Utc;
use crossterm::event::Event as TermEvent;
use tokio::sync::mpsc;

use crate::app::event::Event;
use crate::app::watch::{self, Look, Watched};
use crate::app::{Action, Observation, Operator, Record, State, Target};
use crate::clock::Clock;
use crate::exec::{READ_SLICE, read_new, record_dir, supervise};
use crate::journal::{self, Follower};
use crate::runbook::Runbook;
use crate::{driver, monitor};

const HEARTBEAT: Duration = Duration::from_secs(10);
const FOLLOW: Duration = Duration::from_millis(250);

/// What the watcher (and `replay`) needs to know before it opens the screen.
pub(crate) struct Opened {
    pub(crate) runbook: Runbook,
    pub(crate) history: Vec<Record>,
    follower: Follower,
    driver: Option<driver::Holder>,
    pub(crate) damaged: Option<String>,
    changed: bool,
}

/// A run this user may not read is said in words: whose it is, and what would let them in.
fn readable(run_dir: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    if !run_dir.exists() {
        return Err(anyhow!(
            "{}: no such run directory (`warroom run` prints where its run is when it leaves)",
            run_dir.display()
        ));
    }
    let denied = |e: &std::io::Error| e.kind() == std::io::ErrorKind::PermissionDenied;
    let journal = run_dir.join(journal::FILE);
    let refused = match std::fs::read_dir(run_dir) {
        Err(e) if denied(&e) => true,
        _ => std::fs::File::open(&journal).is_err_and(|e| denied(&e)),
    };
    if !refused {
        return Ok(());
    }
    let meta = std::fs::metadata(run_dir).ok();
    let owner = meta
        .as_ref()
        .and_then(|m| nix::unistd::User::from_uid(m.uid().into()).ok().flatten())
        .map_or_else(|| "its driver".to_owned(), |u| u.name);
    let group = meta
        .as_ref()
        .filter(|m| m.mode() & 0o050 != 0)
        .and_then(|m| nix::unistd::Group::from_gid(m.gid().into()).ok().flatten())
        .map(|g| g.name);
    Err(match group {
        Some(g) => anyhow!(
            "{}: the run is shared with group {g}, which you are not in; ask {owner} to add you, or to share it with a group you are in",
            run_dir.display()
        ),
        None => anyhow!(
            "{}: the run is private to {owner}; ask the driver to share it with a group you are in (`warroom run --share-with GROUP`, or `share-with` in the runbook)",
            run_dir.display()
        ),
    })
}

pub(crate) fn open(run_dir: &Path, runbook: Option<&Path>) -> Result<Opened> {
    readable(run_dir)?;
    let path = run_dir.join(journal::FILE);
    if !path.is_file() {
        return Err(anyhow!(
            "{} holds no journal: nothing to watch (give the run directory a driver opened with `warroom run --run-dir`)",
            run_dir.display()
        ));
    }
    let mut follower = Follower::default();
    let (history, damaged) = match follower.poll(&path) {
        Ok(r) => (r, None),
        Err(c) => (
            Vec::new(),
            Some(format!("corrupt at record {}: {}", c.record, c.why)),
        ),
    };
    let Some(Event::RunOpened {
        path: rb_path,
        sha256,
        ..
    }) = history.first().map(|r| &r.event)
    else {
        return Err(anyhow!(
            "{}: {}",
            path.display(),
            damaged.unwrap_or_else(|| "the run has not begun yet (no opening record)".into())
        ));
    };
    let rb_path = runbook.map_or_else(|| PathBuf::from(rb_path), Path::to_path_buf);
    let (rb, _) = crate::runbook::load(&rb_path).map_err(|diags| {
        anyhow!(
            "the run's runbook {} does not load (pass --runbook FILE): {}",
            rb_path.display(),
            diags
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        )
    })?;
    let current = crate::app::event::runbook_sha(&history).unwrap_or(sha256);
    let changed = driver::sha256_file(&rb_path).is_ok_and(|s| s != current);
    Ok(Opened {
        runbook: rb,
        history,
        follower,
        driver: driver::holder(run_dir),
        damaged,
        changed,
    })
}

pub async fn run(run_dir: PathBuf, runbook: Option<PathBuf>, clock: Clock) -> Result<()> {
    let run_dir = run_dir.canonicalize().unwrap_or(run_dir);
    // Whether this user may read it, before anything else: said plainly, terminal or not.
    readable(&run_dir)?;
    crate::terminal::require_terminal()?;
    let opened = open(&run_dir, runbook.as_deref())?;
    let rb = Arc::new(opened.runbook);
    let me = Operator::current();
    // Watching a rehearsal: its clock, and the series it replays, not the wall clock and
    // the KPIs' real sources.
    let rehearsing = opened.driver.as_ref().and_then(|h| h.rehearsal.clone());
    let clock = rehearsing.as_ref().map_or(clock, driver::Rehearsing::clock);
    let replay = match rehearsing.as_ref().and_then(|r| r.replay.as_ref()) {
        Some(path) => Some(Arc::new(
            std::fs::read_to_string(path)
                .map_err(|e| e.to_string())
                .and_then(|t| crate::runbook::series::Series::parse(&t))
                .map_err(|e| anyhow!("the rehearsal's series {}: {e}", path.display()))?,
        )),
        None => None,
    };
    let mut state = State::new(rb.clone(), clock.now());
    if let Clock::Rehearsal { speed, .. } = clock {
        state.rehearsal = Some(speed);
    }
    state.operator = me.clone();
    let driver_op = opened
        .driver
        .as_ref()
        .map_or_else(Operator::default, |h| h.operator.clone());
    state.watch(driver_op);
    let vars = opened.driver.map(|h| h.vars).unwrap_or_default();
    state.hide(crate::monitor::http::secret_values(&rb, &vars));
    watch::update(
        &mut state,
        Watched::Records {
            records: opened.history,
            live: false,
        },
    );
    if let Some(why) = opened.damaged {
        watch::update(&mut state, Watched::JournalDamaged(why));
    } else if opened.changed {
        watch::update(&mut state, Watched::RunbookChanged);
    }

    let (tx, mut rx) = mpsc::channel::<Action>(1024);
    let _monitor = monitor::spawn(rb.clone(), Arc::new(vars), clock, state.t0, tx, replay)
        .map_err(|e| anyhow!(e))?;
    let beat = crate::heartbeat::path(&run_dir);
    let heartbeat = crate::heartbeat::Heartbeat {
        operator: me,
        since: Utc::now(),
    };
    crate::heartbeat::write(&beat, &heartbeat);

    let mut terminal = ratatui::try_init().context("setting up the terminal")?;
    crossterm::execute!(
        std::io::stdout(),
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
    )
    .context("clearing the terminal")?;
    let mut io = Follow {
        run_dir: run_dir.clone(),
        follower: opened.follower,
        tails: HashMap::new(),
        stopped: false,
        beat,
        heartbeat,
        beaten: Instant::now(),
    };
    let result = event_loop(&mut terminal, &mut state, &mut rx, &mut io, clock).await;
    crate::terminal::release(terminal);
    let _ = std::fs::remove_file(&io.beat);
    result
}

/// The watcher's own vote, handed in as the user they are, on the record as far as they
/// have read it, signed when the approver has keys (with their ssh-agent or a key without
/// a passphrase: this terminal is the console's, not ssh-keygen's to ask on). The driver's
/// console decides whether it counts, and the record says which.
fn hand_in(state: &mut State, io: &Follow, mut vote: crate::app::VoteRequest) {
    let me = state.operator.user.clone();
    let Some(run) = io.follower.run() else {
        return;
    };
    vote.run = crate::journal::hex(&run);
    vote.head = crate::journal::hex(&io.follower.head());
    let sealed = match state.runbook.approver(&vote.approver) {
        Some(a) => crate::votes::sign(&mut vote, a, None, false),
        None => Ok(crate::votes::Sealing::Unsigned(None)),
    };
    let failed = match sealed {
        Ok(crate::votes::Sealing::Unsigned(Some(why)))
            if state
                .runbook
                .approver(&vote.approver)
                .is_some_and(|a| a.signed) =>
        {
            Some(format!(
                "your vote must be signed, and {why}: vote with `warroom vote` in a shell"
            ))
        }
        Err(why) => Some(format!("not signed: {why}")),
        Ok(_) => None,
    };
    let handed = match failed {
        Some(why) => Err(why),
        None => crate::votes::hand_in(&io.run_dir, &me, &vote).map_err(|e| e.to_string()),
    };
    if let Err(why) = handed {
        watch::update(state, Watched::HandInFailed(why));
    }
}

/// What the watcher reads and writes outside itself.
struct Follow {
    run_dir: PathBuf,
    follower: Follower,
    /// Per run: the output file followed and how far it was read.
    tails: HashMap<Target, (PathBuf, u64)>,
    /// The journal stopped holding up: nothing more is read from it.
    stopped: bool,
    beat: PathBuf,
    heartbeat: crate::heartbeat::Heartbeat,
    beaten: Instant,
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    state: &mut State,
    rx: &mut mpsc::Receiver<Action>,
    io: &mut Follow,
    clock: Clock,
) -> Result<()> {
    let mut events = crate::terminal::terminal_events();
    let mut looked = Instant::now() - Duration::from_secs(2);
    // Drawn when something arrived or the visible second changed: idle costs next to nothing.
    let mut dirty = true;
    let mut shown_second = 0;
    loop {
        // What the world says now: the journal, the step output, the driver's lock.
        let mut inputs = follow(state, io);
        if looked.elapsed() >= Duration::from_secs(1) {
            looked = Instant::now();
            let alive = crate::durable::is_locked(&io.run_dir.join(driver::LOCK)).unwrap_or(false);
            let gone = state.watching.as_ref().and_then(|w| w.gone_since);
            match (alive, gone) {
                (false, None) => inputs.push(Watched::DriverGone(Some(clock.now()))),
                (true, Some(_)) => inputs.push(Watched::DriverGone(None)),
                _ => {}
            }
        }
        if io.beaten.elapsed() >= HEARTBEAT {
            io.beaten = Instant::now();
            crate::heartbeat::write(&io.beat, &io.heartbeat);
        }
        dirty |= !inputs.is_empty();
        let now = clock.now();
        if now.timestamp() != shown_second {
            shown_second = now.timestamp();
            dirty = true;
        }
        inputs.insert(0, Watched::Tick(now));
        for w in inputs {
            for look in watch::update(state, w) {
                match look {
                    Look::Bell => {
                        let mut out = std::io::stdout();
                        let _ = out.write_all(b"\x07").and_then(|()| out.flush());
                    }
                    Look::Quit => return Ok(()),
                    Look::HandIn(vote) => hand_in(state, io, *vote),
                }
            }
        }
        if dirty {
            if crate::terminal::draw(terminal, state).is_err() {
                return Ok(());
            }
            dirty = false;
        }
        tokio::select! {
            biased;
            ev = events.recv() => match ev {
                Some(Ok(TermEvent::Key(key))) => {
                    dirty = true;
                    for look in watch::update(state, Watched::Key(key)) {
                        match look {
                            Look::Quit => return Ok(()),
                            Look::HandIn(vote) => hand_in(state, io, *vote),
                            Look::Bell => {}
                        }
                    }
                }
                // A resize (or anything else the terminal says) is drawn anew.
                Some(Ok(_)) => dirty = true,
                // The terminal went away: the watcher simply leaves.
                Some(Err(_)) => return Ok(()),
                None => return Ok(()),
            },
            Some(action) = rx.recv() => {
                let w = match action {
                    Action::Observed(o) => Some(Watched::Observed(o)),
                    _ => None,
                };
                // A sample is drawn with the next second's frame, as the console does.
                if let Some(w) = w {
                    watch::update(state, w);
                }
            }
            () = tokio::time::sleep(FOLLOW) => {}
        }
    }
}

/// New records, and new output of the runs the record knows.
fn follow(state: &State, io: &mut Follow) -> Vec<Watched> {
    let mut out = Vec::new();
    if !io.stopped {
        match io.follower.poll(&io.run_dir.join(journal::FILE)) {
            Ok(records) if !records.is_empty() => out.push(Watched::Records {
                records,
                live: true,
            }),
            Ok(_) => {}
            Err(c) => {
                io.stopped = true;
                out.push(Watched::JournalDamaged(format!(
                    "corrupt at record {}: {}",
                    c.record, c.why
                )));
            }
        }
    }
    // Output of the latest attempt of every run that has one, read as it grows.
    let targets = (0..state.steps.len())
        .map(Target::Step)
        .chain(std::iter::once(Target::Rollback));
    for target in targets {
        let Some(run) = state.run(target) else {
            continue;
        };
        if run.attempt == 0 {
            continue;
        }
        let name = crate::app::run_file_name(state, target);
        let log = record_dir(&io.run_dir, &name, run.attempt).join(supervise::OUTPUT);
        let entry = io.tails.entry(target).or_insert_with(|| (log.clone(), 0));
        if entry.0 != log {
            *entry = (log.clone(), 0);
        }
        if let Some((bytes, next)) = read_new(&log, entry.1, READ_SLICE as u64 * 4) {
            entry.1 = next;
            out.push(Watched::Observed(Observation::RunOutput { target, bytes }));
        }
    }
    out
}

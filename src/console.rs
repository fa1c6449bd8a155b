//! The console's main loop: terminal events, actions from the I/O tasks and the clock
//! become `Action`s; effects go to their runners; the screen is redrawn only when
//! something changed or the visible second ticked.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use crossterm::event::Event;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use crate::app::{self, Action, Effect, Observation, Operator, Record, State};
use crate::clock::Clock;
use crate::driver::Seat;
use crate::exec::Executor;
use crate::journal::Journal;
use crate::monitor;
use crate::monitor::alertmanager;
use crate::runbook::Runbook;
use crate::terminal::{draw, release, require_terminal, terminal_events};

pub struct Options {
    pub runbook: Arc<Runbook>,
    pub run_dir: PathBuf,
    /// Variables for `${NAME}` in URLs and headers, and for step environments.
    pub vars: Vec<(String, String)>,
    pub clock: Clock,
    /// The `warroom` binary, which supervises step runs.
    pub supervisor: PathBuf,
    /// The driver's seat: the lock, the journal and what it held.
    pub seat: Seat,
    pub operator: Operator,
    /// A rehearsal's recorded KPI series, fed in place of those KPIs' sources.
    pub replay: Option<Arc<crate::runbook::series::Series>>,
    /// The runbook's warnings, printed before the screen covered them.
    pub warnings: Vec<crate::runbook::Diagnostic>,
}

/// Actions queued between the I/O tasks and the loop; senders wait when it is full, so a
/// flood of output slows its reader, never the console.
const QUEUE: usize = 1024;
/// Output bytes folded into one redraw at most.
const BATCH_BYTES: usize = 2 * 1024 * 1024;

fn output_len(action: &Action) -> usize {
    match action {
        Action::Observed(Observation::RunOutput { bytes, .. }) => bytes.len(),
        _ => 0,
    }
}

/// The terminal's events, read by a thread of their own with crossterm's blocking `read`.
/// Why the driving console left: on purpose (`q`, SIGTERM), its terminal went away (a
/// dropped session), or it handed the run over; in the last two what the run needs must
/// stay up for the next console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Left {
    OnPurpose,
    TerminalGone,
    /// To this operator, who drives it now.
    HandedOver(app::Operator),
}

pub async fn run(opts: Options) -> Result<Left> {
    require_terminal()?;
    let (tx, mut rx) = mpsc::channel(QUEUE);
    let vars = Arc::new(opts.vars.clone());
    let exec = Executor::new(
        opts.supervisor.clone(),
        opts.run_dir.clone(),
        opts.runbook.dir.clone(),
        opts.vars.clone(),
        crate::monitor::http::secret_values(&opts.runbook, &opts.vars),
        tx.clone(),
    );
    let clock = opts.clock;
    let Seat {
        lock: _lock,
        journal,
        records,
        begin,
        notices,
    } = opts.seat;
    let mut state = State::new(opts.runbook.clone(), clock.now());
    state.operator = opts.operator;
    if let Clock::Rehearsal { speed, .. } = clock {
        state.rehearsal = Some(speed);
    }
    state.hide(monitor::http::secret_values(&opts.runbook, &opts.vars));
    state.replay(&records);
    // Schedules and a replayed series count from T0 as it stands now (after the journal).
    let _monitor = monitor::spawn(
        opts.runbook.clone(),
        vars,
        clock,
        state.t0,
        tx.clone(),
        opts.replay.clone(),
    )
    .map_err(|e| anyhow::anyhow!(e))?;
    tracing::info!(
        runbook = %opts.runbook.name,
        run_dir = %opts.run_dir.display(),
        replayed = records.len(),
        "console started"
    );
    let first = app::begin(&mut state, begin);
    let mut notices = notices;
    if let Some(first) = opts.warnings.first() {
        // Said again where the operator looks: the terminal's scrollback is covered now.
        let what = first.what();
        notices.push(match opts.warnings.len() {
            1 => format!("Runbook warning (! shows it): {what}"),
            n => format!("{n} runbook warnings · ! lists them · the first: {what}"),
        });
    }
    state.warnings = opts.warnings.clone();
    if !notices.is_empty() {
        let mut all: Vec<String> = state.notice.take().map(|(n, _)| n).into_iter().collect();
        all.extend(notices);
        state.notice = Some((all.join(" · "), state.now));
    }

    // ratatui::try_init installs a panic hook that restores the terminal before the report.
    let mut terminal = ratatui::try_init().context("setting up the terminal")?;
    // A console killed earlier left its last frame on this terminal; the first frame must
    // not be drawn over it as if the screen were blank.
    // (The escape itself, not `Terminal::clear`, which asks the terminal where its cursor
    // is and fails on terminals that do not answer.)
    crossterm::execute!(
        std::io::stdout(),
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
    )
    .context("clearing the terminal")?;
    let client = monitor::http::shared().map_err(|e| anyhow::anyhow!(e))?;
    let mut io = Io {
        exec,
        client,
        vars: opts.vars.clone(),
        tx,
        clock,
        journal,
        history: records,
        run_dir: opts.run_dir.clone(),
        asked: None,
        looked: std::time::Instant::now(),
        votes_seen: std::time::Instant::now(),
        votes_taken: std::collections::HashSet::new(),
        watchers_seen: std::time::Instant::now() - std::time::Duration::from_secs(10),
        kpi_log: crate::report::kpi_log::MinuteLog::default(),
        // Samples are observations: a run that cannot record them still runs, and says so
        // in the log (the journal's decisions are what must not be lost).
        samples: crate::samples::Writer::open(&opts.run_dir)
            .inspect_err(|e| tracing::warn!(error = %e, "the samples will not be recorded"))
            .ok(),
        output_marked: std::collections::HashMap::new(),
    };
    let result = match commit(&mut state, &mut io, first) {
        Some(first) => match run_effects(&mut state, &mut io, first).await {
            Flow::Quit => Ok("quit"),
            Flow::Go => event_loop(&mut terminal, &mut state, &mut rx, &mut io).await,
        },
        None => event_loop(&mut terminal, &mut state, &mut rx, &mut io).await,
    };
    release(terminal);
    // Watchers learn that the driver left, and when; a killed console cannot say so.
    app::leave(&mut state, result.as_ref().map_or("an error", |why| *why));
    commit(&mut state, &mut io, Vec::new());
    // A handover this console agreed to is its last decision before it leaves.
    let handed_to = io.history.iter().rev().find_map(|r| match &r.event {
        crate::app::event::Event::Handover { from, to } if *from == state.operator => {
            Some(Some(to.clone()))
        }
        crate::app::event::Event::DriverAttached { .. } => Some(None),
        _ => None,
    });
    let result = result.map(|why| match (why, handed_to.flatten()) {
        (_, Some(to)) => Left::HandedOver(to),
        ("quit" | "SIGTERM", None) => Left::OnPurpose,
        _ => Left::TerminalGone,
    });
    io.leave();
    // Observations written in the last second go to disk with the console.
    if io.journal.failed().is_none()
        && let Err(e) = io.journal.sync()
    {
        tracing::error!(error = %e, "the journal's last records could not be synced");
    }
    tracing::info!("console stopped");
    result
}

/// What the loop's effects act through.
struct Io {
    exec: Executor,
    /// For the Alertmanager's silences and the status-update webhook.
    client: crate::monitor::http::Client,
    vars: Vec<(String, String)>,
    tx: mpsc::Sender<Action>,
    clock: Clock,
    journal: Journal,
    /// Every record the journal holds, for a rewind after it refuses more.
    history: Vec<Record>,
    run_dir: PathBuf,
    /// The takeover request already put to the operator, so it is asked once.
    asked: Option<crate::driver::TakeoverRequest>,
    looked: std::time::Instant,
    /// When `votes/` was last looked at, and the files already taken from it.
    votes_seen: std::time::Instant,
    votes_taken: std::collections::HashSet<String>,
    watchers_seen: std::time::Instant,
    /// This minute's KPI samples, summed up into `kpis.jsonl` for the report.
    kpi_log: crate::report::kpi_log::MinuteLog,
    /// Every sample and probe, at full resolution (`samples.wrs`).
    samples: Option<crate::samples::Writer>,
    /// The length of each running step's output last marked, by record directory.
    output_marked: std::collections::HashMap<String, (std::path::PathBuf, u64)>,
}

impl Io {
    /// Samples go into the per-minute KPI summary and, each one, into `samples.wrs`
    /// (observations, not decisions).
    fn summarize(&mut self, state: &State, batch: &[Action]) {
        use crate::samples::{self, Value};
        let now = self.clock.now();
        let mut done = self.kpi_log.roll(now);
        let mut points: Vec<(String, Value)> = Vec::new();
        for a in batch {
            let Action::Observed(o) = a else { continue };
            match o {
                Observation::KpiSample { kpi, result } => {
                    if let Some(k) = state.runbook.kpis.get(*kpi) {
                        let value = match result {
                            Ok(r) => {
                                done.extend(self.kpi_log.observe(&k.id, r.value, now));
                                Value::Number(r.value)
                            }
                            Err(_) => Value::Missing,
                        };
                        points.push((samples::kpi_series(&k.id), value));
                    }
                }
                Observation::KpiText { kpi, result } => {
                    if let Some(k) = state.runbook.kpis.get(*kpi) {
                        let value = result
                            .as_ref()
                            .map_or(Value::Missing, |t| Value::Text(t.clone()));
                        points.push((samples::kpi_series(&k.id), value));
                    }
                }
                // An endpoint's probes as 1 (up) or 0, for its availability over a stretch;
                // recorded whole as its health's code and its latency.
                Observation::EndpointProbe { endpoint, probe } => {
                    if let Some(e) = state.runbook.endpoints.get(*endpoint) {
                        let up = if probe.health == crate::runbook::Health::Up {
                            1.0
                        } else {
                            0.0
                        };
                        done.extend(self.kpi_log.observe(
                            &crate::report::kpi_log::endpoint_key(&e.id),
                            up,
                            now,
                        ));
                        points.push((
                            samples::endpoint_series(&e.id),
                            Value::Number(samples::health_code(probe.health)),
                        ));
                        if let Some(l) = probe.latency {
                            points.push((
                                samples::latency_series(&e.id),
                                Value::Number(l.num_microseconds().unwrap_or(0) as f64 / 1000.0),
                            ));
                        }
                    }
                }
                _ => {}
            }
        }
        crate::report::kpi_log::append(&self.run_dir.join(crate::report::kpi_log::FILE), &done);
        self.mark_output(state, now.timestamp_millis());
        if let Some(w) = self.samples.as_mut() {
            let at = now.timestamp_millis();
            let written = points
                .into_iter()
                .try_for_each(|(series, value)| w.record(&series, at, value))
                .and_then(|()| w.flush_if_due());
            if let Err(e) = written {
                tracing::warn!(error = %e, "could not record a sample: recording stops");
                self.samples = None;
            }
        }
    }

    /// How far each running step's output has come, marked when it grew (and once more when
    /// the step is no longer running), for a replay to show it as it stood.
    fn mark_output(&mut self, state: &State, at: i64) {
        // The runs going now, by record directory (`<name>.<attempt>`).
        let mut active = std::collections::HashSet::new();
        for target in state.run_targets() {
            let Some(run) = state.run(target) else {
                continue;
            };
            if !run.status.is_active() || run.attempt == 0 {
                continue;
            }
            let file = crate::app::run_file_name(state, target);
            let log = crate::exec::record_dir(&self.run_dir, &file, run.attempt)
                .join(crate::exec::supervise::OUTPUT);
            let name = format!("{file}.{}", run.attempt);
            self.output_marked
                .entry(name.clone())
                .or_insert((log, u64::MAX));
            active.insert(name);
        }
        let mut marks = Vec::new();
        let mut done = Vec::new();
        for (run, (log, marked)) in &mut self.output_marked {
            let len = std::fs::metadata(&*log).map_or(0, |m| m.len());
            if len != *marked {
                *marked = len;
                marks.push(crate::samples::OutputMark {
                    at,
                    run: run.clone(),
                    len,
                });
            }
            if !active.contains(run) {
                done.push(run.clone());
            }
        }
        for run in done {
            self.output_marked.remove(&run);
        }
        if let Err(e) = crate::samples::mark_output(&self.run_dir, &marks) {
            tracing::warn!(error = %e, "could not mark the output's progress");
        }
    }

    /// What the minute so far holds, when the console leaves.
    fn leave(&mut self) {
        if let Some(w) = self.samples.as_mut()
            && let Err(e) = w.flush()
        {
            tracing::warn!(error = %e, "the last samples were not recorded");
        }
        let rest = self.kpi_log.drain();
        crate::report::kpi_log::append(&self.run_dir.join(crate::report::kpi_log::FILE), &rest);
    }
}

enum Flow {
    Go,
    Quit,
}

/// Records what `update` decided, durably, before any of its effects may run: the effects
/// when the journal took them, `None` when it failed (the decisions are undone and the
/// console stops acting).
fn commit(state: &mut State, io: &mut Io, effects: Vec<Effect>) -> Option<Vec<Effect>> {
    let records = state.take_records();
    if io.journal.failed().is_some() {
        // Already failed: the console only watches; what it sees is not recorded.
        return Some(
            effects
                .into_iter()
                .filter(|e| matches!(e, Effect::Bell | Effect::Quit))
                .collect(),
        );
    }
    match io.journal.append(&records) {
        Ok(()) if records.is_empty() => Some(effects),
        Ok(()) => {
            io.history.extend(records);
            // A vote or the close asks for the head to be checkpointed, now it is on disk.
            let committed = Action::Committed {
                records: io.history.len() as u64,
                head: io.journal.head(),
            };
            let mut effects = effects;
            effects.extend(app::update(state, committed));
            let checkpoint = state.take_records();
            if checkpoint.is_empty() {
                return Some(effects);
            }
            match io.journal.append(&checkpoint) {
                Ok(()) => {
                    io.history.extend(checkpoint);
                    Some(effects)
                }
                Err(why) => {
                    state.rewind(&io.history);
                    app::update(state, Action::JournalFailed(why));
                    None
                }
            }
        }
        Err(why) => {
            state.rewind(&io.history);
            app::update(state, Action::JournalFailed(why));
            None
        }
    }
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    state: &mut State,
    rx: &mut mpsc::Receiver<Action>,
    io: &mut Io,
) -> Result<&'static str> {
    let clock = io.clock;
    let mut events = terminal_events();
    // A killed or hung-up console still restores the terminal; runs carry on without it.
    let mut term = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    let mut hangup = signal(SignalKind::hangup()).context("listening for SIGHUP")?;
    if draw(terminal, state).is_err() {
        return Ok("the terminal went away");
    }
    // When data that arrived in the background must be on screen at the latest.
    let mut draw_due: Option<tokio::time::Instant> = None;
    loop {
        let mut batch = Vec::new();
        let mut draw_now = false;
        let wake = match draw_due {
            Some(due) => clock
                .until_next_second()
                .min(due.saturating_duration_since(tokio::time::Instant::now())),
            None => clock.until_next_second(),
        };
        tokio::select! {
            // Keys first: the operator is never queued behind a flood of output.
            biased;
            ev = events.recv() => match ev {
                Some(Ok(Event::Key(key))) => batch.push(Action::Key(key)),
                Some(Ok(Event::Resize(..))) => draw_now = true,
                Some(Ok(_)) => continue,
                // A terminal that cannot be read any more has gone away, like a hang-up:
                // the run goes on and resumes; nothing here is an error of the console's.
                Some(Err(e)) => {
                    tracing::info!(error = %e, "the terminal went away; the run can be resumed");
                    return Ok("the terminal went away");
                }
                None => return Ok("the terminal went away"),
            },
            Some(action) = rx.recv() => {
                // Merge whatever else is already queued into this one redraw, up to a bound
                // on the work, so the screen and the keys keep their pace during a flood.
                let mut bytes = output_len(&action);
                batch.push(action);
                while batch.len() < 256 && bytes < BATCH_BYTES {
                    match rx.try_recv() {
                        Ok(a) => {
                            bytes += output_len(&a);
                            batch.push(a);
                        }
                        Err(_) => break,
                    }
                }
            }
            // The second ticked, or background data is due on screen.
            () = tokio::time::sleep(wake) => draw_now = true,
            // The run goes on without this console (its journal resumes it), and so does
            // the maintenance silence, which ends at its own time if nobody comes back.
            _ = term.recv() => {
                tracing::info!("SIGTERM: leaving the console; the run can be resumed");
                return Ok("SIGTERM");
            }
            _ = hangup.recv() => {
                tracing::info!("SIGHUP: the terminal went away; the run can be resumed");
                return Ok("the terminal hung up");
            }
        }
        // Another console asking to take over: a look a second, a question once.
        // It waits while the operator is answering something else.
        if io.looked.elapsed() >= std::time::Duration::from_secs(1)
            && state.modal.is_none()
            && let Some(req) = {
                io.looked = std::time::Instant::now();
                crate::driver::takeover_request(&io.run_dir)
            }
            && io.asked.as_ref() != Some(&req)
        {
            batch.push(Action::HandoverAsked(req.operator.clone()));
            io.asked = Some(req);
        }
        // Votes approvers handed in from their own terminals: looked for every second (the
        // console is the journal's one writer). Not while the journal cannot record them.
        if io.votes_seen.elapsed() >= std::time::Duration::from_secs(1)
            && io.journal.failed().is_none()
        {
            io.votes_seen = std::time::Instant::now();
            // A file put aside fails to move only by a fault; it is still read once.
            let fresh: Vec<_> = crate::votes::scan(&io.run_dir)
                .into_iter()
                .filter(|v| io.votes_taken.insert(v.file.clone()))
                .collect();
            batch.extend(fresh.into_iter().map(|v| Action::VoteFiled(Box::new(v))));
        }
        // Who watches from other terminals: their heartbeats, looked at every few seconds.
        if io.watchers_seen.elapsed() >= std::time::Duration::from_secs(5) {
            io.watchers_seen = std::time::Instant::now();
            let now = crate::heartbeat::watchers(&io.run_dir);
            if now != state.watchers {
                batch.push(Action::Watchers(now));
            }
        }
        let pace = batch.iter().map(pace).min().unwrap_or(Pace::WithTheSecond);
        io.summarize(state, &batch);
        let mut effects = app::update(state, Action::Tick(clock.now()));
        for action in batch {
            effects.extend(app::update(state, action));
        }
        if io.journal.failed().is_none()
            && let Err(why) = io.journal.sync_if_older(std::time::Duration::from_secs(1))
        {
            state.rewind(&io.history);
            app::update(state, Action::JournalFailed(why));
        }
        if let Some(effects) = commit(state, io, effects)
            && let Flow::Quit = run_effects(state, io, effects).await
        {
            return Ok("quit");
        }
        if state.quit {
            return Ok("quit");
        }
        // Keys and the acting are drawn at once; samples wait for the second's frame (as
        // htop refreshes once a second), output for a tenth of one: idle, that is one
        // frame a second instead of one per poll.
        let now = tokio::time::Instant::now();
        let due = match pace {
            Pace::Now => now,
            Pace::Soon => now + OUTPUT_FRAME,
            Pace::WithTheSecond => now + SECOND_FRAME,
        };
        let due = draw_due.map_or(due, |d| d.min(due));
        if draw_now || due <= now {
            draw_due = None;
            if draw(terminal, state).is_err() {
                return Ok("the terminal went away");
            }
        } else {
            draw_due = Some(due);
        }
    }
}

/// How soon what an action changed must be on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Pace {
    Now,
    Soon,
    WithTheSecond,
}

/// Output of a running step is drawn at most this long after it arrived.
const OUTPUT_FRAME: std::time::Duration = std::time::Duration::from_millis(100);
/// A sample is drawn with the next second's frame, and never later than this.
const SECOND_FRAME: std::time::Duration = std::time::Duration::from_millis(1000);

fn pace(action: &Action) -> Pace {
    match action {
        Action::Observed(
            Observation::KpiSample { .. }
            | Observation::EndpointProbe { .. }
            | Observation::AmAlerts(_),
        )
        | Action::Watchers(_) => Pace::WithTheSecond,
        Action::Observed(Observation::RunOutput { .. }) => Pace::Soon,
        _ => Pace::Now,
    }
}

async fn run_effects(state: &mut State, io: &mut Io, effects: Vec<Effect>) -> Flow {
    let clock = io.clock;
    for effect in effects {
        match effect {
            Effect::Run {
                target,
                name,
                attempt,
                command,
                timeout,
                env,
            } => {
                tracing::info!(%name, attempt, command = %command.display(), "starting run");
                io.exec.run(target, &name, attempt, &command, timeout, &env);
            }
            Effect::Reattach {
                target,
                name,
                attempt,
            } => {
                tracing::info!(%name, attempt, "re-attaching to a run the journal left open");
                io.exec.reattach(target, &name, attempt);
            }
            Effect::ShowOutput {
                target,
                name,
                attempt,
            } => io.exec.show_output(target, &name, attempt),
            Effect::Cancel { target } => {
                tracing::info!(?target, "cancel requested");
                io.exec.cancel(target);
            }
            Effect::Verify {
                step,
                argv,
                expect,
                timeout,
            } => {
                tracing::info!(step, ?argv, "verifying");
                io.exec.verify(step, argv, expect, timeout);
            }
            Effect::CreateSilence { until } => {
                if let Some(am) = &state.runbook.alertmanager
                    && let Some(silence) = am.silence.clone()
                {
                    let (client, url, vars, tx) = (
                        crate::monitor::http::client_for(&am.connection),
                        am.url.clone(),
                        io.vars.clone(),
                        io.tx.clone(),
                    );
                    let now = clock.now();
                    tracing::info!(%until, "creating the maintenance silence");
                    tokio::spawn(async move {
                        let r = match client {
                            Ok(client) => {
                                alertmanager::create_silence(
                                    &client, &url, &silence, now, until, &vars,
                                )
                                .await
                            }
                            Err(e) => Err(e),
                        };
                        let _ = tx.send(Action::SilenceCreated(r)).await;
                    });
                }
            }
            Effect::Deliver { channel, message } => {
                let Some(ch) = state.runbook.channel(&channel).cloned() else {
                    continue;
                };
                let (client, vars, tx) = (io.client.clone(), io.vars.clone(), io.tx.clone());
                // The text is in the journal; the log says only that one went out.
                tracing::info!(%channel, chars = message.text.chars().count(), "sending a message");
                tokio::spawn(async move {
                    let result =
                        crate::monitor::webhook::deliver(&client, &ch, &message, &vars).await;
                    if let Err(why) = &result {
                        tracing::warn!(%channel, %why, "the message was not sent");
                    }
                    let _ = tx.send(Action::Delivered { channel, result }).await;
                });
            }
            Effect::CanaryRange { canary, end } => {
                let (rb, vars, tx) = (
                    state.runbook.clone(),
                    std::sync::Arc::new(io.vars.clone()),
                    io.tx.clone(),
                );
                tokio::spawn(async move {
                    let ranges = crate::monitor::canary_ranges(rb, canary, end, vars).await;
                    let _ = tx.send(Action::CanaryRanges { canary, ranges }).await;
                });
            }
            Effect::FileVote { file, accepted } => {
                if let Err(e) = crate::votes::file_away(&io.run_dir, &file, accepted) {
                    tracing::warn!(%file, error = %e, "could not put the vote file aside");
                }
            }
            Effect::PostCheckpoint { text } => {
                if let Some(ch) = state.runbook.witness_channel().cloned() {
                    let (client, vars) = (io.client.clone(), io.vars.clone());
                    let message = crate::runbook::channel::Message {
                        text,
                        subject: String::new(),
                        page_state: None,
                        audience: None,
                        runbook: state.runbook.name.clone(),
                        at: state.now,
                    };
                    tokio::spawn(async move {
                        let r =
                            crate::monitor::webhook::deliver(&client, &ch, &message, &vars).await;
                        // The checkpoint is in the journal either way; the witness is extra.
                        if let Err(why) = r {
                            tracing::warn!(%why, "the journal checkpoint was not posted");
                        }
                    });
                }
            }
            Effect::ExpireSilence { id } => {
                expire_silence(state, &io.vars, &id).await;
            }
            Effect::Bell => {
                let mut out = std::io::stdout();
                let _ = out.write_all(b"\x07").and_then(|()| out.flush());
            }
            Effect::AnswerHandover { agreed } => {
                if let Err(e) = crate::driver::answer_takeover(&io.run_dir, agreed) {
                    tracing::warn!(error = %e, "could not answer the takeover request");
                }
            }
            Effect::Quit => return Flow::Quit,
        }
    }
    Flow::Go
}

async fn expire_silence(state: &State, vars: &[(String, String)], id: &str) {
    let Some(am) = &state.runbook.alertmanager else {
        return;
    };
    let expired = match crate::monitor::http::client_for(&am.connection) {
        Ok(client) => alertmanager::expire_silence(&client, &am.url, id, vars).await,
        Err(e) => Err(e),
    };
    match expired {
        Ok(()) => tracing::info!(%id, "maintenance silence expired"),
        Err(e) => {
            tracing::warn!(%id, error = %e, "could not expire the maintenance silence; it ends at its end time")
        }
    }
}

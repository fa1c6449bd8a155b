//! The console's main loop: terminal events, actions from the I/O tasks and the clock
//! become `Action`s; effects go to their runners; the screen is redrawn only when
//! something changed or the visible second ticked.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use color_eyre::eyre::{Result, WrapErr};
use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use crate::app::{self, Action, Effect, State};
use crate::clock::Clock;
use crate::exec::Executor;
use crate::monitor;
use crate::runbook::Runbook;
use crate::ui;

pub struct Options {
    pub runbook: Arc<Runbook>,
    pub run_dir: PathBuf,
    /// Variables for `${NAME}` in URLs and headers, and for step environments.
    pub vars: Vec<(String, String)>,
    pub clock: Clock,
    /// The `warroom` binary, which supervises step runs.
    pub supervisor: PathBuf,
}

/// Actions queued between the I/O tasks and the loop; senders wait when it is full, so a
/// flood of output slows its reader, never the console.
const QUEUE: usize = 1024;
/// Output bytes folded into one redraw at most.
const BATCH_BYTES: usize = 2 * 1024 * 1024;

fn output_len(action: &Action) -> usize {
    match action {
        Action::RunOutput { bytes, .. } => bytes.len(),
        _ => 0,
    }
}

pub async fn run(opts: Options) -> Result<()> {
    let (tx, mut rx) = mpsc::channel(QUEUE);
    let vars = Arc::new(opts.vars.clone());
    let _monitor = monitor::spawn(opts.runbook.clone(), vars, opts.clock, tx.clone())
        .map_err(|e| color_eyre::eyre::eyre!(e))?;
    let mut exec = Executor::new(
        opts.supervisor.clone(),
        opts.run_dir.clone(),
        opts.runbook.dir.clone(),
        opts.vars.clone(),
        tx.clone(),
    );
    let clock = opts.clock;
    let mut state = State::new(opts.runbook.clone(), clock.now());
    tracing::info!(runbook = %opts.runbook.name, run_dir = %opts.run_dir.display(), "console started");

    // ratatui::init installs a panic hook that restores the terminal before the report.
    let mut terminal = ratatui::init();
    let result = event_loop(&mut terminal, &mut state, &mut rx, &mut exec, clock).await;
    ratatui::restore();
    tracing::info!("console stopped");
    result
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    state: &mut State,
    rx: &mut mpsc::Receiver<Action>,
    exec: &mut Executor,
    clock: Clock,
) -> Result<()> {
    let mut events = EventStream::new();
    // A killed or hung-up console still restores the terminal; runs carry on without it.
    let mut term = signal(SignalKind::terminate()).wrap_err("listening for SIGTERM")?;
    let mut hangup = signal(SignalKind::hangup()).wrap_err("listening for SIGHUP")?;
    terminal
        .draw(|f| ui::render(f, state))
        .wrap_err("drawing the console")?;
    loop {
        let mut batch = Vec::new();
        tokio::select! {
            // Keys first: the operator is never queued behind a flood of output.
            biased;
            ev = events.next() => match ev {
                Some(Ok(Event::Key(key))) => batch.push(Action::Key(key)),
                Some(Ok(Event::Resize(..))) => {}
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e).wrap_err("reading the terminal"),
                None => return Ok(()),
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
            () = tokio::time::sleep(clock.until_next_second()) => {}
            _ = term.recv() => {
                tracing::info!("SIGTERM: leaving the console");
                return Ok(());
            }
            _ = hangup.recv() => {
                tracing::info!("SIGHUP: the terminal went away");
                return Ok(());
            }
        }
        let mut effects = app::update(state, Action::Tick(clock.now()));
        for action in batch {
            effects.extend(app::update(state, action));
        }
        for effect in effects {
            match effect {
                Effect::Run {
                    target,
                    name,
                    command,
                    timeout,
                    env,
                } => {
                    tracing::info!(%name, command = %command.display(), "starting run");
                    exec.run(target, &name, &command, timeout, &env);
                }
                Effect::Cancel { target } => {
                    tracing::info!(?target, "cancel requested");
                    exec.cancel(target);
                }
                Effect::Verify {
                    step,
                    argv,
                    expect,
                    timeout,
                } => {
                    tracing::info!(step, ?argv, "verifying");
                    exec.verify(step, argv, expect, timeout);
                }
                Effect::Bell => {
                    let mut out = std::io::stdout();
                    let _ = out.write_all(b"\x07").and_then(|()| out.flush());
                }
                Effect::Quit => return Ok(()),
            }
        }
        if state.quit {
            return Ok(());
        }
        terminal
            .draw(|f| ui::render(f, state))
            .wrap_err("drawing the console")?;
    }
}

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

use crate::app::{self, Action, Effect, SilenceState, State};
use crate::clock::Clock;
use crate::exec::Executor;
use crate::monitor;
use crate::monitor::alertmanager;
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

/// The console draws on a terminal and reads keys from it: refuse early without one.
pub fn require_terminal() -> Result<()> {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
        Ok(())
    } else {
        Err(color_eyre::eyre::eyre!(
            "the console needs a terminal: run it in an interactive session (use `warroom check` to validate a runbook)"
        ))
    }
}

pub async fn run(opts: Options) -> Result<()> {
    require_terminal()?;
    let (tx, mut rx) = mpsc::channel(QUEUE);
    let vars = Arc::new(opts.vars.clone());
    let _monitor = monitor::spawn(opts.runbook.clone(), vars, opts.clock, tx.clone())
        .map_err(|e| color_eyre::eyre::eyre!(e))?;
    let exec = Executor::new(
        opts.supervisor.clone(),
        opts.run_dir.clone(),
        opts.runbook.dir.clone(),
        opts.vars.clone(),
        tx.clone(),
    );
    let clock = opts.clock;
    let mut state = State::new(opts.runbook.clone(), clock.now());
    tracing::info!(runbook = %opts.runbook.name, run_dir = %opts.run_dir.display(), "console started");

    // ratatui::try_init installs a panic hook that restores the terminal before the report.
    let mut terminal = ratatui::try_init().wrap_err("setting up the terminal")?;
    let am_client = monitor::http::client(&monitor::http::Tls::default())
        .map_err(|e| color_eyre::eyre::eyre!(e))?;
    let mut io = Io {
        exec,
        am_client,
        vars: opts.vars.clone(),
        tx,
        clock,
    };
    let result = event_loop(&mut terminal, &mut state, &mut rx, &mut io).await;
    ratatui::restore();
    tracing::info!("console stopped");
    result
}

/// What the loop's effects act through.
struct Io {
    exec: Executor,
    /// For the Alertmanager's silences.
    am_client: reqwest::Client,
    vars: Vec<(String, String)>,
    tx: mpsc::Sender<Action>,
    clock: Clock,
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    state: &mut State,
    rx: &mut mpsc::Receiver<Action>,
    io: &mut Io,
) -> Result<()> {
    let clock = io.clock;
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
                leave(state, &io.am_client, &io.vars).await;
                return Ok(());
            }
            _ = hangup.recv() => {
                tracing::info!("SIGHUP: the terminal went away");
                leave(state, &io.am_client, &io.vars).await;
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
                    io.exec.run(target, &name, &command, timeout, &env);
                }
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
                            io.am_client.clone(),
                            am.url.clone(),
                            io.vars.clone(),
                            io.tx.clone(),
                        );
                        let now = clock.now();
                        tracing::info!(%until, "creating the maintenance silence");
                        tokio::spawn(async move {
                            let r = alertmanager::create_silence(
                                &client, &url, &silence, now, until, &vars,
                            )
                            .await;
                            let _ = tx.send(Action::SilenceCreated(r)).await;
                        });
                    }
                }
                Effect::ExpireSilence { id } => {
                    expire_silence(state, &io.am_client, &io.vars, &id).await
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

/// The run is over for this console: its maintenance silence ends with it.
async fn leave(state: &State, client: &reqwest::Client, vars: &[(String, String)]) {
    if let Some(SilenceState::Active { id, .. }) = state.am.as_ref().map(|a| a.silence.clone()) {
        expire_silence(state, client, vars, &id).await;
    }
}

async fn expire_silence(
    state: &State,
    client: &reqwest::Client,
    vars: &[(String, String)],
    id: &str,
) {
    let Some(am) = &state.runbook.alertmanager else {
        return;
    };
    match alertmanager::expire_silence(client, &am.url, id, vars).await {
        Ok(()) => tracing::info!(%id, "maintenance silence expired"),
        Err(e) => {
            tracing::warn!(%id, error = %e, "could not expire the maintenance silence; it ends at its end time")
        }
    }
}

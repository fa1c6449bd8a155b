//! The terminal the consoles draw on (the driver's and the watcher's): keys read on a
//! thread of their own, a frame drawn whole, the terminal given back without printing to
//! one that may be gone. Beneath both consoles, so neither imports the other.

use anyhow::Result;
use crossterm::event::Event;
use tokio::sync::mpsc;

use crate::app::State;
use crate::ui;

/// Not `EventStream`: in crossterm 0.29 a key that becomes readable in the same poll as the
/// stream's own wake-up is dropped (its source returns on the wake token first, and the
/// edge-triggered tty event is not reported again), so under load a keypress could wait
/// for the next one. A blocking reader is never woken that way.
pub fn terminal_events() -> mpsc::Receiver<std::io::Result<Event>> {
    let (tx, rx) = mpsc::channel(64);
    std::thread::Builder::new()
        .name("terminal-events".into())
        .spawn(move || {
            loop {
                let ev = crossterm::event::read();
                let stop = ev.is_err();
                if tx.blocking_send(ev).is_err() || stop {
                    return;
                }
            }
        })
        .ok();
    rx
}

/// The console draws on a terminal and reads keys from it: refuse early without one.
pub fn require_terminal() -> Result<()> {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
        Ok(())
    } else {
        Err(anyhow::anyhow!(
            "the console needs a terminal: run it in an interactive session (use `warroom check` to validate a runbook)"
        ))
    }
}

/// Gives the terminal back. Not `ratatui::restore`, nor dropping the `Terminal` while the
/// cursor is hidden: both print their failure, and printing to a terminal that is gone (a
/// dropped SSH session) panics; there is nothing left to restore then.
pub fn release(mut terminal: ratatui::DefaultTerminal) {
    let shown = terminal.show_cursor().is_ok();
    let _ = ratatui::try_restore();
    if shown {
        drop(terminal);
    } else {
        std::mem::forget(terminal);
    }
}

/// A frame; failing means the terminal went away (its I/O fails), which is logged.
pub fn draw(terminal: &mut ratatui::DefaultTerminal, state: &State) -> std::io::Result<()> {
    // A frame is shown whole or not at all where the terminal can (synchronized output,
    // mode 2026; others ignore it): a first frame spans several packets over SSH, and half
    // of one is a torn screen.
    crossterm::queue!(
        terminal.backend_mut(),
        crossterm::terminal::BeginSynchronizedUpdate
    )
    .and_then(|()| terminal.draw(|f| ui::render(f, state)).map(|_| ()))
    .and_then(|()| {
        crossterm::execute!(
            terminal.backend_mut(),
            crossterm::terminal::EndSynchronizedUpdate
        )
    })
    .inspect_err(|e| {
        tracing::info!(error = %e, "drawing failed: the terminal went away");
    })
}

//! The key binding table: `update` dispatches through it, and the footer and the help
//! overlay are drawn from it, so the hints cannot drift from what the keys do.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::Pane;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Up,
    Down,
    NextPane,
    PrevPane,
    RunStep,
    Gate,
    TickCheck,
    CancelRun,
    Retry,
    Skip,
    SetT0,
    CancelAutoRollback,
    Baseline,
    Silence,
    Contacts,
    Warnings,
    Incident,
    StatusUpdate,
    CloseRun,
    Rollback,
    Ack,
    PageUp,
    PageDown,
    Help,
    Quit,
    /// An approver watching votes as themselves (their own identity only).
    Vote,
}

impl Command {
    /// Whether the command decides something (and so must be recorded): a console that
    /// cannot record refuses these, and keeps the rest (moving, scrolling, help).
    pub fn acts(self) -> bool {
        !matches!(
            self,
            Self::Up
                | Self::Down
                | Self::NextPane
                | Self::PrevPane
                | Self::Contacts
                | Self::Warnings
                | Self::PageUp
                | Self::PageDown
                | Self::Help
                | Self::Quit
        )
    }
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Everywhere,
    In(Pane),
}

pub struct Binding {
    pub keys: &'static [KeyCode],
    /// How the footer and help name the key.
    pub label: &'static str,
    pub what: &'static str,
    /// The footer's shorter wording.
    pub short: &'static str,
    pub command: Command,
    pub scope: Scope,
    /// Shown in the footer (the help shows every binding).
    pub in_footer: bool,
}

pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: &[KeyCode::Up, KeyCode::Char('k')],
        label: "↑/k",
        what: "move up",
        short: "move up",
        command: Command::Up,
        scope: Scope::Everywhere,
        in_footer: false,
    },
    Binding {
        keys: &[KeyCode::Down, KeyCode::Char('j')],
        label: "↓/j",
        what: "move down",
        short: "move down",
        command: Command::Down,
        scope: Scope::Everywhere,
        in_footer: false,
    },
    Binding {
        keys: &[KeyCode::Tab],
        label: "Tab",
        what: "next pane",
        short: "pane",
        command: Command::NextPane,
        scope: Scope::Everywhere,
        in_footer: true,
    },
    Binding {
        keys: &[KeyCode::BackTab],
        label: "S-Tab",
        what: "previous pane",
        short: "previous pane",
        command: Command::PrevPane,
        scope: Scope::Everywhere,
        in_footer: false,
    },
    Binding {
        keys: &[KeyCode::Enter],
        label: "Enter",
        what: "run or mark done",
        short: "run",
        command: Command::RunStep,
        scope: Scope::In(Pane::Timeline),
        in_footer: true,
    },
    Binding {
        keys: &[KeyCode::Char('g')],
        label: "g",
        what: "go/no-go",
        short: "go/no-go",
        command: Command::Gate,
        scope: Scope::In(Pane::Timeline),
        in_footer: true,
    },
    Binding {
        keys: &[KeyCode::Char('x')],
        label: "x",
        what: "cancel run",
        short: "cancel run",
        command: Command::CancelRun,
        scope: Scope::In(Pane::Timeline),
        in_footer: false,
    },
    Binding {
        keys: &[KeyCode::Char('r')],
        label: "r",
        what: "retry failed step",
        short: "retry",
        command: Command::Retry,
        scope: Scope::In(Pane::Timeline),
        in_footer: false,
    },
    Binding {
        keys: &[KeyCode::Char('s')],
        label: "s",
        what: "skip step",
        short: "skip",
        command: Command::Skip,
        scope: Scope::In(Pane::Timeline),
        in_footer: false,
    },
    Binding {
        keys: &[KeyCode::Char('T')],
        label: "T",
        what: "set T0 to now",
        short: "T0",
        command: Command::SetT0,
        scope: Scope::Everywhere,
        in_footer: false,
    },
    Binding {
        keys: &[KeyCode::Char('b')],
        label: "b",
        what: "capture KPI baselines",
        short: "baseline",
        command: Command::Baseline,
        scope: Scope::Everywhere,
        in_footer: false,
    },
    Binding {
        keys: &[KeyCode::Char('S')],
        label: "S",
        what: "maintenance silence",
        short: "silence",
        command: Command::Silence,
        scope: Scope::Everywhere,
        in_footer: false,
    },
    Binding {
        keys: &[KeyCode::Char('v')],
        label: "v",
        what: "your own vote (watching)",
        short: "vote",
        command: Command::Vote,
        scope: Scope::Everywhere,
        in_footer: false,
    },
    Binding {
        keys: &[KeyCode::Char('C')],
        label: "C",
        what: "contacts and who watches",
        short: "contacts",
        command: Command::Contacts,
        scope: Scope::Everywhere,
        in_footer: false,
    },
    Binding {
        keys: &[KeyCode::Char('!')],
        label: "!",
        what: "the runbook's warnings",
        short: "warnings",
        command: Command::Warnings,
        scope: Scope::Everywhere,
        in_footer: false,
    },
    Binding {
        keys: &[KeyCode::Char('U')],
        label: "U",
        what: "write and send a status update",
        short: "update",
        command: Command::StatusUpdate,
        scope: Scope::Everywhere,
        in_footer: false,
    },
    Binding {
        keys: &[KeyCode::Char('F')],
        label: "F",
        what: "sign off and close the run",
        short: "finish",
        command: Command::CloseRun,
        scope: Scope::Everywhere,
        in_footer: false,
    },
    Binding {
        keys: &[KeyCode::Char('I')],
        label: "I",
        what: "declare or end an incident",
        short: "incident",
        command: Command::Incident,
        scope: Scope::Everywhere,
        in_footer: false,
    },
    Binding {
        keys: &[KeyCode::Char('c')],
        label: "c",
        what: "cancel automatic rollback",
        short: "cancel auto-rollback",
        command: Command::CancelAutoRollback,
        scope: Scope::Everywhere,
        in_footer: false,
    },
    Binding {
        keys: &[KeyCode::Char(' ')],
        label: "Space",
        what: "tick item",
        short: "tick",
        command: Command::TickCheck,
        scope: Scope::In(Pane::Checklist),
        in_footer: true,
    },
    Binding {
        keys: &[KeyCode::Char('a')],
        label: "a",
        what: "ack alert",
        short: "ack",
        command: Command::Ack,
        scope: Scope::Everywhere,
        in_footer: true,
    },
    Binding {
        keys: &[KeyCode::PageUp],
        label: "PgUp",
        what: "scroll output up",
        short: "scroll output up",
        command: Command::PageUp,
        scope: Scope::Everywhere,
        in_footer: false,
    },
    Binding {
        keys: &[KeyCode::PageDown],
        label: "PgDn",
        what: "scroll output down",
        short: "scroll output down",
        command: Command::PageDown,
        scope: Scope::Everywhere,
        in_footer: false,
    },
    Binding {
        keys: &[KeyCode::Char('R')],
        label: "R",
        what: "rollback",
        short: "rollback",
        command: Command::Rollback,
        scope: Scope::Everywhere,
        in_footer: true,
    },
    Binding {
        keys: &[KeyCode::Char('?')],
        label: "?",
        what: "help",
        short: "help",
        command: Command::Help,
        scope: Scope::Everywhere,
        in_footer: true,
    },
    Binding {
        keys: &[KeyCode::Char('q')],
        label: "q",
        what: "quit",
        short: "quit",
        command: Command::Quit,
        scope: Scope::Everywhere,
        in_footer: true,
    },
];

pub fn lookup(key: &KeyEvent, focus: Pane) -> Option<Command> {
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return (key.code == KeyCode::Char('c')).then_some(Command::Quit);
    }
    BINDINGS
        .iter()
        .filter(|b| applies(b, focus))
        .find(|b| b.keys.contains(&key.code))
        .map(|b| b.command)
}

pub fn applies(b: &Binding, focus: Pane) -> bool {
    match b.scope {
        Scope::Everywhere => true,
        Scope::In(p) => p == focus,
    }
}

/// The footer: the keys that apply in the focused pane.
pub fn footer(focus: Pane) -> impl Iterator<Item = &'static Binding> {
    BINDINGS
        .iter()
        .filter(move |b| b.in_footer && applies(b, focus))
}

//! warroom: a terminal mission-control console for deployment day.

pub mod app;
pub mod canary;
pub mod check;
pub mod cli;
pub mod clock;
pub mod console;
pub mod demo;
pub mod driver;
pub mod durable;
pub mod exec;
pub mod exposition;
pub mod heartbeat;
pub mod import;
pub mod journal;
pub mod monitor;
pub mod preflight;
pub mod report;
pub mod rules;
pub mod runbook;
pub mod samples;
pub mod secrets;
pub mod signing;
pub mod terminal;
pub mod ui;
pub mod votes;
pub mod watch;

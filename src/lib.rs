//! warroom: a terminal mission-control console for deployment day.

pub mod app;
pub mod check;
pub mod clock;
pub mod console;
pub mod demo;
pub mod exec;
pub mod monitor;
pub mod runbook;
pub mod ui;

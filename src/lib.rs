//! warroom: a terminal mission-control console for deployment day.

pub mod runbook;

//! Watching: one task per health endpoint and per KPI, each on its own interval, sharing
//! one HTTP client and a bound on concurrent requests; results arrive as `Action`s.

pub mod rules;
pub mod scrape;
pub mod sources;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use crate::app::Action;
use crate::clock::Clock;
use crate::runbook::Runbook;

/// Requests in flight at once, across every poller.
const MAX_IN_FLIGHT: usize = 16;

/// The running pollers; dropping this stops them.
pub struct Monitor {
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Monitor {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

pub fn spawn(
    runbook: Arc<Runbook>,
    vars: Arc<Vec<(String, String)>>,
    clock: Clock,
    tx: mpsc::Sender<Action>,
) -> Result<Monitor, String> {
    let client = sources::client()?;
    let permits = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let mut tasks = Vec::new();
    for i in 0..runbook.kpis.len() {
        let (rb, vars, client, permits, tx) = (
            runbook.clone(),
            vars.clone(),
            client.clone(),
            permits.clone(),
            tx.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let kpi = &rb.kpis[i];
            let timeout = kpi.timeout.to_std().unwrap_or(Duration::from_secs(3));
            let mut tick = tokio::time::interval(clock.real(kpi.interval));
            tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
            loop {
                tick.tick().await;
                let Ok(_permit) = permits.acquire().await else {
                    return;
                };
                let result = sources::poll_kpi(&client, &kpi.source, timeout, &vars, &rb.dir).await;
                if tx.send(Action::KpiSample { kpi: i, result }).await.is_err() {
                    return;
                }
            }
        }));
    }
    for i in 0..runbook.endpoints.len() {
        let (rb, vars, client, permits, tx) = (
            runbook.clone(),
            vars.clone(),
            client.clone(),
            permits.clone(),
            tx.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let ep = &rb.endpoints[i];
            let mut tick = tokio::time::interval(clock.real(ep.interval));
            tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
            loop {
                tick.tick().await;
                let Ok(_permit) = permits.acquire().await else {
                    return;
                };
                let probe = sources::probe(&client, ep, &vars).await;
                if tx
                    .send(Action::EndpointProbe { endpoint: i, probe })
                    .await
                    .is_err()
                {
                    return;
                }
            }
        }));
    }
    Ok(Monitor { tasks })
}

//! Watching: one task per health endpoint and per KPI, each on its own interval, sharing
//! one HTTP client and a bound on concurrent requests; results arrive as `Action`s.

pub mod alertmanager;
pub mod command;
pub mod health;
pub mod http;
pub mod json;
pub mod prometheus;
pub mod scrape;
pub mod webhook;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use crate::app::{Action, Fault, FaultKind, Probe, Reading};
use crate::clock::Clock;
use crate::runbook::{Health, KpiSource, Runbook};

/// Requests in flight at once, across every poller.
const MAX_IN_FLIGHT: usize = 16;

/// A replayed KPI: at each of its intervals on the rehearsal clock, the series' value at
/// that moment (none before its first point), as a poll would bring it.
async fn feed(
    rb: Arc<Runbook>,
    i: usize,
    series: Arc<crate::replay::Series>,
    t0: chrono::DateTime<chrono::Utc>,
    clock: Clock,
    tx: mpsc::Sender<Action>,
) {
    let kpi = &rb.kpis[i];
    let mut tick = tokio::time::interval(clock.real(kpi.interval));
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        let Some(value) = series.value_at(&kpi.id, clock.now() - t0) else {
            continue;
        };
        let result = Ok(Reading::from(value));
        if tx.send(Action::KpiSample { kpi: i, result }).await.is_err() {
            return;
        }
    }
}

/// A source's failure as the gauge shows it: the HTTP layer's own timeout told apart.
pub fn fault(why: String) -> Fault {
    let kind = if why == http::TIMEOUT {
        FaultKind::Timeout
    } else {
        FaultKind::Failed
    };
    Fault::new(kind, why)
}

/// One poll of a KPI, whatever its source.
pub async fn poll_kpi(
    client: &reqwest::Client,
    source: &KpiSource,
    timeout: Duration,
    vars: &[(String, String)],
    dir: &Path,
) -> Result<Reading, Fault> {
    match source {
        KpiSource::Json { url, pointer } => json::poll(client, url, pointer, timeout, vars)
            .await
            .map(Reading::from)
            .map_err(fault),
        KpiSource::Scrape {
            url,
            metric,
            labels,
            aggregate,
            rules,
        } => {
            let selector = scrape::Selector {
                metric,
                labels,
                aggregate: *aggregate,
            };
            scrape::poll(client, url, &selector, *rules, timeout, vars)
                .await
                .map_err(fault)
        }
        KpiSource::Prometheus {
            url,
            query,
            aggregate,
        } => prometheus::poll(client, url, query, *aggregate, timeout, vars).await,
        KpiSource::Command { argv } => command::poll(argv, timeout, vars, dir)
            .await
            .map(Reading::from)
            .map_err(fault),
    }
}

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

/// A rehearsal's recorded series, and the T0 its offsets count from: the KPIs it holds are
/// fed from it instead of polled.
pub struct Replayed {
    pub series: Arc<crate::replay::Series>,
    pub t0: chrono::DateTime<chrono::Utc>,
}

pub fn spawn(
    runbook: Arc<Runbook>,
    vars: Arc<Vec<(String, String)>>,
    clock: Clock,
    tx: mpsc::Sender<Action>,
    replayed: Option<Replayed>,
) -> Result<Monitor, String> {
    let client = http::client(&http::Tls::default())?;
    let permits = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let mut tasks = Vec::new();
    for i in 0..runbook.kpis.len() {
        if let Some(r) = &replayed
            && r.series.kpis().contains(&runbook.kpis[i].id.as_str())
        {
            tasks.push(tokio::spawn(feed(
                runbook.clone(),
                i,
                r.series.clone(),
                r.t0,
                clock,
                tx.clone(),
            )));
            continue;
        }
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
                let result = poll_kpi(&client, &kpi.source, timeout, &vars, &rb.dir).await;
                if tx.send(Action::KpiSample { kpi: i, result }).await.is_err() {
                    return;
                }
            }
        }));
    }
    for i in 0..runbook.endpoints.len() {
        let (rb, vars, permits, tx) = (runbook.clone(), vars.clone(), permits.clone(), tx.clone());
        let ep = &runbook.endpoints[i];
        let tls = http::Tls {
            insecure: ep.insecure,
            ca_file: ep.ca_file.clone(),
        };
        // Endpoints with TLS options of their own get a client of their own.
        let client = if tls == http::Tls::default() {
            Ok(client.clone())
        } else {
            http::client(&tls)
        };
        tasks.push(tokio::spawn(async move {
            let ep = &rb.endpoints[i];
            let mut tick = tokio::time::interval(clock.real(ep.interval));
            tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
            loop {
                tick.tick().await;
                let probe = match &client {
                    Ok(client) => {
                        let Ok(_permit) = permits.acquire().await else {
                            return;
                        };
                        health::probe(client, ep, &vars).await
                    }
                    Err(e) => Probe {
                        health: Health::Down,
                        latency: None,
                        reason: Some(e.clone()),
                    },
                };
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
    if let Some(am) = runbook.alertmanager.clone() {
        let (vars, client, tx) = (vars.clone(), client.clone(), tx.clone());
        tasks.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(clock.real(am.interval));
            tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
            loop {
                tick.tick().await;
                let result = alertmanager::alerts(&client, &am.url, &vars).await;
                if tx.send(Action::AmAlerts(result)).await.is_err() {
                    return;
                }
            }
        }));
    }
    Ok(Monitor { tasks })
}

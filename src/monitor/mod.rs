//! Watching: one task per health endpoint and per KPI, each on its own interval, sharing
//! one HTTP client and a bound on concurrent requests; results arrive as `Action`s.

pub mod alertmanager;
pub mod command;
pub mod email;
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

use crate::app::{Action, Fault, FaultKind, Observation, Reading};
use crate::clock::Clock;
use crate::runbook::{KpiSource, Runbook};

/// Requests in flight at once, across every poller.
const MAX_IN_FLIGHT: usize = 16;

/// A replayed KPI: at each of its intervals on the rehearsal clock, the series' value at
/// that moment (none before its first point), as a poll would bring it.
async fn feed(
    rb: Arc<Runbook>,
    i: usize,
    series: Arc<crate::runbook::series::Series>,
    t0: chrono::DateTime<chrono::Utc>,
    clock: Clock,
    tx: mpsc::Sender<Action>,
) {
    let kpi = &rb.kpis[i];
    loop {
        let since = clock.now() - t0;
        let next = tokio::time::Instant::now() + clock.real(kpi.interval_at(since));
        if let Some(value) = series.value_at(&kpi.id, since) {
            let result = Ok(Reading::from(value));
            if tx
                .send(Action::Observed(Observation::KpiSample { kpi: i, result }))
                .await
                .is_err()
            {
                return;
            }
        }
        tokio::time::sleep_until(next).await;
    }
}

/// A Prometheus KPI's recent past, once at start, beside its polls (never before the
/// first frame, never delaying a poll): as many points as the sparkline keeps, at the
/// KPI's interval. On the real clock only; a rehearsal's past is its replayed series.
async fn history(
    rb: Arc<Runbook>,
    i: usize,
    client: http::Client,
    vars: Arc<Vec<(String, String)>>,
    permits: Arc<Semaphore>,
    t0: chrono::DateTime<chrono::Utc>,
    tx: mpsc::Sender<Action>,
) {
    let kpi = &rb.kpis[i];
    let KpiSource::Prometheus {
        url,
        query,
        aggregate,
    } = &kpi.source
    else {
        return;
    };
    let Ok(_permit) = permits.acquire().await else {
        return;
    };
    let now = chrono::Utc::now();
    let step = kpi
        .interval_at(now - t0)
        .to_std()
        .unwrap_or(Duration::from_secs(5));
    // A range of 120 points costs the server more than one sample: twice the poll's time.
    let timeout = kpi.timeout.to_std().unwrap_or(Duration::from_secs(3)) * 2;
    let result = prometheus::history(
        &client,
        url,
        query,
        *aggregate,
        now,
        step,
        crate::app::HISTORY,
        timeout,
        &vars,
    )
    .await;
    if let Err(why) = &result {
        tracing::info!(kpi = %kpi.id, %why, "no history for the sparkline; live samples only");
    }
    let _ = tx
        .send(Action::Observed(Observation::KpiHistory { kpi: i, result }))
        .await;
}

/// The range queries of canary analysis `c`'s ranged metrics over its window up to `end`:
/// per metric, the baseline's and the canary's values at each KPI's interval, or why not.
pub async fn canary_ranges(
    rb: Arc<Runbook>,
    c: usize,
    end: chrono::DateTime<chrono::Utc>,
    vars: Arc<Vec<(String, String)>>,
) -> Vec<crate::canary::RangeAnswer> {
    let Some(analysis) = rb.canaries.get(c) else {
        return Vec::new();
    };
    let side = |id: &str| {
        let (rb, vars) = (rb.clone(), vars.clone());
        let id = id.to_owned();
        let start = end - analysis.window;
        async move {
            let kpi = rb
                .kpis
                .iter()
                .find(|k| k.id == id)
                .ok_or_else(|| format!("no KPI `{id}`"))?;
            let KpiSource::Prometheus {
                url,
                query,
                aggregate,
            } = &kpi.source
            else {
                return Err(format!("`{id}` is not a prometheus KPI"));
            };
            let client = http::client_for(&kpi.connection)?;
            let step = kpi.interval.to_std().unwrap_or(Duration::from_secs(5));
            // A window of points costs the server more than one sample.
            let timeout = kpi.timeout.to_std().unwrap_or(Duration::from_secs(3)) * 2;
            prometheus::range(
                &client,
                url,
                query,
                *aggregate,
                (start, end),
                step,
                timeout,
                &vars,
            )
            .await
            .map_err(|why| format!("{id}: {why}"))
        }
    };
    let mut out = Vec::new();
    for (m, source) in analysis.sources.iter().enumerate() {
        let (true, crate::runbook::canary::CanarySource::Samples { baseline, canary }) =
            (analysis.ranged.get(m).copied().unwrap_or(false), source)
        else {
            continue;
        };
        let (b, k) = tokio::join!(side(baseline), side(canary));
        out.push((m, b.and_then(|b| k.map(|k| (b, k)))));
    }
    out
}

/// A source's failure as the gauge shows it: a timeout and refused credentials told apart.
pub fn fault(why: String) -> Fault {
    let kind = match why.as_str() {
        http::TIMEOUT => FaultKind::Timeout,
        http::UNAUTHORIZED => FaultKind::Unauthorized,
        http::FORBIDDEN => FaultKind::Forbidden,
        _ => FaultKind::Failed,
    };
    Fault::new(kind, why)
}

/// One poll of a KPI, whatever its source.
pub async fn poll_kpi(
    client: &crate::monitor::http::Client,
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

/// One poll of a text KPI: a command's trimmed output, the JSON value at the pointer (a
/// string as it is, anything else as JSON).
pub async fn poll_kpi_text(
    client: &crate::monitor::http::Client,
    source: &KpiSource,
    timeout: Duration,
    vars: &[(String, String)],
    dir: &Path,
) -> Result<String, Fault> {
    match source {
        KpiSource::Json { url, pointer } => json::poll_text(client, url, pointer, timeout, vars)
            .await
            .map_err(fault),
        KpiSource::Command { argv } => command::poll_text(argv, timeout, vars, dir)
            .await
            .map_err(fault),
        // `check` refuses text from the other sources.
        other => Err(fault(format!("a `{}` source gives no text", other.kind()))),
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

/// Starts every poller. `t0` is the run's T0 (KPI schedules and a replayed series count
/// from it); `replay`, a rehearsal's recorded series, feeds the KPIs it holds instead of
/// their sources.
pub fn spawn(
    runbook: Arc<Runbook>,
    vars: Arc<Vec<(String, String)>>,
    clock: Clock,
    t0: chrono::DateTime<chrono::Utc>,
    tx: mpsc::Sender<Action>,
    replay: Option<Arc<crate::runbook::series::Series>>,
) -> Result<Monitor, String> {
    let permits = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let mut tasks = Vec::new();
    for i in 0..runbook.kpis.len() {
        if let Some(series) = &replay
            && series.kpis().contains(&runbook.kpis[i].id.as_str())
        {
            tasks.push(tokio::spawn(feed(
                runbook.clone(),
                i,
                series.clone(),
                t0,
                clock,
                tx.clone(),
            )));
            continue;
        }
        let (rb, vars, permits, tx) = (runbook.clone(), vars.clone(), permits.clone(), tx.clone());
        let client = http::client_for(&runbook.kpis[i].connection);
        if let (KpiSource::Prometheus { .. }, Ok(client), Clock::Real) =
            (&runbook.kpis[i].source, &client, clock)
        {
            tasks.push(tokio::spawn(history(
                runbook.clone(),
                i,
                client.clone(),
                vars.clone(),
                permits.clone(),
                t0,
                tx.clone(),
            )));
        }
        tasks.push(tokio::spawn(async move {
            let kpi = &rb.kpis[i];
            let timeout = kpi.timeout.to_std().unwrap_or(Duration::from_secs(3));
            loop {
                // The interval as it stands now: a schedule changes it over the run.
                let every = clock.real(kpi.interval_at(clock.now() - t0));
                let next = tokio::time::Instant::from_std(
                    clock.poll_at(std::time::Instant::now() + every),
                );
                {
                    let Ok(_permit) = permits.acquire().await else {
                        return;
                    };
                    let observed = match (&client, kpi.text) {
                        (Ok(client), false) => Observation::KpiSample {
                            kpi: i,
                            result: poll_kpi(client, &kpi.source, timeout, &vars, &rb.dir).await,
                        },
                        (Ok(client), true) => Observation::KpiText {
                            kpi: i,
                            result: poll_kpi_text(client, &kpi.source, timeout, &vars, &rb.dir)
                                .await,
                        },
                        (Err(e), false) => Observation::KpiSample {
                            kpi: i,
                            result: Err(fault(e.clone())),
                        },
                        (Err(e), true) => Observation::KpiText {
                            kpi: i,
                            result: Err(fault(e.clone())),
                        },
                    };
                    if tx.send(Action::Observed(observed)).await.is_err() {
                        return;
                    }
                }
                // A poll slower than the interval still leaves the source a breath.
                tokio::time::sleep_until(next.max(tokio::time::Instant::now() + every / 2)).await;
            }
        }));
    }
    for i in 0..runbook.endpoints.len() {
        let (rb, vars, permits, tx) = (runbook.clone(), vars.clone(), permits.clone(), tx.clone());
        let client = http::client_for(&runbook.endpoints[i].connection);
        tasks.push(tokio::spawn(async move {
            let ep = &rb.endpoints[i];
            let mut next = tokio::time::Instant::now();
            loop {
                // Like a missed tick skipped: a slow probe is followed by a whole interval.
                tokio::time::sleep_until(next).await;
                next = tokio::time::Instant::from_std(clock.poll_at(
                    std::time::Instant::now() + clock.real(ep.interval_at(clock.now() - t0)),
                ));
                let probe = match &client {
                    Ok(client) => {
                        let Ok(_permit) = permits.acquire().await else {
                            return;
                        };
                        health::probe(client, ep, &vars).await
                    }
                    Err(e) => health::unprobed(e.clone()),
                };
                if tx
                    .send(Action::Observed(Observation::EndpointProbe {
                        endpoint: i,
                        probe,
                    }))
                    .await
                    .is_err()
                {
                    return;
                }
            }
        }));
    }
    if let Some(am) = runbook.alertmanager.clone() {
        let (vars, tx) = (vars.clone(), tx.clone());
        let client = http::client_for(&am.connection);
        tasks.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(clock.real(am.interval));
            tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
            loop {
                tick.tick().await;
                let result = match &client {
                    Ok(client) => {
                        let timeout = am.timeout.to_std().unwrap_or(Duration::from_secs(5));
                        alertmanager::alerts(client, &am.url, timeout, &vars).await
                    }
                    Err(e) => Err(e.clone()),
                };
                if tx
                    .send(Action::Observed(Observation::AmAlerts(result)))
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

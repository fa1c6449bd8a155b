//! The demo target: a simulated service with a blue and a green version behind a traffic
//! split. It serves health, a Prometheus text page, JSON metrics and a tiny Prometheus
//! query API, and has control endpoints to shift traffic and inject a fault into green.
//! Its numbers are noisy and move gradually, like a real service's.

pub mod detached;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

/// Seconds a fault takes to reach full strength, and to fade after it is cleared.
const RAMP_SECS: f64 = 6.0;

#[derive(Debug)]
struct Sim {
    started: Instant,
    green_pct: f64,
    /// When the fault was injected or cleared, and whether it is on.
    fault: Option<Instant>,
    cleared: Option<(Instant, f64)>,
    requests: [f64; 2],
    errors: [f64; 2],
    last: Instant,
    rng: fastrand::Rng,
    /// Status updates posted to the stand-in chat webhook, newest last (the last 50).
    posted: Vec<String>,
    /// Faults beyond green's, by kind, since when: `replication` (the replica falls
    /// behind), `queue` (the orders queue backs up), `region-eu`, `region-us` (a region
    /// goes down).
    faults: std::collections::BTreeMap<String, Instant>,
    /// Where the state an operator set (traffic, faults, posted updates) is kept, so a
    /// console restarted on the same run finds the target as it left it.
    save_to: Option<std::path::PathBuf>,
    /// Silences created through the Alertmanager stand-in: id, matchers, until when.
    silences: Vec<DemoSilence>,
    /// What the target served, every 5 s for the last half hour (Unix seconds, samples):
    /// the history its `query_range` answers from, as a console opened mid-run asks.
    past: std::collections::VecDeque<(f64, Vec<crate::exposition::Sample>)>,
}

/// How often, and how long, the target keeps what it served.
const PAST_EVERY_SECS: f64 = 5.0;
const PAST_KEPT: usize = 360;

/// A silence as the Alertmanager stand-in keeps it.
#[derive(Debug, Clone)]
struct DemoSilence {
    id: String,
    /// Label name, value or pattern, whether it is a regex.
    matchers: Vec<(String, String, bool)>,
    ends: chrono::DateTime<chrono::Utc>,
}

impl DemoSilence {
    fn matches(&self, labels: &[(&str, &str)]) -> bool {
        self.matchers.iter().all(|(name, value, regex)| {
            let got = labels
                .iter()
                .find(|(k, _)| k == name)
                .map_or("", |(_, v)| v);
            if *regex {
                // Anchored, as Alertmanager's are.
                regex_lite::Regex::new(&format!("^(?:{value})$")).is_ok_and(|r| r.is_match(got))
            } else {
                got == value
            }
        })
    }
}

/// The demo target's state that outlives its process: what the runbook's scripts set.
#[derive(Debug, Default, serde::Serialize, Deserialize)]
struct Saved {
    green_pct: f64,
    fault: bool,
    faults: Vec<String>,
    posted: Vec<String>,
}

/// The faults `POST /control/fault?kind=` takes besides green's (no kind).
pub const FAULT_KINDS: [&str; 4] = ["replication", "queue", "region-eu", "region-us"];

/// What the other faults do to the database, the queue and the regions.
#[derive(Debug, Clone, Copy)]
struct Backend {
    replication_lag_s: f64,
    queue_depth: f64,
    region_up: [bool; 2],
}

#[derive(Debug, Clone, Copy)]
struct Version {
    error_pct: f64,
    p95_ms: f64,
    rps: f64,
}

#[derive(Debug, Clone, Copy)]
struct Snapshot {
    blue: Version,
    green: Version,
    error_pct: f64,
    p95_ms: f64,
    rps: f64,
    cpu_pct: f64,
    memory_pct: f64,
    db_connections: f64,
    green_pct: f64,
    fault: f64,
}

impl Sim {
    fn new(seed: u64) -> Self {
        let now = Instant::now();
        Self {
            started: now,
            green_pct: 0.0,
            fault: None,
            cleared: None,
            requests: [0.0; 2],
            errors: [0.0; 2],
            last: now,
            rng: fastrand::Rng::with_seed(seed),
            posted: Vec::new(),
            faults: std::collections::BTreeMap::new(),
            save_to: None,
            silences: Vec::new(),
            past: std::collections::VecDeque::new(),
        }
    }

    /// A target that keeps its state in `path`, starting from what is there: faults found
    /// on are at full strength at once (they were when the last process stopped).
    fn saved(seed: u64, path: std::path::PathBuf) -> Self {
        let mut sim = Self::new(seed);
        let saved: Saved = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let now = Instant::now();
        let ramped = now
            .checked_sub(std::time::Duration::from_secs_f64(RAMP_SECS))
            .unwrap_or(now);
        sim.green_pct = saved.green_pct.clamp(0.0, 100.0);
        sim.fault = saved.fault.then_some(ramped);
        sim.faults = saved
            .faults
            .into_iter()
            .filter(|k| FAULT_KINDS.contains(&k.as_str()))
            .map(|k| (k, now))
            .collect();
        sim.posted = saved.posted;
        sim.save_to = Some(path);
        sim
    }

    /// Keeps what the scripts set; a failure to write is logged, never fatal to the target.
    fn save(&self) {
        let Some(path) = &self.save_to else { return };
        let saved = Saved {
            green_pct: self.green_pct,
            fault: self.fault.is_some(),
            faults: self.faults.keys().cloned().collect(),
            posted: self.posted.clone(),
        };
        let written = serde_json::to_vec(&saved)
            .map_err(std::io::Error::other)
            .and_then(|b| crate::durable::write_atomic(path, &b));
        if let Err(e) = written {
            tracing::warn!(error = %e, path = %path.display(), "demo target: cannot keep its state");
        }
    }

    /// Seconds since a fault of this kind was injected, if it is on.
    fn fault_for(&self, kind: &str) -> Option<f64> {
        self.faults.get(kind).map(|at| at.elapsed().as_secs_f64())
    }

    fn backend(&mut self) -> Backend {
        let lag = self.fault_for("replication");
        let queue = self.fault_for("queue");
        Backend {
            // A replica keeps up within a second; behind, it loses five seconds a second.
            replication_lag_s: (0.3 + self.noise(0.2)).max(0.0)
                + lag.map_or(0.0, |t| (5.0 * t).min(900.0)),
            queue_depth: (20.0 + self.noise(6.0)).max(0.0).round()
                + queue.map_or(0.0, |t| (40.0 * t).min(50_000.0)).round(),
            region_up: [
                self.fault_for("region-eu").is_none(),
                self.fault_for("region-us").is_none(),
            ],
        }
    }

    /// 0..1: how strong the fault is now (ramps up when injected, down when cleared).
    fn fault_level(&self) -> f64 {
        match (self.fault, self.cleared) {
            (Some(at), _) => (at.elapsed().as_secs_f64() / RAMP_SECS).min(1.0),
            (None, Some((at, from))) => (from - at.elapsed().as_secs_f64() / RAMP_SECS).max(0.0),
            (None, None) => 0.0,
        }
    }

    fn noise(&mut self, scale: f64) -> f64 {
        (self.rng.f64() - 0.5) * 2.0 * scale
    }

    fn snapshot(&mut self) -> Snapshot {
        let fault = self.fault_level();
        let t = self.started.elapsed().as_secs_f64();
        // A slow daily-traffic-like wave under the noise.
        let wave = (t / 40.0).sin();
        let total_rps = (240.0 + 25.0 * wave + self.noise(12.0)).max(1.0);
        let share = self.green_pct / 100.0;
        let blue = Version {
            error_pct: (0.05 + self.noise(0.03)).max(0.0),
            p95_ms: 118.0 + 8.0 * wave + self.noise(9.0),
            rps: total_rps * (1.0 - share),
        };
        let green = Version {
            error_pct: (0.12 + self.noise(0.05) + fault * (32.0 + self.noise(3.0))).max(0.0),
            p95_ms: 104.0 + self.noise(8.0) + fault * (780.0 + self.noise(60.0)),
            rps: total_rps * share,
        };
        let error_pct = blue.error_pct * (1.0 - share) + green.error_pct * share;
        let p95_ms = if share > 0.05 {
            blue.p95_ms.max(green.p95_ms * share.sqrt().max(0.5))
        } else {
            blue.p95_ms
        };
        // Counters advance with the simulated request rate, as a scraper expects.
        let dt = self.last.elapsed().as_secs_f64();
        self.last = Instant::now();
        for (i, v) in [blue, green].iter().enumerate() {
            self.requests[i] += v.rps * dt;
            self.errors[i] += v.rps * dt * v.error_pct / 100.0;
        }
        Snapshot {
            blue,
            green,
            error_pct,
            p95_ms,
            rps: total_rps,
            cpu_pct: (34.0 + 6.0 * wave + 18.0 * fault * share + self.noise(3.0)).clamp(0.0, 100.0),
            memory_pct: (56.0 + 0.02 * t.min(600.0) + self.noise(1.5)).clamp(0.0, 100.0),
            db_connections: (38.0 + 4.0 * wave + 45.0 * fault * share + self.noise(3.0))
                .round()
                .max(0.0),
            green_pct: self.green_pct,
            fault,
        }
    }
}

type Shared = Arc<Mutex<Sim>>;

fn snapshot(sim: &Shared) -> Snapshot {
    // A poisoned lock only means a handler panicked mid-update; the numbers are still usable.
    let mut s = sim
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    s.snapshot()
}

pub fn router(seed: u64) -> Router {
    routes(Sim::new(seed))
}

fn routes(sim: Sim) -> Router {
    let sim: Shared = Arc::new(Mutex::new(sim));
    Router::new()
        .route("/api/health", get(health_all))
        .route("/api/health/blue", get(health_blue))
        .route("/api/health/green", get(health_green))
        .route("/api/health/region/{region}", get(health_region))
        .route("/metrics", get(metrics_text))
        .route("/api/metrics", get(metrics_json))
        .route("/api/v1/query", get(prom_query))
        .route("/api/v1/query_range", get(prom_query_range))
        .route("/control/traffic", post(set_traffic))
        .route("/control/fault", post(inject_fault).delete(clear_fault))
        .route("/control/state", get(control_state))
        .route("/hooks/status", post(post_status).get(posted_statuses))
        .route("/api/v2/alerts", get(am_alerts))
        .route("/api/v2/silences", post(am_create_silence))
        .route(
            "/api/v2/silence/{id}",
            axum::routing::delete(am_expire_silence),
        )
        .with_state(sim)
}

/// Binds `addr` and serves until the task is dropped; returns the bound address.
pub async fn serve(addr: SocketAddr) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    serve_keeping(addr, None).await
}

/// As [`serve`], the state the scripts set kept in `state` (a run directory's file) and
/// taken up from it when it is there.
pub async fn serve_keeping(
    addr: SocketAddr,
    state: Option<std::path::PathBuf>,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let seed = u64::from(bound.port());
    let sim = match state {
        Some(path) => Sim::saved(seed, path),
        None => Sim::new(seed),
    };
    let handle = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, routes(sim)).await {
            tracing::error!(error = %e, "demo target stopped");
        }
    });
    Ok((bound, handle))
}

async fn health_all(State(sim): State<Shared>) -> Response {
    let s = snapshot(&sim);
    let status = if s.error_pct > 2.0 {
        "degraded"
    } else {
        "healthy"
    };
    Json(json!({"status": status, "green_percent": s.green_pct, "versions": {"blue": "v1.4.2", "green": "v1.5.0"}})).into_response()
}

async fn health_blue(State(sim): State<Shared>) -> Response {
    let s = snapshot(&sim);
    Json(json!({"status": "healthy", "version": "v1.4.2", "p95_ms": s.blue.p95_ms})).into_response()
}

async fn health_green(State(sim): State<Shared>) -> Response {
    let s = snapshot(&sim);
    if s.fault > 0.5 {
        return (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "unhealthy", "version": "v1.5.0", "error_rate_pct": s.green.error_pct}))).into_response();
    }
    let status = if s.fault > 0.1 { "degraded" } else { "healthy" };
    Json(json!({"status": status, "version": "v1.5.0", "p95_ms": s.green.p95_ms})).into_response()
}

async fn health_region(
    State(sim): State<Shared>,
    axum::extract::Path(region): axum::extract::Path<String>,
) -> Response {
    let b = backend(&sim);
    let up = match region.as_str() {
        "eu" => b.region_up[0],
        "us" => b.region_up[1],
        _ => return (StatusCode::NOT_FOUND, "no such region (eu, us)").into_response(),
    };
    if up {
        Json(json!({"status": "healthy", "region": region})).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "down", "region": region})),
        )
            .into_response()
    }
}

fn backend(sim: &Shared) -> Backend {
    sim.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .backend()
}

async fn metrics_json(State(sim): State<Shared>) -> Response {
    let s = snapshot(&sim);
    let b = backend(&sim);
    Json(json!({
        "replication_lag_s": round(b.replication_lag_s, 2),
        "queue_depth": b.queue_depth,
        "error_rate_pct": round(s.error_pct, 3),
        "p95_ms": round(s.p95_ms, 1),
        "request_rate": round(s.rps, 1),
        "cpu_pct": round(s.cpu_pct, 1),
        "memory_pct": round(s.memory_pct, 1),
        "db_connections": s.db_connections,
        "green_percent": s.green_pct,
        "versions": {
            "blue": {"error_rate_pct": round(s.blue.error_pct, 3), "p95_ms": round(s.blue.p95_ms, 1), "request_rate": round(s.blue.rps, 1)},
            "green": {"error_rate_pct": round(s.green.error_pct, 3), "p95_ms": round(s.green.p95_ms, 1), "request_rate": round(s.green.rps, 1)}
        }
    }))
    .into_response()
}

fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

fn exposition(sim: &Shared) -> String {
    let s = snapshot(sim);
    let (requests, errors) = {
        let g = sim
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        (g.requests, g.errors)
    };
    let by_version =
        |blue: f64, green: f64| vec![("version=\"blue\"", blue), ("version=\"green\"", green)];
    let mut out = String::new();
    family(
        &mut out,
        "demo_requests_total",
        "Requests served, by version.",
        "counter",
        &by_version(requests[0].floor(), requests[1].floor()),
    );
    family(
        &mut out,
        "demo_errors_total",
        "Failed requests, by version.",
        "counter",
        &by_version(errors[0].floor(), errors[1].floor()),
    );
    family(
        &mut out,
        "demo_latency_p95_ms",
        "95th percentile latency, by version.",
        "gauge",
        &by_version(s.blue.p95_ms, s.green.p95_ms),
    );
    family(
        &mut out,
        "demo_error_rate_percent",
        "Error rate over the last minute, by version.",
        "gauge",
        &by_version(s.blue.error_pct, s.green.error_pct),
    );
    family(
        &mut out,
        "demo_request_rate",
        "Requests per second, by version.",
        "gauge",
        &by_version(s.blue.rps, s.green.rps),
    );
    family(
        &mut out,
        "demo_cpu_percent",
        "CPU use.",
        "gauge",
        &[("", s.cpu_pct)],
    );
    family(
        &mut out,
        "demo_memory_percent",
        "Memory use.",
        "gauge",
        &[("", s.memory_pct)],
    );
    family(
        &mut out,
        "demo_db_connections",
        "Open database connections.",
        "gauge",
        &[("", s.db_connections)],
    );
    family(
        &mut out,
        "demo_traffic_green_percent",
        "Share of traffic sent to green.",
        "gauge",
        &[("", s.green_pct)],
    );
    let b = backend(sim);
    family(
        &mut out,
        "demo_db_replication_lag_seconds",
        "How far the database replica is behind the primary.",
        "gauge",
        &[("", b.replication_lag_s)],
    );
    family(
        &mut out,
        "demo_queue_depth",
        "Messages waiting, by queue.",
        "gauge",
        &[("queue=\"orders\"", b.queue_depth)],
    );
    family(
        &mut out,
        "demo_region_up",
        "Whether a region serves (1) or not (0).",
        "gauge",
        &[
            ("region=\"eu\"", f64::from(u8::from(b.region_up[0]))),
            ("region=\"us\"", f64::from(u8::from(b.region_up[1]))),
        ],
    );
    remember(sim, &out);
    out
}

/// One metric family in the text exposition format: HELP, TYPE, then a line per series.
fn family(out: &mut String, name: &str, help: &str, kind: &str, series: &[(&str, f64)]) {
    out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
    for (labels, value) in series {
        let labels = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        out.push_str(&format!("{name}{labels} {}\n", round(*value, 3)));
    }
}

async fn metrics_text(State(sim): State<Shared>) -> Response {
    (
        [("content-type", "text/plain; version=0.0.4")],
        exposition(&sim),
    )
        .into_response()
}

#[derive(Deserialize)]
struct PromQuery {
    query: String,
}

fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn parse_page(text: &str) -> Vec<crate::exposition::Sample> {
    crate::exposition::parse(
        text.as_bytes(),
        crate::exposition::Format::Text,
        crate::exposition::Rules::Spec,
    )
    .unwrap_or_default()
}

/// Keeps what was served, at most every 5 s, for the last half hour.
fn remember(sim: &Shared, page: &str) {
    let now = unix_now();
    let mut s = sim
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if s.past
        .back()
        .is_some_and(|(t, _)| now - t < PAST_EVERY_SECS)
    {
        return;
    }
    if s.past.len() == PAST_KEPT {
        s.past.pop_front();
    }
    s.past.push_back((now, parse_page(page)));
}

/// A query's series (labels, value) over one set of samples, or why it is not understood.
type Series = Vec<(serde_json::Map<String, serde_json::Value>, f64)>;

fn bad_query(query: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"status": "error", "errorType": "bad_data", "error": format!("unsupported query: {query}")})),
    )
        .into_response()
}

/// A tiny stand-in for Prometheus's instant-query API over the demo's own metrics:
/// `name`, `name{label="value"}`, and `sum(...)`, `avg(...)`, `max(...)` of those.
async fn prom_query(State(sim): State<Shared>, Query(q): Query<PromQuery>) -> Response {
    let samples = parse_page(&exposition(&sim));
    let Some(series) = evaluate(q.query.trim(), &samples) else {
        return bad_query(&q.query);
    };
    let now = unix_now();
    let result: Vec<serde_json::Value> = series
        .into_iter()
        .map(|(metric, v)| json!({"metric": metric, "value": [now, v.to_string()]}))
        .collect();
    Json(json!({"status": "success", "data": {"resultType": "vector", "result": result}}))
        .into_response()
}

#[derive(Deserialize)]
struct PromRange {
    query: String,
    start: f64,
    end: f64,
    step: f64,
}

/// The range API over what the target served: at each step, the query over the latest
/// samples kept at or before it (within Prometheus's 5-minute lookback).
async fn prom_query_range(State(sim): State<Shared>, Query(q): Query<PromRange>) -> Response {
    let steps = ((q.end - q.start) / q.step).floor();
    if !(q.step > 0.0 && (0.0..11_000.0).contains(&steps)) {
        return bad_query(&q.query);
    }
    if evaluate(q.query.trim(), &[]).is_none() {
        return bad_query(&q.query);
    }
    let past: Vec<(f64, Vec<crate::exposition::Sample>)> = sim
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .past
        .iter()
        .cloned()
        .collect();
    let mut by_metric: Vec<(
        serde_json::Map<String, serde_json::Value>,
        Vec<serde_json::Value>,
    )> = Vec::new();
    for i in 0..=steps as usize {
        let t = q.start + q.step * i as f64;
        let Some((_, samples)) = past
            .iter()
            .rev()
            .find(|(at, _)| *at <= t && t - at <= 300.0)
        else {
            continue;
        };
        for (metric, v) in evaluate(q.query.trim(), samples).unwrap_or_default() {
            let point = json!([t, v.to_string()]);
            match by_metric.iter_mut().find(|(m, _)| *m == metric) {
                Some((_, values)) => values.push(point),
                None => by_metric.push((metric, vec![point])),
            }
        }
    }
    let result: Vec<serde_json::Value> = by_metric
        .into_iter()
        .map(|(metric, values)| json!({"metric": metric, "values": values}))
        .collect();
    Json(json!({"status": "success", "data": {"resultType": "matrix", "result": result}}))
        .into_response()
}

/// The query over these samples, or `None` for a query the stand-in does not understand.
fn evaluate(query: &str, samples: &[crate::exposition::Sample]) -> Option<Series> {
    let (agg, inner) = ["sum", "avg", "max"]
        .iter()
        .find_map(|f| {
            query
                .strip_prefix(f)
                .and_then(|r| r.trim().strip_prefix('('))
                .and_then(|r| r.strip_suffix(')'))
                .map(|r| (Some(*f), r.trim()))
        })
        .unwrap_or((None, query));
    let (name, matchers) = match inner.split_once('{') {
        Some((n, rest)) => (n.trim(), rest.trim_end_matches('}')),
        None => (inner, ""),
    };
    let wanted: Vec<(String, String)> = matchers
        .split(',')
        .filter_map(|m| {
            m.split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.trim().trim_matches('"').to_owned()))
        })
        .collect();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    {
        return None;
    }
    let matching: Vec<_> = samples
        .iter()
        .filter(|s| {
            s.name == name
                && wanted
                    .iter()
                    .all(|(k, v)| s.labels.iter().any(|(a, b)| a == k && b == v))
        })
        .collect();
    Some(match agg {
        Some(f) if !matching.is_empty() => {
            let vals = matching.iter().map(|s| s.value);
            let v = match f {
                "sum" => vals.sum::<f64>(),
                "avg" => vals.sum::<f64>() / matching.len() as f64,
                _ => vals.fold(f64::NEG_INFINITY, f64::max),
            };
            vec![(serde_json::Map::new(), v)]
        }
        Some(_) => vec![],
        None => matching
            .iter()
            .map(|s| {
                let mut metric: serde_json::Map<String, serde_json::Value> = s
                    .labels
                    .iter()
                    .map(|(k, v)| (k.clone(), json!(v)))
                    .collect();
                metric.insert("__name__".into(), json!(s.name));
                (metric, s.value)
            })
            .collect(),
    })
}

#[derive(Deserialize)]
struct Traffic {
    green: f64,
}

async fn set_traffic(State(sim): State<Shared>, Query(t): Query<Traffic>) -> Response {
    if !(0.0..=100.0).contains(&t.green) {
        return (
            StatusCode::BAD_REQUEST,
            format!("green must be 0..100, got {}\n", t.green),
        )
            .into_response();
    }
    let mut s = sim
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let before = s.green_pct;
    s.green_pct = t.green;
    s.save();
    format!(
        "traffic: green {before}% -> {}%, blue {}%\n",
        t.green,
        100.0 - t.green
    )
    .into_response()
}

#[derive(Deserialize)]
struct FaultQuery {
    kind: Option<String>,
}

async fn inject_fault(State(sim): State<Shared>, Query(q): Query<FaultQuery>) -> Response {
    let mut s = sim
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(kind) = q.kind {
        if !FAULT_KINDS.contains(&kind.as_str()) {
            return (
                StatusCode::BAD_REQUEST,
                format!("no fault `{kind}`: one of {}\n", FAULT_KINDS.join(", ")),
            )
                .into_response();
        }
        s.faults.entry(kind.clone()).or_insert_with(Instant::now);
        s.save();
        return format!("fault `{kind}` injected\n").into_response();
    }
    if s.fault.is_none() {
        s.fault = Some(Instant::now());
        s.cleared = None;
    }
    s.save();
    "fault injected into green: error rate and latency rising\n".into_response()
}

async fn clear_fault(State(sim): State<Shared>, Query(q): Query<FaultQuery>) -> Response {
    let mut s = sim
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(kind) = q.kind {
        return if s.faults.remove(&kind).is_some() {
            s.save();
            format!("fault `{kind}` cleared\n").into_response()
        } else {
            (
                StatusCode::BAD_REQUEST,
                format!("no fault `{kind}` is on\n"),
            )
                .into_response()
        };
    }
    let level = s.fault_level();
    s.fault = None;
    s.cleared = Some((Instant::now(), level));
    s.save();
    "fault cleared: green recovering\n".into_response()
}

/// A stand-in for a chat's incoming webhook: takes `{"text": ...}` as Slack does.
async fn post_status(State(sim): State<Shared>, body: axum::body::Bytes) -> Response {
    let text = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("text").and_then(|t| t.as_str()).map(str::to_owned));
    let Some(text) = text else {
        return (StatusCode::BAD_REQUEST, "invalid_payload").into_response();
    };
    let mut s = sim
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    s.posted.push(text);
    if s.posted.len() > 50 {
        s.posted.remove(0);
    }
    s.save();
    (StatusCode::OK, "ok").into_response()
}

async fn posted_statuses(State(sim): State<Shared>) -> Response {
    let s = sim
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    Json(json!({ "posted": s.posted })).into_response()
}

async fn control_state(State(sim): State<Shared>) -> Response {
    let s = snapshot(&sim);
    Json(json!({"green_percent": s.green_pct, "fault": s.fault})).into_response()
}

/// An Alertmanager stand-in (`/api/v2/alerts`, `/api/v2/silences`): each fault that is on
/// fires an alert, so a runbook's `[alertmanager]` source and its maintenance silence can
/// be rehearsed against the demo target.
async fn am_alerts(State(sim): State<Shared>) -> Response {
    let s = sim
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let now = chrono::Utc::now();
    let since = |at: Instant| now - chrono::TimeDelta::from_std(at.elapsed()).unwrap_or_default();
    let mut firing: Vec<(&str, &str, &str, Instant)> = Vec::new();
    if let Some(at) = s.fault {
        firing.push((
            "GreenUnhealthy",
            "critical",
            "Green is failing its requests",
            at,
        ));
    }
    for (kind, at) in &s.faults {
        let (name, summary) = match kind.as_str() {
            "replication" => ("ReplicationLag", "The database replica is falling behind"),
            "queue" => ("QueueBacklog", "The orders queue is backing up"),
            "region-eu" => ("RegionDown", "Region eu is down"),
            _ => ("RegionDown", "Region us is down"),
        };
        firing.push((name, "critical", summary, *at));
    }
    let alerts: Vec<serde_json::Value> = firing
        .into_iter()
        .map(|(name, severity, summary, at)| {
            let labels = [
                ("alertname", name),
                ("severity", severity),
                ("service", "checkout"),
            ];
            let silenced_by: Vec<&str> = s
                .silences
                .iter()
                .filter(|x| x.ends > now && x.matches(&labels))
                .map(|x| x.id.as_str())
                .collect();
            json!({
                "labels": {"alertname": name, "severity": severity, "service": "checkout"},
                "annotations": {"summary": summary},
                "startsAt": since(at).to_rfc3339(),
                "status": {
                    "state": if silenced_by.is_empty() { "active" } else { "suppressed" },
                    "silencedBy": silenced_by,
                    "inhibitedBy": [],
                },
            })
        })
        .collect();
    Json(alerts).into_response()
}

async fn am_create_silence(State(sim): State<Shared>, body: axum::body::Bytes) -> Response {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "not JSON").into_response();
    };
    let matchers: Option<Vec<(String, String, bool)>> =
        v.get("matchers").and_then(|m| m.as_array()).map(|list| {
            list.iter()
                .filter_map(|m| {
                    Some((
                        m.get("name")?.as_str()?.to_owned(),
                        m.get("value")?.as_str()?.to_owned(),
                        m.get("isRegex")
                            .and_then(serde_json::Value::as_bool)
                            .unwrap_or(false),
                    ))
                })
                .collect()
        });
    let ends = v
        .get("endsAt")
        .and_then(|e| e.as_str())
        .and_then(|e| chrono::DateTime::parse_from_rfc3339(e).ok());
    let (Some(matchers), Some(ends)) = (matchers.filter(|m| !m.is_empty()), ends) else {
        return (
            StatusCode::BAD_REQUEST,
            "a silence needs matchers and endsAt",
        )
            .into_response();
    };
    let mut s = sim
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let id = format!("demo-silence-{}", s.silences.len() + 1);
    s.silences.push(DemoSilence {
        id: id.clone(),
        matchers,
        ends: ends.with_timezone(&chrono::Utc),
    });
    Json(json!({"silenceID": id})).into_response()
}

async fn am_expire_silence(
    State(sim): State<Shared>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    let mut s = sim
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    match s.silences.iter_mut().find(|x| x.id == id) {
        Some(x) => {
            x.ends = chrono::Utc::now();
            StatusCode::OK.into_response()
        }
        None => (StatusCode::NOT_FOUND, "no such silence").into_response(),
    }
}

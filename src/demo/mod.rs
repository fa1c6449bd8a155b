//! The demo target: a simulated service with a blue and a green version behind a traffic
//! split. It serves health, a Prometheus text page, JSON metrics and a tiny Prometheus
//! query API, and has control endpoints to shift traffic and inject a fault into green.
//! Its numbers are noisy and move gradually, like a real service's.

mod control;
pub mod detached;
mod metrics;
mod sim;

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

use control::*;
use metrics::*;
use sim::*;

/// The faults `POST /control/fault?kind=` takes besides green's (no kind).
pub const FAULT_KINDS: [&str; 4] = ["replication", "queue", "region-eu", "region-us"];

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

//! What the target serves to be watched: JSON metrics, a Prometheus text page, and a tiny
//! Prometheus query API over the page's recent past.

use super::*;

pub(super) async fn metrics_json(State(sim): State<Shared>) -> Response {
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

pub(super) fn exposition(sim: &Shared) -> String {
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
pub(super) fn family(out: &mut String, name: &str, help: &str, kind: &str, series: &[(&str, f64)]) {
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

pub(super) async fn metrics_text(State(sim): State<Shared>) -> Response {
    (
        [("content-type", "text/plain; version=0.0.4")],
        exposition(&sim),
    )
        .into_response()
}

#[derive(Deserialize)]
pub(super) struct PromQuery {
    pub(super) query: String,
}

pub(super) fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

pub(super) fn parse_page(text: &str) -> Vec<crate::exposition::Sample> {
    crate::exposition::parse(
        text.as_bytes(),
        crate::exposition::Format::Text,
        crate::exposition::Rules::Spec,
    )
    .unwrap_or_default()
}

/// Keeps what was served, at most every 5 s, for the last half hour.
pub(super) fn remember(sim: &Shared, page: &str) {
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
pub(super) type Series = Vec<(serde_json::Map<String, serde_json::Value>, f64)>;

pub(super) fn bad_query(query: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"status": "error", "errorType": "bad_data", "error": format!("unsupported query: {query}")})),
    )
        .into_response()
}

/// A tiny stand-in for Prometheus's instant-query API over the demo's own metrics:
/// `name`, `name{label="value"}`, and `sum(...)`, `avg(...)`, `max(...)` of those.
pub(super) async fn prom_query(State(sim): State<Shared>, Query(q): Query<PromQuery>) -> Response {
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
pub(super) struct PromRange {
    pub(super) query: String,
    pub(super) start: f64,
    pub(super) end: f64,
    pub(super) step: f64,
}

/// The range API over what the target served: at each step, the query over the latest
/// samples kept at or before it (within Prometheus's 5-minute lookback).
pub(super) async fn prom_query_range(
    State(sim): State<Shared>,
    Query(q): Query<PromRange>,
) -> Response {
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
pub(super) fn evaluate(query: &str, samples: &[crate::exposition::Sample]) -> Option<Series> {
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

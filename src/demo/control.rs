//! The controls a rehearsal drives: the traffic split, faults, status posts, and a small
//! Alertmanager (alerts, silences).

use super::*;

#[derive(Deserialize)]
pub(super) struct Traffic {
    pub(super) green: f64,
}

pub(super) async fn set_traffic(State(sim): State<Shared>, Query(t): Query<Traffic>) -> Response {
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
pub(super) struct FaultQuery {
    pub(super) kind: Option<String>,
}

pub(super) async fn inject_fault(
    State(sim): State<Shared>,
    Query(q): Query<FaultQuery>,
) -> Response {
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

pub(super) async fn clear_fault(
    State(sim): State<Shared>,
    Query(q): Query<FaultQuery>,
) -> Response {
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
pub(super) async fn post_status(State(sim): State<Shared>, body: axum::body::Bytes) -> Response {
    // A chat webhook's `{"text"}`, or a status page's `{"state", "message"}`.
    let text = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| {
            let text = v.get("text").and_then(|t| t.as_str()).map(str::to_owned);
            text.or_else(|| {
                let message = v.get("message")?.as_str()?;
                Some(match v.get("state").and_then(|s| s.as_str()) {
                    Some(state) => format!("[{state}] {message}"),
                    None => message.to_owned(),
                })
            })
        });
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

pub(super) async fn posted_statuses(State(sim): State<Shared>) -> Response {
    let s = sim
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    Json(json!({ "posted": s.posted })).into_response()
}

pub(super) async fn control_state(State(sim): State<Shared>) -> Response {
    let s = snapshot(&sim);
    Json(json!({"green_percent": s.green_pct, "fault": s.fault})).into_response()
}

/// An Alertmanager stand-in (`/api/v2/alerts`, `/api/v2/silences`): each fault that is on
/// fires an alert, so a runbook's `[alertmanager]` source and its maintenance silence can
/// be rehearsed against the demo target.
pub(super) async fn am_alerts(State(sim): State<Shared>) -> Response {
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

pub(super) async fn am_create_silence(
    State(sim): State<Shared>,
    body: axum::body::Bytes,
) -> Response {
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

pub(super) async fn am_expire_silence(
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

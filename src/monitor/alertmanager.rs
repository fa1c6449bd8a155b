//! Alertmanager: its active alerts join warroom's feed (silenced ones marked, never
//! hidden), and the maintenance silence the operator creates for the run, and expires
//! when the run ends.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use super::{http, json as j};
use crate::runbook::Silence;

/// Creating and expiring a silence.
const TIMEOUT: Duration = Duration::from_secs(5);

/// The core owns what it is told; the poller fills it in.
pub use crate::app::AmAlert;

pub async fn alerts(
    client: &crate::monitor::http::Client,
    url: &str,
    timeout: Duration,
    vars: &[(String, String)],
) -> Result<Vec<AmAlert>, String> {
    let full = format!(
        "{}/api/v2/alerts?active=true&silenced=true&inhibited=true",
        url.trim_end_matches('/')
    );
    let r = http::get(client, &full, &[], timeout, vars).await?.ok()?;
    parse_alerts(&j::parse(&r.body)?)
}

pub fn parse_alerts(v: &Value) -> Result<Vec<AmAlert>, String> {
    let list = v
        .as_array()
        .ok_or("Alertmanager answered something other than a list of alerts")?;
    let text = |a: &Value, section: &str, key: &str| {
        a.get(section)
            .and_then(|s| s.get(key))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let nonempty = |a: &Value, key: &str| {
        a.get("status")
            .and_then(|s| s.get(key))
            .and_then(Value::as_array)
            .is_some_and(|x| !x.is_empty())
    };
    let mut out: Vec<AmAlert> = list
        .iter()
        .map(|a| AmAlert {
            name: text(a, "labels", "alertname"),
            severity: text(a, "labels", "severity"),
            summary: text(a, "annotations", "summary"),
            starts_at: a
                .get("startsAt")
                .and_then(Value::as_str)
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|d| d.with_timezone(&Utc)),
            silenced: nonempty(a, "silencedBy"),
            inhibited: nonempty(a, "inhibitedBy"),
        })
        .collect();
    // Newest first, as the feed shows everything.
    out.sort_by_key(|a| std::cmp::Reverse(a.starts_at));
    Ok(out)
}

/// Creates the silence; returns its id.
pub async fn create_silence(
    client: &crate::monitor::http::Client,
    url: &str,
    silence: &Silence,
    starts: DateTime<Utc>,
    ends: DateTime<Utc>,
    vars: &[(String, String)],
) -> Result<String, String> {
    let matchers: Vec<Value> = silence
        .matchers
        .iter()
        .map(|m| json!({"name": m.name, "value": m.value, "isRegex": m.regex, "isEqual": true}))
        .collect();
    let body = json!({
        "matchers": matchers,
        "startsAt": starts.to_rfc3339(),
        "endsAt": ends.to_rfc3339(),
        "createdBy": silence.created_by,
        "comment": silence.comment,
    });
    let full = format!("{}/api/v2/silences", url.trim_end_matches('/'));
    let r = http::request(
        client,
        Method::POST,
        &full,
        &[],
        Some(http::Body::Json(&body)),
        TIMEOUT,
        vars,
    )
    .await?;
    let status = r.status;
    let v = j::parse(&r.body).unwrap_or(Value::Null);
    if !(200..300).contains(&status) {
        // Alertmanager answers with a bare string or `{"code":..,"message":..}`.
        let why = v
            .as_str()
            .or_else(|| v.get("message").and_then(Value::as_str))
            .map_or_else(
                || String::from_utf8_lossy(&r.body).trim().to_owned(),
                str::to_owned,
            );
        return Err(format!(
            "Alertmanager refused the silence (HTTP {status}): {}",
            crate::app::output::sanitize(why.as_bytes())
        ));
    }
    v.get("silenceID")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| "Alertmanager returned no silenceID".into())
}

pub async fn expire_silence(
    client: &crate::monitor::http::Client,
    url: &str,
    id: &str,
    vars: &[(String, String)],
) -> Result<(), String> {
    let full = format!(
        "{}/api/v2/silence/{}",
        url.trim_end_matches('/'),
        http::encode(id)
    );
    http::request(client, Method::DELETE, &full, &[], None, TIMEOUT, vars)
        .await?
        .ok()
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_alerts_newest_first() {
        let v = json!([
            {"labels": {"alertname": "Old", "severity": "warning"}, "annotations": {"summary": "old one"},
             "startsAt": "2026-02-08T01:00:00Z", "status": {"state": "active", "silencedBy": [], "inhibitedBy": []}},
            {"labels": {"alertname": "New"}, "annotations": {},
             "startsAt": "2026-02-08T02:00:00Z", "status": {"state": "suppressed", "silencedBy": ["abc"], "inhibitedBy": []}}
        ]);
        let a = parse_alerts(&v).unwrap();
        assert_eq!(a[0].name, "New");
        assert!(a[0].silenced && !a[0].inhibited);
        assert_eq!(
            (a[1].severity.as_str(), a[1].summary.as_str()),
            ("warning", "old one")
        );
        assert!(parse_alerts(&json!({"error": 1})).is_err());
    }
}

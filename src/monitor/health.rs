//! Health probes: status code, optional JSON assertion, latency; DOWN always says why.

use std::time::Duration;

use chrono::TimeDelta;
use serde_json::Value;

use super::{http, json};
use crate::app::Probe;
use crate::runbook::{Endpoint, Health};

/// A probe with a client that could not be made: DOWN, saying why.
pub fn unprobed(why: String) -> Probe {
    Probe {
        health: Health::Down,
        latency: None,
        reason: Some(why),
    }
}

pub async fn probe(
    client: &crate::monitor::http::Client,
    ep: &Endpoint,
    vars: &[(String, String)],
) -> Probe {
    let timeout = ep.timeout.to_std().unwrap_or(Duration::from_secs(3));
    let down = |reason: String| Probe {
        health: Health::Down,
        latency: None,
        reason: Some(reason),
    };
    let r = match http::get(client, &ep.url, &[], timeout, vars).await {
        Ok(r) => r,
        Err(e) => return down(e),
    };
    let latency = TimeDelta::from_std(r.latency).ok();
    if !ep.expect_status.contains(&r.status) {
        let why = r
            .denied()
            .map_or_else(|| format!("status {}", r.status), str::to_owned);
        return Probe {
            latency,
            ..down(why)
        };
    }
    if let Some(a) = &ep.json {
        let v = match json::parse(&r.body) {
            Ok(v) => v,
            Err(e) => return Probe { latency, ..down(e) },
        };
        let got = v.pointer(&a.pointer).cloned().unwrap_or(Value::Null);
        if !a.one_of.contains(&got) {
            return Probe {
                latency,
                ..down(format!("{} was {}", a.pointer, json::short(&got)))
            };
        }
    }
    let slow = ep.slow.is_some_and(|s| latency.is_some_and(|l| l > s));
    Probe {
        health: if slow { Health::Degraded } else { Health::Up },
        latency,
        reason: slow.then(|| "slow".to_owned()),
    }
}

//! The Prometheus source: an instant query against a Prometheus server's HTTP API (or
//! anything that speaks it). Each way an answer can fail is its own state on the gauge.

use std::time::Duration;

use chrono::DateTime;
use serde_json::Value;

use super::{http, json};
use crate::app::{Fault, FaultKind, Reading};
use crate::runbook::Aggregate;

pub async fn poll(
    client: &crate::monitor::http::Client,
    url: &str,
    query: &str,
    aggregate: Option<Aggregate>,
    timeout: Duration,
    vars: &[(String, String)],
) -> Result<Reading, Fault> {
    let base = http::expand(url, vars)?;
    // The server gives up a little before we do (a tenth, at least 250 ms, for the answer
    // to travel), so a slow query says so itself.
    let margin = (timeout / 10).max(Duration::from_millis(250));
    let full = format!(
        "{}/api/v1/query?query={}&timeout={}ms",
        base.trim_end_matches('/'),
        http::encode(query),
        timeout.saturating_sub(margin).as_millis().max(100)
    );
    // The URL is expanded already; the variables are for the connection's credentials.
    let r = http::get(client, &full, &[], timeout, vars)
        .await
        .map_err(super::fault)?;
    // An auth proxy's refusal is rarely Prometheus's JSON.
    if let Some(why) = r.denied() {
        return Err(super::fault(why.to_owned()));
    }
    value(&json::parse(&r.body)?, r.status, aggregate)
}

/// The KPI's values over the last `points` steps of `step` up to `end`, oldest first, from
/// `/api/v1/query_range`: the trend a sparkline shows the moment a console opens.
#[allow(clippy::too_many_arguments)] // the query's own parameters, each one thing
pub async fn history(
    client: &crate::monitor::http::Client,
    url: &str,
    query: &str,
    aggregate: Option<Aggregate>,
    end: chrono::DateTime<chrono::Utc>,
    step: Duration,
    points: usize,
    timeout: Duration,
    vars: &[(String, String)],
) -> Result<Vec<f64>, String> {
    let span = step.as_secs_f64().max(1.0) * points.saturating_sub(1) as f64;
    let start = end - chrono::TimeDelta::milliseconds((span * 1000.0) as i64);
    range(
        client,
        url,
        query,
        aggregate,
        (start, end),
        step,
        timeout,
        vars,
    )
    .await
}

/// The query's values from `start` to `end` at `step`, oldest first, from
/// `/api/v1/query_range` (a sparkline's history, a canary metric's window).
#[allow(clippy::too_many_arguments)] // the query's own parameters, each one thing
pub async fn range(
    client: &crate::monitor::http::Client,
    url: &str,
    query: &str,
    aggregate: Option<Aggregate>,
    (start, end): (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>),
    step: Duration,
    timeout: Duration,
    vars: &[(String, String)],
) -> Result<Vec<f64>, String> {
    let base = http::expand(url, vars)?;
    let step_s = step.as_secs_f64().max(1.0);
    let end_s = end.timestamp_millis() as f64 / 1000.0;
    let start_s = start.timestamp_millis() as f64 / 1000.0;
    let full = format!(
        "{}/api/v1/query_range?query={}&start={start_s:.3}&end={end_s:.3}&step={step_s}",
        base.trim_end_matches('/'),
        http::encode(query),
    );
    let r = http::get(client, &full, &[], timeout, vars).await?;
    if let Some(why) = r.denied() {
        return Err(why.to_owned());
    }
    let v = match json::parse(&r.body) {
        Ok(v) => v,
        // A server with no range API at all (a 404 page) says only its status.
        Err(_) if !(200..300).contains(&r.status) => return Err(format!("HTTP {}", r.status)),
        Err(e) => return Err(e),
    };
    range_values(&v, r.status, aggregate)
}

/// The values of a range-query answer, oldest first: one series, or several combined at
/// each time by `aggregate`. Points that are not numbers (NaN, a gap) are left out.
pub fn range_values(
    v: &Value,
    status: u16,
    aggregate: Option<Aggregate>,
) -> Result<Vec<f64>, String> {
    if let Some((kind, msg)) = api_error(v) {
        return Err(format!("prometheus {kind}: {msg}"));
    }
    if !(200..300).contains(&status) {
        return Err(format!("HTTP {status}"));
    }
    let data = v.get("data").ok_or("answer has no `data`")?;
    if data.get("resultType").and_then(Value::as_str) != Some("matrix") {
        return Err("the answer is not a range (matrix)".into());
    }
    let series = data
        .get("result")
        .and_then(Value::as_array)
        .ok_or("no result")?;
    if series.len() > 1 && aggregate.is_none() {
        return Err(format!(
            "the query gives {} series and the KPI has no `aggregate`",
            series.len()
        ));
    }
    // Milliseconds since the epoch -> the values of every series at that time.
    let mut at: std::collections::BTreeMap<i64, Vec<f64>> = Default::default();
    for s in series {
        for pair in s
            .get("values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let t = pair.get(0).and_then(Value::as_f64);
            let value = pair
                .get(1)
                .and_then(Value::as_str)
                .and_then(|t| t.parse::<f64>().ok())
                .filter(|v| v.is_finite());
            if let (Some(t), Some(value)) = (t, value) {
                at.entry((t * 1000.0).round() as i64)
                    .or_default()
                    .push(value);
            }
        }
    }
    Ok(at
        .into_values()
        .filter_map(|vs| match aggregate {
            Some(a) => a.apply(vs),
            None => vs.first().copied(),
        })
        .collect())
}

/// The API's own error, `(errorType, error)`, when the answer is one.
fn api_error(v: &Value) -> Option<(&str, &str)> {
    (v.get("status").and_then(Value::as_str) == Some("error")).then(|| {
        (
            v.get("errorType")
                .and_then(Value::as_str)
                .unwrap_or("error"),
            v.get("error").and_then(Value::as_str).unwrap_or(""),
        )
    })
}

/// The number in an instant-query answer: a scalar, or a vector of one series (or of
/// several, combined by `aggregate` when the KPI names one), measured at the answer's time.
pub fn value(v: &Value, status: u16, aggregate: Option<Aggregate>) -> Result<Reading, Fault> {
    if let Some((kind, msg)) = api_error(v) {
        return Err(if kind == "timeout" {
            Fault::new(
                FaultKind::Timeout,
                format!("the query timed out on the server: {msg}"),
            )
        } else {
            Fault::from(format!("prometheus {kind}: {msg}"))
        });
    }
    if !(200..300).contains(&status) {
        return Err(Fault::from(format!("HTTP {status}")));
    }
    let data = v.get("data").ok_or("answer has no `data`")?;
    match data.get("resultType").and_then(Value::as_str) {
        Some("scalar") => sample(data.get("result").ok_or("no result")?),
        Some("vector") => {
            let series = data
                .get("result")
                .and_then(Value::as_array)
                .ok_or("no result")?;
            let samples = series
                .iter()
                .map(|s| sample(s.get("value").unwrap_or(&Value::Null)))
                .collect::<Result<Vec<_>, _>>()?;
            match (samples.as_slice(), aggregate) {
                ([], _) => Err(Fault::from("empty result: no series matches the query")),
                ([one], _) => Ok(*one),
                (many, None) => Err(Fault::new(
                    FaultKind::Series,
                    format!(
                        "the query gave {} series, and a KPI is one number: aggregate them in \
                         the query (sum, max, ...) or set `aggregate`",
                        many.len()
                    ),
                )),
                (many, Some(a)) => {
                    let value = a.apply(many.iter().map(|r| r.value)).unwrap_or(f64::NAN);
                    Ok(Reading {
                        value,
                        measured: many.iter().filter_map(|r| r.measured).min(),
                    })
                }
            }
        }
        Some(other) => Err(Fault::from(format!(
            "a {other} result cannot be shown as one number"
        ))),
        None => Err(Fault::from("answer has no resultType")),
    }
}

/// `[time, "value"]`: the value, measured at that time.
fn sample(pair: &Value) -> Result<Reading, Fault> {
    let text = pair
        .get(1)
        .and_then(Value::as_str)
        .ok_or("sample has no value")?;
    let measured = pair
        .get(0)
        .and_then(Value::as_f64)
        .and_then(|t| DateTime::from_timestamp_millis((t * 1000.0).round() as i64));
    let value = match text {
        "NaN" => {
            return Err(Fault::new(
                FaultKind::NotANumber,
                "the query's value is NaN (a ratio over no traffic?)",
            ));
        }
        "+Inf" | "-Inf" => return Err(Fault::from(format!("value is {text}"))),
        t => t
            .parse::<f64>()
            .map_err(|_| format!("`{t}` is not a number"))?,
    };
    Ok(Reading { value, measured })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn num(r: Result<Reading, Fault>) -> Result<f64, Fault> {
        r.map(|r| r.value)
    }

    #[test]
    fn range_answers() {
        let one = json!({"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{},"values":[[1.0,"1"],[2.0,"NaN"],[3.0,"3"]]}]}});
        assert_eq!(range_values(&one, 200, None), Ok(vec![1.0, 3.0]));
        let two = json!({"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{"a":"1"},"values":[[1.0,"1"],[2.0,"2"]]},
            {"metric":{"a":"2"},"values":[[2.0,"5"],[3.0,"4"]]}]}});
        assert_eq!(
            range_values(&two, 200, Some(Aggregate::Sum)),
            Ok(vec![1.0, 7.0, 4.0])
        );
        assert!(
            range_values(&two, 200, None)
                .unwrap_err()
                .contains("2 series")
        );
        let none = json!({"status":"success","data":{"resultType":"matrix","result":[]}});
        assert_eq!(range_values(&none, 200, None), Ok(vec![]));
        let refused =
            json!({"status":"error","errorType":"bad_data","error":"range queries are disabled"});
        assert_eq!(
            range_values(&refused, 400, None).unwrap_err(),
            "prometheus bad_data: range queries are disabled"
        );
        assert_eq!(range_values(&json!({}), 404, None).unwrap_err(), "HTTP 404");
    }

    #[test]
    fn answers() {
        let vector = json!({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000.5,"2.5"]}]}});
        let r = value(&vector, 200, None).unwrap();
        assert_eq!(r.value, 2.5);
        assert_eq!(
            r.measured,
            DateTime::from_timestamp_millis(1_700_000_000_500)
        );
        let two = json!({"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"1"},"value":[1.0,"2"]},{"metric":{"a":"2"},"value":[1.0,"3"]}]}});
        let e = value(&two, 200, None).unwrap_err();
        assert_eq!(e.kind, FaultKind::Series);
        assert!(e.why.contains("2 series"), "{e}");
        assert_eq!(num(value(&two, 200, Some(Aggregate::Sum))), Ok(5.0));
        assert_eq!(num(value(&two, 200, Some(Aggregate::Max))), Ok(3.0));
        let scalar = json!({"status":"success","data":{"resultType":"scalar","result":[1.0,"7"]}});
        assert_eq!(num(value(&scalar, 200, None)), Ok(7.0));
        let empty = json!({"status":"success","data":{"resultType":"vector","result":[]}});
        assert!(value(&empty, 200, None).unwrap_err().why.contains("empty"));
        let err = json!({"status":"error","errorType":"bad_data","error":"parse error at char 3"});
        assert_eq!(
            value(&err, 400, None).unwrap_err().why,
            "prometheus bad_data: parse error at char 3"
        );
        let timeout = json!({"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"});
        assert_eq!(
            value(&timeout, 503, None).unwrap_err().kind,
            FaultKind::Timeout
        );
        let nan = json!({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1.0,"NaN"]}]}});
        assert_eq!(
            value(&nan, 200, None).unwrap_err().kind,
            FaultKind::NotANumber
        );
        let matrix = json!({"status":"success","data":{"resultType":"matrix","result":[]}});
        assert!(
            value(&matrix, 200, None)
                .unwrap_err()
                .why
                .contains("matrix")
        );
    }
}

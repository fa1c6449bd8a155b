//! The Prometheus source: an instant query against a Prometheus server's HTTP API.

use std::time::Duration;

use serde_json::Value;

use super::{http, json};

pub async fn poll(
    client: &reqwest::Client,
    url: &str,
    query: &str,
    timeout: Duration,
    vars: &[(String, String)],
) -> Result<f64, String> {
    let base = http::expand(url, vars)?;
    let full = format!(
        "{}/api/v1/query?query={}",
        base.trim_end_matches('/'),
        http::encode(query)
    );
    let r = http::get(client, &full, &[], timeout, &[]).await?;
    value(&json::parse(&r.body)?, r.status)
}

/// The number in an instant-query answer: a scalar, or a vector (several series are
/// summed, as a dashboard's single-stat would).
pub fn value(v: &Value, status: u16) -> Result<f64, String> {
    if v.get("status").and_then(Value::as_str) == Some("error") {
        let kind = v
            .get("errorType")
            .and_then(Value::as_str)
            .unwrap_or("error");
        let msg = v.get("error").and_then(Value::as_str).unwrap_or("");
        return Err(format!("prometheus {kind}: {msg}"));
    }
    if !(200..300).contains(&status) {
        return Err(format!("HTTP {status}"));
    }
    let data = v.get("data").ok_or("answer has no `data`")?;
    let sample = |pair: &Value| -> Result<f64, String> {
        let text = pair
            .get(1)
            .and_then(Value::as_str)
            .ok_or("sample has no value")?;
        match text {
            "NaN" => Err("value is NaN".into()),
            "+Inf" | "-Inf" => Err(format!("value is {text}")),
            t => t
                .parse::<f64>()
                .map_err(|_| format!("`{t}` is not a number")),
        }
    };
    match data.get("resultType").and_then(Value::as_str) {
        Some("scalar") => sample(data.get("result").ok_or("no result")?),
        Some("vector") => {
            let series = data
                .get("result")
                .and_then(Value::as_array)
                .ok_or("no result")?;
            if series.is_empty() {
                return Err("empty result: no series matches the query".into());
            }
            series
                .iter()
                .map(|s| sample(s.get("value").unwrap_or(&Value::Null)))
                .sum()
        }
        Some(other) => Err(format!("a {other} result cannot be shown as one number")),
        None => Err("answer has no resultType".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn answers() {
        let vector = json!({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1.0,"2.5"]}]}});
        assert_eq!(value(&vector, 200), Ok(2.5));
        let two = json!({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1.0,"2"]},{"metric":{},"value":[1.0,"3"]}]}});
        assert_eq!(value(&two, 200), Ok(5.0));
        let scalar = json!({"status":"success","data":{"resultType":"scalar","result":[1.0,"7"]}});
        assert_eq!(value(&scalar, 200), Ok(7.0));
        let empty = json!({"status":"success","data":{"resultType":"vector","result":[]}});
        assert!(value(&empty, 200).unwrap_err().contains("empty"));
        let err = json!({"status":"error","errorType":"bad_data","error":"parse error at char 3"});
        assert_eq!(
            value(&err, 400),
            Err("prometheus bad_data: parse error at char 3".into())
        );
        let nan = json!({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1.0,"NaN"]}]}});
        assert!(value(&nan, 200).unwrap_err().contains("NaN"));
        let matrix = json!({"status":"success","data":{"resultType":"matrix","result":[]}});
        assert!(value(&matrix, 200).unwrap_err().contains("matrix"));
    }
}

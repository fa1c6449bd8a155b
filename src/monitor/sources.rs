//! The four KPI sources and the health probe: each turns one poll into a number (or a
//! health state) or a short, secret-free reason why not.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::TimeDelta;
use serde_json::Value;

use super::scrape;
use crate::app::Probe;
use crate::runbook::{Aggregate, Endpoint, Health, KpiSource};

/// Bodies larger than this are refused: a runaway endpoint must not eat the console's memory.
pub const MAX_BODY: usize = 10 * 1024 * 1024;

/// Replaces `${NAME}` with the variable's value (from `vars`, then the environment).
pub fn expand(text: &str, vars: &[(String, String)]) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or("unclosed `${` in a URL or header")?;
        let name = &after[..end];
        let value = vars
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .or_else(|| std::env::var(name).ok())
            .ok_or_else(|| format!("variable ${{{name}}} is not set"))?;
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The one HTTP client, so connections are reused.
pub fn client() -> Result<reqwest::Client, String> {
    // Ring is the crypto provider we build with; installing twice is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(concat!("warroom/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// Why a request failed, without its URL (which may carry a secret).
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timeout".into()
    } else if e.is_connect() {
        let text = format!("{:?}", e).to_lowercase();
        if text.contains("refused") {
            "connection refused".into()
        } else {
            "cannot connect".into()
        }
    } else if e.is_body() || e.is_decode() {
        "broken response body".into()
    } else {
        "request failed".into()
    }
}

pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
    pub latency: Duration,
}

pub async fn get(
    client: &reqwest::Client,
    url: &str,
    headers: &[(String, String)],
    timeout: Duration,
    vars: &[(String, String)],
) -> Result<Response, String> {
    let url = expand(url, vars)?;
    let mut req = client.get(&url).timeout(timeout);
    for (k, v) in headers {
        req = req.header(k, expand(v, vars)?);
    }
    let started = Instant::now();
    let mut resp = req.send().await.map_err(|e| describe(&e))?;
    let status = resp.status().as_u16();
    if resp.content_length().is_some_and(|n| n > MAX_BODY as u64) {
        return Err(format!(
            "response larger than {} MB",
            MAX_BODY / 1024 / 1024
        ));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| describe(&e))? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(format!(
                "response larger than {} MB",
                MAX_BODY / 1024 / 1024
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Response {
        status,
        body,
        latency: started.elapsed(),
    })
}

fn json_body(body: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(body).map_err(|_| {
        let head = String::from_utf8_lossy(&body[..body.len().min(20)]).to_lowercase();
        if head.trim_start().starts_with('<') {
            "HTML instead of JSON".into()
        } else {
            "not valid JSON".into()
        }
    })
}

/// A JSON value that must be a finite number.
fn number(v: &Value, what: &str) -> Result<f64, String> {
    let n = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .ok_or_else(|| format!("{what} is {}, not a number", short(v)))?;
    finite(n)
}

fn finite(n: f64) -> Result<f64, String> {
    if n.is_finite() {
        Ok(n)
    } else {
        Err(format!("value is {n}"))
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 24 {
        format!("{}…", s.chars().take(23).collect::<String>())
    } else {
        s
    }
}

pub async fn poll_kpi(
    client: &reqwest::Client,
    source: &KpiSource,
    timeout: Duration,
    vars: &[(String, String)],
    dir: &Path,
) -> Result<f64, String> {
    match source {
        KpiSource::Json { url, pointer } => {
            let r = ok_status(get(client, url, &[], timeout, vars).await?)?;
            let v = json_body(&r.body)?;
            let at = v
                .pointer(pointer)
                .ok_or_else(|| format!("no {pointer} in the answer"))?;
            number(at, pointer)
        }
        KpiSource::Scrape {
            url,
            metric,
            labels,
            aggregate,
        } => {
            let r = ok_status(get(client, url, &[], timeout, vars).await?)?;
            let text = String::from_utf8_lossy(&r.body);
            let samples = scrape::parse(&text)?;
            let values: Vec<f64> = samples
                .iter()
                .filter(|s| {
                    &s.name == metric
                        && labels
                            .iter()
                            .all(|(k, v)| s.labels.iter().any(|(a, b)| a == k && b == v))
                })
                .map(|s| s.value)
                .collect();
            if values.is_empty() {
                return Err(format!("no series {metric} matches"));
            }
            let n = values.len() as f64;
            finite(match aggregate {
                Aggregate::Sum => values.iter().sum(),
                Aggregate::Avg => values.iter().sum::<f64>() / n,
                Aggregate::Max => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                Aggregate::Min => values.iter().copied().fold(f64::INFINITY, f64::min),
            })
        }
        KpiSource::Prometheus { url, query } => {
            let base = expand(url, vars)?;
            let full = format!(
                "{}/api/v1/query?query={}",
                base.trim_end_matches('/'),
                encode(query)
            );
            let r = get(client, &full, &[], timeout, &[]).await?;
            prometheus_value(&json_body(&r.body)?, r.status)
        }
        KpiSource::Command { argv } => run_command(argv, timeout, vars, dir).await,
    }
}

fn ok_status(r: Response) -> Result<Response, String> {
    if (200..300).contains(&r.status) {
        Ok(r)
    } else {
        Err(format!("HTTP {}", r.status))
    }
}

/// The number in a Prometheus instant-query answer: a scalar, or a vector of one series
/// (several series are summed, as a dashboard's single-stat would).
pub fn prometheus_value(v: &Value, status: u16) -> Result<f64, String> {
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

fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Runs a short-lived command (a KPI source or a step's verification) in `dir` and returns
/// what it printed; killed when it outlives `timeout`.
pub async fn run_capture(
    argv: &[String],
    timeout: Duration,
    vars: &[(String, String)],
    dir: &Path,
) -> Result<String, String> {
    let Some((program, args)) = argv.split_first() else {
        return Err("empty command".into());
    };
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .current_dir(dir)
        .envs(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    let child = cmd
        .spawn()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    let out = tokio::time::timeout(timeout, child.wait_with_output())
        .await
        .map_err(|_| format!("command timed out after {}s", timeout.as_secs_f64()))?
        .map_err(|e| format!("command failed: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "command exited with {}",
            out.status
                .code()
                .map_or("a signal".into(), |c| c.to_string())
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

async fn run_command(
    argv: &[String],
    timeout: Duration,
    vars: &[(String, String)],
    dir: &Path,
) -> Result<f64, String> {
    let text = run_capture(argv, timeout, vars, dir).await?;
    let first = text.trim();
    let n: f64 = first.parse().map_err(|_| {
        let shown: String = first.chars().take(20).collect();
        format!(
            "command printed `{}`, not a number",
            crate::app::output::sanitize(shown.as_bytes())
        )
    })?;
    finite(n)
}

/// A step's verify command: it must succeed, and print `expect` when given.
pub async fn verify_command(
    argv: &[String],
    expect: Option<&str>,
    timeout: Duration,
    vars: &[(String, String)],
    dir: &Path,
) -> Result<(), String> {
    let out = run_capture(argv, timeout, vars, dir).await?;
    match expect {
        Some(text) if !out.contains(text) => Err(format!("output does not contain `{text}`")),
        _ => Ok(()),
    }
}

pub async fn probe(client: &reqwest::Client, ep: &Endpoint, vars: &[(String, String)]) -> Probe {
    let timeout = ep.timeout.to_std().unwrap_or(Duration::from_secs(3));
    let down = |reason: String| Probe {
        health: Health::Down,
        latency: None,
        reason: Some(reason),
    };
    let r = match get(client, &ep.url, &ep.headers, timeout, vars).await {
        Ok(r) => r,
        Err(e) => return down(e),
    };
    let latency = TimeDelta::from_std(r.latency).ok();
    if !ep.expect_status.contains(&r.status) {
        return Probe {
            latency,
            ..down(format!("status {}", r.status))
        };
    }
    if let Some(a) = &ep.json {
        let v = match json_body(&r.body) {
            Ok(v) => v,
            Err(e) => return Probe { latency, ..down(e) },
        };
        let got = v.pointer(&a.pointer).cloned().unwrap_or(Value::Null);
        if !a.one_of.contains(&got) {
            return Probe {
                latency,
                ..down(format!("{} was {}", a.pointer, short(&got)))
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn expands_variables_and_reports_missing_ones() {
        let vars = vec![("HOST".to_owned(), "127.0.0.1:9".to_owned())];
        assert_eq!(
            expand("http://${HOST}/x", &vars).unwrap(),
            "http://127.0.0.1:9/x"
        );
        assert!(
            expand("${WARROOM_TEST_SURELY_UNSET}", &vars)
                .unwrap_err()
                .contains("not set")
        );
    }

    #[test]
    fn prometheus_answers() {
        let vector = json!({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1.0,"2.5"]}]}});
        assert_eq!(prometheus_value(&vector, 200), Ok(2.5));
        let scalar = json!({"status":"success","data":{"resultType":"scalar","result":[1.0,"7"]}});
        assert_eq!(prometheus_value(&scalar, 200), Ok(7.0));
        let empty = json!({"status":"success","data":{"resultType":"vector","result":[]}});
        assert!(prometheus_value(&empty, 200).unwrap_err().contains("empty"));
        let err = json!({"status":"error","errorType":"bad_data","error":"parse error at char 3"});
        assert_eq!(
            prometheus_value(&err, 400),
            Err("prometheus bad_data: parse error at char 3".into())
        );
        let nan = json!({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1.0,"NaN"]}]}});
        assert!(prometheus_value(&nan, 200).unwrap_err().contains("NaN"));
    }

    #[test]
    fn json_numbers_are_strict() {
        assert_eq!(number(&json!(1.5), "/x"), Ok(1.5));
        assert!(
            number(&json!("abc"), "/x")
                .unwrap_err()
                .contains("not a number")
        );
        assert!(number(&json!(null), "/x").is_err());
        assert!(
            json_body(b"<html>oops</html>")
                .unwrap_err()
                .contains("HTML")
        );
    }
}

//! The JSON source: a number at a JSON pointer in an endpoint's answer.

use std::time::Duration;

use serde_json::Value;

use super::http;

pub async fn poll(
    client: &crate::monitor::http::Client,
    url: &str,
    pointer: &str,
    timeout: Duration,
    vars: &[(String, String)],
) -> Result<f64, String> {
    let r = http::get(client, url, &[], timeout, vars).await?.ok()?;
    let v = parse(&r.body)?;
    let at = v
        .pointer(pointer)
        .ok_or_else(|| format!("no {pointer} in the answer"))?;
    number(at, pointer)
}

/// A text KPI's value at the pointer: a string as it is, anything else as its JSON.
pub async fn poll_text(
    client: &crate::monitor::http::Client,
    url: &str,
    pointer: &str,
    timeout: Duration,
    vars: &[(String, String)],
) -> Result<String, String> {
    let r = http::get(client, url, &[], timeout, vars).await?.ok()?;
    let v = parse(&r.body)?;
    match v.pointer(pointer) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Null) | None => Err(format!("no {pointer} in the answer")),
        Some(other) => Ok(other.to_string()),
    }
}

/// The body as JSON, or a plain reason (an HTML error page is the usual culprit).
pub fn parse(body: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(body).map_err(|_| {
        let head = String::from_utf8_lossy(&body[..body.len().min(20)]).to_lowercase();
        if head.trim_start().starts_with('<') {
            "HTML instead of JSON".into()
        } else {
            "not valid JSON".into()
        }
    })
}

/// A JSON value that must be a finite number (a numeric string counts).
pub fn number(v: &Value, what: &str) -> Result<f64, String> {
    let n = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .ok_or_else(|| format!("{what} is {}, not a number", short(v)))?;
    http::finite(n)
}

/// A JSON value shown briefly in an error badge.
pub fn short(v: &Value) -> String {
    let s = crate::app::output::sanitize(v.to_string().as_bytes());
    if s.chars().count() > 24 {
        format!("{}…", s.chars().take(23).collect::<String>())
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_are_strict() {
        assert_eq!(number(&json!(1.5), "/x"), Ok(1.5));
        assert_eq!(number(&json!("2.5"), "/x"), Ok(2.5));
        assert!(
            number(&json!("abc"), "/x")
                .unwrap_err()
                .contains("not a number")
        );
        assert!(number(&json!(null), "/x").is_err());
        assert!(parse(b"<html>oops</html>").unwrap_err().contains("HTML"));
        assert!(parse(b"{\"a\":").unwrap_err().contains("not valid JSON"));
    }
}

//! A small, exact reader for the Prometheus text exposition format: enough to pick one
//! metric's samples by name and labels (comments, escaped label values, NaN, ±Inf and
//! timestamps included).

use std::time::Duration;

use super::http;
use crate::runbook::Aggregate;

/// The scrape source: one metric from a text-format page, aggregated over matching series.
pub async fn poll(
    client: &reqwest::Client,
    url: &str,
    metric: &str,
    labels: &[(String, String)],
    aggregate: Aggregate,
    timeout: Duration,
    vars: &[(String, String)],
) -> Result<f64, String> {
    let r = http::get(client, url, &[], timeout, vars).await?.ok()?;
    let samples = parse(&String::from_utf8_lossy(&r.body))?;
    select(&samples, metric, labels, aggregate)
}

/// The aggregate of `metric`'s samples whose labels include every matcher.
pub fn select(
    samples: &[Sample],
    metric: &str,
    labels: &[(String, String)],
    aggregate: Aggregate,
) -> Result<f64, String> {
    let values: Vec<f64> = samples
        .iter()
        .filter(|s| {
            s.name == metric
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
    http::finite(match aggregate {
        Aggregate::Sum => values.iter().sum(),
        Aggregate::Avg => values.iter().sum::<f64>() / n,
        Aggregate::Max => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        Aggregate::Min => values.iter().copied().fold(f64::INFINITY, f64::min),
    })
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

/// Parses every sample line; returns the first malformed line's number and why.
pub fn parse(text: &str) -> Result<Vec<Sample>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        out.push(parse_line(line).map_err(|e| format!("line {}: {e}", n + 1))?);
    }
    Ok(out)
}

fn parse_line(line: &str) -> Result<Sample, String> {
    let name_end = line
        .find(|c: char| c == '{' || c.is_whitespace())
        .ok_or("a sample needs a value")?;
    let name = &line[..name_end];
    if name.is_empty() {
        return Err("missing metric name".into());
    }
    let mut rest = &line[name_end..];
    let mut labels = Vec::new();
    if let Some(body) = rest.strip_prefix('{') {
        let (parsed, after) = parse_labels(body)?;
        labels = parsed;
        rest = after;
    }
    let mut fields = rest.split_whitespace();
    let value_text = fields.next().ok_or("a sample needs a value")?;
    let value = parse_value(value_text).ok_or_else(|| format!("`{value_text}` is not a number"))?;
    // An optional timestamp may follow; nothing else may.
    if let Some(ts) = fields.next()
        && ts.parse::<i64>().is_err()
    {
        return Err(format!("`{ts}` is not a timestamp"));
    }
    Ok(Sample {
        name: name.to_owned(),
        labels,
        value,
    })
}

type Labels = Vec<(String, String)>;

/// The labels after `{`, and what follows the closing `}`.
fn parse_labels(mut s: &str) -> Result<(Labels, &str), String> {
    let mut labels = Vec::new();
    loop {
        s = s.trim_start();
        if let Some(after) = s.strip_prefix('}') {
            return Ok((labels, after));
        }
        let eq = s.find('=').ok_or("label without `=`")?;
        let key = s[..eq].trim().to_owned();
        s = s[eq + 1..].trim_start();
        let mut chars = s.char_indices();
        if chars.next().map(|(_, c)| c) != Some('"') {
            return Err(format!("label `{key}` value must be quoted"));
        }
        let mut value = String::new();
        let mut end = None;
        let mut escaped = false;
        for (i, c) in chars {
            if escaped {
                value.push(match c {
                    'n' => '\n',
                    other => other,
                });
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                end = Some(i);
                break;
            } else {
                value.push(c);
            }
        }
        let end = end.ok_or_else(|| format!("label `{key}` value is not closed"))?;
        labels.push((key, value));
        s = s[end + 1..].trim_start();
        if let Some(after) = s.strip_prefix(',') {
            s = after;
        }
    }
}

fn parse_value(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        _ => s.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corner_cases() {
        let text = r#"
# HELP http_requests_total The total.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000
msdos_file_access_time_seconds{path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\""} 1.458255915e9
metric_without_labels 12.47
weird{a="b,}c"} NaN
up_inf +Inf
down_inf{} -Inf
"#;
        let s = parse(text).unwrap();
        assert_eq!(s.len(), 7);
        assert_eq!(
            s[0].labels,
            vec![
                ("method".into(), "post".into()),
                ("code".into(), "200".into())
            ]
        );
        assert_eq!(s[1].value, 3.0);
        assert_eq!(s[2].labels[0].1, r"C:\DIR\FILE.TXT");
        assert_eq!(s[2].labels[1].1, "Cannot find file:\n\"FILE.TXT\"");
        assert_eq!(s[3].labels, vec![]);
        assert_eq!(s[4].labels[0].1, "b,}c");
        assert!(s[4].value.is_nan());
        assert_eq!(s[5].value, f64::INFINITY);
        assert_eq!(s[6].value, f64::NEG_INFINITY);
    }

    #[test]
    fn selects_and_aggregates_by_labels() {
        let s = parse("m{v=\"a\",z=\"1\"} 2\nm{v=\"b\"} 4\nother 9\nm{v=\"a\"} NaN\n").unwrap();
        let a = vec![
            ("v".to_owned(), "a".to_owned()),
            ("z".to_owned(), "1".to_owned()),
        ];
        assert_eq!(select(&s, "m", &a, Aggregate::Sum), Ok(2.0));
        assert_eq!(select(&s[..2], "m", &[], Aggregate::Avg), Ok(3.0));
        assert_eq!(select(&s[..2], "m", &[], Aggregate::Max), Ok(4.0));
        assert!(
            select(&s, "m", &[("v".into(), "a".into())], Aggregate::Sum)
                .unwrap_err()
                .contains("NaN")
        );
        assert!(
            select(&s, "nope", &[], Aggregate::Sum)
                .unwrap_err()
                .contains("no series")
        );
    }

    #[test]
    fn malformed_lines_are_reported() {
        assert!(parse("a{b=\"c\" 1").unwrap_err().contains("line 1"));
        assert!(parse("ok 1\nbad{x=1} 2").unwrap_err().contains("line 2"));
        assert!(parse("m abc").unwrap_err().contains("not a number"));
    }
}

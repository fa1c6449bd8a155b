//! The scrape source: one metric from a `/metrics` page (the text format or OpenMetrics,
//! read by `crate::exposition`), aggregated over the series whose labels match.

use std::time::Duration;

use chrono::DateTime;

use super::http;
use crate::app::Reading;
use crate::exposition::{self, Format, Sample};
use crate::runbook::Aggregate;

pub async fn poll(
    client: &reqwest::Client,
    url: &str,
    metric: &str,
    labels: &[(String, String)],
    aggregate: Aggregate,
    timeout: Duration,
    vars: &[(String, String)],
) -> Result<Reading, String> {
    let accept = [("Accept".to_owned(), exposition::ACCEPT.to_owned())];
    let r = http::get(client, url, &accept, timeout, vars).await?.ok()?;
    let format = Format::of(r.content_type.as_deref())?;
    let samples = exposition::parse(&r.body, format).map_err(|e| format!("malformed page, {e}"))?;
    select(&samples, metric, labels, aggregate)
}

/// The aggregate of `metric`'s samples whose labels include every matcher, measured when
/// the oldest of them says it was (if they carry timestamps).
pub fn select(
    samples: &[Sample],
    metric: &str,
    labels: &[(String, String)],
    aggregate: Aggregate,
) -> Result<Reading, String> {
    let chosen: Vec<&Sample> = samples
        .iter()
        .filter(|s| {
            s.name == metric
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.iter().any(|(a, b)| a == k && b == v))
        })
        .collect();
    let value = aggregate
        .apply(chosen.iter().map(|s| s.value))
        .ok_or_else(|| format!("no series {metric} matches"))?;
    let value = http::finite(value)?;
    let measured = chosen
        .iter()
        .filter_map(|s| s.timestamp_ms)
        .min()
        .and_then(DateTime::from_timestamp_millis);
    Ok(Reading { value, measured })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(text: &str) -> Vec<Sample> {
        exposition::parse(text.as_bytes(), Format::Text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn selects_and_aggregates_by_labels() {
        let s = page("m{v=\"a\",z=\"1\"} 2\nm{v=\"b\"} 4\nother 9\nm{v=\"a\"} NaN\n");
        let a = vec![
            ("v".to_owned(), "a".to_owned()),
            ("z".to_owned(), "1".to_owned()),
        ];
        let value = |r: Result<Reading, String>| r.map(|r| r.value);
        assert_eq!(value(select(&s, "m", &a, Aggregate::Sum)), Ok(2.0));
        assert_eq!(value(select(&s[..2], "m", &[], Aggregate::Avg)), Ok(3.0));
        assert_eq!(value(select(&s[..2], "m", &[], Aggregate::Max)), Ok(4.0));
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
    fn a_timestamped_sample_is_measured_when_it_says() {
        let s = page("m{a=\"1\"} 2 1700000000000\nm{a=\"2\"} 3 1700000060000\nn 1\n");
        let r = select(&s, "m", &[], Aggregate::Sum).unwrap();
        assert_eq!(r.value, 5.0);
        assert_eq!(r.measured, DateTime::from_timestamp(1_700_000_000, 0));
        assert_eq!(select(&s, "n", &[], Aggregate::Sum).unwrap().measured, None);
    }
}

//! The scrape source: one metric from a `/metrics` page (the text format or OpenMetrics,
//! read by `crate::exposition`), aggregated over the series whose labels match.

use std::time::Duration;

use chrono::DateTime;

use super::http;
use crate::app::Reading;
use crate::exposition::{self, Format, Rules, Sample};
use crate::runbook::Aggregate;

/// Which samples of a page make the KPI's value, and how.
pub struct Selector<'a> {
    pub metric: &'a str,
    /// Every one must be among a sample's labels.
    pub labels: &'a [(String, String)],
    pub aggregate: Aggregate,
}

pub async fn poll(
    client: &crate::monitor::http::Client,
    url: &str,
    selector: &Selector<'_>,
    rules: Rules,
    timeout: Duration,
    vars: &[(String, String)],
) -> Result<Reading, String> {
    let accept = [("Accept".to_owned(), exposition::ACCEPT.to_owned())];
    let r = http::get(client, url, &accept, timeout, vars).await?.ok()?;
    let format = Format::of(r.content_type.as_deref())?;
    let samples =
        exposition::parse(&r.body, format, rules).map_err(|e| format!("malformed page, {e}"))?;
    select(&samples, selector)
}

/// The aggregate of `metric`'s samples whose labels include every matcher, measured when
/// the oldest of them says it was (if they carry timestamps).
pub fn select(samples: &[Sample], selector: &Selector<'_>) -> Result<Reading, String> {
    let chosen: Vec<&Sample> = samples
        .iter()
        .filter(|s| {
            s.name == selector.metric
                && selector
                    .labels
                    .iter()
                    .all(|(k, v)| s.labels.iter().any(|(a, b)| a == k && b == v))
        })
        .collect();
    let value = selector
        .aggregate
        .apply(chosen.iter().map(|s| s.value))
        .ok_or_else(|| format!("no series {} matches", selector.metric))?;
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
        exposition::parse(text.as_bytes(), Format::Text, Rules::Spec)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn selects_and_aggregates_by_labels() {
        let s = page("m{v=\"a\",z=\"1\"} 2\nm{v=\"b\"} 4\nother 9\nm{v=\"a\"} NaN\n");
        let a = vec![
            ("v".to_owned(), "a".to_owned()),
            ("z".to_owned(), "1".to_owned()),
        ];
        let value = |r: Result<Reading, String>| r.map(|r| r.value);
        let by = |metric, labels, aggregate| Selector {
            metric,
            labels,
            aggregate,
        };
        assert_eq!(value(select(&s, &by("m", &a, Aggregate::Sum))), Ok(2.0));
        assert_eq!(
            value(select(&s[..2], &by("m", &[], Aggregate::Avg))),
            Ok(3.0)
        );
        assert_eq!(
            value(select(&s[..2], &by("m", &[], Aggregate::Max))),
            Ok(4.0)
        );
        let va = [("v".to_owned(), "a".to_owned())];
        assert!(
            select(&s, &by("m", &va, Aggregate::Sum))
                .unwrap_err()
                .contains("NaN")
        );
        assert!(
            select(&s, &by("nope", &[], Aggregate::Sum))
                .unwrap_err()
                .contains("no series")
        );
    }

    #[test]
    fn a_timestamped_sample_is_measured_when_it_says() {
        let s = page("m{a=\"1\"} 2 1700000000000\nm{a=\"2\"} 3 1700000060000\nn 1\n");
        let all = |metric| Selector {
            metric,
            labels: &[],
            aggregate: Aggregate::Sum,
        };
        let r = select(&s, &all("m")).unwrap();
        assert_eq!(r.value, 5.0);
        assert_eq!(r.measured, DateTime::from_timestamp(1_700_000_000, 0));
        assert_eq!(select(&s, &all("n")).unwrap().measured, None);
    }
}

//! `[[summary]]`: a KPI's aggregate, an endpoint's availability, or a hand-entered actual,
//! against a target.

use super::*;
use crate::runbook::summary::{Aggregate, Measure, Summary, Target};

pub(super) fn summaries(
    d: &mut Diagnostics<'_>,
    s: &Sections,
    refs: &Refs<'_>,
    phases: &[Phase],
    t0: Option<chrono::DateTime<chrono::Utc>>,
) -> Vec<Summary> {
    let records: Vec<&str> = phases
        .iter()
        .flat_map(|p| &p.steps)
        .filter_map(|s| s.record.as_ref().map(|r| r.id.as_str()))
        .collect();
    let mut ids = Ids::new("summary").knowing(&s.unparsed, "summary");
    s.summaries
        .iter()
        .enumerate()
        .filter_map(|(i, raw)| {
            let key = format!("summary[{i}]");
            ids.add(d, &format!("{key}.id"), &raw.id);
            summary(d, &key, raw, refs, &records, t0)
        })
        .collect()
}

fn summary(
    d: &mut Diagnostics<'_>,
    key: &str,
    s: &raw::Summary,
    refs: &Refs<'_>,
    records: &[&str],
    t0: Option<chrono::DateTime<chrono::Utc>>,
) -> Option<Summary> {
    let target = Target::parse(s.target.get_ref())
        .map_err(|e| d.error(Some(s.target.span()), format!("{key}.target"), e))
        .ok();
    let from = match &s.from {
        Some(f) => planned_time(d, &format!("{key}.from"), f, t0)?,
        None => TimeDelta::zero(),
    };
    let for_ = duration(d, &format!("{key}.for"), &s.for_);
    let aggregate = s.aggregate.as_ref().map(|a| (a, a.get_ref().as_str()));
    let of = match (&s.kpi, &s.endpoint, &s.record) {
        (Some(k), None, None) => {
            if refs.texts.contains(&k.get_ref().as_str()) {
                d.error(
                    Some(k.span()),
                    format!("{key}.kpi"),
                    format!(
                        "`{}` is a text KPI: a summary aggregates numbers",
                        k.get_ref()
                    ),
                );
            }
            if !refs.kpis.contains(k.get_ref()) {
                d.error(
                    Some(k.span()),
                    format!("{key}.kpi"),
                    format!("`{}` is not a KPI id defined in a `[[kpi]]`", k.get_ref()),
                );
            }
            let agg = match aggregate {
                None => Aggregate::Avg,
                Some((a, text)) => Aggregate::parse(text).or_else(|| {
                    d.error(
                        Some(a.span()),
                        format!("{key}.aggregate"),
                        format!(
                            "`{text}` is not an aggregate of a KPI: one of {}",
                            Aggregate::NAMES[..5].join(", ")
                        ),
                    );
                    None
                })?,
            };
            Measure::Kpi {
                kpi: k.get_ref().clone(),
                aggregate: agg,
                from,
                for_,
            }
        }
        (None, Some(e), None) => {
            if !refs.endpoints.contains(e.get_ref()) {
                d.error(
                    Some(e.span()),
                    format!("{key}.endpoint"),
                    format!(
                        "`{}` is not an endpoint id defined in an `[[endpoint]]`",
                        e.get_ref()
                    ),
                );
            }
            if let Some((a, text)) = aggregate
                && text != "availability"
            {
                d.error(
                    Some(a.span()),
                    format!("{key}.aggregate"),
                    "an endpoint's summary is its `availability` (the share of probes up, in %)",
                );
            }
            Measure::Availability {
                endpoint: e.get_ref().clone(),
                from,
                for_,
            }
        }
        (None, None, Some(r)) => {
            if !records.contains(&r.get_ref().as_str()) {
                d.error(
                    Some(r.span()),
                    format!("{key}.record"),
                    format!(
                        "no step has `record = {{ id = \"{}\" }}` to enter this actual",
                        r.get_ref()
                    ),
                );
            }
            Measure::Recorded {
                id: r.get_ref().clone(),
            }
        }
        _ => {
            d.error(
                Some(s.id.span()),
                key,
                "a summary is of one thing: `kpi = \"...\"` (with `aggregate`), `endpoint = \"...\"` (its availability) or `record = \"...\"` (an actual entered at a step)",
            );
            return None;
        }
    };
    Some(Summary {
        id: s.id.get_ref().clone(),
        title: s.title.clone().unwrap_or_else(|| s.id.get_ref().clone()),
        of,
        target: target?,
    })
}

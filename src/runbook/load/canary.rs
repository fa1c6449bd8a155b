//! `[[canary]]`: analyses judged as Kayenta judges, their metrics read from KPIs.

use super::*;
use crate::canary::{Effect, MetricSpec, Spec};
use crate::runbook::canary::{CanaryAnalysis, CanarySource};

/// The analyses, and their ids for the gates that show them.
pub(super) fn canaries(
    d: &mut Diagnostics<'_>,
    s: &Sections,
    kpis: &[Kpi],
) -> (Vec<CanaryAnalysis>, Ids) {
    let mut ids = Ids::new("canary").knowing(&s.unparsed, "canary");
    let mut out = Vec::new();
    for (i, c) in s.canaries.iter().enumerate() {
        let key = format!("canary[{}]", c.id.get_ref());
        check_id(d, &format!("{key}.id"), &c.id, true);
        ids.add(d, &format!("canary[{i}].id"), &c.id);
        let window =
            duration(d, &format!("{key}.window"), &c.window).unwrap_or(TimeDelta::minutes(10));
        let pass = percent(d, &format!("{key}.pass"), c.pass.as_ref()).unwrap_or(95.0);
        let marginal = percent(d, &format!("{key}.marginal"), c.marginal.as_ref()).unwrap_or(75.0);
        if pass < marginal {
            d.error(
                c.pass.as_ref().or(c.marginal.as_ref()).map(|v| v.span()),
                format!("{key}.pass"),
                format!("pass ({pass}) is below marginal ({marginal}): a score that passes would be marginal"),
            );
        }
        if c.metric.is_empty() {
            d.error(
                Some(c.id.span()),
                format!("{key}.metric"),
                "a canary needs at least one `[[canary.metric]]` (baseline and canary KPIs)",
            );
        }
        let mut spec = Spec {
            pass,
            marginal,
            min_points: c.min_points.as_ref().map_or(10, |m| *m.get_ref() as usize),
            weights: BTreeMap::new(),
            metrics: Vec::new(),
        };
        let mut sources = Vec::new();
        let mut ranged = Vec::new();
        let mut metric_ids = Ids::new("canary metric");
        for (j, m) in c.metric.iter().enumerate() {
            let mkey = format!("{key}.metric[{}]", m.id.get_ref());
            check_id(d, &format!("{mkey}.id"), &m.id, true);
            metric_ids.add(d, &format!("{key}.metric[{j}].id"), &m.id);
            let (metric, source) = metric(d, &mkey, m, kpis, window);
            if let (Some(w), Some(span)) = (
                m.weight.as_ref().map(|w| *w.get_ref()),
                m.weight.as_ref().map(|w| w.span()),
            ) {
                weight(d, &mkey, (&metric.group, w, span), &mut spec.weights);
            }
            ranged.push(query_range(d, &mkey, m, kpis));
            spec.metrics.push(metric);
            sources.push(source);
        }
        out.push(CanaryAnalysis {
            id: c.id.get_ref().clone(),
            window,
            holding: c.holding,
            spec,
            sources,
            ranged,
        });
    }
    (out, ids)
}

/// A score threshold: 0 to 100.
fn percent(d: &mut Diagnostics<'_>, key: &str, v: Option<&raw::S<f64>>) -> Option<f64> {
    let v = v?;
    let x = *v.get_ref();
    if (0.0..=100.0).contains(&x) {
        Some(x)
    } else {
        d.error(Some(v.span()), key, format!("{x} is not a score: 0 to 100"));
        None
    }
}

/// A metric's group weight: one per group, all of them together at most 100.
fn weight(
    d: &mut Diagnostics<'_>,
    key: &str,
    (group, w, span): (&str, f64, Range<usize>),
    weights: &mut BTreeMap<String, f64>,
) {
    if !(0.0..=100.0).contains(&w) {
        d.error(
            Some(span),
            format!("{key}.weight"),
            format!("{w} is not a weight: 0 to 100 (percent of the score)"),
        );
        return;
    }
    match weights.get(group) {
        Some(other) if *other != w => d.error(
            Some(span),
            format!("{key}.weight"),
            format!("group `{group}` already weighs {other}: a weight is the group's, give it once (or the same)"),
        ),
        Some(_) => {}
        None => {
            let total: f64 = weights.values().sum::<f64>() + w;
            if total > 100.0 {
                d.error(
                    Some(span),
                    format!("{key}.weight"),
                    format!("the groups' weights come to {total}, over 100"),
                );
            } else {
                weights.insert(group.to_owned(), w);
            }
        }
    }
}

/// One metric: its KPIs (known, distinct, sampled often enough for the window) and how
/// it is judged.
fn metric(
    d: &mut Diagnostics<'_>,
    key: &str,
    m: &raw::CanaryMetric,
    kpis: &[Kpi],
    window: TimeDelta,
) -> (MetricSpec, CanarySource) {
    let known = |d: &mut Diagnostics<'_>, field: &str, v: &raw::S<String>| -> Option<String> {
        known_kpi(d, &format!("{key}.{field}"), v, kpis, window).map(|k| k.unit.clone())
    };
    let unit = known(d, "baseline", &m.baseline).unwrap_or_default();
    known(d, "canary", &m.canary);
    if m.baseline.get_ref() == m.canary.get_ref() {
        d.error(
            Some(m.canary.span()),
            format!("{key}.canary"),
            format!("the canary is the baseline (`{}`): compare two KPIs, the baseline's and the canary's", m.canary.get_ref()),
        );
    }
    let kind = m.kind.as_ref().map(|k| k.get_ref().as_str());
    let source = match kind {
        Some("proportion") => {
            let total = |d: &mut Diagnostics<'_>, field: &str, v: &Option<raw::S<String>>| match v {
                Some(v) => {
                    known(d, field, v);
                    v.get_ref().clone()
                }
                None => {
                    d.error(
                        m.kind.as_ref().map(|k| k.span()),
                        format!("{key}.{field}"),
                        format!("a proportion needs `{field}`: the KPI counting what `{}` counts out of", if field.starts_with("baseline") { "baseline" } else { "canary" }),
                    );
                    String::new()
                }
            };
            let baseline_total = total(d, "baseline-total", &m.baseline_total);
            let canary_total = total(d, "canary-total", &m.canary_total);
            CanarySource::Counts {
                baseline: m.baseline.get_ref().clone(),
                baseline_total,
                canary: m.canary.get_ref().clone(),
                canary_total,
            }
        }
        None | Some("samples") => CanarySource::Samples {
            baseline: m.baseline.get_ref().clone(),
            canary: m.canary.get_ref().clone(),
        },
        Some(other) => {
            d.error(
                m.kind.as_ref().map(|k| k.span()),
                format!("{key}.kind"),
                format!("`{other}` is not a kind: `samples` (the default) or `proportion` (events out of a total)"),
            );
            CanarySource::Samples {
                baseline: m.baseline.get_ref().clone(),
                canary: m.canary.get_ref().clone(),
            }
        }
    };
    let effect = m.effect.unwrap_or(Effect::MeanRatio);
    let mut limit = |field: &str, v: &Option<raw::S<f64>>| match v {
        Some(v) if *v.get_ref() > 0.0 && v.get_ref().is_finite() => *v.get_ref(),
        Some(v) => {
            d.error(
                Some(v.span()),
                format!("{key}.{field}"),
                format!("{} is not an effect size: a number above 0", v.get_ref()),
            );
            effect.neutral()
        }
        None => effect.neutral(),
    };
    let allowed_increase = limit("allowed-increase", &m.allowed_increase);
    let allowed_decrease = limit("allowed-decrease", &m.allowed_decrease);
    let spec = MetricSpec {
        id: m.id.get_ref().clone(),
        direction: m
            .direction
            .as_ref()
            .map(|v| *v.get_ref())
            .unwrap_or_default(),
        critical: m.critical,
        must_have_data: m.must_have_data,
        group: m.group.clone().unwrap_or_else(|| "default".to_owned()),
        effect,
        allowed_increase,
        allowed_decrease,
        nan: m.nan.unwrap_or_default(),
        outliers: m.outliers.unwrap_or_default(),
        unit,
    };
    (spec, source)
}

/// A KPI a metric reads: defined, and sampled more often than the window is long.
fn known_kpi<'k>(
    d: &mut Diagnostics<'_>,
    key: &str,
    v: &raw::S<String>,
    kpis: &'k [Kpi],
    window: TimeDelta,
) -> Option<&'k Kpi> {
    let found = kpis.iter().find(|k| k.id == *v.get_ref());
    match found {
        None => d.error(
            Some(v.span()),
            key,
            format!("`{}` is not a KPI id defined in a `[[kpi]]`", v.get_ref()),
        ),
        Some(k) if k.interval >= window => d.error(
            Some(v.span()),
            key,
            format!(
                "KPI `{}` is sampled every {}: the window ({}) holds too few of its points; make the window longer",
                k.id,
                crate::runbook::time::format_duration(k.interval),
                crate::runbook::time::format_duration(window)
            ),
        ),
        Some(_) => {}
    }
    found
}

/// `query-range = true`: allowed when both sides are Prometheus queries.
fn query_range(d: &mut Diagnostics<'_>, key: &str, m: &raw::CanaryMetric, kpis: &[Kpi]) -> bool {
    let Some(flag) = m.query_range.as_ref().filter(|f| *f.get_ref()) else {
        return false;
    };
    let prometheus = |id: &str| {
        kpis.iter()
            .find(|k| k.id == id)
            .is_some_and(|k| matches!(k.source, KpiSource::Prometheus { .. }))
    };
    let not: Vec<&str> = [m.baseline.get_ref(), m.canary.get_ref()]
        .into_iter()
        .filter(|id| !prometheus(id))
        .map(String::as_str)
        .collect();
    let proportion = m.kind.as_ref().is_some_and(|k| k.get_ref() == "proportion");
    if !not.is_empty() || proportion {
        d.error(
            Some(flag.span()),
            format!("{key}.query-range"),
            if not.is_empty() {
                "a proportion is judged from counters over the window, not a range query".to_owned()
            } else {
                format!(
                    "`{}` is not a `prometheus` KPI: a range query needs one on each side",
                    not.join("`, `")
                )
            },
        );
        return false;
    }
    true
}

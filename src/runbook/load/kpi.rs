//! `[[kpi]]`: each KPI's one source, its connection, schedule and thresholds.

use super::*;

/// The KPIs, and their ids for what refers to them.
pub(super) fn kpis(
    d: &mut Diagnostics<'_>,
    s: &Sections,
    connections: &mut Connections,
    dir: &Path,
    t0: Option<chrono::DateTime<chrono::Utc>>,
) -> (Vec<Kpi>, Ids) {
    let mut kpi_ids = Ids::new("KPI").knowing(&s.unparsed, "kpi");
    let mut kpis = Vec::new();
    for (i, k) in s.kpis.iter().enumerate() {
        let key = format!("kpi[{}]", k.id.get_ref());
        check_id(d, &format!("{key}.id"), &k.id, false);
        kpi_ids.add(d, &format!("kpi[{i}].id"), &k.id);
        let mut sources = sources(d, &key, k, connections, dir);
        let source = match sources.len() {
            1 => sources.pop().map(|(_, s, reach)| (s, reach)),
            0 => {
                d.error(
                    Some(k.id.span()),
                    key.clone(),
                    "a KPI needs exactly one source: `prometheus`, `scrape`, `json` or `command`",
                );
                None
            }
            _ => {
                d.error(
                    Some(sources[1].0.clone()),
                    key.clone(),
                    "a KPI takes exactly one source, this one has several",
                );
                None
            }
        };
        let thresholds = thresholds(d, &key, k);
        let text = k.text.as_ref().is_some_and(|t| *t.get_ref());
        if let (Some(t), true) = (&k.text, text) {
            if thresholds.is_some() || k.better.is_some() {
                d.error(
                    Some(t.span()),
                    format!("{key}.text"),
                    "a text KPI has no thresholds: compare it in a rule (`version == \"v1.5.0\"`)",
                );
            }
            if let Some((_, s, _)) = source.as_ref().map(|(s, r)| ((), s, r))
                && !matches!(s, KpiSource::Command { .. } | KpiSource::Json { .. })
            {
                d.error(
                    Some(t.span()),
                    format!("{key}.text"),
                    format!(
                        "a `{}` source gives numbers: text comes from a `command` or a `json` source",
                        s.kind()
                    ),
                );
            }
        }
        if let Some((source, reach)) = source {
            let own_timeout = duration(d, &format!("{key}.timeout"), &k.timeout);
            let (connection, source_timeout, connection_timeout) = reach
                .map_or((Connection::default(), None, None), |r| {
                    (r.connection, r.timeout, r.connection_timeout)
                });
            if let (Some(t), Some(_)) = (&k.timeout, source_timeout) {
                d.error(
                    Some(t.span()),
                    format!("{key}.timeout"),
                    format!(
                        "the timeout is set twice, here and in its `{}` source: keep one",
                        source.kind()
                    ),
                );
            }
            kpis.push(Kpi {
                id: k.id.get_ref().clone(),
                label: k.label.clone().unwrap_or_else(|| k.id.get_ref().clone()),
                unit: k.unit.clone().unwrap_or_default(),
                interval: duration(d, &format!("{key}.interval"), &k.interval)
                    .unwrap_or(defaults::INTERVAL),
                schedule: schedule(d, &key, &k.schedule, t0),
                timeout: own_timeout
                    .or(source_timeout)
                    .or(connection_timeout)
                    .unwrap_or(defaults::TIMEOUT),
                source,
                connection,
                thresholds,
                text,
            });
        }
    }
    (kpis, kpi_ids)
}

/// A KPI's sources as written (a valid KPI has exactly one), each with its place in the
/// file and the connection it reaches through.
fn sources(
    d: &mut Diagnostics<'_>,
    key: &str,
    k: &raw::Kpi,
    connections: &mut Connections,
    dir: &Path,
) -> Vec<(Range<usize>, KpiSource, Option<Resolved>)> {
    let mut sources: Vec<(Range<usize>, KpiSource, Option<Resolved>)> = Vec::new();
    if let Some(p) = &k.prometheus {
        let r = p.get_ref();
        let reach = connections.resolve(
            d,
            Table {
                key: &format!("{key}.prometheus"),
                span: p.span(),
                own_keys: &["url", "query", "aggregate"],
                options: &r.options,
                unknown: &r.unknown,
                url: r.url.as_deref(),
                url_use: UrlUse::Base,
            },
            dir,
        );
        let aggregate = r
            .aggregate
            .as_ref()
            .map(|a| aggregate(d, &format!("{key}.prometheus.aggregate"), a));
        sources.push((
            p.span(),
            KpiSource::Prometheus {
                url: reach.url.clone().unwrap_or_default(),
                query: r.query.clone(),
                aggregate,
            },
            Some(reach),
        ));
    }
    if let Some(sc) = &k.scrape {
        let r = sc.get_ref();
        let reach = connections.resolve(
            d,
            Table {
                key: &format!("{key}.scrape"),
                span: sc.span(),
                own_keys: &["url", "metric", "labels", "aggregate", "strict"],
                options: &r.options,
                unknown: &r.unknown,
                url: r.url.as_deref(),
                url_use: UrlUse::Page,
            },
            dir,
        );
        let aggregate = r.aggregate.as_ref().map_or(Aggregate::Sum, |a| {
            aggregate(d, &format!("{key}.scrape.aggregate"), a)
        });
        sources.push((
            sc.span(),
            KpiSource::Scrape {
                url: reach.url.clone().unwrap_or_default(),
                metric: r.metric.clone(),
                labels: r
                    .labels
                    .iter()
                    .map(|(a, b)| (a.clone(), b.clone()))
                    .collect(),
                aggregate,
                rules: if r.strict {
                    crate::exposition::Rules::Spec
                } else {
                    crate::exposition::Rules::Scraper
                },
            },
            Some(reach),
        ));
    }
    if let Some(j) = &k.json {
        let r = j.get_ref();
        let reach = connections.resolve(
            d,
            Table {
                key: &format!("{key}.json"),
                span: j.span(),
                own_keys: &["url", "pointer"],
                options: &r.options,
                unknown: &r.unknown,
                url: r.url.as_deref(),
                url_use: UrlUse::Page,
            },
            dir,
        );
        check_pointer(d, &format!("{key}.json.pointer"), &r.pointer);
        sources.push((
            j.span(),
            KpiSource::Json {
                url: reach.url.clone().unwrap_or_default(),
                pointer: r.pointer.get_ref().clone(),
            },
            Some(reach),
        ));
    }
    if let Some(c) = &k.command {
        if let Some(program) = c.get_ref().first() {
            warn_missing_script(d, &format!("{key}.command"), c.span(), program, dir);
            sources.push((
                c.span(),
                KpiSource::Command {
                    argv: c.get_ref().clone(),
                },
                None,
            ));
        } else {
            d.error(
                Some(c.span()),
                format!("{key}.command"),
                "`command` is empty: expected [\"program\", \"arg\", ...]",
            );
        }
    }
    sources
}

pub(super) fn thresholds(d: &mut Diagnostics<'_>, key: &str, k: &raw::Kpi) -> Option<Thresholds> {
    let better = match k.better.as_ref().map(|b| (b.get_ref().as_str(), b.span())) {
        None | Some(("lower", _)) => Better::Lower,
        Some(("higher", _)) => Better::Higher,
        Some((other, span)) => {
            d.error(
                Some(span),
                format!("{key}.better"),
                format!("`{other}` is not a direction: expected \"lower\" or \"higher\""),
            );
            Better::Lower
        }
    };
    let levels = [
        ("target", &k.target),
        ("warning", &k.warning),
        ("critical", &k.critical),
    ];
    let mut last: Option<(&str, f64)> = None;
    for (name, v) in levels {
        let Some(v) = v else { continue };
        let x = *v.get_ref();
        if !x.is_finite() {
            d.error(
                Some(v.span()),
                format!("{key}.{name}"),
                format!("`{name}` must be a finite number"),
            );
            continue;
        }
        if let Some((prev_name, prev)) = last {
            let out_of_order = match better {
                Better::Lower => x < prev,
                Better::Higher => x > prev,
            };
            if out_of_order {
                let expect = if better == Better::Lower {
                    "at least"
                } else {
                    "at most"
                };
                d.error(
                    Some(v.span()),
                    format!("{key}.{name}"),
                    format!("thresholds out of order: {name} {x} must be {expect} {prev_name} {prev} when {} is better", if better == Better::Lower { "lower" } else { "higher" }),
                );
            }
        }
        last = Some((name, x));
    }
    if k.target.is_none() && k.warning.is_none() && k.critical.is_none() {
        return None;
    }
    Some(Thresholds {
        better,
        target: k.target.as_ref().map(|v| *v.get_ref()),
        warning: k.warning.as_ref().map(|v| *v.get_ref()),
        critical: k.critical.as_ref().map(|v| *v.get_ref()),
    })
}

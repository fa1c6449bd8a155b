//! `[[phase]]`: the plan's steps (planned time, command, confirmation, verification) and
//! checklists.

use super::*;

/// The phases, and the ids of phases and of steps for what refers to them.
pub(super) fn phases(
    d: &mut Diagnostics<'_>,
    s: &Sections,
    refs: &Refs<'_>,
    dir: &Path,
    t0: Option<chrono::DateTime<chrono::Utc>>,
) -> (Vec<Phase>, Ids, Ids) {
    let mut phase_ids = Ids::new("phase").knowing(&s.unparsed, "phase");
    let mut step_ids = Ids::new("step").knowing(&s.unparsed, "step");
    let mut check_ids = Ids::new("check").knowing(&s.unparsed, "check");
    let mut phases = Vec::new();
    let mut previous: Option<(TimeDelta, String)> = None;
    for (pi, p) in s.phases.iter().enumerate() {
        let pkey = format!("phase[{}]", p.id.get_ref());
        check_id(d, &format!("{pkey}.id"), &p.id, true);
        phase_ids.add(d, &format!("phase[{pi}].id"), &p.id);
        let date = phase_date(d, &pkey, p.date.as_ref(), t0);
        let mut steps = Vec::new();
        for st in &p.step {
            let step_span = st.span();
            let st = st.get_ref();
            let key = format!("{pkey}.step[{}]", st.id.get_ref());
            check_id(d, &format!("{key}.id"), &st.id, true);
            step_ids.add(d, &format!("{key}.id"), &st.id);
            let all_day = st.all_day.as_ref().is_some_and(|a| *a.get_ref());
            let planned = match (&st.at, date, all_day) {
                // A clock time on the phase's day.
                (Some(at), Some((day, t0)), false) => match TimeSpec::parse(at.get_ref()) {
                    Ok(TimeSpec::ClockTime(t)) => Some(day.and_time(t).and_utc() - t0),
                    _ => planned_time(d, &format!("{key}.at"), at, Some(t0)),
                },
                (Some(at), _, false) => planned_time(d, &format!("{key}.at"), at, t0),
                // All day: from its day's midnight (the phase's day, or the date `at` names).
                (at, day, true) => {
                    all_day_start(d, &key, (at.as_ref(), st.all_day.as_ref()), day, t0)
                }
                (None, _, false) => None,
            };
            if let (Some(at), Some((prev, prev_id))) = (planned, &previous)
                && at < *prev
            {
                let span = st.at.as_ref().map_or(step_span.clone(), |a| a.span());
                d.warning(
                    Some(span),
                    format!("{key}.at"),
                    format!("planned at {} but comes after step `{prev_id}` planned at {}: steps are out of time order", time::format_planned(at), time::format_planned(*prev)),
                );
            }
            if let Some(at) = planned {
                previous = Some((at, st.id.get_ref().clone()));
            }
            let cmd = command(d, &key, &st.run, &st.shell, dir);
            let confirm = confirmation(d, &key, &st.confirm, &st.phrase, Confirm::YesNo);
            if st.automatic && confirm != Confirm::None {
                d.warning(Some(step_span.clone()), key.clone(), "an automatic step runs at its planned time without a confirmation; its `confirm` is ignored");
            }
            if st.automatic && planned.is_none() {
                d.error(
                    Some(step_span.clone()),
                    key.clone(),
                    "an automatic step needs a planned time `at`",
                );
            }
            for k in &st.capture_baseline {
                if !refs.kpis.contains(k.get_ref()) {
                    d.error(
                        Some(k.span()),
                        format!("{key}.capture-baseline"),
                        format!("`{}` is not a KPI id defined in a `[[kpi]]`", k.get_ref()),
                    );
                }
            }
            let verify = st
                .verify
                .as_ref()
                .and_then(|v| verify(d, &format!("{key}.verify"), v, refs, dir));
            if st.continuous && (st.run.is_some() || st.shell.is_some() || st.automatic) {
                d.error(
                    Some(step_span.clone()),
                    format!("{key}.continuous"),
                    "a continuous step is a watch with nothing to run: drop `run`, `shell` and `automatic`",
                );
            }
            if st.continuous && st.at.is_none() {
                d.error(
                    Some(step_span.clone()),
                    format!("{key}.continuous"),
                    "a continuous step watches from its `at`: give it one",
                );
            }
            steps.push(Step {
                continuous: st.continuous,
                id: st.id.get_ref().clone(),
                title: st.title.clone(),
                owner: st.owner.clone(),
                planned,
                duration: duration(d, &format!("{key}.duration"), &st.duration)
                    .or(all_day.then(|| TimeDelta::days(1))),
                hold: duration(d, &format!("{key}.hold"), &st.hold),
                command: cmd,
                confirm: if st.automatic { Confirm::None } else { confirm },
                timeout: duration(d, &format!("{key}.timeout"), &st.timeout),
                verify,
                blocking: st.blocking.unwrap_or(true),
                automatic: st.automatic,
                point_of_no_return: st.point_of_no_return,
                capture_baseline: st
                    .capture_baseline
                    .iter()
                    .map(|k| k.get_ref().clone())
                    .collect(),
                notes: st.notes.clone(),
                all_day,
                record: st.record.as_ref().map(|r| {
                    let r = r.get_ref();
                    check_id(d, &format!("{key}.record.id"), &r.id, true);
                    crate::runbook::summary::Record {
                        id: r.id.get_ref().clone(),
                        unit: r.unit.clone(),
                    }
                }),
            });
        }
        let mut checks = Vec::new();
        for c in &p.check {
            let key = format!("{pkey}.check[{}]", c.id.get_ref());
            check_id(d, &format!("{key}.id"), &c.id, true);
            check_ids.add(d, &format!("{key}.id"), &c.id);
            let auto = c.auto.as_ref().and_then(|a| {
                let e = expression(d, &format!("{key}.auto"), a)?;
                refs.check(d, &format!("{key}.auto"), a, &e);
                Some(e)
            });
            checks.push(Check {
                id: c.id.get_ref().clone(),
                text: c.text.clone(),
                auto,
            });
        }
        phases.push(Phase {
            id: p.id.get_ref().clone(),
            title: p.title.clone(),
            steps,
            checks,
        });
    }
    (phases, phase_ids, step_ids)
}

pub(super) fn verify(
    d: &mut Diagnostics<'_>,
    key: &str,
    v: &raw::S<raw::Verify>,
    refs: &Refs<'_>,
    dir: &Path,
) -> Option<Verify> {
    let span = v.span();
    let v = v.get_ref();
    let command = v.run.as_ref().and_then(|r| {
        let program = r.get_ref().first();
        if let Some(p) = program {
            warn_missing_script(d, &format!("{key}.run"), r.span(), p, dir);
        } else {
            d.error(Some(r.span()), format!("{key}.run"), "`run` is empty");
        }
        program.map(|_| r.get_ref().clone())
    });
    if let Some(ep) = &v.endpoint
        && !refs.endpoints.contains(ep.get_ref())
    {
        d.error(
            Some(ep.span()),
            format!("{key}.endpoint"),
            format!("`{}` is not an endpoint id", ep.get_ref()),
        );
    }
    let rule = v.rule.as_ref().and_then(|r| {
        let e = expression(d, &format!("{key}.rule"), r)?;
        refs.check(d, &format!("{key}.rule"), r, &e);
        Some(e)
    });
    if command.is_none() && v.endpoint.is_none() && rule.is_none() {
        d.error(
            Some(span),
            key,
            "a verification needs `run`, `endpoint` or `rule`",
        );
        return None;
    }
    if v.expect_output.is_some() && command.is_none() {
        d.error(
            Some(span),
            format!("{key}.expect-output"),
            "`expect-output` checks the output of `run`, which is missing",
        );
    }
    Some(Verify {
        command,
        expect_output: v.expect_output.clone(),
        endpoint: v.endpoint.as_ref().map(|e| e.get_ref().clone()),
        rule,
        hold_for: duration(d, &format!("{key}.for"), &v.for_).unwrap_or_default(),
        timeout: duration(d, &format!("{key}.timeout"), &v.timeout)
            .unwrap_or(defaults::VERIFY_TIMEOUT),
    })
}

/// A phase's `date` (`YYYY-MM-DD`) with the fixed T0 its times are counted from.
fn phase_date(
    d: &mut Diagnostics<'_>,
    key: &str,
    date: Option<&raw::S<String>>,
    t0: Option<chrono::DateTime<chrono::Utc>>,
) -> Option<(chrono::NaiveDate, chrono::DateTime<chrono::Utc>)> {
    let date = date?;
    let Ok(day) = chrono::NaiveDate::parse_from_str(date.get_ref().trim(), "%Y-%m-%d") else {
        d.error(
            Some(date.span()),
            format!("{key}.date"),
            format!(
                "`{}` is not a date: expected YYYY-MM-DD, such as 2026-02-09",
                date.get_ref()
            ),
        );
        return None;
    };
    let Some(t0) = t0 else {
        d.error(
            Some(date.span()),
            format!("{key}.date"),
            "a dated phase needs a fixed `t0` date-time in `[runbook]`: its times are counted from it",
        );
        return None;
    };
    Some((day, t0))
}

/// An all-day step's start: the midnight of its phase's day, or of the date its `at` names.
fn all_day_start(
    d: &mut Diagnostics<'_>,
    key: &str,
    (at, flag): (Option<&raw::S<String>>, Option<&raw::S<bool>>),
    day: Option<(chrono::NaiveDate, chrono::DateTime<chrono::Utc>)>,
    t0: Option<chrono::DateTime<chrono::Utc>>,
) -> Option<TimeDelta> {
    let named = at.and_then(|a| match TimeSpec::parse(a.get_ref()) {
        Ok(TimeSpec::DateTime(dt)) => Some(dt.date_naive()),
        _ => None,
    });
    match (named.or(day.map(|(d, _)| d)), t0) {
        (Some(date), Some(t0)) => Some(date.and_time(chrono::NaiveTime::MIN).and_utc() - t0),
        _ => {
            d.error(
                flag.map(|f| f.span()),
                format!("{key}.all-day"),
                "an all-day step needs its day: a `date` on its phase (with a fixed `t0`), or an `at` date",
            );
            None
        }
    }
}

//! `[status] levels` and `[escalation]`: conditions over KPIs, endpoints and the plan's
//! facts (`late_minutes`, `firing_warnings`, `firing_critical`, `overrun`).

use super::*;
use crate::runbook::status::{Condition, EscalationLevel, Hue, PLAN_FACTS, StatusLevel};

/// A condition's expression, its KPIs and endpoints known or plan facts.
fn condition(
    d: &mut Diagnostics<'_>,
    key: &str,
    v: &raw::S<String>,
    refs: &Refs<'_>,
) -> Option<Condition> {
    let expr = expression(d, key, v)?;
    let with_facts = Refs {
        facts: &PLAN_FACTS,
        ..*refs
    };
    with_facts.check(d, key, v, &expr);
    Some(Condition {
        source: v.get_ref().clone(),
        expr,
    })
}

/// `[status] levels = [{ name, color, when }]`: first match wins; a level without `when`
/// matches always, so only the last may lack one.
pub(super) fn status_levels(
    d: &mut Diagnostics<'_>,
    s: &Sections,
    refs: &Refs<'_>,
) -> Vec<StatusLevel> {
    let Some(status) = &s.status else {
        return Vec::new();
    };
    let levels = status.levels.get_ref();
    if levels.is_empty() {
        d.error(
            Some(status.levels.span()),
            "status.levels",
            "at least one level: `levels = [{ name = \"Green\", color = \"green\" }]`",
        );
    }
    let mut out = Vec::new();
    for (i, l) in levels.iter().enumerate() {
        let key = format!("status.levels[{i}]");
        let l = l.get_ref();
        let hue = Hue::parse(l.color.get_ref());
        if hue.is_none() {
            d.error(
                Some(l.color.span()),
                format!("{key}.color"),
                format!(
                    "`{}` is not a colour: one of {} or `#rrggbb`",
                    l.color.get_ref(),
                    Hue::NAMES.join(", ")
                ),
            );
        }
        let when = l
            .when
            .as_ref()
            .and_then(|w| condition(d, &format!("{key}.when"), w, refs));
        if l.when.is_none() && i + 1 < levels.len() {
            d.error(
                Some(l.name.span()),
                &key,
                format!(
                    "level `{}` has no `when`, so it always matches and the levels after it never would: give it a condition or put it last",
                    l.name.get_ref()
                ),
            );
        }
        if out
            .iter()
            .any(|o: &StatusLevel| o.name == *l.name.get_ref())
        {
            d.error(
                Some(l.name.span()),
                format!("{key}.name"),
                format!("level `{}` is named twice", l.name.get_ref()),
            );
        }
        out.push(StatusLevel {
            name: l.name.get_ref().clone(),
            hue: hue.unwrap_or(Hue::Gray),
            when,
        });
    }
    out
}

/// `[escalation]`: `levels = ["0m", "15m"]` by age alone, or `[[escalation.level]]` tables
/// each reached by `after` (age) or `when` (a condition), with a response time and duties.
pub(super) fn escalation(
    d: &mut Diagnostics<'_>,
    s: &Sections,
    refs: &Refs<'_>,
) -> Vec<EscalationLevel> {
    let Some(e) = &s.escalation else {
        return Vec::new();
    };
    match (&e.levels, e.level.is_empty()) {
        (Some(levels), true) => by_age(d, levels),
        (None, false) => level_tables(d, &e.level, refs),
        (Some(levels), false) => {
            d.error(
                Some(levels.span()),
                "escalation.levels",
                "write the levels either as `levels = [...]` or as `[[escalation.level]]` tables, not both",
            );
            Vec::new()
        }
        (None, true) => {
            d.error(
                None,
                "escalation",
                "at least one level: `levels = [\"0m\", \"15m\", \"30m\"]` or `[[escalation.level]]` tables",
            );
            Vec::new()
        }
    }
}

/// Each later than the one before; the first when the incident starts.
fn check_age(
    d: &mut Diagnostics<'_>,
    key: &str,
    v: &raw::S<String>,
    i: usize,
    prev: Option<(usize, TimeDelta)>,
) -> Option<TimeDelta> {
    let at = parse_duration(v.get_ref())
        .map_err(|e| d.error(Some(v.span()), key, e))
        .ok()?;
    if i == 0 && at != TimeDelta::zero() {
        d.error(
            Some(v.span()),
            key,
            "level 1 starts when the incident does: write `0m` first",
        );
    }
    if let Some((n, p)) = prev
        && at <= p
    {
        d.error(
            Some(v.span()),
            key,
            format!("level {} must start later than level {}", i + 1, n + 1),
        );
    }
    Some(at)
}

fn by_age(d: &mut Diagnostics<'_>, levels: &raw::S<Vec<raw::S<String>>>) -> Vec<EscalationLevel> {
    let mut out: Vec<EscalationLevel> = Vec::new();
    let mut prev = None;
    for (i, v) in levels.get_ref().iter().enumerate() {
        let Some(at) = check_age(d, &format!("escalation.levels[{i}]"), v, i, prev) else {
            continue;
        };
        prev = Some((i, at));
        out.push(EscalationLevel {
            after: Some(at),
            when: None,
            respond_within: None,
            duties: None,
        });
    }
    if out.is_empty() {
        d.error(
            Some(levels.span()),
            "escalation.levels",
            "at least one level: `levels = [\"0m\", \"15m\", \"30m\"]`",
        );
    }
    out
}

fn level_tables(
    d: &mut Diagnostics<'_>,
    levels: &[raw::S<raw::EscalationLevel>],
    refs: &Refs<'_>,
) -> Vec<EscalationLevel> {
    let mut out = Vec::new();
    let mut prev = None;
    for (i, l) in levels.iter().enumerate() {
        let key = format!("escalation.level[{i}]");
        let span = l.span();
        let l = l.get_ref();
        // Level 1 is where every incident starts: without `after`, at once.
        let after = match &l.after {
            Some(v) => check_age(d, &format!("{key}.after"), v, i, prev),
            None if i == 0 => Some(TimeDelta::zero()),
            None => None,
        };
        if let Some(at) = after {
            prev = Some((i, at));
        }
        let when = l
            .when
            .as_ref()
            .and_then(|w| condition(d, &format!("{key}.when"), w, refs));
        if i > 0 && l.after.is_none() && l.when.is_none() {
            d.error(
                Some(span),
                &key,
                format!(
                    "level {} is never reached: give it `after = \"30m\"` (the incident's age) or `when = \"firing_critical > 0\"`",
                    i + 1
                ),
            );
        }
        out.push(EscalationLevel {
            after,
            when,
            respond_within: duration(d, &format!("{key}.respond-within"), &l.respond_within),
            duties: l.duties.clone(),
        });
    }
    out
}

//! `[[rule]]`: expressions over KPIs and endpoints, held for a while, and what they do.

use super::*;

/// The rules, and their ids for what refers to them.
pub(super) fn rules(d: &mut Diagnostics<'_>, s: &Sections, refs: &Refs<'_>) -> (Vec<Rule>, Ids) {
    let mut rule_ids = Ids::new("rule").knowing(&s.unparsed, "rule");
    let mut rules = Vec::new();
    for (i, r) in s.rules.iter().enumerate() {
        let key = format!("rule[{}]", r.id.get_ref());
        check_id(d, &format!("{key}.id"), &r.id, true);
        rule_ids.add(d, &format!("rule[{i}].id"), &r.id);
        let expr = expression(d, &format!("{key}.expr"), &r.expr);
        if let Some(e) = &expr {
            refs.check(d, &format!("{key}.expr"), &r.expr, e);
        }
        let resolve = r.resolve.as_ref().and_then(|x| {
            let e = expression(d, &format!("{key}.resolve"), x)?;
            refs.check(d, &format!("{key}.resolve"), x, &e);
            Some(e)
        });
        let severity = match r
            .severity
            .as_ref()
            .map(|s| (s.get_ref().as_str(), s.span()))
        {
            None | Some(("warning", _)) => Severity::Warning,
            Some(("critical", _)) => Severity::Critical,
            Some(("info", _)) => Severity::Info,
            Some((other, span)) => {
                d.error(
                    Some(span),
                    format!("{key}.severity"),
                    format!("`{other}` is not a severity: expected info, warning or critical"),
                );
                Severity::Warning
            }
        };
        let grace = duration(d, &format!("{key}.grace"), &r.grace);
        let action = match r.action.as_ref().map(|s| (s.get_ref().as_str(), s.span())) {
            None | Some(("none", _)) => RuleAction::None,
            Some(("propose-rollback", _)) => RuleAction::ProposeRollback,
            Some(("auto-rollback", _)) => RuleAction::AutoRollback {
                grace: grace.unwrap_or(defaults::GRACE),
            },
            Some((other, span)) => {
                d.error(Some(span), format!("{key}.action"), format!("`{other}` is not an action: expected none, propose-rollback or auto-rollback"));
                RuleAction::None
            }
        };
        if !matches!(action, RuleAction::None)
            && s.rollback.is_none()
            && let Some(a) = &r.action
        {
            d.error(
                Some(a.span()),
                format!("{key}.action"),
                "this rule acts on the rollback, but the runbook has no `[rollback]` section",
            );
        }
        let tier = r.tier.as_ref().and_then(|t| match t.get_ref().as_str() {
            "immediate" => Some(Tier::Immediate),
            "urgent" => Some(Tier::Urgent),
            "conditional" => Some(Tier::Conditional),
            other => {
                d.error(
                    Some(t.span()),
                    format!("{key}.tier"),
                    format!("`{other}` is not a tier: expected immediate, urgent or conditional"),
                );
                None
            }
        });
        let no_data = match r.no_data.as_ref().map(|s| (s.get_ref().as_str(), s.span())) {
            None | Some(("keep", _)) => NoData::Keep,
            Some(("resolve", _)) => NoData::Resolve,
            Some(("alert", _)) => NoData::Alert,
            Some((other, span)) => {
                d.error(
                    Some(span),
                    format!("{key}.no-data"),
                    format!("`{other}` is not a no-data choice: expected keep, resolve or alert"),
                );
                NoData::Keep
            }
        };
        if let Some(expr) = expr {
            rules.push(Rule {
                id: r.id.get_ref().clone(),
                source: r.expr.get_ref().clone(),
                expr,
                for_: duration(d, &format!("{key}.for"), &r.for_).unwrap_or_default(),
                keep_firing_for: duration(d, &format!("{key}.keep-firing-for"), &r.keep_firing_for)
                    .unwrap_or_default(),
                resolve,
                severity,
                summary: r
                    .summary
                    .clone()
                    .unwrap_or_else(|| r.expr.get_ref().clone()),
                action,
                tier,
                decide_within: duration(d, &format!("{key}.decide-within"), &r.decide_within),
                authority: r.authority.clone(),
                no_data,
                hold_while_pending: r.hold_while_pending,
                scope: match (&r.during, &r.after) {
                    (Some(p), _) => RuleScope::During(p.get_ref().clone()),
                    (None, Some(st)) => RuleScope::After {
                        step: st.get_ref().clone(),
                        window: duration(d, &format!("{key}.window"), &r.window),
                    },
                    (None, None) => RuleScope::Always,
                },
            });
        }
    }
    (rules, rule_ids)
}

/// Rules' scopes name phases and steps, known only once the phases are read.
pub(super) fn scopes(d: &mut Diagnostics<'_>, s: &Sections, phase_ids: &Ids, step_ids: &Ids) {
    for r in &s.rules {
        let key = format!("rule[{}]", r.id.get_ref());
        if let (Some(p), Some(_)) = (&r.during, &r.after) {
            d.error(
                Some(p.span()),
                format!("{key}.during"),
                "a rule is scoped by `during` a phase or `after` a step, not both",
            );
        }
        if let Some(p) = &r.during
            && !phase_ids.contains(p.get_ref())
        {
            d.error(
                Some(p.span()),
                format!("{key}.during"),
                format!("`{}` is not a phase id", p.get_ref()),
            );
        }
        if let Some(st) = &r.after
            && !step_ids.contains(st.get_ref())
        {
            d.error(
                Some(st.span()),
                format!("{key}.after"),
                format!("`{}` is not a step id defined in any phase", st.get_ref()),
            );
        }
        if let (Some(w), None) = (&r.window, &r.after) {
            d.error(
                Some(w.span()),
                format!("{key}.window"),
                "`window` counts from a step: add `after = \"<step id>\"`",
            );
        }
    }
}

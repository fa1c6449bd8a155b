//! Rule evaluation: three-valued expressions (true, false, no data) and the sustained
//! state machine with Prometheus semantics: inactive -> pending -> firing -> resolved.

use chrono::{DateTime, TimeDelta, Utc};

use crate::runbook::expr::{BinOp, Expr, Health};
use crate::runbook::{NoData, Rule};

/// What an expression needs to know about the world.
pub trait Facts {
    /// The current value of a KPI; `Err` says why there is none (no sample yet, stale, failing).
    fn kpi(&self, id: &str) -> Result<f64, String>;
    fn baseline(&self, id: &str) -> Result<f64, String>;
    fn endpoint(&self, id: &str) -> Result<Health, String>;
    /// A text KPI's current value (a command's output, a JSON string); `None`: the KPI is
    /// a number.
    fn text(&self, _id: &str) -> Option<Result<String, String>> {
        None
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Truth {
    True,
    False,
    NoData(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Value {
    Num(f64),
    Text(String),
    Health(Health),
    Bool(bool),
}

fn value(e: &Expr, f: &dyn Facts) -> Result<Value, String> {
    Ok(match e {
        Expr::Number(n) => Value::Num(*n),
        Expr::Text(s) => Value::Text(s.clone()),
        Expr::Kpi(id) => match f.text(id) {
            Some(text) => Value::Text(text?),
            None => Value::Num(f.kpi(id)?),
        },
        Expr::Baseline(id) => Value::Num(f.baseline(id)?),
        Expr::Endpoint(id) => Value::Health(f.endpoint(id)?),
        Expr::Health(h) => Value::Health(*h),
        Expr::Neg(inner) => Value::Num(-num(inner, f)?),
        Expr::Not(inner) => match eval(inner, f) {
            Truth::True => Value::Bool(false),
            Truth::False => Value::Bool(true),
            Truth::NoData(why) => return Err(why),
        },
        Expr::Binary(a, op, b) => match op {
            BinOp::And | BinOp::Or => match eval(e, f) {
                Truth::True => Value::Bool(true),
                Truth::False => Value::Bool(false),
                Truth::NoData(why) => return Err(why),
            },
            BinOp::Add => Value::Num(num(a, f)? + num(b, f)?),
            BinOp::Sub => Value::Num(num(a, f)? - num(b, f)?),
            BinOp::Mul => Value::Num(num(a, f)? * num(b, f)?),
            BinOp::Div => {
                let d = num(b, f)?;
                if d == 0.0 {
                    return Err(format!("division by zero in `{e}`"));
                }
                Value::Num(num(a, f)? / d)
            }
            _ => {
                let (x, y) = (value(a, f)?, value(b, f)?);
                Value::Bool(compare(&x, *op, &y).ok_or_else(|| {
                    if matches!(x, Value::Text(_)) || matches!(y, Value::Text(_)) {
                        format!("`{e}`: text is compared with text, by `==` or `!=`")
                    } else {
                        format!("cannot compare in `{e}`")
                    }
                })?)
            }
        },
    })
}

fn num(e: &Expr, f: &dyn Facts) -> Result<f64, String> {
    match value(e, f)? {
        Value::Num(n) => Ok(n),
        other => Err(format!("`{e}` is {other:?}, not a number")),
    }
}

fn compare(x: &Value, op: BinOp, y: &Value) -> Option<bool> {
    match (x, y) {
        (Value::Num(a), Value::Num(b)) => Some(match op {
            BinOp::Gt => a > b,
            BinOp::Ge => a >= b,
            BinOp::Lt => a < b,
            BinOp::Le => a <= b,
            BinOp::Eq => a == b,
            BinOp::Ne => a != b,
            _ => return None,
        }),
        (Value::Health(a), Value::Health(b)) => match op {
            BinOp::Eq => Some(a == b),
            BinOp::Ne => Some(a != b),
            _ => None,
        },
        // Texts are equal or not, exactly (a command's output is trimmed when read).
        (Value::Text(a), Value::Text(b)) => match op {
            BinOp::Eq => Some(a == b),
            BinOp::Ne => Some(a != b),
            _ => None,
        },
        _ => None,
    }
}

/// Evaluates an expression; missing data makes it `NoData`, never silently false, except
/// where the other side of `and`/`or` already decides.
pub fn eval(e: &Expr, f: &dyn Facts) -> Truth {
    match e {
        Expr::Binary(a, BinOp::And, b) => match (eval(a, f), eval(b, f)) {
            (Truth::False, _) | (_, Truth::False) => Truth::False,
            (Truth::NoData(w), _) | (_, Truth::NoData(w)) => Truth::NoData(w),
            _ => Truth::True,
        },
        Expr::Binary(a, BinOp::Or, b) => match (eval(a, f), eval(b, f)) {
            (Truth::True, _) | (_, Truth::True) => Truth::True,
            (Truth::NoData(w), _) | (_, Truth::NoData(w)) => Truth::NoData(w),
            _ => Truth::False,
        },
        _ => match value(e, f) {
            Ok(Value::Bool(true)) => Truth::True,
            Ok(Value::Bool(false)) => Truth::False,
            Ok(Value::Num(n)) => {
                if n != 0.0 {
                    Truth::True
                } else {
                    Truth::False
                }
            }
            Ok(Value::Health(_)) => {
                Truth::NoData(format!("`{e}` must be compared, e.g. `{e} == up`"))
            }
            Ok(Value::Text(_)) => {
                Truth::NoData(format!("`{e}` is text: compare it with `==` or `!=`"))
            }
            Err(why) => Truth::NoData(why),
        },
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum RulePhase {
    Inactive,
    Pending { since: DateTime<Utc> },
    Firing { since: DateTime<Utc> },
}

#[derive(Debug, Clone, PartialEq)]
pub struct RuleState {
    pub phase: RulePhase,
    /// Why the last evaluation had no data, if it had none.
    pub no_data: Option<String>,
    /// The first evaluation, while firing, at which the condition no longer held: the
    /// `keep-firing-for` grace runs from here (Prometheus's `KeepFiringSince`), not from the
    /// last evaluation at which it held. Cleared when the condition holds again.
    pub keep_firing_since: Option<DateTime<Utc>>,
    /// Since when the expression has had no data (for `FIRING · no data 3m`).
    pub no_data_since: Option<DateTime<Utc>>,
}

impl Default for RuleState {
    fn default() -> Self {
        Self {
            phase: RulePhase::Inactive,
            no_data: None,
            keep_firing_since: None,
            no_data_since: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Pending,
    Fired,
    /// Resolved after firing this long.
    Resolved(TimeDelta),
}

impl RuleState {
    /// One evaluation at `now`; returns what changed, if anything.
    pub fn evaluate(
        &mut self,
        rule: &Rule,
        facts: &dyn Facts,
        now: DateTime<Utc>,
    ) -> Option<Transition> {
        let seen = eval(&rule.expr, facts);
        self.no_data = match &seen {
            Truth::NoData(w) => Some(w.clone()),
            _ => None,
        };
        self.no_data_since = match (&seen, self.no_data_since) {
            (Truth::NoData(_), None) => Some(now),
            (Truth::NoData(_), since) => since,
            _ => None,
        };
        // What no data means for this rule (`no-data`): nothing, not holding, or a breach.
        let no_data = matches!(seen, Truth::NoData(_));
        let truth = match (seen, rule.no_data) {
            (Truth::NoData(_), NoData::Resolve) => Truth::False,
            (Truth::NoData(_), NoData::Alert) => Truth::True,
            (t, _) => t,
        };
        match (&self.phase, truth) {
            (RulePhase::Inactive, Truth::True) => {
                if rule.for_ <= TimeDelta::zero() {
                    self.phase = RulePhase::Firing { since: now };
                    Some(Transition::Fired)
                } else {
                    self.phase = RulePhase::Pending { since: now };
                    Some(Transition::Pending)
                }
            }
            (RulePhase::Pending { since }, Truth::True) => {
                if now - *since >= rule.for_ {
                    self.phase = RulePhase::Firing { since: now };
                    Some(Transition::Fired)
                } else {
                    None
                }
            }
            // One false (or unknowable) evaluation resets a pending rule.
            (RulePhase::Pending { .. }, Truth::False | Truth::NoData(_)) => {
                self.phase = RulePhase::Inactive;
                None
            }
            (RulePhase::Firing { since }, truth) => {
                let since = *since;
                // With a resolve condition, only it ends the alert (hysteresis); without,
                // the firing condition turning false does. No data never resolves.
                let clear = match &rule.resolve {
                    _ if no_data && rule.no_data == NoData::Resolve => true,
                    Some(r) => eval(r, facts) == Truth::True,
                    None => truth == Truth::False,
                };
                if !clear {
                    self.keep_firing_since = None;
                    return None;
                }
                if rule.keep_firing_for > TimeDelta::zero() {
                    let grace_from = *self.keep_firing_since.get_or_insert(now);
                    if now - grace_from < rule.keep_firing_for {
                        return None;
                    }
                }
                self.keep_firing_since = None;
                self.phase = RulePhase::Inactive;
                Some(Transition::Resolved(now - since))
            }
            (RulePhase::Inactive, _) => None,
        }
    }

    pub fn is_firing(&self) -> bool {
        matches!(self.phase, RulePhase::Firing { .. })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::runbook::{RuleAction, Severity};

    #[derive(Default)]
    struct World {
        kpis: HashMap<&'static str, f64>,
        endpoints: HashMap<&'static str, Health>,
    }

    impl Facts for World {
        fn kpi(&self, id: &str) -> Result<f64, String> {
            self.kpis
                .get(id)
                .copied()
                .ok_or_else(|| format!("{id}: no data"))
        }
        fn baseline(&self, id: &str) -> Result<f64, String> {
            Err(format!("no baseline for {id}"))
        }
        fn endpoint(&self, id: &str) -> Result<Health, String> {
            self.endpoints
                .get(id)
                .copied()
                .ok_or_else(|| format!("{id}: no data"))
        }
    }

    fn rule(expr: &str, for_secs: i64) -> Rule {
        Rule {
            id: "r".into(),
            expr: Expr::parse(expr).unwrap(),
            source: expr.into(),
            for_: TimeDelta::seconds(for_secs),
            keep_firing_for: TimeDelta::zero(),
            resolve: None,
            severity: Severity::Critical,
            summary: String::new(),
            action: RuleAction::None,
            tier: None,
            decide_within: None,
            authority: None,
            no_data: NoData::Keep,
            scope: crate::runbook::RuleScope::Always,
            hold_while_pending: false,
        }
    }

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn missing_data_is_never_silently_false() {
        let w = World::default();
        assert!(matches!(
            eval(&Expr::parse("error_rate > 1").unwrap(), &w),
            Truth::NoData(_)
        ));
        // ...unless the other side of `and` already decides.
        let mut w = World::default();
        w.kpis.insert("a", 0.0);
        assert_eq!(
            eval(&Expr::parse("a > 1 and b > 1").unwrap(), &w),
            Truth::False
        );
        w.endpoints.insert("api-green", Health::Down);
        assert_eq!(
            eval(&Expr::parse("endpoint(api-green) == down").unwrap(), &w),
            Truth::True
        );
    }

    #[test]
    fn pending_then_firing_then_resolved() {
        let r = rule("x > 5", 300);
        let mut w = World::default();
        let mut s = RuleState::default();
        w.kpis.insert("x", 7.0);
        assert_eq!(s.evaluate(&r, &w, t(0)), Some(Transition::Pending));
        assert_eq!(s.evaluate(&r, &w, t(299)), None);
        assert_eq!(s.evaluate(&r, &w, t(300)), Some(Transition::Fired));
        w.kpis.insert("x", 1.0);
        assert_eq!(
            s.evaluate(&r, &w, t(360)),
            Some(Transition::Resolved(TimeDelta::seconds(60)))
        );
        assert_eq!(s.phase, RulePhase::Inactive);
    }

    #[test]
    fn one_false_evaluation_resets_pending() {
        let r = rule("x > 5", 300);
        let mut w = World::default();
        let mut s = RuleState::default();
        w.kpis.insert("x", 7.0);
        s.evaluate(&r, &w, t(0));
        w.kpis.insert("x", 4.0);
        s.evaluate(&r, &w, t(200));
        w.kpis.insert("x", 7.0);
        assert_eq!(s.evaluate(&r, &w, t(250)), Some(Transition::Pending));
        assert_eq!(s.evaluate(&r, &w, t(500)), None, "pending restarted at 250");
        assert_eq!(s.evaluate(&r, &w, t(550)), Some(Transition::Fired));
    }

    #[test]
    fn hysteresis_and_keep_firing_for() {
        let mut r = rule("x > 5", 0);
        r.resolve = Some(Expr::parse("x < 2").unwrap());
        r.keep_firing_for = TimeDelta::seconds(60);
        let mut w = World::default();
        let mut s = RuleState::default();
        w.kpis.insert("x", 6.0);
        assert_eq!(s.evaluate(&r, &w, t(0)), Some(Transition::Fired));
        w.kpis.insert("x", 3.0);
        assert_eq!(
            s.evaluate(&r, &w, t(100)),
            None,
            "3 is not below the resolve threshold"
        );
        // Below it at 110: the grace starts there, not at the last breach (0).
        w.kpis.insert("x", 1.0);
        assert_eq!(s.evaluate(&r, &w, t(110)), None);
        assert_eq!(s.evaluate(&r, &w, t(169)), None);
        assert_eq!(
            s.evaluate(&r, &w, t(170)),
            Some(Transition::Resolved(TimeDelta::seconds(170)))
        );
        // A re-breach during the grace clears it: the next dip starts a new one.
        w.kpis.insert("x", 6.0);
        assert_eq!(s.evaluate(&r, &w, t(200)), Some(Transition::Fired));
        w.kpis.insert("x", 1.0);
        assert_eq!(s.evaluate(&r, &w, t(230)), None);
        w.kpis.insert("x", 6.0);
        assert_eq!(s.evaluate(&r, &w, t(250)), None);
        w.kpis.insert("x", 1.0);
        assert_eq!(s.evaluate(&r, &w, t(260)), None);
        assert_eq!(s.evaluate(&r, &w, t(300)), None, "40s into the new grace");
        assert_eq!(
            s.evaluate(&r, &w, t(320)),
            Some(Transition::Resolved(TimeDelta::seconds(120)))
        );
    }

    /// Prometheus's rule manager, evaluating every minute with `keep_firing_for: 2m`: true
    /// at 0, false from 1m: kept at 1m and 2m (grace from 1m), resolved at 3m.
    #[test]
    fn keep_firing_for_runs_from_the_first_evaluation_that_misses() {
        let mut r = rule("x > 5", 0);
        r.keep_firing_for = TimeDelta::minutes(2);
        let mut w = World::default();
        let mut s = RuleState::default();
        w.kpis.insert("x", 9.0);
        assert_eq!(s.evaluate(&r, &w, t(0)), Some(Transition::Fired));
        w.kpis.insert("x", 1.0);
        assert_eq!(s.evaluate(&r, &w, t(60)), None);
        assert_eq!(s.keep_firing_since, Some(t(60)));
        assert_eq!(s.evaluate(&r, &w, t(120)), None);
        assert_eq!(
            s.evaluate(&r, &w, t(180)),
            Some(Transition::Resolved(TimeDelta::minutes(3)))
        );
    }

    #[test]
    fn no_data_can_resolve_as_prometheus_does_or_be_a_breach() {
        // resolve: a firing rule whose data vanishes resolves, after keep-firing-for.
        let mut r = rule("x > 5", 0);
        r.no_data = NoData::Resolve;
        r.keep_firing_for = TimeDelta::seconds(10);
        let mut w = World::default();
        let mut s = RuleState::default();
        w.kpis.insert("x", 9.0);
        assert_eq!(s.evaluate(&r, &w, t(0)), Some(Transition::Fired));
        w.kpis.clear();
        assert_eq!(s.evaluate(&r, &w, t(5)), None, "kept firing for 10s");
        assert_eq!(s.no_data_since, Some(t(5)));
        assert_eq!(s.evaluate(&r, &w, t(14)), None);
        assert_eq!(
            s.evaluate(&r, &w, t(15)),
            Some(Transition::Resolved(TimeDelta::seconds(15)))
        );
        // resolve with a separate resolve condition: no data still resolves.
        let mut r = rule("x > 5", 0);
        r.no_data = NoData::Resolve;
        r.resolve = Some(Expr::parse("x < 2").unwrap());
        let mut s = RuleState::default();
        w.kpis.insert("x", 9.0);
        s.evaluate(&r, &w, t(0));
        w.kpis.clear();
        assert!(matches!(
            s.evaluate(&r, &w, t(1)),
            Some(Transition::Resolved(_))
        ));
        // alert: no data is a breach, through `for` like any other.
        let mut r = rule("x > 5", 3);
        r.no_data = NoData::Alert;
        let mut s = RuleState::default();
        assert_eq!(s.evaluate(&r, &w, t(0)), Some(Transition::Pending));
        assert_eq!(s.evaluate(&r, &w, t(3)), Some(Transition::Fired));
        w.kpis.insert("x", 1.0);
        assert!(matches!(
            s.evaluate(&r, &w, t(4)),
            Some(Transition::Resolved(_))
        ));
        assert_eq!(s.no_data_since, None);
    }

    #[test]
    fn no_data_neither_fires_nor_resolves() {
        let r = rule("x > 5", 0);
        let mut w = World::default();
        let mut s = RuleState::default();
        assert_eq!(s.evaluate(&r, &w, t(0)), None);
        assert!(s.no_data.is_some());
        w.kpis.insert("x", 9.0);
        assert_eq!(s.evaluate(&r, &w, t(1)), Some(Transition::Fired));
        w.kpis.clear();
        assert_eq!(s.evaluate(&r, &w, t(2)), None);
        assert!(s.is_firing());
    }
}

//! One metric, canary against baseline: cleaned as Kayenta cleans it (NaN removed or
//! replaced, outliers kept or removed), classified Pass, High or Low as NetflixACAJudge
//! classifies (the 98 % Mann-Whitney interval against a tolerance of a quarter of the
//! estimate, then the effect size), and said in words and numbers.

use super::wilcox::{self, Shift};
use super::{Class, Direction, Effect, MetricSpec, MetricVerdict, Nan, Outliers, Side};

/// Kayenta's tolerance: the interval must clear a quarter of the estimate to count.
const TOLERANCE: f64 = 0.25;
/// Kayenta's outlier factor (IQR multiples, widened to the 1st and 99th percentiles).
const OUTLIER_FACTOR: f64 = 3.0;
/// A canary whose spread (IQR) is this many times the baseline's is flagged.
const SPREAD_WARNING: f64 = 2.0;

/// Samples as the judge takes them: NaN and infinities handled by `nan`, outliers by
/// `outliers`.
pub(super) fn clean(values: &[f64], nan: Nan, outliers: Outliers) -> Vec<f64> {
    let v: Vec<f64> = match nan {
        Nan::Remove => values.iter().copied().filter(|v| v.is_finite()).collect(),
        Nan::Replace => values
            .iter()
            .map(|v| if v.is_finite() { *v } else { 0.0 })
            .collect(),
    };
    match outliers {
        Outliers::Keep => v,
        Outliers::Remove => {
            let mut sorted = v.clone();
            sorted.sort_by(f64::total_cmp);
            let (p25, p75) = (quantile(&sorted, 0.25), quantile(&sorted, 0.75));
            let iqr = p75 - p25;
            let low = quantile(&sorted, 0.01).min(p25 - OUTLIER_FACTOR * iqr);
            let high = quantile(&sorted, 0.99).max(p75 + OUTLIER_FACTOR * iqr);
            v.into_iter().filter(|x| *x >= low && *x <= high).collect()
        }
    }
}

/// R's type 7 quantile of sorted values (Kayenta's percentiles).
pub(super) fn quantile(sorted: &[f64], p: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = (n - 1) as f64 * p;
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        }
    }
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Kayenta's mean ratio: canary's mean over baseline's; NaN when either is 0.
fn mean_ratio(baseline: &[f64], canary: &[f64]) -> f64 {
    let (b, c) = (mean(baseline), mean(canary));
    if b == 0.0 || c == 0.0 {
        f64::NAN
    } else {
        c / b
    }
}

/// The common-language effect size: the chance a canary value exceeds a baseline one
/// (ties half), from the canary's rank sum.
fn cles(baseline: &[f64], canary: &[f64]) -> f64 {
    let (m, n) = (canary.len() as f64, baseline.len() as f64);
    let mut pairs = 0.0;
    for c in canary {
        for b in baseline {
            pairs += if c > b {
                1.0
            } else if c == b {
                0.5
            } else {
                0.0
            };
        }
    }
    pairs / (m * n)
}

/// One sample metric, judged: the two sides already cleaned.
pub(super) fn samples(spec: &MetricSpec, baseline: &[f64], canary: &[f64]) -> MetricVerdict {
    // In order once, for the sides' figures, the identical and constant checks and the
    // spread.
    let mut sorted_b = baseline.to_vec();
    let mut sorted_c = canary.to_vec();
    sorted_b.sort_by(f64::total_cmp);
    sorted_c.sort_by(f64::total_cmp);
    let b = Side::of_sorted(&sorted_b);
    let c = Side::of_sorted(&sorted_c);
    let warning = spread_warning(spec, &sorted_b, &sorted_c);
    let verdict = |class, why: String, shift: Option<Shift>, effect: f64| MetricVerdict {
        id: spec.id.clone(),
        class,
        critical: spec.critical && class != Class::Pass,
        baseline: b,
        canary: c,
        shift,
        effect,
        p_value: None,
        warning: warning.clone(),
        why,
    };
    if sorted_b == sorted_c {
        return verdict(
            Class::Pass,
            "canary and baseline are identical".into(),
            None,
            1.0,
        );
    }
    let effect = match spec.effect {
        Effect::MeanRatio => mean_ratio(baseline, canary),
        Effect::Cles => cles(baseline, canary),
    };
    // Both sides constant (and different): Kayenta adds random noise to rank them; the
    // shift is known exactly, so warroom takes it as it is, and the verdict stays the
    // same from one minute to the next.
    let constant = |s: &[f64]| s.first() == s.last();
    let shift = if constant(&sorted_b) && constant(&sorted_c) {
        let d = sorted_c[0] - sorted_b[0];
        Some(Shift {
            lower: d,
            upper: d,
            estimate: d,
            exact: true,
        })
    } else {
        wilcox::shift_98(canary, baseline)
    };
    let Some(shift) = shift else {
        return verdict(
            Class::Pass,
            "every value ties: no shift to measure".into(),
            None,
            effect,
        );
    };
    let class = classify(spec, (shift.lower, shift.upper, shift.estimate), effect);
    let why = sample_words(spec, class, (&b, &c), &shift);
    verdict(class, why, Some(shift), effect)
}

/// Kayenta's rule, for samples and proportions alike: HIGH when the direction allows a
/// rise, the interval's lower end clears a quarter of the estimate and the effect size
/// reaches `allowed-increase` (ignored when it cannot be computed); LOW symmetrically.
fn classify(spec: &MetricSpec, (lower, upper, estimate): (f64, f64, f64), effect: f64) -> Class {
    let bound = TOLERANCE * estimate.abs();
    let may_rise = matches!(spec.direction, Direction::Increase | Direction::Either);
    let may_fall = matches!(spec.direction, Direction::Decrease | Direction::Either);
    if may_rise && lower > bound && (effect.is_nan() || effect >= spec.allowed_increase) {
        Class::High
    } else if may_fall && upper < -bound && (effect.is_nan() || effect <= spec.allowed_decrease) {
        Class::Low
    } else {
        Class::Pass
    }
}

/// `p95: HIGH · canary 412 ms vs baseline 240 ms · +72 % (CI +61..+83 %) · n 60/60`: the
/// means, their ratio, the shift's interval as a share of the baseline's mean.
fn sample_words(spec: &MetricSpec, class: Class, (b, c): (&Side, &Side), s: &Shift) -> String {
    let pct = |v: f64| {
        if b.mean == 0.0 {
            format!("{v:+.3}")
        } else {
            format!("{:+.0} %", v / b.mean.abs() * 100.0)
        }
    };
    let ratio = if b.mean == 0.0 {
        format!("shift {:+.3}", s.estimate)
    } else {
        format!("{:+.0} %", (c.mean / b.mean - 1.0) * 100.0)
    };
    format!(
        "{}: {} · canary {} vs baseline {} · {ratio} (CI {}..{}) · n {}/{}",
        spec.id,
        class.word(),
        spec.format(c.mean),
        spec.format(b.mean),
        pct(s.lower).trim_end_matches(" %"),
        pct(s.upper),
        c.n,
        b.n
    )
}

/// The canary's spread much wider than the baseline's (its IQR at least twice), which
/// ranks do not see when the medians agree.
/// Both sides in order.
fn spread_warning(spec: &MetricSpec, baseline: &[f64], canary: &[f64]) -> Option<String> {
    if baseline.len() < 4 || canary.len() < 4 {
        return None;
    }
    let iqr = |s: &[f64]| quantile(s, 0.75) - quantile(s, 0.25);
    let (b, c) = (iqr(baseline), iqr(canary));
    (b > 0.0 && c >= SPREAD_WARNING * b).then(|| {
        format!(
            "spread ×{:.1}: the canary's middle half spans {}, the baseline's {}",
            c / b,
            spec.format(c),
            spec.format(b)
        )
    })
}

/// A rate given as counts: (events, total) on each side, judged by the difference of
/// the proportions (`prop.test`'s 98 % interval), Fisher's exact p-value said when the
/// counts are small.
pub(super) fn proportion(
    spec: &MetricSpec,
    (bx, bn): (f64, f64),
    (cx, cn): (f64, f64),
) -> MetricVerdict {
    let side = |x: f64, n: f64| Side {
        n: n.max(0.0) as usize,
        mean: if n > 0.0 { x / n } else { f64::NAN },
        median: f64::NAN,
    };
    let (b, c) = (side(bx, bn), side(cx, cn));
    let mut v = MetricVerdict {
        id: spec.id.clone(),
        class: Class::Pass,
        critical: false,
        baseline: b,
        canary: c,
        shift: None,
        effect: f64::NAN,
        p_value: None,
        warning: None,
        why: String::new(),
    };
    let Some(t) = super::proportion::prop_test_98((cx, cn), (bx, bn)) else {
        v.class = Class::Nodata;
        v.why = format!("{}: no counts to compare", spec.id);
        return v;
    };
    let ratio = if b.mean > 0.0 && c.mean > 0.0 {
        c.mean / b.mean
    } else {
        f64::NAN
    };
    v.effect = ratio;
    v.class = classify(spec, (t.lower, t.upper, t.delta), ratio);
    v.critical = spec.critical && v.class != Class::Pass;
    // Whole counts for Fisher's test; the chi-square's p-value otherwise.
    let whole = |x: f64| (x >= 0.0 && x.fract() == 0.0 && x < 1e9).then_some(x as u64);
    let p = match (t.small, whole(cx), whole(cn), whole(bx), whole(bn)) {
        (true, Some(a), Some(an), Some(c2), Some(cn2)) => (
            "fisher p",
            super::proportion::fisher_p(a, an - a, c2, cn2 - c2),
        ),
        _ => ("chi² p", t.p_value),
    };
    v.p_value = Some(p.1);
    v.why = format!(
        "{}: {} · canary {:.2} % vs baseline {:.2} % · {:+.2} pp (CI {:+.2}..{:+.2} pp) · {} {:.2e} · n {}/{}",
        spec.id,
        v.class.word(),
        c.mean * 100.0,
        b.mean * 100.0,
        t.delta * 100.0,
        t.lower * 100.0,
        t.upper * 100.0,
        p.0,
        p.1,
        c.n,
        b.n
    );
    v
}

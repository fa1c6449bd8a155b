//! Rates given as counts (errors out of requests): the difference of two proportions as R's
//! `prop.test` tests it (with Yates' continuity correction), and Fisher's exact test for
//! when the counts are too small for the chi-square (R's `fisher.test`, two-sided). Ranks
//! of mostly-zero values say little; counts with their sample sizes say what happened.

/// `prop.test(c(x1, x2), c(n1, n2), conf.level = 0.98)`: the difference `p1 - p2`, its
/// interval, the chi-square statistic and p-value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PropTest {
    pub delta: f64,
    pub lower: f64,
    pub upper: f64,
    pub statistic: f64,
    pub p_value: f64,
    /// An expected count under 5: the chi-square is unreliable, Fisher's test says more.
    pub small: bool,
}

/// The two-sample test for equality of proportions; `None` when a total is not positive
/// or a count is outside 0..=total.
pub fn prop_test_98((x1, n1): (f64, f64), (x2, n2): (f64, f64)) -> Option<PropTest> {
    let valid = |x: f64, n: f64| n > 0.0 && x >= 0.0 && x <= n && x.is_finite() && n.is_finite();
    if !valid(x1, n1) || !valid(x2, n2) {
        return None;
    }
    let (p1, p2) = (x1 / n1, x2 / n2);
    let delta = p1 - p2;
    let inv = 1.0 / n1 + 1.0 / n2;
    let yates = 0.5f64.min(delta.abs() / inv);
    let width =
        super::wilcox::Z_98 * (p1 * (1.0 - p1) / n1 + p2 * (1.0 - p2) / n2).sqrt() + yates * inv;
    let pooled = (x1 + x2) / (n1 + n2);
    let cells = [
        (x1, n1 * pooled),
        (x2, n2 * pooled),
        (n1 - x1, n1 * (1.0 - pooled)),
        (n2 - x2, n2 * (1.0 - pooled)),
    ];
    let statistic: f64 = cells
        .iter()
        .map(|(o, e)| ((o - e).abs() - yates).powi(2) / e)
        .sum();
    // The chi-square's upper tail with one degree of freedom.
    let p_value = libm::erfc((statistic / 2.0).sqrt());
    Some(PropTest {
        delta,
        lower: (delta - width).max(-1.0),
        upper: (delta + width).min(1.0),
        statistic,
        p_value,
        small: cells.iter().any(|(_, e)| *e < 5.0),
    })
}

/// Fisher's exact test of a 2x2 table `[[a, b], [c, d]]`, two-sided as R computes it: the
/// probability of every table with the same margins no likelier than this one (within a
/// relative 1e-7).
pub fn fisher_p(a: u64, b: u64, c: u64, d: u64) -> f64 {
    // Margins: the first row's total m, the second's n, the first column's k.
    let (m, n, k) = (a + b, c + d, a + c);
    let lo = k.saturating_sub(n);
    let hi = k.min(m);
    let log_p = |x: u64| ln_choose(m, x) + ln_choose(n, k - x) - ln_choose(m + n, k);
    let logs: Vec<f64> = (lo..=hi).map(log_p).collect();
    let max = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let weights: Vec<f64> = logs.iter().map(|l| (l - max).exp()).collect();
    let total: f64 = weights.iter().sum();
    let observed = weights[(a - lo) as usize];
    let relative = 1.0 + 1e-7;
    let p: f64 = weights
        .iter()
        .filter(|w| **w <= observed * relative)
        .sum::<f64>()
        / total;
    p.min(1.0)
}

fn ln_choose(n: u64, k: u64) -> f64 {
    ln_factorial(n) - ln_factorial(k) - ln_factorial(n - k)
}

fn ln_factorial(n: u64) -> f64 {
    libm::lgamma(n as f64 + 1.0)
}

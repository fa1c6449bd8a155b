//! The Mann-Whitney (Wilcoxon rank-sum) confidence interval of a location shift and its
//! Hodges-Lehmann estimate, computed as R's `wilcox.test(x, y, conf.int = TRUE)` computes
//! them, step for step, so a verdict can be checked against R: the exact distribution when
//! both samples are under 50 and nothing ties, else the normal approximation with its
//! continuity correction and tie correction, its roots found by R's own root finder
//! (Brent's zeroin as `uniroot` runs it, tolerance 1e-4). Written here rather than taken
//! from a crate: no Rust crate gives R's interval, and the interval is the verdict.

/// A confidence interval for `x - y`'s shift, and its point estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shift {
    pub lower: f64,
    pub upper: f64,
    pub estimate: f64,
    /// From the exact distribution (small samples without ties), else the approximation.
    pub exact: bool,
}

/// `qnorm(0.99)`, as R computes it: the two-sided 98 % quantile Kayenta's judge uses.
pub const Z_98: f64 = 2.326_347_874_040_840_8;

/// R's `uniroot` tolerance.
const TOL_ROOT: f64 = 1e-4;
const MAX_ITER: u32 = 1000;

/// `wilcox.test(x, y, conf.int = TRUE, conf.level = 0.98)`'s interval and estimate.
/// `None` when a side is empty, a value is not finite, or every value ties (R stops or
/// gives NaN there).
pub fn shift_98(x: &[f64], y: &[f64]) -> Option<Shift> {
    if x.is_empty() || y.is_empty() || x.iter().chain(y).any(|v| !v.is_finite()) {
        return None;
    }
    let mut xs = x.to_vec();
    let mut ys = y.to_vec();
    xs.sort_by(f64::total_cmp);
    ys.sort_by(f64::total_cmp);
    let ties = has_ties(&xs, &ys);
    if xs.len() < 50 && ys.len() < 50 && !ties {
        return Some(exact(&xs, &ys));
    }
    approximate(&xs, &ys)
}

/// Whether any value occurs twice across both (sorted) samples.
fn has_ties(xs: &[f64], ys: &[f64]) -> bool {
    let mut all: Vec<f64> = xs.iter().chain(ys).copied().collect();
    all.sort_by(f64::total_cmp);
    all.windows(2).any(|w| w[0] == w[1])
}

/// Small samples without ties: the interval from the order statistics of all pairwise
/// differences at the exact distribution's quantile, the estimate their median.
fn exact(xs: &[f64], ys: &[f64]) -> Shift {
    let mut diffs: Vec<f64> = xs
        .iter()
        .flat_map(|a| ys.iter().map(move |b| a - b))
        .collect();
    diffs.sort_by(f64::total_cmp);
    let (m, n) = (xs.len(), ys.len());
    let qu = qwilcox(0.01, m, n).max(1);
    let ql = m * n - qu;
    let half = diffs.len() / 2;
    let estimate = if diffs.len() % 2 == 1 {
        diffs[half]
    } else {
        (diffs[half - 1] + diffs[half]) / 2.0
    };
    Shift {
        lower: diffs[qu - 1],
        upper: diffs[ql],
        estimate,
        exact: true,
    }
}

/// The lower `p` quantile of the Wilcoxon rank-sum statistic for samples of `m` and `n`
/// (R's `qwilcox`, lower tail, `p <= 0.5`): the smallest `q` with P(W <= q) >= p.
fn qwilcox(p: f64, m: usize, n: usize) -> usize {
    let counts = wilcox_counts(m, n);
    let total: f64 = choose(m + n, n);
    let target = p - 10.0 * f64::EPSILON;
    let mut cumulative = 0.0;
    for (q, c) in counts.iter().enumerate() {
        cumulative += *c / total;
        if cumulative >= target {
            return q;
        }
    }
    counts.len().saturating_sub(1)
}

/// How many of the C(m+n, m) rankings give each value of the statistic W = (the rank sum
/// of the first sample) - m(m+1)/2, from 0 to m*n: the number of ways to pick m of the
/// first m+n integers whose sum is W above the least.
fn wilcox_counts(m: usize, n: usize) -> Vec<f64> {
    // ways[j][w]: choosing j numbers so far, with W = w; numbers are taken one at a
    // time (partitions of w into at most j parts no larger than n, counted exactly).
    let max = m * n;
    let mut ways = vec![vec![0u128; max + 1]; m + 1];
    ways[0][0] = 1;
    for k in 0..(m + n) {
        // Number k (0-based) adds k - j to W when it is the (j+1)-th chosen.
        for j in (0..m).rev() {
            if k < j {
                continue;
            }
            let add = k - j;
            for w in (0..=max.saturating_sub(add)).rev() {
                let from = ways[j][w];
                if from != 0 {
                    ways[j + 1][w + add] += from;
                }
            }
        }
    }
    ways[m].iter().map(|c| *c as f64).collect()
}

/// C(n, k) as a float.
fn choose(n: usize, k: usize) -> f64 {
    let k = k.min(n - k);
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

/// The normal approximation: R's `W(d)`, its roots at the two quantiles with the
/// continuity correction, and the estimate where it crosses zero without it.
fn approximate(xs: &[f64], ys: &[f64]) -> Option<Shift> {
    let ranks = Ranks { xs, ys };
    let mumin = xs[0] - ys[ys.len() - 1];
    let mumax = xs[xs.len() - 1] - ys[0];
    if mumin >= mumax {
        return None;
    }
    let wmin = ranks.w(mumin, true)?;
    let wmax = ranks.w(mumax, true)?;
    let root = |zq: f64| -> Option<f64> {
        let f_lower = wmin - zq;
        if f_lower <= 0.0 {
            return Some(mumin);
        }
        let f_upper = wmax - zq;
        if f_upper >= 0.0 {
            return Some(mumax);
        }
        Some(zeroin2((mumin, mumax), (f_lower, f_upper), |d| {
            ranks.w(d, true).map_or(f64::NAN, |w| w - zq)
        }))
    };
    let lower = root(Z_98)?;
    let upper = root(-Z_98)?;
    let (f_lower, f_upper) = (ranks.w(mumin, false)?, ranks.w(mumax, false)?);
    // uniroot refuses end points of the same sign; R stops there.
    if f_lower.signum() * f_upper.signum() > 0.0 {
        return None;
    }
    let estimate = zeroin2((mumin, mumax), (f_lower, f_upper), |d| {
        ranks.w(d, false).unwrap_or(f64::NAN)
    });
    Some(Shift {
        lower,
        upper,
        estimate,
        exact: false,
    })
}

/// Both samples, sorted, for ranking `x - d` against `y` by a merge (the order of `x - d`
/// is `x`'s, so no sort per evaluation).
struct Ranks<'a> {
    xs: &'a [f64],
    ys: &'a [f64],
}

impl Ranks<'_> {
    /// R's `W(d)`: the standardized rank-sum statistic of `x - d` against `y`, with the
    /// tie correction, and the continuity correction when `correct`. `None` when every
    /// value ties (its deviation is 0).
    fn w(&self, d: f64, correct: bool) -> Option<f64> {
        let (xs, ys) = (self.xs, self.ys);
        let (nx, ny) = (xs.len() as f64, ys.len() as f64);
        let (mut i, mut j, mut placed) = (0usize, 0usize, 0usize);
        let (mut rank_sum_x, mut ties) = (0.0f64, 0.0f64);
        while i < xs.len() || j < ys.len() {
            let next_x = xs.get(i).map(|v| v - d);
            let v = match (next_x, ys.get(j)) {
                (Some(a), Some(b)) => a.min(*b),
                (Some(a), None) => a,
                (None, Some(b)) => *b,
                (None, None) => break,
            };
            let (mut cx, mut cy) = (0usize, 0usize);
            while i < xs.len() && xs[i] - d == v {
                cx += 1;
                i += 1;
            }
            while j < ys.len() && ys[j] == v {
                cy += 1;
                j += 1;
            }
            let t = (cx + cy) as f64;
            // The average of ranks placed+1 ..= placed+t.
            let rank = (2 * placed + cx + cy + 1) as f64 / 2.0;
            rank_sum_x += rank * cx as f64;
            ties += t * t * t - t;
            placed += cx + cy;
        }
        let dz = rank_sum_x - nx * (nx + 1.0) / 2.0 - nx * ny / 2.0;
        let correction = if correct { dz.signum() * 0.5 } else { 0.0 };
        let correction = if dz == 0.0 { 0.0 } else { correction };
        let sigma =
            ((nx * ny / 12.0) * ((nx + ny + 1.0) - ties / ((nx + ny) * (nx + ny - 1.0)))).sqrt();
        (sigma > 0.0).then(|| (dz - correction) / sigma)
    }
}

/// A root of `f` in [a, b] where `f(a)` and `f(b)` differ in sign: Brent's method as R's
/// `uniroot` runs it (Forsythe, Malcolm and Moler's zeroin, bisection combined with linear
/// or inverse quadratic interpolation), tolerance 1e-4, at most 1000 iterations. The same
/// steps as R take give the same root, which is what lets a verdict be checked against R.
fn zeroin2((ax, bx): (f64, f64), (fa, fb): (f64, f64), mut f: impl FnMut(f64) -> f64) -> f64 {
    let (mut a, mut b, mut c) = (ax, bx, ax);
    let (mut fa, mut fb, mut fc) = (fa, fb, fa);
    if fa == 0.0 {
        return a;
    }
    if fb == 0.0 {
        return b;
    }
    for _ in 0..=MAX_ITER {
        let prev_step = b - a;
        if fc.abs() < fb.abs() {
            // b is to be the best approximation so far.
            (a, b, c) = (b, c, b);
            (fa, fb, fc) = (fb, fc, fb);
        }
        let tol_act = 2.0 * f64::EPSILON * b.abs() + TOL_ROOT / 2.0;
        let mut new_step = (c - b) / 2.0;
        if new_step.abs() <= tol_act || fb == 0.0 {
            return b;
        }
        if prev_step.abs() >= tol_act && fa.abs() > fb.abs() {
            let cb = c - b;
            let (mut p, mut q);
            if a == c {
                // Two distinct points: linear interpolation.
                let t1 = fb / fa;
                p = cb * t1;
                q = 1.0 - t1;
            } else {
                // Inverse quadratic interpolation.
                let qa = fa / fc;
                let t1 = fb / fc;
                let t2 = fb / fa;
                p = t2 * (cb * qa * (qa - t1) - (b - a) * (t1 - 1.0));
                q = (qa - 1.0) * (t1 - 1.0) * (t2 - 1.0);
            }
            if p > 0.0 {
                q = -q;
            } else {
                p = -p;
            }
            if p < (0.75 * cb * q - (tol_act * q).abs() / 2.0) && p < (prev_step * q / 2.0).abs() {
                new_step = p / q;
            }
        }
        if new_step.abs() < tol_act {
            new_step = if new_step > 0.0 { tol_act } else { -tol_act };
        }
        a = b;
        fa = fb;
        b += new_step;
        fb = f(b);
        if (fb > 0.0 && fc > 0.0) || (fb < 0.0 && fc < 0.0) {
            c = a;
            fc = fa;
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exact distribution's counts add up to C(m+n, m), and are symmetric.
    #[test]
    fn the_exact_distribution_counts_every_ranking_once() {
        for (m, n) in [(1, 1), (3, 4), (7, 5), (12, 20)] {
            let c = wilcox_counts(m, n);
            assert_eq!(c.len(), m * n + 1);
            let total: f64 = c.iter().sum();
            assert!((total - choose(m + n, m)).abs() / total < 1e-12, "{m} {n}");
            for w in 0..c.len() {
                assert_eq!(c[w], c[c.len() - 1 - w]);
            }
        }
        // R: qwilcox(0.01, c(10, 3, 49), c(12, 4, 49)) = 25 0 874.
        assert_eq!(qwilcox(0.01, 10, 12), 25);
        assert_eq!(qwilcox(0.01, 3, 4), 0);
        assert_eq!(qwilcox(0.01, 49, 49), 874);
    }
}

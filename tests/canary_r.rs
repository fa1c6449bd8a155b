//! The canary judge's statistics against R itself (Debian's r-base-core, which `.ci/run`
//! installs): the Mann-Whitney interval and Hodges-Lehmann estimate against
//! `wilcox.test(canary, baseline, conf.int = TRUE, conf.level = 0.98)`, on generated series
//! small and large, with and without ties, to 1e-6.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::fmt::Write as _;
use std::process::Command;

/// Rscript, or a loud refusal: under CI (`CI` set) a missing R fails the test.
fn rscript() -> Option<&'static str> {
    let found = Command::new("Rscript").arg("--version").output().is_ok();
    if !found {
        let msg = "Rscript not found: the canary statistics were NOT checked against R";
        assert!(std::env::var_os("CI").is_none(), "{msg}");
        eprintln!("\n!!!!!!!!!! {msg} !!!!!!!!!!\n");
        return None;
    }
    Some("Rscript")
}

/// A sample of `n` from a shifted, skewed distribution; `digits` rounds (ties).
fn series(
    rng: &mut fastrand::Rng,
    n: usize,
    shift: f64,
    scale: f64,
    digits: Option<i32>,
) -> Vec<f64> {
    (0..n)
        .map(|_| {
            // A log-normal-ish latency: mostly near the centre, a long right tail.
            let u: f64 = (0..4).map(|_| rng.f64()).sum::<f64>() - 2.0;
            let v = shift + scale * (u * 0.8).exp();
            match digits {
                Some(d) => {
                    let f = 10f64.powi(d);
                    (v * f).round() / f
                }
                None => v,
            }
        })
        .collect()
}

/// Runs an R script in `dir`: each line it prints, as numbers (`NaN`, `NA` as NaN).
fn run_r(r: &str, dir: &std::path::Path, script: &str) -> Vec<Vec<f64>> {
    let path = dir.join("script.R");
    std::fs::write(&path, script).unwrap();
    let out = Command::new(r).arg(&path).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            l.split_whitespace()
                .map(|w| w.parse().unwrap_or(f64::NAN))
                .collect()
        })
        .collect()
}

fn r_vector(v: &[f64]) -> String {
    let mut s = String::from("c(");
    for (i, x) in v.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        // 17 significant digits: the same double in R.
        let _ = write!(s, "{x:.17e}");
    }
    s.push(')');
    s
}

#[test]
fn the_interval_and_estimate_agree_with_r_wilcox_test() {
    let Some(r) = rscript() else { return };
    let mut rng = fastrand::Rng::with_seed(20_261_205);
    let mut cases: Vec<(String, Vec<f64>, Vec<f64>)> = Vec::new();
    // Exact: both under 50, no ties.
    for (n, m, shift) in [
        (1, 1, 0.0),
        (3, 4, 5.0),
        (10, 12, 2.0),
        (20, 25, -3.0),
        (49, 49, 0.5),
        (5, 40, 1.0),
    ] {
        let canary = series(&mut rng, n, 100.0 + shift, 10.0, None);
        let baseline = series(&mut rng, m, 100.0, 10.0, None);
        cases.push((format!("exact {n}x{m}"), canary, baseline));
    }
    // Approximate: larger samples, shifted or not.
    for (n, m, shift) in [
        (50, 50, 0.0),
        (60, 60, 8.0),
        (120, 80, -4.0),
        (600, 600, 1.5),
        (600, 600, 30.0),
        (30, 200, 2.0),
    ] {
        let canary = series(&mut rng, n, 100.0 + shift, 10.0, None);
        let baseline = series(&mut rng, m, 100.0, 10.0, None);
        cases.push((format!("approximate {n}x{m}"), canary, baseline));
    }
    // Ties: values rounded to whole numbers (R then uses the approximation at any size).
    for (n, m, shift) in [(8, 9, 3.0), (40, 40, 0.0), (60, 60, 5.0), (300, 300, 2.0)] {
        let canary = series(&mut rng, n, 100.0 + shift, 10.0, Some(0));
        let baseline = series(&mut rng, m, 100.0, 10.0, Some(0));
        cases.push((format!("ties {n}x{m}"), canary, baseline));
    }
    // Mostly one value, a few others: heavy ties.
    let mostly = |rng: &mut fastrand::Rng, n: usize, p: f64| -> Vec<f64> {
        (0..n)
            .map(|_| {
                if rng.f64() < p {
                    0.0
                } else {
                    f64::from(rng.u8(1..4))
                }
            })
            .collect()
    };
    cases.push((
        "heavy ties".into(),
        mostly(&mut rng, 200, 0.7),
        mostly(&mut rng, 200, 0.9),
    ));

    let dir = tempfile::tempdir().unwrap();
    let mut script = String::from("options(warn = -1)\n");
    for (i, (_, canary, baseline)) in cases.iter().enumerate() {
        let _ = writeln!(
            script,
            "t <- wilcox.test({}, {}, conf.int = TRUE, conf.level = 0.98); cat({i}, sprintf('%.17g', t$conf.int[1]), sprintf('%.17g', t$conf.int[2]), sprintf('%.17g', t$estimate), '\\n')",
            r_vector(canary),
            r_vector(baseline)
        );
    }
    let rows = run_r(r, dir.path(), &script);
    assert_eq!(rows.len(), cases.len());
    for ((name, canary, baseline), row) in cases.iter().zip(&rows) {
        let ours = warroom::canary::wilcox::shift_98(canary, baseline).unwrap();
        for (what, a, b) in [
            ("lower", ours.lower, row[1]),
            ("upper", ours.upper, row[2]),
            ("estimate", ours.estimate, row[3]),
        ] {
            assert!(
                (a - b).abs() <= 1e-6,
                "{name} ({}): {what} {a} vs R {b}",
                if ours.exact { "exact" } else { "approximate" }
            );
        }
    }
}

/// Rates as counts: `prop.test`'s difference, interval, statistic and p-value, and
/// `fisher.test`'s two-sided p-value, against R.
#[test]
fn the_proportion_tests_agree_with_r() {
    let Some(r) = rscript() else { return };
    use warroom::canary::proportion::{fisher_p, prop_test_98};
    // (canary errors, canary requests, baseline errors, baseline requests)
    let cases: [(u64, u64, u64, u64); 9] = [
        (12, 1000, 4, 1000),
        (0, 500, 3, 480),
        (3, 40, 0, 45),
        (250, 5000, 200, 5000),
        (1, 10, 1, 10),
        (30, 31, 2, 29),
        (5, 100000, 2, 100000),
        (0, 60, 0, 60),
        (7, 7, 0, 9),
    ];
    let mut script = String::from("options(warn = -1)\n");
    for (i, (a, an, b, bn)) in cases.iter().enumerate() {
        let _ = writeln!(
            script,
            "t <- prop.test(c({a}, {b}), c({an}, {bn}), conf.level = 0.98); f <- fisher.test(matrix(c({a}, {b}, {an} - {a}, {bn} - {b}), 2)); cat({i}, sprintf('%.17g', t$conf.int[1]), sprintf('%.17g', t$conf.int[2]), sprintf('%.17g', t$statistic), sprintf('%.17g', t$p.value), sprintf('%.17g', f$p.value), '\\n')"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let rows = run_r(r, dir.path(), &script);
    assert_eq!(rows.len(), cases.len());
    let close = |a: f64, b: f64| (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-6;
    for ((a, an, b, bn), row) in cases.iter().zip(&rows) {
        let name = format!("{a}/{an} vs {b}/{bn}");
        let p = fisher_p(*a, an - a, *b, bn - b);
        assert!(close(p, row[5]), "{name}: fisher p {p} vs R {}", row[5]);
        let Some(t) = prop_test_98((*a as f64, *an as f64), (*b as f64, *bn as f64)) else {
            panic!("{name}: no test");
        };
        for (what, ours, theirs) in [
            ("lower", t.lower, row[1]),
            ("upper", t.upper, row[2]),
            ("statistic", t.statistic, row[3]),
            ("p-value", t.p_value, row[4]),
        ] {
            assert!(close(ours, theirs), "{name}: {what} {ours} vs R {theirs}");
        }
    }
}

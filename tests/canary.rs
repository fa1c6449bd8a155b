//! The canary judge's scoring and classification, case by case from Kayenta's documented
//! rules (NetflixACAJudge, MannWhitneyClassifier, WeightedSumScorer,
//! ThresholdScoreClassifier), and its handling of bad series: NaN, infinities, a single
//! point, constant sides, 100,000 points.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::collections::BTreeMap;

use warroom::canary::{Class, Direction, Input, MetricSpec, Nan, Outliers, Spec, Verdict, judge};

/// `n` latencies around `centre` (± 5 %), reproducibly.
fn around(rng: &mut fastrand::Rng, n: usize, centre: f64) -> Vec<f64> {
    (0..n).map(|_| centre * (0.95 + 0.1 * rng.f64())).collect()
}

fn spec(metrics: Vec<MetricSpec>) -> Spec {
    Spec {
        pass: 95.0,
        marginal: 75.0,
        min_points: 10,
        weights: BTreeMap::new(),
        metrics,
    }
}

fn metric(id: &str, group: &str) -> MetricSpec {
    MetricSpec {
        group: group.to_owned(),
        unit: "ms".to_owned(),
        ..MetricSpec::new(id)
    }
}

/// The same values on both sides, in another order and a hair apart (so not identical):
/// no shift at all, where two draws of one distribution would still, now and then, differ
/// significantly (2 % of the time at 98 %, as in Kayenta).
fn same_values(rng: &mut fastrand::Rng) -> Input {
    let baseline = around(rng, 60, 240.0);
    let canary = baseline.iter().rev().map(|v| v * (1.0 + 1e-9)).collect();
    Input::Samples { baseline, canary }
}

/// The canary `factor` times the baseline's centre.
fn samples(rng: &mut fastrand::Rng, factor: f64) -> Input {
    Input::Samples {
        baseline: around(rng, 60, 240.0),
        canary: around(rng, 60, 240.0 * factor),
    }
}

#[test]
fn scores_and_classes_follow_kayentas_rules() {
    let mut rng = fastrand::Rng::with_seed(7);
    // Four metrics in one group, all passing: 100, PASS.
    let four = spec(
        (0..4)
            .map(|i| metric(&format!("m{i}"), "latency"))
            .collect(),
    );
    let same: Vec<Input> = (0..4).map(|_| same_values(&mut rng)).collect();
    let j = judge(&four, &same);
    assert_eq!((j.score, j.verdict), (100.0, Verdict::Pass), "{j:#?}");

    // One of four High (the canary 70 % slower): 75, MARGINAL; the metric says why.
    let mut one_high = same.clone();
    one_high[0] = samples(&mut rng, 1.7);
    let j = judge(&four, &one_high);
    assert_eq!((j.score, j.verdict), (75.0, Verdict::Marginal));
    assert_eq!(j.metrics[0].class, Class::High);
    assert!(
        j.metrics[0].why.starts_with("m0: HIGH · canary ")
            && j.metrics[0].why.contains(" vs baseline ")
            && j.metrics[0].why.contains("(CI +")
            && j.metrics[0].why.ends_with("n 60/60"),
        "{}",
        j.metrics[0].why
    );

    // Lower is not worse for a metric that may only increase; Low where it may decrease.
    let mut faster = four.clone();
    faster.metrics[0].direction = Direction::Increase;
    let mut lower = same.clone();
    lower[0] = samples(&mut rng, 0.5);
    assert_eq!(judge(&faster, &lower).metrics[0].class, Class::Pass);
    faster.metrics[0].direction = Direction::Decrease;
    assert_eq!(judge(&faster, &lower).metrics[0].class, Class::Low);

    // A shift that is real but within `allowed-increase` (mean ratio 1.1 < 1.2): Pass.
    let mut allowed = four.clone();
    allowed.metrics[0].allowed_increase = 1.2;
    let mut slower = same.clone();
    slower[0] = samples(&mut rng, 1.1);
    assert_eq!(judge(&four, &slower).metrics[0].class, Class::High);
    assert_eq!(judge(&allowed, &slower).metrics[0].class, Class::Pass);

    // A critical metric High: 0, FAIL, the reason names it.
    let mut critical = four.clone();
    critical.metrics[0].critical = true;
    let j = judge(&critical, &one_high);
    assert_eq!((j.score, j.verdict), (0.0, Verdict::Fail));
    assert!(
        j.why.contains("critical") && j.why.contains("m0: HIGH"),
        "{}",
        j.why
    );

    // Weights: latency 60 (1 of 2 pass: 50 -> 30), errors unweighted (gets 40, all pass).
    let mut weighted = spec(vec![
        metric("p50", "latency"),
        metric("p95", "latency"),
        metric("5xx", "errors"),
    ]);
    weighted.weights.insert("latency".into(), 60.0);
    let inputs = vec![
        same_values(&mut rng),
        samples(&mut rng, 1.8),
        same_values(&mut rng),
    ];
    let j = judge(&weighted, &inputs);
    assert_eq!((j.score, j.verdict), (70.0, Verdict::Fail), "{j:#?}");
    assert_eq!(
        j.groups,
        [("errors".to_owned(), 100.0), ("latency".to_owned(), 50.0)]
    );

    // Half the metrics without data: 0, FAIL.
    let empty = Input::Samples {
        baseline: Vec::new(),
        canary: around(&mut rng, 60, 240.0),
    };
    let half = vec![
        empty.clone(),
        empty.clone(),
        same[2].clone(),
        same[3].clone(),
    ];
    let j = judge(&four, &half);
    assert_eq!((j.score, j.verdict), (0.0, Verdict::Fail));
    assert_eq!(j.metrics[0].class, Class::Nodata);
    // One of four without data: the others score (a group of nodata alone counts 100).
    let one = vec![
        empty.clone(),
        same[1].clone(),
        same[2].clone(),
        same[3].clone(),
    ];
    assert_eq!(judge(&four, &one).score, 100.0);
    // Required data missing counts as a failure in its group.
    let mut required = four.clone();
    required.metrics[0].must_have_data = true;
    let j = judge(&required, &one);
    assert_eq!((j.metrics[0].class, j.score), (Class::NodataFail, 75.0));

    // Too few points: INCONCLUSIVE, and it says it neither opens nor holds a gate.
    let short = Input::Samples {
        baseline: around(&mut rng, 5, 240.0),
        canary: around(&mut rng, 5, 400.0),
    };
    let j = judge(
        &four,
        &[short, same[1].clone(), same[2].clone(), same[3].clone()],
    );
    assert_eq!(j.verdict, Verdict::Inconclusive);
    assert_eq!(j.metrics[0].class, Class::Inconclusive);
    assert!(
        j.why.contains("neither opens nor holds a gate"),
        "{}",
        j.why
    );
    assert_eq!(j.short(), "canary INCONCLUSIVE");
}

#[test]
fn bad_series_get_a_verdict_never_a_panic() {
    let mut rng = fastrand::Rng::with_seed(11);
    let one = spec(vec![metric("p95", "latency")]);
    let judge_one = |s: &Spec, baseline: Vec<f64>, canary: Vec<f64>| {
        judge(s, &[Input::Samples { baseline, canary }])
    };
    // NaN and infinities are removed (the default), the rest judged.
    let mut b = around(&mut rng, 60, 240.0);
    let mut c = around(&mut rng, 60, 240.0);
    b.extend([f64::NAN, f64::INFINITY]);
    c.extend([f64::NEG_INFINITY, f64::NAN]);
    let j = judge_one(&one, b.clone(), c.clone());
    assert_eq!((j.metrics[0].baseline.n, j.metrics[0].canary.n), (60, 60));
    assert_eq!(j.metrics[0].class, Class::Pass);
    // Replaced by zeros when the metric says so.
    let mut replace = one.clone();
    replace.metrics[0].nan = Nan::Replace;
    assert_eq!(judge_one(&replace, b, c).metrics[0].baseline.n, 62);
    // All NaN: no data.
    let j = judge_one(&one, vec![f64::NAN; 30], around(&mut rng, 30, 240.0));
    assert_eq!(j.metrics[0].class, Class::Nodata);
    // A single point on each side, allowed by min-points 1: judged (exactly).
    let mut single = one.clone();
    single.min_points = 1;
    let j = judge_one(&single, vec![240.0], vec![480.0]);
    assert_eq!(j.metrics[0].class, Class::High, "{j:#?}");
    // Both sides constant and different: judged on the exact shift (Kayenta adds random
    // noise here; warroom gives the same verdict every time).
    let j = judge_one(&one, vec![240.0; 30], vec![300.0; 30]);
    assert_eq!(j.metrics[0].class, Class::High);
    assert_eq!(j.metrics[0].shift.unwrap().estimate, 60.0);
    // Identical sides: Pass, said so.
    let j = judge_one(&one, vec![240.0; 30], vec![240.0; 30]);
    assert_eq!(j.metrics[0].class, Class::Pass);
    assert!(j.metrics[0].why.contains("identical"));
    // Outliers removed: one wild canary point no longer moves the mean.
    let mut outliers = one.clone();
    outliers.metrics[0].outliers = Outliers::Remove;
    let mut c = around(&mut rng, 200, 240.0);
    c.push(1e9);
    let j = judge_one(&outliers, around(&mut rng, 200, 240.0), c);
    assert_eq!(j.metrics[0].canary.n, 200);
    // 100,000 points a side: a verdict (the approximation, merged ranks).
    let big_b = around(&mut rng, 100_000, 240.0);
    let big_c = around(&mut rng, 100_000, 250.0);
    let j = judge_one(&one, big_b, big_c);
    assert_eq!(j.metrics[0].class, Class::High);
    assert!(!j.metrics[0].shift.unwrap().exact);
}

/// A rate as counts is judged by its proportions, not by ranks of mostly zeros: 1.2 %
/// against 0.4 % of 5,000 requests is HIGH, with the difference in points and a p-value;
/// 3 against 2 errors of 5,000 is not.
#[test]
fn a_rate_given_as_counts_is_judged_by_its_proportions() {
    let s = spec(vec![MetricSpec {
        direction: Direction::Increase,
        ..metric("errors", "errors")
    }]);
    let counts = |c: f64, b: f64| Input::Counts {
        baseline: (b, 5000.0),
        canary: (c, 5000.0),
    };
    let j = judge(&s, &[counts(60.0, 20.0)]);
    let m = &j.metrics[0];
    assert_eq!(m.class, Class::High, "{m:#?}");
    assert!(
        m.why
            .starts_with("errors: HIGH · canary 1.20 % vs baseline 0.40 % · +0.80 pp (CI +")
            && m.why.contains("chi² p"),
        "{}",
        m.why
    );
    let j = judge(&s, &[counts(3.0, 2.0)]);
    assert_eq!(j.metrics[0].class, Class::Pass);
    assert!(
        j.metrics[0].why.contains("fisher p"),
        "{}",
        j.metrics[0].why
    );
}

/// `warroom judge` on two recorded series: with Kayenta's defaults every shared KPI is a
/// metric; with a runbook's `[[canary]]` its metrics pair the sides' KPIs, over its window
/// only, and a rate given as counters is judged by its proportions; `--json` is the same
/// judgement as data; bad input exits 2 saying what is wrong.
#[test]
fn warroom_judge_judges_two_recorded_series() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = fastrand::Rng::with_seed(3);
    let mut base = String::from("offset,kpi,value\n");
    let mut can = String::from("offset,kpi,value\n");
    let (mut be, mut ce) = (0.0, 0.0);
    for i in 0..900 {
        // The first five minutes alike; then the canary's latency rises by 60 % and its
        // errors triple (counters: 100 requests a second, so 0.4 % against 1.2 %).
        let later = i >= 300;
        be += if rng.f64() < 0.004 { 1.0 } else { 0.0 };
        ce += if rng.f64() < if later { 0.012 } else { 0.004 } {
            1.0
        } else {
            0.0
        };
        base += &format!("{i},blue_p95,{}\n", 240.0 + rng.f64() * 30.0);
        base += &format!(
            "{i},blue_errors,{}\n{i},blue_requests,{}\n",
            be * 100.0,
            (i + 1) * 100
        );
        let p95 = if later { 390.0 } else { 240.0 } + rng.f64() * 30.0;
        can += &format!("{i},green_p95,{p95}\n");
        can += &format!(
            "{i},green_errors,{}\n{i},green_requests,{}\n",
            ce * 100.0,
            (i + 1) * 100
        );
    }
    let (b, c) = (dir.path().join("blue.csv"), dir.path().join("green.csv"));
    std::fs::write(&b, base).unwrap();
    std::fs::write(&c, can).unwrap();
    let judge = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
            .arg("judge")
            .args([
                "--baseline",
                b.to_str().unwrap(),
                "--canary",
                c.to_str().unwrap(),
            ])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // No KPI shared by name: said, exit 2.
    let (code, _, err) = judge(&[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("the two series share no KPI"), "{err}");

    let rb = dir.path().join("rb.toml");
    std::fs::write(
        &rb,
        r#"[runbook]
name = "calibrate"

[[kpi]]
id = "blue_p95"
label = "Blue p95"
unit = "ms"
command = ["echo", "1"]
interval = "1s"

[[kpi]]
id = "green_p95"
label = "Green p95"
unit = "ms"
command = ["echo", "1"]
interval = "1s"

[[kpi]]
id = "blue_errors"
label = "Blue errors"
command = ["echo", "1"]
interval = "1s"

[[kpi]]
id = "green_errors"
label = "Green errors"
command = ["echo", "1"]
interval = "1s"

[[kpi]]
id = "blue_requests"
label = "Blue requests"
command = ["echo", "1"]
interval = "1s"

[[kpi]]
id = "green_requests"
label = "Green requests"
command = ["echo", "1"]
interval = "1s"

[[canary]]
id = "green"
window = "10m"

[[canary.metric]]
id = "p95"
baseline = "blue_p95"
canary = "green_p95"
direction = "increase"

[[canary.metric]]
id = "errors"
kind = "proportion"
baseline = "blue_errors"
baseline-total = "blue_requests"
canary = "green_errors"
canary-total = "green_requests"
direction = "increase"
"#,
    )
    .unwrap();
    let (code, out, err) = judge(&["--config", rb.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("canary FAIL 0 · "), "{out}");
    // The last ten minutes only: 600 points a side, of which 300 before the change.
    assert!(
        lines[1].starts_with("  p95: HIGH · canary ")
            && lines[1].contains(" ms vs baseline ")
            && lines[1].ends_with("n 600/600"),
        "{out}"
    );
    assert!(lines[2].starts_with("  errors: HIGH · canary "), "{out}");
    let (code, json, _) = judge(&["--config", rb.to_str().unwrap(), "--json"]);
    assert_eq!(code, Some(0));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["verdict"], "fail");
    assert_eq!(v["metrics"][0]["class"], "high");
    // An unknown canary id: said, exit 2.
    let (code, _, err) = judge(&["--config", rb.to_str().unwrap(), "--canary-id", "blue"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("has no `[[canary]]` `blue`"), "{err}");
}

/// At the gate (the demo's go-canary gate shows the `green-vs-blue` analysis, which holds
/// it on a FAIL): the console judges green's latency against blue's each minute on the
/// window's samples. Before there are enough points it is INCONCLUSIVE and holds nothing;
/// green 60 % slower is FAIL, journaled, and holds the gate; a vote cast then carries the
/// verdict with each metric's reason; green back in line is PASS, and the gate is free.
/// The replayed record holds the gate exactly as the live console did.
#[test]
fn the_gate_shows_the_canary_verdict_and_a_fail_holds_it() {
    use common::{at, demo_state, kpi};
    use warroom::app::event::Event;
    use warroom::app::{Hold, State};
    let mut s = demo_state();
    let mut rng = fastrand::Rng::with_seed(5);
    let mut t = 0;
    let mut feed = |s: &mut State, secs: i64, green: f64| {
        for _ in 0..secs / 2 {
            t += 2;
            at(s, t);
            kpi(s, "blue_p95_ms", 240.0 + rng.f64() * 20.0);
            kpi(s, "green_p95_ms", green + rng.f64() * 20.0);
        }
    };
    // Ten seconds in: five points a side, fewer than the ten a metric needs.
    feed(&mut s, 10, 240.0);
    let verdict = |s: &State| s.canaries[0].verdict.map(|(v, ..)| v);
    assert_eq!(verdict(&s), Some(warroom::canary::Verdict::Inconclusive));
    assert_eq!(s.gate_held_by(0), None, "INCONCLUSIVE holds nothing");
    // Green 60 % slower for two minutes: FAIL (a critical metric HIGH), and held.
    feed(&mut s, 120, 390.0);
    assert_eq!(verdict(&s), Some(warroom::canary::Verdict::Fail));
    assert_eq!(s.gate_held_by(0), Some(Hold::Canary(0)));
    let j = s.canaries[0].judgement.clone().unwrap();
    assert!(
        j.metrics[0].why.starts_with("p95: HIGH · canary "),
        "{}",
        j.metrics[0].why
    );
    // A vote now (one approver's GO: the gate still waits) carries the verdict it was
    // cast under.
    common::key(&mut s, crossterm::event::KeyCode::Char('j'));
    common::key(&mut s, crossterm::event::KeyCode::Char('g'));
    common::key(&mut s, crossterm::event::KeyCode::Char('G'));
    common::key(&mut s, crossterm::event::KeyCode::Enter);
    let records = s.take_records();
    let vote = records
        .iter()
        .find_map(|r| match &r.event {
            Event::GateVote { canary, .. } => canary.clone(),
            _ => None,
        })
        .expect("the vote carries the canary verdict");
    assert_eq!(vote.words(), "canary green-vs-blue FAIL 0");
    assert!(vote.metrics[0].starts_with("p95: HIGH"));
    // Green back in line for ten minutes (the window forgets the slow part): PASS.
    feed(&mut s, 600, 240.0);
    assert_eq!(verdict(&s), Some(warroom::canary::Verdict::Pass));
    assert_eq!(s.gate_held_by(0), None);
    // Each change of verdict is in the record, and a replay holds as the console did.
    let mut all = records;
    all.extend(s.take_records());
    let judged: Vec<String> = all
        .iter()
        .filter_map(|r| match &r.event {
            Event::CanaryJudged { verdict, .. } => Some(verdict.word().to_owned()),
            _ => None,
        })
        .collect();
    // (While the window still holds part of the slow stretch the verdict may go back and
    // forth: each change, and only a change, is a record.)
    assert_eq!(judged[..2], ["INCONCLUSIVE", "FAIL"]);
    assert_eq!(judged.last().map(String::as_str), Some("PASS"));
    assert!(judged.windows(2).all(|w| w[0] != w[1]), "{judged:?}");
    let mut replayed = demo_state();
    replayed.replay(&all);
    assert_eq!(replayed.canaries[0].verdict, s.canaries[0].verdict);
    assert_eq!(replayed.gate_held_by(0), None);
    // Replayed to the first FAIL: held, as the console was then.
    let fail = all
        .iter()
        .position(|r| matches!(&r.event, Event::CanaryJudged { verdict, .. } if *verdict == warroom::canary::Verdict::Fail))
        .unwrap();
    let mut then = demo_state();
    then.replay(&all[..=fail]);
    assert_eq!(then.gate_held_by(0), Some(Hold::Canary(0)));
}

/// `query-range = true`: the console asks the shell for one range query per side (an
/// effect) instead of judging its own samples, and judges when they come back; a failed
/// query falls back to its own samples and the metric says so. A rehearsal judges its own
/// samples. `check` refuses it on a KPI that is not a Prometheus query.
#[test]
fn a_ranged_metric_asks_for_its_range_queries_and_is_judged_on_them() {
    use warroom::app::{Action, Effect, State, update};
    let text = r#"[runbook]
name = "ranged"

[[kpi]]
id = "blue_p95"
label = "Blue p95"
interval = "5s"
prometheus = { url = "http://127.0.0.1:9", query = "blue" }

[[kpi]]
id = "green_p95"
label = "Green p95"
interval = "5s"
prometheus = { url = "http://127.0.0.1:9", query = "green" }

[[phase]]
id = "p"
title = "P"

[[phase.step]]
id = "ship"
title = "Ship"

[[canary]]
id = "green"
window = "10m"

[[canary.metric]]
id = "p95"
baseline = "blue_p95"
canary = "green_p95"
query-range = true

[[gate]]
id = "go"
title = "Go?"
approvers = ["Lead"]
before = "ship"
canary = "green"
"#;
    let (rb, _) = warroom::runbook::load_str(std::path::Path::new("r.toml"), text).unwrap();
    let start = common::start();
    let mut s = State::new(std::sync::Arc::new(rb), start);
    let fx = update(&mut s, Action::Tick(start));
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::CanaryRange { canary: 0, end } if *end == start)),
        "{fx:?}"
    );
    assert!(
        s.canaries[0].judgement.is_none(),
        "not judged before the ranges come"
    );
    let mut rng = fastrand::Rng::with_seed(1);
    update(
        &mut s,
        Action::CanaryRanges {
            canary: 0,
            ranges: vec![(
                0,
                Ok((around(&mut rng, 120, 240.0), around(&mut rng, 120, 480.0))),
            )],
        },
    );
    let j = s.canaries[0].judgement.clone().unwrap();
    assert_eq!(
        (j.verdict, j.metrics[0].class),
        (Verdict::Fail, Class::High)
    );
    assert_eq!(j.metrics[0].canary.n, 120);
    // A minute later the query fails: the console's own samples (none here) are judged,
    // and the metric says why.
    update(&mut s, Action::Tick(start + chrono::TimeDelta::minutes(1)));
    update(
        &mut s,
        Action::CanaryRanges {
            canary: 0,
            ranges: vec![(0, Err("blue_p95: timed out".into()))],
        },
    );
    let j = s.canaries[0].judgement.clone().unwrap();
    assert_eq!(j.verdict, Verdict::Inconclusive);
    assert!(
        j.metrics[0]
            .warning
            .as_deref()
            .is_some_and(|w| w.contains("the range query failed (blue_p95: timed out)")),
        "{j:#?}"
    );
    // On a KPI that is not a Prometheus query: refused.
    let bad = text.replace(
        "prometheus = { url = \"http://127.0.0.1:9\", query = \"green\" }",
        "command = [\"echo\", \"1\"]",
    );
    let errs = warroom::runbook::load_str(std::path::Path::new("r.toml"), &bad).unwrap_err();
    assert!(
        errs.iter()
            .any(|e| e.key == "canary[green].metric[p95].query-range"
                && e.message.contains("`green_p95` is not a `prometheus` KPI")),
        "{errs:#?}"
    );
}

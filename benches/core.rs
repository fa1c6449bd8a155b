//! The core's costs, each in isolation: a full frame, the update loop under a burst of
//! actions, reading a 10,000-line /metrics page, evaluating 1,000 rules, appending to the
//! journal with its fsync, and replaying 100,000 events. `cargo bench --bench core` prints
//! medians; the budgets (issue 12) are beside each case.

#![allow(clippy::unwrap_used)] // benchmark code: a failed unwrap is a broken benchmark

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use warroom::app::event::{Event, Record};
use warroom::app::{Action, Observation, Probe, State, update};
use warroom::runbook::Health;

fn main() {
    divan::main();
}

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-02-08T01:59:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// The demo runbook two minutes in: every KPI with a full sparkline, endpoints up.
fn populated() -> State {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo.toml");
    let (rb, _) = warroom::runbook::load(&path).unwrap();
    let mut s = State::new(Arc::new(rb), start());
    for t in 0..240 {
        update(&mut s, Action::Tick(start() + TimeDelta::seconds(t)));
        for k in 0..s.runbook.kpis.len() {
            let v = 50.0 + (t as f64 * 0.7 + k as f64).sin() * 20.0;
            update(
                &mut s,
                Action::Observed(Observation::KpiSample {
                    kpi: k,
                    result: Ok(v.into()),
                }),
            );
        }
        for e in 0..s.runbook.endpoints.len() {
            let probe = Probe {
                health: Health::Up,
                latency: None,
                reason: None,
            };
            update(
                &mut s,
                Action::Observed(Observation::EndpointProbe { endpoint: e, probe }),
            );
        }
    }
    s.outbox.clear();
    s
}

/// Budget: a full 200x60 frame under 1 ms.
#[divan::bench(args = [(80, 24), (200, 60)])]
fn frame(bencher: divan::Bencher, (w, h): (u16, u16)) {
    let s = populated();
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    bencher.bench_local(|| t.draw(|f| warroom::ui::render(f, &s)).unwrap().area);
}

/// A second's worth of a busy console: a tick and every KPI's sample, 100 times over.
#[divan::bench]
fn update_burst(bencher: divan::Bencher) {
    bencher.with_inputs(populated).bench_local_values(|mut s| {
        for t in 0..100 {
            update(&mut s, Action::Tick(start() + TimeDelta::seconds(240 + t)));
            for k in 0..s.runbook.kpis.len() {
                update(
                    &mut s,
                    Action::Observed(Observation::KpiSample {
                        kpi: k,
                        result: Ok((t as f64).into()),
                    }),
                );
            }
        }
        s
    });
}

/// A /metrics page of 10,000 series (100 families of 100), read as the scraper reads it.
#[divan::bench]
fn metrics_page_10k_lines(bencher: divan::Bencher) {
    let mut page = String::new();
    for f in 0..100 {
        page.push_str(&format!("# HELP fam_{f} A family.\n# TYPE fam_{f} gauge\n"));
        for i in 0..100 {
            page.push_str(&format!(
                "fam_{f}{{instance=\"host-{i}\",job=\"node\"}} {}.25\n",
                i * f
            ));
        }
    }
    let bytes = page.into_bytes();
    bencher.bench(|| {
        warroom::exposition::parse(
            &bytes,
            warroom::exposition::Format::Text,
            warroom::exposition::Rules::Scraper,
        )
        .unwrap()
        .len()
    });
}

/// 1,000 rule expressions over the demo's KPIs and endpoints, each evaluated once.
#[divan::bench]
fn rules_1000(bencher: divan::Bencher) {
    let s = populated();
    let forms = [
        "error_rate > 2",
        "green_p95_ms > 500 and green_traffic > 0",
        "endpoint(api-green) == down and green_traffic > 0",
        "request_rate < 50 or db_connections > 100",
        "cpu > 1.5 * 40",
    ];
    let exprs: Vec<warroom::runbook::expr::Expr> = (0..1000)
        .map(|i| warroom::runbook::expr::Expr::parse(forms[i % forms.len()]).unwrap())
        .collect();
    bencher.bench_local(|| {
        exprs
            .iter()
            .filter(|e| warroom::rules::eval(e, &s) == warroom::rules::Truth::True)
            .count()
    });
}

/// One decision appended with its fsync, on this disk. Budget: p99 under 10 ms.
#[divan::bench(sample_count = 200)]
fn journal_append_fsync(bencher: divan::Bencher) {
    let dir = tempfile::tempdir().unwrap();
    let mut journal = warroom::journal::Journal::open(dir.path()).unwrap().journal;
    let mut seq = 0;
    bencher.bench_local(|| {
        seq += 1;
        let event = Event::CheckTicked {
            check: "oncall".into(),
            ticked: seq % 2 == 0,
        };
        journal
            .append(&[Record::new(seq, start(), Default::default(), event)])
            .unwrap();
    });
}

/// 100,000 recorded events rebuilt into State. Budget: under 1 s.
#[divan::bench(sample_count = 10)]
fn replay_100k(bencher: divan::Bencher) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo.toml");
    let (rb, _) = warroom::runbook::load(&path).unwrap();
    let rb = Arc::new(rb);
    let checks: Vec<String> = rb.checks().map(|(_, c)| c.id.clone()).collect();
    let records: Vec<Record> = (0..100_000u64)
        .map(|i| {
            let event = match i % 3 {
                0 => Event::CheckTicked {
                    check: checks[(i as usize) % checks.len()].clone(),
                    ticked: i % 2 == 0,
                },
                1 => Event::RulePending {
                    rule: "error-rate-critical".into(),
                    values: Vec::new(),
                },
                _ => Event::RuleReset {
                    rule: "error-rate-critical".into(),
                },
            };
            Record::new(
                i + 1,
                start() + TimeDelta::milliseconds(i as i64),
                Default::default(),
                event,
            )
        })
        .collect();
    bencher.bench_local(|| {
        let mut s = State::new(rb.clone(), start());
        s.replay(records.iter());
        s.seq
    });
}

/// The canary verdict (issue 26): 20 metrics of 600 points a side (ten minutes at 1 s),
/// judged whole. Budget: under 10 ms.
#[divan::bench]
fn canary_judge_20_metrics_of_600_points(bencher: divan::Bencher) {
    use warroom::canary::{Input, MetricSpec, Spec, judge};
    let mut rng = fastrand::Rng::with_seed(26);
    let spec = Spec {
        pass: 95.0,
        marginal: 75.0,
        min_points: 10,
        weights: Default::default(),
        metrics: (0..20).map(|i| MetricSpec::new(&format!("m{i}"))).collect(),
    };
    let inputs: Vec<Input> = (0..20)
        .map(|i| Input::Samples {
            baseline: (0..600).map(|_| 240.0 + rng.f64() * 30.0).collect(),
            canary: (0..600)
                .map(|_| 240.0 + f64::from(i % 3) * 5.0 + rng.f64() * 30.0)
                .collect(),
        })
        .collect();
    bencher.bench(|| judge(divan::black_box(&spec), divan::black_box(&inputs)));
}

/// Time travel (issue 28): seeking to a minute of an 8-hour run with 100 KPIs sampled every
/// second (2.88 million points), the State rebuilt at that moment. Budget: under 100 ms.
#[divan::bench(sample_count = 20)]
fn replay_seek_8h_100_kpis(bencher: divan::Bencher) {
    use warroom::samples::Value;
    let mut text = String::from("[runbook]\nname = \"eight hours\"\n");
    for i in 0..100 {
        text.push_str(&format!(
            "[[kpi]]\nid = \"k{i}\"\ninterval = \"1s\"\ncommand = [\"echo\", \"1\"]\n"
        ));
    }
    text.push_str(
        "[[phase]]\nid = \"p\"\ntitle = \"P\"\n[[phase.step]]\nid = \"s\"\ntitle = \"S\"\n",
    );
    let (rb, _) = warroom::runbook::load_str(Path::new("eight.toml"), &text).unwrap();
    let t0 = start();
    let records = vec![Record::new(
        1,
        t0,
        Default::default(),
        Event::RunOpened {
            runbook: "eight hours".into(),
            path: "eight.toml".into(),
            sha256: String::new(),
            t0,
        },
    )];
    // The 8 hours written as the console writes them: a synced block every second.
    let dir = tempfile::tempdir().unwrap();
    let mut w = warroom::samples::Writer::open(dir.path()).unwrap();
    let mut rng = fastrand::Rng::with_seed(28);
    for s in 0..28_800i64 {
        for k in 0..100u32 {
            w.record(
                &format!("kpi:k{k}"),
                t0.timestamp_millis() + s * 1000,
                Value::Number(f64::from(rng.u32(0..1000)) / 10.0),
            )
            .unwrap();
        }
        w.flush().unwrap();
    }
    w.flush().unwrap();
    let recording = warroom::samples::Blocks::open(dir.path());
    let night = warroom::app::replay::Night::new(Arc::new(rb), records, recording);
    bencher
        .with_inputs(|| t0 + TimeDelta::minutes(i64::from(fastrand::u32(1..480))))
        .bench_local_values(|at| night.state_at(at).now);
}

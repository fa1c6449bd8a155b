//! Against the real thing: Debian's Prometheus scraping the demo target, and Debian's
//! Alertmanager, started on free loopback ports with configs in a temp dir and stopped by
//! PID. Without the binaries this says so loudly and passes locally; under CI it fails.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use common::servers;
use serde_json::json;
use warroom::app::FaultKind;
use warroom::app::Observation;
use warroom::monitor::{alertmanager, http, prometheus};
use warroom::runbook::{Aggregate, Matcher, Silence};

/// The binary's path, or None (locally, said loudly); under CI a missing one fails.
fn binary(name: &str) -> Option<String> {
    let package = if name == "prometheus" {
        "prometheus"
    } else {
        "prometheus-alertmanager"
    };
    servers::program(name, package)
}

/// Starts a Prometheus or an Alertmanager on a free loopback port (its log in `dir`) and
/// waits until it is ready; returns it, its base URL and a client.
async fn serve(
    program: &str,
    args: &[String],
    dir: &Path,
) -> (servers::Daemon, String, warroom::monitor::http::Client) {
    let port = servers::free_port();
    let mut all = args.to_vec();
    all.push(format!("--web.listen-address=127.0.0.1:{port}"));
    let (daemon, base) = servers::serve(program, &all, port, "/-/ready", dir).await;
    let client = http::client(&http::Tls::default()).unwrap();
    (daemon, base, client)
}

/// The demo target, and a Prometheus scraping it every second (its data in `dir`).
async fn scraping_the_demo(
    bin: &str,
    dir: &Path,
) -> (
    SocketAddr,
    tokio::task::JoinHandle<()>,
    servers::Daemon,
    String,
    warroom::monitor::http::Client,
) {
    let (target, server) = warroom::demo::serve(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: demo\n    static_configs:\n      - targets: ['{target}']\n"
        ),
    )
    .unwrap();
    let storage = format!("--storage.tsdb.path={}", dir.join("data").display());
    let (prom, base, client) = serve(
        bin,
        &[format!("--config.file={}", config.display()), storage],
        dir,
    )
    .await;
    (target, server, prom, base, client)
}

#[tokio::test]
async fn prometheus_source_reads_the_real_query_api() {
    let Some(bin) = binary("prometheus") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_target, _server, _prom, base, client) = scraping_the_demo(&bin, dir.path()).await;

    // Wait for the first scrapes of the demo target to land.
    let query = |q: &'static str, aggregate: Option<Aggregate>| {
        let (client, base) = (client.clone(), base.clone());
        async move {
            prometheus::poll(&client, &base, q, aggregate, Duration::from_secs(3), &[])
                .await
                .map(|r| r.value)
        }
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let rps = loop {
        match query("sum(demo_request_rate)", None).await {
            Ok(v) => break v,
            Err(e) => {
                assert!(
                    e.why.contains("empty result"),
                    "unexpected error before the first scrape: {e}"
                );
                assert!(
                    Instant::now() < deadline,
                    "Prometheus never scraped the demo target"
                );
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        }
    };
    assert!(
        rps > 50.0,
        "the demo serves ~240 requests/s, Prometheus says {rps}"
    );
    // A label-filtered vector, a scalar, an empty result and a PromQL error, from the real server.
    assert_eq!(query("demo_traffic_green_percent", None).await, Ok(0.0));
    assert_eq!(query("scalar(vector(4.5))", None).await, Ok(4.5));
    let none = query("demo_request_rate{version=\"purple\"}", None).await;
    assert_eq!(
        none.map_err(|f| f.why),
        Err("empty result: no series matches the query".into())
    );
    let bad = query("sum(", None).await.unwrap_err();
    assert!(bad.why.starts_with("prometheus bad_data:"), "{bad}");

    // Each way an answer fails is its own state on the gauge.
    let two = r#"label_replace(vector(1), "a", "x", "", "") or vector(2)"#;
    let several = query(two, None).await.unwrap_err();
    assert_eq!(several.kind, FaultKind::Series, "{several}");
    assert!(several.why.contains("2 series"), "{several}");
    assert_eq!(query(two, Some(Aggregate::Sum)).await, Ok(3.0));
    assert_eq!(query(two, Some(Aggregate::Min)).await, Ok(1.0));
    let nan = query("vector(0) / 0", None).await.unwrap_err();
    assert_eq!(nan.kind, FaultKind::NotANumber, "{nan}");
    // A query the server gives up on (told to, 100 ms before the KPI's own timeout).
    let slow = prometheus::poll(
        &client,
        &base,
        "count_over_time(vector(time())[1d:10ms])",
        None,
        Duration::from_millis(600),
        &[],
    )
    .await
    .unwrap_err();
    assert_eq!(slow.kind, FaultKind::Timeout, "{slow}");
    assert!(slow.why.contains("timed out on the server"), "{slow}");
    // The answer's time is when the value was measured: Prometheus's clock, now.
    let at = prometheus::poll(
        &client,
        &base,
        "vector(1)",
        None,
        Duration::from_secs(3),
        &[],
    )
    .await
    .unwrap()
    .measured
    .unwrap();
    assert!((chrono::Utc::now() - at).num_seconds().abs() < 5, "{at}");
}

#[tokio::test]
async fn alertmanager_alerts_join_the_feed_and_the_silence_comes_and_goes() {
    let Some(bin) = binary("prometheus-alertmanager") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("alertmanager.yml");
    std::fs::write(
        &config,
        "route:\n  receiver: nowhere\nreceivers:\n  - name: nowhere\n",
    )
    .unwrap();
    let args = [
        format!("--config.file={}", config.display()),
        format!("--storage.path={}", dir.path().join("data").display()),
        // No gossip port: a single instance on loopback.
        "--cluster.listen-address=".to_owned(),
    ];
    let (_am, base, client) = serve(&bin, &args, dir.path()).await;

    let alert = json!([{
        "labels": {"alertname": "CheckoutLatencyHigh", "severity": "critical", "service": "checkout"},
        "annotations": {"summary": "p95 above 500 ms"},
    }]);
    let posted = http::request(
        &client,
        reqwest::Method::POST,
        &format!("{base}/api/v2/alerts"),
        &[],
        Some(http::Body::Json(&alert)),
        Duration::from_secs(3),
        &[],
    )
    .await
    .unwrap();
    assert_eq!(posted.status, 200);

    let alerts = alertmanager::alerts(&client, &base, Duration::from_secs(5), &[])
        .await
        .unwrap();
    let a = alerts
        .iter()
        .find(|a| a.name == "CheckoutLatencyHigh")
        .expect("the posted alert is listed");
    assert_eq!(
        (a.severity.as_str(), a.summary.as_str(), a.silenced),
        ("critical", "p95 above 500 ms", false)
    );

    // Into the console's state: the feed shows it and the light turns red.
    let (rb, _) = warroom::runbook::load_str(
        Path::new("am.toml"),
        &format!("[runbook]\nname = \"am\"\n[alertmanager]\nurl = \"{base}\"\n[alertmanager.silence]\nmatchers = [{{ name = \"service\", value = \"checkout\" }}]\ncomment = \"deploy\"\n"),
    )
    .unwrap();
    let mut state = warroom::app::State::new(std::sync::Arc::new(rb.clone()), chrono::Utc::now());
    warroom::app::update(
        &mut state,
        warroom::app::Action::Observed(Observation::AmAlerts(Ok(alerts))),
    );
    assert_eq!(state.status_light(), warroom::runbook::Standing::Critical);
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 48)).unwrap();
    term.draw(|f| warroom::ui::render(f, &state)).unwrap();
    let screen = format!("{}", term.backend());
    assert!(
        screen.contains("AM CRIT CheckoutLatencyHigh: p95 above 500 ms"),
        "{screen}"
    );

    // The maintenance silence: created as the runbook says, the alert reads silenced, then it ends.
    let silence: &Silence = rb.alertmanager.as_ref().unwrap().silence.as_ref().unwrap();
    assert_eq!(
        silence.matchers,
        vec![Matcher {
            name: "service".into(),
            value: "checkout".into(),
            regex: false
        }]
    );
    let now = chrono::Utc::now();
    let id = alertmanager::create_silence(
        &client,
        &base,
        silence,
        now,
        now + chrono::TimeDelta::hours(1),
        &[],
    )
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let alerts = alertmanager::alerts(&client, &base, Duration::from_secs(5), &[])
            .await
            .unwrap();
        if alerts
            .iter()
            .any(|a| a.name == "CheckoutLatencyHigh" && a.silenced)
        {
            warroom::app::update(
                &mut state,
                warroom::app::Action::Observed(Observation::AmAlerts(Ok(alerts))),
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the alert never read as silenced"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_ne!(
        state.status_light(),
        warroom::runbook::Standing::Critical,
        "silenced in the pager, not alarming here"
    );
    let silence_json = |id: String| {
        let client = client.clone();
        let url = format!("{base}/api/v2/silence/{id}");
        async move {
            let r = http::get(&client, &url, &[], Duration::from_secs(3), &[])
                .await
                .unwrap();
            serde_json::from_slice::<serde_json::Value>(&r.body).unwrap()
        }
    };
    let s = silence_json(id.clone()).await;
    assert_eq!(s["createdBy"], "warroom");
    assert_eq!(s["comment"], "deploy");
    assert_eq!(s["status"]["state"], "active");
    alertmanager::expire_silence(&client, &base, &id, &[])
        .await
        .unwrap();
    let s = silence_json(id.clone()).await;
    assert_eq!(s["status"]["state"], "expired");
    // A silence Alertmanager refuses comes back as a clear error.
    let empty = Silence {
        matchers: vec![],
        comment: "x".into(),
        created_by: "warroom".into(),
    };
    let err = alertmanager::create_silence(
        &client,
        &base,
        &empty,
        now,
        now + chrono::TimeDelta::hours(1),
        &[],
    )
    .await
    .unwrap_err();
    assert_eq!(
        err,
        "Alertmanager refused the silence (HTTP 422): matchers in body should have at least 1 items"
    );
}

/// Pages Prometheus's scraper refuses although the spec (and `expfmt`) allow them, which
/// warroom reads: blanks before a sample, a signed or negative timestamp (the spec's own
/// example has one), `TYPE` words in other cases or with extra blanks or none, and
/// `gauge_histogram`.
const SCRAPER_REFUSES_THE_SPEC_ALLOWS: &[&str] = &[
    "blank-lines-and-indent",
    "go-float-spellings",
    "negative-timestamp",
    "spec-example",
    "type-double-space",
    "type-gauge-histogram",
    "type-uppercase",
    "type-without-value",
];

/// The scraper reads a raw line feed inside a label value on into the next line; warroom,
/// like the spec and `expfmt`, refuses it (a label value spells a line feed `\n`).
const SCRAPER_READS_WARROOM_REFUSES: &[&str] = &["label-value-newline"];

/// The `/metrics` reader against Prometheus's own scraper: every page of
/// `tests/exposition` served on loopback and scraped by the real Prometheus; a page its
/// scraper reads is never refused by warroom's default rules.
#[tokio::test]
async fn prometheus_scrapes_the_exposition_pages_as_warroom_reads_them() {
    use warroom::exposition::{Format, Rules, parse};
    let Some(bin) = binary("prometheus") else {
        return;
    };
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/exposition");
    let mut pages: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            name.strip_suffix(".prom").map(str::to_owned)
        })
        .collect();
    pages.sort();
    let served = dir.clone();
    let app = axum::Router::new().route(
        "/pages/{name}",
        axum::routing::get(
            move |axum::extract::Path(name): axum::extract::Path<String>| {
                let path = served.join(format!("{name}.prom"));
                async move {
                    (
                        [("content-type", "text/plain; version=0.0.4")],
                        std::fs::read(path).unwrap_or_default(),
                    )
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let tmp = tempfile::tempdir().unwrap();
    let mut config = String::from(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: pages\n    static_configs:\n",
    );
    for p in &pages {
        config.push_str(&format!(
            "      - targets: ['{target}']\n        labels: {{__metrics_path__: '/pages/{p}', page: '{p}'}}\n"
        ));
    }
    std::fs::write(tmp.path().join("prometheus.yml"), config).unwrap();
    let storage = format!("--storage.tsdb.path={}", tmp.path().join("data").display());
    let (_prom, base, client) = serve(
        &bin,
        &[
            format!(
                "--config.file={}",
                tmp.path().join("prometheus.yml").display()
            ),
            storage,
        ],
        tmp.path(),
    )
    .await;
    // Every target scraped at least once: its health is up or down, not unknown.
    let deadline = Instant::now() + Duration::from_secs(60);
    let health = loop {
        let r = http::get(
            &client,
            &format!("{base}/api/v1/targets"),
            &[],
            Duration::from_secs(3),
            &[],
        )
        .await
        .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        let targets = v["data"]["activeTargets"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let seen: std::collections::BTreeMap<String, String> = targets
            .iter()
            .map(|t| {
                (
                    t["labels"]["page"].as_str().unwrap_or("").to_owned(),
                    t["health"].as_str().unwrap_or("").to_owned(),
                )
            })
            .filter(|(_, h)| h != "unknown")
            .collect();
        if seen.len() == pages.len() {
            break seen;
        }
        assert!(
            Instant::now() < deadline,
            "not every page was scraped: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let mut agree = 0;
    let mut wrong = Vec::new();
    for p in &pages {
        let page = std::fs::read(dir.join(format!("{p}.prom"))).unwrap();
        let ours = parse(&page, Format::Text, Rules::Scraper).is_ok();
        let theirs = health[p] == "up";
        if SCRAPER_REFUSES_THE_SPEC_ALLOWS.contains(&p.as_str()) {
            assert!(
                ours && !theirs,
                "{p}: listed as read by warroom, refused by the scraper"
            );
        } else if SCRAPER_READS_WARROOM_REFUSES.contains(&p.as_str()) {
            assert!(!ours && theirs, "{p}: listed as read by the scraper only");
        } else if ours == theirs {
            agree += 1;
        } else {
            wrong.push(format!(
                "{p}: scraper {}, warroom {}",
                health[p],
                if ours { "reads" } else { "refuses" }
            ));
        }
    }
    eprintln!(
        "warroom reads {agree} of {} pages as Prometheus's scraper does; {} listed differences",
        pages.len() - SCRAPER_REFUSES_THE_SPEC_ALLOWS.len() - SCRAPER_READS_WARROOM_REFUSES.len(),
        SCRAPER_REFUSES_THE_SPEC_ALLOWS.len() + SCRAPER_READS_WARROOM_REFUSES.len()
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A canary metric judged on Prometheus range queries (`query-range = true`, issue 26):
/// the real Prometheus scrapes the demo target every second; one `query_range` per side
/// over the window gives the judge its points, green against blue: PASS while green is
/// healthy, FAIL once a fault makes its latency climb.
#[tokio::test]
async fn a_canary_metric_is_judged_on_prometheus_range_queries() {
    let Some(bin) = binary("prometheus") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (target, _server, _prom, base, _client) = scraping_the_demo(&bin, dir.path()).await;
    let text = format!(
        r#"[runbook]
name = "ranged"

[[kpi]]
id = "blue_p95"
label = "Blue p95"
interval = "1s"
prometheus = {{ url = "{base}", query = 'demo_latency_p95_ms{{version="blue"}}' }}

[[kpi]]
id = "green_p95"
label = "Green p95"
interval = "1s"
prometheus = {{ url = "{base}", query = 'demo_latency_p95_ms{{version="green"}}' }}

[[canary]]
id = "green"
window = "20s"

[[canary.metric]]
id = "p95"
baseline = "blue_p95"
canary = "green_p95"
direction = "increase"
critical = true
query-range = true
"#
    );
    let (rb, _) = warroom::runbook::load_str(Path::new("ranged.toml"), &text).unwrap();
    assert_eq!(rb.canaries[0].ranged, [true]);
    let rb = std::sync::Arc::new(rb);
    let judge_now = || {
        let rb = rb.clone();
        async move {
            let ranges = warroom::monitor::canary_ranges(
                rb.clone(),
                0,
                chrono::Utc::now(),
                std::sync::Arc::new(Vec::new()),
            )
            .await;
            let (m, r) = ranges.into_iter().next().unwrap();
            assert_eq!(m, 0);
            let (baseline, canary) = r.unwrap();
            warroom::canary::judge(
                &rb.canaries[0].spec,
                &[warroom::canary::Input::Samples { baseline, canary }],
            )
        }
    };
    // Twenty seconds of scrapes: a point a second on each side.
    tokio::time::sleep(Duration::from_secs(22)).await;
    let j = judge_now().await;
    assert!(
        j.metrics[0].canary.n >= 15 && j.metrics[0].baseline.n >= 15,
        "{j:#?}"
    );
    assert_eq!(j.verdict, warroom::canary::Verdict::Pass, "{j:#?}");
    // A fault in green: its latency climbs; the window fills with it.
    let fault = reqwest::Client::new()
        .post(format!("http://{target}/control/fault"))
        .send()
        .await
        .unwrap();
    assert!(fault.status().is_success());
    tokio::time::sleep(Duration::from_secs(22)).await;
    let j = judge_now().await;
    assert_eq!(j.verdict, warroom::canary::Verdict::Fail, "{j:#?}");
    assert!(
        j.metrics[0].why.starts_with("p95: HIGH"),
        "{}",
        j.metrics[0].why
    );
}

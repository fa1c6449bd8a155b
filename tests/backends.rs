//! Prometheus-compatible backends for real: the same KPI definitions read the same values
//! from Debian's Prometheus, from VictoriaMetrics, and from VictoriaMetrics behind vmauth
//! (a bearer token, basic auth; a wrong token is `unauthorized`). And a console opened on
//! a KPI that polls once a minute shows the last 20 minutes at once, from `query_range`.
//! Servers run on loopback ports, are stopped by PID, and are bounded in time. Without the
//! binaries this says so loudly and passes locally; under CI it fails.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use common::screen::Screen;
use common::servers::{self, Daemon};
use warroom::app::{Action, FaultKind, Observation};
use warroom::monitor::{self, http, prometheus};
use warroom::runbook::{Runbook, load_str};

/// What every backend holds: gauges, so an instant query means the same thing everywhere
/// (a rate would differ: VictoriaMetrics extrapolates `rate` differently, by design).
const PAGE: &str = "\
# TYPE demo_requests gauge
demo_requests{svc=\"a\"} 10
demo_requests{svc=\"b\"} 30
# TYPE demo_latency_ms gauge
demo_latency_ms{svc=\"a\"} 120.5
demo_latency_ms{svc=\"b\"} 80.25
# TYPE demo_errors gauge
demo_errors{svc=\"a\"} 1
demo_errors{svc=\"b\"} 2
";

/// The KPIs, written once; `{auth}` is the connection's credentials, if any.
fn runbook(auth: &str) -> Runbook {
    let text = format!(
        r#"
[runbook]
name = "backends"

[connection.metrics]
url = "${{BACKEND}}"
{auth}

[[kpi]]
id = "requests"
prometheus = {{ connection = "metrics", query = "sum(demo_requests)" }}

[[kpi]]
id = "worst_latency"
prometheus = {{ connection = "metrics", query = "demo_latency_ms", aggregate = "max" }}

[[kpi]]
id = "error_pct"
prometheus = {{ connection = "metrics", query = "sum(demo_errors) / sum(demo_requests) * 100" }}

[[kpi]]
id = "services"
prometheus = {{ connection = "metrics", query = "count(demo_requests)" }}

[[kpi]]
id = "b_latency"
prometheus = {{ connection = "metrics", query = 'demo_latency_ms{{svc="b"}}' }}
"#
    );
    let (rb, _) = load_str(Path::new("backends.toml"), &text).unwrap();
    rb
}

fn vars(backend: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v = vec![("BACKEND".to_owned(), backend.to_owned())];
    v.extend(
        extra
            .iter()
            .map(|(k, x)| ((*k).to_owned(), (*x).to_owned())),
    );
    v
}

/// Every KPI's value (or fault), polled as the console polls it.
async fn poll_all(
    rb: &Runbook,
    vars: &[(String, String)],
) -> Vec<Result<f64, warroom::app::Fault>> {
    let mut out = Vec::new();
    for k in &rb.kpis {
        let client = http::client_for(&k.connection).unwrap();
        let r = monitor::poll_kpi(
            &client,
            &k.source,
            Duration::from_secs(3),
            vars,
            Path::new("."),
        )
        .await
        .map(|r| r.value);
        out.push(r);
    }
    out
}

/// The values once every KPI has one (a scrape or an import takes a moment to show).
async fn values(rb: &Runbook, vars: &[(String, String)], what: &str) -> Vec<f64> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let all = poll_all(rb, vars).await;
        if all.iter().all(Result::is_ok) {
            return all.into_iter().map(Result::unwrap).collect();
        }
        assert!(
            Instant::now() < deadline,
            "{what} never answered every KPI: {all:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

async fn page_server() -> SocketAddr {
    let app = Router::new().route("/metrics", get(|| async { PAGE }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

async fn start_prometheus(dir: &Path, target: SocketAddr) -> Option<(Daemon, String)> {
    let bin = servers::program("prometheus", "prometheus")?;
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: page\n    static_configs:\n      - targets: ['{target}']\n"
        ),
    )
    .unwrap();
    let port = servers::free_port();
    let args = [
        format!("--config.file={}", config.display()),
        format!("--storage.tsdb.path={}", dir.join("prom-data").display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
    ];
    Some(servers::serve(&bin, &args, port, "/-/ready", dir).await)
}

async fn start_victoria(dir: &Path) -> Option<(Daemon, String)> {
    let bin = servers::program("victoria-metrics", "victoria-metrics")?;
    let port = servers::free_port();
    let args = [
        format!("-httpListenAddr=127.0.0.1:{port}"),
        format!("-storageDataPath={}", dir.join("vm-data").display()),
        // Samples are queryable as soon as they are in, not 30 s later.
        "-search.latencyOffset=0s".to_owned(),
        "-retentionPeriod=1d".to_owned(),
    ];
    Some(servers::serve(&bin, &args, port, "/health", dir).await)
}

/// vmauth in front of `backend`: a bearer token, and a user with a password.
async fn start_vmauth(dir: &Path, backend: &str) -> Option<(Daemon, String)> {
    let bin = servers::program("vmauth", "victoria-metrics")?;
    let config = dir.join("vmauth.yml");
    std::fs::write(
        &config,
        format!(
            "users:\n- bearer_token: \"right-token\"\n  url_prefix: \"{backend}\"\n- username: \"probe\"\n  password: \"pa55word\"\n  url_prefix: \"{backend}\"\n"
        ),
    )
    .unwrap();
    let port = servers::free_port();
    let args = [
        format!("-auth.config={}", config.display()),
        format!("-httpListenAddr=127.0.0.1:{port}"),
    ];
    Some(servers::serve(&bin, &args, port, "/health", dir).await)
}

/// Prometheus text into VictoriaMetrics, flushed so a query sees it at once.
async fn import(base: &str, text: &str) {
    let out = std::process::Command::new("curl")
        .args(["-sS", "--fail", "--max-time", "10", "--data-binary", "@-"])
        .arg(format!("{base}/api/v1/import/prometheus"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(text.as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    assert!(out.status.success(), "import into VictoriaMetrics failed");
    let client = http::client(&http::Tls::default()).unwrap();
    let flushed = http::get(
        &client,
        &format!("{base}/internal/force_flush"),
        &[],
        Duration::from_secs(10),
        &[],
    )
    .await
    .unwrap();
    assert_eq!(flushed.status, 200);
}

#[tokio::test]
async fn the_same_kpis_read_the_same_values_from_prometheus_victoriametrics_and_vmauth() {
    let dir = tempfile::tempdir().unwrap();
    let Some((_vm, vm)) = start_victoria(dir.path()).await else {
        return;
    };
    let Some((_auth, auth)) = start_vmauth(dir.path(), &vm).await else {
        return;
    };
    let target = page_server().await;
    let Some((_prom, prom)) = start_prometheus(dir.path(), target).await else {
        return;
    };
    import(&vm, PAGE).await;

    let plain = runbook("");
    let from_prometheus = values(&plain, &vars(&prom, &[]), "Prometheus").await;
    assert_eq!(from_prometheus, vec![40.0, 120.5, 7.5, 2.0, 80.25]);
    let from_victoria = values(&plain, &vars(&vm, &[]), "VictoriaMetrics").await;
    assert_eq!(from_victoria, from_prometheus);

    // Behind vmauth: a token from the environment, or a user and password.
    let token = runbook(r#"bearer-token = "${VM_TOKEN}""#);
    let through_token = values(
        &token,
        &vars(&auth, &[("VM_TOKEN", "right-token")]),
        "vmauth (token)",
    )
    .await;
    assert_eq!(through_token, from_prometheus);
    let basic = runbook(r#"basic-auth = { username = "probe", password = "${VM_PASSWORD}" }"#);
    let through_basic = values(
        &basic,
        &vars(&auth, &[("VM_PASSWORD", "pa55word")]),
        "vmauth (basic auth)",
    )
    .await;
    assert_eq!(through_basic, from_prometheus);

    // A wrong token, a wrong password, none at all: unauthorized, on every KPI, and the
    // secret in no fault.
    for (rb, extra) in [
        (&token, vec![("VM_TOKEN", "wrong-token-value")]),
        (&basic, vec![("VM_PASSWORD", "wrong-password")]),
        (&plain, vec![]),
    ] {
        for r in poll_all(rb, &vars(&auth, &extra)).await {
            let f = r.unwrap_err();
            assert_eq!(f.kind, FaultKind::Unauthorized, "{f}");
            assert_eq!(f.why, "unauthorized (401)");
        }
    }
}

/// A ramp over the last 20 minutes, a sample every 15 s, as VictoriaMetrics imports it.
fn ramp(now_ms: i64) -> String {
    (0..=80)
        .map(|i| {
            let t = now_ms - (80 - i) * 15_000;
            format!("demo_trend{{svc=\"a\"}} {i} {t}\n")
        })
        .collect()
}

#[tokio::test]
async fn history_gives_a_kpi_polled_once_a_minute_its_last_20_minutes() {
    let dir = tempfile::tempdir().unwrap();
    let Some((_vm, vm)) = start_victoria(dir.path()).await else {
        return;
    };
    import(&vm, &ramp(chrono::Utc::now().timestamp_millis())).await;
    let client = http::client(&http::Tls::default()).unwrap();
    let past = prometheus::history(
        &client,
        &vm,
        "sum(demo_trend)",
        None,
        chrono::Utc::now(),
        Duration::from_secs(60),
        warroom::app::HISTORY,
        Duration::from_secs(5),
        &[],
    )
    .await
    .unwrap();
    // One point a minute for the 20 minutes the data covers, rising as the ramp does.
    assert!((20..=22).contains(&past.len()), "{past:?}");
    assert!(past.windows(2).all(|w| w[0] < w[1]), "{past:?}");
    assert!(*past.last().unwrap() >= 76.0, "{past:?}");

    // The console: the sparkline holds those 20 minutes long before a second poll (a
    // minute away) could add anything. The bound is loose on purpose: a loaded machine
    // may take seconds to draw, but not the minute the second poll waits.
    let path = dir.path().join("trend.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[runbook]
name = "trend"

[[kpi]]
id = "trend"
label = "Trend"
interval = "60s"
prometheus = {{ url = "{vm}", query = "sum(demo_trend)" }}

[[phase]]
id = "watch"
title = "Watch"

[[phase.step]]
id = "look"
title = "Look at the trend"
"#
        ),
    )
    .unwrap();
    let mut s = Screen::launch(&["run", path.to_str().unwrap()], 24, 100);
    s.wait_for("Timeline", 30);
    let first_frame = Instant::now();
    let spark = |screen: &str| {
        screen
            .lines()
            .find(|l| l.contains("Trend"))
            .map_or(0, |l| l.chars().filter(|c| ('▁'..='█').contains(c)).count())
    };
    let screen = s.wait_until("the sparkline shows the history", 40, |t| spark(t) >= 15);
    let took = first_frame.elapsed();
    assert!(
        took < Duration::from_secs(30),
        "the history took {took:?} after the first frame:\n{screen}"
    );
    s.keys("q");
    assert!(s.wait_exit(10));
}

#[tokio::test]
async fn a_backend_that_refuses_range_queries_leaves_live_samples_and_a_note() {
    let app = Router::new()
        .route(
            "/api/v1/query",
            get(|| async {
                r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"5"]}]}}"#
            }),
        )
        .route(
            "/api/v1/query_range",
            get(|| async { (axum::http::StatusCode::NOT_FOUND, "404 page not found") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let (rb, _) = load_str(
        Path::new("refuses.toml"),
        &format!(
            "[runbook]\nname = \"refuses\"\n\n[[kpi]]\nid = \"k\"\ninterval = \"60s\"\nprometheus = {{ url = \"http://{addr}\", query = \"up\" }}\n"
        ),
    )
    .unwrap();
    let rb = std::sync::Arc::new(rb);
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let t0 = chrono::Utc::now();
    let _monitor = monitor::spawn(
        rb.clone(),
        std::sync::Arc::new(Vec::new()),
        warroom::clock::Clock::Real,
        t0,
        tx,
        None,
    )
    .unwrap();
    let mut state = warroom::app::State::new(rb, t0);
    let (mut history, mut sample) = (false, false);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !(history && sample) {
        let a = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("the history answer and a sample within 10 s")
            .unwrap();
        history |= matches!(a, Action::Observed(Observation::KpiHistory { .. }));
        sample |= matches!(a, Action::Observed(Observation::KpiSample { .. }));
        warroom::app::update(&mut state, a);
    }
    let k = &state.kpis[0];
    assert_eq!(k.history_note.as_deref(), Some("HTTP 404"));
    assert_eq!(k.error, None, "a refused history is not a fault");
    assert_eq!(k.history.iter().copied().collect::<Vec<_>>(), vec![5.0]);
    assert_eq!(k.backfilled, 0);
}

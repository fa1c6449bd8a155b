//! The demo target as the demo's scripts and warroom's pollers use it.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::Value;
use warroom::monitor::{http, scrape};
use warroom::runbook::Aggregate;

async fn call(
    client: &warroom::monitor::http::Client,
    method: Method,
    url: &str,
) -> (u16, Vec<u8>) {
    let r = http::request(client, method, url, &[], None, Duration::from_secs(3), &[])
        .await
        .unwrap();
    (r.status, r.body)
}

async fn json(client: &warroom::monitor::http::Client, url: &str) -> (u16, Value) {
    let (status, body) = call(client, Method::GET, url).await;
    (status, serde_json::from_slice(&body).unwrap())
}

#[tokio::test]
async fn serves_health_metrics_and_obeys_its_controls() {
    let (addr, _server) = warroom::demo::serve(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let base = format!("http://{addr}");
    let client = http::client(&http::Tls::default()).unwrap();

    let (status, health) = json(&client, &format!("{base}/api/health")).await;
    assert_eq!((status, health["status"].as_str()), (200, Some("healthy")));

    // JSON metrics: every field the demo runbook reads, and they move (noise, not constants).
    let (_, a) = json(&client, &format!("{base}/api/metrics")).await;
    for field in [
        "error_rate_pct",
        "p95_ms",
        "request_rate",
        "cpu_pct",
        "memory_pct",
        "db_connections",
    ] {
        assert!(a[field].is_number(), "{field} missing in {a}");
    }
    // Rounded to 0.1 ms, two readings can agree by chance (1 in ~180): five cannot.
    let mut seen = vec![a["p95_ms"].clone()];
    for _ in 0..4 {
        let (_, b) = json(&client, &format!("{base}/api/metrics")).await;
        seen.push(b["p95_ms"].clone());
    }
    assert!(
        seen.iter().any(|v| *v != seen[0]),
        "p95 never moved: {seen:?}"
    );

    // The text page parses with the scrape source's parser.
    let (_, page) = call(&client, Method::GET, &format!("{base}/metrics")).await;
    let samples = read_page(&page);
    let green = [("version".to_owned(), "green".to_owned())];
    assert!(
        scrape::select(
            &samples,
            &scrape::Selector {
                metric: "demo_latency_p95_ms",
                labels: &green,
                aggregate: Aggregate::Sum
            }
        )
        .unwrap()
        .value
            > 50.0
    );
    assert_eq!(green_share(&samples), Ok(0.0));

    // Traffic control, with bad input refused.
    let (status, _) = call(
        &client,
        Method::POST,
        &format!("{base}/control/traffic?green=25"),
    )
    .await;
    assert_eq!(status, 200);
    let (_, page) = call(&client, Method::GET, &format!("{base}/metrics")).await;
    let samples = read_page(&page);
    assert_eq!(green_share(&samples), Ok(25.0));
    let (status, body) = call(
        &client,
        Method::POST,
        &format!("{base}/control/traffic?green=150"),
    )
    .await;
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));

    // A fault in green ramps up: its health fails and the overall error rate climbs.
    let (status, _) = call(&client, Method::POST, &format!("{base}/control/fault")).await;
    assert_eq!(status, 200);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, _) = call(&client, Method::GET, &format!("{base}/api/health/green")).await;
        if status == 503 {
            break;
        }
        assert!(Instant::now() < deadline, "green never failed");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let (_, m) = json(&client, &format!("{base}/api/metrics")).await;
    assert!(m["error_rate_pct"].as_f64().unwrap() > 2.0, "{m}");
    let p95 = |v: &str| m["versions"][v]["p95_ms"].as_f64().unwrap();
    assert!(
        p95("green") > 2.0 * p95("blue"),
        "green's latency climbs well above blue's: {m}"
    );
    // Cleared, it recovers.
    let (status, _) = call(&client, Method::DELETE, &format!("{base}/control/fault")).await;
    assert_eq!(status, 200);
    let deadline = Instant::now() + Duration::from_secs(15);
    while json(&client, &format!("{base}/api/health/green")).await.1["status"] != "healthy" {
        assert!(Instant::now() < deadline, "green never recovered");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // The query API answers the subset of PromQL the demo runbook uses.
    let (_, q) = json(
        &client,
        &format!("{base}/api/v1/query?query=sum(demo_request_rate)"),
    )
    .await;
    assert_eq!(q["status"], "success");
    let (status, q) = json(&client, &format!("{base}/api/v1/query?query=rate(x[5m])")).await;
    assert_eq!((status, q["status"].as_str()), (400, Some("error")));
}

fn read_page(page: &[u8]) -> Vec<warroom::exposition::Sample> {
    let (format, rules) = (
        warroom::exposition::Format::Text,
        warroom::exposition::Rules::Spec,
    );
    warroom::exposition::parse(page, format, rules).unwrap()
}

/// The demo's green traffic share, as a scrape KPI reads it from the page.
fn green_share(samples: &[warroom::exposition::Sample]) -> Result<f64, String> {
    let selector = scrape::Selector {
        metric: "demo_traffic_green_percent",
        labels: &[],
        aggregate: Aggregate::Sum,
    };
    scrape::select(samples, &selector).map(|r| r.value)
}

/// The faults the reference playbooks rehearse besides green's: the replica falling
/// behind, the orders queue backing up, a region going down; each shows on the metrics
/// page, in the JSON and (regions) on a health endpoint, and clears.
#[tokio::test]
async fn replication_queue_and_region_faults_show_and_clear() {
    let (addr, _server) = warroom::demo::serve(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let base = format!("http://{addr}");
    let client = http::client(&http::Tls::default()).unwrap();
    let value = |samples: &[warroom::exposition::Sample],
                 metric: &'static str,
                 labels: &[(String, String)]| {
        scrape::select(
            samples,
            &scrape::Selector {
                metric,
                labels,
                aggregate: Aggregate::Sum,
            },
        )
        .unwrap()
        .value
    };
    let page = |c: warroom::monitor::http::Client, b: String| async move {
        read_page(&call(&c, Method::GET, &format!("{b}/metrics")).await.1)
    };
    let before = page(client.clone(), base.clone()).await;
    assert!(value(&before, "demo_db_replication_lag_seconds", &[]) < 1.0);
    assert!(value(&before, "demo_queue_depth", &[]) < 50.0);
    let eu = [("region".to_owned(), "eu".to_owned())];
    assert_eq!(value(&before, "demo_region_up", &eu), 1.0);
    assert_eq!(
        json(&client, &format!("{base}/api/health/region/eu"))
            .await
            .0,
        200
    );

    for kind in ["replication", "queue", "region-eu"] {
        let (status, _) = call(
            &client,
            Method::POST,
            &format!("{base}/control/fault?kind={kind}"),
        )
        .await;
        assert_eq!(status, 200, "{kind}");
    }
    // The faults take effect over the target's next ticks: poll, with a deadline.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let after = loop {
        let p = page(client.clone(), base.clone()).await;
        if value(&p, "demo_db_replication_lag_seconds", &[]) > 5.0
            && value(&p, "demo_queue_depth", &[]) > 50.0
        {
            break p;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the faults did not show within 15 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(value(&after, "demo_db_replication_lag_seconds", &[]) > 5.0);
    assert!(value(&after, "demo_queue_depth", &[]) > 50.0);
    assert_eq!(value(&after, "demo_region_up", &eu), 0.0);
    let (status, body) = json(&client, &format!("{base}/api/health/region/eu")).await;
    assert_eq!((status, body["status"].as_str()), (503, Some("down")));
    assert_eq!(
        json(&client, &format!("{base}/api/health/region/us"))
            .await
            .0,
        200
    );
    let (_, m) = json(&client, &format!("{base}/api/metrics")).await;
    assert!(m["replication_lag_s"].as_f64().unwrap() > 5.0, "{m}");

    for kind in ["replication", "queue", "region-eu"] {
        let (status, _) = call(
            &client,
            Method::DELETE,
            &format!("{base}/control/fault?kind={kind}"),
        )
        .await;
        assert_eq!(status, 200, "{kind}");
    }
    let cleared = page(client.clone(), base.clone()).await;
    assert!(value(&cleared, "demo_db_replication_lag_seconds", &[]) < 1.0);
    assert_eq!(value(&cleared, "demo_region_up", &eu), 1.0);
    let (status, body) = call(
        &client,
        Method::POST,
        &format!("{base}/control/fault?kind=meteor"),
    )
    .await;
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&body).contains("replication, queue, region-eu, region-us"));
}

/// The Alertmanager stand-in, through warroom's own Alertmanager client: a fault fires an
/// alert; a silence whose regex matches it suppresses it; expired, the alert is active again.
#[tokio::test]
async fn its_alertmanager_stand_in_fires_on_faults_and_honours_silences() {
    use warroom::monitor::alertmanager;
    use warroom::runbook::{Matcher, Silence};
    let (addr, _server) = warroom::demo::serve(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let base = format!("http://{addr}");
    let client = http::client(&http::Tls::default()).unwrap();
    assert!(
        alertmanager::alerts(&client, &base, Duration::from_secs(5), &[])
            .await
            .unwrap()
            .is_empty()
    );
    call(&client, Method::POST, &format!("{base}/control/fault")).await;
    call(
        &client,
        Method::POST,
        &format!("{base}/control/fault?kind=queue"),
    )
    .await;
    let alerts = alertmanager::alerts(&client, &base, Duration::from_secs(5), &[])
        .await
        .unwrap();
    let names: Vec<&str> = alerts.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"GreenUnhealthy") && names.contains(&"QueueBacklog"));
    assert!(
        alerts
            .iter()
            .all(|a| !a.silenced && a.severity == "critical")
    );

    let silence = Silence {
        matchers: vec![Matcher {
            name: "alertname".into(),
            value: "Green.*".into(),
            regex: true,
        }],
        comment: "rehearsal".into(),
        created_by: "test".into(),
    };
    let now = chrono::Utc::now();
    let id = alertmanager::create_silence(
        &client,
        &base,
        &silence,
        now,
        now + chrono::TimeDelta::hours(1),
        &[],
    )
    .await
    .unwrap();
    let alerts = alertmanager::alerts(&client, &base, Duration::from_secs(5), &[])
        .await
        .unwrap();
    let silenced = |name: &str| alerts.iter().find(|a| a.name == name).unwrap().silenced;
    assert!(silenced("GreenUnhealthy"));
    assert!(
        !silenced("QueueBacklog"),
        "the regex is anchored to the whole name"
    );
    alertmanager::expire_silence(&client, &base, &id, &[])
        .await
        .unwrap();
    let alerts = alertmanager::alerts(&client, &base, Duration::from_secs(5), &[])
        .await
        .unwrap();
    assert!(alerts.iter().all(|a| !a.silenced));
}

/// A run's detached demo target leaves by itself once no console has driven the run for
/// its idle time (here 2 s), and takes its address file with it: nothing lingers.
#[test]
fn a_runs_demo_target_leaves_when_no_console_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["demo-target", "--listen", "127.0.0.1:0", "--run-dir"])
        .arg(dir.path())
        .env("WARROOM_DEMO_TARGET_IDLE", "2")
        .spawn()
        .unwrap();
    let addr = dir.path().join("demo-target.addr");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !addr.exists() {
        assert!(Instant::now() < deadline, "it never said where it listens");
        std::thread::sleep(Duration::from_millis(50));
    }
    let text = std::fs::read_to_string(&addr).unwrap();
    assert!(text.starts_with("http://127.0.0.1:"), "{text}");
    assert_eq!(text.lines().nth(1), Some(child.id().to_string().as_str()));
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "still serving with nobody driving"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success());
    assert!(!addr.exists(), "its address outlived it");
}

#[tokio::test]
async fn answers_range_queries_from_what_it_served() {
    let (addr, _server) = warroom::demo::serve(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let base = format!("http://{addr}");
    let client = http::client(&http::Tls::default()).unwrap();
    // Nothing served yet: no history, and that is an empty range, not an error.
    let before = warroom::monitor::prometheus::history(
        &client,
        &base,
        "sum(demo_request_rate)",
        None,
        chrono::Utc::now(),
        Duration::from_secs(1),
        30,
        Duration::from_secs(3),
        &[],
    )
    .await
    .unwrap();
    assert_eq!(before, Vec::<f64>::new());
    // A scrape is kept; the range from then on reads it, by the same query language.
    let (_, page) = call(&client, Method::GET, &format!("{base}/metrics")).await;
    let served: f64 = String::from_utf8_lossy(&page)
        .lines()
        .filter(|l| l.starts_with("demo_request_rate{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    let after = warroom::monitor::prometheus::history(
        &client,
        &base,
        "sum(demo_request_rate)",
        None,
        chrono::Utc::now() + chrono::TimeDelta::seconds(2),
        Duration::from_secs(1),
        30,
        Duration::from_secs(3),
        &[],
    )
    .await
    .unwrap();
    assert!(!after.is_empty());
    assert!(
        after.iter().all(|v| (v - served).abs() < 1e-6),
        "{after:?} vs {served}"
    );
    let (status, _) = call(
        &client,
        Method::GET,
        &format!("{base}/api/v1/query_range?query=rate(x[5m])&start=0&end=10&step=1"),
    )
    .await;
    assert_eq!(status, 400);
}

/// The demo target's hook takes what warroom's channels send in a rehearsal: a chat
/// webhook's text, and a status page's message with its state.
#[tokio::test]
async fn the_status_hook_takes_chat_and_status_page_messages() {
    let (addr, _server) = warroom::demo::serve(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let client = http::client(&http::Tls::default()).unwrap();
    let hook = format!("http://{addr}/hooks/status");
    let chat = warroom::runbook::channel::Channel {
        name: "war-room".into(),
        kind: warroom::runbook::channel::ChannelKind::Webhook {
            url: hook.clone(),
            format: warroom::runbook::channel::WebhookFormat::Slack,
        },
    };
    let page = warroom::runbook::channel::Channel {
        name: "status-page".into(),
        kind: warroom::runbook::channel::ChannelKind::StatusPage { url: hook.clone() },
    };
    let message = |text: &str, state: Option<&str>| warroom::runbook::channel::Message {
        text: text.into(),
        subject: String::new(),
        page_state: state.map(str::to_owned),
        audience: None,
        runbook: "launch".into(),
        at: chrono::Utc::now(),
    };
    warroom::monitor::webhook::deliver(&client, &chat, &message("Green: 40% done", None), &[])
        .await
        .unwrap();
    warroom::monitor::webhook::deliver(
        &client,
        &page,
        &message("All systems are operational.", Some("Operational")),
        &[],
    )
    .await
    .unwrap();
    let (_, posted) = json(&client, &hook).await;
    let posted = posted.to_string();
    assert!(posted.contains("Green: 40% done"), "{posted}");
    assert!(
        posted.contains("[Operational] All systems are operational."),
        "{posted}"
    );
}

//! KPI sources and health probes against local HTTP servers: every fault the on-call
//! engineer may meet shows as a clear error, never a crash, a hang or a zero.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::StatusCode;
use axum::routing::get;
use chrono::TimeDelta;
use warroom::app::Observation;
use warroom::monitor::{self, health, http};
use warroom::runbook::{Aggregate, Connection, Endpoint, Health, JsonAssert, KpiSource};

async fn server() -> SocketAddr {
    let app = Router::new()
        .route("/json", get(|| async { r#"{"v": 1.5, "s": "abc", "nested": {"n": "42"}, "status": "healthy"}"# }))
        .route("/degraded", get(|| async { r#"{"status": "degraded"}"# }))
        .route("/500", get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }))
        .route("/503", get(|| async { (StatusCode::SERVICE_UNAVAILABLE, r#"{"status":"down"}"#) }))
        .route("/html", get(|| async { "<!DOCTYPE html><html><body>Bad gateway</body></html>" }))
        .route("/slow", get(|| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            "{}"
        }))
        .route("/big", get(|| async { vec![b'x'; 50 * 1024 * 1024] }))
        .route("/big-chunked", get(|| async {
            let chunks = futures::stream::iter((0..60).map(|_| Ok::<_, std::io::Error>(vec![b' '; 1024 * 1024])));
            Body::from_stream(chunks)
        }))
        .route("/metrics", get(|| async {
            "# TYPE req counter\nreq{code=\"200\"} 10\nreq{code=\"500\"} 2\nlat NaN\nup +Inf\n"
        }))
        .route("/api/v1/query", get(|q: axum::extract::Query<std::collections::HashMap<String, String>>| async move {
            match q.get("query").map(String::as_str) {
                Some("empty") => (StatusCode::OK, r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#),
                Some("one") => (StatusCode::OK, r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"3.5"]}]}}"#),
                _ => (StatusCode::BAD_REQUEST, r#"{"status":"error","errorType":"bad_data","error":"1:5: parse error"}"#),
            }
        }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// A loopback port with nothing listening.
async fn refused_port() -> u16 {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

async fn kpi(source: KpiSource) -> Result<f64, String> {
    reading(source).await.map(|r| r.value).map_err(|f| f.why)
}

async fn reading(source: KpiSource) -> Result<warroom::app::Reading, warroom::app::Fault> {
    let client = http::client(&http::Tls::default()).unwrap();
    monitor::poll_kpi(
        &client,
        &source,
        Duration::from_secs(1),
        &[],
        Path::new(env!("CARGO_MANIFEST_DIR")),
    )
    .await
}

fn json(addr: SocketAddr, path: &str, pointer: &str) -> KpiSource {
    KpiSource::Json {
        url: format!("http://{addr}{path}"),
        pointer: pointer.into(),
    }
}

#[tokio::test]
async fn json_source_values_and_faults() {
    let a = server().await;
    assert_eq!(kpi(json(a, "/json", "/v")).await, Ok(1.5));
    assert_eq!(kpi(json(a, "/json", "/nested/n")).await, Ok(42.0));
    assert_eq!(
        kpi(json(a, "/json", "/missing")).await,
        Err("no /missing in the answer".into())
    );
    assert_eq!(
        kpi(json(a, "/json", "/s")).await,
        Err("/s is \"abc\", not a number".into())
    );
    assert_eq!(kpi(json(a, "/500", "/v")).await, Err("HTTP 500".into()));
    assert_eq!(
        kpi(json(a, "/html", "/v")).await,
        Err("HTML instead of JSON".into())
    );
    let port = refused_port().await;
    let refused = KpiSource::Json {
        url: format!("http://127.0.0.1:{port}/x"),
        pointer: "/v".into(),
    };
    assert_eq!(kpi(refused).await, Err("connection refused".into()));
}

#[tokio::test]
async fn a_hanging_endpoint_times_out() {
    let a = server().await;
    let started = Instant::now();
    let fault = reading(json(a, "/slow", "/v")).await.unwrap_err();
    assert_eq!(fault.why, "timeout");
    assert_eq!(
        fault.kind,
        warroom::app::FaultKind::Timeout,
        "the gauge says TIMEOUT"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn huge_responses_are_refused() {
    let a = server().await;
    assert_eq!(
        kpi(json(a, "/big", "/v")).await,
        Err("response larger than 10 MB".into())
    );
    // Without a Content-Length the limit holds while reading.
    assert_eq!(
        kpi(json(a, "/big-chunked", "/v")).await,
        Err("response larger than 10 MB".into())
    );
}

#[tokio::test]
async fn scrape_source_sums_matches_and_refuses_nan_and_inf() {
    let a = server().await;
    let scrape = |metric: &str, labels: Vec<(String, String)>| KpiSource::Scrape {
        url: format!("http://{a}/metrics"),
        metric: metric.into(),
        labels,
        aggregate: Aggregate::Sum,
        rules: warroom::exposition::Rules::Scraper,
    };
    assert_eq!(kpi(scrape("req", vec![])).await, Ok(12.0));
    assert_eq!(
        kpi(scrape("req", vec![("code".into(), "500".into())])).await,
        Ok(2.0)
    );
    assert_eq!(kpi(scrape("lat", vec![])).await, Err("value is NaN".into()));
    assert_eq!(kpi(scrape("up", vec![])).await, Err("value is inf".into()));
    assert_eq!(
        kpi(scrape("nope", vec![])).await,
        Err("no series nope matches".into())
    );
    let html = KpiSource::Scrape {
        url: format!("http://{a}/html"),
        metric: "x".into(),
        labels: vec![],
        aggregate: Aggregate::Sum,
        rules: warroom::exposition::Rules::Scraper,
    };
    assert!(
        kpi(html)
            .await
            .unwrap_err()
            .starts_with("malformed page, line 1:")
    );
}

/// The page the scrape source asks for (text, by `Accept`) and what it does with what
/// comes back: OpenMetrics read (timestamps in seconds), protobuf refused by name, a page
/// cut short refused, a sample's own timestamp kept as when it was measured.
#[tokio::test]
async fn scrape_source_asks_for_text_and_reads_what_comes() {
    use axum::http::{HeaderMap, header};
    let app = Router::new()
        .route("/accept", get(|h: HeaderMap| async move {
            let accept = h.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
            let text_first = accept.starts_with("text/plain;version=0.0.4");
            format!("text_first {}\n", u8::from(text_first))
        }))
        .route("/om", get(|| async {
            (
                [(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")],
                "# TYPE jobs counter\njobs_total{q=\"a\"} 4 1700000000.250 # {trace_id=\"x\"} 1\njobs_total{q=\"b\"} 6 1700000001\n# EOF\n",
            )
        }))
        .route("/om-cut", get(|| async {
            ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0")], "jobs_total 4\n")
        }))
        .route("/proto", get(|| async {
            ([(header::CONTENT_TYPE, "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited")], vec![0u8, 1, 2])
        }))
        .route("/cut", get(|| async { "a 1\nb 12" }))
        .route("/stamped", get(|| async { "m 7 1700000000000\n" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let a = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let scrape = |path: &str, metric: &str| KpiSource::Scrape {
        url: format!("http://{a}{path}"),
        metric: metric.into(),
        labels: vec![],
        aggregate: Aggregate::Sum,
        rules: warroom::exposition::Rules::Scraper,
    };
    assert_eq!(kpi(scrape("/accept", "text_first")).await, Ok(1.0));
    let om = reading(scrape("/om", "jobs_total")).await.unwrap();
    assert_eq!(om.value, 10.0);
    assert_eq!(
        om.measured,
        chrono::DateTime::from_timestamp_millis(1_700_000_000_250)
    );
    let cut = kpi(scrape("/om-cut", "jobs_total")).await.unwrap_err();
    assert!(cut.contains("EOF"), "{cut}");
    let proto = kpi(scrape("/proto", "m")).await.unwrap_err();
    assert!(proto.contains("protobuf"), "{proto}");
    // A last line without its line feed: read as Prometheus's scraper reads it, refused
    // (cut short?) when the KPI asks for the spec's letter.
    assert_eq!(kpi(scrape("/cut", "b")).await, Ok(12.0));
    let strict = KpiSource::Scrape {
        url: format!("http://{a}/cut"),
        metric: "b".into(),
        labels: vec![],
        aggregate: Aggregate::Sum,
        rules: warroom::exposition::Rules::Spec,
    };
    let cut = kpi(strict).await.unwrap_err();
    assert!(cut.contains("line 2") && cut.contains("cut short"), "{cut}");
    let stamped = reading(scrape("/stamped", "m")).await.unwrap();
    assert_eq!(
        stamped.measured,
        chrono::DateTime::from_timestamp(1_700_000_000, 0)
    );
}

#[tokio::test]
async fn prometheus_source_empty_vectors_and_errors() {
    let a = server().await;
    let prom = |q: &str| KpiSource::Prometheus {
        url: format!("http://{a}"),
        query: q.into(),
        aggregate: None,
    };
    assert_eq!(kpi(prom("one")).await, Ok(3.5));
    assert_eq!(
        kpi(prom("empty")).await,
        Err("empty result: no series matches the query".into())
    );
    assert_eq!(
        kpi(prom("sum(")).await,
        Err("prometheus bad_data: 1:5: parse error".into())
    );
}

#[tokio::test]
async fn command_source_needs_one_number() {
    let cmd = |s: &str| KpiSource::Command {
        argv: vec!["sh".into(), "-c".into(), s.into()],
    };
    assert_eq!(kpi(cmd("echo 42.5")).await, Ok(42.5));
    assert_eq!(kpi(cmd("echo '  7 '")).await, Ok(7.0));
    assert_eq!(
        kpi(cmd("echo garbage")).await,
        Err("command printed `garbage`, not a number".into())
    );
    assert_eq!(
        kpi(cmd("echo")).await,
        Err("command printed ``, not a number".into())
    );
    assert_eq!(kpi(cmd("echo nan")).await, Err("value is NaN".into()));
    assert_eq!(
        kpi(cmd("exit 4")).await,
        Err("command exited with 4".into())
    );
    // The script's own first line on why it failed is shown.
    assert_eq!(
        kpi(cmd(
            "echo >&2; echo 'psql: connection refused' >&2; echo more >&2; exit 2"
        ))
        .await,
        Err("command exited with 2: psql: connection refused".into())
    );
    let started = Instant::now();
    assert_eq!(
        kpi(cmd("sleep 30")).await,
        Err("command timed out after 1s".into())
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the hung command was killed"
    );
    let missing = KpiSource::Command {
        argv: vec!["/nonexistent/kpi".into()],
    };
    assert!(
        kpi(missing)
            .await
            .unwrap_err()
            .starts_with("cannot run /nonexistent/kpi")
    );
}

fn endpoint(url: String) -> Endpoint {
    Endpoint {
        id: "api".into(),
        url,
        interval: TimeDelta::seconds(1),
        timeout: TimeDelta::seconds(1),
        expect_status: vec![200],
        slow: None,
        json: Some(JsonAssert {
            pointer: "/status".into(),
            one_of: vec![serde_json::json!("healthy")],
        }),
        connection: Connection::default(),
        schedule: Vec::new(),
    }
}

#[tokio::test]
async fn health_probe_states_and_reasons() {
    let a = server().await;
    let client = http::client(&http::Tls::default()).unwrap();
    let p = health::probe(&client, &endpoint(format!("http://{a}/json")), &[]).await;
    assert_eq!((p.health, p.reason), (Health::Up, None));
    let p = health::probe(&client, &endpoint(format!("http://{a}/degraded")), &[]).await;
    assert_eq!(
        (p.health, p.reason.as_deref()),
        (Health::Down, Some("/status was \"degraded\""))
    );
    let p = health::probe(&client, &endpoint(format!("http://{a}/503")), &[]).await;
    assert_eq!(p.reason.as_deref(), Some("status 503"));
    let p = health::probe(&client, &endpoint(format!("http://{a}/slow")), &[]).await;
    assert_eq!(p.reason.as_deref(), Some("timeout"));
    let mut slow = endpoint(format!("http://{a}/json"));
    slow.slow = Some(TimeDelta::microseconds(1));
    assert_eq!(
        health::probe(&client, &slow, &[]).await.health,
        Health::Degraded
    );
}

#[tokio::test]
async fn secrets_never_reach_an_error_message() {
    let port = refused_port().await;
    let vars = vec![("TOKEN".to_owned(), "s3cr3t-t0k3n".to_owned())];
    let mut ep = endpoint(format!("http://127.0.0.1:{port}/health?token=${{TOKEN}}"));
    ep.connection.headers = vec![("Authorization".into(), "Bearer ${TOKEN}".into())];
    let client = http::client_for(&ep.connection).unwrap();
    let p = health::probe(&client, &ep, &vars).await;
    assert_eq!(p.reason.as_deref(), Some("connection refused"));
    let src = KpiSource::Json {
        url: format!("http://127.0.0.1:{port}/m?key=${{TOKEN}}"),
        pointer: "/v".into(),
    };
    let err = monitor::poll_kpi(&client, &src, Duration::from_secs(1), &vars, Path::new("."))
        .await
        .unwrap_err();
    assert!(!err.why.contains("s3cr3t"), "{err}");
    // A missing secret is named, not guessed.
    let p = health::probe(&client, &ep, &[]).await;
    assert_eq!(p.reason.as_deref(), Some("variable ${TOKEN} is not set"));
}

#[tokio::test]
async fn tls_is_verified_unless_the_endpoint_says_otherwise() {
    // A CA file that does not exist is reported, not ignored.
    let err = http::client(&http::Tls {
        insecure: false,
        ca_file: Some("/nonexistent/ca.pem".into()),
    })
    .unwrap_err();
    assert!(err.starts_with("CA file /nonexistent/ca.pem"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("ca.pem");
    std::fs::write(&bad, "not a certificate").unwrap();
    assert!(
        http::client(&http::Tls {
            insecure: false,
            ca_file: Some(bad)
        })
        .unwrap_err()
        .contains("holds no PEM certificate")
    );
    assert!(
        http::client(&http::Tls {
            insecure: true,
            ca_file: None
        })
        .is_ok()
    );
}

/// An HTTPS server on loopback with a certificate from a fresh private CA (openssl + Python's
/// ssl module, both on every machine we run on); killed when dropped.
struct TlsServer {
    child: std::process::Child,
    port: u16,
    /// The CA that signed the server's certificate.
    ca: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tls_server() -> TlsServer {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str| dir.path().join(name);
    let openssl = |args: &[&str]| {
        let ok = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(ok.success(), "openssl {args:?} failed");
    };
    // An internal CA, and a server certificate it signs, as a staging host has.
    let rsa = ["-newkey", "rsa:2048", "-nodes", "-days", "1"];
    openssl(
        &[
            &["req", "-x509"][..],
            &rsa,
            &[
                "-subj",
                "/CN=Test CA",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
            ],
        ]
        .concat(),
    );
    openssl(
        &[
            &["req"][..],
            &rsa[..3],
            &[
                "-subj",
                "/CN=localhost",
                "-keyout",
                "key.pem",
                "-out",
                "leaf.csr",
            ],
        ]
        .concat(),
    );
    std::fs::write(
        file("ext.cnf"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "1",
        "-out",
        "cert.pem",
        "-extfile",
        "ext.cnf",
    ]);
    let (cert, key, ca) = (file("cert.pem"), file("key.pem"), file("ca.pem"));
    let script = r#"
import http.server, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        token = self.headers.get("X-Token") or "none"
        body = ('{"status": "healthy", "token": "%s"}' % token).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
srv = http.server.HTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print(srv.server_address[1], flush=True)
srv.serve_forever()
"#;
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&cert)
        .arg(&key)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    TlsServer {
        child,
        port: line.trim().parse().unwrap(),
        ca,
        _dir: dir,
    }
}

/// A client that trusts the private CA in `ca` (and nothing else beyond the system's).
fn trusting(ca: &std::path::Path) -> http::Client {
    http::client(&http::Tls {
        insecure: false,
        ca_file: Some(ca.to_path_buf()),
    })
    .unwrap()
}

#[tokio::test]
async fn a_staging_host_with_a_private_ca_needs_its_ca_or_insecure() {
    let server = tls_server();
    let url = format!("https://127.0.0.1:{}/health", server.port);
    let verified = http::client(&http::Tls::default()).unwrap();
    let p = health::probe(&verified, &endpoint(url.clone()), &[]).await;
    assert_eq!(p.health, Health::Down);
    assert!(p.reason.as_deref().unwrap().contains("TLS"), "{p:?}");
    let with_ca = trusting(&server.ca);
    let p = health::probe(&with_ca, &endpoint(url.clone()), &[]).await;
    assert_eq!(p.health, Health::Up, "{p:?}");
    let insecure = http::client(&http::Tls {
        insecure: true,
        ca_file: None,
    })
    .unwrap();
    assert_eq!(
        health::probe(&insecure, &endpoint(url), &[]).await.health,
        Health::Up
    );
}

#[tokio::test]
async fn plain_http_redirected_to_https_is_followed_with_tls() {
    let server = tls_server();
    let target = format!("https://127.0.0.1:{}/health", server.port);
    let app = Router::new().route(
        "/health",
        get(move || {
            let target = target.clone();
            async move {
                (
                    StatusCode::MOVED_PERMANENTLY,
                    [(axum::http::header::LOCATION, target)],
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let url = format!("http://{addr}/health");
    // The private CA is trusted by this client only: the redirect reached the TLS server
    // through the TLS client, not the plain one (which trusts nothing).
    let with_ca = trusting(&server.ca);
    let p = health::probe(&with_ca, &endpoint(url.clone()), &[]).await;
    assert_eq!(p.health, Health::Up, "{p:?}");
    // Without the CA, the upgraded request fails on the certificate, as any HTTPS one would.
    let shared = http::client(&http::Tls::default()).unwrap();
    let p = health::probe(&shared, &endpoint(url), &[]).await;
    assert_eq!(p.health, Health::Down);
    assert!(p.reason.as_deref().unwrap().contains("TLS"), "{p:?}");
}

#[tokio::test]
async fn headers_never_follow_a_redirect_to_another_scheme_host_or_port() {
    let server = tls_server();
    let port = server.port;
    let app = Router::new().route(
        "/to/{host}",
        get(
            move |axum::extract::Path(host): axum::extract::Path<String>| async move {
                (
                    StatusCode::MOVED_PERMANENTLY,
                    [(
                        axum::http::header::LOCATION,
                        format!("https://{host}:{port}/health"),
                    )],
                )
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = trusting(&server.ca);
    let token = [("X-Token".to_owned(), "s3cr3t".to_owned())];
    // The same host on another port and scheme is another origin: a source's headers
    // were written for the one it names (write the https:// URL to send them there).
    let same = http::get(
        &client,
        &format!("http://{addr}/to/127.0.0.1"),
        &token,
        Duration::from_secs(3),
        &[],
    )
    .await
    .unwrap();
    assert_eq!(same.status, 200);
    assert!(String::from_utf8_lossy(&same.body).contains("\"token\": \"none\""));
    // Written for the https:// origin, it goes there.
    let direct = http::get(
        &client,
        &format!("https://127.0.0.1:{port}/health"),
        &token,
        Duration::from_secs(3),
        &[],
    )
    .await
    .unwrap();
    assert!(String::from_utf8_lossy(&direct.body).contains("\"token\": \"s3cr3t\""));
    // Another host (the certificate names both): the secret stays behind.
    let other = http::get(
        &client,
        &format!("http://{addr}/to/localhost"),
        &token,
        Duration::from_secs(3),
        &[],
    )
    .await
    .unwrap();
    assert_eq!(other.status, 200);
    assert!(String::from_utf8_lossy(&other.body).contains("\"token\": \"none\""));
}

#[tokio::test]
async fn a_hanging_source_never_delays_another() {
    let a = server().await;
    let text = format!(
        r#"
[runbook]
name = "polling"

[[kpi]]
id = "stuck"
json = {{ url = "http://{a}/slow", pointer = "/v" }}
interval = "200ms"
timeout = "10s"

[[kpi]]
id = "fast"
json = {{ url = "http://{a}/json", pointer = "/v" }}
interval = "200ms"
"#
    );
    let (rb, _) = warroom::runbook::load_str(Path::new("p.toml"), &text).unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let monitor = monitor::spawn(
        std::sync::Arc::new(rb),
        Default::default(),
        warroom::clock::Clock::Real,
        chrono::Utc::now(),
        tx,
        None,
    )
    .unwrap();
    let mut samples = [0, 0];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    while let Ok(Some(action)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        if let warroom::app::Action::Observed(Observation::KpiSample { kpi, result }) = action {
            assert_eq!(result.map(|r| r.value), Ok(1.5));
            samples[kpi] += 1;
        }
    }
    drop(monitor);
    assert_eq!(samples[0], 0, "the stuck source is still waiting");
    assert!(
        samples[1] >= 5,
        "the fast source kept its pace: {} samples",
        samples[1]
    );
}

/// The status-update webhook as Slack's incoming webhooks take it: `{"text": ...}` by
/// POST; a 500 and a timeout are errors that say what happened and never the URL.
#[tokio::test]
async fn the_status_webhook_posts_slack_json_and_reports_failures_without_the_url() {
    use std::sync::{Arc, Mutex};
    let got: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let seen = got.clone();
    let app = Router::new()
        .route(
            "/services/T0/B0/s3cr3t",
            axum::routing::post(move |body: axum::body::Bytes| {
                let seen = seen.clone();
                async move {
                    seen.lock()
                        .unwrap()
                        .push(serde_json::from_slice(&body).unwrap());
                    "ok"
                }
            }),
        )
        .route(
            "/broken/s3cr3t",
            axum::routing::post(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "no") }),
        )
        .route(
            "/slow/s3cr3t",
            axum::routing::post(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "late"
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let a = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let client = http::client(&http::Tls::default()).unwrap();
    let vars = vec![("HOOK".to_owned(), format!("http://{a}"))];
    let post = |path: &'static str, timeout: Duration| {
        let (client, vars) = (client.clone(), vars.clone());
        async move {
            let body = serde_json::json!({"text": "Green · 40% · مرحبا 🚀"});
            monitor::webhook::post(
                &client,
                &format!("${{HOOK}}{path}"),
                http::Body::Json(&body),
                timeout,
                &vars,
            )
            .await
        }
    };
    assert_eq!(
        post("/services/T0/B0/s3cr3t", Duration::from_secs(3)).await,
        Ok(())
    );
    assert_eq!(
        got.lock().unwrap().as_slice(),
        &[serde_json::json!({"text": "Green · 40% · مرحبا 🚀"})]
    );
    let e = post("/broken/s3cr3t", Duration::from_secs(3))
        .await
        .unwrap_err();
    assert_eq!(e, "HTTP 500");
    let started = Instant::now();
    let e = post("/slow/s3cr3t", Duration::from_millis(300))
        .await
        .unwrap_err();
    assert_eq!(e, "timeout");
    assert!(started.elapsed() < Duration::from_secs(3));
    let e = monitor::webhook::post(
        &client,
        "${NOT_SET_HOOK}",
        http::Body::Text("x"),
        Duration::from_secs(1),
        &[],
    )
    .await
    .unwrap_err();
    assert_eq!(e, "variable ${NOT_SET_HOOK} is not set");
}

/// A KPI whose schedule samples every 2 s until T+2m and every minute after: on a 60x
/// rehearsal clock from T0, the first real second brings tens of samples, and once past
/// T+2m about one a real second.
#[tokio::test]
async fn a_kpis_sampling_interval_follows_its_schedule() {
    let a = server().await;
    let text = format!(
        r#"
[runbook]
name = "schedule"

[[kpi]]
id = "v"
json = {{ url = "http://{a}/json", pointer = "/v" }}
interval = "1m"
schedule = [{{ until = "T+2m", every = "2s" }}]
"#
    );
    async fn count_for(
        rx: &mut tokio::sync::mpsc::Receiver<warroom::app::Action>,
        secs: f64,
    ) -> usize {
        let deadline = tokio::time::Instant::now() + Duration::from_secs_f64(secs);
        let mut n = 0;
        while let Ok(Some(_)) = tokio::time::timeout_at(deadline, rx.recv()).await {
            n += 1;
        }
        n
    }
    let (rb, _) = warroom::runbook::load_str(Path::new("s.toml"), &text).unwrap();
    let t0 = chrono::Utc::now();
    let clock = warroom::clock::Clock::rehearsal(t0, 60.0);
    let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
    let monitor = monitor::spawn(
        std::sync::Arc::new(rb),
        Default::default(),
        clock,
        t0,
        tx,
        None,
    )
    .unwrap();
    // The first real second: 60 rehearsal seconds at 2 s.
    let early = count_for(&mut rx, 1.0).await;
    // Past T+2m (two real seconds): one a rehearsal minute, one a real second.
    count_for(&mut rx, 1.5).await;
    let late = count_for(&mut rx, 3.0).await;
    drop(monitor);
    assert!(
        early >= 10,
        "every 2 s early on: {early} in the first second"
    );
    assert!(
        late <= 5,
        "every minute after T+2m: {late} in three seconds"
    );
}

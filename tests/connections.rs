//! Connection options on every HTTP source: `[connection.NAME]` and a source's own keys
//! merged, bad ones refused where they stand, credentials sent to the source (bearer token
//! from a variable or a file, basic auth, a tenant header) and nowhere else, and a refused
//! credential shown as `unauthorized (401)` / `forbidden (403)`.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use warroom::app::FaultKind;
use warroom::monitor::{self, http};
use warroom::runbook::{Auth, Credential, Diagnostic, Runbook, load_str};

fn load(text: &str) -> Runbook {
    let dir = tempfile::tempdir().unwrap();
    let (rb, _) =
        load_str(&dir.path().join("rb.toml"), text).unwrap_or_else(|e| panic!("{}", lines(&e)));
    rb
}

fn errors(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    match load_str(&dir.path().join("rb.toml"), text) {
        Ok(_) => panic!("loaded:\n{text}"),
        Err(e) => lines(&e),
    }
}

fn lines(d: &[Diagnostic]) -> String {
    d.iter()
        .map(|d| format!("{}:{} {} {}", d.line, d.column, d.key, d.message))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_named_connection_gives_url_and_options_and_a_source_overrides_them_key_by_key() {
    let rb = load(
        r#"
[runbook]
name = "fleet"

[connection.mimir]
url = "https://mimir.internal/prometheus"
headers = { X-Scope-OrgID = "team-a", X-Trace = "on" }
bearer-token-file = "/run/secrets/mimir"
timeout = "4s"

[[kpi]]
id = "shared"
prometheus = { connection = "mimir", query = "sum(up)" }

[[kpi]]
id = "own"
timeout = "2s"
prometheus = { connection = "mimir", query = "sum(up)", headers = { x-scope-orgid = "team-b" }, bearer-token = "${OTHER_TOKEN}" }

[[kpi]]
id = "page"
scrape = { connection = "mimir", url = "/federate", metric = "up" }

[[kpi]]
id = "elsewhere"
json = { connection = "mimir", url = "http://127.0.0.1:9/x", pointer = "/v", insecure = true }

[[endpoint]]
id = "api"
url = "http://127.0.0.1:9/health"
basic-auth = { username = "probe", password = "${PROBE_PASSWORD}" }

[alertmanager]
url = "http://127.0.0.1:9093"
connection = "mimir"
"#,
    );
    let shared = &rb.kpis[0];
    assert_eq!(
        shared.source.url(),
        Some("https://mimir.internal/prometheus")
    );
    assert_eq!(
        shared.connection.auth,
        Some(Auth::Bearer(Credential::File("/run/secrets/mimir".into())))
    );
    assert_eq!(shared.timeout.num_seconds(), 4);
    assert_eq!(
        shared.connection.headers,
        vec![
            ("X-Scope-OrgID".to_owned(), "team-a".to_owned()),
            ("X-Trace".to_owned(), "on".to_owned())
        ]
    );
    // The source's own keys win: a header by name (any case), the credential, the timeout.
    let own = &rb.kpis[1];
    assert_eq!(
        own.connection.headers,
        vec![
            ("X-Trace".to_owned(), "on".to_owned()),
            ("x-scope-orgid".to_owned(), "team-b".to_owned())
        ]
    );
    assert_eq!(
        own.connection.auth,
        Some(Auth::Bearer(Credential::Var("${OTHER_TOKEN}".into())))
    );
    assert_eq!(own.timeout.num_seconds(), 2);
    // A page's path is read from the connection's URL; an absolute URL is its own.
    assert_eq!(
        rb.kpis[2].source.url(),
        Some("https://mimir.internal/prometheus/federate")
    );
    assert_eq!(rb.kpis[3].source.url(), Some("http://127.0.0.1:9/x"));
    assert!(rb.kpis[3].connection.tls.insecure);
    assert!(!rb.kpis[0].connection.tls.insecure);
    assert_eq!(
        rb.endpoints[0].connection.auth,
        Some(Auth::Basic {
            username: "probe".into(),
            password: Some(Credential::Var("${PROBE_PASSWORD}".into()))
        })
    );
    let am = rb.alertmanager.as_ref().unwrap();
    assert_eq!(am.url, "http://127.0.0.1:9093");
    assert_eq!(am.connection, rb.kpis[0].connection);
    // Credentials are secrets: masked on screen, and what `check` wants set.
    assert_eq!(rb.credential_names(), vec!["OTHER_TOKEN", "PROBE_PASSWORD"]);
    for name in ["OTHER_TOKEN", "PROBE_PASSWORD"] {
        assert!(rb.secret_names().contains(&name.to_owned()), "{name}");
    }
}

#[test]
fn bad_connection_options_are_refused_where_they_stand() {
    let e = errors(
        r#"[runbook]
name = "bad"

[connection.prom]
url = "http://127.0.0.1:9090"
connection = "other"

[connection.tenant]
headers = { X-Scope-OrgID = "a" }

[[endpoint]]
id = "api"
url = "http://127.0.0.1:9/health"
bearer-token = "abc123"

[[endpoint]]
id = "both"
url = "http://127.0.0.1:9/health"
bearer-token = "${T}"
bearer-token-file = "t"

[[endpoint]]
id = "two-kinds"
url = "http://127.0.0.1:9/health"
bearer-token = "${T}"
basic-auth = { username = "u", password = "${P}" }

[[endpoint]]
id = "literal-password"
url = "http://127.0.0.1:9/health"
basic-auth = { username = "u", password = "hunter2" }

[[endpoint]]
id = "literal-header"
url = "http://127.0.0.1:9/health"
headers = { Authorization = "Bearer abc" }

[[kpi]]
id = "typo"
prometheus = { connection = "prometheus", query = "up" }

[[kpi]]
id = "unknown_key"
prometheus = { url = "http://127.0.0.1:9090", query = "up", bearer = "${T}" }

[[kpi]]
id = "no_url"
scrape = { connection = "tenant", url = "/metrics", metric = "up" }

[[kpi]]
id = "zero"
json = { url = "http://127.0.0.1:9/x", pointer = "/v", timeout = "0s" }

[[kpi]]
id = "scheme"
json = { url = "http://127.0.0.1:9/x", pointer = "/v", bearer-token = "Bearer ${T}" }
"#,
    );
    let expect = [
        (
            "6:1 connection.prom.connection",
            "cannot start from another",
        ),
        ("14:1 endpoint[api].bearer-token", "readable by anyone"),
        ("20:1 endpoint[both].bearer-token-file", "both set"),
        ("26:1 endpoint[two-kinds].basic-auth", "one Authorization"),
        (
            "31:32 endpoint[literal-password].password",
            "readable by anyone",
        ),
        (
            "36:1 endpoint[literal-header].headers.Authorization",
            "readable by anyone",
        ),
        (
            "40:16 kpi[typo].prometheus.connection",
            "no [connection.prometheus] in the runbook (it has prom, tenant)",
        ),
        (
            "44:61 kpi[unknown_key].prometheus.bearer",
            "unknown key `bearer`",
        ),
        (
            "48:35 kpi[no_url].scrape.url",
            "`/metrics` is a path, and [connection.tenant] has no url",
        ),
        ("52:56 kpi[zero].json.timeout", "longer than zero"),
        (
            "56:56 kpi[scheme].json.bearer-token",
            "the token alone: warroom adds `Bearer `",
        ),
    ];
    for (place, what) in expect {
        assert!(
            e.lines().any(|l| l.starts_with(place) && l.contains(what)),
            "no `{place}` ... `{what}` in:\n{e}"
        );
    }
    // Nothing but the variable's name is ever repeated: the literal secrets are not echoed.
    for secret in ["abc123", "hunter2"] {
        assert!(!e.contains(secret), "{e}");
    }
}

/// Every request the stub saw: its path and headers.
type Seen = Arc<Mutex<Vec<(String, HeaderMap)>>>;

/// A Prometheus-shaped stub behind a bearer token (`right-token`), a basic-auth page
/// (`probe` / `pa55word`), and a page every credential is forbidden.
async fn stub() -> (SocketAddr, Seen) {
    let seen: Seen = Arc::default();
    let log = |seen: &Seen| {
        let seen = seen.clone();
        move |uri: axum::http::Uri, headers: HeaderMap| {
            seen.lock()
                .unwrap()
                .push((uri.path().to_owned(), headers.clone()));
            headers
        }
    };
    let (q, b, f) = (log(&seen), log(&seen), log(&seen));
    let app = Router::new()
        .route(
            "/api/v1/query",
            get(move |uri: axum::http::Uri, h: HeaderMap| async move {
                let h = q(uri, h);
                let auth = h.get("authorization").and_then(|v| v.to_str().ok());
                if auth == Some("Bearer right-token") {
                    (
                        StatusCode::OK,
                        r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"7"]}]}}"#,
                    )
                } else {
                    (StatusCode::UNAUTHORIZED, "Unauthorized")
                }
            }),
        )
        .route(
            "/basic",
            get(move |uri: axum::http::Uri, h: HeaderMap| async move {
                let h = b(uri, h);
                // "probe:pa55word"
                if h.get("authorization").and_then(|v| v.to_str().ok())
                    == Some("Basic cHJvYmU6cGE1NXdvcmQ=")
                {
                    (StatusCode::OK, r#"{"v": 3}"#)
                } else {
                    (StatusCode::UNAUTHORIZED, "")
                }
            }),
        )
        .route(
            "/forbidden",
            get(move |uri: axum::http::Uri, h: HeaderMap| async move {
                f(uri, h);
                (StatusCode::FORBIDDEN, "{}")
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, seen)
}

async fn poll(
    rb: &Runbook,
    i: usize,
    vars: &[(String, String)],
) -> Result<f64, warroom::app::Fault> {
    let k = &rb.kpis[i];
    let client = http::client_for(&k.connection).unwrap();
    monitor::poll_kpi(
        &client,
        &k.source,
        Duration::from_secs(3),
        vars,
        Path::new("."),
    )
    .await
    .map(|r| r.value)
}

fn var(k: &str, v: &str) -> (String, String) {
    (k.to_owned(), v.to_owned())
}

#[tokio::test]
async fn credentials_reach_the_source_and_a_refusal_says_unauthorized_or_forbidden() {
    let (addr, seen) = stub().await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "wrong-token\n").unwrap();
    let password_file = dir.path().join("password");
    std::fs::write(&password_file, "pa55word\n").unwrap();
    let rb = load(&format!(
        r#"
[runbook]
name = "auth"

[connection.prom]
url = "http://{addr}"
bearer-token = "${{PROM_TOKEN}}"
headers = {{ X-Scope-OrgID = "tenant-7" }}

[[kpi]]
id = "by_variable"
prometheus = {{ connection = "prom", query = "x" }}

[[kpi]]
id = "by_file"
prometheus = {{ connection = "prom", query = "x", bearer-token-file = "{token}" }}

[[kpi]]
id = "basic"
json = {{ url = "http://{addr}/basic", pointer = "/v", basic-auth = {{ username = "probe", password-file = "{password}" }} }}

[[kpi]]
id = "forbidden"
json = {{ connection = "prom", url = "/forbidden", pointer = "/v" }}
"#,
        token = token_file.display(),
        password = password_file.display(),
    ));
    let right = [var("PROM_TOKEN", "right-token")];
    assert_eq!(poll(&rb, 0, &right).await, Ok(7.0));
    // The tenant header reached the server with the token.
    {
        let seen = seen.lock().unwrap();
        let (path, h) = seen.last().unwrap();
        assert_eq!(path, "/api/v1/query");
        assert_eq!(h.get("x-scope-orgid").unwrap(), "tenant-7");
        assert_eq!(h.get("authorization").unwrap(), "Bearer right-token");
    }
    let wrong = poll(&rb, 0, &[var("PROM_TOKEN", "not-the-token")])
        .await
        .unwrap_err();
    assert_eq!(
        (wrong.kind, wrong.why.as_str()),
        (FaultKind::Unauthorized, "unauthorized (401)")
    );
    assert_eq!(wrong.kind.badge(), "unauthorized (401)");
    // A variable that is not set is named; nothing is sent.
    let before = seen.lock().unwrap().len();
    let unset = poll(&rb, 0, &[]).await.unwrap_err();
    assert_eq!(unset.why, "variable ${PROM_TOKEN} is not set");
    assert_eq!(seen.lock().unwrap().len(), before);
    // A token file is read at every request: rotating it needs no restart.
    assert_eq!(
        poll(&rb, 1, &[]).await.unwrap_err().kind,
        FaultKind::Unauthorized
    );
    std::fs::write(&token_file, "right-token\n").unwrap();
    assert_eq!(poll(&rb, 1, &[]).await, Ok(7.0));
    std::fs::remove_file(&token_file).unwrap();
    let gone = poll(&rb, 1, &[]).await.unwrap_err();
    assert!(
        gone.why.starts_with("cannot read ") && gone.why.ends_with("token: no such file"),
        "{gone}"
    );
    // Basic auth from a password file.
    assert_eq!(poll(&rb, 2, &[]).await, Ok(3.0));
    // Accepted and not allowed.
    let forbidden = poll(&rb, 3, &right).await.unwrap_err();
    assert_eq!(
        (forbidden.kind, forbidden.why.as_str()),
        (FaultKind::Forbidden, "forbidden (403)")
    );
    // The connection's Debug (as a log line or a panic would print it) names where the
    // secrets come from, never what they are.
    let client = http::client_for(&rb.kpis[0].connection).unwrap();
    let shown = format!("{client:?} {:?}", rb.kpis[0]);
    assert!(shown.contains("${PROM_TOKEN}"), "{shown}");
    assert!(!shown.contains("right-token"), "{shown}");
}

#[tokio::test]
async fn an_endpoint_refused_its_credentials_is_down_saying_why() {
    let (addr, _) = stub().await;
    let rb = load(&format!(
        r#"
[runbook]
name = "probe"

[[endpoint]]
id = "basic"
url = "http://{addr}/basic"
basic-auth = {{ username = "probe", password = "${{PROBE_PASSWORD}}" }}
"#
    ));
    let ep = &rb.endpoints[0];
    let client = http::client_for(&ep.connection).unwrap();
    let ok = monitor::health::probe(&client, ep, &[var("PROBE_PASSWORD", "pa55word")]).await;
    assert_eq!(ok.health, warroom::runbook::Health::Up, "{ok:?}");
    let refused = monitor::health::probe(&client, ep, &[var("PROBE_PASSWORD", "nope")]).await;
    assert_eq!(refused.health, warroom::runbook::Health::Down);
    assert_eq!(refused.reason.as_deref(), Some("unauthorized (401)"));
}

#[tokio::test]
async fn a_token_never_reaches_an_error_or_another_host() {
    // Nothing listens: the error says so, and not what was to be sent.
    let port = {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap().port()
    };
    let rb = load(&format!(
        r#"
[runbook]
name = "refused"

[[kpi]]
id = "k"
prometheus = {{ url = "http://127.0.0.1:{port}", query = "up", bearer-token = "${{TOKEN}}", headers = {{ X-Key = "${{TOKEN}}" }} }}
"#
    ));
    let err = poll(&rb, 0, &[var("TOKEN", "s3cr3t-t0k3n")])
        .await
        .unwrap_err();
    assert_eq!(err.why, "connection refused");
    // A header value HTTP cannot carry is refused without echoing it.
    let err = poll(&rb, 0, &[var("TOKEN", "line\nbreak-s3cr3t")])
        .await
        .unwrap_err();
    assert!(!err.why.contains("s3cr3t"), "{err}");
}

#[test]
fn check_names_an_unset_credential_and_never_a_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rb.toml");
    std::fs::write(
        &path,
        r#"
[runbook]
name = "check"

[[kpi]]
id = "k"
prometheus = { url = "http://127.0.0.1:9090", query = "up", bearer-token = "${WARROOM_TEST_PROM_TOKEN}" }
"#,
    )
    .unwrap();
    let run = |env: Option<&str>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"));
        cmd.args(["check", "--env"]).arg(&path);
        cmd.env_remove("WARROOM_TEST_PROM_TOKEN");
        if let Some(v) = env {
            cmd.env("WARROOM_TEST_PROM_TOKEN", v);
        }
        cmd.output().unwrap()
    };
    let unset = run(None);
    assert_eq!(unset.status.code(), Some(2));
    let said = String::from_utf8_lossy(&unset.stderr);
    assert!(
        said.contains("rb.toml:7:77: error: `${WARROOM_TEST_PROM_TOKEN}` is not set"),
        "{said}"
    );
    // Without --env the file is what is checked: a warning, and it passes (a team lints
    // its runbooks in CI without their secrets).
    let lint = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .arg("check")
        .arg(&path)
        .env_remove("WARROOM_TEST_PROM_TOKEN")
        .output()
        .unwrap();
    assert!(lint.status.success(), "{lint:?}");
    assert!(
        String::from_utf8_lossy(&lint.stderr)
            .contains("rb.toml:7:77: warning: `${WARROOM_TEST_PROM_TOKEN}` is not set"),
        "{lint:?}"
    );
    let set = run(Some("tok-value-1234"));
    assert!(set.status.success(), "{set:?}");
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&set.stdout),
        String::from_utf8_lossy(&set.stderr)
    );
    assert!(
        out.contains("auth      1 sources send credentials"),
        "{out}"
    );
    assert!(!out.contains("tok-value-1234"), "{out}");
}

/// Every file under `dir`, read as text (lossy), with its path.
fn files_under(dir: &Path) -> Vec<(std::path::PathBuf, String)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else if let Ok(bytes) = std::fs::read(&p) {
                out.push((p, String::from_utf8_lossy(&bytes).into_owned()));
            }
        }
    }
    out
}

/// Every process's command line on this machine that holds `needle`.
fn in_any_cmdline(needle: &str) -> Vec<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
        .filter(|c| c.contains(needle))
        .collect()
}

#[test]
fn a_console_and_a_watcher_show_a_refused_token_as_unauthorized_and_no_secret_anywhere() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (addr, _seen) = rt.block_on(stub());
    let secrets = [
        ("PROM_TOKEN", "right-token"),
        ("WRONG_TOKEN", "wrong-token-9d2f"),
        ("PROBE_PASSWORD", "pa55word"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let runbook = dir.path().join("auth.toml");
    std::fs::write(
        &runbook,
        format!(
            r#"
[runbook]
name = "auth"

[connection.prom]
url = "http://{addr}"
bearer-token = "${{PROM_TOKEN}}"

[[endpoint]]
id = "basic"
url = "http://{addr}/basic"
basic-auth = {{ username = "probe", password = "${{PROBE_PASSWORD}}" }}

[[kpi]]
id = "good"
label = "Good"
interval = "1s"
prometheus = {{ connection = "prom", query = "x" }}

[[kpi]]
id = "bad"
label = "Bad token"
interval = "1s"
prometheus = {{ connection = "prom", query = "x", bearer-token = "${{WRONG_TOKEN}}" }}

[[phase]]
id = "watch"
title = "Watch"

[[phase.step]]
id = "look"
title = "Look"
"#
        ),
    )
    .unwrap();
    let run_dir = dir.path().join("run");
    let mut env: Vec<(&str, &str)> = secrets.to_vec();
    // Everything warroom logs, at its most detailed (the HTTP client logs through `log`,
    // which warroom does not collect).
    env.push(("WARROOM_LOG", "trace"));
    let console = common::screen::Screen::start_with_env(
        &[
            "run",
            runbook.to_str().unwrap(),
            "--run-dir",
            run_dir.to_str().unwrap(),
        ],
        &env,
        24,
        80,
        tempfile::tempdir().unwrap(),
    );
    let screen = console.wait_until("the bad token unauthorized, the good one read", 30, |t| {
        t.contains("unauthorized (401)") && t.contains("UP")
    });
    let good = screen
        .lines()
        .find(|l| l.contains("Good"))
        .unwrap_or_default();
    assert!(good.contains('7'), "{screen}");
    let watcher = common::screen::Screen::start_with_env(
        &["watch", run_dir.to_str().unwrap()],
        &env,
        24,
        80,
        tempfile::tempdir().unwrap(),
    );
    let watched = watcher.wait_for("unauthorized (401)", 30);
    // No process on the machine carries a secret in its arguments.
    for (_, value) in &secrets {
        assert_eq!(in_any_cmdline(value), Vec::<String>::new(), "{value}");
    }
    let mut console = console;
    let mut watcher = watcher;
    watcher.keys("q");
    assert!(watcher.wait_exit(10));
    console.keys("q");
    assert!(console.wait_exit(10));
    // The post-mortem in every format.
    for format in ["md", "json", "html"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
            .args([
                "report",
                run_dir.to_str().unwrap(),
                "--format",
                format,
                "-o",
            ])
            .arg(run_dir.join(format!("report.{format}")))
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    }
    let files = files_under(&run_dir);
    assert!(files.iter().any(|(p, _)| p.ends_with("journal.jsonl")));
    let log = files
        .iter()
        .find(|(p, _)| p.ends_with("warroom.log"))
        .unwrap();
    assert!(
        log.1.lines().count() > 10,
        "the log at trace level:\n{}",
        log.1
    );
    for (_, value) in &secrets {
        assert!(
            !screen.contains(value) && !watched.contains(value),
            "{value} on screen"
        );
        for (path, text) in &files {
            assert!(!text.contains(value), "{} holds {value}", path.display());
        }
    }
}

#[test]
fn preflight_reads_each_credential_once_and_says_which_is_refused_or_missing() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (addr, _seen) = rt.block_on(stub());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("prom.token"), "right-token\n").unwrap();
    let runbook = dir.path().join("auth.toml");
    std::fs::write(
        &runbook,
        format!(
            r#"
[runbook]
name = "auth"

[[kpi]]
id = "by_file"
prometheus = {{ url = "http://{addr}", query = "x", bearer-token-file = "prom.token" }}

[[kpi]]
id = "wrong"
prometheus = {{ url = "http://{addr}", query = "x", bearer-token = "${{WRONG_TOKEN}}" }}

[[kpi]]
id = "missing_file"
prometheus = {{ url = "http://{addr}", query = "x", bearer-token-file = "gone.token" }}
"#
        ),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .arg("preflight")
        .arg(&runbook)
        .env("WRONG_TOKEN", "wrong-token-9d2f")
        .output()
        .unwrap();
    let t = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1), "{t}");
    let line = |id: &str| {
        t.lines()
            .find(|l| l.contains(id))
            .unwrap_or_else(|| panic!("no {id} in:\n{t}"))
            .trim()
            .to_owned()
    };
    assert!(line("kpi          by_file").starts_with("ok"), "{t}");
    assert!(
        line("kpi          wrong").contains("unauthorized (401)"),
        "{t}"
    );
    assert!(line("variable     WRONG_TOKEN").starts_with("ok"), "{t}");
    assert!(line("prom.token").starts_with("ok"), "{t}");
    let gone = line("gone.token");
    assert!(
        gone.starts_with("FAIL") && gone.ends_with("no such file"),
        "{t}"
    );
    assert!(
        line("kpi          missing_file").ends_with("gone.token: no such file"),
        "{t}"
    );
    for secret in ["right-token", "wrong-token-9d2f"] {
        assert!(!t.contains(secret), "{t}");
    }
}

#[test]
fn the_fleet_example_in_readme_is_a_valid_runbook() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = &readme[readme.find("## Watching a fleet").unwrap()..];
    let start = section.find("```toml\n").unwrap() + "```toml\n".len();
    let block = &section[start..start + section[start..].find("```").unwrap()];
    let dir = tempfile::tempdir().unwrap();
    let text = format!("[runbook]\nname = \"fleet\"\n\n{block}");
    let (rb, warnings) =
        load_str(&dir.path().join("fleet.toml"), &text).unwrap_or_else(|e| panic!("{}", lines(&e)));
    // The example's files are on the production host, not here: said, not refused.
    assert!(
        warnings
            .iter()
            .all(|w| w.message.contains("does not exist here")),
        "{}",
        lines(&warnings)
    );
    assert_eq!(rb.kpis.len(), 3);
    assert_eq!(
        rb.kpis[0].connection.headers,
        vec![("X-Scope-OrgID".to_owned(), "checkout".to_owned())]
    );
    assert_eq!(rb.kpis[2].timeout.num_seconds(), 8);
    assert_eq!(rb.credential_names(), vec!["THANOS_TOKEN", "VM_PASSWORD"]);
}

/// A server on `ip` that records every request's path and headers; `/moved` answers 302
/// to `to` (when given), `/json` a number.
async fn recorder(ip: [u8; 4], to: Option<String>) -> (SocketAddr, Seen) {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let app = Router::new().fallback(move |uri: axum::http::Uri, h: HeaderMap| {
        let (log, to) = (log.clone(), to.clone());
        async move {
            log.lock().unwrap().push((uri.path().to_owned(), h));
            match (uri.path(), to) {
                ("/moved", Some(to)) => axum::response::Response::builder()
                    .status(StatusCode::FOUND)
                    .header("location", to)
                    .body(axum::body::Body::empty())
                    .unwrap(),
                _ => axum::response::Response::new(axum::body::Body::from(r#"{"v": 5}"#)),
            }
        }
    });
    let listener = tokio::net::TcpListener::bind(SocketAddr::from((ip, 0)))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, seen)
}

/// A redirect to another origin (127.0.0.2 is another host on this machine's loopback)
/// carries none of the source's headers or credentials; one on the same origin does; and
/// with `follow-redirects = false` none is followed.
#[tokio::test]
async fn credentials_go_only_to_their_origin_and_redirects_can_be_refused() {
    let (other, other_seen) = recorder([127, 0, 0, 2], None).await;
    let (home, home_seen) = recorder([127, 0, 0, 1], Some(format!("http://{other}/json"))).await;
    let source = |extra: &str| {
        load(&format!(
            r#"
[runbook]
name = "redirects"

[[kpi]]
id = "k"
json = {{ url = "http://{home}/moved", pointer = "/v", bearer-token = "${{TOKEN}}", headers = {{ X-Api-Key = "${{KEY}}", X-Scope-OrgID = "team-a" }}{extra} }}
"#
        ))
    };
    let vars = [var("TOKEN", "t0k3n-value"), var("KEY", "k3y-value")];
    let rb = source("");
    assert_eq!(poll(&rb, 0, &vars).await.unwrap(), 5.0);
    let first = home_seen.lock().unwrap().clone();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].1.get("x-api-key").unwrap(), "k3y-value");
    let there = other_seen.lock().unwrap().clone();
    assert_eq!(there.len(), 1, "the redirect was followed");
    for name in ["authorization", "x-api-key", "x-scope-orgid", "cookie"] {
        assert!(
            there[0].1.get(name).is_none(),
            "{name} went to another origin: {:?}",
            there[0].1
        );
    }
    // Another port on the same host is another origin too.
    let (port2, port2_seen) = recorder([127, 0, 0, 1], None).await;
    let (hop, _) = recorder([127, 0, 0, 1], Some(format!("http://{port2}/json"))).await;
    let rb = load(&format!(
        r#"
[runbook]
name = "port"

[[kpi]]
id = "k"
json = {{ url = "http://{hop}/moved", pointer = "/v", headers = {{ X-Api-Key = "${{KEY}}" }} }}
"#
    ));
    assert_eq!(poll(&rb, 0, &vars).await.unwrap(), 5.0);
    assert!(port2_seen.lock().unwrap()[0].1.get("x-api-key").is_none());
    // A redirect on the same origin (a relative Location): its headers go with it.
    let (same, same_seen) = recorder([127, 0, 0, 1], Some("/json".into())).await;
    let rb = load(&format!(
        r#"
[runbook]
name = "same"

[[kpi]]
id = "k"
json = {{ url = "http://{same}/moved", pointer = "/v", headers = {{ X-Api-Key = "${{KEY}}" }} }}
"#
    ));
    assert_eq!(poll(&rb, 0, &vars).await.unwrap(), 5.0);
    let seen = same_seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].0, "/json");
    assert_eq!(seen[1].1.get("x-api-key").unwrap(), "k3y-value");
    // `follow-redirects = false`: the redirect is the answer, the other host sees nothing.
    other_seen.lock().unwrap().clear();
    let rb = source(", follow-redirects = false");
    let err = poll(&rb, 0, &vars).await.unwrap_err();
    assert_eq!(err.why, "HTTP 302", "{err}");
    assert!(other_seen.lock().unwrap().is_empty());
}

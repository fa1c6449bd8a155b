//! Status updates end to end: the real console in a pseudo-terminal writes one with `U`,
//! sends it to a webhook on loopback that fails once and then takes it; the operator sees
//! both answers, the journal has the text, and the webhook's secret URL is nowhere in the
//! run directory.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};

use common::screen::Screen;

const SECRET: &str = "T0000/B0000/XXXXs3cr3tXXXX";

#[test]
fn a_status_update_goes_out_after_a_failed_try_and_the_secret_stays_out_of_the_record() {
    let got: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let seen = got.clone();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let addr = runtime.block_on(async move {
        let tries = Arc::new(Mutex::new(0));
        let app = axum::Router::new().route(
            &format!("/services/{SECRET}"),
            axum::routing::post(move |body: axum::body::Bytes| {
                let (seen, tries) = (seen.clone(), tries.clone());
                async move {
                    let mut n = tries.lock().unwrap();
                    *n += 1;
                    if *n == 1 {
                        return (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "down");
                    }
                    seen.lock()
                        .unwrap()
                        .push(serde_json::from_slice(&body).unwrap());
                    (axum::http::StatusCode::OK, "ok")
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        addr
    });
    let url = format!("http://{addr}/services/{SECRET}");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/status-webhook.toml");
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("run");
    let mut s = Screen::start_with_env(
        &[
            "run",
            fixture.to_str().unwrap(),
            "--run-dir",
            run_dir.to_str().unwrap(),
        ],
        &[("STATUS_WEBHOOK", &url)],
        30,
        110,
        dir,
    );
    s.wait_for("Say hello", 20);
    s.keys("U");
    s.wait_for("Status update", 5);
    s.keys(" — all calm");
    s.keys("\r");
    s.wait_for("NOT sent to #ops: HTTP 500", 15);
    s.keys("U");
    s.wait_for("all calm", 5);
    s.keys("\r");
    s.wait_for("Sent to #ops", 15);
    let posted = got.lock().unwrap().clone();
    assert_eq!(posted.len(), 1, "{posted:?}");
    let text = posted[0]["text"].as_str().unwrap().to_owned();
    assert!(
        text.starts_with("Green · Phase · 0% done · next: Say hello"),
        "{text}"
    );
    assert!(text.ends_with(" — all calm"), "{text}");
    s.keys("q");
    assert!(s.wait_exit(10));
    // The journal holds the text, both sends and their answers; nothing in the run
    // directory holds the webhook's secret.
    let journal = std::fs::read_to_string(run_dir.join("journal.jsonl")).unwrap();
    assert_eq!(
        journal.matches("status_update_sending").count(),
        2,
        "{journal}"
    );
    // Each answer journaled for its channel: the 500, then the one taken.
    assert_eq!(
        journal.matches("\"status_update_delivered\"").count(),
        2,
        "{journal}"
    );
    assert!(journal.contains("\"error\":\"HTTP 500\""), "{journal}");
    assert!(journal.contains("all calm"));
    for entry in std::fs::read_dir(&run_dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !String::from_utf8_lossy(&bytes).contains("s3cr3t"),
                "{} holds the secret",
                path.display()
            );
        }
    }
    assert!(!s.text().contains("s3cr3t"));
}

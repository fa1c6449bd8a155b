//! `warroom preflight` as the operator runs it the night before: the real binary against
//! the demo target on loopback, healthy and broken, in the table and in `--json`.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output};

fn preflight(runbook: &str, env: &[(&str, &str)], json: bool) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_warroom"));
    cmd.arg("preflight");
    if json {
        cmd.arg("--json");
    }
    cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join(runbook));
    cmd.env_remove("DEMO_URL");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

async fn demo_target() -> String {
    let (addr, server) = warroom::demo::serve(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    // The server runs as long as the test's runtime does.
    std::mem::forget(server);
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_healthy_demo_target_passes_and_every_source_has_a_value() {
    let url = demo_target().await;
    let out = tokio::task::spawn_blocking(move || {
        preflight("config/demo.toml", &[("DEMO_URL", &url)], false)
    })
    .await
    .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    for line in [
        "ok    variable     DEMO_URL",
        "ok    endpoint     api-blue",
        "ok    kpi          error_rate",
        "ok    rule         error-rate-critical",
        "ok    script       ../assets/demo/rollback.sh",
        "ok    script       ../assets/demo/rollback-preview.sh",
    ] {
        assert!(t.contains(line), "`{line}` missing:\n{t}");
    }
    assert!(t.contains(" 0 failed"), "{t}");
    assert!(
        !t.contains("http://127.0.0.1"),
        "a variable's value is never printed:\n{t}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dead_target_fails_with_each_source_saying_why_in_json_too() {
    // A loopback port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let out = tokio::task::spawn_blocking(move || {
        preflight("config/demo.toml", &[("DEMO_URL", &url)], true)
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["runbook"], "Checkout v1.5.0 canary");
    let checks = v["checks"].as_array().unwrap();
    let find = |kind: &str, id: &str| {
        checks
            .iter()
            .find(|c| c["kind"] == kind && c["id"] == id)
            .unwrap_or_else(|| panic!("no {kind} {id} in {checks:?}"))
    };
    let ep = find("endpoint", "api-blue");
    assert_eq!(ep["status"], "fail");
    assert!(ep["detail"].as_str().unwrap().contains("refused"), "{ep}");
    let kpi = find("kpi", "error_rate");
    assert_eq!(kpi["status"], "fail");
    assert!(kpi["latency_ms"].is_u64(), "{kpi}");
    // Its script reads the target too, and says so.
    assert_eq!(find("kpi", "cpu")["status"], "fail");
    assert_eq!(find("script", "../assets/demo/kpi.sh")["status"], "ok");
    assert_eq!(find("rule", "error-rate-critical")["status"], "warn");
    for c in checks {
        for key in ["kind", "id", "status", "detail", "latency_ms"] {
            assert!(c.get(key).is_some(), "{key} missing in {c}");
        }
    }
}

#[test]
fn unset_variables_missing_and_unrunnable_scripts_fail_and_secrets_stay_secret() {
    let out = preflight(
        "tests/fixtures/preflight/broken.toml",
        &[
            ("PREFLIGHT_URL", "http://127.0.0.1:9"),
            ("PREFLIGHT_TOKEN", "s3cr3t-t0ken"),
        ],
        false,
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("ok    variable     PREFLIGHT_TOKEN"), "{t}");
    assert!(t.contains("FAIL  variable     PREFLIGHT_UNSET"), "{t}");
    assert!(t.contains("not set"), "{t}");
    assert!(t.contains("ok    script       ./ok.sh"), "{t}");
    assert!(t.contains("FAIL  script       ./missing.sh"), "{t}");
    assert!(t.contains("does not exist"), "{t}");
    assert!(t.contains("FAIL  script       ./not-executable.sh"), "{t}");
    assert!(t.contains("not executable (chmod +x)"), "{t}");
    assert!(
        !t.contains("s3cr3t"),
        "the token's value is never printed:\n{t}"
    );
    assert!(t.contains("not ready"), "{t}");
}

#[test]
fn an_invalid_runbook_is_refused_as_check_refuses_it() {
    let dir = tempfile::tempdir().unwrap();
    let rb = dir.path().join("bad.toml");
    std::fs::write(&rb, "[runbook]\nname = \"x\"\n[[kpi]]\nid = 1\n").unwrap();
    let out = preflight(rb.to_str().unwrap(), &[], false);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("bad.toml:4"), "{}", text(&out));
}

/// `--rehearsal`: each reference playbook against the demo target with its `[rehearsal]`
/// variables is ready (exit 0), every script it runs found, including those a `shell` line
/// names, and the KPIs its series replays read from the series.
#[test]
fn the_reference_playbooks_pass_preflight_against_the_demo_target() {
    for name in ["phase5-go-live", "blue-green-switch", "launch-day"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("config")
            .join(format!("{name}.toml"));
        let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
            .args(["preflight", "--rehearsal", "--json"])
            .arg(&path)
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{name}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
        let failed: Vec<&serde_json::Value> = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["status"] == "fail")
            .collect();
        assert!(
            out.status.success() && failed.is_empty(),
            "{name}: {failed:#?}"
        );
        let scripts = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["kind"] == "script")
            .count();
        assert!(scripts >= 6, "{name}: {scripts} scripts checked");
    }
    // Phase 5's Prometheus KPIs come from its series; its shell lines' scripts are checked.
    let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["preflight", "--rehearsal"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/phase5-go-live.toml"))
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("(replayed, at T0)"), "{table}");
    assert!(table.contains("backup-phase5-files.sh"), "{table}");
}

/// `preflight config/demo.toml` without the demo target: the variable it needs is one the
/// demo target gives, and the line says to check with `--rehearsal`.
#[test]
fn a_variable_the_demo_target_gives_points_at_rehearsal() {
    let out = preflight("config/demo.toml", &[], false);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.lines().any(|l| l.contains("DEMO_URL")
            && l.contains("not set: the demo target gives it (preflight --rehearsal)")),
        "{t}"
    );
}

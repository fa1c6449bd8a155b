//! Expressions compare text (issue 27, part 7): a checksum from a command against another,
//! a version from a JSON endpoint against the one being deployed, with no wrapper script
//! printing 1 or 0. `check` refuses text used as a number.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::path::Path;

use common::screen::Screen;
use warroom::app::Event;

/// A loopback server answering `{"build": {"version": ...}}` with what the file says.
fn version_server(
    runtime: &tokio::runtime::Runtime,
    version: std::path::PathBuf,
) -> std::net::SocketAddr {
    runtime.block_on(async move {
        let app = axum::Router::new().route(
            "/info",
            axum::routing::get(move || {
                let version = version.clone();
                async move {
                    let v = std::fs::read_to_string(&version).unwrap();
                    axum::Json(serde_json::json!({ "build": { "version": v.trim() } }))
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        addr
    })
}

/// The copy's checksum matches the original's and the service reports the new version:
/// the checklist item ticks itself. The copy is then damaged: the rule comparing the two
/// checksums fires, recorded with the two texts.
#[test]
fn checksums_and_versions_are_compared_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let (original, copy, version) = (
        dir.path().join("original.db"),
        dir.path().join("copy.db"),
        dir.path().join("version"),
    );
    std::fs::write(&original, "rows: 1,204,331\n").unwrap();
    std::fs::write(&copy, "rows: 1,204,331\n").unwrap();
    std::fs::write(&version, "v1.4.9\n").unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let addr = version_server(&runtime, version.clone());
    let sum = |file: &Path| {
        format!(
            "[\"sh\", \"-c\", \"sha256sum {} | cut -d' ' -f1\"]",
            file.display()
        )
    };
    let rb = dir.path().join("migration.toml");
    std::fs::write(
        &rb,
        format!(
            r#"[runbook]
name = "Migration"

[[kpi]]
id = "sum_original"
label = "Original"
interval = "1s"
text = true
command = {}

[[kpi]]
id = "sum_copy"
label = "Copy"
interval = "1s"
text = true
command = {}

[[kpi]]
id = "version"
label = "Version"
interval = "1s"
text = true
json = {{ url = "http://{addr}/info", pointer = "/build/version" }}

[[rule]]
id = "copy-differs"
expr = "sum_copy != sum_original"
severity = "warning"
summary = "The copy's checksum differs from the original's"

[[phase]]
id = "move"
title = "Move the data"

[[phase.step]]
id = "copy"
title = "Copy the database"
run = ["true"]

[[phase.check]]
id = "verified"
text = "Checksums match and the service runs v1.5.0"
auto = "sum_copy == sum_original and version == 'v1.5.0'"
"#,
            sum(&original),
            sum(&copy)
        ),
    )
    .unwrap();
    let check = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["check", rb.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let run_dir = dir.path().join("run");
    let mut s = Screen::run(&rb, &run_dir, 30, 120);
    // The texts on the KPI pane, the old version: the item waits.
    let screen = s.wait_for("v1.4.9", 20);
    assert!(!screen.contains("copy-differs"), "{screen}");
    std::fs::write(&version, "v1.5.0\n").unwrap();
    s.wait_for("v1.5.0", 10);
    s.wait_until("the item ticked by itself", 10, |t| {
        t.lines()
            .any(|l| l.contains("Checklist") && l.contains("1/1"))
    });
    std::fs::write(&copy, "rows: 1,204,330\n").unwrap();
    s.wait_for("The copy's checksum differs", 15);
    s.keys("q");
    assert!(s.wait_exit(10));
    let records = warroom::journal::read(&run_dir.join("journal.jsonl"))
        .unwrap()
        .0;
    assert!(
        records
            .iter()
            .any(|r| matches!(&r.event, Event::CheckAuto { check, .. } if check == "verified")),
        "{records:?}"
    );
    let firing = records
        .iter()
        .find_map(|r| match &r.event {
            Event::RuleFiring { rule, values } if rule == "copy-differs" => Some(values.clone()),
            _ => None,
        })
        .expect("the rule fired");
    // Recorded with the two texts read, for the post-mortem.
    assert!(
        firing
            .iter()
            .all(|r| r.text.as_ref().is_some_and(|t| t.len() == 64)),
        "{firing:?}"
    );
    assert_ne!(firing[0].text, firing[1].text);
}

/// Text is compared with text, by `==` or `!=`: anything else is said at `check`.
#[test]
fn check_refuses_text_used_as_a_number() {
    let load = |expr: &str, extra: &str| {
        warroom::runbook::load_str(
            Path::new("t.toml"),
            &format!(
                "[runbook]\nname = \"t\"\n[[kpi]]\nid = \"version\"\ntext = true\ncommand = [\"echo\", \"v1\"]\n{extra}[[kpi]]\nid = \"n\"\ncommand = [\"echo\", \"1\"]\n[[rule]]\nid = \"r\"\nexpr = \"{expr}\"\n[[phase]]\nid = \"p\"\ntitle = \"P\"\n"
            ),
        )
    };
    assert!(load("version == 'v1' and n > 0", "").is_ok());
    for (expr, words) in [
        ("version > 'v1'", "text is compared only by `==` or `!=`"),
        ("version == 1", "compares text with a number"),
        ("version + 1 > 2", "no arithmetic on text"),
        ("version", "is text: compare it"),
        ("n > 0 and version", "is text: compare it"),
        ("baseline(version) == 'x'", "a text KPI has no baseline"),
    ] {
        let errs = load(expr, "").expect_err(expr);
        assert!(
            errs.iter()
                .any(|e| e.key == "rule[r].expr" && e.message.contains(words)),
            "{expr}: {errs:#?}"
        );
    }
    let errs = load("version == 'v1'", "warning = 3\n").unwrap_err();
    assert!(
        errs.iter()
            .any(|e| e.message.contains("a text KPI has no thresholds")),
        "{errs:#?}"
    );
}

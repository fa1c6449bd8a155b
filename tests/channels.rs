//! The plan's remaining words, end to end (issue 27, parts 2 to 4): the playbook's own
//! status levels on the header and in `{light}`, one status update to four channels (a
//! Slack webhook, a JSON webhook, a status page, an email through a real SMTP server on
//! loopback), each answer journaled per channel, and an escalation level reached by its
//! condition with its response time running.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use common::screen::Screen;

/// Debian's python3 with python3-aiosmtpd (installed by `.ci/run`).
const PYTHON: &str = "/usr/bin/python3";
const SMTP_PASSWORD: &str = "pa55-0f-the-n1ght";

/// The SMTP server in `tests/fixtures/channels/smtpd.py`: stopped when dropped.
struct Smtpd {
    child: Child,
    port: u16,
}

impl Smtpd {
    /// Debian's python3 with aiosmtpd, or a loud refusal: under CI (`CI` set) a missing one
    /// fails the test.
    fn available() -> bool {
        let found = Command::new(PYTHON)
            .args(["-c", "import aiosmtpd"])
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            let msg = "python3-aiosmtpd not found: the email channel was NOT tested against an SMTP server";
            assert!(std::env::var_os("CI").is_none(), "{msg}");
            eprintln!("\n!!!!!!!!!! {msg} !!!!!!!!!!\n");
        }
        found
    }

    fn start(maildir: &Path) -> Self {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/channels/smtpd.py");
        let mut child = Command::new(PYTHON)
            .arg(script)
            .arg(maildir)
            .args(["warroom", SMTP_PASSWORD])
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs (Debian's, with python3-aiosmtpd)");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().unwrap_or_else(|_| {
            panic!("the SMTP server did not start: {line:?} (is python3-aiosmtpd installed?)")
        });
        Self { child, port }
    }
}

impl Drop for Smtpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

type Posts = Arc<Mutex<Vec<(String, serde_json::Value)>>>;

/// Three webhooks on one loopback server, each body kept with its path.
fn webhooks(runtime: &tokio::runtime::Runtime) -> (std::net::SocketAddr, Posts) {
    let got: Posts = Arc::default();
    let seen = got.clone();
    let addr = runtime.block_on(async move {
        let app = axum::Router::new().route(
            "/{hook}",
            axum::routing::post(
                move |axum::extract::Path(hook): axum::extract::Path<String>,
                      body: axum::body::Bytes| {
                    let seen = seen.clone();
                    async move {
                        seen.lock()
                            .unwrap()
                            .push((hook, serde_json::from_slice(&body).unwrap()));
                        "ok"
                    }
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        addr
    });
    (addr, got)
}

fn runbook(dir: &Path, smtp_port: u16) -> std::path::PathBuf {
    let text = format!(
        r##"[runbook]
name = "Checkout v2"

[[phase]]
id = "night"
title = "The night"

[[phase.step]]
id = "switch"
title = "Switch traffic"
at = "T+1m"
run = ["true"]

[status]
levels = [
  {{ name = "Red", color = "red", when = "firing_critical > 0" }},
  {{ name = "Amber", color = "#ffbf00", when = "late_minutes >= 1 or firing_warnings > 0" }},
  {{ name = "Green", color = "green" }},
]

[channel.team]
webhook = "${{HOOKS}}/team"

[channel.ops]
webhook = "${{HOOKS}}/ops"
format = "json"

[channel.page]
status-page = "${{HOOKS}}/page"

[channel.email]
smtp = {{ host = "127.0.0.1", port = {smtp_port}, from = "warroom <warroom@example.com>", to = ["ops@example.com", "lead@example.com"], starttls = false, username = "warroom", password = "${{SMTP_PASSWORD}}" }}
subject = "[{{light}}] Checkout v2 at {{time}}"

[status-updates]
every = "1h"
channels = ["team", "ops", "page", "email"]
state = "In progress"
template = "{{light}} at {{time}}: {{percent}} done, running {{running}}, next {{next}}, finish ~{{eta}}"
"##
    );
    let path = dir.join("night.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The status turns Amber once the plan runs a minute late (rehearsal clock), and one
/// update reaches all four channels in their own forms; each answer is journaled, and the
/// SMTP password is nowhere in the run directory.
#[test]
fn a_late_plan_turns_amber_and_one_update_reaches_four_channels() {
    if !Smtpd::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("mail");
    std::fs::create_dir(&maildir).unwrap();
    let smtpd = Smtpd::start(&maildir);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (addr, posts) = webhooks(&runtime);
    let rb = runbook(dir.path(), smtpd.port);
    let run_dir = dir.path().join("run");
    let hooks = format!("http://{addr}");
    let mut s = Screen::start_with_env(
        &[
            "rehearse",
            rb.to_str().unwrap(),
            "--speed",
            "30",
            "--run-dir",
            run_dir.to_str().unwrap(),
        ],
        &[("HOOKS", &hooks), ("SMTP_PASSWORD", SMTP_PASSWORD)],
        30,
        120,
        tempfile::tempdir().unwrap(),
    );
    s.wait_for("● GREEN", 20);
    // T+1m passes with the switch not started: a minute late is Amber.
    s.wait_for("● AMBER", 30);
    s.keys("U");
    s.wait_for("Status update", 5);
    let modal = s.wait_for("email (email to ops@example.com", 5);
    assert!(modal.contains("team (slack webhook)"), "{modal}");
    s.keys("\r");
    s.wait_for("Sent to team, ops, page, email", 20);
    s.keys("q");
    assert!(s.wait_exit(10));

    let posts = posts.lock().unwrap().clone();
    let body = |hook: &str| {
        posts
            .iter()
            .find(|(h, _)| h == hook)
            .map(|(_, b)| b.clone())
            .unwrap_or_else(|| panic!("nothing posted to {hook}: {posts:?}"))
    };
    let team = body("team");
    let text = team["text"].as_str().unwrap().to_owned();
    assert!(text.starts_with("Amber at "), "{text}");
    assert!(
        text.contains(": 0% done, running none, next Switch traffic at T+1m"),
        "{text}"
    );
    assert!(text.contains(", finish ~"), "{text}");
    assert_eq!(
        team.as_object().unwrap().len(),
        1,
        "slack: only text: {team}"
    );
    let ops = body("ops");
    assert_eq!(ops["text"], text.as_str());
    assert_eq!(ops["runbook"], "Checkout v2");
    assert!(ops["at"].as_str().unwrap().ends_with('Z'), "{ops}");
    let page = body("page");
    assert_eq!(page["state"], "In progress");
    assert_eq!(page["message"], text.as_str());

    // The email: through the SMTP server, logged in, to both addresses, the subject filled.
    let logins = std::fs::read_to_string(maildir.join("logins")).unwrap();
    assert_eq!(logins.trim(), "warroom ok");
    let mail = std::fs::read_to_string(maildir.join("1.eml")).unwrap();
    assert!(
        mail.starts_with("X-Rcpt: ops@example.com,lead@example.com"),
        "{mail}"
    );
    assert!(mail.contains("Subject: [Amber] Checkout v2 at "), "{mail}");
    assert!(
        mail.contains("From: warroom <warroom@example.com>"),
        "{mail}"
    );
    assert!(mail.contains("running none, next Switch traffic"), "{mail}");

    let records = warroom::journal::read(&run_dir.join("journal.jsonl"))
        .unwrap()
        .0;
    let mut answered: Vec<String> = records
        .iter()
        .filter_map(|r| match &r.event {
            warroom::app::Event::StatusUpdateDelivered { channel, error } => {
                assert_eq!(*error, None, "{channel}");
                Some(channel.clone())
            }
            _ => None,
        })
        .collect();
    answered.sort();
    assert_eq!(answered, ["email", "ops", "page", "team"]);
    for entry in std::fs::read_dir(&run_dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !String::from_utf8_lossy(&bytes).contains(SMTP_PASSWORD),
                "{} holds the SMTP password",
                path.display()
            );
        }
    }
    drop(smtpd);
}

/// A declared incident is at level 1 with its response time running; when the error count
/// passes 50 the third level's condition reaches it at once (not its age), journaled, its
/// two-minute response time on the header and its duties on `C`.
#[test]
fn an_escalation_level_is_reached_by_its_condition() {
    let dir = tempfile::tempdir().unwrap();
    let value = dir.path().join("errors");
    std::fs::write(&value, "3\n").unwrap();
    let rb = dir.path().join("escalation.toml");
    std::fs::write(
        &rb,
        format!(
            r#"[runbook]
name = "Escalation"

[[kpi]]
id = "errors"
label = "Errors"
interval = "1s"
command = ["cat", "{}"]

[[phase]]
id = "night"
title = "The night"

[[phase.step]]
id = "switch"
title = "Switch traffic"
run = ["true"]

[[contact]]
role = "VP Engineering"
name = "Vera"
phone = "+1-555-0199"
email = "vera@example.com"
escalation-level = 3

[[escalation.level]]
respond-within = "5m"
duties = "Acknowledge in #incident"

[[escalation.level]]
after = "30m"
respond-within = "10m"

[[escalation.level]]
when = "errors > 50"
respond-within = "2m"
duties = "Page the VP; open the bridge"
"#,
            value.display()
        ),
    )
    .unwrap();
    let run_dir = dir.path().join("run");
    let mut s = Screen::run(&rb, &run_dir, 30, 120);
    s.wait_for("Switch traffic", 20);
    s.keys("I");
    s.wait_for("Declare an incident", 5);
    s.keys("checkout errors climbing\r");
    let first = s.wait_for("INCIDENT L1", 10);
    assert!(
        first.contains("respond 4m5") || first.contains("respond 5m"),
        "{first}"
    );
    std::fs::write(&value, "80\n").unwrap();
    let third = s.wait_for("INCIDENT L3", 15);
    assert!(
        third.contains("respond 1m5") || third.contains("respond 2m"),
        "{third}"
    );
    s.keys("C");
    let contacts = s.wait_for("Duties: Page the VP; open the bridge", 5);
    assert!(contacts.contains("Respond within 2m:"), "{contacts}");
    assert!(
        contacts.contains("▶ L3 VP Engineering · Vera"),
        "{contacts}"
    );
    assert!(contacts.contains("+1-555-0199"), "{contacts}");
    assert!(contacts.contains("L3 when errors > 50"), "{contacts}");
    s.keys("\x1b");
    s.keys("q");
    assert!(s.wait_exit(10));
    let records = warroom::journal::read(&run_dir.join("journal.jsonl"))
        .unwrap()
        .0;
    let levels: Vec<u8> = records
        .iter()
        .filter_map(|r| match &r.event {
            warroom::app::Event::IncidentOpened { level, .. } => *level,
            warroom::app::Event::EscalationReached { level } => Some(*level),
            _ => None,
        })
        .collect();
    assert_eq!(levels, [1, 3], "level 2 (by age) never came: {records:?}");
}

/// `check` says what is wrong with each new part, and where (issue 27, part 8).
#[test]
fn check_points_at_each_mistake_in_the_new_sections() {
    let text = r##"[runbook]
name = "Mistakes"

[[kpi]]
id = "errors"
label = "Errors"
command = ["echo", "1"]

[[phase]]
id = "p"
title = "P"

[[phase.step]]
id = "s"
title = "S"
run = ["true"]

[status]
levels = [
  { name = "Green", color = "green" },
  { name = "Red", color = "scarlet", when = "late_mins > 5" },
]

[channel.team]
webhook = "https://hooks.example/services/T0/B0/plain"
format = "markdown"

[channel.mail]
smtp = { host = "smtp.example.com", port = 70000, from = "warroom", to = [], password = "hunter2" }

[status-updates]
every = "15m"
channels = ["team", "pager"]

[[escalation.level]]
respond-within = "5m"

[[escalation.level]]
duties = "Page the VP"

[[summary]]
id = "e"
kpi = "errors"
aggregate = "median"
target = "1"

[[summary]]
id = "r"
record = "p99"
target = "< 250"
"##;
    let errs = warroom::runbook::load_str(Path::new("mistakes.toml"), text).expect_err("mistakes");
    let said = |key: &str, line: usize, words: &str| {
        assert!(
            errs.iter()
                .any(|e| e.key == key && e.line == line && e.message.contains(words)),
            "no `{words}` at {key} line {line}: {errs:#?}"
        );
    };
    said("status.levels[0]", 20, "always matches");
    said("status.levels[1].color", 21, "`scarlet` is not a colour");
    said(
        "status.levels[1].when",
        21,
        "`late_mins` is neither a KPI id",
    );
    said("channel.team.webhook", 25, "a webhook URL is a secret");
    said(
        "channel.team.format",
        26,
        "`markdown` is not a format: one of slack, json, text",
    );
    said("channel.mail.smtp.port", 29, "`70000` is not a port");
    said("channel.mail.smtp.to", 29, "at least one address");
    said("channel.mail.smtp", 29, "`warroom` is not an email address");
    said(
        "channel.mail.smtp.password",
        29,
        "a password lives in the environment",
    );
    said(
        "status-updates.channels",
        33,
        "`pager` is not a `[channel.NAME]` (there are: mail, team)",
    );
    said("escalation.level[1]", 38, "level 2 is never reached");
    said("summary[0].aggregate", 44, "`median` is not an aggregate");
    said("summary[0].target", 45, "a target starts with <");
    said(
        "summary[1].record",
        49,
        "no step has `record = { id = \"p99\" }`",
    );
}

//! `warroom import`: the three reference playbooks (docs/playbooks/, as the teams wrote
//! them) become drafts `warroom check` accepts,
//! carrying what the documents hold (counts taken by hand from each document, by section),
//! and bad input gets a clear error or a draft, never a panic.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn warroom(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(args)
        .output()
        .expect("warroom runs")
}

fn seed(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs/playbooks")
        .join(name)
}

/// What a draft holds, counted from the TOML it is.
#[derive(Debug, PartialEq, Eq)]
struct Counts {
    phases: usize,
    steps: usize,
    timed: usize,
    checks: usize,
    /// Steps with a command, and the command lines they carry in all.
    commanded: usize,
    command_lines: usize,
    rules: usize,
    contacts: usize,
}

fn counts(draft: &toml::Value) -> Counts {
    let empty = Vec::new();
    let list =
        |v: Option<&toml::Value>| v.and_then(toml::Value::as_array).unwrap_or(&empty).clone();
    let phases = list(draft.get("phase"));
    let steps: Vec<toml::Value> = phases.iter().flat_map(|p| list(p.get("step"))).collect();
    let shells: Vec<&str> = steps
        .iter()
        .filter_map(|s| s.get("shell").and_then(toml::Value::as_str))
        .collect();
    Counts {
        phases: phases.len(),
        steps: steps.len(),
        timed: steps.iter().filter(|s| s.get("at").is_some()).count(),
        checks: phases.iter().map(|p| list(p.get("check")).len()).sum(),
        commanded: shells.len(),
        command_lines: shells.iter().map(|s| s.lines().count()).sum(),
        rules: list(draft.get("rule")).len(),
        contacts: list(draft.get("contact")).len(),
    }
}

/// Imports `doc` to a file, asserts `warroom check` accepts it, and returns it parsed.
fn import_and_check(doc: &Path) -> (toml::Value, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("draft.toml");
    let run = warroom(&["import", doc.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let summary = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(run.status.success(), "import failed: {summary}");
    let check = warroom(&["check", out.to_str().unwrap()]);
    assert!(
        check.status.success(),
        "check refused the draft: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    let text = std::fs::read_to_string(&out).unwrap();
    (toml::from_str(&text).unwrap(), text, summary)
}

/// The lines of `doc` with a word (four letters or more) that is nowhere in `draft`: what
/// the import would have lost. A fence's language tag is markup, not content.
fn lost_lines(doc: &str, draft: &str) -> Vec<String> {
    let draft = draft.to_lowercase();
    doc.lines()
        .filter(|l| !l.trim_start().starts_with("```"))
        .filter(|l| {
            l.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '\'' || c == '-'))
                .filter(|w| w.len() >= 4 && w.starts_with(|c: char| c.is_ascii_alphabetic()))
                .any(|w| !draft.contains(&w.to_lowercase()))
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn nothing_of_the_reference_playbooks_is_lost() {
    for name in ["phase5-go-live.md", "blue-green-switch.md", "launch-day.md"] {
        let doc = std::fs::read_to_string(seed(name)).unwrap();
        let (_, draft, _) = import_and_check(&seed(name));
        let lost = lost_lines(&doc, &draft);
        assert!(lost.is_empty(), "{name}: lines with words lost: {lost:#?}");
    }
    // And the check itself sees a loss.
    assert_eq!(
        lost_lines("keep this\nand also this", "keep this"),
        ["and also this"]
    );
}

#[test]
fn phase5_go_live_imports_with_its_timeline_checklist_and_commands() {
    let doc = seed("phase5-go-live.md");
    let (draft, text, summary) = import_and_check(&doc);
    assert_eq!(
        counts(&draft),
        Counts {
            // §2 the evening before; §3 Phases 1-6; §4 the summary. §7's rollback is
            // `[rollback]`.
            phases: 8,
            steps: 43,
            // §2 `T-6 hours before deployment`; §3 `T-15 minutes: Early Warning` and the 36
            // `01:45 UTC - …` / `02:00:15 - …` entries of Phases 1-6; §4's five `T+1.5m → …`
            // to `T+120m → …` (its `T+0 (02:00) →` begins with its clock time, a heading).
            timed: 43,
            // §2's eight `- [ ]` items.
            checks: 8,
            // The 21 `Command: $ …` lines of §3, one per entry, and §2's
            // `$ ./scripts/pre-deployment-checklist.sh`; §7's four are the rollback's, and
            // §8's listing of all the scripts belongs to no step and is kept as comments.
            commanded: 22,
            command_lines: 22,
            // The five alert rules of 02:00:30 give a threshold but no duration: comments.
            rules: 0,
            contacts: 0,
        }
    );
    // The date and T+0 (02:00 UTC) fix T0; owners come from `Team:` and `Authority:`.
    assert_eq!(
        draft["runbook"]["t0"].as_str(),
        Some("2026-02-08T02:00:00Z")
    );
    assert!(
        text.contains("owner = \"Deployment Lead + PMO Lead\""),
        "{text}"
    );
    // Arabic passes through intact, as does the emoji.
    assert!(text.contains("الليل السابق (Feb 7 Evening, 20:00 UTC)"));
    assert!(text.contains("Checkpoint 5: Deployment Complete ✅"));
    // §8's script listing is not lost: every line of it is a comment.
    assert!(text.contains("./scripts/load-test-2000tps.sh"));
    assert!(
        summary
            .contains("8 phases, 43 steps (43 with a time, 22 with a command), 8 checklist items"),
        "{summary}"
    );
    // §7 "Rollback Plan": `Step 1: Announce Rollback` is done by hand, so the procedure
    // pauses before step 2 for it; steps 2-5 run their scripts.
    let rollback = draft["rollback"]["step"].as_array().unwrap();
    let shells: Vec<&str> = rollback
        .iter()
        .map(|s| s["shell"].as_str().unwrap())
        .collect();
    assert_eq!(
        shells,
        [
            "./scripts/disable-phase5-routing.sh",
            "./scripts/restore-phase4-backup.sh",
            "./scripts/disable-phase5-systems.sh",
            "./scripts/verify-phase4-health.sh"
        ]
    );
    assert_eq!(rollback[0]["confirm"].as_str(), Some("yes-no"));
    assert!(rollback[1].get("confirm").is_none());
    assert!(
        text.contains("by hand: Announce Rollback (01:00)"),
        "{text}"
    );
    // `01:58 UTC - Final Go/No-Go` with `Authority: Deployment Lead + PMO Lead`: a gate
    // they decide, before the step after it.
    let gate = &draft["gate"][0];
    assert_eq!(gate["title"].as_str(), Some("Final Go/No-Go"));
    assert_eq!(
        gate["approvers"].as_array().unwrap(),
        &vec![
            toml::Value::from("Deployment Lead"),
            toml::Value::from("PMO Lead")
        ]
    );
    // §9 "Approvals", a table in two languages: each role signs the close.
    let roles: Vec<&str> = draft["close"]["sign-off"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles.len(), 3);
    assert!(roles[0].starts_with("Deployment Lead ("), "{roles:?}");
    assert!(roles[2].starts_with("PMO Lead ("), "{roles:?}");
}

#[test]
fn blue_green_manual_imports_with_checklists_rules_and_cadence() {
    let doc = seed("blue-green-switch.md");
    let (draft, text, summary) = import_and_check(&doc);
    assert_eq!(
        counts(&draft),
        Counts {
            // The sections holding a timed entry or a checklist (Phase 2: checklist, Hour
            // -1:00, Hour 0:00, Post-Phase 2; Phase 3: timeline, checklist, go/no-go,
            // post; Phase 4: timeline, checklist, go/no-go; the rollback; Phase 5; the
            // final checklist; the rollback is `[rollback]`, not a phase).
            phases: 13,
            timed: 28,
            // The 28 timed; the rollback's four `# STEP N:` comments are its procedure.
            steps: 28,
            // 38 `- [ ]`, 6 `□` of Phase 4's sign-offs. The 5 `☑` of Phase 3's go/no-go
            // are its criteria, kept; the 5 `□ DevOps Lead:` … of Phase 4's go/no-go are
            // its approvers.
            checks: 44,
            // The only command, `cd …` and `bash alawael-phase4-production-rollback.sh`
            // under `# STEP 1`, is the rollback's; the other shell blocks hold comments.
            commanded: 0,
            command_lines: 0,
            // When to roll back: `Error rate > 2% (sustained for 2 min)`, `Response time
            // > 1000ms (sustained for 2 min)`.
            rules: 2,
            contacts: 0,
        }
    );
    let rules = draft["rule"].as_array().unwrap();
    assert_eq!(rules[0]["expr"].as_str(), Some("error_rate > 2"));
    assert_eq!(rules[0]["for"].as_str(), Some("2m"));
    assert_eq!(rules[1]["expr"].as_str(), Some("response_time > 1000"));
    // Each rule's KPI is a placeholder the summary names by line.
    assert_eq!(draft["kpi"].as_array().unwrap().len(), 2);
    assert!(
        summary.contains("line  586: the source of KPI `error_rate`"),
        "{summary}"
    );
    // "Communicate status every 5 minutes".
    assert_eq!(draft["status-updates"]["every"].as_str(), Some("5m"));
    // `10:00-10:30 AM` is a time and a duration.
    let steps: Vec<&toml::Value> = draft["phase"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| {
            p.get("step")
                .and_then(toml::Value::as_array)
                .into_iter()
                .flatten()
        })
        .collect();
    let script = steps
        .iter()
        .find(|s| s["title"].as_str() == Some("Script execution (watch for errors)"))
        .unwrap();
    assert_eq!(script["at"].as_str(), Some("10:00"));
    assert_eq!(script["duration"].as_str(), Some("30m"));
    // "How to Rollback": its one command is the rollback procedure's step; the steps done
    // by hand after it (verify, confirm, status update) are beside it as comments.
    let rollback = draft["rollback"]["step"].as_array().unwrap();
    assert_eq!(rollback.len(), 1);
    assert!(
        rollback[0]["shell"]
            .as_str()
            .unwrap()
            .contains("bash alawael-phase4-production-rollback.sh")
    );
    assert!(
        text.contains("by hand: Verify rollback (takes 10 seconds)"),
        "{text}"
    );
    // "GO/NO-GO DECISION (30 min before Phase 4)": its five approvers decide a gate
    // before Phase 4 starts.
    let gate = &draft["gate"][0];
    assert_eq!(gate["approvers"].as_array().unwrap().len(), 5, "{gate:?}");
    assert_eq!(gate["approvers"][0].as_str(), Some("DevOps Lead"));
    assert_eq!(
        gate["before"].as_str(),
        Some("phase-4-start-go-no-go-decision")
    );
    assert!(
        summary.contains("a rollback procedure of 1 step, 1 go/no-go gate"),
        "{summary}"
    );
}

#[test]
fn launch_day_imports_its_boxed_timeline_checklists_and_procedures() {
    let doc = seed("launch-day.md");
    let (draft, _, _) = import_and_check(&doc);
    assert_eq!(
        counts(&draft),
        Counts {
            // §1.1-1.5, §2.2, §2.3, §3.3, §6.1, §6.2; §3.2's quick rollback is
            // `[rollback]` (the first rollback procedure), §3.3's stays a phase.
            phases: 10,
            // 42 timed; §2.2's four `Step N:` and §3.3's seven `STEP N:`; and three
            // commands that follow a step's description rather than its title, each a step
            // of its own (`Run kubectl rollout status …`).
            steps: 58,
            // §1.1's box: 28 `09:00  Final staging verification` entries; the four
            // checklist boxes `T-24 HOUR PRE-LAUNCH CHECKLIST` … `T-1 HOUR`; §6.1's table,
            // 7 rows `T+1hr` … `T+1 week`; §6.2's `T+1hr`, `T+24hr`, `T+1 Week Criteria:`.
            timed: 42,
            // Every `□` item: 32 + 23 + 21 + 13 in §1.2-1.5 (the six attendees of the
            // GO/NO-GO meeting are its approvers), 9 in §2.2, 15 in §2.3, 7 in §3.3, 14 in
            // §6.2; §3.2's five verification items are comments of the rollback.
            checks: 134,
            // The 18 `$ …` lines of §2.2, §2.3 and §3.3, in 14 steps; §3.2's six in five
            // are the rollback procedure's.
            commanded: 14,
            command_lines: 18,
            // §3.1: `Error rate >5% sustained for 5+ minutes`; `2-5%` and `2x baseline`
            // are not a comparison with a number.
            rules: 1,
            contacts: 0,
        }
    );
    // The 6.1 table: the time column is the checkpoint, the title its focus, the owner
    // its participants.
    let review = draft["phase"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["title"].as_str() == Some("6.1 Post-Launch Review Schedule"))
        .unwrap();
    let first = &review["step"][0];
    assert_eq!(first["at"].as_str(), Some("T+1h"));
    assert_eq!(first["title"].as_str(), Some("Immediate stability"));
    assert_eq!(first["owner"].as_str(), Some("War room team"));
    assert_eq!(review["step"][6]["at"].as_str(), Some("T+7d"));
    // §3.2 "Quick Rollback": its commands are the procedure; `STEP 1: Announce Rollback`
    // by hand makes the first pause for it.
    let rollback = draft["rollback"]["step"].as_array().unwrap();
    assert_eq!(rollback.len(), 5);
    assert_eq!(
        rollback[0]["shell"].as_str(),
        Some("./scripts/feature-flags.sh kill-all")
    );
    assert_eq!(rollback[0]["confirm"].as_str(), Some("yes-no"));
    // The GO/NO-GO meeting's attendees decide a gate.
    let gate = &draft["gate"][0];
    assert_eq!(
        gate["title"].as_str(),
        Some("GO/NO-GO Decision Meeting (08:00)")
    );
    assert_eq!(gate["approvers"].as_array().unwrap().len(), 6);
    assert_eq!(
        gate["approvers"][0].as_str(),
        Some("Launch Commander (Lead)")
    );
}

#[test]
fn a_written_table_plan_with_contacts_and_rules_imports_field_by_field() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("plan.md");
    std::fs::write(
        &doc,
        "# Checkout v2 cutover\n\
         \n\
         Date: 2026-03-01. Status updates every 15 minutes.\n\
         \n\
         ## Cutover\n\
         \n\
         | Time (UTC) | Task | Owner |\n\
         |---|---|---|\n\
         | 22:00-22:45 | Freeze deploys | Dana |\n\
         | 23:00 | Switch traffic \"green\" | Sam |\n\
         \n\
         ```bash\n\
         ./switch.sh --to green\n\
         ```\n\
         \n\
         - [ ] Backups verified\n\
         - [x] Change ticket approved\n\
         \n\
         ## Rollback criteria\n\
         \n\
         | Signal | Threshold |\n\
         |---|---|\n\
         | p95 latency > 800 ms for 10 minutes | roll back |\n\
         \n\
         معدل الخطأ > 3% for 5 minutes\n\
         \n\
         ## Contacts\n\
         \n\
         | Level | Role | Name | Phone |\n\
         |---|---|---|---|\n\
         | L1 | On-call SRE | Ana | +1-555-0100 |\n\
         | L2 | Engineering manager | Bo | +1-555-0101 |\n",
    )
    .unwrap();
    let (draft, _, _) = import_and_check(&doc);
    let phase = &draft["phase"][0];
    assert_eq!(phase["title"].as_str(), Some("Cutover"));
    let freeze = &phase["step"][0];
    assert_eq!(freeze["at"].as_str(), Some("22:00"));
    assert_eq!(freeze["duration"].as_str(), Some("45m"));
    assert_eq!(freeze["owner"].as_str(), Some("Dana"));
    let switch = &phase["step"][1];
    assert_eq!(switch["title"].as_str(), Some("Switch traffic \"green\""));
    assert_eq!(switch["shell"].as_str(), Some("./switch.sh --to green"));
    // The fenced command is the step's, never run by the import; confirm stays default.
    assert!(switch.get("confirm").is_none());
    assert_eq!(phase["check"].as_array().unwrap().len(), 2);
    assert_eq!(
        draft["runbook"]["t0"].as_str(),
        Some("2026-03-01T00:00:00Z")
    );
    assert_eq!(draft["status-updates"]["every"].as_str(), Some("15m"));
    let rule = &draft["rule"][0];
    assert_eq!(rule["expr"].as_str(), Some("p95_latency > 800"));
    assert_eq!(rule["for"].as_str(), Some("10m"));
    // A metric named in Arabic keeps its name as the label and gets an id of letters.
    assert_eq!(draft["rule"][1]["expr"].as_str(), Some("metric_2 > 3"));
    let kpi = &draft["kpi"][1];
    assert_eq!(kpi["id"].as_str(), Some("metric_2"));
    assert_eq!(kpi["label"].as_str(), Some("معدل الخطأ"));
    let contacts = draft["contact"].as_array().unwrap();
    assert_eq!(contacts.len(), 2);
    assert_eq!(contacts[0]["role"].as_str(), Some("On-call SRE"));
    assert_eq!(contacts[0]["name"].as_str(), Some("Ana"));
    assert_eq!(contacts[0]["reach"].as_str(), Some("+1-555-0100"));
    assert_eq!(contacts[1]["escalation-level"].as_integer(), Some(2));
}

#[test]
fn bad_input_gets_a_clear_error_or_a_draft_never_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    // A binary file: refused, saying what and where.
    std::fs::write(path("bin.md"), [0x7f, b'E', b'L', b'F', 0, 1, 2]).unwrap();
    let run = warroom(&["import", path("bin.md").to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(2));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("NUL byte at offset 4") && err.contains("binary file"),
        "{err}"
    );
    // Latin-1, not UTF-8.
    std::fs::write(path("latin1.md"), b"# Caf\xe9\n").unwrap();
    let run = warroom(&["import", path("latin1.md").to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&run.stderr)
            .contains("not UTF-8 text: an invalid byte at offset 5 (line 1)")
    );
    // A missing file.
    let run = warroom(&["import", path("none.md").to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("none.md"));
    // Malformed Markdown: an unclosed fence, a broken table, deep nesting, stray HTML.
    let mut bad = String::from("## Broken\n| a | b\n|---\n| 10:00 | x | y | z |\n<div><b>\n");
    for depth in 0..200 {
        bad.push_str(&"  ".repeat(depth));
        bad.push_str("- [ ] nested 09:00 - deep\n");
    }
    bad.push_str("```bash\n$ echo never closed\n");
    std::fs::write(path("bad.md"), &bad).unwrap();
    let (_, _, summary) = import_and_check(&path("bad.md"));
    assert!(summary.contains("Recognised:"), "{summary}");
    // No structure at all: said plainly, and a minimal draft that still checks.
    std::fs::write(path("prose.md"), "Just some prose about the weather.\n").unwrap();
    let (draft, text, summary) = import_and_check(&path("prose.md"));
    assert!(summary.contains("No structure recognised"), "{summary}");
    assert!(
        text.contains("# "),
        "the prose is kept as a comment: {text}"
    );
    assert_eq!(draft["runbook"]["name"].as_str(), Some("prose.md"));
    // An existing output is not overwritten without --force.
    std::fs::write(path("keep.toml"), "precious").unwrap();
    let run = warroom(&[
        "import",
        path("prose.md").to_str().unwrap(),
        "-o",
        path("keep.toml").to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("--force"));
    assert_eq!(
        std::fs::read_to_string(path("keep.toml")).unwrap(),
        "precious"
    );
}

#[test]
fn a_ten_megabyte_document_imports() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("big.md");
    let big = |mb: usize| {
        let mut text = String::with_capacity((mb + 1) << 20);
        let mut n = 0;
        while text.len() < mb << 20 {
            text.push_str(&format!(
                "## Section {n}\n\n| Time | Task |\n|---|---|\n| {:02}:{:02} | Task {n} |\n\n- [ ] check {n}\n\nSome prose that is kept as a comment, line {n}.\n\n",
                n / 60 % 24,
                n % 60
            ));
            n += 1;
        }
        (text, n)
    };
    // Ten megabytes import; their draft (23 MB) is more than a runbook may be, and `check`
    // says so before reading it.
    let (text, _) = big(10);
    std::fs::write(&doc, &text).unwrap();
    let draft = dir.path().join("draft.toml");
    let run = warroom(&[
        "import",
        doc.to_str().unwrap(),
        "-o",
        draft.to_str().unwrap(),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let check = warroom(&["check", draft.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&check.stderr);
    assert_eq!(check.status.code(), Some(2), "{said}");
    assert!(
        said.contains("larger than the 16 MB a runbook may be"),
        "{said}"
    );
    // Six megabytes import, and their draft is checked whole.
    let (text, n) = big(6);
    std::fs::write(&doc, &text).unwrap();
    let (draft, _, _) = import_and_check(&doc);
    assert_eq!(counts(&draft).checks, n);
    assert_eq!(counts(&draft).timed, n);
}

/// A step whose script follows a log forever gets a timeout; one that asks its operator on
/// a terminal (`read`) gets the phrase it waits for, which warroom asks instead.
#[test]
fn a_following_command_gets_a_timeout_and_a_prompt_its_phrase() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("plan.md");
    std::fs::write(
        &doc,
        "# Gateway cutover\n\nDate: 2026-03-01.\n\n## Cutover\n\n| Time (UTC) | Task |\n|---|---|\n| 23:00 | Watch the gateway logs |\n\n```bash\nkubectl logs -f deploy/gateway\n```\n\n| Time (UTC) | Task |\n|---|---|\n| 23:10 | Roll back the gateway |\n\n```bash\necho 'Type ROLLBACK'\nread CONFIRM\n[ \"$CONFIRM\" = \"ROLLBACK\" ] || exit 1\n./rollback.sh\n```\n",
    )
    .unwrap();
    let (draft, text, _) = import_and_check(&doc);
    assert!(
        text.contains("timeout = \"5m\"  # TODO: this command never exits"),
        "{text}"
    );
    assert!(
        text.contains("phrase = \"ROLLBACK\"  # TODO: the script asks"),
        "{text}"
    );
    let steps: Vec<&toml::Value> = draft["phase"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["step"].as_array().unwrap())
        .collect();
    assert!(steps.iter().any(|s| s.get("timeout").is_some()), "{text}");
    assert!(
        steps
            .iter()
            .any(|s| s.get("phrase").and_then(|p| p.as_str()) == Some("ROLLBACK")),
        "{text}"
    );
}

/// T0's date is the deployment's, not the document's own "Last updated" date.
#[test]
fn t0_comes_from_the_deployment_date_not_the_last_update() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("plan.md");
    std::fs::write(
        &doc,
        "# Gateway launch\n\nLast updated: 2026-01-15\n\nOwner: the platform team, since 2025-11-02.\n\nDeployment window: 2026-03-07, 22:00-02:00 UTC.\n\n## Launch\n\n| Time (UTC) | Task |\n|---|---|\n| 22:00 | Start |\n",
    )
    .unwrap();
    let (draft, text, _) = import_and_check(&doc);
    let t0 = draft["runbook"]["t0"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(t0.starts_with("2026-03-07"), "{t0}\n{text}");
}

/// A procedure numbered by section (`Step 1.1`) is read as steps, a sign-off table under
/// `## Sign-off` becomes the close's roles, and `-o draft.toml` (a bare name) is written
/// in the current directory.
#[test]
fn numbered_steps_a_sign_off_table_and_a_draft_beside_the_document() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("plan.md"),
        "# Cutover\n\n## Procedure\n\nStep 1.1: Drain the old pool (5 min)\n\n\
         $ ./drain.sh\n\nStep 1.2: Switch traffic\n\n$ ./switch.sh\n\n\
         ## Sign-off\n\n| Role | Name | Signature |\n|---|---|---|\n\
         | Change Manager | | |\n| SRE Lead | | |\n",
    )
    .unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["import", "plan.md", "-o", "draft.toml"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let text = std::fs::read_to_string(dir.path().join("draft.toml")).unwrap();
    let draft: toml::Value = toml::from_str(&text).unwrap();
    let steps = draft["phase"][0]["step"].as_array().unwrap();
    let titles: Vec<&str> = steps.iter().map(|s| s["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Drain the old pool (5 min)", "Switch traffic"]);
    assert_eq!(steps[0]["duration"].as_str(), Some("5m"));
    assert_eq!(steps[1]["shell"].as_str(), Some("./switch.sh"));
    let roles: Vec<&str> = draft["close"]["sign-off"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["Change Manager", "SRE Lead"]);
}

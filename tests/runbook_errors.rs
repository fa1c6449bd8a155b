//! Every class of runbook error, with the line and column the operator is pointed to.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::path::Path;

use warroom::runbook::{Diagnostic, Level, load_str};

const HEAD: &str = "[runbook]\nname = \"t\"\n";

fn errors(text: &str) -> Vec<Diagnostic> {
    match load_str(Path::new("rb.toml"), text) {
        Ok((_, warnings)) => {
            panic!("expected errors, got a valid runbook (warnings: {warnings:?})")
        }
        Err(d) => d.into_iter().filter(|d| d.level == Level::Error).collect(),
    }
}

fn warnings(text: &str) -> Vec<Diagnostic> {
    match load_str(Path::new("rb.toml"), text) {
        Ok((_, w)) => w,
        Err(d) => panic!("expected a valid runbook, got {d:#?}"),
    }
}

/// The one error, asserting where it points and what it says.
#[track_caller]
fn assert_one(text: &str, line: usize, column: usize, key: &str, says: &str) {
    let errs = errors(text);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    let e = &errs[0];
    assert_eq!((e.line, e.column), (line, column), "{e}");
    assert_eq!(e.key, key, "{e}");
    assert!(
        e.message.contains(says),
        "`{}` should contain `{says}`",
        e.message
    );
    assert!(
        e.to_string()
            .starts_with(&format!("rb.toml:{line}:{column}: error: ")),
        "{e}"
    );
}

#[test]
fn toml_syntax_error() {
    assert_one(
        &format!("{HEAD}[[kpi]\nid = 1\n"),
        3,
        7,
        "",
        "TOML syntax: unclosed array table",
    );
}

#[test]
fn unknown_key_typo() {
    let text = format!(
        "{HEAD}[[phase]]\nid = \"p\"\ntitle = \"P\"\n[[phase.step]]\nid = \"s\"\ntitle = \"S\"\ntiemout = \"5m\"\n"
    );
    assert_one(&text, 9, 1, "phase[p].tiemout", "unknown key `tiemout`");
}

#[test]
fn unknown_section() {
    assert_one(
        &format!("{HEAD}[rolback]\nrun = [\"x\"]\n"),
        3,
        2,
        "rolback",
        "unknown section `rolback`",
    );
}

#[test]
fn wrong_type() {
    let text = format!("{HEAD}[[kpi]]\nid = \"x\"\ncommand = [\"echo\"]\nwarning = \"high\"\n");
    assert_one(&text, 6, 11, "kpi[x].warning", "wrong type");
}

#[test]
fn bad_duration() {
    let text =
        format!("{HEAD}[[kpi]]\nid = \"x\"\ncommand = [\"echo\"]\ninterval = \"5 minutes\"\n");
    assert_one(&text, 6, 12, "kpi[x].interval", "unknown unit");
}

#[test]
fn bad_planned_time() {
    let text = format!(
        "{HEAD}[[phase]]\nid = \"p\"\ntitle = \"P\"\n[[phase.step]]\nid = \"s\"\ntitle = \"S\"\nat = \"T*5m\"\n"
    );
    assert_one(&text, 9, 6, "phase[p].step[s].at", "not a planned time");
}

#[test]
fn clock_time_needs_a_fixed_t0() {
    let text = format!(
        "{HEAD}[[phase]]\nid = \"p\"\ntitle = \"P\"\n[[phase.step]]\nid = \"s\"\ntitle = \"S\"\nat = \"02:00:15\"\n"
    );
    assert_one(&text, 9, 6, "phase[p].step[s].at", "needs a fixed `t0`");
}

#[test]
fn thresholds_out_of_order() {
    let text =
        format!("{HEAD}[[kpi]]\nid = \"x\"\ncommand = [\"echo\"]\nwarning = 5\ncritical = 1\n");
    assert_one(&text, 7, 12, "kpi[x].critical", "out of order");
}

#[test]
fn duplicate_ids() {
    let text = format!(
        "{HEAD}[[kpi]]\nid = \"x\"\ncommand = [\"echo\"]\n[[kpi]]\nid = \"x\"\ncommand = [\"echo\"]\n"
    );
    assert_one(
        &text,
        7,
        6,
        "kpi[1].id",
        "duplicate KPI id `x` (first defined on line 4)",
    );
}

#[test]
fn undefined_references() {
    let text = format!(
        "{HEAD}[[rule]]\nid = \"r\"\nexpr = \"error_rate > 1\"\n[[gate]]\nid = \"g\"\ntitle = \"G\"\napprovers = [\"a\"]\nbefore = \"nope\"\n"
    );
    let errs = errors(&text);
    assert_eq!(errs.len(), 2, "{errs:#?}");
    assert_eq!((errs[0].line, errs[0].column), (5, 9));
    assert!(errs[0].message.contains("`error_rate` is not a KPI id"));
    assert_eq!((errs[1].line, errs[1].column), (10, 10));
    assert!(errs[1].message.contains("`nope` is not a step id"));
}

#[test]
fn undefined_endpoint_in_rule() {
    let text = format!("{HEAD}[[rule]]\nid = \"r\"\nexpr = \"endpoint(api-green) == down\"\n");
    assert_one(
        &text,
        5,
        18,
        "rule[r].expr",
        "`api-green` is not an endpoint id",
    );
}

#[test]
fn rule_expression_that_does_not_parse() {
    let text = format!(
        "{HEAD}[[kpi]]\nid = \"x\"\ncommand = [\"echo\"]\n[[rule]]\nid = \"r\"\nexpr = \"x = 1\"\n"
    );
    assert_one(&text, 8, 11, "rule[r].expr", "use `==`");
}

#[test]
fn missing_runbook_section() {
    let errs = errors("[[kpi]]\nid = \"x\"\ncommand = [\"echo\"]\n");
    assert_eq!(errs.len(), 1);
    assert_eq!((errs[0].line, errs[0].column), (1, 1));
    assert!(errs[0].message.contains("missing the `[runbook]` section"));
}

#[test]
fn several_errors_are_all_reported() {
    let text = format!(
        "{HEAD}[[kpi]]\nid = \"a\"\ncommand = [\"echo\"]\ninterval = \"soon\"\n[[kpi]]\nid = \"b\"\nbogus = 1\n[[rule]]\nid = \"r\"\nexpr = \"a >\"\n"
    );
    let errs = errors(&text);
    let lines: Vec<usize> = errs.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![6, 9, 12], "{errs:#?}");
}

#[test]
fn steps_out_of_time_order_is_a_warning() {
    let text = format!(
        "{HEAD}[[phase]]\nid = \"p\"\ntitle = \"P\"\n[[phase.step]]\nid = \"a\"\ntitle = \"A\"\nat = \"T+10m\"\n[[phase.step]]\nid = \"b\"\ntitle = \"B\"\nat = \"T+5m\"\n"
    );
    let w = warnings(&text);
    assert_eq!(w.len(), 1, "{w:#?}");
    assert_eq!((w[0].line, w[0].column), (13, 6));
    assert!(w[0].message.contains("out of time order"));
}

#[test]
fn missing_script_is_a_warning() {
    let text = format!(
        "{HEAD}[[phase]]\nid = \"p\"\ntitle = \"P\"\n[[phase.step]]\nid = \"a\"\ntitle = \"A\"\nrun = [\"./scripts/nope.sh\"]\n"
    );
    let w = warnings(&text);
    assert_eq!(w.len(), 1, "{w:#?}");
    assert_eq!((w[0].line, w[0].column), (9, 7));
    assert!(w[0].message.contains("`./scripts/nope.sh` does not exist"));
}

#[test]
fn planned_times_resolve_against_t0_across_midnight() {
    let text = "[runbook]\nname = \"t\"\nt0 = \"2026-02-08T00:30:00Z\"\n[[phase]]\nid = \"p\"\ntitle = \"P\"\n[[phase.step]]\nid = \"a\"\ntitle = \"A\"\nat = \"23:50\"\n[[phase.step]]\nid = \"b\"\ntitle = \"B\"\nat = \"T+72h\"\n[[phase.step]]\nid = \"c\"\ntitle = \"C\"\nat = \"2026-02-11 09:00\"\n";
    let (rb, w) = load_str(Path::new("rb.toml"), text).unwrap();
    assert!(w.is_empty(), "{w:?}");
    let offsets: Vec<i64> = rb
        .steps()
        .map(|(_, s)| s.planned.unwrap().num_minutes())
        .collect();
    assert_eq!(offsets, vec![-40, 72 * 60, 3 * 24 * 60 + 8 * 60 + 30]);
}

#[test]
fn no_data_choice_is_one_of_three() {
    let text = format!(
        "{HEAD}[[kpi]]\nid = \"x\"\ncommand = [\"echo\", \"1\"]\n\n[[rule]]\nid = \"r\"\nexpr = \"x > 1\"\nno-data = \"ignore\"\n"
    );
    assert_one(
        &text,
        10,
        11,
        "rule[r].no-data",
        "expected keep, resolve or alert",
    );
    let ok = text.replace("\"ignore\"", "\"resolve\"");
    let (rb, _) = load_str(Path::new("rb.toml"), &ok).unwrap();
    assert_eq!(rb.rules[0].no_data, warroom::runbook::NoData::Resolve);
}

#[test]
fn prometheus_aggregate_and_evaluation_interval_are_checked() {
    let text = format!(
        "{HEAD}[[kpi]]\nid = \"x\"\nprometheus = {{ url = \"http://127.0.0.1:9090\", query = \"up\", aggregate = \"median\" }}\n"
    );
    assert_one(
        &text,
        5,
        73,
        "kpi[x].prometheus.aggregate",
        "`median` is not an aggregate",
    );
    let ok = text.replace("median", "max");
    let (rb, _) = load_str(Path::new("rb.toml"), &ok).unwrap();
    assert!(matches!(
        rb.kpis[0].source,
        warroom::runbook::KpiSource::Prometheus {
            aggregate: Some(warroom::runbook::Aggregate::Max),
            ..
        }
    ));
    let interval = HEAD.replace(
        "name = \"t\"\n",
        "name = \"t\"\nevaluation-interval = \"soon\"\n",
    );
    let errs = errors(&interval);
    assert_eq!(errs[0].key, "evaluation-interval", "{errs:#?}");
    let ok = HEAD.replace(
        "name = \"t\"\n",
        "name = \"t\"\nevaluation-interval = \"15s\"\n",
    );
    let (rb, _) = load_str(Path::new("rb.toml"), &ok).unwrap();
    assert_eq!(rb.evaluation_interval, Some(chrono::TimeDelta::seconds(15)));
}

#[test]
fn escalation_levels_start_at_zero_and_rise() {
    let text = format!("{HEAD}[escalation]\nlevels = [\"0m\", \"30m\", \"15m\"]\n");
    assert_one(
        &text,
        4,
        24,
        "escalation.levels[2]",
        "level 3 must start later than level 2",
    );
    let text = format!("{HEAD}[escalation]\nlevels = [\"5m\"]\n");
    assert_one(&text, 4, 11, "escalation.levels[0]", "write `0m` first");
    let ok = format!("{HEAD}[escalation]\nlevels = [\"0m\", \"15m\"]\n");
    let (rb, _) = load_str(Path::new("rb.toml"), &ok).unwrap();
    assert_eq!(rb.escalation_level(chrono::TimeDelta::minutes(14)), Some(1));
    assert_eq!(rb.escalation_level(chrono::TimeDelta::minutes(15)), Some(2));
}

#[test]
fn a_webhook_url_written_in_the_runbook_is_refused_as_a_leaked_secret() {
    let text = format!(
        "{HEAD}[status-updates]\nevery = \"15m\"\nwebhook = \"https://hooks.slack.com/services/T0/B0/abc\"\n"
    );
    assert_one(
        &text,
        5,
        11,
        "status-updates.webhook",
        "a webhook URL is a secret",
    );
    let ok = text.replace(
        "https://hooks.slack.com/services/T0/B0/abc",
        "${SLACK_WEBHOOK_URL}",
    );
    let (rb, _) = load_str(Path::new("rb.toml"), &ok).unwrap();
    assert!(rb.secret_names().contains(&"SLACK_WEBHOOK_URL".to_owned()));
}

#[test]
fn a_rules_scope_names_a_real_phase_or_step() {
    let base = format!(
        "{HEAD}[[kpi]]\nid = \"x\"\ncommand = [\"echo\", \"1\"]\n\n[[rule]]\nid = \"r\"\nexpr = \"x > 1\"\nSCOPE\n\n[[phase]]\nid = \"p\"\ntitle = \"P\"\n\n[[phase.step]]\nid = \"s\"\ntitle = \"S\"\nrun = [\"true\"]\n"
    );
    let with = |scope: &str| base.replace("SCOPE", scope);
    assert_one(
        &with("during = \"q\""),
        10,
        10,
        "rule[r].during",
        "`q` is not a phase id",
    );
    assert_one(
        &with("after = \"t\""),
        10,
        9,
        "rule[r].after",
        "`t` is not a step id",
    );
    assert_one(
        &with("window = \"5m\""),
        10,
        10,
        "rule[r].window",
        "add `after",
    );
    let (rb, _) = load_str(
        Path::new("rb.toml"),
        &with("after = \"s\"\nwindow = \"5m\""),
    )
    .unwrap();
    assert_eq!(
        rb.rules[0].scope,
        warroom::runbook::RuleScope::After {
            step: "s".into(),
            window: Some(chrono::TimeDelta::minutes(5))
        }
    );
}

#[test]
fn a_gate_policy_is_one_of_three_and_a_final_say_names_an_approver() {
    let base = format!(
        "{HEAD}[[phase]]\nid = \"p\"\ntitle = \"P\"\n\n[[phase.step]]\nid = \"s\"\ntitle = \"S\"\nrun = [\"true\"]\n\n[[gate]]\nid = \"g\"\ntitle = \"G\"\napprovers = [\"Lead\", \"SRE\"]\nbefore = \"s\"\nPOLICY\n"
    );
    let with = |p: &str| base.replace("POLICY", p);
    assert_one(
        &with("decide = \"majority\""),
        17,
        10,
        "gate[g].decide",
        "not a gate policy",
    );
    assert_one(
        &with("decide = \"final-say\"\nfinal-say = \"CTO\""),
        18,
        13,
        "gate[g].final-say",
        "`CTO` is not one of the gate's approvers",
    );
    assert_one(
        &with("decide = \"final-say\""),
        17,
        10,
        "gate[g].decide",
        "add `final-say",
    );
    let (rb, _) = load_str(
        Path::new("rb.toml"),
        &with("decide = \"final-say\"\nfinal-say = \"SRE\""),
    )
    .unwrap();
    assert_eq!(
        rb.gates[0].policy,
        warroom::runbook::GatePolicy::FinalSay(1)
    );
}

#[test]
fn a_kpi_schedule_changes_the_interval_over_the_run() {
    let text = format!(
        "{HEAD}[[kpi]]\nid = \"x\"\ncommand = [\"echo\", \"1\"]\ninterval = \"30m\"\nschedule = [{{ until = \"T+1h\", every = \"1m\" }}, {{ until = \"T+3h\", every = \"5m\" }}]\n"
    );
    let (rb, _) = load_str(Path::new("rb.toml"), &text).unwrap();
    let at = |m: i64| rb.kpis[0].interval_at(chrono::TimeDelta::minutes(m));
    assert_eq!(
        at(-60),
        chrono::TimeDelta::minutes(1),
        "before T0: the first"
    );
    assert_eq!(at(59), chrono::TimeDelta::minutes(1));
    assert_eq!(at(60), chrono::TimeDelta::minutes(5));
    assert_eq!(at(179), chrono::TimeDelta::minutes(5));
    assert_eq!(
        at(180),
        chrono::TimeDelta::minutes(30),
        "after the schedule: interval"
    );
    let backwards = text.replace("T+3h", "T+30m");
    assert_one(
        &backwards,
        7,
        57,
        "kpi[x].schedule[1].until",
        "after the one before",
    );
    let clock = text.replace("T+1h", "23:00");
    assert_one(
        &clock,
        7,
        23,
        "kpi[x].schedule[0].until",
        "needs a fixed `t0`",
    );
}

#[test]
fn a_continuous_step_has_a_start_and_nothing_to_run() {
    let base = format!(
        "{HEAD}[[phase]]\nid = \"p\"\ntitle = \"P\"\n\n[[phase.step]]\nid = \"w\"\ntitle = \"Watch\"\ncontinuous = true\nEXTRA\n"
    );
    let errs = errors(&base.replace("EXTRA", "at = \"T+0\"\nrun = [\"true\"]"));
    assert!(errs[0].message.contains("nothing to run"), "{errs:#?}");
    let errs = errors(&base.replace("EXTRA", ""));
    assert!(errs[0].message.contains("give it one"), "{errs:#?}");
    let (rb, _) = load_str(Path::new("rb.toml"), &base.replace("EXTRA", "at = \"T+0\"")).unwrap();
    assert!(rb.phases[0].steps[0].continuous);
}

/// The guards' keys (issue 21): each bad value named where it stands.
#[test]
fn guard_keys_are_checked_where_they_stand() {
    let steps = "[[phase]]\nid = \"p\"\ntitle = \"P\"\n\n[[phase.step]]\nid = \"s\"\ntitle = \"S\"\nrun = [\"true\"]\n";
    // `early-warning`: a duration, not negative.
    assert_one(
        &format!("[runbook]\nname = \"t\"\nearly-warning = \"-5m\"\n{steps}"),
        3,
        17,
        "early-warning",
        "`-5m` is negative",
    );
    assert_one(
        &format!("[runbook]\nname = \"t\"\nearly-warning = \"soon\"\n{steps}"),
        3,
        17,
        "early-warning",
        "soon",
    );
    // `holding-rules` names rules that exist.
    assert_one(
        &format!(
            "{HEAD}[[kpi]]\nid = \"k\"\ncommand = [\"true\"]\n[[rule]]\nid = \"r\"\nexpr = \"k > 1\"\n{steps}\n[[gate]]\nid = \"g\"\ntitle = \"G\"\napprovers = [\"Lead\"]\nbefore = \"s\"\nholding-rules = [\"r\", \"critical-tests\"]\n"
        ),
        23,
        23,
        "gate[g].holding-rules",
        "`critical-tests` is not a rule id",
    );
    // A preview of a rollback that is not there.
    assert_one(
        &format!("{HEAD}{steps}\n[rollback]\npreview = [\"./dry-run.sh\"]\n"),
        13,
        11,
        "rollback",
        "`preview` shows what the rollback will do, and there is no rollback",
    );
    assert_one(
        &format!("{HEAD}{steps}\n[rollback]\nrun = [\"true\"]\npreview = []\n"),
        14,
        11,
        "rollback.preview",
        "`preview` is empty",
    );
    assert_one(
        &format!(
            "{HEAD}{steps}\n[rollback]\nrun = [\"true\"]\npreview = [\"true\"]\npreview-shell = \"true\"\n"
        ),
        15,
        17,
        "rollback.preview-shell",
        "not both",
    );
    // A rollback step that asks for an empty phrase, or for something else.
    let procedure = |extra: &str| {
        format!(
            "{HEAD}{steps}\n[rollback]\n[[rollback.step]]\nid = \"switch\"\ntitle = \"Switch\"\nrun = [\"true\"]\n{extra}\n"
        )
    };
    assert_one(
        &procedure("confirm = \"phrase\"\nphrase = \" \""),
        18,
        10,
        "rollback.step[0].phrase",
        "the confirmation phrase is empty",
    );
    assert_one(
        &procedure("confirm = \"maybe\""),
        17,
        11,
        "rollback.step[0].confirm",
        "`maybe` is not a confirmation",
    );
    // And what is right loads as written.
    let (rb, _) = load_str(
        Path::new("rb.toml"),
        &procedure("confirm = \"phrase\"\nphrase = \"SWITCH\"").replace(
            "[rollback]\n",
            "[rollback]\npreview-shell = \"echo would switch\"\n",
        ),
    )
    .unwrap();
    let r = rb.rollback.unwrap();
    assert_eq!(
        r.steps[0].confirm,
        warroom::runbook::Confirm::Phrase("SWITCH".into())
    );
    assert_eq!(
        r.preview,
        Some(warroom::runbook::Command::Shell("echo would switch".into()))
    );
    assert_eq!(rb.early_warning, chrono::TimeDelta::minutes(5));
}

/// One typo, one error: a section that failed to parse is not refused again by everything
/// that names it, and every section says "unknown key" and names the entry by its id.
#[test]
fn a_typo_is_said_once_where_it_is() {
    let demo =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo.toml"))
            .unwrap();
    let kpi_typo = demo.replacen("unit = \"%\"", "unti = \"%\"", 1);
    let errs = errors(&kpi_typo);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(errs[0].key, "kpi[error_rate].unti", "{}", errs[0]);
    assert!(
        errs[0].message.starts_with("unknown key `unti`"),
        "{}",
        errs[0]
    );
    let step_typo = demo.replacen(
        "title = \"Verify blue and green are healthy\"",
        "tilte = \"Verify blue and green are healthy\"",
        1,
    );
    let errs = errors(&step_typo);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(
        errs[0].message.contains("unknown key `tilte`"),
        "{}",
        errs[0]
    );
    assert!(errs[0].key.starts_with("phase[preflight]"), "{}", errs[0]);
    let endpoint_typo = demo.replacen("interval = \"2s\"\ntimeout", "intervl = \"2s\"\ntimeout", 1);
    let errs = errors(&endpoint_typo);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(
        errs[0].message.starts_with("unknown key `intervl`"),
        "{}",
        errs[0]
    );
    assert!(errs[0].key.starts_with("endpoint[api-blue]"), "{}", errs[0]);
}

#[test]
fn a_missing_file_is_said_as_such() {
    let d = warroom::runbook::load(Path::new("/nonexistent/nope.toml")).unwrap_err();
    assert_eq!(d.len(), 1);
    assert_eq!(
        d[0].to_string(),
        "/nonexistent/nope.toml: error: no such file"
    );
}

/// An approver's keys and the allowed_signers file are read by `check`: a key that is not
/// one, a `signed` approver with no key, a file that is missing, and a bad line in it, each
/// where it stands (the file's own line for the file's problems), and a signer who is no
/// approver as a warning.
#[test]
fn approvers_keys_and_allowed_signers_are_checked_where_they_stand() {
    const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEn6RXr3pvc4Mr5XSLGeTJvb+KEUwHUKzsg2zj/2Ntal alice@laptop";
    let approver = |extra: &str| {
        format!("[[approver]]\nid = \"lead\"\nrole = \"Lead\"\nusers = [\"alice\"]\n{extra}")
    };
    assert_one(
        &format!("{HEAD}{}", approver("keys = [\"ssh-ed25519 AAAA\"]\n")),
        7,
        9,
        "approver[lead].keys",
        "not an SSH public key",
    );
    assert_one(
        &format!("{HEAD}{}", approver("signed = true\n")),
        7,
        10,
        "approver[lead].signed",
        "a signed vote needs a key",
    );
    // A good key signs; no error, no warning.
    assert!(
        warnings(&format!(
            "{HEAD}{}",
            approver(&format!("keys = [\"{KEY}\"]\nsigned = true\n"))
        ))
        .is_empty()
    );

    let dir = tempfile::tempdir().unwrap();
    let rb = dir.path().join("rb.toml");
    let header = "[runbook]\nname = \"t\"\nallowed-signers = \"signers\"\n";
    let text = format!("{header}{}", approver("signed = true\n"));
    let errs = load_str(&rb, &text).unwrap_err();
    assert!(
        errs.iter().any(|e| e.line == 3
            && e.key == "runbook.allowed-signers"
            && e.message.contains("No such file")),
        "{errs:#?}"
    );
    std::fs::write(
        dir.path().join("signers"),
        format!(
            "# who signs\nalice {KEY}\nbob cert-authority {KEY}\ncarol namespaces=\"git\" {KEY}\n"
        ),
    )
    .unwrap();
    let errs = load_str(&rb, &text).unwrap_err();
    let signers = dir.path().join("signers");
    assert_eq!(errs.len(), 2, "{errs:#?}");
    assert_eq!(
        (errs[0].file.as_path(), errs[0].line, errs[0].column),
        (signers.as_path(), 3, 5)
    );
    assert!(errs[0].message.contains("cert-authority"), "{errs:#?}");
    assert!(
        errs[0]
            .to_string()
            .starts_with(&format!("{}:3:5: error: ", signers.display())),
        "{}",
        errs[0]
    );
    // Carol is no approver: a warning at her line (the file stands otherwise).
    assert_eq!(
        (errs[1].level, errs[1].line),
        (Level::Warning, 4),
        "{errs:#?}"
    );
    std::fs::write(&signers, format!("alice {KEY}\n")).unwrap();
    let (rb, w) = load_str(&rb, &text).unwrap();
    assert!(w.is_empty(), "{w:#?}");
    assert_eq!(rb.approvers[0].keys.len(), 1);
    assert!(rb.approvers[0].signed);
}

/// `[[canary]]` is checked where it stands: a metric naming an unknown KPI, baseline equal
/// to canary, `pass` below `marginal`, weights over 100, a window shorter than a KPI's
/// interval; a gate naming an unknown canary.
#[test]
fn canary_analyses_are_checked_where_they_stand() {
    let kpis = "[[kpi]]\nid = \"blue_p95\"\nlabel = \"Blue p95\"\ncommand = [\"echo\", \"1\"]\ninterval = \"5s\"\n[[kpi]]\nid = \"green_p95\"\nlabel = \"Green p95\"\ncommand = [\"echo\", \"1\"]\ninterval = \"5s\"\n[[kpi]]\nid = \"slow\"\nlabel = \"Slow\"\ncommand = [\"echo\", \"1\"]\ninterval = \"15m\"\n";
    let base = format!("{HEAD}{kpis}");
    // Lines: HEAD is 2, the KPIs 15: the canary starts at line 18.
    let canary = |body: &str| format!("{base}[[canary]]\nid = \"green\"\n{body}");
    let metric =
        "[[canary.metric]]\nid = \"p95\"\nbaseline = \"blue_p95\"\ncanary = \"green_p95\"\n";
    assert!(warnings(&canary(metric)).is_empty());
    assert_one(
        &canary(
            "[[canary.metric]]\nid = \"p95\"\nbaseline = \"blue_p99\"\ncanary = \"green_p95\"\n",
        ),
        22,
        12,
        "canary[green].metric[p95].baseline",
        "`blue_p99` is not a KPI id",
    );
    assert_one(
        &canary(
            "[[canary.metric]]\nid = \"p95\"\nbaseline = \"blue_p95\"\ncanary = \"blue_p95\"\n",
        ),
        23,
        10,
        "canary[green].metric[p95].canary",
        "the canary is the baseline",
    );
    assert_one(
        &canary(&format!("pass = 70\nmarginal = 80\n{metric}")),
        20,
        8,
        "canary[green].pass",
        "pass (70) is below marginal (80)",
    );
    assert_one(
        &canary(&format!(
            "{metric}weight = 70\ngroup = \"latency\"\n[[canary.metric]]\nid = \"p95b\"\nbaseline = \"green_p95\"\ncanary = \"blue_p95\"\nweight = 40\ngroup = \"errors\"\n"
        )),
        30,
        10,
        "canary[green].metric[p95b].weight",
        "the groups' weights come to 110, over 100",
    );
    assert_one(
        &canary("[[canary.metric]]\nid = \"p95\"\nbaseline = \"slow\"\ncanary = \"green_p95\"\n"),
        22,
        12,
        "canary[green].metric[p95].baseline",
        "KPI `slow` is sampled every 15m: the window (10m) holds too few of its points",
    );
    assert_one(
        &canary(
            "[[canary.metric]]\nid = \"p95\"\nbaseline = \"blue_p95\"\ncanary = \"green_p95\"\nkind = \"ratio\"\n",
        ),
        24,
        8,
        "canary[green].metric[p95].kind",
        "`ratio` is not a kind",
    );
    let gate = format!(
        "{base}[[phase]]\nid = \"p\"\ntitle = \"P\"\n[[phase.step]]\nid = \"ship\"\ntitle = \"Ship\"\n[[gate]]\nid = \"go\"\ntitle = \"Go?\"\napprovers = [\"Lead\"]\nbefore = \"ship\"\ncanary = \"nope\"\n"
    );
    assert_one(
        &gate,
        29,
        10,
        "gate[go].canary",
        "`nope` is not a canary id",
    );
}

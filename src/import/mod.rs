//! `warroom import PLAYBOOK.md`: a team's Markdown playbook turned into a runbook draft.
//!
//! The document is read with a Markdown parser (tables, task lists, fenced code); what
//! is recognised becomes runbook entries, and every line it could not place is kept as a
//! TOML comment beside the section it stood in, so nothing of the document is lost. The
//! draft is written as text (not through a serializer) because the comments must sit
//! beside the entries they belong to.

mod assemble;
mod read;
mod recognise;
mod write;

use std::fmt::Write as _;

use assemble::Reading;
use read::{Item, bare, check_item, sections};
use recognise::*;
use write::write;

/// What the import recognised, and what it left for a person.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub phases: usize,
    /// Steps with a planned time (`at`).
    pub timed_steps: usize,
    /// All steps: timed ones and those made for commands that had no step.
    pub steps: usize,
    pub checks: usize,
    /// Steps given a command (`shell`).
    pub commands: usize,
    pub rules: usize,
    pub contacts: usize,
    /// Steps of the `[rollback]` procedure.
    pub rollback_steps: usize,
    /// Go/no-go gates with the approvers the document names.
    pub gates: usize,
    /// Roles of `[close] sign-off`.
    pub sign_offs: usize,
    pub cadence: Option<String>,
    /// What a person must fill in: (line of the document, what).
    pub placeholders: Vec<(usize, String)>,
    /// Lines kept as comments.
    pub kept: usize,
}

pub struct Imported {
    pub toml: String,
    pub summary: Summary,
}

/// The document as text: a binary file or a text in another encoding is refused here,
/// saying where.
pub fn text(bytes: &[u8]) -> Result<&str, String> {
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Err(format!(
            "a NUL byte at offset {at}: this is a binary file, not a Markdown document"
        ));
    }
    std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        format!("not UTF-8 text: an invalid byte at offset {at} (line {line})")
    })
}

/// A row of a contact table.
#[derive(Debug)]
struct Contact {
    line: usize,
    role: String,
    name: Option<String>,
    reach: Option<String>,
    level: Option<u8>,
}

#[derive(Debug, Default)]
struct Step {
    title: String,
    when: Option<When>,
    /// A duration given without a time (`STEP 1: Announce (1 minute)`).
    duration: Option<String>,
    owner: Option<String>,
    shell: Vec<String>,
    notes: Vec<(usize, String)>,
    line: usize,
}

#[derive(Debug, Default)]
struct Phase {
    title: String,
    line: usize,
    steps: Vec<Step>,
    checks: Vec<(usize, String)>,
    /// Lines not placed, kept as comments.
    kept: Vec<(usize, String)>,
}

/// A go/no-go and who decides it.
#[derive(Debug)]
struct Gate {
    line: usize,
    title: String,
    approvers: Vec<String>,
}

/// What the document was found to hold, for the draft to be written from.
#[derive(Default)]
struct Found {
    phases: Vec<Phase>,
    conditions: Vec<(usize, String, Condition)>,
    contacts: Vec<Contact>,
    /// `[close] sign-off` roles, with the line of each.
    sign_offs: Vec<(usize, String)>,
    gates: Vec<Gate>,
    t0_date: Option<chrono::NaiveDate>,
    t0_time: Option<Hms>,
    /// The date came from a line about the night (a deployment, a window), not a plain one.
    t0_date_certain: bool,
}

pub fn import(md: &str, source: &str) -> Imported {
    let (name, sections) = sections(md);
    let mut summary = Summary::default();
    let mut found = Found::default();
    for section in sections {
        let mut reading = Reading::new(&mut found, &mut summary, &section);
        for item in section.items {
            match item {
                Item::Task(l) => {
                    let text = check_item(&l.text).unwrap_or(bare(&l.text));
                    reading.task(l.line, text);
                }
                Item::Text(l) => reading.text(l),
                Item::Table { header, rows, line } => reading.table(&header, rows, line),
            }
        }
        reading.decided();
        let phase = reading.phase;
        found.phases.push(phase);
    }
    let toml = write(name.as_deref(), source, &found, &mut summary);
    Imported { toml, summary }
}

/// `1 step`, `3 steps`.
fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// The summary printed at the end of an import.
pub fn describe(s: &Summary, output: Option<&std::path::Path>) -> String {
    let mut out = String::new();
    let nothing = s.phases == 0 && s.rules == 0 && s.contacts == 0;
    if nothing {
        out.push_str(
            "No structure recognised: no timed entries, checklists, commands, rules or contacts.\n\
             The draft holds the document as comments; see docs/runbook.md to write the plan.\n",
        );
    }
    let _ = writeln!(
        out,
        "Recognised: {}, {} ({} with a time, {} with a command), {}, {}, {}{}.",
        plural(s.phases, "phase"),
        plural(s.steps, "step"),
        s.timed_steps,
        s.commands,
        plural(s.checks, "checklist item"),
        plural(s.rules, "rule"),
        plural(s.contacts, "contact"),
        s.cadence
            .as_ref()
            .map(|c| format!(", status updates every {c}"))
            .unwrap_or_default(),
    );
    let mut also = Vec::new();
    if s.rollback_steps > 0 {
        also.push(format!(
            "a rollback procedure of {}",
            plural(s.rollback_steps, "step")
        ));
    }
    if s.gates > 0 {
        also.push(format!(
            "{} with the approvers the document names",
            plural(s.gates, "go/no-go gate")
        ));
    }
    if s.sign_offs > 0 {
        also.push(format!(
            "{} of the close",
            plural(s.sign_offs, "sign-off role")
        ));
    }
    if !also.is_empty() {
        let _ = writeln!(out, "And: {}.", also.join(", "));
    }
    let _ = writeln!(out, "Kept as comments: {} lines of the document.", s.kept);
    if !s.placeholders.is_empty() {
        let _ = writeln!(out, "Left for a person ({}):", s.placeholders.len());
        for (line, what) in &s.placeholders {
            let _ = writeln!(out, "  line {line:>4}: {what}");
        }
    }
    if let Some(p) = output {
        let _ = writeln!(
            out,
            "Written to {}; `warroom check {}` accepts it.",
            p.display(),
            p.display()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::write::{MAX_ID, id_of, quoted};
    use super::*;

    #[test]
    fn a_following_command_and_a_prompt_are_seen() {
        assert!(never_exits("kubectl logs -f deploy/api"));
        assert!(never_exits("tail -f /var/log/app.log | grep ERROR"));
        assert!(never_exits("watch kubectl get pods"));
        assert!(!never_exits("kubectl get pods -o wide"));
        assert_eq!(
            prompted_phrase(
                "echo 'Type ROLLBACK to go on'\nread CONFIRM\n[ \"$CONFIRM\" = \"ROLLBACK\" ] || exit 1\n./rollback.sh"
            ),
            Some("ROLLBACK".to_owned())
        );
        assert_eq!(
            prompted_phrase("read -r answer\n./go.sh"),
            Some("PROCEED".to_owned())
        );
        assert_eq!(prompted_phrase("./deploy.sh --green"), None);
    }

    #[test]
    fn a_long_title_makes_an_id_cut_at_a_word() {
        assert_eq!(
            id_of("Rollback procedure: quick rollback of the gateway", '-'),
            "rollback-procedure-quick"
        );
        assert!(id_of("Rollback procedure: quick rollback of the gateway", '-').len() <= MAX_ID);
        // One long word is cut at the length.
        assert_eq!(id_of(&"a".repeat(50), '-').len(), MAX_ID);
        assert_eq!(id_of("Shift traffic", '-'), "shift-traffic");
    }

    #[test]
    fn times_offsets_and_ranges() {
        assert_eq!(
            timed_line("01:45 UTC - Deployment Team Assembly")
                .unwrap()
                .0
                .at,
            "01:45"
        );
        assert_eq!(
            timed_line("02:00:15 - Monitoring Activation").unwrap().0.at,
            "02:00:15"
        );
        assert_eq!(
            timed_line("│   09:00  Final staging verification    │")
                .unwrap()
                .1,
            "Final staging verification"
        );
        let (w, t) = timed_line("22:00-22:45 Freeze").unwrap();
        assert_eq!(
            (w.at.as_str(), w.duration.as_deref(), t.as_str()),
            ("22:00", Some("45m"), "Freeze")
        );
        assert_eq!(
            timed_line("T-15 minutes: Early Warning").unwrap().0.at,
            "T-15m"
        );
        assert_eq!(when("T+1 week").unwrap().0.at, "T+7d");
        assert_eq!(when("T+24hr").unwrap().0.at, "T+24h");
        assert_eq!(
            timed_line("T+1.5m      → Systems Activated").unwrap().0.at,
            "T+90s"
        );
        assert_eq!(when("10:00 AM").unwrap().0.at, "10:00");
        assert_eq!(when("2:30 PM").unwrap().0.at, "14:30");
        let (w, title) = timed_line("Jan 4 02:00 Cut over").unwrap();
        assert_eq!(
            (w.at.as_str(), w.date, title.as_str()),
            ("02:00", Some((1, 4)), "Cut over")
        );
        assert_eq!(when("T+1 week").unwrap().0.written, "T+1 week");
        // A heading of the plan, not a step.
        assert!(timed_line("T-24 Hours (Day Before)").is_none());
        assert!(timed_line("T-12 Hours").is_none());
        assert!(timed_line("99:00 nothing").is_none());
    }

    #[test]
    fn conditions_need_a_comparison_and_a_duration() {
        let c = condition("• Error rate >5% sustained for 5+ minutes").unwrap();
        assert_eq!(
            (
                c.metric.as_str(),
                c.op,
                c.value.as_str(),
                c.unit,
                c.for_.as_str()
            ),
            ("Error rate", ">", "5", Some("%"), "5m")
        );
        let c = condition("Response time > 1000ms (sustained for 2 min)").unwrap();
        assert_eq!(
            (c.value.as_str(), c.unit, c.for_.as_str()),
            ("1000", Some("ms"), "2m")
        );
        assert!(condition("HighErrorRate (trigger: >0.20%)").is_none());
        assert!(condition("Latency 2x baseline sustained for 10+ minutes").is_none());
    }

    #[test]
    fn numbered_steps_by_section() {
        assert_eq!(
            numbered_step("Step 1.1: Drain the old pool (5 min)"),
            Some((
                "Drain the old pool (5 min)".to_owned(),
                Some("5m".to_owned())
            ))
        );
        assert_eq!(
            numbered_step("### Step 2.3.1 - Verify").map(|s| s.0),
            Some("Verify".to_owned())
        );
        assert_eq!(
            numbered_step("STEP 4. Announce").map(|s| s.0),
            Some("Announce".to_owned())
        );
        assert_eq!(numbered_step("Step 1.1"), None);
    }

    #[test]
    fn dates_cadences_and_commands() {
        assert_eq!(
            date("**Date:** February 8, 2026").unwrap().to_string(),
            "2026-02-08"
        );
        assert_eq!(
            date("on 2026-03-01 at noon").unwrap().to_string(),
            "2026-03-01"
        );
        assert!(date("Mission Statement").is_none());
        assert_eq!(
            cadence("Status updates every 15 minutes").as_deref(),
            Some("15m")
        );
        assert_eq!(cadence("every 15 minutes"), None);
        assert_eq!(
            command("├─ Command: $ ./scripts/a.sh").unwrap(),
            "./scripts/a.sh"
        );
        assert_eq!(
            check_item("│   □ DNS configuration verified   │").unwrap(),
            "DNS configuration verified"
        );
    }

    #[test]
    fn non_english_text_and_emoji_pass_through_and_quotes_are_escaped() {
        let q = quoted("دليل \"go\" ✅ \\ end");
        assert_eq!(q, "\"دليل \\\"go\\\" ✅ \\\\ end\"");
        let back: toml::Value = toml::from_str(&format!("x = {q}")).unwrap();
        assert_eq!(back["x"].as_str().unwrap(), "دليل \"go\" ✅ \\ end");
    }

    #[test]
    fn binary_and_foreign_encodings_are_refused_saying_where() {
        assert!(text(b"abc\0def").unwrap_err().contains("offset 3"));
        assert!(text(b"line\n\xff").unwrap_err().contains("line 2"));
        assert_eq!(text("ok ✅".as_bytes()).unwrap(), "ok ✅");
    }
}

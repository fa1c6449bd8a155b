//! `warroom import PLAYBOOK.md`: a team's Markdown playbook turned into a runbook draft.
//!
//! The document is read with a Markdown parser (tables, task lists, fenced code); what
//! is recognised becomes runbook entries, and every line it could not place is kept as a
//! TOML comment beside the section it stood in, so nothing of the document is lost. The
//! draft is written as text (not through a serializer) because the comments must sit
//! beside the entries they belong to.

mod read;
mod recognise;
mod write;

use std::fmt::Write as _;

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
struct Found {
    phases: Vec<Phase>,
    conditions: Vec<(usize, String, Condition)>,
    contacts: Vec<Contact>,
    /// `[close] sign-off` roles, with the line of each.
    sign_offs: Vec<(usize, String)>,
    gates: Vec<Gate>,
    t0_date: Option<chrono::NaiveDate>,
    t0_time: Option<Hms>,
}

/// A go/no-go named in a heading or a line (`GO/NO-GO DECISION`, `Final Go/No-Go`).
fn names_go_no_go(s: &str) -> bool {
    let s = s.to_lowercase().replace(' ', "");
    ["go/no-go", "go-no-go", "go/nogo", "gono-go"]
        .iter()
        .any(|w| s.contains(w))
}

/// A label that introduces the deciders of a go/no-go (`Attendees:`, `Required Approvals
/// (ALL must be YES):`); any other label (`Decision Criteria:`) ends the list.
fn introduces_deciders(s: &str) -> bool {
    let s = s.to_lowercase();
    [
        "attendee",
        "approv",
        "decision maker",
        "decision-maker",
        "who decides",
        "sign",
    ]
    .iter()
    .any(|w| s.contains(w))
}

/// A role as a list names it (`DevOps Lead:`, `Launch Commander (Lead)`): a few words, no
/// question, no number; not a criterion (`All checklists complete`).
fn role(s: &str) -> Option<String> {
    let s = s.trim().trim_end_matches(':').trim();
    let words = s.split_whitespace().count();
    (words > 0
        && words <= 5
        && s.chars().count() <= 40
        && s.starts_with(|c: char| c.is_uppercase())
        && !s.contains(['?', '_', '"'])
        && !s.chars().any(|c| c.is_ascii_digit())
        && !s.to_lowercase().starts_with("all "))
    .then(|| s.to_owned())
}

/// A checklist item: a decider of the go/no-go being listed (`□ DevOps Lead:`), or an item
/// of the phase's checklist.
fn checked(phase: &mut Phase, deciding: &mut Option<Gate>, line: usize, text: &str) {
    if let Some(gate) = deciding.as_mut()
        && let Some(role) = role(text)
    {
        if !gate.approvers.contains(&role) {
            gate.approvers.push(role);
        }
        return;
    }
    phase.checks.push((line, text.to_owned()));
}

/// A heading of the sign-off (`Approvals`, `Sign-off`, `Signatures`).
fn reads_like_sign_off(title: &str) -> bool {
    let t = title.to_lowercase();
    ["approval", "sign-off", "signoff", "sign off", "signature"]
        .iter()
        .any(|w| t.contains(w))
}

const TITLE_COLUMNS: [&str; 10] = [
    "task",
    "activity",
    "action",
    "step",
    "event",
    "what",
    "description",
    "milestone",
    "focus",
    "item",
];
const OWNER_COLUMNS: [&str; 7] = [
    "owner",
    "who",
    "responsible",
    "lead",
    "assignee",
    "participants",
    "assigned",
];
const REACH_COLUMNS: [&str; 8] = [
    "contact", "phone", "email", "reach", "slack", "pager", "mobile", "channel",
];

fn column(header: &[String], names: &[&str]) -> Option<usize> {
    header.iter().position(|h| {
        let h = h.to_lowercase();
        names.iter().any(|n| h.contains(n))
    })
}

pub fn import(md: &str, source: &str) -> Imported {
    let (name, sections) = sections(md);
    let mut summary = Summary::default();
    let mut phases: Vec<Phase> = Vec::new();
    let mut conditions: Vec<(usize, String, Condition)> = Vec::new();
    let mut contacts: Vec<Contact> = Vec::new();
    let mut t0_date = None;
    let mut t0_date_certain = false;
    let mut t0_time: Option<Hms> = None;
    let mut sign_offs: Vec<(usize, String)> = Vec::new();
    let mut gates: Vec<Gate> = Vec::new();
    for section in sections {
        let mut phase = Phase {
            title: section.title.clone(),
            line: section.line,
            ..Phase::default()
        };
        let mut pending_command = false;
        // A go/no-go whose deciders are being listed: its heading, or the line naming it.
        let mut deciding = names_go_no_go(&section.title).then(|| Gate {
            line: section.line,
            title: section.title.clone(),
            approvers: Vec::new(),
        });
        let decided = |gate: Option<Gate>, gates: &mut Vec<Gate>| {
            gates.extend(gate.filter(|g| !g.approvers.is_empty()));
        };
        for item in section.items {
            match item {
                Item::Task(l) => {
                    let text = check_item(&l.text).unwrap_or(bare(&l.text));
                    checked(&mut phase, &mut deciding, l.line, text);
                }
                Item::Text(l) => {
                    let line = l.line;
                    let said = bare(&l.text);
                    if names_go_no_go(said) && timed_line(&l.text).is_none() {
                        decided(deciding.take(), &mut gates);
                        deciding = Some(Gate {
                            line,
                            title: said.trim_end_matches(':').trim().to_owned(),
                            approvers: Vec::new(),
                        });
                    } else if deciding.is_some()
                        && said.ends_with(':')
                        && check_item(said).is_none()
                        && !introduces_deciders(said)
                    {
                        decided(deciding.take(), &mut gates);
                    }
                    // The deployment's date, not the document's own (`Last updated: ...`): a
                    // date beside T+0, the deployment, a go-live or a window wins over an
                    // earlier plain one.
                    if let Some(d) = date(&l.text) {
                        let lower = l.text.to_lowercase();
                        let about_the_document = [
                            "updated", "revised", "modified", "version", "created", "author",
                        ]
                        .iter()
                        .any(|w| lower.contains(w));
                        let about_the_night = [
                            "t+0",
                            "deploy",
                            "go-live",
                            "go live",
                            "cutover",
                            "window",
                            "launch",
                            "maintenance",
                            "release",
                        ]
                        .iter()
                        .any(|w| lower.contains(w));
                        if !about_the_document
                            && (t0_date.is_none() || (about_the_night && !t0_date_certain))
                        {
                            t0_date = Some(d);
                            t0_date_certain = about_the_night;
                        }
                    }
                    if t0_time.is_none()
                        && let Some(rest) = bare(&l.text).strip_prefix("T+0")
                        && let Some(t) = rest.trim_start().strip_prefix('(')
                        && let Some((t, _)) = clock_time(t)
                    {
                        t0_time = Some(t);
                    }
                    if let Some(c) = cadence(&l.text)
                        && summary.cadence.is_none()
                    {
                        summary.cadence = Some(c);
                    }
                    if let Some(c) = condition(&l.text) {
                        conditions.push((line, bare(&l.text).to_owned(), c));
                        phase.kept.push((line, l.text));
                        continue;
                    }
                    if let Some(text) = check_item(&l.text) {
                        checked(&mut phase, &mut deciding, line, text);
                        continue;
                    }
                    if let Some((w, title)) = timed_line(&l.text) {
                        phase.steps.push(Step {
                            title,
                            when: Some(w),
                            line,
                            ..Step::default()
                        });
                        pending_command = false;
                        continue;
                    }
                    if let Some((title, duration)) = numbered_step(&l.text) {
                        phase.steps.push(Step {
                            title,
                            duration,
                            line,
                            ..Step::default()
                        });
                        pending_command = false;
                        continue;
                    }
                    // A shell block's lines, and `$ command` lines, are commands.
                    // In a shell block: not its comments, nor a label (`Pre-deployment:`);
                    // and only for a step it follows: a block on its own is a listing, kept.
                    let shell_line = if l.shell {
                        let t = l.text.trim();
                        (!t.starts_with('#') && !t.ends_with(':') && !phase.steps.is_empty())
                            .then(|| t.strip_prefix("$ ").unwrap_or(t).to_owned())
                    } else {
                        command(&l.text).map(str::to_owned)
                    };
                    if let Some(cmd) = shell_line {
                        match phase.steps.last_mut() {
                            Some(step) if step.shell.is_empty() || pending_command => {
                                step.shell.push(cmd);
                                pending_command = true;
                            }
                            _ => {
                                phase.steps.push(Step {
                                    title: format!(
                                        "Run {}",
                                        cmd.chars().take(60).collect::<String>()
                                    ),
                                    shell: vec![cmd],
                                    line,
                                    ..Step::default()
                                });
                                pending_command = true;
                            }
                        }
                        continue;
                    }
                    if l.shell {
                        // A comment in a shell block: kept beside it.
                        phase.kept.push((line, l.text));
                        continue;
                    }
                    pending_command = false;
                    if let Some(step) = phase.steps.last_mut()
                        && let Some((label, value)) = labelled(&l.text)
                        && !value.is_empty()
                    {
                        if ["owner", "authority", "assigned", "team", "lead", "who"]
                            .contains(&label.as_str())
                            && step.owner.is_none()
                        {
                            step.owner = Some(value.to_owned());
                            // `Authority: Deployment Lead + PMO Lead` of a `Final Go/No-Go`:
                            // they decide a gate before the next step.
                            if names_go_no_go(&step.title) {
                                gates.push(Gate {
                                    line: step.line,
                                    title: step.title.clone(),
                                    approvers: value
                                        .split(['+', ',', '&', '/'])
                                        .flat_map(|v| v.split(" and "))
                                        .map(|v| v.trim().to_owned())
                                        .filter(|v| !v.is_empty())
                                        .collect(),
                                });
                            }
                            // The document's own word for it stays with the step.
                            if label != "owner" {
                                step.notes.push((line, bare(&l.text).to_owned()));
                            }
                            continue;
                        }
                        step.notes.push((line, bare(&l.text).to_owned()));
                        continue;
                    }
                    phase.kept.push((line, l.text));
                }
                Item::Table { header, rows, line } => {
                    let time_col = (0..header.len()).max_by_key(|&c| {
                        rows.iter()
                            .filter(|(r, _)| r.get(c).is_some_and(|v| when(bare(v)).is_some()))
                            .count()
                    });
                    let timed = time_col.filter(|&c| {
                        let n = rows
                            .iter()
                            .filter(|(r, _)| r.get(c).is_some_and(|v| when(bare(v)).is_some()))
                            .count();
                        n > 0 && n * 2 >= rows.len()
                    });
                    let reach_col = column(&header, &REACH_COLUMNS);
                    let heading = section.title.to_lowercase();
                    let contact_table = timed.is_none()
                        && (reach_col.is_some()
                            || ["contact", "escalation", "on-call", "oncall"]
                                .iter()
                                .any(|w| heading.contains(w)))
                        && column(&header, &["role", "name", "position"]).is_some();
                    if let Some(tc) = timed {
                        phase.kept.push((line, header.join(" | ")));
                        let title_col = column(&header, &TITLE_COLUMNS)
                            .filter(|&c| c != tc)
                            .or_else(|| (0..header.len()).find(|&c| c != tc));
                        let owner_col = column(&header, &OWNER_COLUMNS).filter(|&c| c != tc);
                        let dur_col = column(&header, &["duration", "length"]);
                        for (r, rl) in rows {
                            let cell = |c: Option<usize>| {
                                c.and_then(|c| r.get(c))
                                    .map(|v| v.trim().to_owned())
                                    .filter(|v| !v.is_empty())
                            };
                            let Some((mut w, _)) = r.get(tc).and_then(|v| when(bare(v))) else {
                                phase.kept.push((rl, r.join(" | ")));
                                continue;
                            };
                            if w.duration.is_none() {
                                w.duration = cell(dur_col).and_then(|d| duration(&d));
                            }
                            let title = cell(title_col).unwrap_or_else(|| r.join(" | "));
                            let mut notes = Vec::new();
                            for (c, v) in r.iter().enumerate() {
                                if Some(c) != title_col
                                    && Some(c) != owner_col
                                    && c != tc
                                    && Some(c) != dur_col
                                    && !v.is_empty()
                                {
                                    notes.push((
                                        rl,
                                        format!(
                                            "{}: {v}",
                                            header.get(c).map_or("", String::as_str)
                                        ),
                                    ));
                                }
                            }
                            phase.steps.push(Step {
                                title,
                                when: Some(w),
                                owner: cell(owner_col),
                                notes,
                                line: rl,
                                ..Step::default()
                            });
                        }
                    } else if contact_table {
                        let role_col = column(&header, &["role", "position", "function"]);
                        let name_col = column(&header, &["name"]).filter(|c| Some(*c) != role_col);
                        let level_col = column(&header, &["level", "tier"]);
                        for (r, rl) in rows {
                            let cell = |c: Option<usize>| {
                                c.and_then(|c| r.get(c))
                                    .map(|v| v.trim().to_owned())
                                    .filter(|v| !v.is_empty())
                            };
                            let role = cell(role_col).or_else(|| cell(Some(0))).unwrap_or_default();
                            let reach: Vec<String> = r
                                .iter()
                                .enumerate()
                                .filter(|(c, v)| {
                                    !v.is_empty()
                                        && header.get(*c).is_some_and(|h| {
                                            let h = h.to_lowercase();
                                            REACH_COLUMNS.iter().any(|n| h.contains(n))
                                        })
                                })
                                .map(|(_, v)| v.clone())
                                .collect();
                            let level = cell(level_col).and_then(|v| {
                                v.trim_start_matches(['L', 'l'])
                                    .chars()
                                    .take_while(char::is_ascii_digit)
                                    .collect::<String>()
                                    .parse()
                                    .ok()
                            });
                            contacts.push(Contact {
                                line: rl,
                                role,
                                name: cell(name_col),
                                reach: (!reach.is_empty()).then(|| reach.join(", ")),
                                level,
                            });
                        }
                    } else if let Some(rc) = column(&header, &["role"])
                        .filter(|_| timed.is_none() && reads_like_sign_off(&section.title))
                    {
                        // A sign-off table: each role signs the run's close.
                        phase.kept.push((line, header.join(" | ")));
                        for (r, rl) in rows {
                            let said = |c: usize| {
                                r.get(c)
                                    .map(|v| bare(v).trim())
                                    .filter(|v| v.chars().any(char::is_alphabetic))
                            };
                            // A table in two languages may give the role twice, its
                            // columns out of step with its header: both are kept.
                            let first_is_a_name = header.first().is_some_and(|h| {
                                column(std::slice::from_ref(h), &["name", "date", "sign"]).is_some()
                            });
                            let role = match (said(rc), said(0)) {
                                (Some(role), Some(other))
                                    if rc != 0 && other != role && !first_is_a_name =>
                                {
                                    Some(format!("{other} ({role})"))
                                }
                                (role, _) => role.map(str::to_owned),
                            };
                            if let Some(role) = role
                                && !sign_offs.iter().any(|(_, s)| *s == role)
                            {
                                sign_offs.push((rl, role));
                            }
                            phase.kept.push((rl, r.join(" | ")));
                        }
                    } else {
                        phase.kept.push((line, header.join(" | ")));
                        for (r, rl) in rows {
                            let text = r.join(" | ");
                            if let Some(c) = condition(&text) {
                                conditions.push((rl, text.clone(), c));
                            }
                            phase.kept.push((rl, text));
                        }
                    }
                }
            }
        }
        decided(deciding.take(), &mut gates);
        phases.push(phase);
    }
    let found = Found {
        phases,
        conditions,
        contacts,
        sign_offs,
        gates,
        t0_date,
        t0_time,
    };
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

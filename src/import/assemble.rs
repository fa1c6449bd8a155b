//! A section of the document read item by item into what the draft is written from:
//! its steps, checklist and kept lines, and what the whole document holds (rules, contacts,
//! sign-offs, gates, T0).

use super::read::{Line, Rows, Section};
use super::*;

/// One section being read, and what the document has given so far.
pub(super) struct Reading<'a> {
    found: &'a mut Found,
    summary: &'a mut Summary,
    title: String,
    pub(super) phase: Phase,
    /// The last step took a command: the next command line is more of it.
    pending_command: bool,
    /// A go/no-go whose deciders are being listed: its heading, or the line naming it.
    deciding: Option<Gate>,
}

impl<'a> Reading<'a> {
    pub(super) fn new(found: &'a mut Found, summary: &'a mut Summary, section: &Section) -> Self {
        Self {
            found,
            summary,
            title: section.title.clone(),
            phase: Phase {
                title: section.title.clone(),
                line: section.line,
                ..Phase::default()
            },
            pending_command: false,
            deciding: names_go_no_go(&section.title).then(|| Gate {
                line: section.line,
                title: section.title.clone(),
                approvers: Vec::new(),
            }),
        }
    }

    /// A checklist item: a decider of the go/no-go being listed (`□ DevOps Lead:`), or an
    /// item of the phase's checklist.
    pub(super) fn task(&mut self, line: usize, text: &str) {
        if let Some(gate) = self.deciding.as_mut()
            && let Some(role) = role(text)
        {
            if !gate.approvers.contains(&role) {
                gate.approvers.push(role);
            }
            return;
        }
        self.phase.checks.push((line, text.to_owned()));
    }

    /// The go/no-go being listed ends: a gate, when it named its deciders.
    pub(super) fn decided(&mut self) {
        if let Some(g) = self.deciding.take().filter(|g| !g.approvers.is_empty()) {
            self.found.gates.push(g);
        }
    }

    /// A line of text: a rule, a checklist item, a step (timed or numbered), a command,
    /// a label of the step before it, or a line kept as a comment.
    pub(super) fn text(&mut self, l: Line) {
        let line = l.line;
        let said = bare(&l.text);
        if names_go_no_go(said) && timed_line(&l.text).is_none() {
            self.decided();
            self.deciding = Some(Gate {
                line,
                title: said.trim_end_matches(':').trim().to_owned(),
                approvers: Vec::new(),
            });
        } else if self.deciding.is_some()
            && said.ends_with(':')
            && check_item(said).is_none()
            && !introduces_deciders(said)
        {
            self.decided();
        }
        self.dates_and_cadence(&l.text);
        if let Some(c) = condition(&l.text) {
            self.found
                .conditions
                .push((line, bare(&l.text).to_owned(), c));
            self.phase.kept.push((line, l.text));
            return;
        }
        if let Some(text) = check_item(&l.text) {
            self.task(line, text);
            return;
        }
        if let Some((w, title)) = timed_line(&l.text) {
            self.phase.steps.push(Step {
                title,
                when: Some(w),
                line,
                ..Step::default()
            });
            self.pending_command = false;
            return;
        }
        if let Some((title, duration)) = numbered_step(&l.text) {
            self.phase.steps.push(Step {
                title,
                duration,
                line,
                ..Step::default()
            });
            self.pending_command = false;
            return;
        }
        // A shell block's lines, and `$ command` lines, are commands.
        // In a shell block: not its comments, nor a label (`Pre-deployment:`);
        // and only for a step it follows: a block on its own is a listing, kept.
        let shell_line = if l.shell {
            let t = l.text.trim();
            (!t.starts_with('#') && !t.ends_with(':') && !self.phase.steps.is_empty())
                .then(|| t.strip_prefix("$ ").unwrap_or(t).to_owned())
        } else {
            command(&l.text).map(str::to_owned)
        };
        if let Some(cmd) = shell_line {
            match self.phase.steps.last_mut() {
                Some(step) if step.shell.is_empty() || self.pending_command => {
                    step.shell.push(cmd);
                    self.pending_command = true;
                }
                _ => {
                    self.phase.steps.push(Step {
                        title: format!("Run {}", cmd.chars().take(60).collect::<String>()),
                        shell: vec![cmd],
                        line,
                        ..Step::default()
                    });
                    self.pending_command = true;
                }
            }
            return;
        }
        if l.shell {
            // A comment in a shell block: kept beside it.
            self.phase.kept.push((line, l.text));
            return;
        }
        self.pending_command = false;
        if let Some(step) = self.phase.steps.last_mut()
            && let Some((label, value)) = labelled(&l.text)
            && !value.is_empty()
        {
            if ["owner", "authority", "assigned", "team", "lead", "who"].contains(&label.as_str())
                && step.owner.is_none()
            {
                step.owner = Some(value.to_owned());
                // `Authority: Deployment Lead + PMO Lead` of a `Final Go/No-Go`:
                // they decide a gate before the next step.
                if names_go_no_go(&step.title) {
                    self.found.gates.push(Gate {
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
                return;
            }
            step.notes.push((line, bare(&l.text).to_owned()));
            return;
        }
        self.phase.kept.push((line, l.text));
    }

    /// The deployment's date and T+0's time, and how often status is told, wherever the
    /// document says them.
    fn dates_and_cadence(&mut self, text: &str) {
        // The deployment's date, not the document's own (`Last updated: ...`): a
        // date beside T+0, the deployment, a go-live or a window wins over an
        // earlier plain one.
        if let Some(d) = date(text) {
            let lower = text.to_lowercase();
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
                && (self.found.t0_date.is_none()
                    || (about_the_night && !self.found.t0_date_certain))
            {
                self.found.t0_date = Some(d);
                self.found.t0_date_certain = about_the_night;
            }
        }
        if self.found.t0_time.is_none()
            && let Some(rest) = bare(text).strip_prefix("T+0")
            && let Some(t) = rest.trim_start().strip_prefix('(')
            && let Some((t, _)) = clock_time(t)
        {
            self.found.t0_time = Some(t);
        }
        if let Some(c) = cadence(text)
            && self.summary.cadence.is_none()
        {
            self.summary.cadence = Some(c);
        }
    }

    /// A table: a timed plan, contacts, a sign-off, or rows kept (rules found in them).
    pub(super) fn table(&mut self, header: &[String], rows: Rows, line: usize) {
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
        let reach_col = column(header, &REACH_COLUMNS);
        let heading = self.title.to_lowercase();
        let contact_table = timed.is_none()
            && (reach_col.is_some()
                || ["contact", "escalation", "on-call", "oncall"]
                    .iter()
                    .any(|w| heading.contains(w)))
            && column(header, &["role", "name", "position"]).is_some();
        if let Some(tc) = timed {
            self.phase.kept.push((line, header.join(" | ")));
            let title_col = column(header, &TITLE_COLUMNS)
                .filter(|&c| c != tc)
                .or_else(|| (0..header.len()).find(|&c| c != tc));
            let owner_col = column(header, &OWNER_COLUMNS).filter(|&c| c != tc);
            let dur_col = column(header, &["duration", "length"]);
            for (r, rl) in rows {
                let cell = |c: Option<usize>| {
                    c.and_then(|c| r.get(c))
                        .map(|v| v.trim().to_owned())
                        .filter(|v| !v.is_empty())
                };
                let Some((mut w, _)) = r.get(tc).and_then(|v| when(bare(v))) else {
                    self.phase.kept.push((rl, r.join(" | ")));
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
                            format!("{}: {v}", header.get(c).map_or("", String::as_str)),
                        ));
                    }
                }
                self.phase.steps.push(Step {
                    title,
                    when: Some(w),
                    owner: cell(owner_col),
                    notes,
                    line: rl,
                    ..Step::default()
                });
            }
        } else if contact_table {
            let role_col = column(header, &["role", "position", "function"]);
            let name_col = column(header, &["name"]).filter(|c| Some(*c) != role_col);
            let level_col = column(header, &["level", "tier"]);
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
                self.found.contacts.push(Contact {
                    line: rl,
                    role,
                    name: cell(name_col),
                    reach: (!reach.is_empty()).then(|| reach.join(", ")),
                    level,
                });
            }
        } else if let Some(rc) = column(header, &["role"])
            .filter(|_| timed.is_none() && reads_like_sign_off(&self.title))
        {
            // A sign-off table: each role signs the run's close.
            self.phase.kept.push((line, header.join(" | ")));
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
                    (Some(role), Some(other)) if rc != 0 && other != role && !first_is_a_name => {
                        Some(format!("{other} ({role})"))
                    }
                    (role, _) => role.map(str::to_owned),
                };
                if let Some(role) = role
                    && !self.found.sign_offs.iter().any(|(_, s)| *s == role)
                {
                    self.found.sign_offs.push((rl, role));
                }
                self.phase.kept.push((rl, r.join(" | ")));
            }
        } else {
            self.phase.kept.push((line, header.join(" | ")));
            for (r, rl) in rows {
                let text = r.join(" | ");
                if let Some(c) = condition(&text) {
                    self.found.conditions.push((rl, text.clone(), c));
                }
                self.phase.kept.push((rl, text));
            }
        }
    }
}

/// The words of a table's header that name its columns: a step's title, its owner, a
/// contact's reach.
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

/// The first column whose header holds one of `names`.
fn column(header: &[String], names: &[&str]) -> Option<usize> {
    header.iter().position(|h| {
        let h = h.to_lowercase();
        names.iter().any(|n| h.contains(n))
    })
}

//! `warroom import PLAYBOOK.md`: a team's Markdown playbook turned into a runbook draft.
//!
//! The document is read with a Markdown parser (tables, task lists, fenced code); what
//! is recognised becomes runbook entries, and every line it could not place is kept as a
//! TOML comment beside the section it stood in, so nothing of the document is lost. The
//! draft is written as text (not through a serializer) because the comments must sit
//! beside the entries they belong to.

use std::fmt::Write as _;

use chrono::Datelike;

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

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

/// One line of the document's text, after its Markdown is read.
#[derive(Debug, Clone)]
struct Line {
    text: String,
    line: usize,
    /// Inside a fenced block of shell (`bash`, `sh`, `shell`, `console`).
    shell: bool,
}

/// A table's rows: the cells and the line each row is on.
type Rows = Vec<(Vec<String>, usize)>;
/// Hours, minutes and seconds of a clock time.
type Hms = (u32, u32, Option<u32>);

/// A row of a contact table.
#[derive(Debug)]
struct Contact {
    line: usize,
    role: String,
    name: Option<String>,
    reach: Option<String>,
    level: Option<u8>,
}

#[derive(Debug)]
enum Item {
    Text(Line),
    Task(Line),
    Table {
        header: Vec<String>,
        rows: Rows,
        line: usize,
    },
}

#[derive(Debug, Default)]
struct Section {
    title: String,
    line: usize,
    items: Vec<Item>,
}

/// The document cut into sections at its headings; the first level-one heading is its
/// name.
fn sections(md: &str) -> (Option<String>, Vec<Section>) {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(md.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let line_of = |offset: usize| starts.partition_point(|&s| s <= offset);
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_TASKLISTS);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    let mut name = None;
    let mut out = vec![Section {
        title: String::new(),
        line: 1,
        items: Vec::new(),
    }];
    let mut text = String::new();
    let mut text_line = 0;
    let mut in_heading: Option<(usize, u8)> = None;
    let mut code: Option<(bool, usize)> = None;
    let mut task = false;
    let mut table: Option<(Vec<String>, Rows, usize)> = None;
    let mut row: Vec<String> = Vec::new();
    let mut row_line = 0;
    let mut in_cell = false;
    let flush = |text: &mut String, line: usize, task: &mut bool, out: &mut Vec<Section>| {
        let t = text.trim();
        if !t.is_empty() {
            let l = Line {
                text: t.to_owned(),
                line,
                shell: false,
            };
            if let Some(s) = out.last_mut() {
                s.items
                    .push(if *task { Item::Task(l) } else { Item::Text(l) });
            }
        }
        text.clear();
        *task = false;
    };
    for (event, range) in Parser::new_ext(md, opts).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                flush(&mut text, text_line, &mut task, &mut out);
                in_heading = Some((line_of(range.start), level as u8));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((line, level)) = in_heading.take() {
                    let title = text.trim().to_owned();
                    text.clear();
                    if level == 1 && name.is_none() {
                        name = Some(title.clone());
                    }
                    out.push(Section {
                        title,
                        line,
                        items: Vec::new(),
                    });
                }
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                flush(&mut text, text_line, &mut task, &mut out);
                let shell = match &kind {
                    CodeBlockKind::Fenced(lang) => matches!(
                        lang.split_whitespace().next().unwrap_or(""),
                        "bash" | "sh" | "shell" | "console" | "zsh"
                    ),
                    CodeBlockKind::Indented => false,
                };
                // The first line of a fenced block is its fence.
                let first = match kind {
                    CodeBlockKind::Fenced(_) => line_of(range.start) + 1,
                    CodeBlockKind::Indented => line_of(range.start),
                };
                code = Some((shell, first));
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((shell, first)) = code.take()
                    && let Some(s) = out.last_mut()
                {
                    for (i, l) in text.lines().enumerate() {
                        if !l.trim().is_empty() {
                            s.items.push(Item::Text(Line {
                                text: l.to_owned(),
                                line: first + i,
                                shell,
                            }));
                        }
                    }
                }
                text.clear();
            }
            Event::Start(Tag::Table(_)) => {
                flush(&mut text, text_line, &mut task, &mut out);
                table = Some((Vec::new(), Vec::new(), line_of(range.start)));
            }
            Event::End(TagEnd::Table) => {
                if let Some((header, rows, line)) = table.take()
                    && let Some(s) = out.last_mut()
                {
                    s.items.push(Item::Table { header, rows, line });
                }
            }
            Event::Start(Tag::TableHead | Tag::TableRow) => {
                row.clear();
                row_line = line_of(range.start);
            }
            Event::End(TagEnd::TableHead) => {
                if let Some(t) = table.as_mut() {
                    t.0 = std::mem::take(&mut row);
                }
            }
            Event::End(TagEnd::TableRow) => {
                if let Some(t) = table.as_mut() {
                    t.1.push((std::mem::take(&mut row), row_line));
                }
            }
            Event::Start(Tag::TableCell) => {
                in_cell = true;
                text.clear();
            }
            Event::End(TagEnd::TableCell) => {
                in_cell = false;
                row.push(text.trim().to_owned());
                text.clear();
            }
            Event::Start(Tag::Paragraph | Tag::Item) => {
                flush(&mut text, text_line, &mut task, &mut out);
                text_line = line_of(range.start);
            }
            Event::End(TagEnd::Paragraph | TagEnd::Item) => {
                flush(&mut text, text_line, &mut task, &mut out);
            }
            Event::TaskListMarker(_) => task = true,
            Event::Text(t) | Event::Code(t) => {
                if text.is_empty() && !in_cell && code.is_none() && in_heading.is_none() {
                    text_line = line_of(range.start);
                }
                text.push_str(&t);
            }
            Event::SoftBreak | Event::HardBreak => {
                // A line break inside a paragraph ends a line of the document.
                if code.is_none() && !in_cell && in_heading.is_none() {
                    flush(&mut text, text_line, &mut task, &mut out);
                    text_line = line_of(range.end);
                } else {
                    text.push(' ');
                }
            }
            Event::Html(t) | Event::InlineHtml(t) => text.push_str(&t),
            _ => {}
        }
    }
    flush(&mut text, text_line, &mut task, &mut out);
    (name, out)
}

/// A line without the drawing around it: box borders, tree branches, bullets.
fn bare(s: &str) -> &str {
    let frame = |c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '│' | '┃'
                    | '├'
                    | '┤'
                    | '└'
                    | '┘'
                    | '┌'
                    | '┐'
                    | '─'
                    | '━'
                    | '═'
                    | '║'
                    | '╔'
                    | '╗'
                    | '╚'
                    | '╝'
                    | '╠'
                    | '╣'
                    | '┬'
                    | '┴'
                    | '┼'
                    | '•'
                    | '·'
                    | '▪'
                    | '►'
                    | '▶'
                    | '→'
                    | '�'
            )
    };
    let s = s.trim_matches(frame);
    let s = s
        .strip_prefix("- ")
        .or_else(|| s.strip_prefix("* "))
        .or_else(|| s.strip_prefix("+ "))
        .unwrap_or(s);
    s.trim_matches(frame)
}

/// A checklist item written in the text: `- [ ] item`, `[x] item`, `□ item`, `☐ item`.
fn check_item(s: &str) -> Option<&str> {
    let s = bare(s);
    let rest = ["[ ]", "[x]", "[X]", "□", "☐", "☑", "✅ [ ]"]
        .iter()
        .find_map(|m| s.strip_prefix(m))?;
    let rest = rest.trim();
    (!rest.is_empty()).then_some(rest)
}

/// A planned time as the runbook writes it, and a duration when the text gave a range.
#[derive(Debug, Clone, PartialEq, Eq)]
struct When {
    at: String,
    duration: Option<String>,
    /// Month and day when the text gave them (`Jan 4 02:00`): the year is the document's.
    date: Option<(u32, u32)>,
    /// The time as the document wrote it.
    written: String,
}

/// `HH:MM` or `HH:MM:SS` (with `AM`/`PM`), at the start of `s`: the time and the rest.
fn clock_time(s: &str) -> Option<(Hms, &str)> {
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let h_len = digits(s);
    if !(1..=2).contains(&h_len) || s.as_bytes().get(h_len) != Some(&b':') {
        return None;
    }
    let h: u32 = s[..h_len].parse().ok()?;
    let rest = &s[h_len + 1..];
    if digits(rest) != 2 {
        return None;
    }
    let m: u32 = rest[..2].parse().ok()?;
    let mut rest = &rest[2..];
    let mut sec = None;
    if rest.starts_with(':') && digits(&rest[1..]) == 2 {
        sec = Some(rest[1..3].parse().ok()?);
        rest = &rest[3..];
    }
    let mut h = h;
    let trimmed = rest.trim_start();
    for (suffix, pm) in [("AM", false), ("am", false), ("PM", true), ("pm", true)] {
        if let Some(r) = trimmed.strip_prefix(suffix) {
            if h == 12 {
                h = 0;
            }
            if pm {
                h += 12;
            }
            rest = r;
            break;
        }
    }
    if h > 23 || m > 59 || sec.is_some_and(|s| s > 59) {
        return None;
    }
    let rest = rest.trim_start();
    let rest = rest
        .strip_prefix("UTC")
        .or_else(|| rest.strip_prefix("Z "))
        .unwrap_or(rest);
    Some(((h, m, sec), rest))
}

fn hhmm((h, m, s): Hms) -> String {
    match s {
        Some(s) if s > 0 => format!("{h:02}:{m:02}:{s:02}"),
        _ => format!("{h:02}:{m:02}"),
    }
}

/// `T-15m`, `T+1h`, `T-24 Hours`, `T+1 week`, `T+0` at the start of `s`.
fn offset(s: &str) -> Option<(String, &str)> {
    let rest = s.strip_prefix('T')?;
    let sign = rest
        .chars()
        .next()
        .filter(|c| matches!(c, '+' | '-' | '−'))?;
    let rest = &rest[sign.len_utf8()..];
    let n_len = rest.bytes().take_while(u8::is_ascii_digit).count();
    if n_len == 0 {
        return None;
    }
    let mut n: u64 = rest[..n_len].parse().ok()?;
    // A decimal (`T+1.5m`) is written in the next smaller unit: `T+90s`.
    let frac_len = rest[n_len..]
        .strip_prefix('.')
        .map_or(0, |f| f.bytes().take_while(u8::is_ascii_digit).count());
    let frac: Option<f64> = (frac_len > 0)
        .then(|| rest[..n_len + 1 + frac_len].parse().ok())
        .flatten();
    let n_len = if frac_len > 0 {
        n_len + 1 + frac_len
    } else {
        n_len
    };
    let after = rest[n_len..].trim_start();
    let units: [(&str, &str); 14] = [
        ("minutes", "m"),
        ("minute", "m"),
        ("mins", "m"),
        ("min", "m"),
        ("hours", "h"),
        ("hour", "h"),
        ("hrs", "h"),
        ("hr", "h"),
        ("days", "d"),
        ("day", "d"),
        ("weeks", "w"),
        ("week", "w"),
        ("h", "h"),
        ("m", "m"),
    ];
    let lower = after.to_ascii_lowercase();
    let (unit, rest) = units
        .iter()
        .find_map(|(word, u)| {
            // A unit is a whole word, in any case: `T-1 Hour`, not `T-1 Hmm`.
            let r = after
                .get(word.len()..)
                .filter(|_| lower.starts_with(word))?;
            (!r.starts_with(|c: char| c.is_alphanumeric())).then_some((*u, r))
        })
        .or_else(|| after.strip_prefix('d').map(|r| ("d", r)))
        .unwrap_or(("m", &rest[n_len..]));
    let sign = if sign == '+' { '+' } else { '-' };
    let (unit, smaller) = match (frac, unit) {
        (Some(f), "m") => ("s", (f * 60.0).round() as u64),
        (Some(f), "h") => ("m", (f * 60.0).round() as u64),
        (Some(f), "d") => ("h", (f * 24.0).round() as u64),
        (Some(f), _) => ("d", (f * 7.0).round() as u64),
        (None, u) => (u, n),
    };
    n = smaller;
    let at = match (n, unit) {
        (0, _) => "T+0".to_owned(),
        (n, "w") => format!("T{sign}{}d", n * 7),
        (n, u) => format!("T{sign}{n}{u}"),
    };
    Some((at, rest))
}

/// A planned time at the start of `s`: a clock time, a range, or an offset from T0.
fn when(s: &str) -> Option<(When, &str)> {
    let (mut w, rest) = when_unwritten(s)?;
    w.written = s[..s.len() - rest.len()].trim().to_owned();
    Some((w, rest))
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// The month a word names (`Jan`, `february`), 1 to 12.
fn month(word: &str) -> Option<u32> {
    let lower = word.to_ascii_lowercase();
    let i = MONTHS.iter().position(|m| lower.starts_with(m))?;
    Some(i as u32 + 1)
}

/// `Jan 4 02:00`, `February 8, 02:00`: the month and day, and the rest.
fn month_day(s: &str) -> Option<((u32, u32), &str)> {
    let (word, rest) = s.split_once(' ')?;
    let month = month(word)?;
    let rest = rest.trim_start();
    let d_len = rest.bytes().take_while(u8::is_ascii_digit).count();
    let day: u32 = rest.get(..d_len)?.parse().ok()?;
    if !(1..=31).contains(&day) {
        return None;
    }
    let rest = rest[d_len..].trim_start_matches([',', ' ']);
    Some(((month, day), rest))
}

fn when_unwritten(s: &str) -> Option<(When, &str)> {
    if let Some((at, rest)) = offset(s) {
        return Some((at_only(at), rest));
    }
    if let Some((date, rest)) = month_day(s)
        && let Some((mut w, rest)) = when_unwritten(rest)
        && !w.at.starts_with('T')
    {
        w.date = Some(date);
        return Some((w, rest));
    }
    let (start, rest) = clock_time(s)?;
    let after = rest.trim_start();
    let after = after
        .strip_prefix('-')
        .or_else(|| after.strip_prefix('–'))
        .or_else(|| after.strip_prefix('—'))
        .or_else(|| after.strip_prefix("to "))
        .map(str::trim_start);
    if let Some(after) = after
        && let Some((end, rest)) = clock_time(after)
    {
        let (a, b) = (
            start.0 * 60 + start.1,
            end.0 * 60 + end.1 + if end.0 < start.0 { 24 * 60 } else { 0 },
        );
        return Some((
            When {
                at: hhmm(start),
                duration: (b > a).then(|| minutes(b - a)),
                date: None,
                written: String::new(),
            },
            rest,
        ));
    }
    Some((at_only(hhmm(start)), rest))
}

fn at_only(at: String) -> When {
    When {
        at,
        duration: None,
        date: None,
        written: String::new(),
    }
}

fn minutes(m: u32) -> String {
    match (m / 60, m % 60) {
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h{m}m"),
    }
}

/// A numbered step of a procedure without a time: `Step 2: Stop New Transactions (02:00)`,
/// `STEP 1: Announce Rollback (1 minute)`, also as a comment in a shell block. A duration
/// in parentheses is the step's.
fn numbered_step(s: &str) -> Option<(String, Option<String>)> {
    let s = bare(s).trim_start_matches('#').trim_start();
    let rest = s
        .get(..5)
        .filter(|w| w.eq_ignore_ascii_case("step "))
        .map(|_| &s[5..])?;
    let n_len = rest.bytes().take_while(u8::is_ascii_digit).count();
    if n_len == 0 {
        return None;
    }
    let title = rest[n_len..]
        .trim_start_matches([':', '.', ')', '-', '–', ' '])
        .trim();
    if title.chars().filter(|c| c.is_alphabetic()).count() < 2 {
        return None;
    }
    let duration = title
        .rfind('(')
        .and_then(|i| title[i + 1..].strip_suffix(')'))
        .and_then(|inner| {
            duration(
                inner
                    .trim_start_matches("takes ")
                    .trim_start_matches('<')
                    .trim(),
            )
        });
    Some((title.to_owned(), duration))
}

/// A line that is a timed entry of the plan: its time, then a title that starts with a
/// letter or digit (`(Day Before)` under `T-24 Hours` is a heading of the plan, not a step).
fn timed_line(s: &str) -> Option<(When, String)> {
    let s = bare(s);
    let (w, rest) = when(s)?;
    let title = rest
        .trim_start()
        .trim_start_matches(['-', '–', '—', ':', '|', '.', '→', ' '])
        .trim();
    let first = title.chars().next()?;
    if !first.is_alphanumeric() || title.chars().filter(|c| c.is_alphabetic()).count() < 2 {
        return None;
    }
    Some((w, title.to_owned()))
}

/// `Label: value` written in a plan's tree (`├─ Command: $ ./x.sh`).
fn labelled(s: &str) -> Option<(String, &str)> {
    let s = bare(s);
    let (label, value) = s.split_once(':')?;
    if label.is_empty()
        || label.len() > 24
        || !label.chars().all(|c| c.is_alphanumeric() || c == ' ')
    {
        return None;
    }
    Some((label.trim().to_lowercase(), value.trim()))
}

/// A command written in the text: `$ ./scripts/x.sh` (also after `Command:`).
fn command(s: &str) -> Option<&str> {
    let s = bare(s);
    let s = match labelled(s) {
        Some((label, value)) if label.contains("command") => value,
        _ => s,
    };
    let c = s.strip_prefix("$ ")?.trim();
    (!c.is_empty()).then_some(c)
}

/// A sustained condition: `Error rate > 5% sustained for 5+ minutes`,
/// `Response time > 1000ms (sustained for 2 min)`.
#[derive(Debug, Clone, PartialEq)]
struct Condition {
    metric: String,
    op: &'static str,
    value: String,
    unit: Option<&'static str>,
    for_: String,
}

fn condition(s: &str) -> Option<Condition> {
    let s = bare(s);
    let ops: [(&str, &'static str); 6] = [
        (">=", ">="),
        ("<=", "<="),
        ("≥", ">="),
        ("≤", "<="),
        (">", ">"),
        ("<", "<"),
    ];
    let (at, len, op) = ops
        .iter()
        .filter_map(|(t, op)| s.find(t).map(|i| (i, t.len(), *op)))
        .min_by_key(|(i, len, _)| (*i, usize::MAX - len))?;
    let metric: String = s[..at]
        .trim()
        .trim_end_matches(':')
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '_')
        .collect();
    let metric = metric.trim();
    // The metric is the words just before the comparison, and there must be some.
    let words: Vec<&str> = metric.split_whitespace().collect();
    let metric = words[words.len().saturating_sub(3)..].join(" ");
    if !metric.chars().any(char::is_alphabetic) {
        return None;
    }
    let rest = s[at + len..].trim_start();
    let n_len = rest
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'.')
        .count();
    if n_len == 0 {
        return None;
    }
    let value = rest[..n_len].trim_end_matches('.').to_owned();
    value.parse::<f64>().ok()?;
    let after = rest[n_len..].trim_start();
    let (unit, _) = [("%", "%"), ("ms", "ms"), ("s ", "s")]
        .iter()
        .find_map(|(t, u)| after.strip_prefix(t).map(|r| (Some(*u), r)))
        .unwrap_or((None, after));
    let lower = s.to_lowercase();
    let f = lower.find(" for ")?;
    // `5+ minutes`: at least five minutes is what `for` means anyway.
    let for_ = duration(&lower[f + 5..].replacen('+', "", 1))?;
    Some(Condition {
        metric,
        op,
        value,
        unit,
        for_,
    })
}

/// `every 15 minutes`, `every hour` in a line about updates or status.
fn cadence(s: &str) -> Option<String> {
    let lower = s.to_lowercase();
    if !["update", "status", "report", "communicat"]
        .iter()
        .any(|w| lower.contains(w))
    {
        return None;
    }
    let rest = &lower[lower.find("every ")? + 6..];
    // `every hour` is every one hour.
    if rest.starts_with(|c: char| c.is_ascii_digit()) {
        duration(rest)
    } else {
        duration(&format!("1 {rest}"))
    }
}

/// The first date the document gives (`February 8, 2026`, `2026-02-08`, `8 February 2026`).
fn date(s: &str) -> Option<chrono::NaiveDate> {
    let words: Vec<String> = s
        .split(|c: char| c.is_whitespace() || c == ',' || c == '*' || c == '|')
        .map(|w| w.trim_matches(['.', ';', ':', '(', ')']))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    for (i, w) in words.iter().enumerate() {
        if w.len() == 10
            && let Ok(d) = chrono::NaiveDate::parse_from_str(w, "%Y-%m-%d")
        {
            return Some(d);
        }
        let Some(month) = month(w) else {
            continue;
        };
        let num = |j: usize| words.get(j).and_then(|w| w.parse::<u32>().ok());
        let (day, year) = match (i.checked_sub(1).and_then(num), num(i + 1), num(i + 2)) {
            (_, Some(d), Some(y)) if d <= 31 && y >= 1970 => (d, y),
            (Some(d), Some(y), _) if d <= 31 && y >= 1970 => (d, y),
            _ => continue,
        };
        if let Some(d) = chrono::NaiveDate::from_ymd_opt(year as i32, month, day) {
            return Some(d);
        }
    }
    None
}

/// An id from a title: lower case, words joined by `sep`, a leading section number
/// (`1.2`) dropped, and a letter first as ids need (`s24-hour-review`).
fn id_of(text: &str, sep: char) -> String {
    let text = text.trim_start();
    let text = match text.split_once(' ') {
        Some((num, rest)) if num.chars().all(|c| c.is_ascii_digit() || c == '.') => rest,
        _ => text,
    };
    let mut id = String::new();
    if text.starts_with(|c: char| c.is_ascii_digit()) {
        id.push(if sep == '_' { 'k' } else { 's' });
    }
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c.to_ascii_lowercase());
        } else if !id.is_empty() && !id.ends_with(sep) {
            id.push(sep);
        }
        if id.len() > MAX_ID {
            // Cut at the last whole word (`rollback-procedure-quick`, not `...-rollbac`),
            // or, for one long word, at the length.
            let at = id[..MAX_ID]
                .rfind(sep)
                .filter(|i| *i > MAX_ID / 2)
                .unwrap_or(MAX_ID);
            id.truncate(at);
            break;
        }
    }
    id.trim_end_matches(sep).to_owned()
}

/// A command that follows output until it is stopped (`tail -f`, `kubectl logs -f`,
/// `watch ...`, `journalctl -f`, `kubectl get -w`): as a step it would run forever.
fn never_exits(script: &str) -> bool {
    script.lines().any(|l| {
        let words: Vec<&str> = l.split_whitespace().collect();
        let has = |w: &str| words.contains(&w);
        let follows = has("-f") || has("--follow") || has("-w") || has("--watch");
        (words.first().is_some_and(|w| *w == "watch"))
            || (follows && (has("tail") || has("journalctl") || has("logs") || has("get")))
    })
}

/// A script that asks its operator (`read CONFIRM`, then `[ "$CONFIRM" = "yes" ]`): the
/// word it waits for, or `PROCEED` when it is not written as a comparison.
fn prompted_phrase(script: &str) -> Option<String> {
    let var = script.lines().find_map(|l| {
        let mut words = l.split_whitespace().skip_while(|w| *w != "read").skip(1);
        words.find(|w| {
            !w.starts_with('-') && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
    })?;
    let wanted = script.lines().find_map(|l| {
        let at = l.find(&format!("${var}"))?;
        let rest = &l[at..];
        let eq = rest.find('=')?;
        let after = rest[eq..].trim_start_matches('=').trim_start();
        let word = after
            .trim_start_matches('"')
            .split(['"', ' ', ']'])
            .next()?;
        (!word.is_empty()).then(|| word.to_owned())
    });
    Some(wanted.unwrap_or_else(|| "PROCEED".to_owned()))
}

/// The longest id a draft makes from a title.
const MAX_ID: usize = 32;

/// A string as TOML writes it: everything passes through (Arabic, emoji), quotes,
/// backslashes and control characters escaped.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
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
    for section in sections {
        let mut phase = Phase {
            title: section.title.clone(),
            line: section.line,
            ..Phase::default()
        };
        let mut pending_command = false;
        for item in section.items {
            match item {
                Item::Task(l) => {
                    let text = check_item(&l.text).unwrap_or(bare(&l.text)).to_owned();
                    phase.checks.push((l.line, text));
                }
                Item::Text(l) => {
                    let line = l.line;
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
                        phase.checks.push((line, text.to_owned()));
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
        phases.push(phase);
    }
    let toml = write(
        name.as_deref(),
        source,
        &phases,
        &conditions,
        &contacts,
        t0_date,
        t0_time,
        &mut summary,
    );
    Imported { toml, summary }
}

/// `15 min`, `1 hour`, `30m`, `2 hours` as a runbook duration.
fn duration(s: &str) -> Option<String> {
    let s = s.trim().to_lowercase();
    let n_len = s.bytes().take_while(u8::is_ascii_digit).count();
    let n: u32 = s.get(..n_len)?.parse().ok()?;
    let unit = s[n_len..]
        .trim_start()
        .split(|c: char| !c.is_alphabetic())
        .next()?;
    let unit = match unit {
        "s" | "sec" | "secs" | "second" | "seconds" => "s",
        "m" | "min" | "mins" | "minute" | "minutes" => "m",
        "h" | "hr" | "hrs" | "hour" | "hours" => "h",
        _ => return None,
    };
    Some(format!("{n}{unit}"))
}

#[allow(clippy::too_many_arguments)]
fn write(
    name: Option<&str>,
    source: &str,
    phases: &[Phase],
    conditions: &[(usize, String, Condition)],
    contacts: &[Contact],
    t0_date: Option<chrono::NaiveDate>,
    t0_time: Option<Hms>,
    summary: &mut Summary,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# A runbook draft imported from {source} by `warroom import`.\n\
         # Read it through: every `TODO` is something the document did not say, and the\n\
         # comments are the document's lines the import could not place, beside their section."
    );
    out.push_str("\n[runbook]\n");
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    let _ = writeln!(out, "name = {}", quoted(name.unwrap_or(source)));
    if name.is_none() {
        summary
            .placeholders
            .push((1, "the runbook's name (the document has no title)".into()));
    }
    let timed = phases
        .iter()
        .flat_map(|p| &p.steps)
        .any(|s| s.when.as_ref().is_some_and(|w| !w.at.starts_with('T')));
    match (t0_date, t0_time) {
        (Some(d), Some((h, m, s))) => {
            let _ = writeln!(out, "t0 = \"{d}T{h:02}:{m:02}:{:02}Z\"", s.unwrap_or(0));
        }
        (Some(d), None) => {
            let _ = writeln!(
                out,
                "t0 = \"{d}T00:00:00Z\"  # TODO: the time of T0 (the document gives the date only)"
            );
            summary
                .placeholders
                .push((1, "the time of T0 (`[runbook] t0`)".into()));
        }
        (None, _) if timed => {
            let _ = writeln!(
                out,
                "t0 = \"2030-01-01T00:00:00Z\"  # TODO: the date and time of T0 (the document gives times, no date)"
            );
            summary
                .placeholders
                .push((1, "the date and time of T0 (`[runbook] t0`)".into()));
        }
        (None, _) => {}
    }
    let mut ids = std::collections::HashSet::new();
    let mut unique = |base: String, fallback: &str| {
        let base = if base.is_empty() {
            fallback.to_owned()
        } else {
            base
        };
        let mut id = base.clone();
        let mut n = 2;
        while !ids.insert(id.clone()) {
            id = format!("{base}-{n}");
            n += 1;
        }
        id
    };
    let mut pending_kept: Vec<(usize, String)> = Vec::new();
    let mut check_n = 0;
    for (pi, phase) in phases.iter().enumerate() {
        if phase.steps.is_empty() && phase.checks.is_empty() {
            // A section with nothing to run or tick: its lines go with the next phase.
            if !phase.title.is_empty() {
                pending_kept.push((phase.line, format!("## {}", phase.title)));
            }
            pending_kept.extend(phase.kept.iter().cloned());
            continue;
        }
        summary.phases += 1;
        out.push('\n');
        comments(&mut out, &pending_kept, summary);
        pending_kept.clear();
        let title = if phase.title.is_empty() {
            "Before the first heading"
        } else {
            &phase.title
        };
        let _ = writeln!(out, "[[phase]]  # line {}", phase.line);
        let _ = writeln!(
            out,
            "id = {}",
            quoted(&unique(id_of(title, '-'), &format!("phase-{}", pi + 1)))
        );
        let _ = writeln!(out, "title = {}", quoted(title));
        comments(&mut out, &phase.kept, summary);
        for step in &phase.steps {
            summary.steps += 1;
            let _ = writeln!(out, "\n[[phase.step]]  # line {}", step.line);
            let _ = writeln!(
                out,
                "id = {}",
                quoted(&unique(id_of(&step.title, '-'), "step"))
            );
            let _ = writeln!(out, "title = {}", quoted(&step.title));
            if let Some(w) = &step.when {
                summary.timed_steps += 1;
                let at = match w.date {
                    Some((m, d)) => {
                        let year = t0_date.map_or_else(|| chrono::Utc::now().year(), |d| d.year());
                        format!("{year}-{m:02}-{d:02} {}", w.at)
                    }
                    None => w.at.clone(),
                };
                let _ = writeln!(out, "at = {}", quoted(&at));
                // A time written in words (`T+1 week`) is kept as the document wrote it.
                let words = w
                    .written
                    .replace("UTC", "")
                    .replace("AM", "")
                    .replace("PM", "");
                if words.chars().filter(|c| c.is_alphabetic()).count() > 1 {
                    let _ = writeln!(out, "# planned, as written: {}", w.written);
                }
            }
            if let Some(d) = step
                .when
                .as_ref()
                .and_then(|w| w.duration.as_ref())
                .or(step.duration.as_ref())
            {
                let _ = writeln!(out, "duration = {}", quoted(d));
            }
            if let Some(o) = &step.owner {
                let _ = writeln!(out, "owner = {}", quoted(o));
            }
            if !step.shell.is_empty() {
                summary.commands += 1;
                let _ = writeln!(out, "shell = {}", quoted(&step.shell.join("\n")));
                let script = step.shell.join("\n");
                if never_exits(&script) {
                    let _ = writeln!(
                        out,
                        "timeout = \"5m\"  # TODO: this command never exits by itself (it follows); it is stopped after 5m"
                    );
                }
                if let Some(phrase) = prompted_phrase(&script) {
                    let _ = writeln!(
                        out,
                        "phrase = {}  # TODO: the script asks on a terminal a step does not have; warroom asks this phrase first: take the `read` out",
                        quoted(&phrase)
                    );
                }
            }
            if !step.notes.is_empty() {
                let notes: Vec<&str> = step.notes.iter().map(|(_, n)| n.as_str()).collect();
                let _ = writeln!(out, "notes = {}", quoted(&notes.join("\n")));
            }
        }
        for (line, text) in &phase.checks {
            summary.checks += 1;
            check_n += 1;
            let _ = writeln!(out, "\n[[phase.check]]  # line {line}");
            let _ = writeln!(out, "id = \"c{check_n}\"");
            let _ = writeln!(out, "text = {}", quoted(text));
        }
    }
    if !pending_kept.is_empty() {
        out.push('\n');
        comments(&mut out, &pending_kept, summary);
    }
    // Each metric the rules name gets a KPI whose source a person must give.
    let mut kpis: Vec<(String, String, Option<&str>, usize)> = Vec::new();
    for (line, _, c) in conditions {
        if !kpis.iter().any(|k| k.1 == c.metric) {
            // A metric named in another script (`معدل الخطأ`) still needs an id of letters.
            let id = Some(id_of(&c.metric, '_'))
                .filter(|id| !id.is_empty() && !kpis.iter().any(|k| &k.0 == id))
                .unwrap_or_else(|| format!("metric_{}", kpis.len() + 1));
            kpis.push((id, c.metric.clone(), c.unit, *line));
        }
    }
    for (id, label, unit, line) in &kpis {
        let _ = writeln!(out, "\n[[kpi]]  # line {line}: a rule watches it");
        let _ = writeln!(out, "id = {}", quoted(id));
        let _ = writeln!(out, "label = {}", quoted(label));
        if let Some(u) = unit {
            let _ = writeln!(out, "unit = {}", quoted(u));
        }
        let _ = writeln!(
            out,
            "prometheus = {{ url = \"http://prometheus.invalid:9090\", query = {} }}  # TODO: the real source",
            quoted(&format!("TODO_{id}"))
        );
        summary
            .placeholders
            .push((*line, format!("the source of KPI `{id}` ({label})")));
    }
    let mut rule_ids = std::collections::HashSet::new();
    for (line, text, c) in conditions {
        summary.rules += 1;
        let kpi = kpis
            .iter()
            .find(|k| k.1 == c.metric)
            .map_or_else(String::new, |k| k.0.clone());
        let mut id = kpi.replace('_', "-");
        let mut n = 2;
        while !rule_ids.insert(id.clone()) {
            id = format!("{}-{n}", kpi.replace('_', "-"));
            n += 1;
        }
        let _ = writeln!(out, "\n[[rule]]  # line {line}");
        let _ = writeln!(out, "id = {}", quoted(&id));
        let _ = writeln!(
            out,
            "expr = {}",
            quoted(&format!("{kpi} {} {}", c.op, c.value))
        );
        let _ = writeln!(out, "for = {}", quoted(&c.for_));
        let _ = writeln!(out, "summary = {}", quoted(text));
    }
    for Contact {
        line,
        role,
        name,
        reach,
        level,
    } in contacts
    {
        summary.contacts += 1;
        let _ = writeln!(out, "\n[[contact]]  # line {line}");
        let _ = writeln!(out, "role = {}", quoted(role));
        match name {
            Some(n) => {
                let _ = writeln!(out, "name = {}", quoted(n));
            }
            None => summary
                .placeholders
                .push((*line, format!("the name of the contact `{role}`"))),
        }
        if let Some(r) = reach {
            let _ = writeln!(out, "reach = {}", quoted(r));
        }
        if let Some(l) = level {
            let _ = writeln!(out, "escalation-level = {l}");
        }
    }
    if let Some(every) = &summary.cadence {
        let _ = writeln!(out, "\n[status-updates]\nevery = {}", quoted(every));
    }
    out
}

fn comments(out: &mut String, kept: &[(usize, String)], summary: &mut Summary) {
    for (line, text) in kept {
        summary.kept += 1;
        // One comment per line of the document; a line break inside would end the comment.
        let text = text.replace(['\n', '\r'], " ");
        let _ = writeln!(out, "# {line:>4}: {}", text.trim_end());
    }
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
        "Recognised: {} phases, {} steps ({} with a time, {} with a command), {} checklist items, {} rules, {} contacts{}.",
        s.phases,
        s.steps,
        s.timed_steps,
        s.commands,
        s.checks,
        s.rules,
        s.contacts,
        s.cadence
            .as_ref()
            .map(|c| format!(", status updates every {c}"))
            .unwrap_or_default(),
    );
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

//! What one line says: a time, an offset, a numbered step, a command, a condition, a
//! cadence, a date.

use super::read::bare;

/// Hours, minutes and seconds of a clock time.
pub(super) type Hms = (u32, u32, Option<u32>);

/// A planned time as the runbook writes it, and a duration when the text gave a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct When {
    pub(super) at: String,
    pub(super) duration: Option<String>,
    /// Month and day when the text gave them (`Jan 4 02:00`): the year is the document's.
    pub(super) date: Option<(u32, u32)>,
    /// The time as the document wrote it.
    pub(super) written: String,
}

/// `HH:MM` or `HH:MM:SS` (with `AM`/`PM`), at the start of `s`: the time and the rest.
pub(super) fn clock_time(s: &str) -> Option<(Hms, &str)> {
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

pub(super) fn hhmm((h, m, s): Hms) -> String {
    match s {
        Some(s) if s > 0 => format!("{h:02}:{m:02}:{s:02}"),
        _ => format!("{h:02}:{m:02}"),
    }
}

/// `T-15m`, `T+1h`, `T-24 Hours`, `T+1 week`, `T+0` at the start of `s`.
pub(super) fn offset(s: &str) -> Option<(String, &str)> {
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
pub(super) fn when(s: &str) -> Option<(When, &str)> {
    let (mut w, rest) = when_unwritten(s)?;
    w.written = s[..s.len() - rest.len()].trim().to_owned();
    Some((w, rest))
}

pub(super) const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// The month a word names (`Jan`, `february`), 1 to 12.
pub(super) fn month(word: &str) -> Option<u32> {
    let lower = word.to_ascii_lowercase();
    let i = MONTHS.iter().position(|m| lower.starts_with(m))?;
    Some(i as u32 + 1)
}

/// `Jan 4 02:00`, `February 8, 02:00`: the month and day, and the rest.
pub(super) fn month_day(s: &str) -> Option<((u32, u32), &str)> {
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

pub(super) fn when_unwritten(s: &str) -> Option<(When, &str)> {
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

pub(super) fn at_only(at: String) -> When {
    When {
        at,
        duration: None,
        date: None,
        written: String::new(),
    }
}

pub(super) fn minutes(m: u32) -> String {
    match (m / 60, m % 60) {
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h{m}m"),
    }
}

/// A numbered step of a procedure without a time: `Step 2: Stop New Transactions (02:00)`,
/// `STEP 1: Announce Rollback (1 minute)`, also as a comment in a shell block. A duration
/// in parentheses is the step's.
pub(super) fn numbered_step(s: &str) -> Option<(String, Option<String>)> {
    let s = bare(s).trim_start_matches('#').trim_start();
    let rest = s
        .get(..5)
        .filter(|w| w.eq_ignore_ascii_case("step "))
        .map(|_| &s[5..])?;
    // `Step 3`, and `Step 1.1` / `Step 2.3.1` of a procedure numbered by section.
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let mut n_len = digits(rest);
    if n_len == 0 {
        return None;
    }
    while rest[n_len..].starts_with('.') && digits(&rest[n_len + 1..]) > 0 {
        n_len += 1 + digits(&rest[n_len + 1..]);
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
pub(super) fn timed_line(s: &str) -> Option<(When, String)> {
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
pub(super) fn labelled(s: &str) -> Option<(String, &str)> {
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
pub(super) fn command(s: &str) -> Option<&str> {
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
pub(super) struct Condition {
    pub(super) metric: String,
    pub(super) op: &'static str,
    pub(super) value: String,
    pub(super) unit: Option<&'static str>,
    pub(super) for_: String,
}

pub(super) fn condition(s: &str) -> Option<Condition> {
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
pub(super) fn cadence(s: &str) -> Option<String> {
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
pub(super) fn date(s: &str) -> Option<chrono::NaiveDate> {
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

/// A command that follows output until it is stopped (`tail -f`, `kubectl logs -f`,
/// `watch ...`, `journalctl -f`, `kubectl get -w`): as a step it would run forever.
pub(super) fn never_exits(script: &str) -> bool {
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
pub(super) fn prompted_phrase(script: &str) -> Option<String> {
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

/// `15 min`, `1 hour`, `30m`, `2 hours` as a runbook duration.
pub(super) fn duration(s: &str) -> Option<String> {
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

/// A go/no-go named in a heading or a line (`GO/NO-GO DECISION`, `Final Go/No-Go`).
pub(super) fn names_go_no_go(s: &str) -> bool {
    let s = s.to_lowercase().replace(' ', "");
    ["go/no-go", "go-no-go", "go/nogo", "gono-go"]
        .iter()
        .any(|w| s.contains(w))
}

/// A label that introduces the deciders of a go/no-go (`Attendees:`, `Required Approvals
/// (ALL must be YES):`); any other label (`Decision Criteria:`) ends the list.
pub(super) fn introduces_deciders(s: &str) -> bool {
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
pub(super) fn role(s: &str) -> Option<String> {
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

/// A heading of the sign-off (`Approvals`, `Sign-off`, `Signatures`).
pub(super) fn reads_like_sign_off(title: &str) -> bool {
    let t = title.to_lowercase();
    ["approval", "sign-off", "signoff", "sign off", "signature"]
        .iter()
        .any(|w| t.contains(w))
}

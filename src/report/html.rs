//! The report as one self-contained HTML file: inline CSS and inline SVG, no script and no
//! request to anywhere. A planned-against-actual Gantt of the steps with the alert spans on
//! the same time axis, then one chart per KPI with its thresholds.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use super::{KpiReport, Report};
use crate::runbook::number::format_value;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

use super::hms;

const CSS: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2330;background:#fff}\
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #dde}\
.summary{font-weight:600;font-size:16px;padding:8px 12px;border-radius:6px;background:#eef3ff;display:inline-block}\
.bad{background:#fde8e8}.good{background:#e6f6ea}.note{color:#8a5a00;background:#fff6e0;padding:6px 10px;border-radius:4px}\
table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #dde;padding:3px 8px;text-align:left;vertical-align:top}\
th{background:#f4f6fa}svg{background:#fbfcfe;border:1px solid #e3e6ee;border-radius:4px}\
.mono{font-family:ui-monospace,monospace}";

/// A linear map from times to x pixels.
struct Axis {
    from: DateTime<Utc>,
    secs: f64,
    x0: f64,
    width: f64,
}

impl Axis {
    fn x(&self, t: DateTime<Utc>) -> f64 {
        let s = (t - self.from).num_milliseconds() as f64 / 1000.0;
        self.x0 + (s / self.secs).clamp(0.0, 1.0) * self.width
    }
}

pub fn html(r: &Report) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{CSS}</style></head><body>",
        esc(&r.runbook.name)
    );
    let tone = match r.outcome.as_str() {
        "success" => "good",
        "in progress" => "",
        _ => "bad",
    };
    let _ = write!(
        o,
        "<h1>{} — post-mortem record</h1><p class=\"summary {tone}\">{}</p>",
        esc(&r.runbook.name),
        esc(&r.summary)
    );
    if r.in_progress {
        let _ = write!(
            o,
            "<p class=\"note\">The run is still being driven: this is what was recorded up to {} UTC.</p>",
            hms(r.last_record)
        );
    }
    if let Some(d) = &r.damaged {
        let _ = write!(o, "<p class=\"note\">Incomplete: {}.</p>", esc(d));
    }
    let _ = write!(
        o,
        "<table><tr><th>Runbook</th><td class=\"mono\">{}</td></tr><tr><th>T0</th><td>{} UTC</td></tr><tr><th>Recorded</th><td>{} – {} UTC</td></tr><tr><th>Journal</th><td>{}</td></tr></table>",
        esc(&r.runbook.path),
        r.t0.format("%Y-%m-%d %H:%M:%S"),
        r.began.format("%Y-%m-%d %H:%M:%S"),
        hms(r.last_record),
        esc(&r.chain.words().replace('`', ""))
    );
    timeline(&mut o, r);
    decisions(&mut o, r);
    consoles(&mut o, r);
    alerts(&mut o, r);
    rollback(&mut o, r);
    close(&mut o, r);
    incidents(&mut o, r);
    checklist(&mut o, r);
    targets(&mut o, r);
    o.push_str("<h2>KPIs</h2>");
    for k in &r.kpis {
        kpi_chart(&mut o, k);
    }
    o.push_str("</body></html>\n");
    o
}

/// `[[summary]]`: each target against its actual, a missed one in red.
fn targets(o: &mut String, r: &Report) {
    if r.targets.is_empty() {
        return;
    }
    o.push_str("<h2>Targets</h2><table><tr><th>Target</th><th>Measured</th><th>Target</th><th>Actual</th><th>Verdict</th></tr>");
    for t in &r.targets {
        let class = if t.verdict.starts_with("missed") {
            " class=\"bad\""
        } else {
            ""
        };
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td{class}>{}</td></tr>",
            esc(&t.title),
            esc(&t.measure),
            esc(&t.target_words()),
            esc(&t.actual_words()),
            esc(&t.verdict.to_uppercase()),
        );
    }
    o.push_str("</table>");
}

/// The timeline: planned against actual, with drift and duration.
fn timeline(o: &mut String, r: &Report) {
    o.push_str("<h2>Timeline: planned against actual</h2>");
    gantt(o, r);
    o.push_str(
        "<table><tr><th>Step</th><th>Planned</th><th>Started</th><th>Drift</th><th>Duration</th><th>Outcome</th><th>By</th></tr>",
    );
    for s in &r.steps {
        let _ = write!(
            o,
            "<tr><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&s.id),
            esc(&s.title),
            s.planned.map_or_else(|| "-".into(), hms),
            s.run
                .as_ref()
                .map_or_else(|| "-".into(), |x| hms(x.started)),
            s.drift_s.map_or_else(|| "-".into(), super::markdown::drift),
            s.run
                .as_ref()
                .and_then(|x| x.duration_s)
                .map_or_else(|| "-".into(), super::markdown::dur),
            esc(&match &s.run {
                Some(x) if s.outcome != "done" && s.outcome != "skipped" =>
                    format!("{} ({})", s.outcome, x.result),
                _ => s.outcome.clone(),
            }),
            esc(s.run.as_ref().map_or("-", |x| x.started_by.as_str())),
        );
    }
}

/// The gates' votes and the guards passed.
fn decisions(o: &mut String, r: &Report) {
    o.push_str("</table><h2>Go/no-go decisions</h2>");
    for g in &r.gates {
        let _ = write!(
            o,
            "<p><b>{}</b></p><table><tr><th>Approver</th><th>Decision</th><th>At</th><th>By</th><th>How</th><th>Signed</th><th>Note</th><th>Evidence</th></tr>",
            esc(&g.title)
        );
        for v in &g.votes {
            let _ = write!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&v.approver),
                esc(&v.decision),
                hms(v.at),
                esc(&v.recorded_by),
                esc(&v.how),
                esc(&v.signed),
                esc(&v.note),
                esc(&super::markdown::evidence_words(v))
            );
        }
        o.push_str("</table>");
        if let Some(last) = g.votes.iter().map(|v| v.at).max() {
            let _ = write!(
                o,
                "<p>The screen at the decision: <code>{}</code></p>",
                esc(&super::markdown::replay_command(r, last))
            );
        }
    }
    if !r.guards.is_empty() {
        o.push_str("<h2>Guards passed</h2><table><tr><th>At</th><th>Step</th><th>By</th><th>How</th><th>Guards</th><th>Reason</th></tr>");
        for g in &r.guards {
            let _ = write!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                hms(g.at),
                esc(&g.target),
                esc(&g.by),
                esc(&g.how),
                esc(&g.guards.join("; ")),
                esc(g.reason.as_deref().unwrap_or("-"))
            );
        }
        o.push_str("</table>");
    }
}

/// Each console that drove the run: started, resumed, left.
fn consoles(o: &mut String, r: &Report) {
    if !r.sessions.is_empty() {
        o.push_str("<h2>Consoles</h2><ul>");
        for x in &r.sessions {
            let _ = write!(o, "<li>{} {}: {}</li>", hms(x.at), esc(&x.by), esc(&x.what));
        }
        o.push_str("</ul>");
    }
}

/// The alerts, fired, resolved and acknowledged.
fn alerts(o: &mut String, r: &Report) {
    o.push_str("<h2>Alerts</h2>");
    if r.alerts.is_empty() {
        o.push_str("<p>None fired.</p>");
    } else {
        o.push_str("<table><tr><th>Severity</th><th>Alert</th><th>Rule</th><th>Fired</th><th>Resolved</th><th>Acknowledged</th></tr>");
        for a in &r.alerts {
            let _ = write!(
                o,
                "<tr><td>{}</td><td>{} ({})</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&a.severity),
                esc(&a.title),
                esc(&a.detail),
                esc(&a.rule),
                hms(a.fired),
                a.resolved.map_or_else(|| "still firing".into(), hms),
                esc(&a.acked.as_ref().map_or_else(
                    || "-".into(),
                    |k| format!("{} by {} {}", hms(k.at), k.by, k.reason)
                )),
            );
        }
        o.push_str("</table><p>The screen when each fired:</p><ul>");
        for a in &r.alerts {
            let _ = write!(
                o,
                "<li>{}: <code>{}</code></li>",
                esc(&a.title),
                esc(&super::markdown::replay_command(r, a.fired))
            );
        }
        o.push_str("</ul>");
    }
}

/// The rollback as it ran.
fn rollback(o: &mut String, r: &Report) {
    o.push_str("<h2>Rollback</h2>");
    match &r.rollback {
        None => o.push_str("<p>Not run.</p>"),
        Some(rb) => {
            let _ = write!(
                o,
                "<p>Started {} by {}: {}. Why: {}</p>",
                hms(rb.started),
                esc(&rb.started_by),
                esc(&rb.result),
                esc(rb.reason.as_deref().unwrap_or("started by the operator"))
            );
            if !r.rollback_steps.is_empty() {
                o.push_str("<ol>");
                for st in &r.rollback_steps {
                    let _ = write!(
                        o,
                        "<li>{} <code>{}</code> {}</li>",
                        hms(st.started),
                        esc(&st.id),
                        esc(&st.title)
                    );
                }
                o.push_str("</ol>");
            }
        }
    }
}

/// The close and its sign-offs.
fn close(o: &mut String, r: &Report) {
    if r.closed.is_some() || !r.sign_offs.is_empty() {
        o.push_str("<h2>Close</h2>");
        if let Some(c) = &r.closed {
            let _ = write!(
                o,
                "<p>Closed {} by {}: <strong>{}</strong>.</p>",
                hms(c.at),
                esc(&c.by),
                esc(&r.outcome)
            );
        }
        o.push_str("<ul>");
        for s in &r.sign_offs {
            let signed = match (s.signed, &s.by) {
                (Some(at), Some(by)) => format!(
                    "signed {} by {}{}",
                    hms(at),
                    esc(by),
                    s.note
                        .as_deref()
                        .filter(|n| !n.is_empty())
                        .map(|n| format!(": {}", esc(n)))
                        .unwrap_or_default()
                ),
                _ => "not signed".to_owned(),
            };
            let _ = write!(
                o,
                "<li>{} ({}): {signed}</li>",
                esc(&s.role),
                esc(&s.criteria)
            );
        }
        o.push_str("</ul>");
    }
}

/// The incidents and their levels.
fn incidents(o: &mut String, r: &Report) {
    if !r.incidents.is_empty() {
        o.push_str("<h2>Incidents</h2><ul>");
        for i in &r.incidents {
            let _ = write!(
                o,
                "<li>{}: {} (by {}); escalation {}; {}</li>",
                hms(i.opened),
                esc(&i.trigger),
                esc(&i.opened_by),
                esc(&i.escalation()),
                esc(&i.end())
            );
        }
        o.push_str("</ul>");
    }
}

/// The checklist, each item ticked when and by whom.
fn checklist(o: &mut String, r: &Report) {
    let ticked = r.checklist.iter().filter(|c| c.ticked.is_some()).count();
    let _ = write!(
        o,
        "<h2>Checklist ({ticked} of {})</h2><ul>",
        r.checklist.len()
    );
    for c in &r.checklist {
        let _ = write!(
            o,
            "<li>{} {}{}</li>",
            if c.ticked.is_some() { "☑" } else { "☐" },
            esc(&c.text),
            c.ticked.map_or_else(String::new, |t| format!(
                " — {} by {}",
                hms(t),
                esc(c.by.as_deref().unwrap_or("?"))
            )),
        );
    }
    o.push_str("</ul>");
}

/// `text` in at most `max` characters, cut at a word with `…`, never mid-word.
fn at_a_word(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let head: String = text.chars().take(max - 1).collect();
    let cut = head
        .rfind(' ')
        .filter(|i| *i > max / 2)
        .unwrap_or(head.len());
    format!("{}…", head[..cut].trim_end())
}

fn gantt(o: &mut String, r: &Report) {
    let mut times: Vec<DateTime<Utc>> = vec![r.began, r.last_record];
    for s in &r.steps {
        times.extend(s.planned);
        if let Some(x) = &s.run {
            times.push(x.started);
            times.extend(x.finished);
        }
    }
    for a in &r.alerts {
        times.push(a.fired);
        times.extend(a.resolved);
    }
    let (Some(from), Some(to)) = (times.iter().min().copied(), times.iter().max().copied()) else {
        return;
    };
    let axis = Axis {
        from,
        secs: ((to - from).num_milliseconds() as f64 / 1000.0).max(60.0),
        x0: 260.0,
        width: 600.0,
    };
    let row = 22.0;
    let rows = r.steps.len() + r.alerts.len() + usize::from(r.rollback.is_some());
    let height = 40.0 + row * rows as f64;
    let _ = write!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"880\" height=\"{height}\" role=\"img\" aria-label=\"steps and alerts over time\">"
    );
    // Time ticks.
    for i in 0..=4 {
        let t = from
            + chrono::TimeDelta::milliseconds((axis.secs * 1000.0 * f64::from(i) / 4.0) as i64);
        let x = axis.x(t);
        let _ = write!(
            o,
            "<line x1=\"{x:.1}\" y1=\"18\" x2=\"{x:.1}\" y2=\"{height}\" stroke=\"#e3e6ee\"/><text x=\"{x:.1}\" y=\"13\" font-size=\"10\" text-anchor=\"middle\" fill=\"#667\">{}</text>",
            hms(t)
        );
    }
    let mut y = 26.0;
    let label = |o: &mut String, y: f64, text: &str| {
        let _ = write!(
            o,
            "<text x=\"6\" y=\"{:.1}\" font-size=\"11\" fill=\"#1d2330\">{}</text>",
            y + 12.0,
            esc(&at_a_word(text, 38))
        );
    };
    for s in &r.steps {
        label(o, y, &format!("{} {}", s.id, s.title));
        if let Some(p) = s.planned {
            let end = p + chrono::TimeDelta::milliseconds(
                (s.planned_duration_s.unwrap_or(30.0) * 1000.0) as i64,
            );
            let (x1, x2) = (axis.x(p), axis.x(end));
            let _ = write!(
                o,
                "<rect x=\"{x1:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"7\" fill=\"#c9d1e3\"><title>planned {}</title></rect>",
                y + 2.0,
                (x2 - x1).max(2.0),
                hms(p)
            );
        }
        if let Some(x) = &s.run {
            let end = x.finished.unwrap_or(r.last_record);
            let (x1, x2) = (axis.x(x.started), axis.x(end));
            let color = match s.outcome.as_str() {
                "done" => "#2f9e56",
                "running" => "#2b7bd6",
                "skipped" => "#999",
                _ => "#d63b3b",
            };
            let _ = write!(
                o,
                "<rect x=\"{x1:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"9\" fill=\"{color}\"><title>{} {} · {}</title></rect>",
                y + 10.0,
                (x2 - x1).max(2.0),
                esc(&s.id),
                hms(x.started),
                esc(&s.outcome)
            );
        }
        y += row;
    }
    if let Some(rb) = &r.rollback {
        label(o, y, "ROLLBACK");
        let (x1, x2) = (
            axis.x(rb.started),
            axis.x(rb.finished.unwrap_or(r.last_record)),
        );
        let _ = write!(
            o,
            "<rect x=\"{x1:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"12\" fill=\"#8e44ad\"><title>rollback {}</title></rect>",
            y + 4.0,
            (x2 - x1).max(2.0),
            hms(rb.started)
        );
        y += row;
    }
    for a in &r.alerts {
        label(o, y, &format!("alert: {}", a.title));
        let (x1, x2) = (axis.x(a.fired), axis.x(a.resolved.unwrap_or(r.last_record)));
        let color = if a.severity == "critical" {
            "#e74c3c"
        } else {
            "#f1c40f"
        };
        let _ = write!(
            o,
            "<rect x=\"{x1:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"12\" fill=\"{color}\" opacity=\"0.8\"><title>{} fired {}</title></rect>",
            y + 4.0,
            (x2 - x1).max(2.0),
            esc(&a.title),
            hms(a.fired)
        );
        y += row;
    }
    o.push_str("</svg>");
}

fn kpi_chart(o: &mut String, k: &KpiReport) {
    let unit = if k.unit.is_empty() {
        String::new()
    } else {
        format!(" ({})", k.unit)
    };
    let _ = write!(
        o,
        "<p><b>{}</b>{} · min {} · avg {} · max {} · last {}</p>",
        esc(&k.label),
        esc(&unit),
        k.min.map_or_else(|| "-".into(), format_value),
        k.avg.map_or_else(|| "-".into(), format_value),
        k.max.map_or_else(|| "-".into(), format_value),
        k.last.map_or_else(|| "-".into(), format_value)
    );
    let (Some(first), Some(last)) = (k.minutes.first(), k.minutes.last()) else {
        o.push_str("<p class=\"note\">No samples were summarized for this KPI.</p>");
        return;
    };
    let (w, h, pad) = (600.0, 140.0, 30.0);
    let mut lo = k.min.unwrap_or(0.0);
    let mut hi = k.max.unwrap_or(1.0);
    for t in [k.target, k.warning, k.critical].into_iter().flatten() {
        lo = lo.min(t);
        hi = hi.max(t);
    }
    if (hi - lo).abs() < f64::EPSILON {
        hi = lo + 1.0;
    }
    let span = ((last.at - first.at).num_seconds() as f64).max(60.0);
    let x = |t: DateTime<Utc>| pad + ((t - first.at).num_seconds() as f64 / span) * (w - 2.0 * pad);
    let y = |v: f64| h - pad / 2.0 - ((v - lo) / (hi - lo)) * (h - pad);
    let _ = write!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{}\">",
        esc(&k.label)
    );
    for (v, color, name) in [
        (k.warning, "#f1c40f", "warning"),
        (k.critical, "#e74c3c", "critical"),
        (k.target, "#2f9e56", "target"),
    ] {
        if let Some(v) = v {
            let yy = y(v);
            let _ = write!(
                o,
                "<line x1=\"{pad}\" y1=\"{yy:.1}\" x2=\"{:.1}\" y2=\"{yy:.1}\" stroke=\"{color}\" stroke-dasharray=\"4 3\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"{color}\">{name} {}</text>",
                w - pad,
                w - pad + 2.0 - 28.0,
                yy - 2.0,
                format_value(v)
            );
        }
    }
    let band: Vec<String> = k
        .minutes
        .iter()
        .map(|m| format!("{:.1},{:.1}", x(m.at), y(m.max)))
        .chain(
            k.minutes
                .iter()
                .rev()
                .map(|m| format!("{:.1},{:.1}", x(m.at), y(m.min))),
        )
        .collect();
    let line: Vec<String> = k
        .minutes
        .iter()
        .map(|m| format!("{:.1},{:.1}", x(m.at), y(m.avg)))
        .collect();
    let _ = write!(
        o,
        "<polygon points=\"{}\" fill=\"#2b7bd6\" opacity=\"0.15\"/><polyline points=\"{}\" fill=\"none\" stroke=\"#2b7bd6\" stroke-width=\"2\"/>",
        band.join(" "),
        line.join(" ")
    );
    for m in &k.minutes {
        let _ = write!(
            o,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"#2b7bd6\"><title>{} avg {}</title></circle>",
            x(m.at),
            y(m.avg),
            hms(m.at),
            format_value(m.avg)
        );
    }
    let _ = write!(
        o,
        "<text x=\"{pad}\" y=\"{h}\" font-size=\"10\" fill=\"#667\" dy=\"-2\">{}</text><text x=\"{:.1}\" y=\"{h}\" font-size=\"10\" fill=\"#667\" dy=\"-2\" text-anchor=\"end\">{}</text></svg>",
        hms(first.at),
        w - pad,
        hms(last.at)
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn gantt_labels_are_cut_at_a_word() {
        assert_eq!(
            super::at_a_word("canary-10 Shift 10% of traffic", 38),
            "canary-10 Shift 10% of traffic"
        );
        assert_eq!(
            super::at_a_word("incident Rehearsal: inject a test incident into green", 38),
            "incident Rehearsal: inject a test…"
        );
        assert_eq!(
            super::at_a_word("abcdefghijklmnopqrstuvwxyz", 10),
            "abcdefghi…"
        );
    }
}

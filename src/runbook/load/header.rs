//! `[runbook]`: its T0 and the group a run is shared with.

use super::*;

/// `t0`: a UTC date-time, or `+2m` after the console starts; absent, when it starts.
pub(super) fn t0(d: &mut Diagnostics<'_>, header: &raw::Header) -> Option<T0> {
    header.t0.as_ref().map_or(Some(T0::AfterStart(TimeDelta::zero())), |t| {
        let text = t.get_ref().trim();
        if let Some(delay) = text.strip_prefix('+') {
            return match parse_duration(delay) {
                Ok(d) => Some(T0::AfterStart(d)),
                Err(e) => {
                    d.error(Some(t.span()), "runbook.t0", format!("a T0 relative to the start: {e}"));
                    None
                }
            };
        }
        match parse_datetime(text) {
            Some(dt) => Some(T0::At(dt)),
            None => {
                d.error(
                    Some(t.span()),
                    "runbook.t0",
                    format!("`{text}` is not a T0: expected a UTC date-time such as \"2026-02-08T02:00:00Z\", or \"+2m\" for two minutes after the console starts"),
                );
                None
            }
        }
    })
}

/// `share-with`: a group name, which the run directory is shared with.
pub(super) fn share_with(d: &mut Diagnostics<'_>, header: &raw::Header) -> Option<String> {
    header.share_with.as_ref().and_then(|g| {
        let name = g.get_ref().trim();
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if !valid {
            d.error(
                Some(g.span()),
                "share-with",
                format!("`{name}` is not a group name (letters, digits, `.`, `_`, `-`)"),
            );
        }
        valid.then(|| name.to_owned())
    })
}

/// `window`: its start and end as planned times (clock times need a fixed T0), the end
/// after the start.
pub(super) fn window(
    d: &mut Diagnostics<'_>,
    header: &raw::Header,
    t0: Option<chrono::DateTime<chrono::Utc>>,
) -> Option<Window> {
    let w = header.window.as_ref()?;
    let start = planned_time(d, "runbook.window.start", &w.get_ref().start, t0);
    let end = planned_time(d, "runbook.window.end", &w.get_ref().end, t0);
    let (start, end) = (start?, end?);
    if end <= start {
        d.error(
            Some(w.get_ref().end.span()),
            "runbook.window.end",
            format!(
                "the window ends ({}) before it starts ({}): give a later end, or a date",
                crate::runbook::time::format_planned(end),
                crate::runbook::time::format_planned(start)
            ),
        );
        return None;
    }
    Some(Window { start, end })
}

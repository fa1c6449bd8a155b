//! Reading the file into its sections: the TOML syntax, then each section on its own, so
//! one typo does not hide the next; what failed to parse is remembered by id.

use super::*;

pub(super) const SECTIONS: &[&str] = &[
    "alertmanager",
    "connection",
    "runbook",
    "endpoint",
    "kpi",
    "rule",
    "phase",
    "gate",
    "rollback",
    "contact",
    "approver",
    "canary",
    "escalation",
    "close",
    "communication",
    "status-updates",
    "status",
    "channel",
    "summary",
    "rehearsal",
];

#[derive(Default)]
pub(super) struct Sections {
    pub(super) header: Option<raw::Header>,
    pub(super) header_span: Option<Range<usize>>,
    pub(super) connections: BTreeMap<raw::S<String>, raw::S<raw::NamedConnection>>,
    pub(super) endpoints: Vec<raw::S<raw::Endpoint>>,
    pub(super) kpis: Vec<raw::Kpi>,
    pub(super) rules: Vec<raw::Rule>,
    pub(super) phases: Vec<raw::Phase>,
    pub(super) gates: Vec<raw::Gate>,
    pub(super) rollback: Option<raw::Rollback>,
    pub(super) alertmanager: Option<raw::S<raw::Alertmanager>>,
    pub(super) contacts: Vec<raw::Contact>,
    pub(super) approvers: Vec<raw::Approver>,
    pub(super) canaries: Vec<raw::Canary>,
    pub(super) escalation: Option<raw::Escalation>,
    pub(super) close: Option<raw::Close>,
    pub(super) communications: Vec<raw::Communication>,
    pub(super) status_updates: Option<raw::StatusUpdates>,
    pub(super) status: Option<raw::Status>,
    pub(super) channels: BTreeMap<raw::S<String>, raw::S<raw::Channel>>,
    pub(super) summaries: Vec<raw::Summary>,
    pub(super) rehearsal: Option<raw::Rehearsal>,
    pub(super) unparsed: Unparsed,
}

pub(super) fn read_sections(d: &mut Diagnostics<'_>) -> Option<Sections> {
    let (root, syntax) = DeTable::parse_recoverable(d.text());
    if !syntax.is_empty() {
        for e in syntax {
            d.error(e.span(), "", format!("TOML syntax: {}", e.message().trim()));
        }
        return None;
    }
    let mut s = Sections::default();
    for (key, value) in root.into_inner() {
        let name = key.get_ref().to_string();
        let key_span = key.span();
        match name.as_str() {
            "runbook" => {
                s.header_span = Some(key_span);
                s.header = one(d, "runbook", value);
            }
            "connection" => {
                s.connections = one(d, "connection", value).unwrap_or_default();
            }
            "endpoint" => s.endpoints = many(d, "endpoint", value, &mut s.unparsed),
            "kpi" => s.kpis = many(d, "kpi", value, &mut s.unparsed),
            "rule" => s.rules = many(d, "rule", value, &mut s.unparsed),
            "phase" => s.phases = many(d, "phase", value, &mut s.unparsed),
            "gate" => s.gates = many(d, "gate", value, &mut s.unparsed),
            "rollback" => s.rollback = one(d, "rollback", value),
            "contact" => s.contacts = many(d, "contact", value, &mut s.unparsed),
            "approver" => s.approvers = many(d, "approver", value, &mut s.unparsed),
            "canary" => s.canaries = many(d, "canary", value, &mut s.unparsed),
            "alertmanager" => s.alertmanager = one(d, "alertmanager", value),
            "status-updates" => s.status_updates = one(d, "status-updates", value),
            "escalation" => s.escalation = one(d, "escalation", value),
            "status" => s.status = one(d, "status", value),
            "channel" => s.channels = one(d, "channel", value).unwrap_or_default(),
            "summary" => s.summaries = many(d, "summary", value, &mut s.unparsed),
            "close" => s.close = one(d, "close", value),
            "rehearsal" => s.rehearsal = one(d, "rehearsal", value),
            "communication" => s.communications = many(d, "communication", value, &mut s.unparsed),
            other => d.error(
                Some(key_span),
                other,
                format!(
                    "unknown section `{other}`, expected one of: {}",
                    SECTIONS.join(", ")
                ),
            ),
        }
    }
    Some(s)
}

pub(super) fn one<T: for<'de> Deserialize<'de>>(
    d: &mut Diagnostics<'_>,
    section: &str,
    value: Spanned<DeValue<'_>>,
) -> Option<T> {
    if !value.get_ref().is_table() {
        d.error(
            Some(value.span()),
            section,
            format!("expected a table `[{section}]`"),
        );
        return None;
    }
    deserialize(d, section, value)
}

pub(super) fn many<T: for<'de> Deserialize<'de>>(
    d: &mut Diagnostics<'_>,
    section: &str,
    value: Spanned<DeValue<'_>>,
    unparsed: &mut Unparsed,
) -> Vec<T> {
    let span = value.span();
    match value.into_inner() {
        DeValue::Array(items) => items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| {
                // Named by its id where it has one, as every later message names it.
                let name = string_at(item.get_ref(), "id").unwrap_or_else(|| i.to_string());
                let parsed = deserialize(d, &format!("{section}[{name}]"), item.clone());
                if parsed.is_none() {
                    unparsed_ids(section, item.get_ref(), unparsed);
                }
                parsed
            })
            .collect(),
        _ => {
            d.error(
                Some(span),
                section,
                format!("expected `[[{section}]]` entries (an array of tables)"),
            );
            Vec::new()
        }
    }
}

/// The ids of entries that failed to parse, by section (`kpi`, `phase`, `step`, `check`):
/// what refers to them is not refused again for it, the one real error said once.
pub type Unparsed = std::collections::BTreeMap<String, Vec<String>>;

pub(super) fn unparsed_ids(section: &str, item: &DeValue<'_>, unparsed: &mut Unparsed) {
    if let Some(id) = string_at(item, "id") {
        unparsed.entry(section.to_owned()).or_default().push(id);
    }
    // A phase that failed takes its steps and checklist items with it.
    if let DeValue::Table(t) = item {
        for (k, v) in t.iter() {
            let child = match k.get_ref().as_ref() {
                "step" => "step",
                "check" => "check",
                _ => continue,
            };
            if let DeValue::Array(items) = v.get_ref() {
                for i in items.iter() {
                    if let Some(id) = string_at(i.get_ref(), "id") {
                        unparsed.entry(child.to_owned()).or_default().push(id);
                    }
                }
            }
        }
    }
}

/// A string value at `key` of a table, if it is one.
pub(super) fn string_at(value: &DeValue<'_>, key: &str) -> Option<String> {
    let DeValue::Table(t) = value else {
        return None;
    };
    t.iter().find_map(|(k, v)| match v.get_ref() {
        DeValue::String(s) if k.get_ref() == key => Some(s.to_string()),
        _ => None,
    })
}

pub(super) fn deserialize<T: for<'de> Deserialize<'de>>(
    d: &mut Diagnostics<'_>,
    where_: &str,
    value: Spanned<DeValue<'_>>,
) -> Option<T> {
    let whole = value.span();
    match T::deserialize(ValueDeserializer::from(value)) {
        Ok(v) => Some(v),
        Err(e) => {
            let span = e.span().unwrap_or(whole);
            let key = key_at(d.text(), &span)
                .map_or_else(|| where_.to_owned(), |k| format!("{where_}.{k}"));
            d.error(Some(span), key, explain_serde(e.message()));
            None
        }
    }
}

/// The key a serde error points at: the span itself for an unknown key, otherwise the
/// `key =` at the start of the value's line.
pub(super) fn key_at(text: &str, span: &Range<usize>) -> Option<String> {
    let slice = text.get(span.clone())?.trim();
    let is_key = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    if is_key(slice) {
        return Some(slice.to_owned());
    }
    let line_start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..span.start];
    let (key, _) = before.rsplit_once('=')?;
    let key = key.rsplit(['{', ',']).next()?.trim();
    is_key(key).then(|| key.to_owned())
}

/// serde's wording, made plain for people who write TOML rather than Rust.
pub(super) fn explain_serde(message: &str) -> String {
    let m = message.trim();
    // One wording for a misspelt key in every section (the connection options' own check
    // says "unknown key" too).
    m.replace("unknown field", "unknown key")
        .replace("invalid type: ", "wrong type: found ")
        .replace("sequence", "array")
        .replace("map", "table")
        .replace("a string", "a string (in quotes)")
        .replace("f64", "a number")
        .replace("u16", "a whole number")
}

//! What a playbook says about how the night stands and who must answer: its own status
//! levels (name, colour, condition) and its escalation levels (by age or by condition, a
//! response time, duties).

use chrono::TimeDelta;

use super::expr::Expr;

/// The plan's facts a status or escalation condition may read beside KPIs and endpoints:
/// how late the run is, how many rules fire at each severity, how far the projected finish
/// lies past the deployment window. A KPI with one of these ids is shadowed there.
pub const PLAN_FACTS: [&str; 4] = [
    "late_minutes",
    "firing_warnings",
    "firing_critical",
    "overrun",
];

/// `[status] levels`: the first whose condition holds is the night's status.
#[derive(Debug, Clone)]
pub struct StatusLevel {
    pub name: String,
    pub hue: Hue,
    /// None: always (a last, catch-all level).
    pub when: Option<Condition>,
}

/// An expression as written and as parsed.
#[derive(Debug, Clone)]
pub struct Condition {
    pub source: String,
    pub expr: Expr,
}

/// A colour a runbook may name: the terminal's eight and orange, or `#rrggbb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hue {
    Green,
    Yellow,
    Orange,
    Red,
    Blue,
    Cyan,
    Magenta,
    White,
    Gray,
    Rgb(u8, u8, u8),
}

impl Hue {
    pub const NAMES: [&str; 9] = [
        "green", "yellow", "orange", "red", "blue", "cyan", "magenta", "white", "gray",
    ];

    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim().to_ascii_lowercase();
        if let Some(hex) = t.strip_prefix('#') {
            if hex.len() != 6 || !hex.is_ascii() {
                return None;
            }
            let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
            return Some(Self::Rgb(byte(0)?, byte(2)?, byte(4)?));
        }
        Some(match t.as_str() {
            "green" => Self::Green,
            "yellow" | "amber" => Self::Yellow,
            "orange" => Self::Orange,
            "red" => Self::Red,
            "blue" => Self::Blue,
            "cyan" => Self::Cyan,
            "magenta" | "purple" => Self::Magenta,
            "white" => Self::White,
            "gray" | "grey" => Self::Gray,
            _ => return None,
        })
    }
}

/// An escalation level: reached when the incident is `after` old, or as soon as `when`
/// holds during it; whoever it names must answer within `respond_within`.
#[derive(Debug, Clone)]
pub struct EscalationLevel {
    pub after: Option<TimeDelta>,
    pub when: Option<Condition>,
    pub respond_within: Option<TimeDelta>,
    pub duties: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::Hue;

    #[test]
    fn hues_by_name_and_by_hex() {
        assert_eq!(Hue::parse("Amber"), Some(Hue::Yellow));
        assert_eq!(Hue::parse("#ff8000"), Some(Hue::Rgb(255, 128, 0)));
        assert_eq!(Hue::parse("#ff80"), None);
        assert_eq!(Hue::parse("#ééé"), None);
        assert_eq!(Hue::parse("chartreuse"), None);
    }
}

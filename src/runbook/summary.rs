//! `[[summary]]`: what the night is held against afterwards. An aggregate of a KPI or an
//! endpoint over a stretch of the run ("error rate below 1 % over the first 24 hours"), or
//! an actual measured by hand and entered at a step (`record`), each against its target.

use chrono::TimeDelta;

use super::expr::BinOp;

#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub id: String,
    pub title: String,
    pub of: Measure,
    pub target: Target,
}

impl Summary {
    /// `avg of error_rate over T+0 to T+24h`, `availability of api over T+0 on`.
    pub fn describe(&self) -> String {
        let span = |from: TimeDelta, for_: Option<TimeDelta>| match for_ {
            Some(f) => format!(
                "{} to {}",
                super::time::format_planned(from),
                super::time::format_planned(from + f)
            ),
            None => format!("{} on", super::time::format_planned(from)),
        };
        match &self.of {
            Measure::Kpi {
                kpi,
                aggregate,
                from,
                for_,
            } => format!("{} of {kpi} over {}", aggregate.name(), span(*from, *for_)),
            Measure::Availability {
                endpoint,
                from,
                for_,
            } => format!("availability of {endpoint} over {}", span(*from, *for_)),
            Measure::Recorded { id } => format!("{id} entered by hand"),
        }
    }
}

/// What is summarised.
#[derive(Debug, Clone, PartialEq)]
pub enum Measure {
    /// A KPI's aggregate over `[from, from + for)` (offsets from T0).
    Kpi {
        kpi: String,
        aggregate: Aggregate,
        from: TimeDelta,
        for_: Option<TimeDelta>,
    },
    /// The share of an endpoint's probes that were up over the stretch, in %.
    Availability {
        endpoint: String,
        from: TimeDelta,
        for_: Option<TimeDelta>,
    },
    /// The value entered by hand for a step's `record` of this id.
    Recorded { id: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    Avg,
    Min,
    Max,
    P95,
    Last,
}

impl Aggregate {
    pub const NAMES: [&str; 6] = ["avg", "min", "max", "p95", "last", "availability"];

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "avg" | "mean" => Self::Avg,
            "min" => Self::Min,
            "max" => Self::Max,
            "p95" => Self::P95,
            "last" => Self::Last,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Avg => "avg",
            Self::Min => "min",
            Self::Max => "max",
            Self::P95 => "p95",
            Self::Last => "last",
        }
    }

    /// The aggregate of these values; none without values. p95 is the nearest rank (the
    /// smallest value at or above 95 % of them), as a reader checks it by hand.
    pub fn of(self, values: &[f64]) -> Option<f64> {
        let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        if finite.is_empty() {
            return None;
        }
        let n = finite.len();
        Some(match self {
            Self::Avg => finite.iter().sum::<f64>() / n as f64,
            Self::Min => finite.iter().copied().fold(f64::INFINITY, f64::min),
            Self::Max => finite.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            Self::Last => finite[n - 1],
            Self::P95 => {
                let mut sorted = finite;
                sorted.sort_by(f64::total_cmp);
                let rank = (0.95 * n as f64).ceil() as usize;
                sorted[rank.clamp(1, n) - 1]
            }
        })
    }
}

/// `< 1`, `>= 99.9`: what the actual must be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    pub op: BinOp,
    pub value: f64,
}

impl Target {
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        let (op, rest) = [
            ("<=", BinOp::Le),
            (">=", BinOp::Ge),
            ("==", BinOp::Eq),
            ("!=", BinOp::Ne),
            ("<", BinOp::Lt),
            (">", BinOp::Gt),
        ]
        .into_iter()
        .find_map(|(sym, op)| t.strip_prefix(sym).map(|r| (op, r)))
        .ok_or_else(|| format!("`{t}`: a target starts with <, <=, >, >=, == or != (`< 1`)"))?;
        let number = rest.trim().trim_end_matches('%').trim();
        let value: f64 = number
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| format!("`{t}`: `{}` is not a number", rest.trim()))?;
        Ok(Self { op, value })
    }

    pub fn met_by(&self, actual: f64) -> bool {
        match self.op {
            BinOp::Lt => actual < self.value,
            BinOp::Le => actual <= self.value,
            BinOp::Gt => actual > self.value,
            BinOp::Ge => actual >= self.value,
            BinOp::Eq => actual == self.value,
            BinOp::Ne => actual != self.value,
            _ => false,
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // As written: `< 1.5`, not a reading's two decimals.
        write!(f, "{} {}", self.op.symbol(), self.value)
    }
}

/// A step's `record`: the id the actual is kept under, and its unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub id: String,
    pub unit: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p95_is_the_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(Aggregate::P95.of(&v), Some(95.0));
        assert_eq!(Aggregate::P95.of(&[3.0]), Some(3.0));
        assert_eq!(Aggregate::Avg.of(&[1.0, f64::NAN, 3.0]), Some(2.0));
        assert_eq!(Aggregate::Max.of(&[]), None);
    }

    #[test]
    fn targets_read_as_written() {
        let t = Target::parse("< 1%").expect("a target");
        assert!(t.met_by(0.99) && !t.met_by(1.0));
        assert!(Target::parse(">= 99.9").expect("a target").met_by(99.95));
        assert!(Target::parse("1").is_err());
        assert!(Target::parse("< one").is_err());
    }
}

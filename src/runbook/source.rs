//! What the console watches and how it reaches it: endpoints, KPIs and their sources,
//! connections and their credentials, thresholds.

use super::*;

#[derive(Debug, Clone)]
pub struct Endpoint {
    pub id: String,
    pub url: String,
    pub interval: TimeDelta,
    pub timeout: TimeDelta,
    pub expect_status: Vec<u16>,
    pub slow: Option<TimeDelta>,
    pub json: Option<JsonAssert>,
    pub connection: Connection,
    /// `(until, every)` from T0, as a KPI's: the interval before each `until`.
    pub schedule: Vec<(TimeDelta, TimeDelta)>,
}

impl Endpoint {
    /// The probing interval at this time from T0: the schedule's, or `interval`.
    pub fn interval_at(&self, since_t0: TimeDelta) -> TimeDelta {
        interval_at(&self.schedule, self.interval, since_t0)
    }
}

/// The interval a schedule gives at a time from T0: the first entry not yet passed, else
/// the default.
fn interval_at(
    schedule: &[(TimeDelta, TimeDelta)],
    default: TimeDelta,
    since_t0: TimeDelta,
) -> TimeDelta {
    schedule
        .iter()
        .find(|(until, _)| since_t0 < *until)
        .map_or(default, |(_, every)| *every)
}

/// How an HTTP source is reached: merged from its `[connection.NAME]` and the keys beside
/// its own URL. It names where secrets come from, never holds one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Connection {
    /// Sent with every request to the source's host; values may name `${NAME}`.
    pub headers: Vec<(String, String)>,
    pub auth: Option<Auth>,
    pub tls: Tls,
    /// `follow-redirects = false`: a redirect is the answer, not followed (Prometheus's
    /// `follow_redirects`).
    pub no_redirects: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// `Authorization: Bearer <token>`.
    Bearer(Credential),
    /// `Authorization: Basic ...`; no password is an empty one, as Prometheus reads it.
    Basic {
        username: String,
        password: Option<Credential>,
    },
}

/// Where a secret comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// Text naming `${NAME}`, expanded at each request.
    Var(String),
    /// A file read at each request (a rotated token is picked up), surrounding whitespace
    /// trimmed.
    File(PathBuf),
}

/// TLS choices a source may make; the default verifies against the system's roots.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Tls {
    pub insecure: bool,
    pub ca_file: Option<PathBuf>,
}

impl Connection {
    /// Every text that may name `${NAME}` variables: header values, a token or password.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        let auth = match &self.auth {
            Some(Auth::Bearer(Credential::Var(v)))
            | Some(Auth::Basic {
                password: Some(Credential::Var(v)),
                ..
            }) => Some(v.as_str()),
            _ => None,
        };
        self.headers.iter().map(|(_, v)| v.as_str()).chain(auth)
    }

    /// The files a secret is read from.
    pub fn credential_files(&self) -> impl Iterator<Item = &std::path::Path> {
        let file = match &self.auth {
            Some(Auth::Bearer(Credential::File(p)))
            | Some(Auth::Basic {
                password: Some(Credential::File(p)),
                ..
            }) => Some(p.as_path()),
            _ => None,
        };
        file.into_iter()
    }
}

#[derive(Debug, Clone)]
pub struct JsonAssert {
    pub pointer: String,
    /// The answer at `pointer` must equal one of these.
    pub one_of: Vec<serde_json::Value>,
}

#[derive(Debug, Clone)]
pub struct Kpi {
    pub id: String,
    pub label: String,
    pub unit: String,
    /// The interval after the schedule's last entry (or always, without one).
    pub interval: TimeDelta,
    /// `(until, every)`, from T0, in order: sample `every` until then.
    pub schedule: Vec<(TimeDelta, TimeDelta)>,
    pub timeout: TimeDelta,
    pub source: KpiSource,
    /// How an HTTP source is reached (a command's is the default, unused).
    pub connection: Connection,
    pub thresholds: Option<Thresholds>,
    /// `text = true`: the value is text (a command's trimmed output, the JSON value at its
    /// pointer), compared with `==` and `!=` in expressions; no thresholds or sparkline.
    pub text: bool,
}

impl Kpi {
    /// The sampling interval at this time from T0: the schedule's, or `interval`.
    pub fn interval_at(&self, since_t0: TimeDelta) -> TimeDelta {
        interval_at(&self.schedule, self.interval, since_t0)
    }
}

#[derive(Debug, Clone)]
pub enum KpiSource {
    /// A Prometheus server's instant-query API.
    Prometheus {
        url: String,
        query: String,
        /// Several series in the answer are combined this way; `None`: they are an error
        /// that says how many came back.
        aggregate: Option<Aggregate>,
    },
    /// A Prometheus text-format page, summed or averaged over the matching series.
    Scrape {
        url: String,
        metric: String,
        labels: Vec<(String, String)>,
        aggregate: Aggregate,
        /// As Prometheus's scraper reads pages (the default), or by the spec's letter.
        rules: crate::exposition::Rules,
    },
    Json {
        url: String,
        pointer: String,
    },
    Command {
        argv: Vec<String>,
    },
}

/// The names in `${NAME}` references of a string.
/// The `${NAME}` variables a text uses, in order.
pub fn var_names(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        out.push(after[..end].to_owned());
        rest = &after[end + 1..];
    }
    out
}

impl KpiSource {
    /// The URL an HTTP source reads (a command has none).
    pub fn url(&self) -> Option<&str> {
        match self {
            Self::Prometheus { url, .. } | Self::Scrape { url, .. } | Self::Json { url, .. } => {
                Some(url)
            }
            Self::Command { .. } => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Self::Prometheus { .. } => "prometheus",
            Self::Scrape { .. } => "scrape",
            Self::Json { .. } => "json",
            Self::Command { .. } => "command",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    Sum,
    Avg,
    Max,
    Min,
}

impl Aggregate {
    /// Several series' values as one; `None` for none.
    pub fn apply(self, values: impl IntoIterator<Item = f64>) -> Option<f64> {
        let values: Vec<f64> = values.into_iter().collect();
        if values.is_empty() {
            return None;
        }
        let n = values.len() as f64;
        let it = values.into_iter();
        Some(match self {
            Self::Sum => it.sum(),
            Self::Avg => it.sum::<f64>() / n,
            Self::Max => it.fold(f64::NEG_INFINITY, f64::max),
            Self::Min => it.fold(f64::INFINITY, f64::min),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    Lower,
    Higher,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub better: Better,
    pub target: Option<f64>,
    pub warning: Option<f64>,
    pub critical: Option<f64>,
}

/// How a value stands against its thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Standing {
    Good,
    Warning,
    Critical,
}

impl Thresholds {
    pub fn classify(&self, value: f64) -> Standing {
        let beyond = |limit: Option<f64>| match (limit, self.better) {
            (Some(l), Better::Lower) => value >= l,
            (Some(l), Better::Higher) => value <= l,
            (None, _) => false,
        };
        if beyond(self.critical) {
            Standing::Critical
        } else if beyond(self.warning) {
            Standing::Warning
        } else {
            Standing::Good
        }
    }
}

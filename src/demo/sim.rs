//! The simulated service: blue and green, the traffic split, faults that ramp in and out,
//! the recorded past, and what it saves between runs.

use super::*;

/// Seconds a fault takes to reach full strength, and to fade after it is cleared.
pub(super) const RAMP_SECS: f64 = 6.0;

#[derive(Debug)]
pub(super) struct Sim {
    pub(super) started: Instant,
    pub(super) green_pct: f64,
    /// When the fault was injected or cleared, and whether it is on.
    pub(super) fault: Option<Instant>,
    pub(super) cleared: Option<(Instant, f64)>,
    pub(super) requests: [f64; 2],
    pub(super) errors: [f64; 2],
    pub(super) last: Instant,
    pub(super) rng: fastrand::Rng,
    /// Status updates posted to the stand-in chat webhook, newest last (the last 50).
    pub(super) posted: Vec<String>,
    /// Faults beyond green's, by kind, since when: `replication` (the replica falls
    /// behind), `queue` (the orders queue backs up), `region-eu`, `region-us` (a region
    /// goes down).
    pub(super) faults: std::collections::BTreeMap<String, Instant>,
    /// Where the state an operator set (traffic, faults, posted updates) is kept, so a
    /// console restarted on the same run finds the target as it left it.
    pub(super) save_to: Option<std::path::PathBuf>,
    /// Silences created through the Alertmanager stand-in: id, matchers, until when.
    pub(super) silences: Vec<DemoSilence>,
    /// What the target served, every 5 s for the last half hour (Unix seconds, samples):
    /// the history its `query_range` answers from, as a console opened mid-run asks.
    pub(super) past: std::collections::VecDeque<(f64, Vec<crate::exposition::Sample>)>,
}

/// How often, and how long, the target keeps what it served.
pub(super) const PAST_EVERY_SECS: f64 = 5.0;
pub(super) const PAST_KEPT: usize = 360;

/// A silence as the Alertmanager stand-in keeps it.
#[derive(Debug, Clone)]
pub(super) struct DemoSilence {
    pub(super) id: String,
    /// Label name, value or pattern, whether it is a regex.
    pub(super) matchers: Vec<(String, String, bool)>,
    pub(super) ends: chrono::DateTime<chrono::Utc>,
}

impl DemoSilence {
    pub(super) fn matches(&self, labels: &[(&str, &str)]) -> bool {
        self.matchers.iter().all(|(name, value, regex)| {
            let got = labels
                .iter()
                .find(|(k, _)| k == name)
                .map_or("", |(_, v)| v);
            if *regex {
                // Anchored, as Alertmanager's are.
                regex_lite::Regex::new(&format!("^(?:{value})$")).is_ok_and(|r| r.is_match(got))
            } else {
                got == value
            }
        })
    }
}

/// The demo target's state that outlives its process: what the runbook's scripts set.
#[derive(Debug, Default, serde::Serialize, Deserialize)]
pub(super) struct Saved {
    pub(super) green_pct: f64,
    pub(super) fault: bool,
    pub(super) faults: Vec<String>,
    pub(super) posted: Vec<String>,
}

/// What the other faults do to the database, the queue and the regions.
#[derive(Debug, Clone, Copy)]
pub(super) struct Backend {
    pub(super) replication_lag_s: f64,
    pub(super) queue_depth: f64,
    pub(super) region_up: [bool; 2],
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Version {
    pub(super) error_pct: f64,
    pub(super) p95_ms: f64,
    pub(super) rps: f64,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Snapshot {
    pub(super) blue: Version,
    pub(super) green: Version,
    pub(super) error_pct: f64,
    pub(super) p95_ms: f64,
    pub(super) rps: f64,
    pub(super) cpu_pct: f64,
    pub(super) memory_pct: f64,
    pub(super) db_connections: f64,
    pub(super) green_pct: f64,
    pub(super) fault: f64,
}

impl Sim {
    pub(super) fn new(seed: u64) -> Self {
        let now = Instant::now();
        Self {
            started: now,
            green_pct: 0.0,
            fault: None,
            cleared: None,
            requests: [0.0; 2],
            errors: [0.0; 2],
            last: now,
            rng: fastrand::Rng::with_seed(seed),
            posted: Vec::new(),
            faults: std::collections::BTreeMap::new(),
            save_to: None,
            silences: Vec::new(),
            past: std::collections::VecDeque::new(),
        }
    }

    /// A target that keeps its state in `path`, starting from what is there: faults found
    /// on are at full strength at once (they were when the last process stopped).
    pub(super) fn saved(seed: u64, path: std::path::PathBuf) -> Self {
        let mut sim = Self::new(seed);
        let saved: Saved = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let now = Instant::now();
        let ramped = now
            .checked_sub(std::time::Duration::from_secs_f64(RAMP_SECS))
            .unwrap_or(now);
        sim.green_pct = saved.green_pct.clamp(0.0, 100.0);
        sim.fault = saved.fault.then_some(ramped);
        sim.faults = saved
            .faults
            .into_iter()
            .filter(|k| FAULT_KINDS.contains(&k.as_str()))
            .map(|k| (k, now))
            .collect();
        sim.posted = saved.posted;
        sim.save_to = Some(path);
        sim
    }

    /// Keeps what the scripts set; a failure to write is logged, never fatal to the target.
    pub(super) fn save(&self) {
        let Some(path) = &self.save_to else { return };
        let saved = Saved {
            green_pct: self.green_pct,
            fault: self.fault.is_some(),
            faults: self.faults.keys().cloned().collect(),
            posted: self.posted.clone(),
        };
        let written = serde_json::to_vec(&saved)
            .map_err(std::io::Error::other)
            .and_then(|b| crate::durable::write_atomic(path, &b));
        if let Err(e) = written {
            tracing::warn!(error = %e, path = %path.display(), "demo target: cannot keep its state");
        }
    }

    /// Seconds since a fault of this kind was injected, if it is on.
    pub(super) fn fault_for(&self, kind: &str) -> Option<f64> {
        self.faults.get(kind).map(|at| at.elapsed().as_secs_f64())
    }

    pub(super) fn backend(&mut self) -> Backend {
        let lag = self.fault_for("replication");
        let queue = self.fault_for("queue");
        Backend {
            // A replica keeps up within a second; behind, it loses five seconds a second.
            replication_lag_s: (0.3 + self.noise(0.2)).max(0.0)
                + lag.map_or(0.0, |t| (5.0 * t).min(900.0)),
            queue_depth: (20.0 + self.noise(6.0)).max(0.0).round()
                + queue.map_or(0.0, |t| (40.0 * t).min(50_000.0)).round(),
            region_up: [
                self.fault_for("region-eu").is_none(),
                self.fault_for("region-us").is_none(),
            ],
        }
    }

    /// 0..1: how strong the fault is now (ramps up when injected, down when cleared).
    pub(super) fn fault_level(&self) -> f64 {
        match (self.fault, self.cleared) {
            (Some(at), _) => (at.elapsed().as_secs_f64() / RAMP_SECS).min(1.0),
            (None, Some((at, from))) => (from - at.elapsed().as_secs_f64() / RAMP_SECS).max(0.0),
            (None, None) => 0.0,
        }
    }

    pub(super) fn noise(&mut self, scale: f64) -> f64 {
        (self.rng.f64() - 0.5) * 2.0 * scale
    }

    pub(super) fn snapshot(&mut self) -> Snapshot {
        let fault = self.fault_level();
        let t = self.started.elapsed().as_secs_f64();
        // A slow daily-traffic-like wave under the noise.
        let wave = (t / 40.0).sin();
        let total_rps = (240.0 + 25.0 * wave + self.noise(12.0)).max(1.0);
        let share = self.green_pct / 100.0;
        let blue = Version {
            error_pct: (0.05 + self.noise(0.03)).max(0.0),
            p95_ms: 118.0 + 8.0 * wave + self.noise(9.0),
            rps: total_rps * (1.0 - share),
        };
        let green = Version {
            error_pct: (0.12 + self.noise(0.05) + fault * (32.0 + self.noise(3.0))).max(0.0),
            p95_ms: 104.0 + self.noise(8.0) + fault * (780.0 + self.noise(60.0)),
            rps: total_rps * share,
        };
        let error_pct = blue.error_pct * (1.0 - share) + green.error_pct * share;
        let p95_ms = if share > 0.05 {
            blue.p95_ms.max(green.p95_ms * share.sqrt().max(0.5))
        } else {
            blue.p95_ms
        };
        // Counters advance with the simulated request rate, as a scraper expects.
        let dt = self.last.elapsed().as_secs_f64();
        self.last = Instant::now();
        for (i, v) in [blue, green].iter().enumerate() {
            self.requests[i] += v.rps * dt;
            self.errors[i] += v.rps * dt * v.error_pct / 100.0;
        }
        Snapshot {
            blue,
            green,
            error_pct,
            p95_ms,
            rps: total_rps,
            cpu_pct: (34.0 + 6.0 * wave + 18.0 * fault * share + self.noise(3.0)).clamp(0.0, 100.0),
            memory_pct: (56.0 + 0.02 * t.min(600.0) + self.noise(1.5)).clamp(0.0, 100.0),
            db_connections: (38.0 + 4.0 * wave + 45.0 * fault * share + self.noise(3.0))
                .round()
                .max(0.0),
            green_pct: self.green_pct,
            fault,
        }
    }
}

pub(super) type Shared = Arc<Mutex<Sim>>;

pub(super) fn snapshot(sim: &Shared) -> Snapshot {
    // A poisoned lock only means a handler panicked mid-update; the numbers are still usable.
    let mut s = sim
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    s.snapshot()
}

pub(super) fn backend(sim: &Shared) -> Backend {
    sim.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .backend()
}

pub(super) fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

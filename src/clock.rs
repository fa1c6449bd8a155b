//! The one clock every component reads: the real one, or a rehearsal clock that starts
//! at a chosen time and runs faster, so a runbook can be rehearsed at 60x.

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};

#[derive(Debug, Clone, Copy)]
pub enum Clock {
    Real,
    Rehearsal {
        origin: Instant,
        start: DateTime<Utc>,
        speed: f64,
    },
}

impl Clock {
    pub fn rehearsal(start: DateTime<Utc>, speed: f64) -> Self {
        Self::Rehearsal {
            origin: Instant::now(),
            start,
            speed: speed.max(0.001),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match *self {
            Self::Real => Utc::now(),
            Self::Rehearsal {
                origin,
                start,
                speed,
            } => {
                let real = origin.elapsed().as_secs_f64() * speed;
                start + TimeDelta::microseconds((real * 1e6) as i64)
            }
        }
    }

    /// The same rehearsal clock in another process: it showed `at` when the wall clock
    /// showed `real`, running `speed` times faster (how a watcher follows a rehearsal).
    pub fn following(at: DateTime<Utc>, real: DateTime<Utc>, speed: f64) -> Self {
        let since = (Utc::now() - real).as_seconds_f64().max(0.0) * speed;
        Self::rehearsal(at + TimeDelta::microseconds((since * 1e6) as i64), speed)
    }

    pub fn speed(&self) -> f64 {
        match *self {
            Self::Real => 1.0,
            Self::Rehearsal { speed, .. } => speed,
        }
    }

    /// Real time to wait until the clock shows the next whole second.
    pub fn until_next_second(&self) -> Duration {
        let now = self.now();
        let into = f64::from(now.timestamp_subsec_micros()) / 1e6;
        let clock_wait = (1.0 - into).max(0.001);
        Duration::from_secs_f64(clock_wait / self.speed()).max(Duration::from_millis(20))
    }

    /// Real time that corresponds to a span of clock time (for pollers' intervals).
    pub fn real(&self, span: TimeDelta) -> Duration {
        let secs = span.as_seconds_f64().max(0.0) / self.speed();
        Duration::from_secs_f64(secs).max(Duration::from_millis(50))
    }
}

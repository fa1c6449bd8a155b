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

    /// When to poll a source next, near `at`: on the real clock, moved (by at most half a
    /// second either way) to just before a whole second, so that the sources come in
    /// together ahead of that second's frame: one wake-up and one frame a second instead of
    /// one per poll. Intervals keep their length on average. A rehearsal clock, whose
    /// seconds are short, polls at `at`.
    pub fn poll_at(&self, at: Instant) -> Instant {
        const LEAD: f64 = 0.15;
        if !matches!(self, Self::Real) {
            return at;
        }
        let now = Instant::now();
        let ahead = at.saturating_duration_since(now);
        let when = Utc::now() + TimeDelta::from_std(ahead).unwrap_or_default();
        let into = f64::from(when.timestamp_subsec_micros()) / 1e6;
        let mut shift = (1.0 - LEAD) - into;
        if shift > 0.5 {
            shift -= 1.0;
        }
        let moved = if shift >= 0.0 {
            at + Duration::from_secs_f64(shift)
        } else {
            at.checked_sub(Duration::from_secs_f64(-shift))
                .unwrap_or(at)
        };
        moved.max(now)
    }

    /// Real time that corresponds to a span of clock time (for pollers' intervals).
    pub fn real(&self, span: TimeDelta) -> Duration {
        let secs = span.as_seconds_f64().max(0.0) / self.speed();
        Duration::from_secs_f64(secs).max(Duration::from_millis(50))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_move_to_just_before_a_whole_second_by_at_most_half_a_second() {
        for tenth in 0..10 {
            let at = Instant::now() + Duration::from_millis(2000 + tenth * 100);
            let (now, wall) = (Instant::now(), Utc::now());
            let moved = Clock::Real.poll_at(at);
            let apart = if moved > at { moved - at } else { at - moved };
            assert!(apart <= Duration::from_millis(510), "moved by {apart:?}");
            let lands = wall + TimeDelta::from_std(moved - now).unwrap();
            let into = f64::from(lands.timestamp_subsec_micros()) / 1e6;
            assert!((into - 0.85).abs() < 0.02, "lands {into} into its second");
        }
        // A rehearsal's seconds are short: its polls are not moved.
        let at = Instant::now() + Duration::from_millis(1234);
        assert_eq!(Clock::rehearsal(Utc::now(), 60.0).poll_at(at), at);
    }
}

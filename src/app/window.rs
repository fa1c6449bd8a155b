//! The plan's timing: when the night should finish, and the deployment window it must
//! fit (its time left, an overrun coming, an overrun come).

use super::*;

impl State {
    /// When the last step should end: the plan, shifted by how late the run is now. With a
    /// deployment window, the window's plan: the steps planned after it are follow-ups.
    pub fn projected_finish(&self) -> Option<DateTime<Utc>> {
        let until = self.runbook.window.map(|w| w.end);
        let (_, end) = self.runbook.span_until(until)?;
        let planned_end = self.t0 + end;
        let slip = self.lateness();
        Some(planned_end + slip)
    }

    /// The steps of the deployment window's plan (planned no later than its end, or not
    /// planned at all) still to do.
    pub fn window_steps_left(&self) -> usize {
        let Some(w) = self.runbook.window else {
            return 0;
        };
        (0..self.steps.len())
            .filter(|i| {
                self.step(*i)
                    .is_some_and(|(_, s)| s.planned.is_none_or(|p| p <= w.end))
                    && !self.step_done(*i)
            })
            .count()
    }

    /// The deployment window now, in words, and how it stands: opening in, time left,
    /// the projected finish past its end (a warning before it happens), or closed with
    /// the window's steps still to do.
    pub fn window_words(&self) -> Option<(String, Standing)> {
        let w = self.runbook.window?;
        let (start, end) = (self.t0 + w.start, self.t0 + w.end);
        // Whole minutes from a minute on: a window is planned in minutes, and seconds
        // ticking on the header would only distract.
        let fmt = |d: TimeDelta| {
            let d = if d >= TimeDelta::minutes(1) {
                TimeDelta::minutes(d.num_minutes())
            } else {
                d
            };
            crate::runbook::time::format_duration(d)
        };
        if self.now < start {
            return Some((
                format!("window opens in {}", fmt(start - self.now)),
                Standing::Good,
            ));
        }
        let left = self.window_steps_left();
        if self.now >= end {
            return Some(if left == 0 {
                ("window closed, its plan done".to_owned(), Standing::Good)
            } else {
                (
                    format!(
                        "window closed {} ago, {left} step{} left",
                        fmt(self.now - end),
                        if left == 1 { "" } else { "s" }
                    ),
                    Standing::Critical,
                )
            });
        }
        match self.projected_finish() {
            Some(f) if f > end && left > 0 => Some((
                format!(
                    "finish ~{}, {} past the window",
                    f.format("%H:%M"),
                    fmt(f - end)
                ),
                Standing::Warning,
            )),
            _ => Some((
                format!("window {} left", fmt(end - self.now)),
                Standing::Good,
            )),
        }
    }
}

//! A status update or planned message on its way: the draft the operator keeps, and the
//! channels still to answer. Live bookkeeping; what was said and what each channel
//! answered is in the journal.

use super::*;

/// A message written and not sent (closed with Esc, or some channel refused it): `U`
/// opens it again as it was, to the channels it has still to reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub text: String,
    /// The planned communication it is (by index), if one.
    pub communication: Option<usize>,
    pub channels: Vec<String>,
}

/// A message handed to its channels, until each has answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sending {
    pub draft: Draft,
    pub waiting: Vec<String>,
    /// The channels that refused it, and why.
    pub failed: Vec<(String, String)>,
}

impl State {
    /// Where a message goes: a planned communication's channels, or the status updates'.
    pub fn message_channels(&self, communication: Option<usize>) -> Vec<String> {
        match communication.and_then(|i| self.runbook.communications.get(i)) {
            Some(c) => c.channels.clone(),
            None => self
                .runbook
                .status_updates
                .as_ref()
                .map(|u| u.channels.clone())
                .unwrap_or_default(),
        }
    }
}

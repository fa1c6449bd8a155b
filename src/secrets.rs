//! The values of the run's secret variables, as this process knows them: every text that
//! leaves it for a file or a screen outside a step's own output (a command KPI's error, a
//! log line) is masked with them. Set once, when the console has its variables.

use std::sync::OnceLock;

static VALUES: OnceLock<Vec<String>> = OnceLock::new();

/// Remembers the values to mask (those too short to mask are left out, as on screen); the
/// first call wins.
pub fn remember(values: Vec<String>) {
    let mut values: Vec<String> = values
        .into_iter()
        .filter(|v| v.len() >= crate::exec::mask::SHORTEST)
        .collect();
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    values.dedup();
    let _ = VALUES.set(values);
}

/// `text` with every remembered value replaced by `****`.
pub fn mask(text: &str) -> String {
    let mut out = text.to_owned();
    for v in VALUES.get().map_or(&[][..], Vec::as_slice) {
        if out.contains(v.as_str()) {
            out = out.replace(v.as_str(), "****");
        }
    }
    out
}

/// A log file whose lines are masked before they are written (a source's error that
/// quotes what it was sent, a variable's value in a message).
pub struct MaskedLog(pub std::sync::Mutex<std::fs::File>);

impl std::io::Write for &MaskedLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let masked = mask(&String::from_utf8_lossy(buf));
        let mut file = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        file.write_all(masked.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

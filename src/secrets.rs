//! The values of the run's secret variables and what keeps them out of sight: a stream
//! masker for a step's output (so no output file holds one, even a value split across two
//! reads of a pipe), and this process's own list, set once when the console has its
//! variables, for every other text that leaves it (a command KPI's error, a log line).
//! The masker is written here rather than with a multi-pattern crate: a run has a handful
//! of secrets, a byte-by-byte scan over them costs little next to the write, and the
//! console's binary (which supervises steps too) stays without another matcher.

use std::sync::OnceLock;

static VALUES: OnceLock<Vec<String>> = OnceLock::new();

/// Remembers the values to mask (those too short to mask are left out, as on screen); the
/// first call wins.
pub fn remember(values: Vec<String>) {
    let mut values: Vec<String> = values.into_iter().filter(|v| v.len() >= SHORTEST).collect();
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    values.dedup();
    let _ = VALUES.set(values);
}

/// `text` with every remembered value replaced by `****`.
pub fn mask(text: &str) -> String {
    hide(text.to_owned(), VALUES.get().map_or(&[][..], Vec::as_slice))
}

/// `text` with each of `values` replaced by `****` (a screen's buffer has its own list).
pub fn hide(mut text: String, values: &[String]) -> String {
    for v in values {
        if text.contains(v.as_str()) {
            text = text.replace(v.as_str(), MASK);
        }
    }
    text
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

/// What a secret becomes, as on screen.
pub const MASK: &str = "****";

/// Values shorter than this are not masked: they would mask too much (as on screen).
pub const SHORTEST: usize = 4;

#[derive(Debug, Default)]
pub struct Masker {
    /// Longest first, so a secret that begins another is not matched in its place.
    secrets: Vec<Vec<u8>>,
    /// The end of what came so far that could be the start of a secret: held back until
    /// what follows says whether it is one.
    held: Vec<u8>,
}

impl Masker {
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let mut secrets: Vec<Vec<u8>> = secrets
            .into_iter()
            .map(String::into_bytes)
            .filter(|s| s.len() >= SHORTEST)
            .collect();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Self {
            secrets,
            held: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// The bytes of `chunk` (after what was held) that can be written now, every secret
    /// in them replaced.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<u8> {
        if self.secrets.is_empty() {
            return chunk.to_vec();
        }
        let mut buf = std::mem::take(&mut self.held);
        buf.extend_from_slice(chunk);
        let mut out = Vec::with_capacity(buf.len());
        let mut i = 0;
        while i < buf.len() {
            let rest = &buf[i..];
            if let Some(s) = self.secrets.iter().find(|s| rest.starts_with(s)) {
                out.extend_from_slice(MASK.as_bytes());
                i += s.len();
            } else if self
                .secrets
                .iter()
                .any(|s| s.len() > rest.len() && s.starts_with(rest))
            {
                // What is left could be a secret's beginning: wait for the rest.
                self.held = rest.to_vec();
                break;
            } else {
                out.push(buf[i]);
                i += 1;
            }
        }
        out
    }

    /// The end of the stream: what was held is not a secret (it never completed one).
    pub fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.held)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(secrets: &[&str], chunks: &[&[u8]]) -> Vec<u8> {
        let mut m = Masker::new(secrets.iter().map(|s| (*s).to_owned()));
        let mut out: Vec<u8> = chunks.iter().flat_map(|c| m.push(c)).collect();
        out.extend(m.finish());
        out
    }

    #[test]
    fn a_secret_is_masked_wherever_the_reads_cut_it() {
        let text = b"token=s3cr3t-t0k3n; again s3cr3t-t0k3n.\n";
        let want = b"token=****; again ****.\n".to_vec();
        for cut in 0..text.len() {
            for cut2 in cut..text.len() {
                let got = through(
                    &["s3cr3t-t0k3n"],
                    &[&text[..cut], &text[cut..cut2], &text[cut2..]],
                );
                assert_eq!(got, want, "cut at {cut}, {cut2}");
            }
        }
    }

    #[test]
    fn byte_by_byte_and_without_secrets_nothing_is_lost() {
        let text: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
        let chunks: Vec<&[u8]> = text.chunks(1).collect();
        assert_eq!(through(&[], &chunks), text);
        assert_eq!(through(&["zzzzzz"], &chunks), text, "no secret in it");
        // A secret's beginning at the very end is not a secret: it is written at the end.
        assert_eq!(through(&["abcdef"], &[b"x abc"]), b"x abc");
    }

    #[test]
    fn overlapping_and_short_values() {
        // The longer of two that share a beginning is masked whole.
        assert_eq!(
            through(&["pass", "password1"], &[b"password1 pass"]),
            b"**** ****"
        );
        // Too short to mask (as on screen).
        assert_eq!(through(&["abc"], &[b"abc"]), b"abc");
        // A near miss is written as it was.
        assert_eq!(
            through(&["secret"], &[b"secre", b"t!secreX"]),
            b"****!secreX"
        );
    }
}

//! Script output as the console holds it: untrusted bytes made safe to draw, in a
//! bounded ring of lines per step.

use std::collections::VecDeque;

/// Lines kept on screen per step; the log file in the run directory has them all.
pub const MAX_LINES: usize = 2000;
/// Characters kept of one line on screen.
pub const MAX_LINE_CHARS: usize = 1000;

#[derive(Debug, Clone, Default)]
pub struct OutputBuffer {
    /// Values never shown: each becomes `****` in every line.
    secrets: std::sync::Arc<[String]>,
    lines: VecDeque<String>,
    /// Lines dropped from the front to keep memory bounded.
    pub dropped: u64,
    /// The unterminated tail of the last chunk.
    partial: Vec<u8>,
}

impl OutputBuffer {
    pub fn push_bytes(&mut self, bytes: &[u8]) {
        let newlines = bytes.iter().filter(|b| **b == b'\n').count();
        let mut bytes = bytes;
        // Lines that would scroll out of the ring within this chunk are never drawn: count
        // them as dropped instead of cleaning them (a flood costs a scan, not a parse).
        if newlines > MAX_LINES {
            let skip = newlines - MAX_LINES;
            let mut seen = 0;
            let cut = bytes
                .iter()
                .position(|b| {
                    seen += usize::from(*b == b'\n');
                    seen == skip
                })
                .map_or(0, |p| p + 1);
            bytes = &bytes[cut..];
            self.partial.clear();
            self.dropped += (skip + self.lines.len()) as u64;
            self.lines.clear();
        }
        self.partial.extend_from_slice(bytes);
        let mut start = 0;
        while let Some(nl) = self.partial[start..].iter().position(|b| *b == b'\n') {
            let line = self.partial[start..start + nl].to_vec();
            self.push_line(&line);
            start += nl + 1;
        }
        self.partial.drain(..start);
        // A line with no newline yet may grow without bound: flush it in pieces.
        if self.partial.len() > MAX_LINE_CHARS * 4 {
            let line = std::mem::take(&mut self.partial);
            self.push_line(&line);
        }
    }

    /// Flushes the unterminated tail (when the process has ended).
    pub fn finish(&mut self) {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.push_line(&line);
        }
    }

    /// A buffer that hides these values (secrets from the environment) wherever they appear.
    pub fn masking(secrets: std::sync::Arc<[String]>) -> Self {
        Self {
            secrets,
            ..Self::default()
        }
    }

    pub fn push_line(&mut self, raw: &[u8]) {
        let clean = crate::secrets::hide(sanitize(raw), &self.secrets);
        if self.lines.len() == MAX_LINES {
            self.lines.pop_front();
            self.dropped += 1;
        }
        self.lines.push_back(clean);
    }

    pub fn lines(&self) -> &VecDeque<String> {
        &self.lines
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

/// Makes one line of untrusted output safe: invalid UTF-8 replaced, every escape
/// sequence (colours included) and control character removed, tabs expanded, the
/// length capped.
pub fn sanitize(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let mut out = String::with_capacity(text.len().min(MAX_LINE_CHARS));
    let mut chars = text.chars().peekable();
    let mut count = 0;
    while let Some(c) = chars.next() {
        if count >= MAX_LINE_CHARS {
            out.push('…');
            break;
        }
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            // C1 CSI/OSC introducers act like ESC [ and ESC ] on some terminals.
            '\u{9b}' => skip_until_final(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\t' => {
                let pad = 8 - count % 8;
                out.extend(std::iter::repeat_n(' ', pad));
                count += pad;
            }
            '\r' => {}
            c if c.is_control() => {}
            c => {
                out.push(c);
                count += 1;
            }
        }
    }
    out
}

fn skip_escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.next() {
        Some('[') => skip_until_final(chars),
        Some(']' | 'P' | 'X' | '^' | '_') => skip_string(chars),
        // Two-character sequences such as ESC c (reset) or ESC ( B: drop the next one too.
        Some('(' | ')' | '*' | '+' | '#' | '%') => {
            chars.next();
        }
        _ => {}
    }
}

/// CSI: parameters and intermediates, then one final byte in `@`..`~`.
fn skip_until_final(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in chars.by_ref() {
        if ('@'..='~').contains(&c) {
            break;
        }
    }
}

/// OSC/DCS/APC/PM/SOS: up to BEL or ST (ESC \).
fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => break,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                break;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn secrets_are_starred_wherever_they_are_in_a_line() {
        let mut b = OutputBuffer::masking(std::sync::Arc::from(["hunter22".to_owned()]));
        b.push_bytes(b"pass=hunter22 and again hunter22\nplain\n");
        assert_eq!(b.lines()[0], "pass=**** and again ****");
        assert_eq!(b.lines()[1], "plain");
    }

    use super::*;

    #[test]
    fn escapes_and_controls_are_removed() {
        assert_eq!(sanitize(b"\x1b[2J\x1b[Hcleared"), "cleared");
        assert_eq!(sanitize(b"\x1b]0;evil title\x07after"), "after");
        assert_eq!(sanitize(b"\x1b]2;t\x1b\\x"), "x");
        assert_eq!(sanitize(b"\x1b[31mred\x1b[0m bell\x07"), "red bell");
        assert_eq!(sanitize(b"bad \xff utf8"), "bad \u{fffd} utf8");
        assert_eq!(sanitize(b"a\tb"), "a       b");
        assert_eq!(sanitize("c1 \u{9b}2Jcsi".as_bytes()), "c1 csi");
    }

    #[test]
    fn a_huge_chunk_keeps_only_its_tail_and_counts_the_rest() {
        let mut b = OutputBuffer::default();
        b.push_bytes(b"head-partial-");
        let mut chunk = Vec::new();
        for i in 0..MAX_LINES * 3 {
            chunk.extend_from_slice(format!("line {i}\n").as_bytes());
        }
        chunk.extend_from_slice(b"tail-");
        b.push_bytes(&chunk);
        b.push_bytes(b"end\n");
        assert_eq!(b.len(), MAX_LINES);
        assert_eq!(
            b.lines().front().map(String::as_str),
            Some(format!("line {}", MAX_LINES * 2 + 1).as_str())
        );
        assert_eq!(b.lines().back().map(String::as_str), Some("tail-end"));
        // Every line is accounted for: shown or dropped.
        assert_eq!(b.dropped as usize + b.len(), MAX_LINES * 3 + 1);
    }

    #[test]
    fn ring_is_bounded_and_lines_are_split() {
        let mut b = OutputBuffer::default();
        b.push_bytes(b"one\ntw");
        assert_eq!(b.len(), 1);
        b.push_bytes(b"o\n");
        assert_eq!(b.lines().back().map(String::as_str), Some("two"));
        for i in 0..MAX_LINES + 10 {
            b.push_line(format!("{i}").as_bytes());
        }
        assert_eq!(b.len(), MAX_LINES);
        assert_eq!(b.dropped, 12);
        let long = vec![b'x'; MAX_LINE_CHARS * 3];
        b.push_line(&long);
        assert_eq!(
            b.lines().back().map(|l| l.chars().count()),
            Some(MAX_LINE_CHARS + 1)
        );
    }
}

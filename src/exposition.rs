//! Prometheus's exposition formats, read to the letter: the text format (version 0.0.4)
//! and OpenMetrics 1.0. A malformed line rejects the whole page with its line number.
//!
//! Two rule sets for the text format, because Prometheus's own two parsers differ:
//! - `Rules::Spec` is the spec to the letter, as prometheus/common's `expfmt` reads it
//!   (the format's reference, and what `promtool check metrics` runs), with one difference
//!   the spec asks for: blanks at the end of a line are ignored ("leading and trailing
//!   whitespace is ignored"), where `expfmt` expects a timestamp after them.
//! - `Rules::Scraper` (the default) never rejects a page Prometheus's scraper
//!   (`model/textparse`) reads: on top of the spec it takes what the scraper takes, a
//!   second HELP or TYPE line, a TYPE after its samples, escapes HELP text does not
//!   define, an unknown escape in a label value (kept as written), an `le` or `quantile`
//!   that is not a number, a last line without its line feed.
//!
//! `tests/exposition` holds the proof of both, against promtool and the real scraper.
//! Pure: bytes in, samples or the first malformed line out; no I/O.

use std::collections::HashMap;
use std::fmt;

/// What the `Accept` header asks for: the text format first, OpenMetrics second, as
/// anything a server prefers may be read.
pub const ACCEPT: &str =
    "text/plain;version=0.0.4;q=1,application/openmetrics-text;version=1.0.0;q=0.5,*/*;q=0.1";

#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
    /// The exposed timestamp, in milliseconds since the epoch, if the page gave one.
    pub timestamp_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// 1-based.
    pub line: usize,
    pub why: String,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.why)
    }
}

impl std::error::Error for Malformed {}

/// How strictly a text page is read (above).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rules {
    #[default]
    Scraper,
    Spec,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    OpenMetrics,
}

impl Format {
    /// The format a response's `Content-Type` names. Anything that is not OpenMetrics is
    /// read as text, as Prometheus does, except the protobuf format, which is refused.
    pub fn of(content_type: Option<&str>) -> Result<Self, String> {
        let media = content_type
            .and_then(|ct| ct.split(';').next())
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match media.as_str() {
            "application/openmetrics-text" => Ok(Self::OpenMetrics),
            "application/vnd.google.protobuf" => Err(
                "the page is in Prometheus's protobuf format, which warroom does not read \
                 (it asked for text)"
                    .into(),
            ),
            _ => Ok(Self::Text),
        }
    }
}

/// Reads a whole page; the first malformed line rejects it. OpenMetrics is always read
/// by its spec.
pub fn parse(page: &[u8], format: Format, rules: Rules) -> Result<Vec<Sample>, Malformed> {
    let strict = rules == Rules::Spec || format == Format::OpenMetrics;
    let mut reader = Reader {
        format,
        strict,
        families: HashMap::new(),
        samples: Vec::new(),
        eof: None,
    };
    let mut lines = page.split(|&b| b == b'\n').enumerate().peekable();
    while let Some((i, line)) = lines.next() {
        let n = i + 1;
        let last = lines.peek().is_none();
        if last {
            // After the final line feed, `split` yields one empty piece.
            if line.iter().all(|&b| b == b' ' || b == b'\t') && format == Format::Text {
                break;
            }
            if format == Format::OpenMetrics && line == b"# EOF" && reader.eof.is_none() {
                reader.eof = Some(n);
                break;
            }
            if !strict {
                // The scraper reads a last line that has no line feed.
                reader
                    .line(line, n)
                    .map_err(|why| Malformed { line: n, why })?;
                break;
            }
            if format == Format::Text || !line.is_empty() {
                return Err(Malformed {
                    line: n,
                    why: "the page ends in the middle of this line (no final line feed): \
                          cut short?"
                        .into(),
                });
            }
            break;
        }
        if let Some(eof) = reader.eof {
            return Err(Malformed {
                line: n,
                why: format!("content after `# EOF` (line {eof})"),
            });
        }
        reader.line(line, n).map_err(|why| Malformed {
            line: n,
            why: if line.ends_with(b"\r") {
                "the line ends in a carriage return: lines are separated by \\n alone \
                 (CRLF line endings are not the format)"
                    .into()
            } else {
                why
            },
        })?;
    }
    if format == Format::OpenMetrics && reader.eof.is_none() {
        let lines = page.split(|&b| b == b'\n').count();
        return Err(Malformed {
            line: lines.max(1),
            why: "an OpenMetrics page ends with `# EOF`; this one has none (cut short?)".into(),
        });
    }
    Ok(reader.samples)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Counter,
    Gauge,
    Summary,
    Histogram,
    Other,
}

#[derive(Default)]
struct Family {
    help: bool,
    kind: Option<Kind>,
    unit: bool,
}

struct Reader {
    format: Format,
    /// The spec's rules on metadata, escapes, `le`/`quantile` and the last line feed.
    strict: bool,
    families: HashMap<String, Family>,
    samples: Vec<Sample>,
    /// The line of `# EOF` (OpenMetrics).
    eof: Option<usize>,
}

/// A cursor over one line.
struct Line<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Line<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    fn at_end(&self) -> bool {
        self.i >= self.b.len()
    }

    fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a [u8] {
        let start = self.i;
        while self.peek().is_some_and(&f) {
            self.i += 1;
        }
        &self.b[start..self.i]
    }

    /// Up to the next blank or the end of the line.
    fn token(&mut self) -> &'a [u8] {
        self.take_while(|b| b != b' ' && b != b'\t')
    }

    /// The character here, for messages.
    fn here(&self) -> String {
        match String::from_utf8_lossy(&self.b[self.i.min(self.b.len())..])
            .chars()
            .next()
        {
            None => "the end of the line".into(),
            Some('\r') => "a carriage return".into(),
            Some(c) => format!("`{c}`"),
        }
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b':'
}

fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b':'
}

fn is_label_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_label_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// A float as Go's `strconv.ParseFloat` reads it, which both of Prometheus's parsers use,
/// without hexadecimal floats and `_` (which they refuse): `NaN`, `+Inf`, `-Inf`, `1e3`,
/// `.5`; an out-of-range number is an error, not infinity.
pub fn parse_float(s: &str) -> Option<f64> {
    if s.is_empty()
        || s.bytes()
            .any(|b| matches!(b, b'p' | b'P' | b'_' | b'x' | b'X'))
    {
        return None;
    }
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    if unsigned.eq_ignore_ascii_case("nan") {
        // Go takes no sign on NaN.
        return (unsigned.len() == s.len()).then_some(f64::NAN);
    }
    let infinity =
        unsigned.eq_ignore_ascii_case("inf") || unsigned.eq_ignore_ascii_case("infinity");
    let v: f64 = s.parse().ok()?;
    (v.is_finite() || infinity).then_some(v)
}

impl Reader {
    fn line(&mut self, b: &[u8], n: usize) -> Result<(), String> {
        let mut l = Line { b, i: 0 };
        if self.format == Format::Text {
            l.blanks();
        }
        match l.peek() {
            None if self.format == Format::Text => Ok(()),
            None => Err("OpenMetrics has no blank lines".into()),
            Some(b'#') => {
                l.i += 1;
                self.comment(&mut l, n)
            }
            Some(_) => {
                let s = self.sample(&mut l)?;
                self.samples.push(s);
                Ok(())
            }
        }
    }

    /// The family a name belongs to: `x_sum`, `x_count` (and `x_bucket`) belong to a
    /// summary (histogram) `x` already declared, as in `expfmt`.
    fn family(&mut self, name: &str) -> &mut Family {
        let mut key = name;
        if !self.families.contains_key(name) {
            let base = |suffixes: &[&str]| {
                suffixes
                    .iter()
                    .find_map(|s| name.strip_suffix(s))
                    .unwrap_or(name)
            };
            let om = self.format == Format::OpenMetrics;
            let summary = base(if om {
                &["_count", "_sum", "_created"]
            } else {
                &["_count", "_sum"]
            });
            let histogram = base(if om {
                &["_bucket", "_count", "_sum", "_created", "_gcount", "_gsum"]
            } else {
                &["_bucket", "_count", "_sum"]
            });
            let counter = base(&["_total", "_created"]);
            let info = base(&["_info"]);
            let is = |k: &str, kind: Kind| {
                self.families
                    .get(k)
                    .is_some_and(|f| f.kind == Some(kind) || (om && f.kind == Some(Kind::Other)))
            };
            if is(summary, Kind::Summary) {
                key = summary;
            } else if is(histogram, Kind::Histogram) {
                key = histogram;
            } else if om && is(counter, Kind::Counter) {
                key = counter;
            } else if om && is(info, Kind::Other) {
                key = info;
            }
        }
        self.families.entry(key.to_owned()).or_default()
    }

    fn comment(&mut self, l: &mut Line<'_>, n: usize) -> Result<(), String> {
        let om = self.format == Format::OpenMetrics;
        if om {
            if l.b == b"# EOF" {
                self.eof = Some(n);
                return Ok(());
            }
            if l.peek() != Some(b' ') {
                return Err(
                    "an OpenMetrics comment is `# HELP`, `# TYPE`, `# UNIT` or `# EOF`".into(),
                );
            }
        }
        l.blanks();
        let keyword = l.token();
        if l.at_end() && !om {
            return Ok(());
        }
        match keyword {
            b"HELP" | b"TYPE" => {}
            b"UNIT" if om => {}
            _ if om => {
                return Err(format!(
                    "`# {}` is not an OpenMetrics line (only HELP, TYPE, UNIT and EOF)",
                    text(keyword)
                ));
            }
            // Any other comment.
            _ => return Ok(()),
        }
        l.blanks();
        let name = text(l.take_while(is_name_char));
        if l.at_end() && !om {
            return Ok(());
        }
        if name.is_empty() || !name.bytes().next().is_some_and(is_name_start) {
            return Err(format!("invalid metric name in `# {}`", text(keyword)));
        }
        if !matches!(l.peek(), Some(b' ' | b'\t')) {
            return Err(format!(
                "invalid metric name in `# {}`: {} after `{name}`",
                text(keyword),
                l.here()
            ));
        }
        l.blanks();
        if l.at_end() && !om {
            return Ok(());
        }
        let rest = &l.b[l.i..];
        let strict = self.strict;
        let family = self.family(&name);
        match keyword {
            b"HELP" if !strict => {}
            b"HELP" => {
                if family.help {
                    return Err(format!("a second HELP line for `{name}`"));
                }
                family.help = true;
                help_text(rest, om)?;
            }
            b"UNIT" => {
                if family.unit {
                    return Err(format!("a second UNIT line for `{name}`"));
                }
                family.unit = true;
            }
            _ => {
                let kind = kind(&text(rest), om)?;
                if !strict {
                    // The scraper takes the last TYPE line's word for it.
                    family.kind = Some(kind);
                    return Ok(());
                }
                if family.kind.is_some() {
                    return Err(format!(
                        "a second TYPE line for `{name}`, or a TYPE line after its samples \
                         (it must come first)"
                    ));
                }
                family.kind = Some(kind);
            }
        }
        Ok(())
    }

    fn sample(&mut self, l: &mut Line<'_>) -> Result<Sample, String> {
        let om = self.format == Format::OpenMetrics;
        let name = if l.peek().is_some_and(is_name_start) {
            text(l.take_while(is_name_char))
        } else if l.peek() == Some(b'{') {
            return Err("a sample needs a metric name before `{`".into());
        } else {
            return Err(format!(
                "invalid metric name: it starts with a letter, `_` or `:`, not {}",
                l.here()
            ));
        };
        let family = self.family(&name);
        // A sample fixes its family's type: a TYPE line after it is misplaced.
        let kind = *family.kind.get_or_insert(Kind::Other);
        if !om {
            l.blanks();
        }
        let mut labels = Vec::new();
        if l.peek() == Some(b'{') {
            l.i += 1;
            labels = label_set(l, kind, &name, self.strict)?;
        }
        if om && l.peek() != Some(b' ') {
            return Err(format!(
                "expected one space before the value, found {}",
                l.here()
            ));
        }
        l.blanks();
        let value_text = text(l.token());
        if value_text.is_empty() {
            return Err(format!("`{name}` has no value"));
        }
        let value = parse_float(&value_text)
            .ok_or_else(|| format!("`{value_text}` is not a number (the value of `{name}`)"))?;
        l.blanks();
        let mut timestamp_ms = None;
        if !l.at_end() && l.peek() != Some(b'#') {
            let ts = text(l.token());
            timestamp_ms = Some(if om {
                parse_float(&ts)
                    .filter(|t| t.is_finite())
                    .map(|t| (t * 1000.0).round() as i64)
                    .ok_or_else(|| format!("`{ts}` is not a timestamp in seconds"))?
            } else {
                ts.parse::<i64>().map_err(|_| {
                    format!("`{ts}` is not a timestamp (whole milliseconds since the epoch)")
                })?
            });
            l.blanks();
        }
        if om && l.peek() == Some(b'#') {
            exemplar(l)?;
        }
        if !l.at_end() {
            return Err(format!(
                "unexpected `{}` after the {}",
                text(&l.b[l.i..]).trim_end(),
                if timestamp_ms.is_some() {
                    "timestamp"
                } else {
                    "value"
                }
            ));
        }
        Ok(Sample {
            name,
            labels,
            value,
            timestamp_ms,
        })
    }
}

fn kind(t: &str, om: bool) -> Result<Kind, String> {
    let known = if om {
        match t {
            "counter" => Some(Kind::Counter),
            "gauge" => Some(Kind::Gauge),
            "summary" => Some(Kind::Summary),
            "histogram" => Some(Kind::Histogram),
            "gaugehistogram" | "stateset" | "info" | "unknown" => Some(Kind::Other),
            _ => None,
        }
    } else {
        // `expfmt` takes the type in any case.
        match t.to_ascii_lowercase().as_str() {
            "counter" => Some(Kind::Counter),
            "gauge" => Some(Kind::Gauge),
            "summary" => Some(Kind::Summary),
            "histogram" => Some(Kind::Histogram),
            "untyped" | "gauge_histogram" => Some(Kind::Other),
            _ => None,
        }
    };
    known.ok_or_else(|| {
        format!(
            "unknown metric type `{t}` (one of {})",
            if om {
                "counter, gauge, histogram, gaugehistogram, stateset, info, summary, unknown"
            } else {
                "counter, gauge, histogram, summary, untyped"
            }
        )
    })
}

/// HELP text escapes `\\` and `\n` (and, in OpenMetrics, `\"`); any other is malformed.
fn help_text(rest: &[u8], om: bool) -> Result<(), String> {
    let mut it = rest.iter();
    while let Some(&b) = it.next() {
        if b == b'\\' {
            match it.next() {
                Some(b'\\' | b'n') => {}
                Some(b'"') if om => {}
                Some(&c) => {
                    return Err(format!(
                        "invalid escape `\\{}` in HELP text (only `\\\\` and `\\n`)",
                        text(&[c])
                    ));
                }
                None => return Err("HELP text ends in a lone `\\`".into()),
            }
        }
    }
    Ok(())
}

/// The labels after `{`, through `}`.
fn label_set(
    l: &mut Line<'_>,
    kind: Kind,
    metric: &str,
    strict: bool,
) -> Result<Vec<(String, String)>, String> {
    let mut labels: Vec<(String, String)> = Vec::new();
    loop {
        l.blanks();
        if l.peek() == Some(b'}') {
            l.i += 1;
            return Ok(labels);
        }
        if !l.peek().is_some_and(is_label_start) {
            return Err(format!(
                "invalid label name in `{metric}`: it starts with a letter or `_`, not {}",
                l.here()
            ));
        }
        let name = text(l.take_while(is_label_char));
        if name == "__name__" {
            return Err("the label name `__name__` is reserved".into());
        }
        // `le` of a histogram and `quantile` of a summary are not labels to `expfmt`.
        let special = (kind == Kind::Histogram && name == "le")
            || (kind == Kind::Summary && name == "quantile");
        if !special && labels.iter().any(|(k, _)| *k == name) {
            return Err(format!("the label `{name}` appears twice in `{metric}`"));
        }
        l.blanks();
        if l.peek() != Some(b'=') {
            return Err(format!(
                "expected `=` after the label name `{name}`, found {}",
                l.here()
            ));
        }
        l.i += 1;
        l.blanks();
        if l.peek() != Some(b'"') {
            return Err(format!(
                "the value of label `{name}` must be in double quotes, found {}",
                l.here()
            ));
        }
        l.i += 1;
        let value = label_value(l, &name, strict)?;
        if strict && special && parse_float(&value).is_none() {
            return Err(format!("`{value}` is not a number (the `{name}` label)"));
        }
        labels.push((name, value));
        l.blanks();
        match l.peek() {
            Some(b',') => l.i += 1,
            Some(b'}') => {}
            _ => {
                return Err(format!(
                    "expected `,` or `}}` after a label's value, found {}",
                    l.here()
                ));
            }
        }
    }
}

/// A label value after its opening quote, through the closing one: `\\`, `\"` and `\n`
/// are the escapes; the value must be UTF-8.
fn label_value(l: &mut Line<'_>, name: &str, strict: bool) -> Result<String, String> {
    let mut out = Vec::new();
    loop {
        let Some(b) = l.peek() else {
            return Err(format!(
                "the value of label `{name}` is not closed (a line feed in a value is \
                 written `\\n`)"
            ));
        };
        l.i += 1;
        match b {
            b'"' => break,
            b'\\' => {
                let escaped = l.peek();
                l.i += 1;
                let unescaped = match escaped {
                    Some(b'\\') => b'\\',
                    Some(b'"') => b'"',
                    Some(b'n') => b'\n',
                    // The scraper keeps an escape it does not know as written.
                    Some(c) if !strict => {
                        out.push(b'\\');
                        c
                    }
                    other => {
                        return Err(format!(
                            "invalid escape `\\{}` in the value of label `{name}` (only \
                             `\\\\`, `\\\"` and `\\n`)",
                            other.map_or(String::new(), |c| text(&[c]))
                        ));
                    }
                };
                out.push(unescaped);
            }
            _ => out.push(b),
        }
    }
    String::from_utf8(out).map_err(|_| format!("the value of label `{name}` is not UTF-8"))
}

/// An OpenMetrics exemplar after a sample: `# {labels} value [timestamp]`; checked, not kept.
fn exemplar(l: &mut Line<'_>) -> Result<(), String> {
    l.i += 1;
    l.blanks();
    if l.peek() != Some(b'{') {
        return Err("an exemplar is `# {labels} value`".into());
    }
    l.i += 1;
    label_set(l, Kind::Other, "the exemplar", true)?;
    l.blanks();
    let v = text(l.token());
    parse_float(&v).ok_or_else(|| format!("`{v}` is not a number (the exemplar's value)"))?;
    l.blanks();
    if !l.at_end() {
        let ts = text(l.token());
        parse_float(&ts).ok_or_else(|| format!("`{ts}` is not the exemplar's timestamp"))?;
        l.blanks();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(page: &str) -> Vec<Sample> {
        parse(page.as_bytes(), Format::Text, Rules::Spec)
            .unwrap_or_else(|e| panic!("{page:?}: {e}"))
    }

    fn bad(page: &str) -> Malformed {
        parse(page.as_bytes(), Format::Text, Rules::Spec).expect_err(page)
    }

    #[test]
    fn samples_labels_escapes_and_timestamps() {
        let s = ok(concat!(
            "# HELP m Help with \\\\ and \\n.\n",
            "# TYPE m gauge\n",
            "m{path=\"C:\\\\DIR\",msg=\"a \\\"b\\\"\\nc\",} 1.5e3 -1000\n",
            "  m{ x = \"y\" }\t+Inf \t\n",
            "m{} NaN\n",
        ));
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].labels[0], ("path".into(), r"C:\DIR".into()));
        assert_eq!(s[0].labels[1], ("msg".into(), "a \"b\"\nc".into()));
        assert_eq!(s[0].value, 1500.0);
        assert_eq!(s[0].timestamp_ms, Some(-1000));
        assert_eq!(s[1].value, f64::INFINITY);
        assert_eq!(s[1].timestamp_ms, None);
        assert!(s[2].value.is_nan());
    }

    #[test]
    fn malformed_lines_name_their_number_and_reason() {
        let e = bad("a 1\nb 2\nc{x=\"1\",x=\"2\"} 3\n");
        assert_eq!(e.line, 3);
        assert!(e.why.contains("twice"), "{e}");
        assert!(bad("m 1\r\n").why.contains("carriage return"));
        assert!(bad("m 1\nn 2").why.contains("no final line feed"));
        assert!(bad("m 1e500\n").why.contains("not a number"));
        assert!(bad("m +NaN\n").why.contains("not a number"));
        assert!(bad("m 0x1p3\n").why.contains("not a number"));
        assert!(bad("m 1 1.5\n").why.contains("timestamp"));
        assert!(bad("m{a=\"\\x\"} 1\n").why.contains("escape"));
        assert!(bad("m 1\n# TYPE m gauge\n").why.contains("TYPE"));
        assert!(bad("{a=\"1\"} 1\n").why.contains("metric name"));
    }

    #[test]
    fn open_metrics_reads_seconds_exemplars_and_needs_eof() {
        let page = concat!(
            "# TYPE requests counter\n",
            "# HELP requests Requests.\n",
            "requests_total{code=\"200\"} 7 1700000000.5 # {trace_id=\"abc\"} 1 1700000000\n",
            "requests_created 1700000000\n",
            "# EOF\n",
        );
        let s = parse(page.as_bytes(), Format::OpenMetrics, Rules::Spec)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s[0].value, 7.0);
        assert_eq!(s[0].timestamp_ms, Some(1_700_000_000_500));
        let cut = page.replace("# EOF\n", "");
        let e = parse(cut.as_bytes(), Format::OpenMetrics, Rules::Spec).expect_err("no EOF");
        assert!(e.why.contains("EOF"), "{e}");
        let after = format!("{page}m 1\n");
        assert!(parse(after.as_bytes(), Format::OpenMetrics, Rules::Spec).is_err());
    }

    #[test]
    fn content_types() {
        assert_eq!(Format::of(None), Ok(Format::Text));
        assert_eq!(
            Format::of(Some("text/plain; version=0.0.4; charset=utf-8")),
            Ok(Format::Text)
        );
        assert_eq!(
            Format::of(Some(
                "application/openmetrics-text; version=1.0.0; charset=utf-8"
            )),
            Ok(Format::OpenMetrics)
        );
        assert!(
            Format::of(Some(
                "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily"
            ))
            .is_err()
        );
    }
}

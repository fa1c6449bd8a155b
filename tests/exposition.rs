//! The `/metrics` reader against the exposition format: a table of pages written from the
//! spec (`tests/exposition/*.prom`, each with what it must give), the same pages through
//! `promtool check metrics` (prometheus/common's `expfmt`, the format's reference parser)
//! as the oracle for `Rules::Spec`, and property tests: any valid page reads back exactly;
//! any bytes give a page or an error, never a panic, in time and memory bounded by the
//! input. `tests/real_prometheus.rs` holds the same pages against Prometheus's scraper.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use proptest::prelude::*;
use warroom::exposition::{Format, Rules, Sample, parse};

/// What each page gives: the number of samples, or the line that rejects it.
const EXPECTED: &[(&str, Result<usize, usize>)] = &[
    ("bad-escape", Err(1)),
    ("bad-label-name-colon", Err(1)),
    ("bad-label-name-digit", Err(1)),
    ("bad-line-5", Err(5)),
    ("bad-metric-name-dash", Err(1)),
    ("bad-metric-name-digit", Err(1)),
    ("bad-value", Err(1)),
    ("blank-braces", Ok(1)),
    ("blank-lines-and-indent", Ok(2)),
    ("colons-in-names", Ok(2)),
    ("comma-only", Err(1)),
    ("comment-without-newline-content", Ok(1)),
    ("counter-negative", Ok(1)),
    ("counter-without-total", Ok(1)),
    ("crlf", Err(1)),
    ("double-comma", Err(1)),
    ("duplicate-label-name", Err(1)),
    ("duplicate-samples", Ok(2)),
    ("empty", Ok(0)),
    ("empty-braces", Ok(1)),
    ("extra-field", Err(1)),
    ("float-timestamp", Err(1)),
    ("gauge-type-after-help", Ok(2)),
    ("go-float-spellings", Ok(6)),
    ("hash-help-no-space", Ok(1)),
    ("help-empty-then-help", Ok(1)),
    ("help-escapes", Err(1)),
    ("help-lone-backslash", Err(1)),
    ("help-twice", Err(2)),
    ("help-twice-other-metric", Ok(2)),
    ("histogram-bad-le", Err(2)),
    ("histogram-missing-le", Ok(1)),
    ("invalid-utf8-label", Err(1)),
    ("label-value-newline", Err(1)),
    ("label-value-utf8", Ok(1)),
    ("labels-then-blanks-only", Err(1)),
    ("missing-value", Err(1)),
    ("missing-value-after-labels", Err(1)),
    ("name-in-braces-only", Err(1)),
    ("negative-timestamp", Ok(1)),
    ("no-blank-after-labels", Ok(1)),
    ("no-final-newline", Err(2)),
    ("reserved-name-label", Err(1)),
    ("sample-with-tab-value", Ok(1)),
    ("single-quoted-label-value", Err(1)),
    ("space-before-braces", Ok(1)),
    ("spec-example", Ok(20)),
    ("special-values", Err(8)),
    ("summary-bad-quantile", Err(2)),
    ("summary-type-after-parts", Err(4)),
    ("tab-inside-name", Err(1)),
    ("timestamp-out-of-range", Err(2)),
    ("trailing-blanks", Ok(2)),
    ("trailing-comma", Ok(1)),
    ("type-after-sample", Err(2)),
    ("type-double-space", Ok(1)),
    ("type-for-histogram-part", Err(2)),
    ("type-gauge-histogram", Ok(1)),
    ("type-trailing-space", Err(1)),
    ("type-twice", Err(2)),
    ("type-uppercase", Ok(1)),
    ("type-without-value", Ok(1)),
    ("unclosed-braces", Err(1)),
    ("unclosed-label-value", Err(1)),
    ("unknown-type", Err(1)),
    ("unquoted-label-value", Err(1)),
    ("untyped-and-comments", Ok(1)),
    ("value-out-of-range", Err(1)),
    ("value-with-unit", Err(1)),
    ("whitespace-between-labels", Ok(1)),
];

/// Pages the spec (and `expfmt`) refuse but Prometheus's scraper reads, and so does
/// warroom by default (`Rules::Scraper`); everything else reads the same in both modes.
const SCRAPER_READS: &[&str] = &[
    "bad-escape",
    "help-escapes",
    "help-lone-backslash",
    "help-twice",
    "histogram-bad-le",
    "no-final-newline",
    "summary-bad-quantile",
    "summary-type-after-parts",
    "type-after-sample",
    "type-for-histogram-part",
    "type-twice",
];

/// Where warroom and `expfmt` differ, on purpose: the spec says blanks at the end of a line
/// are ignored; `expfmt` reads a blank after the value as the start of a timestamp.
const DELIBERATE: &[&str] = &["blank-lines-and-indent", "trailing-blanks"];

fn pages() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/exposition");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "prom"))
        .collect();
    v.sort();
    v
}

fn stem(p: &Path) -> String {
    p.file_stem().unwrap().to_string_lossy().into_owned()
}

fn ours(page: &[u8]) -> Result<usize, usize> {
    parse(page, Format::Text, Rules::Spec)
        .map(|s| s.len())
        .map_err(|e| e.line)
}

#[test]
fn every_page_in_the_table_gives_what_the_spec_says() {
    let files = pages();
    let mut names: Vec<String> = files.iter().map(|p| stem(p)).collect();
    let mut listed: Vec<&str> = EXPECTED.iter().map(|(n, _)| *n).collect();
    names.sort();
    listed.sort();
    assert_eq!(
        names, listed,
        "every page has an expectation, and only pages do"
    );
    let mut wrong = Vec::new();
    for path in &files {
        let name = stem(path);
        let want = EXPECTED
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, w)| *w)
            .unwrap();
        let page = std::fs::read(path).unwrap();
        let got = parse(&page, Format::Text, Rules::Spec);
        if got.as_ref().map(Vec::len).map_err(|e| e.line) != want {
            wrong.push(format!("{name}: want {want:?}, got {got:?}"));
        }
        // By default, what the scraper reads is read too; the rest as by the spec.
        let lenient = parse(&page, Format::Text, Rules::Scraper);
        let reads = SCRAPER_READS.contains(&name.as_str());
        if lenient.is_ok() != (want.is_ok() || reads) {
            wrong.push(format!("{name} (as the scraper): got {lenient:?}"));
        }
        if reads {
            assert!(
                want.is_err(),
                "{name} is listed as read only by the scraper"
            );
        }
        // A rejection always says where and why.
        if let Err(e) = &got {
            assert!(e.to_string().starts_with(&format!("line {}: ", e.line)));
            assert!(e.why.len() > 10, "{name}: {e}");
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let rejected = EXPECTED.iter().filter(|(_, r)| r.is_err()).count();
    assert!(EXPECTED.len() >= 60 && rejected >= 30, "the table shrank");
}

#[test]
fn the_spec_example_reads_exactly() {
    let page = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/exposition/spec-example.prom"),
    )
    .unwrap();
    let s = parse(&page, Format::Text, Rules::Spec).unwrap();
    assert_eq!(s[0].name, "http_requests_total");
    assert_eq!(s[0].timestamp_ms, Some(1_395_066_363_000));
    assert_eq!(s[2].labels[0], ("path".into(), r"C:\DIR\FILE.TXT".into()));
    assert_eq!(
        s[2].labels[1],
        ("error".into(), "Cannot find file:\n\"FILE.TXT\"".into())
    );
    assert_eq!(s[2].value, 1.458255915e9);
    assert_eq!(s[4].value, f64::INFINITY);
    assert_eq!(s[4].timestamp_ms, Some(-3_982_045));
    let bucket = s
        .iter()
        .find(|s| s.name == "http_request_duration_seconds_bucket" && s.labels[0].1 == "+Inf")
        .unwrap();
    assert_eq!(bucket.value, 144_320.0);
}

/// `promtool check metrics` exits 1 with `parsing error in line N` on a page `expfmt`
/// rejects (and 0 or 3, lint findings, on one it reads).
fn promtool(page: &[u8]) -> Option<Result<(), usize>> {
    use std::io::Write;
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take().unwrap().write_all(page).unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(match said.split_once("parsing error in line ") {
        Some((_, rest)) => {
            let n: String = rest.chars().take_while(char::is_ascii_digit).collect();
            Err(n.parse().unwrap())
        }
        None => Ok(()),
    })
}

#[test]
fn promtool_reads_every_page_as_warroom_does() {
    if promtool(b"up 1\n").is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install promtool (Debian `prometheus`)"
        );
        eprintln!("promtool is not installed: the oracle was not run");
        return;
    }
    let mut agree = 0;
    let mut wrong = Vec::new();
    for path in pages() {
        let name = stem(&path);
        let page = std::fs::read(&path).unwrap();
        let theirs = promtool(&page).unwrap();
        let mine = ours(&page).map(|_| ());
        if DELIBERATE.contains(&name.as_str()) {
            // The difference is real, and goes the way documented: we read, expfmt refuses.
            assert!(
                mine.is_ok() && theirs.is_err(),
                "{name}: {mine:?} vs {theirs:?}"
            );
        } else if mine == theirs {
            agree += 1;
        } else {
            wrong.push(format!("{name}: promtool {theirs:?}, warroom {mine:?}"));
        }
    }
    eprintln!(
        "warroom reads {agree} of {} pages as promtool does ({} deliberate differences)",
        pages().len() - DELIBERATE.len(),
        DELIBERATE.len()
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

// ------------------------------------------------------------------ properties

fn name() -> impl Strategy<Value = String> {
    "[a-zA-Z_:][a-zA-Z0-9_:]{0,12}"
}

fn label_name() -> impl Strategy<Value = String> {
    "[a-zA-Z][a-zA-Z0-9_]{0,8}".prop_filter("not reserved", |n| n != "le" && n != "quantile")
}

fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("a number", |v| !v.is_nan()),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
    ]
}

fn escape(v: &str) -> String {
    v.replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}

fn render(samples: &[Sample]) -> String {
    let mut out = String::new();
    for s in samples {
        out.push_str(&s.name);
        if !s.labels.is_empty() {
            let labels: Vec<String> = s
                .labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                .collect();
            out.push_str(&format!("{{{}}}", labels.join(",")));
        }
        let v = if s.value.is_nan() {
            "NaN".to_owned()
        } else if s.value.is_infinite() {
            if s.value > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
        } else {
            format!("{:e}", s.value)
        };
        out.push_str(&format!(" {v}"));
        if let Some(ts) = s.timestamp_ms {
            out.push_str(&format!(" {ts}"));
        }
        out.push('\n');
    }
    out
}

fn sample() -> impl Strategy<Value = Sample> {
    (
        name(),
        proptest::collection::btree_map(label_name(), "\\PC{0,6}|[\\\\\"\n]{1,3}", 0..4),
        value(),
        proptest::option::of(any::<i64>()),
    )
        .prop_map(|(name, labels, value, timestamp_ms)| Sample {
            name,
            labels: labels.into_iter().collect(),
            value,
            timestamp_ms,
        })
}

fn same(a: &Sample, b: &Sample) -> bool {
    a.name == b.name
        && a.labels == b.labels
        && a.timestamp_ms == b.timestamp_ms
        && (a.value == b.value || (a.value.is_nan() && b.value.is_nan()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Every valid page reads back as written: names, labels with any text (escapes
    /// included), any value, any timestamp.
    #[test]
    fn a_valid_page_reads_back_exactly(
        samples in proptest::collection::vec(sample(), 0..20),
        strict in any::<bool>(),
    ) {
        let page = render(&samples);
        let rules = if strict { Rules::Spec } else { Rules::Scraper };
        let read = parse(page.as_bytes(), Format::Text, rules).map_err(|e| TestCaseError::fail(format!("{e}\n{page}")))?;
        prop_assert_eq!(read.len(), samples.len());
        for (a, b) in samples.iter().zip(&read) {
            prop_assert!(same(a, b), "{:?} read as {:?}", a, b);
        }
    }

    /// Any bytes: a result (never a panic), at most one sample per line, and a rejection
    /// names a line of the page.
    #[test]
    fn any_bytes_give_a_page_or_a_line_number(
        page in proptest::collection::vec(
            prop_oneof![any::<u8>(), Just(b'\n'), Just(b'{'), Just(b'}'), Just(b'"'), Just(b'\\'), Just(b' '), Just(b'#')],
            0..400,
        ),
        om in any::<bool>(),
        strict in any::<bool>(),
    ) {
        let format = if om { Format::OpenMetrics } else { Format::Text };
        let rules = if strict { Rules::Spec } else { Rules::Scraper };
        let lines = page.split(|&b| b == b'\n').count();
        match parse(&page, format, rules) {
            Ok(s) => prop_assert!(s.len() <= lines),
            Err(e) => prop_assert!(e.line >= 1 && e.line <= lines, "{} of {}", e.line, lines),
        }
    }

    /// A valid page with one byte changed: still no panic, and a rejection points at the
    /// changed line or after it (what came before was fine).
    #[test]
    fn one_changed_byte_is_found_on_its_line(
        samples in proptest::collection::vec(sample(), 1..10),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let mut page = render(&samples).into_bytes();
        let i = at.index(page.len());
        page[i] = byte;
        let line = page[..i].iter().filter(|&&b| b == b'\n').count() + 1;
        if let Err(e) = parse(&page, Format::Text, Rules::Spec) {
            prop_assert!(e.line >= line, "rejected line {} before the change on line {}", e.line, line);
        }
    }
}

/// A 10 MB page (the most the HTTP reader takes) of one long line and of many short ones
/// reads in linear time; its samples are no more than its lines.
#[test]
fn big_pages_read_in_one_pass() {
    let long = format!("m{{a=\"{}\"}} 1\n", "x".repeat(10 * 1024 * 1024));
    let s = parse(long.as_bytes(), Format::Text, Rules::Scraper).unwrap();
    assert_eq!(s[0].labels[0].1.len(), 10 * 1024 * 1024);
    let many = "m{a=\"1\"} 2\n".repeat(1_000_000);
    assert_eq!(
        parse(many.as_bytes(), Format::Text, Rules::Scraper)
            .unwrap()
            .len(),
        1_000_000
    );
    let garbage = "{".repeat(10 * 1024 * 1024);
    assert!(parse(garbage.as_bytes(), Format::Text, Rules::Scraper).is_err());
}

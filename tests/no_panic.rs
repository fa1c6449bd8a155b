//! No input crashes warroom (issue 22): arbitrary text to the duration, planned-time and
//! series parsers, and runbooks with arbitrary values put where the demo runbook has its
//! own, give an answer or a located refusal, never a panic; the console's time arithmetic
//! on the largest values a runbook may state does not overflow.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::path::Path;
use std::sync::Arc;

use chrono::TimeDelta;
use proptest::prelude::*;
use warroom::runbook::series::Series;
use warroom::runbook::time::{LONGEST, TimeSpec, parse_duration};
use warroom::runbook::{Level, load_str};

/// Text that looks like what these parsers read, and text that does not.
fn texty() -> impl Strategy<Value = String> {
    prop_oneof![
        "[-+Tt0-9dhmsx:. ]{0,24}",
        "-?[0-9]{1,25}(\\.[0-9]{1,5})?(e[-+]?[0-9]{1,4})?",
        "T[-+][0-9]{1,20}[dhms]",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn durations_and_planned_times_answer_or_refuse(text in texty()) {
        if let Ok(d) = parse_duration(&text) {
            prop_assert!(d <= LONGEST, "{text}: {d}");
        }
        let _ = TimeSpec::parse(&text);
    }

    #[test]
    fn a_series_answers_or_refuses_with_its_line(
        lines in prop::collection::vec((texty(), "[a-z_]{1,8}", texty()), 0..6)
    ) {
        let text = lines
            .iter()
            .map(|(o, k, v)| format!("{o},{k},{v}"))
            .collect::<Vec<_>>()
            .join("\n");
        let text = format!("offset,kpi,value\n{text}");
        match Series::parse(&text) {
            Ok(s) => {
                for (_, k, _) in &lines {
                    let _ = s.value_at(k, LONGEST);
                    let _ = s.value_at(k, -LONGEST);
                }
            }
            Err(e) => prop_assert!(!e.is_empty()),
        }
    }

    /// The demo runbook with one of its values replaced by anything: loaded, or refused
    /// with every problem placed at a line (never line 0 of a file that was read).
    #[test]
    fn a_runbook_with_any_value_anywhere_loads_or_is_refused_where_it_is_wrong(
        which in 0usize..400,
        value in prop_oneof![
            texty().prop_map(|t| format!("{t:?}")),
            any::<i64>().prop_map(|n| n.to_string()),
            any::<f64>().prop_map(|f| format!("{f:?}")),
            Just("true".to_owned()),
            Just("[]".to_owned()),
            Just("{}".to_owned()),
            Just("\"T+99999999999d\"".to_owned()),
            Just("\"-1e300\"".to_owned()),
        ]
    ) {
        let demo = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo.toml"),
        )
        .unwrap();
        let assignments: Vec<usize> = demo
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim_start().starts_with('#') && l.contains(" = "))
            .map(|(i, _)| i)
            .collect();
        let at = assignments[which % assignments.len()];
        let text: String = demo
            .lines()
            .enumerate()
            .map(|(i, l)| {
                if i == at {
                    let key = l.split(" = ").next().unwrap_or(l);
                    format!("{key} = {value}\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/mutated.toml");
        match load_str(&path, &text) {
            Ok((rb, _)) => {
                // The console's arithmetic on it: every planned time, the span, a state.
                let mut s = warroom::app::State::new(Arc::new(rb), common::start());
                let _ = s.runbook.span();
                let _ = s.projected_finish();
                for i in 0..s.steps.len() {
                    let _ = warroom::app::guard::guards(&s, warroom::app::guard::Act::Step(i));
                }
                warroom::app::update(
                    &mut s,
                    warroom::app::Action::Tick(common::start() + TimeDelta::seconds(90)),
                );
            }
            Err(diags) => {
                prop_assert!(diags.iter().any(|d| d.level == Level::Error));
                for d in diags.iter().filter(|d| d.level == Level::Error) {
                    prop_assert!(d.line > 0, "{d}");
                }
            }
        }
    }
}

#[test]
fn the_cases_issue_22_names_are_refused_with_their_places() {
    let err = Series::parse("offset,kpi,value\n-1e300,errors,1").unwrap_err();
    assert!(err.contains("line 2"), "{err}");
    assert!(err.contains("hundred years"), "{err}");
    let text = "[runbook]\nname = \"t\"\n[[phase]]\nid = \"p\"\ntitle = \"P\"\n[[phase.step]]\nid = \"s\"\ntitle = \"S\"\nat = \"T+99999999999d\"\nrun = [\"true\"]\n";
    let diags = load_str(Path::new("rb.toml"), text).unwrap_err();
    let e = diags.iter().find(|d| d.level == Level::Error).unwrap();
    assert_eq!((e.line, e.column), (9, 6), "{e}");
    assert!(e.to_string().contains("phase[p].step[s].at"), "{e}");
    // A runbook over 16 MB is refused before it is read.
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.toml");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(17 * 1024 * 1024).unwrap();
    let diags = warroom::runbook::load(&big).unwrap_err();
    assert!(
        diags[0].message.contains("larger than the 16 MB"),
        "{}",
        diags[0]
    );
}

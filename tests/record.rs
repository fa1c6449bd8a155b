//! The record: what `update` decides, written to a real journal file and replayed through
//! the same `apply`, rebuilds the same state (property tests over random operator sessions
//! and random event sequences), and journal damage is repaired or refused by the rules.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::TimeDelta;
use common::{demo_runbook, start};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use proptest::prelude::*;
use warroom::app::event::{
    CanaryEvidence, Event, Exit, Outcome, Reading, Record, RunRef, SCHEMA, VoteDecision,
    VoteSignature,
};
use warroom::app::guard::{Guard, Kind};
use warroom::app::{Action, Observation, Operator, Probe, State, Target, update};
use warroom::canary::Verdict;
use warroom::journal::{self, Journal};
use warroom::runbook::{Health, Runbook};

/// One thing that can happen to a console: a key, a poll result, a run's news, time.
#[derive(Debug, Clone)]
enum Input {
    Key(char),
    Special(u8),
    Kpi(usize, f64),
    KpiFails(usize),
    Probe(usize, bool),
    Spawned(usize),
    Finished(usize, i32),
    Lost(usize),
    Tick(u8),
    Silence(bool),
    /// A whole gesture: vote, ack, retry or skip with a reason, cancel, rollback.
    Gesture(&'static str),
    Verified(usize, bool),
    /// The webhook's answer to a status update.
    Sent(bool),
    /// Another console asks to take over.
    Handover,
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        4 => prop::sample::select(
            "jkgGNyYnRrsTbcSaxCFIU ?\tq\u{1}ROLLBACKINJECT".chars().collect::<Vec<_>>()
        )
        .prop_map(Input::Key),
        2 => (0u8..4).prop_map(Input::Special),
        6 => (0usize..6, prop_oneof![0.0..5.0f64, 100.0..3000.0f64]).prop_map(|(k, v)| Input::Kpi(k, v)),
        1 => (0usize..6).prop_map(Input::KpiFails),
        2 => (0usize..2, any::<bool>()).prop_map(|(e, up)| Input::Probe(e, up)),
        1 => (0usize..10).prop_map(Input::Spawned),
        2 => (0usize..10, prop_oneof![Just(0), Just(1), Just(143)]).prop_map(|(t, c)| Input::Finished(t, c)),
        1 => (0usize..10).prop_map(Input::Lost),
        4 => prop_oneof![0u8..8, 0u8..120].prop_map(Input::Tick),
        1 => any::<bool>().prop_map(Input::Silence),
        3 => prop::sample::select(vec![
            "gG\n", "gN\nno\n", "gjG\n", "aseen\n", "rflaky\n", "sdone by hand\n", "xy",
            "RROLLBACK\n", "Ty", "b", "c", "\t\t\t\t ", "\t\t\ta\n",
            // Overrides of hard guards: the step's id, then a reason (or none, refused).
            "\ncanary-10\nthe lead approved by phone\n", "\ncanary-25\n\n", "j\ncanary-25\nok\n",
            "rollback\nwindow was extended\nROLLBACK\n", "R\u{1b}",
            // The close: a sign-off with a note, then an outcome; an incident declared and
            // stood down; a status update written and sent; T0 moved; a baseline; the
            // automatic rollback's countdown cancelled; the silence; the contacts.
            "F\nall good\nSy", "F\nRy", "Fj\nAy", "Iapi is down\n", "Iy", "U\n", "U\u{1b}",
            "Ty", "b", "c", "Sy", "C ",
        ])
        .prop_map(Input::Gesture),
        1 => (0usize..20, any::<bool>()).prop_map(|(s, ok)| Input::Verified(s, ok)),
        1 => any::<bool>().prop_map(Input::Sent),
        1 => Just(Input::Handover),
    ]
}

fn target(i: usize, s: &State) -> Target {
    match i.checked_sub(s.steps.len()) {
        None => Target::Step(i),
        Some(0) => Target::Rollback,
        Some(_) => Target::RollbackPreview,
    }
}

fn feed(s: &mut State, clock: &mut i64, input: &Input) {
    let action = match input {
        Input::Gesture(keys) => {
            for c in keys.chars() {
                let code = if c == '\n' {
                    KeyCode::Enter
                } else if c == '\t' {
                    KeyCode::Tab
                } else {
                    KeyCode::Char(c)
                };
                update(s, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
            }
            return;
        }
        Input::Key(c) => Action::Key(KeyEvent::new(KeyCode::Char(*c), KeyModifiers::NONE)),
        Input::Special(k) => Action::Key(KeyEvent::new(
            [KeyCode::Enter, KeyCode::Esc, KeyCode::Tab, KeyCode::Down][*k as usize],
            KeyModifiers::NONE,
        )),
        Input::Kpi(k, v) => Action::Observed(Observation::KpiSample {
            kpi: *k,
            result: Ok((*v).into()),
        }),
        Input::KpiFails(k) => Action::Observed(Observation::KpiSample {
            kpi: *k,
            result: Err("refused".into()),
        }),
        Input::Probe(e, up) => Action::Observed(Observation::EndpointProbe {
            endpoint: *e,
            probe: Probe {
                health: if *up { Health::Up } else { Health::Down },
                latency: None,
                reason: None,
            },
        }),
        Input::Spawned(t) => Action::RunSpawned {
            target: target(*t, s),
            log: "x".into(),
        },
        Input::Finished(t, code) => Action::RunFinished {
            target: target(*t, s),
            exit: Exit::with_code(*code),
        },
        Input::Lost(t) => Action::RunLost {
            target: target(*t, s),
        },
        Input::Tick(secs) => {
            *clock += i64::from(*secs);
            Action::Tick(start() + TimeDelta::seconds(*clock))
        }
        Input::Verified(step, ok) => Action::VerifyDone {
            step: *step,
            result: if *ok { Ok(()) } else { Err("no".into()) },
        },
        Input::Silence(ok) => Action::SilenceCreated(if *ok {
            Ok("silence-1".into())
        } else {
            Err("refused".into())
        }),
        Input::Sent(ok) => Action::Delivered {
            channel: "#deploy".into(),
            result: if *ok { Ok(()) } else { Err("HTTP 500".into()) },
        },
        Input::Handover => Action::HandoverAsked(Operator {
            user: "sam".into(),
            host: "bastion".into(),
            ssh: None,
        }),
    };
    update(s, action);
}

/// Writes records through the real journal into `dir`, then reads them back as a resume does.
fn through_journal(dir: &std::path::Path, records: &[Record]) -> Vec<Record> {
    let mut opened = Journal::open(dir).unwrap();
    // In the batches a console would write (a few records each).
    for chunk in records.chunks(3) {
        opened.journal.append(chunk).unwrap();
    }
    opened.journal.sync().unwrap();
    drop(opened);
    let back = Journal::open(dir).unwrap();
    assert!(back.repaired.is_none());
    back.records
}

fn fresh() -> State {
    fresh_with(demo_runbook())
}

fn fresh_with(rb: Arc<Runbook>) -> State {
    let mut s = State::new(rb, start());
    s.operator = Operator {
        user: "op".into(),
        host: "bastion".into(),
        ssh: Some("192.0.2.7".into()),
    };
    s
}

proptest! {
    /// Whatever an operator does, the state the journal rebuilds is the state they saw.
    /// The session: every acting key (Enter, y/n, the phrase, g/G/N, a, r, s, x, T, b, c,
    /// S, C, F with its sign-offs and outcomes, I, U, R with its preview, the override of
    /// a hard guard with an id and a reason), a takeover asked, polls that succeed and
    /// fail, runs that start, finish, fail and are lost, verifications, the webhook's
    /// answers, and time.
    #[test]
    fn replaying_the_journal_rebuilds_the_live_state(inputs in prop::collection::vec(input(), 1..300)) {
        same_after_replay(demo_runbook(), &inputs)?;
    }

    /// The same over the Phase 5 playbook: verifications, a maintenance silence, status
    /// updates, rollback tiers.
    #[test]
    fn replaying_the_phase5_journal_rebuilds_the_live_state(inputs in prop::collection::vec(input(), 1..300)) {
        same_after_replay(phase5(), &inputs)?;
    }

    /// Any event, every variant of `Event` (`event()` and `lifecycle()`), even ones a
    /// session rarely reaches, survives the file and applies the same.
    #[test]
    fn every_event_round_trips_through_the_file(events in prop::collection::vec(event(), 1..60)) {
        let dir = tempfile::tempdir().unwrap();
        let mut live = fresh();
        let records: Vec<Record> = events
            .into_iter()
            .enumerate()
            .map(|(n, event)| Record::new(n as u64 + 1, start() + TimeDelta::milliseconds(n as i64 * 1234), live.operator.clone(), event))
            .collect();
        live.replay(&records);
        let back = through_journal(dir.path(), &records);
        prop_assert_eq!(&back, &records);
        let mut replayed = fresh();
        replayed.replay(&back);
        prop_assert_eq!(replayed.recorded(), live.recorded());
    }
}

fn phase5() -> Arc<Runbook> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/phase5-go-live.toml");
    let (rb, _) = warroom::runbook::load(&path).unwrap();
    Arc::new(rb)
}

fn same_after_replay(rb: Arc<Runbook>, inputs: &[Input]) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let mut live = fresh_with(rb.clone());
    let mut clock = 0;
    warroom::app::begin(
        &mut live,
        warroom::app::Begin {
            runbook_sha256: "abc".into(),
            pid: 1,
            changed_from: None,
            took_over_from: None,
        },
    );
    for i in inputs {
        feed(&mut live, &mut clock, i);
    }
    let records = live.take_records();
    let back = through_journal(dir.path(), &records);
    prop_assert_eq!(&back, &records);
    let mut replayed = fresh_with(rb);
    replayed.replay(&back);
    prop_assert_eq!(replayed.recorded(), live.recorded());
    // Every record names who did it, in order, once.
    for (n, r) in back.iter().enumerate() {
        prop_assert_eq!(r.seq, n as u64 + 1);
        prop_assert_eq!(&r.by.user, "op");
        prop_assert_eq!(r.v, SCHEMA);
    }
    Ok(())
}

/// The events of a run's life around the decisions: who drives, the runbook, the
/// rollback procedure, updates and messages, the close, incidents, the silence's answer.
/// With `event()`, every variant of `Event` is generated.
fn lifecycle(steps: Vec<String>, rules: Vec<String>) -> impl Strategy<Value = Event> {
    let text = "[a-zA-Z0-9 \"\\\\é✓]{0,20}";
    let op = ("[a-z]{1,8}", "[a-z]{1,8}").prop_map(|(user, host)| Operator {
        user,
        host,
        ssh: None,
    });
    prop_oneof![
        (text, 0i64..100_000).prop_map(|(name, s)| Event::RunOpened {
            runbook: name,
            path: "config/demo.toml".into(),
            sha256: "abc".into(),
            t0: start() + TimeDelta::seconds(s),
        }),
        (1u32..99_999, any::<bool>())
            .prop_map(|(pid, resumed)| Event::DriverAttached { pid, resumed }),
        text.prop_map(|why| Event::DriverDetached { why }),
        Just(Event::RunbookChanged {
            from_sha256: "abc".into(),
            to_sha256: "def".into(),
        }),
        (op.clone(), op).prop_map(|(from, to)| Event::Handover { from, to }),
        prop::sample::select(steps.clone()).prop_map(|s| Event::CancelRequested {
            target: RunRef::Step(s)
        }),
        (prop::sample::select(steps), text)
            .prop_map(|(step, why)| Event::VerifyFailed { step, why }),
        prop::sample::select(rules).prop_map(|rule| Event::AutoRollbackCalledOff { rule }),
        (text, 0i64..10_000).prop_map(|(id, s)| Event::SilenceCreated {
            id,
            until: start() + TimeDelta::seconds(s),
        }),
        text.prop_map(|why| Event::SilenceFailed { why }),
        (text, prop::option::of(0usize..2)).prop_map(|(text, communication)| {
            Event::StatusUpdateSending {
                text,
                to: "#deploy".into(),
                communication,
            }
        }),
        (0usize..2, text).prop_map(|(index, audience)| Event::CommunicationDue { index, audience }),
        Just(Event::StatusUpdateSent),
        text.prop_map(|why| Event::StatusUpdateFailed { why }),
        (text, proptest::option::of(text))
            .prop_map(|(channel, error)| Event::StatusUpdateDelivered { channel, error }),
        Just(Event::RollbackStepStarted {
            step: "rollback".into()
        }),
        Just(Event::RollbackCriteriaMet),
        text.prop_map(|why| Event::RollbackCriteriaNotMet { why }),
        (
            prop::sample::select(vec!["Deployment Lead", "SRE on call", "Nobody"]),
            text
        )
            .prop_map(|(role, note)| Event::SignedOff {
                role: role.into(),
                note,
            }),
        prop::sample::select(vec![
            Outcome::Success,
            Outcome::RolledBack,
            Outcome::Aborted
        ])
        .prop_map(|outcome| Event::RunClosed { outcome }),
        (text, text).prop_map(|(user, why)| Event::VoteRefused {
            file: "1-x-1.json".into(),
            user,
            why,
        }),
        (1u64..500, text).prop_map(|(records, why)| Event::Checkpoint {
            records,
            head: "0f".repeat(32),
            why,
        }),
        (text, prop::option::of(1u8..4))
            .prop_map(|(trigger, level)| Event::IncidentOpened { trigger, level }),
        (1u8..4).prop_map(|level| Event::EscalationReached { level }),
        text.prop_map(|why| Event::IncidentClosed { why }),
        (
            prop::sample::select(vec!["blue-up", "oncall", "nope"]),
            any::<bool>()
        )
            .prop_map(|(check, holds)| Event::CheckAuto {
                check: check.into(),
                holds
            }),
    ]
}

fn event() -> impl Strategy<Value = Event> {
    let rb = demo_runbook();
    let steps: Vec<String> = rb.steps().map(|(_, s)| s.id.clone()).collect();
    let checks: Vec<String> = rb.checks().map(|(_, c)| c.id.clone()).collect();
    let rules: Vec<String> = rb.rules.iter().map(|r| r.id.clone()).collect();
    let rules_for_lifecycle = rules.clone();
    let kpis: Vec<String> = rb.kpis.iter().map(|k| k.id.clone()).collect();
    let gate = rb.gates[0].id.clone();
    let approvers = rb.gates[0].approvers.clone();
    let canaries: Vec<String> = rb.canaries.iter().map(|c| c.id.clone()).collect();
    let run = prop_oneof![
        prop::sample::select(steps.clone()).prop_map(RunRef::Step),
        Just(RunRef::Rollback),
        Just(RunRef::RollbackPreview)
    ];
    let readings = prop::collection::vec(
        (
            prop::sample::select(kpis.clone()),
            prop::option::of(-1e6..1e6f64),
        )
            .prop_map(|(kpi, value)| Reading {
                kpi,
                value,
                text: None,
            }),
        0..3,
    );
    let text = "[a-zA-Z0-9 \"\\\\é✓]{0,20}";
    prop_oneof![
        (0i64..100_000).prop_map(|s| Event::T0Set {
            t0: start() + TimeDelta::seconds(s)
        }),
        (run.clone(), 1u32..4, prop::option::of(text)).prop_map(|(target, attempt, reason)| {
            Event::RunStarted {
                target,
                attempt,
                reason,
                guards: Vec::new(),
            }
        }),
        (run.clone(), guards(), text).prop_map(|(target, guards, reason)| {
            Event::GuardOverridden {
                target,
                guards,
                reason,
            }
        }),
        Just(Event::RollbackStepAwaiting {
            step: "rollback".into()
        }),
        (run.clone(), 1u32..4, -1i32..256, 0.0..1e4f64).prop_map(
            |(target, attempt, code, seconds)| {
                Event::RunFinished {
                    target,
                    attempt,
                    exit: Exit {
                        code: (code >= 0).then_some(code),
                        signal: (code < 0).then_some(9),
                        reason: None,
                        seconds,
                    },
                }
            }
        ),
        (run.clone(), 1u32..4).prop_map(|(target, attempt)| Event::RunLost { target, attempt }),
        (prop::sample::select(steps.clone()), text)
            .prop_map(|(step, reason)| Event::StepSkipped { step, reason }),
        prop::sample::select(steps.clone()).prop_map(|step| Event::StepDoneByHand { step }),
        (prop::sample::select(steps.clone()), text)
            .prop_map(|(step, reason)| Event::StepRetried { step, reason }),
        prop::sample::select(steps.clone()).prop_map(|step| Event::VerifyPassed { step }),
        (
            prop::sample::select(approvers),
            any::<bool>(),
            text,
            prop::option::of("[0-9a-f]{8}"),
            prop::option::of(0.0..100.0f64)
        )
            .prop_map(move |(approver, go, note, signed, canary)| {
                Event::GateVote {
                    gate: gate.clone(),
                    approver,
                    decision: if go {
                        VoteDecision::Go
                    } else {
                        VoteDecision::NoGo
                    },
                    note,
                    evidence: vec!["error_rate=0.4%".into()],
                    // A signed vote's record: the replay keeps whose key signed it.
                    signature: signed.map(|h| VoteSignature {
                        run: h.repeat(8),
                        head: h.repeat(8),
                        key: format!("SHA256:{h}"),
                        sshsig:
                            "-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----"
                                .into(),
                    }),
                    // The canary verdict it was cast under.
                    canary: canary.map(|score| CanaryEvidence {
                        canary: "green-vs-blue".into(),
                        verdict: if score >= 95.0 {
                            Verdict::Pass
                        } else {
                            Verdict::Fail
                        },
                        score,
                        metrics: vec![format!("p95: PASS · score {score}")],
                    }),
                }
            }),
        (
            prop::sample::select(canaries),
            prop::sample::select(vec![
                Verdict::Pass,
                Verdict::Marginal,
                Verdict::Fail,
                Verdict::Inconclusive
            ]),
            0.0..100.0f64
        )
            .prop_map(|(canary, verdict, score)| Event::CanaryJudged {
                canary,
                verdict,
                score,
                why: "PASS from 95, MARGINAL from 75".into(),
            }),
        (prop::sample::select(checks), any::<bool>())
            .prop_map(|(check, ticked)| Event::CheckTicked { check, ticked }),
        (0usize..5, text).prop_map(|(alert, reason)| Event::AlertAcked { alert, reason }),
        prop::collection::btree_map(prop::sample::select(kpis), -1e9..1e9f64, 1..4)
            .prop_map(|values: BTreeMap<String, f64>| Event::BaselineCaptured { values }),
        (prop::sample::select(rules.clone()), readings.clone())
            .prop_map(|(rule, values)| Event::RulePending { rule, values }),
        (prop::sample::select(rules.clone()), readings.clone())
            .prop_map(|(rule, values)| Event::RuleFiring { rule, values }),
        (prop::sample::select(rules.clone()), readings)
            .prop_map(|(rule, values)| Event::RuleResolved { rule, values }),
        prop::sample::select(rules.clone()).prop_map(|rule| Event::RuleReset { rule }),
        prop::sample::select(rules).prop_map(|rule| Event::AutoRollbackCancelled { rule }),
        (0i64..10_000).prop_map(|s| Event::SilenceRequested {
            until: start() + TimeDelta::seconds(s)
        }),
        (1i64..50, text).prop_map(|(n, message)| Event::StatusUpdateDue { n, message }),
        lifecycle(steps, rules_for_lifecycle),
    ]
}

/// Guards as the record holds them: a kind, its words, the row's badge.
fn guards() -> impl Strategy<Value = Vec<Guard>> {
    let kind = prop::sample::select(vec![
        Kind::Gate,
        Kind::Held,
        Kind::Blocked,
        Kind::WindowClosed,
        Kind::NoReturn,
        Kind::Hold,
        Kind::Early,
        Kind::VerifyFailed,
        Kind::RollbackProposed,
    ]);
    prop::collection::vec(
        (kind, "[a-z0-9 :]{0,30}", "[a-z0-9 :]{0,9}").prop_map(|(kind, words, badge)| Guard {
            kind,
            words,
            badge,
        }),
        0..3,
    )
}

fn rec(seq: u64) -> Record {
    let event = Event::CheckTicked {
        check: "oncall".into(),
        ticked: seq % 2 == 1,
    };
    Record::new(
        seq,
        start() + TimeDelta::seconds(seq as i64),
        Operator::default(),
        event,
    )
}

fn journal_bytes(n: u64) -> (Vec<u8>, Vec<usize>) {
    let mut bytes = Vec::new();
    let mut ends = Vec::new();
    for i in 1..=n {
        let line = journal::encode(&rec(i), &journal::head_of(&bytes));
        bytes.extend(line);
        ends.push(bytes.len());
    }
    (bytes, ends)
}

/// Every cut inside the last three records: each record before the cut is recovered, the
/// torn one is reported and cut off, the original bytes are kept, nothing else is accepted.
#[test]
fn a_torn_tail_at_every_offset_of_the_last_three_records_is_repaired() {
    let n = 10;
    let (bytes, ends) = journal_bytes(n);
    let from = ends[n as usize - 4];
    let mut checked = 0;
    for cut in from..bytes.len() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(journal::FILE);
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let whole = ends.iter().filter(|e| **e <= cut).count();
        let opened = Journal::open(dir.path()).unwrap();
        assert_eq!(opened.records.len(), whole, "cut at byte {cut}");
        assert_eq!(
            opened.records,
            (1..=whole as u64).map(rec).collect::<Vec<_>>()
        );
        let on_disk = std::fs::read(&path).unwrap();
        assert_eq!(on_disk.len(), if whole == 0 { 0 } else { ends[whole - 1] });
        let torn = cut != on_disk.len();
        assert_eq!(opened.repaired.is_some(), torn, "cut at byte {cut}");
        if torn {
            assert_eq!(
                std::fs::read(dir.path().join(journal::BROKEN)).unwrap(),
                &bytes[..cut]
            );
        }
        checked += 1;
    }
    assert_eq!(checked, bytes.len() - from);
}

#[test]
fn zeros_or_newline_free_garbage_after_the_last_record_are_a_torn_write() {
    let (bytes, _) = journal_bytes(5);
    let mut rng = fastrand::Rng::with_seed(7);
    for tail in [
        vec![0u8; 4096],
        vec![0, 0, b'\n', 0, b'\n'],
        (0..300)
            .map(|_| rng.u8(..))
            .filter(|b| *b != b'\n')
            .collect(),
        b"{\"crc\":12,\"rec\":{\"v\":1,\"se".to_vec(),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut b = bytes.clone();
        b.extend(&tail);
        std::fs::write(dir.path().join(journal::FILE), &b).unwrap();
        let opened = Journal::open(dir.path()).unwrap();
        assert_eq!(opened.records.len(), 5);
        assert!(opened.repaired.unwrap().contains("torn"));
        assert_eq!(
            std::fs::read(dir.path().join(journal::FILE)).unwrap(),
            bytes
        );
    }
}

/// A committed line (it has its newline) that does not hold up is corruption, wherever it
/// is: refused by record number, and the file is left exactly as it was.
#[test]
fn one_flipped_byte_in_any_record_is_refused_as_corrupt_at_that_record() {
    let n = 8;
    let (bytes, ends) = journal_bytes(n);
    for i in 0..n as usize {
        let begin = if i == 0 { 0 } else { ends[i - 1] };
        // Every byte of the record but its newline (the commit marker itself).
        for at in begin..ends[i] - 1 {
            let mut b = bytes.clone();
            b[at] ^= 0x20;
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(journal::FILE);
            std::fs::write(&path, &b).unwrap();
            let err = match Journal::open(dir.path()) {
                Err(e) => e.to_string(),
                Ok(o) => panic!(
                    "byte {at} of record {} flipped: accepted {} records",
                    i + 1,
                    o.records.len()
                ),
            };
            assert!(
                err.contains(&format!("corrupt at record {}", i + 1)),
                "byte {at}: {err}"
            );
            assert_eq!(std::fs::read(&path).unwrap(), b, "left untouched");
            assert!(!dir.path().join(journal::BROKEN).exists());
        }
    }
}

#[test]
fn garbage_that_looks_committed_is_refused_not_dropped() {
    let (mut bytes, _) = journal_bytes(3);
    bytes.extend(b"\x07\x01garbage\n");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(journal::FILE), &bytes).unwrap();
    let err = Journal::open(dir.path()).err().unwrap().to_string();
    assert!(err.contains("corrupt at record 4"), "{err}");
}

#[test]
fn a_journal_from_a_newer_schema_is_refused() {
    let mut r = rec(1);
    r.v = SCHEMA + 1;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(journal::FILE), journal::encode_all(&[r])).unwrap();
    let err = Journal::open(dir.path()).err().unwrap().to_string();
    assert!(err.contains("newer warroom"), "{err}");
}

#[test]
fn replay_ignores_nothing_it_knows_and_skips_ids_it_does_not() {
    let mut s = fresh();
    let recs = [
        Event::CheckTicked {
            check: "oncall".into(),
            ticked: true,
        },
        Event::CheckTicked {
            check: "no-such-check".into(),
            ticked: true,
        },
    ];
    let records: Vec<Record> = recs
        .into_iter()
        .enumerate()
        .map(|(n, event)| Record::new(n as u64 + 1, start(), Operator::default(), event))
        .collect();
    s.replay(&records);
    assert_eq!(s.seq, 2);
    assert_eq!(s.checks.iter().filter(|c| c.is_some()).count(), 1);
}

/// Two consoles reaching for the same run directory at the same instant, fifty times:
/// exactly one takes the seat each time (the kernel's flock decides, per open file).
#[test]
fn two_drivers_at_the_same_instant_exactly_one_wins_every_time() {
    let fx = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/resume.toml");
    let (rb, _) = warroom::runbook::load(&fx).unwrap();
    let op = Operator::default();
    for round in 0..50 {
        let dir = tempfile::tempdir().unwrap();
        let (start, tried) = (std::sync::Barrier::new(2), std::sync::Barrier::new(2));
        let results: Vec<bool> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..2)
                .map(|_| {
                    scope.spawn(|| {
                        start.wait();
                        let seat = warroom::driver::take_seat(
                            dir.path(),
                            &rb,
                            &op,
                            warroom::driver::OnChange::Refuse,
                            false,
                            &[],
                            None,
                        );
                        // The winner holds its seat until both have tried.
                        tried.wait();
                        seat.is_ok()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(
            results.iter().filter(|w| **w).count(),
            1,
            "round {round}: {results:?}"
        );
    }
}

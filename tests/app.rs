//! `update` without a terminal: confirmations, the typed phrase, double presses, gates, alerts.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use common::*;
use crossterm::event::KeyCode;
use warroom::app::{Action, Effect, Modal, Observation, RunStatus, Target, update};
use warroom::rules::RulePhase;

fn runs(fx: &[Effect]) -> Vec<Target> {
    fx.iter()
        .filter_map(|e| {
            if let Effect::Run { target, .. } = e {
                Some(*target)
            } else {
                None
            }
        })
        .collect()
}

/// Approves the demo's gate so canary steps may run.
fn approve_gate(s: &mut warroom::app::State) {
    s.selected = step(s, "canary-10");
    key(s, KeyCode::Char('g'));
    key(s, KeyCode::Char('G'));
    key(s, KeyCode::Enter);
    key(s, KeyCode::Char('G'));
    key(s, KeyCode::Enter);
    assert!(s.gates[0].is_go());
    assert!(
        s.modal.is_none(),
        "the gate modal closes after the last vote"
    );
}

#[test]
fn yes_no_confirmation_runs_only_on_y() {
    let mut s = demo_state();
    approve_gate(&mut s);
    let i = step(&s, "canary-10");
    s.selected = i;
    assert!(
        runs(&key(&mut s, KeyCode::Enter)).is_empty(),
        "Enter only asks"
    );
    assert!(matches!(s.modal, Some(Modal::Confirm { .. })));
    // Enter again, or any other key, does not confirm.
    for k in [
        KeyCode::Enter,
        KeyCode::Char(' '),
        KeyCode::Char('t'),
        KeyCode::Char('R'),
    ] {
        assert!(runs(&key(&mut s, k)).is_empty());
        assert!(matches!(s.modal, Some(Modal::Confirm { .. })));
    }
    let fx = key(&mut s, KeyCode::Char('y'));
    assert_eq!(runs(&fx), vec![Target::Step(i)]);
    assert!(matches!(s.steps[i].status, RunStatus::Running { .. }));
    match &fx[0] {
        Effect::Run { command, env, .. } => {
            assert_eq!(command.display(), "../assets/demo/shift-traffic.sh 10");
            assert!(env.contains(&("WARROOM_STEP".into(), "canary-10".into())));
            assert!(env.contains(&("WARROOM_PHASE".into(), "canary".into())));
            assert!(env.contains(&("SERVICE".into(), "checkout".into())));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn cancel_with_n_or_esc_runs_nothing() {
    for cancel in [KeyCode::Char('n'), KeyCode::Esc] {
        let mut s = demo_state();
        approve_gate(&mut s);
        s.selected = step(&s, "canary-10");
        key(&mut s, KeyCode::Enter);
        assert!(runs(&key(&mut s, cancel)).is_empty());
        assert!(s.modal.is_none());
        assert_eq!(s.steps[s.selected].status, RunStatus::Waiting);
    }
}

#[test]
fn double_press_starts_one_run() {
    let mut s = demo_state();
    let i = step(&s, "verify-health");
    s.selected = i;
    // verify-health needs no confirmation: Enter runs it at once.
    let first = key(&mut s, KeyCode::Enter);
    let second = key(&mut s, KeyCode::Enter);
    assert_eq!(runs(&first), vec![Target::Step(i)]);
    assert!(runs(&second).is_empty());
    assert!(s.notice.as_ref().unwrap().0.contains("already running"));
    // Still busy once it has really started.
    update(
        &mut s,
        Action::RunSpawned {
            target: Target::Step(i),
            log: "x".into(),
        },
    );
    assert!(runs(&key(&mut s, KeyCode::Enter)).is_empty());
}

#[test]
fn typed_phrase_wrong_then_right() {
    let mut s = demo_state();
    approve_gate(&mut s);
    let i = step(&s, "incident");
    s.selected = i;
    key(&mut s, KeyCode::Enter);
    assert!(matches!(s.modal, Some(Modal::Phrase { .. })));
    // y does not confirm a phrase; typing part of it and Enter does nothing either.
    assert!(runs(&key(&mut s, KeyCode::Char('y'))).is_empty());
    key(&mut s, KeyCode::Backspace);
    typed(&mut s, "INJEC");
    assert!(runs(&key(&mut s, KeyCode::Enter)).is_empty());
    match &s.modal {
        Some(Modal::Phrase { wrong, input, .. }) => {
            assert!(wrong);
            assert_eq!(
                input.value(),
                "",
                "the field is cleared after a wrong phrase"
            );
        }
        other => panic!("{other:?}"),
    }
    typed(&mut s, "inject");
    assert!(
        runs(&key(&mut s, KeyCode::Enter)).is_empty(),
        "the phrase is case-sensitive"
    );
    typed(&mut s, "INJECT");
    assert_eq!(runs(&key(&mut s, KeyCode::Enter)), vec![Target::Step(i)]);
}

#[test]
fn rollback_needs_the_phrase_and_runs_once() {
    let mut s = demo_state();
    key(&mut s, KeyCode::Char('R'));
    assert!(matches!(
        s.modal,
        Some(Modal::Phrase {
            target: Target::Rollback,
            ..
        })
    ));
    assert!(runs(&key(&mut s, KeyCode::Esc)).is_empty());
    assert!(s.modal.is_none());
    key(&mut s, KeyCode::Char('R'));
    // The phrase waits for the preview (a dry run) to finish.
    typed(&mut s, "ROLLBACK");
    assert!(runs(&key(&mut s, KeyCode::Enter)).is_empty());
    update(
        &mut s,
        warroom::app::Action::RunFinished {
            target: Target::RollbackPreview,
            exit: warroom::app::Exit::with_code(0),
        },
    );
    typed(&mut s, "ROLLBACK");
    assert_eq!(runs(&key(&mut s, KeyCode::Enter)), vec![Target::Rollback]);
    // A second R while it runs opens nothing.
    key(&mut s, KeyCode::Char('R'));
    assert!(s.modal.is_none());
    assert!(s.notice.as_ref().unwrap().0.contains("already running"));
    // Steps wait while the rollback runs.
    s.selected = step(&s, "verify-health");
    assert!(runs(&key(&mut s, KeyCode::Enter)).is_empty());
}

#[test]
fn gated_steps_cannot_run_and_say_why() {
    let mut s = demo_state();
    s.selected = step(&s, "canary-25");
    assert!(runs(&key(&mut s, KeyCode::Enter)).is_empty());
    // A hard guard: only the override could pass it.
    assert!(matches!(s.modal, Some(Modal::Override { .. })));
    assert!(
        s.notice
            .as_ref()
            .unwrap()
            .0
            .contains("Not run: gate go-canary waits for its votes (GO 0/2)"),
        "{:?}",
        s.notice
    );
}

#[test]
fn no_go_blocks_and_turns_the_light_red() {
    let mut s = demo_state();
    s.selected = step(&s, "canary-10");
    key(&mut s, KeyCode::Char('g'));
    key(&mut s, KeyCode::Char('G'));
    typed(&mut s, "metrics look fine");
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Char('N'));
    // Esc in the note goes back to the choice; nothing is recorded yet.
    key(&mut s, KeyCode::Esc);
    assert!(s.gates[0].votes[1].is_none());
    key(&mut s, KeyCode::Char('N'));
    typed(&mut s, "DB replica lag");
    key(&mut s, KeyCode::Enter);
    assert!(s.gates[0].is_no_go());
    let go = s.gates[0].votes[0].as_ref().unwrap();
    assert_eq!(go.note, "metrics look fine");
    let no = s.gates[0].votes[1].as_ref().unwrap();
    assert_eq!(no.note, "DB replica lag");
    assert!(!s.gates[0].is_go());
    assert_eq!(s.status_light(), warroom::runbook::Standing::Critical);
    assert!(s.notice.as_ref().unwrap().0.contains("NO-GO"));
    assert!(
        no.evidence.iter().any(|e| e.starts_with("error_rate")),
        "the decision keeps the KPIs at that moment"
    );
    assert!(runs(&key(&mut s, KeyCode::Enter)).is_empty(), "still gated");
    assert!(matches!(s.modal, Some(Modal::Override { .. })));
}

#[test]
fn quit_asks_while_something_runs() {
    let mut s = demo_state();
    assert!(key(&mut s, KeyCode::Char('q')).contains(&Effect::Quit));
    let mut s = demo_state();
    key(&mut s, KeyCode::Enter); // verify-health starts
    assert!(!key(&mut s, KeyCode::Char('q')).contains(&Effect::Quit));
    assert!(matches!(s.modal, Some(Modal::Quit)));
    assert!(!key(&mut s, KeyCode::Char('n')).contains(&Effect::Quit));
    key(&mut s, KeyCode::Char('q'));
    assert!(key(&mut s, KeyCode::Char('y')).contains(&Effect::Quit));
}

#[test]
fn sustained_breach_fires_rings_once_and_resolves_with_hysteresis() {
    let mut s = demo_state();
    let mut bells = 0;
    let feed = |s: &mut warroom::app::State, t: i64, v: f64| {
        let mut fx = at(s, t);
        fx.extend(kpi(s, "error_rate", v));
        fx.iter().filter(|e| **e == Effect::Bell).count()
    };
    bells += feed(&mut s, 0, 3.0);
    let r = 0;
    assert!(matches!(s.rules[r].phase, RulePhase::Pending { .. }));
    bells += feed(&mut s, 6, 3.5);
    assert!(s.alerts.is_empty(), "not yet sustained for 10s");
    bells += feed(&mut s, 10, 4.0);
    assert_eq!(s.alerts.len(), 1);
    assert!(s.rollback_proposed().is_some());
    bells += feed(&mut s, 12, 4.0);
    assert_eq!(bells, 1, "the bell rings once for a new critical alert");
    // 1.5 is below the firing threshold but not below the resolve threshold (1).
    feed(&mut s, 14, 1.5);
    assert!(s.alerts[0].resolved.is_none());
    feed(&mut s, 16, 0.4);
    assert!(s.alerts[0].resolved.is_some());
    assert!(s.rollback_proposed().is_none());
}

/// With `evaluation-interval`, rules are evaluated once per interval, as Prometheus does:
/// a `for` of 10s fires at the first evaluation after it has held, and what happens
/// between evaluations is not seen.
#[test]
fn rules_with_an_evaluation_interval_are_evaluated_once_per_interval() {
    let mut rb = (*demo_runbook()).clone();
    rb.evaluation_interval = Some(chrono::TimeDelta::seconds(15));
    let mut s = warroom::app::State::new(std::sync::Arc::new(rb), start());
    // The sample, then the clock's tick at `t`.
    let feed = |s: &mut warroom::app::State, t: i64, v: f64| {
        kpi(s, "error_rate", v);
        at(s, t);
    };
    feed(&mut s, 0, 3.0);
    assert!(matches!(s.rules[0].phase, RulePhase::Pending { .. }));
    // A dip at 5s, between evaluations, resets nothing; at 10s `for` has held, but the
    // next evaluation is at 15s.
    feed(&mut s, 5, 0.0);
    feed(&mut s, 10, 4.0);
    assert!(matches!(s.rules[0].phase, RulePhase::Pending { .. }));
    assert!(s.alerts.is_empty());
    feed(&mut s, 15, 4.0);
    assert!(s.rules[0].is_firing(), "fired at the evaluation at 15s");
    assert_eq!(s.alerts.len(), 1);
    // Without the key, every sample is evaluated: the dip resets pending at once.
    let mut s = demo_state();
    feed(&mut s, 0, 3.0);
    feed(&mut s, 5, 0.0);
    assert_eq!(s.rules[0].phase, RulePhase::Inactive);
}

/// A sample that carries its own timestamp (a `/metrics` page's) is as old as it says:
/// measured ten minutes ago, it is stale at once, and the gauge says since when.
#[test]
fn a_sample_measured_long_ago_is_stale_and_says_so() {
    let mut s = demo_state();
    let i = s.runbook.kpi_index("error_rate").unwrap();
    let measured_at = |s: &mut warroom::app::State, at| {
        let reading = warroom::app::Reading {
            value: 0.5,
            measured: Some(at),
        };
        update(
            s,
            Action::Observed(Observation::KpiSample {
                kpi: i,
                result: Ok(reading),
            }),
        );
    };
    measured_at(&mut s, start() - chrono::TimeDelta::minutes(10));
    let err = s.kpi_value(i).unwrap_err();
    assert!(err.contains("stale (measured 10m ago)"), "{err}");
    // Measured just now: fresh.
    measured_at(&mut s, start());
    assert_eq!(s.kpi_value(i), Ok(0.5));
}

#[test]
fn acknowledge_with_a_reason() {
    let mut s = demo_state();
    for t in (0..=10).step_by(2) {
        at(&mut s, t);
        kpi(&mut s, "error_rate", 9.0);
    }
    assert!(s.banner_alert().is_some());
    key(&mut s, KeyCode::Char('a'));
    typed(&mut s, "looking into it");
    key(&mut s, KeyCode::Enter);
    assert_eq!(
        s.alerts[0].acked.as_ref().map(|(_, r)| r.as_str()),
        Some("looking into it")
    );
    assert!(
        s.banner_alert().is_none(),
        "an acknowledged alert leaves the banner"
    );
}

#[test]
fn help_swallows_the_next_key() {
    let mut s = demo_state();
    key(&mut s, KeyCode::Char('?'));
    assert_eq!(s.help, Some(0));
    // The arrows scroll it (when the screen is short) and do nothing else.
    key(&mut s, KeyCode::Down);
    key(&mut s, KeyCode::Down);
    key(&mut s, KeyCode::Up);
    assert_eq!(s.help, Some(1));
    assert_eq!(s.selected, 0, "the arrows moved the help, not the timeline");
    assert!(!key(&mut s, KeyCode::Char('q')).contains(&Effect::Quit));
    assert!(s.help.is_none());
}

#[test]
fn space_ticks_checklist_items_with_the_time() {
    let mut s = demo_state();
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::Tab);
    assert_eq!(s.focus, warroom::app::Pane::Checklist);
    at(&mut s, 5);
    key(&mut s, KeyCode::Char(' '));
    assert_eq!(s.checks[0], Some(start() + chrono::TimeDelta::seconds(5)));
    key(&mut s, KeyCode::Char(' '));
    assert_eq!(s.checks[0], None);
}

#[test]
fn contacts_open_with_c_sorted_by_escalation_level() {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    let mut s = demo_state();
    key(&mut s, KeyCode::Char('C'));
    assert!(matches!(s.modal, Some(Modal::Contacts)));
    let mut t = Terminal::new(TestBackend::new(100, 30)).unwrap();
    t.draw(|f| warroom::ui::render(f, &s)).unwrap();
    let screen = format!("{}", t.backend());
    let lead = screen
        .find("L1 Deployment Lead · Dana  #deploy, +1-555-0100")
        .expect("the lead is listed");
    let sre = screen
        .find("L2 SRE on call · Sam  pager")
        .expect("the SRE is listed");
    assert!(lead < sre, "level 1 comes first");
    assert!(screen.contains("Status updates every 15m to #deploy"));
    key(&mut s, KeyCode::Char('q'));
    assert!(
        s.modal.is_none() && !s.quit,
        "any key closes it, and does nothing else"
    );
}

#[test]
fn status_updates_fall_due_on_their_cadence_with_the_template_filled() {
    let mut s = demo_state();
    // T0 is one minute after the start; updates every 15 minutes from T0.
    at(&mut s, 60 + 15 * 60 - 1);
    // The demo's planned message (T+3m) fell due on the way; no status update yet.
    let (text, _) = s.notice.take().unwrap();
    assert!(text.contains("message to Customer support"), "{text}");
    at(&mut s, 60 + 15 * 60);
    let (text, _) = s.notice.clone().unwrap();
    assert!(
        text.starts_with("Status update due to #deploy: Yellow · Checkout v1.5.0 · "),
        "{text}"
    );
    s.notice = None;
    at(&mut s, 60 + 15 * 60 + 1);
    assert!(s.notice.is_none(), "announced once per period");
    at(&mut s, 60 + 30 * 60);
    assert!(s.notice.is_some());
}

/// A critical alert opens an incident at level 1; its age crosses into level 2 at 5
/// minutes (journaled, the bell once); it ends when the critical alerts resolve. The
/// journal rebuilds all of it.
#[test]
fn an_incident_escalates_by_its_age_and_ends_with_its_alerts() {
    use warroom::app::Event;
    let mut s = demo_state();
    let feed = |s: &mut warroom::app::State, t: i64, v: f64| {
        let mut fx = at(s, t);
        fx.extend(kpi(s, "error_rate", v));
        fx.iter().filter(|e| **e == Effect::Bell).count()
    };
    // Samples every 2 s, as the demo's KPI interval has them (older ones are stale).
    feed(&mut s, 0, 3.0);
    assert!(s.incident.is_none(), "pending is not an incident");
    for t in (2..=10).step_by(2) {
        feed(&mut s, t, 3.0);
    }
    let incident = s
        .incident
        .clone()
        .expect("the critical alert opened an incident");
    assert_eq!(incident.level, Some(1));
    assert_eq!(incident.trigger, "rule error-rate-critical");
    let mut bells = 0;
    for t in (12..=308).step_by(2) {
        bells += feed(&mut s, t, 3.0);
    }
    assert_eq!(
        s.incident.as_ref().unwrap().level,
        Some(1),
        "4m58s in: still level 1"
    );
    bells += feed(&mut s, 310, 3.0);
    assert_eq!(
        s.incident.as_ref().unwrap().level,
        Some(2),
        "5m in: level 2"
    );
    for t in (312..=400).step_by(2) {
        bells += feed(&mut s, t, 3.0);
    }
    assert_eq!(bells, 1, "crossing into level 2 rings once");
    let history: Vec<_> = s.outbox.clone();
    assert!(
        history
            .iter()
            .any(|r| r.event == Event::EscalationReached { level: 2 })
    );
    // The journal rebuilds the incident as it is.
    let mut replayed = demo_state();
    replayed.replay(&history);
    assert_eq!(replayed.incident, s.incident);
    // The alert resolves: the incident ends, and says why.
    feed(&mut s, 410, 0.2);
    assert!(s.incident.is_none());
    assert!(s.outbox.iter().any(|r| matches!(
        &r.event,
        Event::IncidentClosed { why } if why.contains("resolved")
    )));
}

/// `I` declares an incident with what is happening; only `I` again (and `y`) stands it
/// down, and the contacts show the level to call.
#[test]
fn a_declared_incident_is_stood_down_by_the_operator() {
    let mut s = demo_state();
    key(&mut s, KeyCode::Char('I'));
    typed(&mut s, "checkout 502s from EU");
    key(&mut s, KeyCode::Enter);
    let incident = s.incident.clone().expect("declared");
    assert_eq!(incident.trigger, "declared: checkout 502s from EU");
    assert_eq!(
        s.status_light(),
        warroom::runbook::Standing::Critical,
        "an incident is never OK"
    );
    at(&mut s, 16 * 60);
    assert_eq!(s.incident.as_ref().unwrap().level, Some(3));
    key(&mut s, KeyCode::Char('I'));
    key(&mut s, KeyCode::Char('n'));
    assert!(s.incident.is_some(), "n keeps it");
    key(&mut s, KeyCode::Char('I'));
    key(&mut s, KeyCode::Char('y'));
    assert!(s.incident.is_none(), "stood down");
}

/// `U` fills the template in from the run as it stands, the operator edits it, Enter
/// records it and sends it; a failed send keeps the text for `U`, and Esc keeps a draft.
#[test]
fn a_status_update_is_written_recorded_sent_and_kept_when_it_fails() {
    use warroom::app::{Event, Modal};
    let mut s = demo_state();
    approve_gate(&mut s);
    at(&mut s, 70);
    key(&mut s, KeyCode::Char('U'));
    let Some(Modal::StatusUpdate { input, .. }) = &s.modal else {
        panic!("U opens the status update: {:?}", s.modal);
    };
    let text = input.value().to_owned();
    // No KPI has a value yet: Yellow, as the status light says.
    assert!(
        text.starts_with("Yellow · Checkout v1.5.0 · Canary · 0% done"),
        "{text}"
    );
    assert!(text.contains("alerts: none"), "{text}");
    assert!(
        text.contains("next: Verify blue and green are healthy at T-45s (01:59 UTC)"),
        "{text}"
    );
    // Esc keeps what was written; U opens it again as it was.
    typed(&mut s, " (EU first)");
    key(&mut s, KeyCode::Esc);
    assert!(s.modal.is_none());
    key(&mut s, KeyCode::Char('U'));
    let Some(Modal::StatusUpdate { input, .. }) = &s.modal else {
        panic!("reopened");
    };
    assert!(input.value().ends_with("(EU first)"));
    let fx = key(&mut s, KeyCode::Enter);
    let sent = fx.iter().find_map(|e| match e {
        Effect::Deliver { channel, message } if channel == "#deploy" => Some(message.text.clone()),
        _ => None,
    });
    let sent = sent.expect("Enter sends it");
    assert!(sent.ends_with("(EU first)"));
    assert!(s.outbox.iter().any(|r| matches!(
        &r.event,
        Event::StatusUpdateSending { text, to, .. } if *text == sent && to == "#deploy"
    )));
    // The webhook answers 500: recorded, and the text is kept for another try.
    update(
        &mut s,
        Action::Delivered {
            channel: "#deploy".into(),
            result: Err("HTTP 500".into()),
        },
    );
    assert!(s.outbox.iter().any(|r| matches!(
        &r.event,
        Event::StatusUpdateDelivered { channel, error: Some(why) } if channel == "#deploy" && why == "HTTP 500"
    )));
    assert!(
        s.notice
            .as_ref()
            .unwrap()
            .0
            .contains("NOT sent to #deploy: HTTP 500")
    );
    key(&mut s, KeyCode::Char('U'));
    let Some(Modal::StatusUpdate { input, .. }) = &s.modal else {
        panic!("reopened after the failure");
    };
    assert_eq!(input.value(), sent);
    key(&mut s, KeyCode::Enter);
    update(
        &mut s,
        Action::Delivered {
            channel: "#deploy".into(),
            result: Ok(()),
        },
    );
    assert!(s.outbox.iter().any(|r| r.event
        == Event::StatusUpdateDelivered {
            channel: "#deploy".into(),
            error: None
        }));
    assert!(s.draft_update.is_none());
    assert!(s.sending_update.is_none());
}

/// Without a webhook, an update is recorded for the post-mortem and nothing is sent.
#[test]
fn without_a_webhook_a_status_update_is_only_recorded() {
    let mut rb = (*demo_runbook()).clone();
    rb.channels.clear();
    if let Some(u) = rb.status_updates.as_mut() {
        u.channels.clear();
    }
    let mut s = warroom::app::State::new(std::sync::Arc::new(rb), start());
    key(&mut s, KeyCode::Char('U'));
    let fx = key(&mut s, KeyCode::Enter);
    assert!(!fx.iter().any(|e| matches!(e, Effect::Deliver { .. })));
    assert!(s.outbox.iter().any(|r| matches!(
        &r.event,
        warroom::app::Event::StatusUpdateSending { to, .. } if to == "none"
    )));
    assert!(s.notice.as_ref().unwrap().0.contains("post it yourself"));
}

/// Rules scoped in time: one watches only during its phase, one for a window after a step
/// finished; outside, pending starts over and firing resolves, so a rule that belongs to
/// one moment does not fire all night.
#[test]
fn rules_scoped_to_a_phase_or_a_window_after_a_step_watch_only_then() {
    let text = r#"
[runbook]
name = "scoped"

[[kpi]]
id = "errors"
command = ["echo", "1"]
interval = "2s"

[[rule]]
id = "canary-only"
expr = "errors > 5"
during = "canary"

[[rule]]
id = "after-cutover"
expr = "errors > 5"
after = "cutover"
window = "5m"

[[phase]]
id = "prep"
title = "Prep"

[[phase.step]]
id = "warm"
title = "Warm up"
run = ["true"]

[[phase]]
id = "canary"
title = "Canary"

[[phase.step]]
id = "cutover"
title = "Cut over"
run = ["true"]
"#;
    let (rb, _) = warroom::runbook::load_str(std::path::Path::new("s.toml"), text).unwrap();
    let mut s = warroom::app::State::new(std::sync::Arc::new(rb), start());
    let feed = |s: &mut warroom::app::State, t: i64, v: f64| {
        at(s, t);
        kpi(s, "errors", v);
    };
    // In the first phase neither watches: a breach is nothing.
    feed(&mut s, 0, 9.0);
    assert!(s.rules.iter().all(|r| r.phase == RulePhase::Inactive));
    // The cut-over starts (the canary phase is current) and finishes at 4s.
    begin_run(&mut s, Target::Step(1));
    feed(&mut s, 2, 9.0);
    assert!(s.rules[0].is_firing(), "during canary");
    assert_eq!(
        s.rules[1].phase,
        RulePhase::Inactive,
        "the cut-over has not finished"
    );
    update(
        &mut s,
        Action::RunFinished {
            target: Target::Step(1),
            exit: warroom::app::Exit::with_code(0),
        },
    );
    feed(&mut s, 4, 9.0);
    assert!(s.rules[1].is_firing(), "in the window after the cut-over");
    // Five minutes after it finished, the window closes and the alert resolves.
    for t in (6..300).step_by(2) {
        feed(&mut s, t, 9.0);
    }
    assert!(s.rules[1].is_firing(), "4m56s after: still watching");
    feed(&mut s, 302, 9.0);
    feed(&mut s, 304, 9.0);
    assert_eq!(s.rules[1].phase, RulePhase::Inactive, "the window closed");
    assert!(s.alerts.iter().any(|a| a.resolved.is_some()));
    assert!(
        s.rules[0].is_firing(),
        "the phase rule goes on while its phase does"
    );
}

/// Gate policies: `any` opens on one GO (a NO-GO from anyone holds it); `final-say`
/// waits for its approver, whose vote needs a rationale; the others only advise.
#[test]
fn gate_policies_any_final_say_and_needs_decide_as_the_runbook_says() {
    let gate = |policy: &str| {
        format!(
            r#"
[runbook]
name = "gates"

[[phase]]
id = "p"
title = "P"

[[phase.step]]
id = "ship"
title = "Ship it"
run = ["true"]

[[gate]]
id = "go"
title = "Ship?"
approvers = ["Lead", "SRE", "QA"]
before = "ship"
{policy}
"#
        )
    };
    let state = |policy: &str| {
        let (rb, _) =
            warroom::runbook::load_str(std::path::Path::new("g.toml"), &gate(policy)).unwrap();
        warroom::app::State::new(std::sync::Arc::new(rb), start())
    };
    // any: the first GO opens the gate, and the modal closes.
    let mut s = state("decide = \"any\"");
    key(&mut s, KeyCode::Char('g'));
    key(&mut s, KeyCode::Down);
    key(&mut s, KeyCode::Char('G'));
    key(&mut s, KeyCode::Enter);
    assert!(s.gates[0].is_go());
    assert!(s.modal.is_none(), "decided: no more votes asked");
    // final-say: the SRE's GO advises; the Lead's NO-GO, with its rationale, decides.
    let mut s = state("decide = \"final-say\"\nfinal-say = \"Lead\"");
    key(&mut s, KeyCode::Char('g'));
    key(&mut s, KeyCode::Down);
    key(&mut s, KeyCode::Char('G'));
    key(&mut s, KeyCode::Enter);
    assert!(!s.gates[0].is_go(), "the SRE only advises");
    key(&mut s, KeyCode::Up);
    key(&mut s, KeyCode::Char('N'));
    key(&mut s, KeyCode::Enter);
    assert!(
        s.gates[0].votes[0].is_none(),
        "the final say without a rationale is not recorded"
    );
    assert!(s.notice.as_ref().unwrap().0.contains("rationale"));
    typed(&mut s, "EU latency not understood yet");
    key(&mut s, KeyCode::Enter);
    assert!(s.gates[0].is_no_go());
    assert_eq!(
        s.gates[0].votes[0].as_ref().unwrap().note,
        "EU latency not understood yet"
    );
    // unanimous (the default): all three.
    let mut s = state("");
    key(&mut s, KeyCode::Char('g'));
    for _ in 0..2 {
        key(&mut s, KeyCode::Char('G'));
        key(&mut s, KeyCode::Enter);
    }
    assert!(!s.gates[0].is_go());
    key(&mut s, KeyCode::Char('G'));
    key(&mut s, KeyCode::Enter);
    assert!(s.gates[0].is_go());
    // needs = 2: two GOs of three open it, the modal closes, and a NO-GO still holds it.
    let mut s = state("needs = 2");
    s.selected = 0;
    assert!(
        warroom::app::guard::of_target(&s, warroom::app::Target::Step(0))
            .iter()
            .any(|g| g.words.contains("GO 0, needs 2 of 3")),
        "the guard says what it waits for"
    );
    key(&mut s, KeyCode::Char('g'));
    key(&mut s, KeyCode::Char('G'));
    key(&mut s, KeyCode::Enter);
    assert!(!s.gates[0].is_go());
    key(&mut s, KeyCode::Char('G'));
    key(&mut s, KeyCode::Enter);
    assert!(s.gates[0].is_go());
    assert!(s.modal.is_none(), "decided: the third is not asked");
    let mut s = state("needs = 2");
    key(&mut s, KeyCode::Char('g'));
    key(&mut s, KeyCode::Char('G'));
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Char('N'));
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Char('G'));
    key(&mut s, KeyCode::Enter);
    assert!(s.gates[0].is_no_go() && !s.gates[0].is_go());
    // `check` refuses what it cannot mean.
    for (policy, says) in [
        ("needs = 4", "needs 1 to 3"),
        ("needs = 0", "needs 1 to 3"),
        ("decide = \"any\"\nneeds = 2", "drop `decide`, or `needs`"),
    ] {
        let err = warroom::runbook::load_str(std::path::Path::new("g.toml"), &gate(policy))
            .err()
            .unwrap_or_else(|| panic!("{policy} loads"));
        assert!(
            err.iter().any(|d| d.message.contains(says)),
            "{policy}: {err:?}"
        );
    }
}

/// `F` closes the run: each role signs off with a note; a success needs every sign-off;
/// once closed, nothing more acts on the run.
#[test]
fn a_run_is_closed_with_its_sign_offs_and_then_nothing_acts() {
    use warroom::app::Modal;
    use warroom::app::event::Outcome;
    let mut s = demo_state();
    key(&mut s, KeyCode::Char('F'));
    assert!(matches!(s.modal, Some(Modal::Close { .. })));
    key(&mut s, KeyCode::Char('S'));
    assert!(s.notice.as_ref().unwrap().0.contains("2 missing"));
    assert!(s.closed.is_none());
    for note in ["all stages done", "dashboards normal"] {
        key(&mut s, KeyCode::Enter);
        typed(&mut s, note);
        key(&mut s, KeyCode::Enter);
        key(&mut s, KeyCode::Down);
    }
    assert!(s.sign_offs.iter().all(Option::is_some));
    assert_eq!(s.sign_offs[1].as_ref().unwrap().note, "dashboards normal");
    key(&mut s, KeyCode::Char('S'));
    assert!(matches!(
        s.modal,
        Some(Modal::ConfirmClose(Outcome::Success))
    ));
    key(&mut s, KeyCode::Char('y'));
    assert_eq!(s.closed.map(|(_, o)| o), Some(Outcome::Success));
    // Closed: the rollback key, like every key that acts, says so and does nothing.
    key(&mut s, KeyCode::Char('R'));
    assert!(s.modal.is_none());
    assert!(
        s.notice
            .as_ref()
            .unwrap()
            .0
            .contains("The run is closed (success)")
    );
    // And the journal rebuilds it.
    let mut replayed = demo_state();
    replayed.replay(&s.outbox);
    assert_eq!(replayed.closed, s.closed);
    assert_eq!(replayed.sign_offs, s.sign_offs);
}

/// A communication planned for T-7d falls due then (journaled once, a notice), waits in
/// the status line, and `U` opens it filled in, to its audience; sent, it waits no more.
#[test]
fn a_planned_communication_falls_due_and_goes_to_its_audience() {
    use warroom::app::{Event, Modal};
    let text = r##"
[runbook]
name = "comms"
t0 = "2026-03-07T22:00:00Z"

[[phase]]
id = "p"
title = "P"

[[phase.step]]
id = "s"
at = "T+0"
title = "Switch"
run = ["true"]

[status-updates]
every = "1h"
webhook = "${HOOK}"

[[communication]]
at = "T-7d"
audience = "Customers"
text = "Maintenance on March 7 at 22:00 UTC ({light}, {progress} of the plan done)"

[[communication]]
at = "22:30"
audience = "#exec"
text = "{light}: {phase}, next {next}"
"##;
    let (rb, _) = warroom::runbook::load_str(std::path::Path::new("c.toml"), text).unwrap();
    let t0 = rb.t0.fixed().unwrap();
    let mut s = warroom::app::State::new(std::sync::Arc::new(rb), t0 - chrono::TimeDelta::days(8));
    update(
        &mut s,
        Action::Tick(t0 - chrono::TimeDelta::days(7) - chrono::TimeDelta::seconds(1)),
    );
    assert!(s.communications[0].due.is_none());
    update(&mut s, Action::Tick(t0 - chrono::TimeDelta::days(7)));
    assert!(s.communications[0].due.is_some());
    assert!(
        s.notice
            .as_ref()
            .unwrap()
            .0
            .contains("the message to Customers")
    );
    assert_eq!(s.communication_waiting(), Some(0));
    key(&mut s, KeyCode::Char('U'));
    let Some(Modal::StatusUpdate {
        input,
        communication,
        ..
    }) = &s.modal
    else {
        panic!("U opens the due message: {:?}", s.modal);
    };
    assert_eq!(*communication, Some(0));
    assert_eq!(
        input.value(),
        "Maintenance on March 7 at 22:00 UTC (Green, 0% of the plan done)"
    );
    let fx = key(&mut s, KeyCode::Enter);
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::Deliver { message, .. } if message.audience.as_deref() == Some("Customers")
    )));
    assert!(s.outbox.iter().any(|r| matches!(
        &r.event,
        Event::StatusUpdateSending { to, communication: Some(0), .. } if to == "webhook"
    )));
    assert_eq!(s.communication_waiting(), None);
    // 22:30 is T+30m: the second falls due then, once.
    update(&mut s, Action::Tick(t0 + chrono::TimeDelta::minutes(30)));
    update(&mut s, Action::Tick(t0 + chrono::TimeDelta::minutes(31)));
    let due = s
        .outbox
        .iter()
        .filter(|r| matches!(r.event, Event::CommunicationDue { index: 1, .. }))
        .count();
    assert_eq!(due, 1);
    // The journal rebuilds them.
    let mut replayed = warroom::app::State::new(s.runbook.clone(), t0);
    replayed.replay(&s.outbox);
    assert_eq!(replayed.communications, s.communications);
}

/// A console that begins (after a resume too) opens the timeline on the next step to do,
/// so on a plan over days, today's part is in view.
#[test]
fn the_timeline_opens_on_the_next_step_to_do() {
    let mut s = demo_state();
    begin_run(&mut s, Target::Step(0));
    update(
        &mut s,
        Action::RunFinished {
            target: Target::Step(0),
            exit: warroom::app::Exit::with_code(0),
        },
    );
    s.selected = 0;
    warroom::app::begin(
        &mut s,
        warroom::app::Begin {
            runbook_sha256: "0".repeat(64),
            pid: 1,
            changed_from: None,
            took_over_from: None,
        },
    );
    assert_eq!(s.selected, 1, "verify-health is done: canary-10 is next");
}

/// Both approvers say GO to the demo's canary gate, as the record would hold it.
fn go_canary(s: &mut warroom::app::State) {
    use warroom::app::event::{Event, Record, VoteDecision};
    for approver in ["Deployment Lead", "SRE on call"] {
        let vote = Event::GateVote {
            gate: "go-canary".into(),
            approver: approver.into(),
            decision: VoteDecision::Go,
            note: String::new(),
            evidence: Vec::new(),
            signature: None,
            canary: None,
        };
        s.apply(&Record::new(s.seq + 1, s.now, Default::default(), vote));
    }
}

/// A step with nothing to run (a meeting, an announcement) is marked done by hand: Enter
/// asks, only `y` records it (with who and when), and then it counts as done.
#[test]
fn a_step_without_a_command_is_marked_done_by_hand_after_a_yes() {
    use warroom::app::event::Event;
    let mut s = demo_state();
    let i = step(&s, "announce");
    s.selected = i;
    // Behind the go/no-go it waits, as a step that runs would.
    key(&mut s, KeyCode::Enter);
    assert!(matches!(s.modal, Some(Modal::Override { .. })));
    assert!(
        s.notice
            .as_ref()
            .unwrap()
            .0
            .contains("gate go-canary waits")
    );
    key(&mut s, KeyCode::Esc);
    go_canary(&mut s);
    key(&mut s, KeyCode::Enter);
    assert!(matches!(s.modal, Some(Modal::MarkDone { step }) if step == i));
    key(&mut s, KeyCode::Char('n'));
    assert!(s.modal.is_none());
    assert!(!s.step_done(i));
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Enter); // not an answer: the question stays
    assert!(matches!(s.modal, Some(Modal::MarkDone { .. })));
    let fx = key(&mut s, KeyCode::Char('y'));
    assert!(runs(&fx).is_empty(), "nothing runs");
    assert!(s.step_done(i));
    assert!(
        s.outbox
            .iter()
            .any(|r| matches!(&r.event, Event::StepDoneByHand { step } if step == "announce"))
    );
    // Rebuilt from the record, it is still done.
    let mut back = demo_state();
    go_canary(&mut back);
    back.replay(s.outbox.iter());
    assert!(back.step_done(i));
    assert_eq!(back.next_step(), s.next_step());
    assert_ne!(s.next_step(), Some(i));
    // Once done, Enter only says so.
    key(&mut s, KeyCode::Enter);
    assert!(s.modal.is_none());
    assert!(s.notice.as_ref().unwrap().0.contains("is done"));
}

/// After a vote or the close is committed, the journal's head is checkpointed: once, with
/// why, and posted to the status webhook when the runbook has one; a commit with nothing
/// decided checkpoints nothing.
#[test]
fn a_vote_once_committed_checkpoints_the_journals_head() {
    use warroom::app::Event;
    let mut s = demo_state();
    let head = "ab".repeat(32);
    update(
        &mut s,
        Action::Committed {
            records: 3,
            head: head.clone(),
        },
    );
    assert!(
        s.take_records().is_empty(),
        "nothing decided, no checkpoint"
    );
    approve_gate(&mut s);
    s.take_records();
    let fx = update(
        &mut s,
        Action::Committed {
            records: 9,
            head: head.clone(),
        },
    );
    let recs = s.take_records();
    assert_eq!(recs.len(), 1, "{recs:?}");
    let Event::Checkpoint {
        records,
        head: h,
        why,
    } = &recs[0].event
    else {
        panic!("{:?}", recs[0].event);
    };
    assert_eq!((*records, h), (9, &head));
    assert!(why.contains("gate go-canary: GO from"), "{why}");
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::PostCheckpoint { text } if text.contains(&head))),
        "the demo has a webhook: the head goes out as a witness: {fx:?}"
    );
    // Once: the next commit has nothing new to checkpoint.
    update(&mut s, Action::Committed { records: 10, head });
    assert!(s.take_records().is_empty());
}

/// `distinct-from-driver`: a vote typed at the driving console for an approver who votes
/// from their own terminal is by proxy, asks why, and never opens the gate; the approvers'
/// own votes (handed in, theirs by the file's owner) do. A vote file in someone else's name
/// is refused, with why.
#[test]
fn a_gate_distinct_from_the_driver_opens_only_on_the_approvers_own_votes() {
    use warroom::app::event::VoteDecision;
    use warroom::app::{Event, VoteFile, VoteRequest};
    let text = r#"
[runbook]
name = "distinct"

[[approver]]
id = "lead"
role = "Deployment Lead"
users = ["alice", "dana"]

[[approver]]
id = "sre"
role = "SRE on call"
users = ["bob"]

[[phase]]
id = "p"
title = "P"

[[phase.step]]
id = "ship"
title = "Ship it"
run = ["true"]

[[gate]]
id = "go"
title = "Ship?"
approvers = ["lead", "sre"]
before = "ship"
distinct-from-driver = true
"#;
    let (rb, _) = warroom::runbook::load_str(std::path::Path::new("d.toml"), text).unwrap();
    let mut s = warroom::app::State::new(std::sync::Arc::new(rb), start());
    s.operator = warroom::app::Operator {
        user: "dana".into(),
        host: "bastion".into(),
        ssh: None,
    };
    warroom::app::begin(
        &mut s,
        warroom::app::Begin {
            runbook_sha256: "0".repeat(64),
            pid: 1,
            changed_from: None,
            took_over_from: None,
        },
    );
    // At the keyboard, for Alice: by proxy, so only with why.
    key(&mut s, KeyCode::Char('g'));
    key(&mut s, KeyCode::Char('G'));
    key(&mut s, KeyCode::Enter);
    assert!(s.gates[0].votes[0].is_none(), "no why, no proxy vote");
    assert!(s.notice.as_ref().unwrap().0.contains("by proxy"));
    typed(&mut s, "phoned in from the airport");
    key(&mut s, KeyCode::Enter);
    assert!(s.gates[0].votes[0].as_ref().unwrap().by_driver);
    key(&mut s, KeyCode::Char('G'));
    typed(&mut s, "phoned in too");
    key(&mut s, KeyCode::Enter);
    assert_eq!(
        s.gates[0].go_count(),
        0,
        "the driver's votes do not open it"
    );
    assert!(!s.gates[0].is_go());
    s.take_records();
    let filed = |user: &str, approver: &str| VoteFile {
        file: format!("1-{user}-1.json"),
        user: Ok(user.to_owned()),
        vote: Ok(VoteRequest {
            gate: "go".into(),
            approver: approver.into(),
            decision: VoteDecision::Go,
            note: String::new(),
            ssh: Some("192.0.2.7".into()),
            run: "r".into(),
            head: "h".into(),
            evidence: vec!["p95: 240 ms".into()],
            signature: None,
            key: None,
        }),
        // The driver's console found the head it names, past every record here.
        seen: Ok(10_000),
    };
    // Bob in Alice's name: refused, and said why.
    let fx = update(&mut s, Action::VoteFiled(Box::new(filed("bob", "lead"))));
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::FileVote {
            accepted: false,
            ..
        }
    )));
    let refused = s.take_records();
    assert!(
        matches!(&refused[..], [r] if matches!(&r.event, Event::VoteRefused { why, .. } if why.contains("bob is not lead"))),
        "{refused:?}"
    );
    // A file that is no vote (too large, binary, unreadable) is refused with the reader's why.
    let broken = VoteFile {
        file: "1-x-1.json".into(),
        user: Ok("alice".into()),
        vote: Err("104857600 bytes: a vote is a few hundred, this is not one".into()),
        seen: Err("104857600 bytes: a vote is a few hundred, this is not one".into()),
    };
    let fx = update(&mut s, Action::VoteFiled(Box::new(broken)));
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::FileVote {
            accepted: false,
            ..
        }
    )));
    assert!(s.take_records().iter().any(
        |r| matches!(&r.event, Event::VoteRefused { why, .. } if why.contains("this is not one"))
    ));
    // Dana drives; though she is a lead too, her vote from another terminal is the
    // driver's: refused.
    update(&mut s, Action::VoteFiled(Box::new(filed("dana", "lead"))));
    assert!(s.take_records().iter().any(
        |r| matches!(&r.event, Event::VoteRefused { why, .. } if why.contains("dana drives this run"))
    ));
    // Their own: the gate opens. On the way, a NO-GO of Alice's cast before her GO was
    // recorded (it names an older journal head) arrives late: it does not replace it.
    for (user, approver) in [("alice", "lead"), ("bob", "sre")] {
        let fx = update(&mut s, Action::VoteFiled(Box::new(filed(user, approver))));
        assert!(
            fx.iter()
                .any(|e| matches!(e, Effect::FileVote { accepted: true, .. }))
        );
        if user == "alice" {
            let mut late = filed("alice", "lead");
            if let Ok(v) = &mut late.vote {
                v.decision = VoteDecision::NoGo;
            }
            late.seen = Ok(1);
            update(&mut s, Action::VoteFiled(Box::new(late)));
            let taken = s.take_records();
            assert!(
                taken
                    .iter()
                    .any(|r| matches!(&r.event, Event::GateVote { .. })
                        && r.by.user == "alice"
                        && r.by.ssh.as_deref() == Some("192.0.2.7"))
            );
            assert!(taken.iter().any(|r| matches!(&r.event,
                Event::VoteRefused { why, .. } if why.contains("an older vote does not replace a newer one"))));
            assert_eq!(
                s.gates[0].votes[0].as_ref().map(|v| v.decision),
                Some(warroom::app::Decision::Go)
            );
        }
    }
    assert!(s.gates[0].is_go());
    let votes: Vec<_> = s
        .take_records()
        .into_iter()
        .filter(|r| matches!(r.event, Event::GateVote { .. }))
        .map(|r| (r.by.user, r.by.ssh))
        .collect();
    assert_eq!(votes, [("bob".to_owned(), Some("192.0.2.7".to_owned()))]);
    // Decided: a late vote is refused.
    update(&mut s, Action::VoteFiled(Box::new(filed("alice", "lead"))));
    assert!(s.take_records().iter().any(
        |r| matches!(&r.event, Event::VoteRefused { why, .. } if why.contains("already decided"))
    ));
    // `check`: a gate distinct from the driver needs an approver who votes from a terminal.
    let lone = text.replace("approvers = [\"lead\", \"sre\"]", "approvers = [\"Ops\"]");
    let err = warroom::runbook::load_str(std::path::Path::new("d.toml"), &lone).unwrap_err();
    assert!(
        err.iter()
            .any(|d| d.message.contains("no approver here votes from one"))
    );
}

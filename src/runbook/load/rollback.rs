//! `[rollback]`: one command or a procedure of steps, its preview, phrase, window and
//! success criteria.

use super::*;

/// The rollback, when the runbook has one.
pub(super) fn rollback(
    d: &mut Diagnostics<'_>,
    s: &Sections,
    step_ids: &Ids,
    refs: &Refs<'_>,
    dir: &Path,
    t0: Option<chrono::DateTime<chrono::Utc>>,
) -> Option<Rollback> {
    s.rollback.as_ref().and_then(|r| {
        let timeout = duration(d, "rollback.timeout", &r.timeout);
        let steps = if r.step.is_empty() {
            let cmd = command(d, "rollback", &r.run, &r.shell, dir);
            if cmd.is_none() && r.run.is_none() && r.shell.is_none() {
                let (span, why) = match r.preview.as_ref().map(|p| p.span()).or(r.preview_shell.as_ref().map(|p| p.span())) {
                    // A preview shows what the rollback will do: there must be one.
                    Some(span) => (Some(span), "`preview` shows what the rollback will do, and there is no rollback: `[rollback]` needs `run` (an argv list), `shell`, or its steps (`[[rollback.step]]`)"),
                    None => (None, "`[rollback]` needs `run` (an argv list), `shell`, or its steps (`[[rollback.step]]`)"),
                };
                d.error(span, "rollback", why);
            }
            if step_ids.contains("rollback") {
                d.error(
                    None,
                    "rollback",
                    "a step named `rollback` would keep its record in steps/rollback.N, as the rollback does: rename the step",
                );
            }
            vec![RollbackStep {
                id: "rollback".to_owned(),
                title: "Rollback".to_owned(),
                command: cmd?,
                timeout,
                confirm: Confirm::None,
            }]
        } else {
            if let Some(span) = r.run.as_ref().map(|x| x.span()).or(r.shell.as_ref().map(|x| x.span())) {
                d.error(
                    Some(span),
                    "rollback",
                    "give the rollback either one command (`run`/`shell`) or its steps (`[[rollback.step]]`), not both",
                );
            }
            let mut seen = HashSet::new();
            let steps: Vec<RollbackStep> = r
                .step
                .iter()
                .enumerate()
                .filter_map(|(i, st)| {
                    let key = format!("rollback.step[{i}]");
                    check_id(d, &format!("{key}.id"), &st.id, true);
                    // Each runs in steps/rollback-<id>.<attempt>: a step of that name would share it.
                    let dir_name = format!("rollback-{}", st.id.get_ref());
                    if step_ids.contains(&dir_name) {
                        d.error(
                            Some(st.id.span()),
                            format!("{key}.id"),
                            format!(
                                "rollback step `{}` would keep its record in steps/{dir_name}.N, as step `{dir_name}` does: rename one",
                                st.id.get_ref()
                            ),
                        );
                    }
                    if !seen.insert(st.id.get_ref().clone()) {
                        d.error(
                            Some(st.id.span()),
                            format!("{key}.id"),
                            format!("rollback step `{}` is defined twice", st.id.get_ref()),
                        );
                    }
                    let cmd = command(d, &key, &st.run, &st.shell, dir);
                    if cmd.is_none() && st.run.is_none() && st.shell.is_none() {
                        d.error(
                            Some(st.id.span()),
                            key.clone(),
                            "a rollback step needs `run` (an argv list) or `shell`",
                        );
                    }
                    let confirm = confirmation(d, &key, &st.confirm, &st.phrase, Confirm::None);
                    Some(RollbackStep {
                        id: st.id.get_ref().clone(),
                        title: st.title.clone(),
                        command: cmd?,
                        timeout: duration(d, &format!("{key}.timeout"), &st.timeout).or(timeout),
                        confirm,
                    })
                })
                .collect();
            if steps.len() != r.step.len() {
                return None;
            }
            steps
        };
        let phrase = r
            .phrase
            .as_ref()
            .map_or_else(|| "ROLLBACK".to_owned(), |p| p.get_ref().clone());
        if phrase.trim().is_empty()
            && let Some(p) = &r.phrase
        {
            d.error(
                Some(p.span()),
                "rollback.phrase",
                "the rollback phrase is empty",
            );
        }
        let success = r.success.as_ref().and_then(|src| {
            let expr = expression(d, "rollback.success", src)?;
            refs.check(d, "rollback.success", src, &expr);
            Some(RollbackSuccess {
                expr,
                source: src.get_ref().clone(),
                hold: duration(d, "rollback.success-for", &r.success_for).unwrap_or_default(),
                within: duration(d, "rollback.success-within", &r.success_within)
                    .unwrap_or(defaults::SUCCESS_WITHIN),
            })
        });
        let preview = preview(d, r, dir);
        Some(Rollback {
            steps,
            preview,
            until: r
                .until
                .as_ref()
                .and_then(|u| planned_time(d, "rollback.until", u, t0)),
            phrase,
            timeout,
            roll_forward: r.roll_forward.clone(),
            target: duration(d, "rollback.target", &r.target),
            success,
        })
    })
}

/// The rollback's preview: a read-only command given as argv or as a shell line, not both.
fn preview(d: &mut Diagnostics<'_>, r: &raw::Rollback, dir: &Path) -> Option<Command> {
    match (&r.preview, &r.preview_shell) {
        (None, None) => None,
        (Some(_), Some(sh)) => {
            d.error(
                Some(sh.span()),
                "rollback.preview-shell",
                "give the preview either as argv (`preview`) or as a shell line (`preview-shell`), not both",
            );
            None
        }
        (Some(argv), None) => match argv.get_ref().first() {
            Some(program) => {
                warn_missing_script(d, "rollback.preview", argv.span(), program, dir);
                Some(Command::Argv(argv.get_ref().clone()))
            }
            None => {
                d.error(
                    Some(argv.span()),
                    "rollback.preview",
                    "`preview` is empty: expected [\"program\", \"arg\", ...]",
                );
                None
            }
        },
        (None, Some(sh)) if sh.get_ref().trim().is_empty() => {
            d.error(
                Some(sh.span()),
                "rollback.preview-shell",
                "`preview-shell` is empty",
            );
            None
        }
        (None, Some(sh)) => Some(Command::Shell(sh.get_ref().clone())),
    }
}

//! `[rehearsal]`: the runbook against the demo target.

use super::*;

/// Level N from the Nth duration of the incident's age: the first is `0m`, each later
/// than the one before.
/// `[rehearsal]`: variable names that could be set, and a replay series that reads and
/// names only the runbook's KPIs (read now, so `check` finds a bad one the night before).
pub(super) fn rehearsal(
    d: &mut Diagnostics<'_>,
    r: &raw::Rehearsal,
    dir: &Path,
    kpis: &[Kpi],
) -> Rehearsal {
    let mut env = Vec::new();
    for (name, value) in &r.env {
        let ok = name
            .get_ref()
            .chars()
            .enumerate()
            .all(|(i, c)| c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit()));
        if !ok || name.get_ref().is_empty() {
            d.error(
                Some(name.span()),
                "rehearsal.env",
                format!(
                    "`{}` is not a variable name (letters, digits and `_`, not starting with a digit)",
                    name.get_ref()
                ),
            );
            continue;
        }
        env.push((name.get_ref().clone(), value.clone()));
    }
    let replay = r.replay.as_ref().and_then(|file| {
        let path = dir.join(file.get_ref());
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                d.error(
                    Some(file.span()),
                    "rehearsal.replay",
                    format!("cannot read the series {}: {e}", path.display()),
                );
                return None;
            }
        };
        match crate::runbook::series::Series::parse(&text) {
            Ok(series) => {
                for k in series.kpis() {
                    if !kpis.iter().any(|kpi| kpi.id == k) {
                        d.error(
                            Some(file.span()),
                            "rehearsal.replay",
                            format!("the series names KPI `{k}`, which the runbook does not have"),
                        );
                    }
                }
            }
            Err(e) => d.error(
                Some(file.span()),
                "rehearsal.replay",
                format!("{}: {e}", path.display()),
            ),
        }
        Some(path)
    });
    Rehearsal { env, replay }
}

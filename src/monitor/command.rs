//! Short-lived commands: the command KPI source and step verifications.

use std::path::Path;
use std::time::Duration;

use super::http;

/// Runs a command in `dir` and returns what it printed; killed when it outlives `timeout`.
pub async fn run_capture(
    argv: &[String],
    timeout: Duration,
    vars: &[(String, String)],
    dir: &Path,
) -> Result<String, String> {
    let Some((program, args)) = argv.split_first() else {
        return Err("empty command".into());
    };
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .current_dir(dir)
        .envs(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let child = cmd
        .spawn()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    let out = tokio::time::timeout(timeout, child.wait_with_output())
        .await
        .map_err(|_| format!("command timed out after {}s", timeout.as_secs_f64()))?
        .map_err(|e| format!("command failed: {e}"))?;
    if !out.status.success() {
        // The script's own first word on why, masked of secrets and made safe to draw.
        let why = String::from_utf8_lossy(&out.stderr)
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(|l| {
                let l: String = crate::secrets::mask(l).chars().take(120).collect();
                format!(": {}", crate::app::output::sanitize(l.as_bytes()))
            })
            .unwrap_or_default();
        return Err(format!(
            "command exited with {}{why}",
            out.status
                .code()
                .map_or("a signal".into(), |c| c.to_string())
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The command source: the program must print one finite number (garbage is an error, never zero).
pub async fn poll(
    argv: &[String],
    timeout: Duration,
    vars: &[(String, String)],
    dir: &Path,
) -> Result<f64, String> {
    let text = run_capture(argv, timeout, vars, dir).await?;
    let first = text.trim();
    let n: f64 = first.parse().map_err(|_| {
        // Masked before it is cut: no part of a secret's value reaches the screen.
        let shown: String = crate::secrets::mask(first).chars().take(20).collect();
        format!(
            "command printed `{}`, not a number",
            crate::app::output::sanitize(shown.as_bytes())
        )
    })?;
    http::finite(n)
}

/// A text KPI's command: what it printed, trimmed (nothing printed is an error, as a
/// failed read would otherwise compare equal to another).
pub async fn poll_text(
    argv: &[String],
    timeout: Duration,
    vars: &[(String, String)],
    dir: &Path,
) -> Result<String, String> {
    let text = run_capture(argv, timeout, vars, dir).await?;
    let text = text.trim();
    if text.is_empty() {
        return Err("command printed nothing".into());
    }
    Ok(text.to_owned())
}

/// A step's verify command: it must succeed, and print `expect` when given.
pub async fn verify(
    argv: &[String],
    expect: Option<&str>,
    timeout: Duration,
    vars: &[(String, String)],
    dir: &Path,
) -> Result<(), String> {
    let out = run_capture(argv, timeout, vars, dir).await?;
    match expect {
        Some(text) if !out.contains(text) => Err(format!("output does not contain `{text}`")),
        _ => Ok(()),
    }
}

//! `warroom-tools`: the subcommands the console never needs (import, preflight, report,
//! the demo target), in a binary of their own. Nearly all of a binary's code stays resident
//! while it runs, so the console's binary holds only what the console runs (7.7 MB resident
//! instead of 8.4, issue 12). `warroom` parses every subcommand and hands these over here
//! with the same arguments; this is not meant to be run by hand.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use warroom::cli::{Cli, Cmd, ReportFormat, check, demo_vars, read_series, say_err, say_out};
use warroom::runbook::{self, Level};

fn main() -> ExitCode {
    match Cli::parse().command {
        Cmd::Import {
            playbook,
            output,
            force,
        } => import(&playbook, output.as_deref(), force),
        Cmd::Preflight {
            runbook,
            json,
            rehearsal,
        } => preflight(&runbook, json, rehearsal),
        Cmd::Vote {
            run_dir,
            decision,
            gate,
            note,
            key,
        } => match vote(&run_dir, decision, (gate.as_deref(), key.as_deref()), note) {
            Ok(code) => code,
            Err(e) => {
                say_err(&format!("warroom: {e:#}"));
                ExitCode::from(2)
            }
        },
        Cmd::Report {
            run_dir,
            verify: true,
            ..
        } => match warroom::report::verify(&run_dir) {
            Ok((text, holds)) => {
                say_out(text.trim_end());
                if holds {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                }
            }
            Err(e) => {
                say_err(&format!("warroom: {e:#}"));
                ExitCode::from(2)
            }
        },
        Cmd::Report {
            run_dir,
            format,
            output,
            force,
            runbook,
            ..
        } => match report(
            &run_dir,
            format,
            output.as_deref(),
            force,
            runbook.as_deref(),
        ) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                say_err(&format!("warroom: {e:#}"));
                ExitCode::from(2)
            }
        },
        Cmd::Judge {
            baseline,
            canary,
            config,
            canary_id,
            json,
        } => match judge(
            (&baseline, &canary),
            config.as_deref(),
            canary_id.as_deref(),
            json,
        ) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                say_err(&format!("warroom: {e:#}"));
                ExitCode::from(2)
            }
        },
        Cmd::DemoTarget { listen, run_dir } => {
            let served = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .context("starting the runtime")
                .and_then(|rt| rt.block_on(demo_target(listen, run_dir)));
            match served {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    say_err(&format!("warroom: {e:#}"));
                    ExitCode::FAILURE
                }
            }
        }
        _ => {
            say_err(
                "warroom-tools runs import, preflight, report and demo-target for `warroom`: run `warroom` itself",
            );
            ExitCode::from(2)
        }
    }
}

fn report(
    run_dir: &Path,
    format: ReportFormat,
    output: Option<&Path>,
    force: bool,
    runbook: Option<&Path>,
) -> Result<()> {
    // Last night's report is not overwritten by mistake (as `import -o`).
    if let Some(p) = output
        && p.exists()
        && !force
    {
        anyhow::bail!("{} exists: give --force to overwrite it", p.display());
    }
    let r = warroom::report::build(run_dir, runbook)?;
    let text = match format {
        ReportFormat::Md => warroom::report::markdown(&r),
        ReportFormat::Json => warroom::report::json(&r),
        ReportFormat::Html => warroom::report::html::html(&r),
    };
    match output {
        Some(p) => std::fs::write(p, text).with_context(|| format!("writing {}", p.display())),
        None => {
            use std::io::Write;
            std::io::stdout()
                .write_all(text.as_bytes())
                .context("writing the report")
        }
    }
}

/// `warroom vote`: the caller's vote, as the OS user they are, handed to the driving
/// console through the run's `votes/`; then what the console made of it, when it says
/// within a few seconds. 0 counted, 1 refused, 2 could not be handed in.
fn vote(
    run_dir: &Path,
    choice: warroom::cli::VoteChoice,
    (gate, key): (Option<&str>, Option<&Path>),
    note: String,
) -> Result<ExitCode> {
    use warroom::app::event::{Event, VoteDecision};
    let user = nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map(|u| u.name)
        .context("who you are: your user id has no name on this host")?;
    let journal = run_dir.join(warroom::journal::FILE);
    let bytes =
        std::fs::read(&journal).with_context(|| format!("reading {}", journal.display()))?;
    // A vote names the record as far as it holds up: that is what the voter was shown.
    let read = warroom::journal::verify(&bytes);
    if let Some(c) = &read.broken {
        anyhow::bail!(
            "{}: record {} does not hold up ({}): no vote is cast on a damaged record; tell the driver",
            journal.display(),
            c.record,
            c.why
        );
    }
    let records = read.read;
    let Some(Event::RunOpened { path, .. }) = records.first().map(|r| &r.event) else {
        anyhow::bail!("{}: not a run (no journal to vote in)", run_dir.display());
    };
    let (rb, _) = runbook::load(Path::new(path)).map_err(|d| {
        anyhow::anyhow!(
            "the run's runbook {path} does not load: {}",
            d.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        )
    })?;
    let rb = std::sync::Arc::new(rb);
    let mut state = warroom::app::State::new(rb.clone(), records[0].at);
    state.replay(&records);
    let (g, a) = which_gate(&rb, &state, &user, gate)?;
    let gate_id = rb.gates[g].id.clone();
    // This command reads the record, not the sources: what it shows and the vote carries
    // is what the record holds (the alerts open), and the head it was read to.
    let evidence = state.vote_evidence(false);
    let mut request = warroom::app::VoteRequest {
        gate: gate_id.clone(),
        approver: rb.gates[g].approvers[a].clone(),
        decision: match choice {
            warroom::cli::VoteChoice::Go => VoteDecision::Go,
            warroom::cli::VoteChoice::NoGo => VoteDecision::NoGo,
        },
        note,
        ssh: std::env::var("SSH_CONNECTION")
            .ok()
            .and_then(|c| c.split_whitespace().next().map(str::to_owned)),
        run: read
            .run
            .map(|h| warroom::journal::hex(&h))
            .unwrap_or_default(),
        head: warroom::journal::hex(&read.head),
        evidence,
        signature: None,
        key: None,
    };
    say_out(&format!(
        "Gate {gate_id} ({}), as {} ({}), on the record to {} (record {}):",
        rb.gates[g].title,
        request.approver,
        user,
        request.head.get(..12).unwrap_or(""),
        records.len()
    ));
    if request.evidence.is_empty() {
        say_out("  no alert open");
    }
    for line in &request.evidence {
        say_out(&format!("  {line}"));
    }
    let approver = rb
        .approver(&request.approver)
        .context("the approver is not in the runbook")?;
    if let Some(refused) = seal(&mut request, approver, key) {
        return Ok(refused);
    }
    let file = warroom::votes::hand_in(run_dir, &user, &request).with_context(|| {
        format!(
            "handing the vote in to {}",
            run_dir.join(warroom::votes::DIR).display()
        )
    })?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(verdict_of(
        &journal,
        records.len(),
        (&gate_id, &user),
        (&name, &file),
    ))
}

/// The gate and approver `user` votes as: the one gate waiting for them, or `gate`; else
/// why not, with who votes where.
fn which_gate(
    rb: &runbook::Runbook,
    state: &warroom::app::State,
    user: &str,
    gate: Option<&str>,
) -> Result<(usize, usize)> {
    let mine = rb.votes_of(user);
    let open = |(g, _): &(usize, usize)| !state.gates[*g].is_go() && !state.gates[*g].is_no_go();
    let choices: Vec<(usize, usize)> = mine
        .iter()
        .copied()
        .filter(|c| gate.is_none_or(|id| rb.gates[c.0].id == id))
        .collect();
    let who_may = || {
        rb.gates
            .iter()
            .map(|g| {
                let names: Vec<String> = g
                    .approvers
                    .iter()
                    .filter_map(|e| rb.approver(e))
                    .map(|a| format!("{} ({})", a.users.join("/"), a.role))
                    .collect();
                format!(
                    "  {}: {}",
                    g.id,
                    if names.is_empty() {
                        "recorded at the driver's console".to_owned()
                    } else {
                        names.join(", ")
                    }
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    Ok(match (choices.as_slice(), gate) {
        ([], Some(id)) => anyhow::bail!(
            "{user} is not an approver of gate `{id}` in this run. Who votes where:\n{}",
            who_may()
        ),
        ([], None) => anyhow::bail!(
            "{user} is not an approver of any gate in this run. Who votes where:\n{}",
            who_may()
        ),
        _ => {
            let waiting: Vec<&(usize, usize)> = choices.iter().filter(|c| open(c)).collect();
            match waiting.as_slice() {
                [one] => **one,
                [] => anyhow::bail!(
                    "the gate{} you vote on {} already decided",
                    if choices.len() == 1 { "" } else { "s" },
                    if choices.len() == 1 { "is" } else { "are" }
                ),
                many => anyhow::bail!(
                    "you are an approver of {} gates waiting: say which with --gate ({})",
                    many.len(),
                    many.iter()
                        .map(|(g, _)| rb.gates[*g].id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        }
    })
}

/// Signs the vote when the approver has keys (`--key`, their agent, their ~/.ssh), says
/// how; the exit code when it cannot go (a signing approver without a usable key, a key
/// that is not theirs).
fn seal(
    request: &mut warroom::app::VoteRequest,
    approver: &runbook::Approver,
    key: Option<&Path>,
) -> Option<ExitCode> {
    match warroom::votes::sign(request, approver, key, true) {
        Ok(warroom::votes::Sealing::Signed(how)) => say_out(&format!("Signed: {how}.")),
        Ok(warroom::votes::Sealing::Unsigned(None)) => {}
        Ok(warroom::votes::Sealing::Unsigned(Some(why))) if approver.signed => {
            say_err(&format!(
                "warroom: {} signs their votes (`signed = true`), and {why}",
                approver.id
            ));
            return Some(ExitCode::from(2));
        }
        Ok(warroom::votes::Sealing::Unsigned(Some(why))) => {
            say_out(&format!("Not signed: {why}."));
        }
        Err(why) => {
            say_err(&format!("warroom: the vote is not handed in: {why}"));
            return Some(ExitCode::from(2));
        }
    }
    None
}

/// What the driving console made of the vote handed in as `name`: it looks every second,
/// so this waits five. 0 counted (or not taken yet), 1 refused.
fn verdict_of(
    journal: &Path,
    seen: usize,
    (gate_id, user): (&str, &str),
    (name, file): (&str, &Path),
) -> ExitCode {
    use warroom::app::event::Event;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(200));
        let Ok((now, _)) = warroom::journal::read_until_damage(journal) else {
            continue;
        };
        for r in now.iter().skip(seen) {
            match &r.event {
                Event::GateVote { gate, .. } if *gate == gate_id && r.by.user == user => {
                    say_out(&format!(
                        "Counted: {user}'s vote on gate {gate_id} is in the record (record {}).",
                        r.seq
                    ));
                    return ExitCode::SUCCESS;
                }
                Event::VoteRefused { file, why, .. } if *file == name => {
                    say_err(&format!(
                        "warroom: the driving console refused the vote: {why}"
                    ));
                    return ExitCode::FAILURE;
                }
                _ => {}
            }
        }
    }
    say_out(&format!(
        "Handed in ({}); no console has taken it yet: it is counted when the driver's console next runs.",
        file.display()
    ));
    ExitCode::SUCCESS
}

/// `warroom judge`: a canary judged against its baseline on two recorded series, with the
/// runbook's `[[canary]]` or Kayenta's defaults; the verdict and each metric's reason.
fn judge(
    (baseline, canary): (&Path, &Path),
    config: Option<&Path>,
    canary_id: Option<&str>,
    json: bool,
) -> Result<()> {
    use warroom::canary::{Input, MetricSpec, Spec};
    use warroom::runbook::canary::Of;
    use warroom::runbook::series::Series;
    let read = |p: &Path| -> Result<Series> {
        let text =
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        Series::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))
    };
    let (b, c) = (read(baseline)?, read(canary)?);
    let (spec, inputs): (Spec, Vec<Input>) = match config {
        None => {
            let both: Vec<&str> = b
                .kpis()
                .into_iter()
                .filter(|k| c.kpis().contains(k))
                .collect();
            if both.is_empty() {
                anyhow::bail!(
                    "the two series share no KPI (baseline: {}; canary: {}): give --config with a `[[canary]]` that pairs them",
                    b.kpis().join(", "),
                    c.kpis().join(", ")
                );
            }
            let spec = Spec {
                pass: 95.0,
                marginal: 75.0,
                min_points: 10,
                weights: Default::default(),
                metrics: both.iter().map(|k| MetricSpec::new(k)).collect(),
            };
            let inputs = both
                .iter()
                .map(|k| Input::Samples {
                    baseline: b.values(k, None),
                    canary: c.values(k, None),
                })
                .collect();
            (spec, inputs)
        }
        Some(path) => {
            let (rb, _) = runbook::load(path).map_err(|d| {
                anyhow::anyhow!(
                    "{}",
                    d.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("\n")
                )
            })?;
            let analysis = match (canary_id, rb.canaries.as_slice()) {
                (Some(id), all) => all
                    .iter()
                    .find(|a| a.id == id)
                    .with_context(|| format!("{} has no `[[canary]]` `{id}`", path.display()))?,
                (None, [one]) => one,
                (None, []) => anyhow::bail!("{} has no `[[canary]]`", path.display()),
                (None, all) => anyhow::bail!(
                    "{} has {} `[[canary]]`s: say which with --canary-id ({})",
                    path.display(),
                    all.len(),
                    all.iter()
                        .map(|a| a.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            let w = Some(analysis.window);
            // A side's KPI, or the other side's name for it (a night recorded under
            // either name).
            let inputs = analysis.inputs(|side, mine, other| {
                let s = match side {
                    Of::Baseline => &b,
                    Of::Canary => &c,
                };
                let v = s.values(mine, w);
                if v.is_empty() { s.values(other, w) } else { v }
            });
            (analysis.spec.clone(), inputs)
        }
    };
    let j = warroom::canary::judge(&spec, &inputs);
    if json {
        say_out(&serde_json::to_string_pretty(&j).context("the judgement as JSON")?);
        return Ok(());
    }
    say_out(&format!("{} · {}", j.short(), j.why));
    for m in &j.metrics {
        say_out(&format!("  {}", m.why));
        if let Some(w) = &m.warning {
            say_out(&format!("    warning: {w}"));
        }
    }
    Ok(())
}

/// `warroom import`: the draft to a file or standard output, the summary to standard error.
fn import(path: &Path, output: Option<&Path>, force: bool) -> ExitCode {
    let fail = |why: String| {
        say_err(&format!("warroom: {}: {why}", path.display()));
        ExitCode::from(2)
    };
    if let Some(out) = output
        && out.exists()
        && !force
    {
        say_err(&format!(
            "warroom: {} exists: give --force to overwrite it",
            out.display()
        ));
        return ExitCode::from(2);
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return fail(e.to_string()),
    };
    let md = match warroom::import::text(&bytes) {
        Ok(t) => t,
        Err(why) => return fail(why),
    };
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let draft = warroom::import::import(md, &name);
    // The draft must pass `check`; if it does not, that is the import's fault, said plainly.
    let at = output.map_or_else(|| PathBuf::from("draft.toml"), Path::to_path_buf);
    if let Err(diags) = runbook::load_str(&at, &draft.toml) {
        for d in diags.iter().filter(|d| d.level == Level::Error) {
            say_err(&format!("{d}"));
        }
        return fail("the draft does not pass `check` (a bug in the import: please report it with the document)".into());
    }
    let written = match output {
        Some(out) => warroom::durable::write_atomic(out, draft.toml.as_bytes())
            .map_err(|e| format!("{}: {e}", out.display())),
        None => {
            use std::io::Write;
            std::io::stdout()
                .write_all(draft.toml.as_bytes())
                .map_err(|e| format!("standard output: {e}"))
        }
    };
    if let Err(why) = written {
        say_err(&format!("warroom: {why}"));
        return ExitCode::FAILURE;
    }
    say_err(&warroom::import::describe(&draft.summary, output));
    ExitCode::SUCCESS
}

/// `warroom preflight`: 0 when everything answered, 1 when something is broken, 2 when
/// the runbook itself is invalid (as `check`).
fn preflight(path: &Path, json: bool, rehearsal: bool) -> ExitCode {
    let rb = match runbook::load(path) {
        Ok((rb, _)) => rb,
        Err(_) => return check(path, true),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            say_err(&format!("warroom: cannot start: {e}"));
            return ExitCode::FAILURE;
        }
    };
    // What it prints quotes what sources and commands answered: masked of the secrets
    // this environment holds for the runbook.
    warroom::secrets::remember(warroom::monitor::http::secret_values(&rb, &[]));
    let rb = std::sync::Arc::new(rb);
    let report = runtime.block_on(async {
        if !rehearsal {
            return Ok(warroom::preflight::run(rb, std::sync::Arc::new(Vec::new()), None).await);
        }
        let series = match &rb.rehearsal.replay {
            Some(p) => Some(std::sync::Arc::new(read_series(p, &rb)?)),
            None => None,
        };
        let (addr, _server) = warroom::demo::serve(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .context("starting the demo target on a loopback port")?;
        let vars = demo_vars(&rb, &format!("http://{addr}"));
        Ok::<_, anyhow::Error>(
            warroom::preflight::run(rb.clone(), std::sync::Arc::new(vars), series).await,
        )
    });
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            say_err(&format!("warroom: {e:#}"));
            return ExitCode::from(2);
        }
    };
    if json {
        match serde_json::to_string_pretty(&report) {
            Ok(text) => say_out(&warroom::secrets::mask(&text)),
            Err(e) => say_err(&format!("warroom: {e}")),
        }
    } else {
        print!(
            "{}",
            warroom::secrets::mask(&warroom::preflight::table(&report))
        );
    }
    if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The demo target: a run's (its state kept in the run directory, gone once unattended),
/// or alone on `listen`.
async fn demo_target(listen: SocketAddr, run_dir: Option<PathBuf>) -> Result<()> {
    let Some(dir) = run_dir else {
        let (addr, server) = warroom::demo::serve(listen)
            .await
            .with_context(|| format!("binding {listen}"))?;
        println!("demo target listening on http://{addr} (Ctrl-C stops it)");
        println!(
            "  GET  /api/health  /api/health/blue  /api/health/green  /metrics  /api/metrics  /api/v1/query?query=..."
        );
        println!("  POST /control/traffic?green=25   POST /control/fault   DELETE /control/fault");
        tokio::select! {
            _ = server => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        return Ok(());
    };
    let lock = dir.join(warroom::driver::LOCK);
    // Attended while a console holds the run's seat or a step still runs.
    let attended =
        || warroom::durable::is_locked(&lock).unwrap_or(true) || warroom::exec::any_running(&dir);
    warroom::demo::detached::serve_run(listen, &dir, attended)
        .await
        .with_context(|| format!("serving the demo target for {}", dir.display()))
}

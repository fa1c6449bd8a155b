//! The `warroom` command line: parse arguments, pick a mode, report errors.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use clap::{Parser, Subcommand};
use warroom::clock::Clock;
use warroom::runbook::{self, Level, Runbook};

#[derive(Parser)]
#[command(
    name = "warroom",
    version,
    about = "A terminal mission-control console for deployment day"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

/// Which run a console drives, and how it takes the seat.
#[derive(clap::Args)]
struct SeatArgs {
    /// Where the run's record goes (default: the latest run of this runbook recorded in
    /// the last 24 hours, resumed; else a new <runbook run-dir or ./runs>/<name>-<time>).
    #[arg(long)]
    run_dir: Option<PathBuf>,
    /// Start a new run, although a recent one of this runbook could be resumed.
    #[arg(long, conflicts_with = "run_dir")]
    new: bool,
    /// Resume a run whose runbook file changed since its journal began (journaled).
    #[arg(long)]
    accept_changed_runbook: bool,
    /// Take over a run another console drives: it is asked first, the handover journaled.
    #[arg(long)]
    take_over: bool,
}

#[derive(Subcommand)]
enum Cmd {
    /// Validate a runbook and print a one-screen summary (exit status 2 when invalid).
    Check { runbook: PathBuf },
    /// Turn a Markdown playbook into a runbook draft: times, owners, checklists, commands,
    /// rules and contacts, the rest kept as comments (exit status 2 when it cannot be read).
    Import {
        playbook: PathBuf,
        /// Where to write the draft (default: standard output).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Overwrite the output file if it exists.
        #[arg(long)]
        force: bool,
    },
    /// The night-before check: every variable set, every script runnable, every endpoint,
    /// KPI and rule tried once; exit status 1 when anything is broken.
    Preflight {
        runbook: PathBuf,
        /// One JSON document instead of the table.
        #[arg(long)]
        json: bool,
        /// Against the demo target, with the runbook's `[rehearsal]` variables and series:
        /// the check a rehearsal would pass.
        #[arg(long)]
        rehearsal: bool,
    },
    /// Open the full-screen console for a runbook.
    Run {
        runbook: PathBuf,
        #[command(flatten)]
        seat: SeatArgs,
        /// Rehearse: run the clock this many times faster than real time.
        #[arg(long, value_name = "FACTOR")]
        speed: Option<f64>,
        /// Rehearse: start the clock at this UTC date-time instead of now.
        #[arg(long, value_name = "DATETIME")]
        start_at: Option<String>,
    },
    /// The post-mortem of a run, from its journal: Markdown, JSON or one HTML file.
    Report {
        run_dir: PathBuf,
        #[arg(long, value_enum, default_value = "md")]
        format: ReportFormat,
        /// Write here instead of to standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// The runbook, when the one the run began with has moved.
        #[arg(long)]
        runbook: Option<PathBuf>,
    },
    /// Watch a run another console drives, read-only (the on-call's second terminal).
    Watch {
        run_dir: PathBuf,
        /// The runbook, when the one the run began with has moved.
        #[arg(long)]
        runbook: Option<PathBuf>,
    },
    /// Rehearse a runbook against the demo target on a fast clock (no real waits), its KPIs
    /// live from the target or replayed from a recorded series.
    Rehearse {
        runbook: PathBuf,
        /// How many times faster than real time the rehearsal clock runs.
        #[arg(long, default_value_t = 60.0, value_name = "FACTOR")]
        speed: f64,
        /// Start the clock at this UTC date-time (default: a minute before the first
        /// planned step when T0 is fixed, else now).
        #[arg(long, value_name = "DATETIME")]
        start_at: Option<String>,
        /// A recorded series (CSV or JSON: offset from T0, KPI id, value) fed in place of
        /// those KPIs' sources.
        #[arg(long, value_name = "FILE")]
        replay: Option<PathBuf>,
        /// Where the rehearsal's record goes (default: a new <name>-rehearsal-<time>).
        #[arg(long)]
        run_dir: Option<PathBuf>,
    },
    /// Start the demo target on a free loopback port and run config/demo.toml against it.
    Demo {
        /// Another runbook to run against the demo target (it gets ${DEMO_URL}).
        #[arg(long)]
        runbook: Option<PathBuf>,
        #[command(flatten)]
        seat: SeatArgs,
    },
    /// Serve the simulated blue/green service alone.
    DemoTarget {
        #[arg(long, default_value = "127.0.0.1:8480")]
        listen: SocketAddr,
        /// Serve a run's rehearsal: its state kept in the run directory, gone once no
        /// console has driven the run for ten minutes (how `rehearse` and `demo` start it).
        #[arg(long, hide = true)]
        run_dir: Option<PathBuf>,
    },
    /// Internal: supervise one step run (started by the console, detached from it).
    #[command(name = "__supervise", hide = true)]
    Supervise {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        timeout: Option<f64>,
        #[arg(last = true, required = true)]
        argv: Vec<String>,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ReportFormat {
    Md,
    Json,
    Html,
}

fn report(
    run_dir: &Path,
    format: ReportFormat,
    output: Option<&Path>,
    runbook: Option<&Path>,
) -> Result<()> {
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

/// A line to standard output or error that may be gone (a dropped SSH session, a closed
/// pipe): not being able to say it is no reason to crash after the work is done.
fn say_out(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}

fn say_err(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Cmd::Check { runbook } => check(&runbook),
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
        Cmd::Report {
            run_dir,
            format,
            output,
            runbook,
        } => match report(&run_dir, format, output.as_deref(), runbook.as_deref()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                say_err(&format!("warroom: {e:#}"));
                ExitCode::from(2)
            }
        },
        Cmd::Supervise { dir, timeout, argv } => {
            let code =
                warroom::exec::supervise::run(&dir, timeout.map(Duration::from_secs_f64), &argv);
            ExitCode::from(u8::try_from(code.clamp(0, 255)).unwrap_or(1))
        }
        other => match tokio_main(other) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                // The cause chain in one line: these are the operator's errors, not bugs.
                say_err(&format!("warroom: {e:#}"));
                ExitCode::FAILURE
            }
        },
    }
}

fn check(path: &Path) -> ExitCode {
    match runbook::load(path) {
        Ok((rb, warnings)) => {
            for w in &warnings {
                eprintln!("{w}");
            }
            print!("{}", warroom::check::summary(&rb));
            ExitCode::SUCCESS
        }
        Err(diags) => {
            for d in &diags {
                eprintln!("{d}");
            }
            let errors = diags.iter().filter(|d| d.level == Level::Error).count();
            eprintln!(
                "{}: {errors} error{} found",
                path.display(),
                if errors == 1 { "" } else { "s" }
            );
            ExitCode::from(2)
        }
    }
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
        Err(_) => return check(path),
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
            Ok(text) => say_out(&text),
            Err(e) => say_err(&format!("warroom: {e}")),
        }
    } else {
        print!("{}", warroom::preflight::table(&report));
    }
    if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Loads a runbook for the console; warnings are printed, errors stop it.
fn load_for_console(path: &Path) -> Result<Runbook> {
    // The journal records where the runbook is, for watchers and reports started elsewhere.
    let path = &path.canonicalize().unwrap_or_else(|_| path.to_owned());
    match runbook::load(path) {
        Ok((rb, warnings)) => {
            for w in warnings {
                eprintln!("{w}");
            }
            Ok(rb)
        }
        Err(diags) => {
            let text: Vec<String> = diags.iter().map(ToString::to_string).collect();
            Err(anyhow!(
                "the runbook is not valid (run `warroom check {}`):\n{}",
                path.display(),
                text.join("\n")
            ))
        }
    }
}

#[tokio::main(worker_threads = 1)]
async fn tokio_main(cmd: Cmd) -> Result<()> {
    match cmd {
        Cmd::Run {
            runbook,
            seat,
            speed,
            start_at,
        } => {
            let rb = load_for_console(&runbook)?;
            let clock = match (speed, start_at) {
                (None, None) => Clock::Real,
                (speed, start) => {
                    let start = match start {
                        Some(s) => runbook::time::parse_datetime(&s)
                            .ok_or_else(|| anyhow!("--start-at `{s}` is not a UTC date-time"))?,
                        None => chrono::Utc::now(),
                    };
                    Clock::rehearsal(start, speed.unwrap_or(1.0))
                }
            };
            console(rb, seat, Vec::new(), clock, None).await.map(|_| ())
        }
        Cmd::Rehearse {
            runbook,
            speed,
            start_at,
            replay,
            run_dir,
        } => {
            let rb = load_for_console(&runbook)?;
            let series = match replay.or_else(|| rb.rehearsal.replay.clone()) {
                None => None,
                Some(path) => {
                    let series = std::sync::Arc::new(read_series(&path, &rb)?);
                    Some((path.canonicalize().unwrap_or(path), series))
                }
            };
            let start = match start_at {
                Some(s) => runbook::time::parse_datetime(&s)
                    .ok_or_else(|| anyhow!("--start-at `{s}` is not a UTC date-time"))?,
                None => rehearsal_start(&rb),
            };
            if !(speed.is_finite() && speed > 0.0) {
                return Err(anyhow!("--speed {speed}: a factor above zero, such as 60"));
            }
            let run_dir = run_dir.unwrap_or_else(|| warroom::driver::rehearsal_run_dir(&rb, start));
            // A rehearsal resumed goes on from where its record ends, never back in time.
            let start = warroom::journal::read(&run_dir.join(warroom::journal::FILE))
                .ok()
                .and_then(|(records, _)| records.last().map(|r| r.at))
                .map_or(start, |last| start.max(last));
            let clock = Clock::rehearsal(start, speed);
            let addr = demo_target_for(&run_dir)?;
            let vars = demo_vars(&rb, &format!("http://{addr}"));
            let seat = SeatArgs {
                run_dir: Some(run_dir.clone()),
                new: false,
                accept_changed_runbook: false,
                take_over: false,
            };
            let result = console(rb, seat, vars, clock, series).await;
            stop_demo_target(&result, &run_dir);
            result.map(|_| ())
        }
        Cmd::Demo { runbook, seat } => {
            let path = match runbook {
                Some(p) => p,
                None => demo_runbook()?,
            };
            let rb = load_for_console(&path)?;
            let run_dir = resolve_run_dir(&rb, &seat);
            let addr = demo_target_for(&run_dir)?;
            let vars = demo_vars(&rb, &format!("http://{addr}"));
            let seat = SeatArgs {
                run_dir: Some(run_dir.clone()),
                ..seat
            };
            let result = console(rb, seat, vars, Clock::Real, None).await;
            stop_demo_target(&result, &run_dir);
            result.map(|_| ())
        }
        Cmd::Watch { run_dir, runbook } => warroom::watch::run(run_dir, runbook, Clock::Real).await,
        Cmd::DemoTarget {
            listen,
            run_dir: Some(dir),
        } => {
            let lock = dir.join(warroom::driver::LOCK);
            // Attended while a console holds the run's seat or a step still runs.
            let attended = || {
                warroom::durable::is_locked(&lock).unwrap_or(true)
                    || warroom::exec::any_running(&dir)
            };
            warroom::demo::detached::serve_run(listen, &dir, attended)
                .await
                .with_context(|| format!("serving the demo target for {}", dir.display()))
        }
        Cmd::DemoTarget {
            listen,
            run_dir: None,
        } => {
            let (addr, server) = warroom::demo::serve(listen)
                .await
                .with_context(|| format!("binding {listen}"))?;
            println!("demo target listening on http://{addr} (Ctrl-C stops it)");
            println!(
                "  GET  /api/health  /api/health/blue  /api/health/green  /metrics  /api/metrics  /api/v1/query?query=..."
            );
            println!(
                "  POST /control/traffic?green=25   POST /control/fault   DELETE /control/fault"
            );
            tokio::select! {
                _ = server => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            Ok(())
        }
        Cmd::Check { .. }
        | Cmd::Import { .. }
        | Cmd::Preflight { .. }
        | Cmd::Supervise { .. }
        | Cmd::Report { .. } => Err(anyhow!("handled before the runtime starts")),
    }
}

/// config/demo.toml: beside the working directory, or in the source tree warroom was built from.
fn demo_runbook() -> Result<PathBuf> {
    let candidates = [
        PathBuf::from("config/demo.toml"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo.toml"),
    ];
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| {
            anyhow!(
                "cannot find config/demo.toml (run from the warroom source tree, or pass --runbook)"
            )
        })
}

/// The variables a runbook runs with against the demo target: `DEMO_URL`, then those of
/// its `[rehearsal] env`, expanded (a value naming an unset variable is left as written,
/// and its source says so when polled).
fn demo_vars(rb: &Runbook, demo_url: &str) -> Vec<(String, String)> {
    let mut vars = vec![("DEMO_URL".to_owned(), demo_url.to_owned())];
    for (name, value) in &rb.rehearsal.env {
        let value = warroom::monitor::http::expand(value, &vars).unwrap_or_else(|_| value.clone());
        vars.push((name.clone(), value));
    }
    vars
}

/// A recorded series for `rehearse --replay`, every KPI in it one of the runbook's.
fn read_series(path: &Path, rb: &Runbook) -> Result<warroom::runbook::series::Series> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the series {}", path.display()))?;
    let series = warroom::runbook::series::Series::parse(&text)
        .map_err(|e| anyhow!("{}: {e}", path.display()))?;
    let unknown: Vec<&str> = series
        .kpis()
        .into_iter()
        .filter(|k| rb.kpi_index(k).is_none())
        .collect();
    if !unknown.is_empty() {
        return Err(anyhow!(
            "{}: no KPI {} in the runbook (it has {})",
            path.display(),
            unknown.join(", "),
            rb.kpis
                .iter()
                .map(|k| k.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(series)
}

/// Where a rehearsal's clock starts: a minute before the first planned step when T0 is
/// fixed (no waiting for the night), else now (T0 follows the start).
fn rehearsal_start(rb: &Runbook) -> chrono::DateTime<chrono::Utc> {
    match rb.t0.fixed() {
        Some(t0) => {
            let first = rb
                .steps()
                .filter_map(|(_, s)| s.planned)
                .min()
                .unwrap_or_default()
                .min(chrono::TimeDelta::zero());
            t0 + first - chrono::TimeDelta::minutes(1)
        }
        None => chrono::Utc::now(),
    }
}

/// The run directory a console opens: the one given, or the latest run of the runbook to
/// resume (said on the terminal), or a new one.
fn resolve_run_dir(rb: &Runbook, seat: &SeatArgs) -> PathBuf {
    use warroom::driver;
    match &seat.run_dir {
        Some(dir) => dir.clone(),
        None => match driver::choose_run_dir(rb, seat.new, chrono::Utc::now()) {
            driver::RunDir::Resume(dir, ago) => {
                say_out(&format!(
                    "warroom: resuming the run in {} (recorded {} ago; --new starts another)",
                    dir.display(),
                    runbook::time::format_duration(ago)
                ));
                dir
            }
            driver::RunDir::New(dir) => dir,
        },
    }
}

/// A console that left on purpose takes the run's demo target with it, unless a step
/// still runs (it is left to call it, and the target leaves by itself once idle).
fn stop_demo_target(left: &Result<warroom::console::Left>, run_dir: &Path) {
    if let Ok(warroom::console::Left::OnPurpose) = left
        && !warroom::exec::any_running(run_dir)
    {
        warroom::demo::detached::stop_for_run(run_dir);
    }
}

/// The run's demo target, in a process of its own (it outlives a killed console or a
/// dropped session, as production would): the one serving the run already, or a new one
/// on the port the run had before, where steps started then still call it.
fn demo_target_for(run_dir: &Path) -> Result<SocketAddr> {
    std::fs::create_dir_all(run_dir)
        .with_context(|| format!("creating the run directory {}", run_dir.display()))?;
    let before = warroom::driver::holder(run_dir).and_then(|h| {
        h.vars
            .iter()
            .find(|(k, _)| k == "DEMO_URL")
            .and_then(|(_, url)| url.strip_prefix("http://")?.parse::<SocketAddr>().ok())
    });
    let exe = std::env::current_exe().context("finding the warroom binary")?;
    warroom::demo::detached::for_run(&exe, run_dir, before)
        .context("starting the demo target on a loopback port")
}

async fn console(
    rb: Runbook,
    seat: SeatArgs,
    vars: Vec<(String, String)>,
    clock: Clock,
    replay: Option<(PathBuf, std::sync::Arc<warroom::runbook::series::Series>)>,
) -> Result<warroom::console::Left> {
    use warroom::driver;
    warroom::console::require_terminal()?;
    let run_dir = resolve_run_dir(&rb, &seat);
    let SeatArgs {
        accept_changed_runbook,
        take_over,
        ..
    } = seat;
    std::fs::create_dir_all(&run_dir)
        .with_context(|| format!("creating the run directory {}", run_dir.display()))?;
    let run_dir = run_dir.canonicalize().unwrap_or(run_dir);
    let operator = warroom::app::Operator::current();
    let on_change = if accept_changed_runbook {
        driver::OnChange::Continue
    } else {
        driver::OnChange::Refuse
    };
    // Before the log and the terminal: a refusal is printed plainly and changes nothing.
    // A rehearsal tells its watchers its clock and series, so they see what it sees.
    let (replay_path, replay) = replay.map_or((None, None), |(p, s)| (Some(p), Some(s)));
    let rehearsal = match clock {
        Clock::Rehearsal { speed, .. } => Some(driver::Rehearsing {
            at: clock.now(),
            real: chrono::Utc::now(),
            speed,
            replay: replay_path,
        }),
        Clock::Real => None,
    };
    let seat = driver::take_seat(
        &run_dir, &rb, &operator, on_change, take_over, &vars, rehearsal,
    )?;
    // Logs go to a file in the run directory: never to the terminal while the UI is up.
    let appender = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(run_dir.join("warroom.log"))
        .with_context(|| format!("opening {}", run_dir.join("warroom.log").display()))?;
    // Written in place, a line at a time: the console logs a few lines a minute, and the
    // journal beside it is written (and synced) in place anyway. A logging thread and its
    // queue cost more memory than the lines ever do.
    let writer = std::sync::Mutex::new(appender);
    // WARROOM_LOG takes `info`, `debug` or per-module levels (`warroom::monitor=debug,info`).
    let filter = std::env::var("WARROOM_LOG")
        .ok()
        .and_then(|v| v.parse::<tracing_subscriber::filter::Targets>().ok())
        .unwrap_or_else(|| {
            tracing_subscriber::filter::Targets::new().with_default(tracing::Level::INFO)
        });
    {
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        tracing_subscriber::registry()
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(writer)
                    .with_ansi(false),
            )
            .with(filter)
            .init();
    }
    let supervisor =
        std::env::current_exe().context("finding the warroom binary to supervise steps")?;
    let result = warroom::console::run(warroom::console::Options {
        runbook: Arc::new(rb),
        run_dir: run_dir.clone(),
        vars,
        clock,
        supervisor,
        seat,
        operator,
        replay,
    })
    .await;
    if result.is_ok() {
        say_out(&format!(
            "warroom: the run's record is in {}",
            run_dir.display()
        ));
    }
    result
}

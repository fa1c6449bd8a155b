//! The `warroom` command line: parse arguments, pick a mode, report errors.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use clap::Parser;
use warroom::cli::{Cli, Cmd, SeatArgs, check, demo_vars, read_series, say_err, say_out};
use warroom::clock::Clock;
use warroom::runbook::{self, Runbook};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Cmd::Check { runbook, env } => check(&runbook, env),
        Cmd::Import { .. }
        | Cmd::Preflight { .. }
        | Cmd::Report { .. }
        | Cmd::Vote { .. }
        | Cmd::Judge { .. }
        | Cmd::DemoTarget { .. } => forward(),
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

/// Runs a subcommand the console never needs from `warroom-tools` beside this binary, with
/// the same arguments: this process becomes it (same pid, same terminal).
fn forward() -> ExitCode {
    use std::os::unix::process::CommandExt;
    let tools = tools_binary();
    let err = std::process::Command::new(&tools)
        .args(std::env::args_os().skip(1))
        .exec();
    say_err(&format!(
        "warroom: cannot run {}: {err}. It is built and installed beside warroom: \
         `cargo build --release --bins`, or `cargo install --path .`",
        tools.display()
    ));
    ExitCode::from(2)
}

/// `warroom-tools`, beside this binary (built and installed with it).
fn tools_binary() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("warroom-tools")))
        .unwrap_or_else(|| PathBuf::from("warroom-tools"))
}

/// Loads a runbook for the console; warnings are printed, errors stop it.
/// The runbook, and its warnings (printed now, and said again on the console's screen,
/// which covers what was printed).
fn load_for_console(path: &Path) -> Result<(Runbook, Vec<runbook::Diagnostic>)> {
    // The journal records where the runbook is, for watchers and reports started elsewhere.
    let path = &path.canonicalize().unwrap_or_else(|_| path.to_owned());
    match runbook::load(path) {
        Ok((rb, warnings)) => {
            for w in &warnings {
                eprintln!("{w}");
            }
            Ok((rb, warnings))
        }
        Err(diags) => {
            let text: Vec<String> = diags.iter().map(ToString::to_string).collect();
            // A file that cannot be read is that, not an invalid runbook.
            if let [one] = diags.as_slice()
                && one.line == 0
            {
                return Err(anyhow!("{one}"));
            }
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
            let (rb, warnings) = load_for_console(&runbook)?;
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
            let run_dir = resolve_run_dir(&rb, &seat);
            let seat = SeatArgs {
                run_dir: Some(run_dir.clone()),
                ..seat
            };
            let result = console(rb, warnings, seat, Vec::new(), clock, None).await;
            stop_demo_target(&result, &run_dir);
            result.map(|_| ())
        }
        Cmd::Rehearse {
            runbook,
            speed,
            start_at,
            replay,
            run_dir,
            share_with,
            new: _,
        } => {
            let (rb, warnings) = load_for_console(&runbook)?;
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
            // A new rehearsal each time, unless one is named to resume (`--new` says the same).
            let run_dir = run_dir
                .unwrap_or_else(|| warroom::driver::rehearsal_run_dir(&rb, chrono::Utc::now()));
            // A rehearsal resumed goes on from where its record ends, never back in time.
            let start = warroom::journal::read(&run_dir.join(warroom::journal::FILE))
                .ok()
                .and_then(|(records, _)| records.last().map(|r| r.at))
                .map_or(start, |last| start.max(last));
            let clock = Clock::rehearsal(start, speed);
            let seat = SeatArgs {
                run_dir: Some(run_dir.clone()),
                new: false,
                accept_changed_runbook: false,
                take_over: false,
                share_with,
            };
            make_run_dir(&run_dir, &rb, &seat)?;
            let addr = demo_target_for(&run_dir)?;
            let vars = demo_vars(&rb, &format!("http://{addr}"));
            let result = console(rb, warnings, seat, vars, clock, series).await;
            stop_demo_target(&result, &run_dir);
            result.map(|_| ())
        }
        Cmd::Demo { runbook, seat } => {
            let path = match runbook {
                Some(p) => p,
                None => demo_runbook()?,
            };
            let (rb, warnings) = load_for_console(&path)?;
            let run_dir = resolve_run_dir(&rb, &seat);
            make_run_dir(&run_dir, &rb, &seat)?;
            let addr = demo_target_for(&run_dir)?;
            let vars = demo_vars(&rb, &format!("http://{addr}"));
            let seat = SeatArgs {
                run_dir: Some(run_dir.clone()),
                ..seat
            };
            let result = console(rb, warnings, seat, vars, Clock::Real, None).await;
            stop_demo_target(&result, &run_dir);
            result.map(|_| ())
        }
        Cmd::Watch { run_dir, runbook } => warroom::watch::run(run_dir, runbook, Clock::Real).await,
        Cmd::Replay {
            run_dir,
            at,
            speed,
            runbook,
            cast,
            from,
            to,
            size,
        } => match cast {
            Some(file) => {
                let (cols, rows) = size
                    .split_once('x')
                    .and_then(|(c, r)| Some((c.parse().ok()?, r.parse().ok()?)))
                    .ok_or_else(|| anyhow!("--size {size}: COLSxROWS, such as 120x40"))?;
                warroom::replay::cast(
                    run_dir,
                    runbook,
                    (from, to),
                    speed.unwrap_or(10.0),
                    (cols, rows),
                    file,
                )
            }
            None => warroom::replay::run(run_dir, runbook, at, speed.unwrap_or(1.0)).await,
        },
        Cmd::Check { .. }
        | Cmd::Import { .. }
        | Cmd::Preflight { .. }
        | Cmd::Supervise { .. }
        | Cmd::Report { .. }
        | Cmd::Vote { .. }
        | Cmd::Judge { .. }
        | Cmd::DemoTarget { .. } => Err(anyhow!("handled before the runtime starts")),
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

/// The run directory, private to this user, or shared with the group `--share-with` or the
/// runbook's `share-with` names.
fn make_run_dir(run_dir: &Path, rb: &Runbook, seat: &SeatArgs) -> Result<()> {
    let gid = match seat.share_with.as_deref().or(rb.share_with.as_deref()) {
        None => None,
        Some(name) => Some(
            nix::unistd::Group::from_name(name)
                .ok()
                .flatten()
                .ok_or_else(|| anyhow!("share-with `{name}`: no such group on this host"))?
                .gid,
        ),
    };
    warroom::durable::create_run_dir(run_dir, gid)
        // Where watchers leave their heartbeats: made by the driver, for the group to
        // write (its members may create nothing else in the run).
        .and_then(|()| {
            warroom::durable::create_dir(&run_dir.join(warroom::heartbeat::WATCHERS), true)
        })
        // Where approvers hand in their votes (`warroom vote`), the same way.
        .and_then(|()| warroom::durable::create_dir(&run_dir.join(warroom::votes::DIR), true))
        .map_err(|e| {
            let why = if e.raw_os_error() == Some(nix::libc::EPERM) {
                "you are not a member of the group it is shared with".to_owned()
            } else {
                e.to_string()
            };
            anyhow!("the run directory {}: {why}", run_dir.display())
        })
}

/// A console that left on purpose takes the run's demo target with it, unless a step
/// still runs (it is left to call it, and the target leaves by itself once idle).
fn stop_demo_target(left: &Result<warroom::console::Left>, run_dir: &Path) {
    if let Ok(warroom::console::Left::HandedOver(to)) = left {
        say_out(&format!(
            "warroom: handed the run over to {to}; it drives now"
        ));
    }
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
    let before = warroom::driver::holder(run_dir).and_then(|h| {
        h.vars
            .iter()
            .find(|(k, _)| k == "DEMO_URL")
            .and_then(|(_, url)| url.strip_prefix("http://")?.parse::<SocketAddr>().ok())
    });
    // Straight from warroom-tools, not through this binary's hand-over.
    let tools = tools_binary();
    warroom::demo::detached::for_run(&tools, run_dir, before).with_context(|| {
        format!(
            "starting the demo target ({}; built beside warroom by `cargo build --bins`)",
            tools.display()
        )
    })
}

async fn console(
    rb: Runbook,
    warnings: Vec<runbook::Diagnostic>,
    seat: SeatArgs,
    vars: Vec<(String, String)>,
    clock: Clock,
    replay: Option<(PathBuf, std::sync::Arc<warroom::runbook::series::Series>)>,
) -> Result<warroom::console::Left> {
    use warroom::driver;
    warroom::terminal::require_terminal()?;
    let run_dir = resolve_run_dir(&rb, &seat);
    let SeatArgs {
        accept_changed_runbook,
        take_over,
        ..
    } = seat;
    make_run_dir(&run_dir, &rb, &seat)?;
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
    let appender = warroom::durable::create(
        &run_dir.join("warroom.log"),
        std::fs::OpenOptions::new().append(true),
    )
    .with_context(|| format!("opening {}", run_dir.join("warroom.log").display()))?;
    // Written in place, a line at a time: the console logs a few lines a minute, and the
    // journal beside it is written (and synced) in place anyway. A logging thread and its
    // queue cost more memory than the lines ever do.
    warroom::secrets::remember(warroom::monitor::http::secret_values(&rb, &vars));
    let writer: &'static warroom::secrets::MaskedLog = Box::leak(Box::new(
        warroom::secrets::MaskedLog(std::sync::Mutex::new(appender)),
    ));
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
                    .with_writer(move || writer)
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
        warnings,
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

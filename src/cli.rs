//! The command line both binaries parse: `warroom`, and `warroom-tools`, which runs the
//! subcommands the console never needs (see `src/bin/warroom-tools.rs`); and what the two
//! share.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use clap::{Parser, Subcommand};

use crate::runbook::{self, Level, Runbook};

#[derive(Parser)]
#[command(
    name = "warroom",
    version,
    about = "A terminal mission-control console for deployment day"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Cmd,
}

/// Which run a console drives, and how it takes the seat.
#[derive(clap::Args)]
pub struct SeatArgs {
    /// Where the run's record goes (default: the latest run of this runbook recorded in
    /// the last 24 hours, resumed; else a new <runbook run-dir or ./runs>/<name>-<time>).
    #[arg(long)]
    pub run_dir: Option<PathBuf>,
    /// Start a new run, although a recent one of this runbook could be resumed.
    #[arg(long, conflicts_with = "run_dir")]
    pub new: bool,
    /// Resume a run whose runbook file changed since its journal began (journaled).
    #[arg(long)]
    pub accept_changed_runbook: bool,
    /// Take over a run another console drives: it is asked first, the handover journaled.
    #[arg(long)]
    pub take_over: bool,
    /// Make the run readable by this group's members (watchers): directories 2750, files
    /// 0640. Default: the runbook's `share-with`, else private to you (0700, 0600).
    #[arg(long, value_name = "GROUP")]
    pub share_with: Option<String>,
}

#[derive(Subcommand)]
pub enum Cmd {
    /// Validate a runbook and print a one-screen summary (exit status 2 when invalid).
    Check {
        /// The runbook file (TOML) to check.
        runbook: PathBuf,
        /// Also this environment: a credential variable it does not set is an error (by
        /// default a warning, so runbooks can be checked in CI without secrets).
        #[arg(long)]
        env: bool,
    },
    /// Turn a Markdown playbook into a runbook draft: times, owners, checklists, commands,
    /// rules and contacts, the rest kept as comments (exit status 2 when it cannot be read).
    Import {
        /// The team's Markdown playbook.
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
        /// The runbook file (TOML).
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
        /// The runbook file (TOML).
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
        /// The run's directory (the console prints it when it leaves).
        run_dir: PathBuf,
        #[arg(long, value_enum, default_value = "md")]
        format: ReportFormat,
        /// Write here instead of to standard output (an existing file is kept unless
        /// --force).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Overwrite the output file if it exists.
        #[arg(long)]
        force: bool,
        /// The runbook, when the one the run began with has moved.
        #[arg(long)]
        runbook: Option<PathBuf>,
        /// Only check that the journal is exactly what its consoles wrote (every record's
        /// CRC, sequence and link to the one before): exit 0 when it holds, 1 naming the
        /// first record that does not.
        #[arg(long, conflicts_with_all = ["format", "output"])]
        verify: bool,
    },
    /// Vote on a gate of a run another console drives, as yourself: run it in your own
    /// session as the OS user the runbook's `[[approver]]` names.
    Vote {
        /// The run's directory (the console prints it when it leaves).
        run_dir: PathBuf,
        /// GO or NO-GO.
        #[arg(value_enum)]
        decision: VoteChoice,
        /// The gate (needed when you are an approver of more than one waiting).
        #[arg(long)]
        gate: Option<String>,
        /// Why: recorded with the vote (a final say needs one).
        #[arg(long, default_value = "")]
        note: String,
        /// The SSH key to sign with (a private key, or a public one whose private half
        /// your ssh-agent holds); default: the first of your keys the runbook lists that
        /// your ssh-agent or ~/.ssh has.
        #[arg(long)]
        key: Option<PathBuf>,
    },
    /// Watch a run another console drives, read-only (the on-call's second terminal).
    Watch {
        /// The run's directory (the console prints it when it leaves).
        run_dir: PathBuf,
        /// The runbook, when the one the run began with has moved.
        #[arg(long)]
        runbook: Option<PathBuf>,
    },
    /// Replay a run, finished or going on: the console as it was at any moment, rebuilt
    /// from its journal and recorded samples (read-only). Keys: Space play/pause, ←/→ a
    /// minute (Shift: ten), [ ] the previous/next event, +/- speed, g go to a time, q quit.
    Replay {
        /// The run's directory.
        run_dir: PathBuf,
        /// Where to begin: 2026-02-08T02:13:00Z, 02:13, T+1h30m, gate:ID, step:ID,
        /// alert:RULE or rollback (default: the run's start).
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// How many times faster than it happened it plays (Space), or the recording.
        #[arg(long, value_name = "FACTOR")]
        speed: Option<f64>,
        /// The runbook, when the one the run began with has moved.
        #[arg(long)]
        runbook: Option<PathBuf>,
        /// Write the stretch from --from to --to as an asciicast v2 recording to FILE
        /// (no terminal needed), drawn at --size, at --speed (default 10x).
        #[arg(long, value_name = "FILE", conflicts_with = "at")]
        cast: Option<PathBuf>,
        /// The recording's start (the forms --at takes; default: the run's start).
        #[arg(long, value_name = "TIME", requires = "cast")]
        from: Option<String>,
        /// The recording's end (default: the run's end).
        #[arg(long, value_name = "TIME", requires = "cast")]
        to: Option<String>,
        /// The recording's terminal size, COLSxROWS.
        #[arg(
            long,
            default_value = "120x40",
            value_name = "COLSxROWS",
            requires = "cast"
        )]
        size: String,
    },
    /// Rehearse a runbook against the demo target on a fast clock (no real waits), its KPIs
    /// live from the target or replayed from a recorded series.
    Rehearse {
        /// The runbook file (TOML).
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
        /// Where the rehearsal's record goes (default: a new <name>-rehearsal-<time>); an
        /// existing one is resumed.
        #[arg(long)]
        run_dir: Option<PathBuf>,
        /// Start a new rehearsal (what `rehearse` does unless `--run-dir` names one).
        #[arg(long, conflicts_with = "run_dir")]
        new: bool,
        /// Make the rehearsal readable by this group's members (as `run --share-with`).
        #[arg(long, value_name = "GROUP")]
        share_with: Option<String>,
    },
    /// Start the demo target on a free loopback port and run config/demo.toml against it.
    Demo {
        /// Another runbook to run against the demo target (it gets ${DEMO_URL}).
        #[arg(long)]
        runbook: Option<PathBuf>,
        #[command(flatten)]
        seat: SeatArgs,
    },
    /// Judge a canary against its baseline on two recorded series, as a gate would (for
    /// calibrating a `[[canary]]` on past nights).
    Judge {
        /// The baseline's series (CSV or JSON, the `rehearse --replay` format).
        #[arg(long)]
        baseline: PathBuf,
        /// The canary's series.
        #[arg(long)]
        canary: PathBuf,
        /// A runbook whose `[[canary]]` says the metrics, thresholds and window; without
        /// it, every KPI in both series is judged with Kayenta's defaults.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Which `[[canary]]` (needed when the runbook has more than one).
        #[arg(long)]
        canary_id: Option<String>,
        /// The judgement as JSON.
        #[arg(long)]
        json: bool,
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

#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
pub enum VoteChoice {
    Go,
    NoGo,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ReportFormat {
    Md,
    Json,
    Html,
}

/// A line to standard output or error that may be gone (a dropped SSH session, a closed
/// pipe): not being able to say it is no reason to crash after the work is done.
pub fn say_out(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}

pub fn say_err(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// `warroom check`: the summary, or every problem and exit status 2. With `env`, a
/// credential variable this environment does not set is an error, else a warning.
pub fn check(path: &Path, env: bool) -> ExitCode {
    match runbook::load(path) {
        Ok((rb, warnings)) => {
            for w in &warnings {
                eprintln!("{w}");
            }
            // Credentials come from the environment the console runs in: one missing there
            // would show as `unauthorized` on the night. Named, never shown.
            let unset = crate::check::unset_credentials(&rb, |n| std::env::var_os(n).is_some());
            let text = std::fs::read_to_string(path).unwrap_or_default();
            for name in &unset {
                // Where the runbook first names it, as every other problem is placed.
                let at = text
                    .find(&format!("${{{name}}}"))
                    .map(|i| crate::runbook::line_col(&text, i))
                    .map(|(l, c)| format!(":{l}:{c}"))
                    .unwrap_or_default();
                let level = if env { "error" } else { "warning" };
                eprintln!(
                    "{}{at}: {level}: `${{{name}}}` is not set: a source's credentials read it (set it in the environment warroom runs in)",
                    path.display()
                );
            }
            if env && !unset.is_empty() {
                return ExitCode::from(2);
            }
            for w in crate::check::plan_warnings(&rb, &text, chrono::Utc::now()) {
                eprintln!("{}: warning: {w}", path.display());
            }
            print!("{}", crate::check::summary(&rb));
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

/// The variables a runbook runs with against the demo target: `DEMO_URL`, then those of
/// its `[rehearsal] env`, expanded (a value naming an unset variable is left as written,
/// and its source says so when polled).
pub fn demo_vars(rb: &Runbook, demo_url: &str) -> Vec<(String, String)> {
    let mut vars = vec![("DEMO_URL".to_owned(), demo_url.to_owned())];
    for (name, value) in &rb.rehearsal.env {
        let value = crate::monitor::http::expand(value, &vars).unwrap_or_else(|_| value.clone());
        vars.push((name.clone(), value));
    }
    vars
}

/// A recorded series for `rehearse --replay`, every KPI in it one of the runbook's.
pub fn read_series(path: &Path, rb: &Runbook) -> Result<crate::runbook::series::Series> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the series {}", path.display()))?;
    let series = crate::runbook::series::Series::parse(&text)
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

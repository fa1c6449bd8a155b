//! `warroom replay RUN_DIR [--at TIME] [--speed N]`: any night, the screen as it was at
//! any moment, from its journal and its recorded samples. Read-only by construction: it
//! holds no journal writer, no process launcher and no poller; each moment is a State
//! rebuilt by `app::replay`, drawn by the same `ui`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use chrono::{DateTime, TimeDelta, Utc};
use crossterm::event::{Event as TermEvent, KeyCode, KeyEventKind, KeyModifiers};

use crate::app::replay::Night;
use crate::app::{ReplayView, State};

/// The speeds `+` and `-` step through.
const SPEEDS: [f64; 9] = [1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0];
const FRAME: Duration = Duration::from_millis(100);

/// A run opened for replay: the night (records and samples), how far each step's output
/// had come when, and whether the journal stops holding up somewhere.
struct Opened {
    night: Night,
    marks: Marks,
    damaged: Option<String>,
}

/// Each run's output lengths over time, by record directory (`samples.output`).
type Marks = std::collections::HashMap<String, Vec<(i64, u64)>>;

fn open(run_dir: &std::path::Path, runbook: Option<&std::path::Path>) -> Result<Opened> {
    let opened = crate::watch::open(run_dir, runbook)?;
    let recording = crate::samples::Blocks::open(run_dir);
    Ok(Opened {
        night: Night::new(Arc::new(opened.runbook), opened.history, recording),
        marks: crate::samples::read_output(run_dir),
        damaged: opened.damaged,
    })
}

/// Where the replay is and how it moves.
struct Cursor {
    at: DateTime<Utc>,
    speed: f64,
    playing: bool,
    /// `g`: the time being typed.
    typing: Option<String>,
    said: Option<String>,
}

impl Cursor {
    fn seek(&mut self, night: &Night, to: DateTime<Utc>) {
        self.at = to.clamp(night.start, night.end);
    }

    fn faster(&mut self, up: bool) {
        let i = SPEEDS.iter().position(|s| *s >= self.speed).unwrap_or(0);
        let j = if up {
            (i + 1).min(SPEEDS.len() - 1)
        } else {
            i.saturating_sub(1)
        };
        self.speed = SPEEDS[j];
    }
}

/// Each run's output as it stood at the moment (its marks say how long it was then), fed in
/// as a watcher's is; the output pane shows the run started last. A run of an older night,
/// without marks, shows its output as it ended, and says so when it was still going.
fn outputs(state: &mut State, night: &Night, run_dir: &std::path::Path, marks: &Marks) {
    use crate::app::watch::{self, Watched};
    use crate::app::{Observation, RunStatus, Target};
    let targets: Vec<Target> = state.run_targets().collect();
    for target in targets {
        let Some(run) = state.run(target) else {
            continue;
        };
        if run.attempt == 0 {
            continue;
        }
        let running = matches!(run.status, RunStatus::Running { .. });
        let name = crate::app::run_file_name(state, target);
        let log = crate::exec::record_dir(run_dir, &name, run.attempt)
            .join(crate::exec::supervise::OUTPUT);
        let at = state.now.timestamp_millis();
        let then = marks.get(&format!("{name}.{}", run.attempt)).map(|m| {
            m.iter()
                .take_while(|(t, _)| *t <= at)
                .last()
                .map_or(0, |(_, len)| *len)
        });
        let Some(bytes) = output_upto(&log, then) else {
            continue;
        };
        let mut shown = Vec::new();
        if running && then.is_none() {
            shown.extend_from_slice(
                b"warroom replay: still running at this moment; its output as it ended:\n",
            );
        }
        shown.extend(bytes);
        watch::update(
            state,
            Watched::Observed(Observation::RunOutput {
                target,
                bytes: shown,
            }),
        );
    }
    let last = night.records.iter().rev().find_map(|r| match &r.event {
        crate::app::event::Event::RunStarted { target, .. } if r.at <= state.now => {
            state.target(target)
        }
        _ => None,
    });
    if let Some(t) = last {
        state.shown = t;
    }
}

/// The end of an output file (as much as a pane keeps), up to `len` bytes of it when given.
fn output_upto(log: &std::path::Path, len: Option<u64>) -> Option<Vec<u8>> {
    let keep = crate::exec::READ_SLICE as u64 * 4;
    match len {
        None => crate::exec::read_new(log, 0, keep).map(|(b, _)| b),
        Some(0) => None,
        Some(len) => {
            use std::io::{Read, Seek, SeekFrom};
            let from = len.saturating_sub(keep);
            let mut f = std::fs::File::open(log).ok()?;
            f.seek(SeekFrom::Start(from)).ok()?;
            let mut buf = Vec::new();
            f.take(len - from).read_to_end(&mut buf).ok()?;
            Some(buf)
        }
    }
}

/// The State to draw: the moment rebuilt, the bar's view, what the cursor has to say.
fn frame_state(o: &Opened, c: &Cursor, run_dir: &std::path::Path) -> State {
    let (night, damaged) = (&o.night, o.damaged.as_deref());
    let mut state = night.state_at(c.at);
    outputs(&mut state, night, run_dir, &o.marks);
    // What stands for the whole replay: an older run's missing samples, a tear.
    let standing = if night.no_samples {
        Some("no recorded samples (an older run): the gauges are empty".to_owned())
    } else {
        night
            .torn
            .clone()
            .or_else(|| damaged.map(|d| format!("the journal stops holding up: {d}")))
    };
    // On the bar, where no banner covers it: the time being typed, the event gone to, or
    // what stands.
    let says = match (&c.typing, &c.said) {
        (Some(t), _) => Some(format!("go to (02:13, T+1h, gate:ID, rollback): {t}▏")),
        (None, Some(s)) => Some(s.clone()),
        (None, None) => standing.clone(),
    };
    state.replay = Some(ReplayView {
        start: night.start,
        end: night.end,
        markers: night.markers.clone(),
        speed: c.speed,
        playing: c.playing,
        says,
    });
    let notice = standing;
    state.notice = notice.map(|n| (n, state.now));
    state
}

pub async fn run(
    run_dir: PathBuf,
    runbook: Option<PathBuf>,
    at: Option<String>,
    speed: f64,
) -> Result<()> {
    let run_dir = run_dir.canonicalize().unwrap_or(run_dir);
    let opened = open(&run_dir, runbook.as_deref())?;
    let night = &opened.night;
    let start = match at.as_deref() {
        Some(t) => night.parse_at(t).map_err(|e| anyhow!("--at {e}"))?,
        None => night.start,
    };
    if !(speed.is_finite() && speed > 0.0) {
        return Err(anyhow!("--speed {speed}: a factor above zero, such as 60"));
    }
    crate::terminal::require_terminal()?;
    let mut cursor = Cursor {
        at: start,
        speed,
        playing: false,
        typing: None,
        said: None,
    };
    let mut terminal = ratatui::try_init().map_err(|e| anyhow!("setting up the terminal: {e}"))?;
    let mut events = crate::terminal::terminal_events();
    let mut last = Instant::now();
    let mut dirty = true;
    loop {
        if dirty {
            let state = frame_state(&opened, &cursor, &run_dir);
            if crate::terminal::draw(&mut terminal, &state).is_err() {
                break;
            }
            dirty = false;
        }
        let ev = tokio::time::timeout(FRAME, events.recv()).await;
        if cursor.playing {
            let step = last.elapsed().as_secs_f64() * cursor.speed;
            let to = cursor.at + TimeDelta::milliseconds((step * 1000.0) as i64);
            cursor.seek(night, to);
            if cursor.at >= night.end {
                cursor.playing = false;
            }
            dirty = true;
        }
        last = Instant::now();
        let key = match ev {
            Ok(Some(Ok(TermEvent::Key(k)))) if k.kind != KeyEventKind::Release => k,
            Ok(Some(Ok(TermEvent::Resize(..)))) => {
                dirty = true;
                continue;
            }
            Ok(None | Some(Err(_))) => break,
            _ => continue,
        };
        dirty = true;
        if let Some(typed) = cursor.typing.as_mut() {
            match key.code {
                KeyCode::Esc => cursor.typing = None,
                KeyCode::Backspace => {
                    typed.pop();
                }
                KeyCode::Enter => {
                    let text = cursor.typing.take().unwrap_or_default();
                    match night.parse_at(&text) {
                        Ok(t) => {
                            cursor.seek(night, t);
                            cursor.said = None;
                        }
                        Err(e) => cursor.said = Some(e),
                    }
                }
                KeyCode::Char(c) => typed.push(c),
                _ => {}
            }
            continue;
        }
        cursor.said = None;
        let ten = key.modifiers.contains(KeyModifiers::SHIFT);
        let minutes = |n: i64| TimeDelta::minutes(if ten { n * 10 } else { n });
        match key.code {
            KeyCode::Char('q') | KeyCode::Esc => break,
            KeyCode::Char(' ') => {
                cursor.playing = !cursor.playing && cursor.at < night.end;
            }
            KeyCode::Right => cursor.seek(night, cursor.at + minutes(1)),
            KeyCode::Left => cursor.seek(night, cursor.at - minutes(1)),
            KeyCode::Char(']') => match night.marker_near(cursor.at, true) {
                Some(m) => {
                    cursor.said = Some(m.what.clone());
                    let to = m.at;
                    cursor.seek(night, to);
                }
                None => cursor.said = Some("no later event".into()),
            },
            KeyCode::Char('[') => match night.marker_near(cursor.at, false) {
                Some(m) => {
                    cursor.said = Some(m.what.clone());
                    let to = m.at;
                    cursor.seek(night, to);
                }
                None => cursor.said = Some("no earlier event".into()),
            },
            KeyCode::Char('+' | '=') => cursor.faster(true),
            KeyCode::Char('-') => cursor.faster(false),
            KeyCode::Char('g') => cursor.typing = Some(String::new()),
            _ => {}
        }
    }
    crate::terminal::release(terminal);
    Ok(())
}

/// `--cast FILE`: the stretch from `from` to `to` as an asciicast v2 recording, drawn
/// offline at `cols` x `rows`: a frame for each second of the recording (each `speed`
/// seconds of the night), written when the screen changed.
pub fn cast(
    run_dir: PathBuf,
    runbook: Option<PathBuf>,
    (from, to): (Option<String>, Option<String>),
    speed: f64,
    (cols, rows): (u16, u16),
    file: PathBuf,
) -> Result<()> {
    use std::io::Write;
    if file.exists() {
        return Err(anyhow!(
            "{} exists: remove it or name another file",
            file.display()
        ));
    }
    let run_dir = run_dir.canonicalize().unwrap_or(run_dir);
    let opened = open(&run_dir, runbook.as_deref())?;
    let night = &opened.night;
    let when = |t: Option<String>, or: DateTime<Utc>| -> Result<DateTime<Utc>> {
        t.map_or(Ok(or), |t| night.parse_at(&t).map_err(|e| anyhow!("{e}")))
    };
    let from = when(from, night.start)?;
    let to = when(to, night.end)?;
    if to <= from {
        return Err(anyhow!("--to must come after --from"));
    }
    if !(speed.is_finite() && speed > 0.0) {
        return Err(anyhow!("--speed {speed}: a factor above zero, such as 10"));
    }
    if !(20..=1000).contains(&cols) || !(8..=500).contains(&rows) {
        return Err(anyhow!("--size {cols}x{rows}: from 20x8 to 1000x500"));
    }
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(cols, rows))
        .map_err(|e| anyhow!("{e}"))?;
    let mut out = Vec::new();
    let header = serde_json::json!({
        "version": 2,
        "width": cols,
        "height": rows,
        "timestamp": from.timestamp(),
        "title": format!("{}: {} to {}", night.runbook.name, from.format("%H:%M:%S"), to.format("%H:%M:%S UTC")),
    });
    writeln!(out, "{header}")?;
    let step = TimeDelta::milliseconds((speed * 1000.0) as i64).max(TimeDelta::milliseconds(1));
    let mut cursor = Cursor {
        at: from,
        speed,
        playing: true,
        typing: None,
        said: None,
    };
    let mut last = String::new();
    let mut frames = 0u64;
    loop {
        let state = frame_state(&opened, &cursor, &run_dir);
        terminal
            .draw(|f| crate::ui::render(f, &state))
            .map_err(|e| anyhow!("{e}"))?;
        let bytes = crate::ui::ansi::frame(terminal.backend().buffer());
        if bytes != last {
            let t = (cursor.at - from).num_milliseconds() as f64 / 1000.0 / speed;
            writeln!(out, "{}", serde_json::json!([t, "o", bytes]))?;
            last = bytes;
            frames += 1;
        }
        if cursor.at >= to {
            break;
        }
        cursor.at = (cursor.at + step).min(to);
    }
    crate::durable::write(&file, &out).map_err(|e| anyhow!("{}: {e}", file.display()))?;
    eprintln!(
        "{}: {frames} frames, {:.0} s of recording for {} of the night",
        file.display(),
        (to - from).num_milliseconds() as f64 / 1000.0 / speed,
        crate::runbook::time::format_duration(to - from)
    );
    Ok(())
}

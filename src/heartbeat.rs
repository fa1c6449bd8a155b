//! Watchers' heartbeats: each watcher of a run keeps a small file in its `watchers/`
//! directory, and the driver lists those that are fresh (who watches, since when).
//! Beneath both consoles: the watcher writes them, the driver reads them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::app::Operator;

/// Where watchers leave their heartbeats.
pub const WATCHERS: &str = "watchers";
/// A heartbeat older than this is a watcher that went away.
pub const STALE: Duration = Duration::from_secs(30);
/// One watcher's heartbeat file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Heartbeat {
    pub operator: Operator,
    pub since: DateTime<Utc>,
}

/// The watchers whose heartbeat is fresh, for the driver's header.
pub fn watchers(run_dir: &Path) -> Vec<(Operator, DateTime<Utc>)> {
    let Ok(dir) = std::fs::read_dir(run_dir.join(WATCHERS)) else {
        return Vec::new();
    };
    let mut out: Vec<(Operator, DateTime<Utc>)> = dir
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
        .filter(|e| {
            e.metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().is_ok_and(|age| age < STALE))
        })
        .filter_map(|e| serde_json::from_slice::<Heartbeat>(&std::fs::read(e.path()).ok()?).ok())
        .map(|h| (h.operator, h.since))
        .collect();
    out.sort_by_key(|(_, since)| *since);
    out
}

pub fn path(run_dir: &Path) -> PathBuf {
    let host = nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_default();
    run_dir
        .join(WATCHERS)
        .join(format!("{host}.{}.json", std::process::id()))
}

pub fn write(path: &Path, h: &Heartbeat) {
    // Group members of a shared run write their heartbeats here: group-writable.
    if let Some(dir) = path.parent() {
        let _ = crate::durable::create_dir(dir, true);
    }
    let _ = crate::durable::write(path, &serde_json::to_vec(h).unwrap_or_default());
}

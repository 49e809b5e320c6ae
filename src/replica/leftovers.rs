//! What a server that died without shutting down (`kill -9`, an OOM kill) left behind: replica
//! profile folders in the temporary folder, and any Chromium still using one. A starting
//! server removes both, so crashes do not add up to disk and memory lost.

use std::path::{Path, PathBuf};

/// Replica profile folders are `cobrowse-replica-PID-N` in the temporary folder, PID being the
/// server's process.
const PREFIX: &str = "cobrowse-replica-";

/// The profile folder of this process's `n`th replica browser.
pub fn profile_dir(n: u64) -> PathBuf {
    std::env::temp_dir().join(format!("{PREFIX}{}-{n}", std::process::id()))
}

/// What [`clean_up`] removed.
#[derive(Debug, Default, PartialEq)]
pub struct Removed {
    pub folders: usize,
    pub processes: usize,
}

/// Removes the profile folders of servers that no longer run, and kills the processes using
/// them (a Chromium that outlived its server).
pub fn clean_up() -> Removed {
    let mut removed = Removed::default();
    let temp = std::env::temp_dir();
    let Ok(entries) = std::fs::read_dir(&temp) else { return removed };
    let stale: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).and_then(owner).is_some_and(|pid| !running(pid)))
        .collect();
    if stale.is_empty() {
        return removed;
    }
    removed.processes = kill_users_of(&stale);
    for dir in &stale {
        if std::fs::remove_dir_all(dir).is_ok() {
            removed.folders += 1;
        }
    }
    if removed != Removed::default() {
        tracing::info!(
            folders = removed.folders,
            processes = removed.processes,
            "removed what a server that died left behind"
        );
    }
    removed
}

/// The server process a replica folder's name belongs to.
fn owner(name: &str) -> Option<u32> {
    let (pid, n) = name.strip_prefix(PREFIX)?.split_once('-')?;
    n.parse::<u64>().ok()?;
    pid.parse().ok()
}

fn running(pid: u32) -> bool {
    pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists()
}

/// Kills every process whose command line names one of `dirs` as its profile; how many.
fn kill_users_of(dirs: &[PathBuf]) -> usize {
    let flags: Vec<String> = dirs.iter().map(|d| format!("--user-data-dir={}", d.display())).collect();
    let Ok(procs) = std::fs::read_dir("/proc") else { return 0 };
    let mut killed = 0;
    for entry in procs.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else { continue };
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else { continue };
        let uses = cmdline.split(|b| *b == 0).any(|arg| flags.iter().any(|f| arg == f.as_bytes()));
        // SAFETY: kill(2) on a pid read from /proc; it touches no memory of ours.
        if uses && unsafe { libc::kill(pid, libc::SIGKILL) } == 0 {
            killed += 1;
        }
    }
    killed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_name_their_server() {
        assert_eq!(owner("cobrowse-replica-4242-0"), Some(4242));
        assert_eq!(owner("cobrowse-replica-4242-17"), Some(4242));
        for other in
            ["cobrowse-replica-4242", "cobrowse-replica-x-1", "cobrowse-replica-1-y", "cobrowse-data-1-1", "tmp"]
        {
            assert_eq!(owner(other), None, "{other}");
        }
        let mine = profile_dir(3);
        assert_eq!(owner(mine.file_name().unwrap().to_str().unwrap()), Some(std::process::id()));
        assert!(running(std::process::id()));
    }
}

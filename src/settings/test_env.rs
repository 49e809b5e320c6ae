//! For tests: runs code with chosen environment variables, one test at a time, since clap reads
//! each flag's variable from the process's environment.

use std::sync::Mutex;

static ENV: Mutex<()> = Mutex::new(());

/// Runs `f` with exactly `vars` among the `COBROWSE_` variables (those set outside are put aside
/// for the call, so the machine's environment cannot leak into a test), then restores them.
pub fn with_env<R>(vars: &[(&str, &str)], f: impl FnOnce() -> R) -> R {
    let _one_at_a_time = ENV.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let outside: Vec<_> =
        std::env::vars_os().filter(|(name, _)| name.to_string_lossy().starts_with("COBROWSE_")).collect();
    for (name, _) in &outside {
        std::env::remove_var(name);
    }
    for (name, value) in vars {
        std::env::set_var(name, value);
    }
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    for (name, _) in vars {
        std::env::remove_var(name);
    }
    for (name, value) in outside {
        std::env::set_var(name, value);
    }
    result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

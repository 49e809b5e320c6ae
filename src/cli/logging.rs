//! The server's log lines on standard error: text for people (the default), or one JSON object
//! a line for log pipelines (`COBROWSE_LOG_FORMAT=json`). `RUST_LOG` filters either.

use crate::settings::LogFormat;

/// What is logged when `RUST_LOG` is unset: chromiumoxide reports every CDP event newer than it
/// knows, and this project logs what matters itself.
pub const DEFAULT_FILTER: &str = "cobrowse=info,chromiumoxide=off,warn";

/// Installs the global subscriber in `format`.
pub fn init(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| DEFAULT_FILTER.into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        // Fields flattened beside `message`, so a pipeline reads `session` or `error` directly.
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(false).init(),
    }
}

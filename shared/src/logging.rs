//! Structured logs: JSON on Lambda, readable text locally.
//!
//! Logs carry route, status, duration and error id, never a token, code, recovery
//! code, phone number, user value or header value: the fields are an allow-list,
//! chosen where each event is written.

use tracing_subscriber::EnvFilter;

fn filter(default: &str) -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default))
}

/// JSON lines for CloudWatch, level from `RUST_LOG` (default `info`). The runtime's
/// invocation span is kept: it carries the Lambda request id that correlates lines.
pub fn init_lambda() {
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter("info"))
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .without_time()
        .try_init();
}

/// Readable lines for a terminal, level from `RUST_LOG`, else `default_level`.
pub fn init_local(default_level: &str) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter(default_level))
        .with_target(false)
        .try_init();
}

//! Logging: `tracing` to standard error (standard output is for command results), filtered by
//! `log.level` (already resolved against `TRELLIS_LOG` and `RUST_LOG` by the config loader),
//! as readable lines or JSON.

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;

use crate::config::{LogConfig, LogFormat};

/// Installs the global subscriber. The filter was checked when the configuration loaded.
pub(crate) fn init(log: &LogConfig) {
    let filter = EnvFilter::try_new(&log.level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second initialisation (never in the binary) is harmless; ignore it.
    let _ = match log.format {
        LogFormat::Pretty => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

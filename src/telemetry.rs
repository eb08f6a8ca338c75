//! Logging through `tracing`: human-readable by default, JSON lines when
//! asked; `RUST_LOG` overrides the default filter.

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// Installs the global subscriber; later calls (in tests) are ignored.
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("twinning=info,tower_http=info"));
    let registry = tracing_subscriber::registry().with(filter);
    let result = if json {
        registry
            .with(fmt::layer().json().with_writer(std::io::stderr))
            .try_init()
    } else {
        registry
            .with(fmt::layer().with_writer(std::io::stderr))
            .try_init()
    };
    // Already installed (a second server in the same test process): keep it.
    let _ = result;
}

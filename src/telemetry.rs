//! Logging through `tracing`: human-readable by default, JSON lines when
//! asked; `RUST_LOG` overrides the default filter. With an OTLP endpoint,
//! the same spans are also exported as OpenTelemetry traces (see [`otlp`]).

use tracing_subscriber::{EnvFilter, Layer, fmt, prelude::*};

pub mod otlp;
mod per_layer;

use per_layer::AskedEveryTime;

pub use otlp::{Otlp, Tracing};

/// Installs the global subscriber; later calls (in tests) are ignored.
///
/// Without `otlp` no OpenTelemetry layer is installed at all: the spans
/// this crate opens only for traces (operations, loader batches,
/// statements, deliveries) are at DEBUG, which the default filter turns
/// off at their call sites, so they cost next to nothing.
pub fn init(json: bool, otlp: Option<&Otlp>) -> Result<Tracing, String> {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("twinning=info,tower_http=info"));
    let Some(otlp) = otlp else {
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
        return Ok(Tracing::off());
    };
    let (tracing, tracer) = otlp::start(otlp)?;
    // Each layer filters for itself: the log keeps `RUST_LOG`, the traces
    // take this crate's spans at any level and only warnings and errors
    // among events (which become span events).
    let log = if json {
        fmt::layer().json().with_writer(std::io::stderr).boxed()
    } else {
        fmt::layer().with_writer(std::io::stderr).boxed()
    };
    let traces = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        // Source locations, threads and busy/idle times are noise in a
        // trace and cost export bytes on every span.
        .with_location(false)
        .with_threads(false)
        .with_tracked_inactivity(false)
        .with_filter(AskedEveryTime(tracing_subscriber::filter::filter_fn(
            |metadata| {
                if metadata.is_span() {
                    metadata.target().starts_with("twinning")
                } else {
                    *metadata.level() <= tracing::Level::WARN
                }
            },
        )));
    let result = tracing_subscriber::registry()
        .with(log.with_filter(AskedEveryTime(filter)))
        .with(traces)
        .try_init();
    if result.is_ok() {
        otlp::enable();
    }
    Ok(tracing)
}

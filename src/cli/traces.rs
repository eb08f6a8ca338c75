//! `twinning serve`'s trace export flags (see [`crate::telemetry::otlp`]).

use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct TraceArgs {
    /// Export OpenTelemetry traces over OTLP/HTTP to this collector (its
    /// base URL, e.g. `http://127.0.0.1:4318`; `/v1/traces` is appended).
    /// Without it no trace is recorded. The other `OTEL_*` variables
    /// (`OTEL_SERVICE_NAME`, `OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`,
    /// `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_BSP_*`) are honoured.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,
    /// Finished spans held for export at most; while the collector is
    /// slow or down, further spans are dropped.
    #[arg(long, env = "OTEL_BSP_MAX_QUEUE_SIZE", default_value_t = 2048)]
    pub otlp_max_queue: usize,
}

impl TraceArgs {
    /// The export, when asked for.
    pub fn otlp(&self) -> Option<crate::telemetry::Otlp> {
        let endpoint = self.otlp_endpoint.as_deref().filter(|e| !e.is_empty())?;
        Some(crate::telemetry::Otlp {
            endpoint: endpoint.to_owned(),
            max_queue: self.otlp_max_queue,
        })
    }
}

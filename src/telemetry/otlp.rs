//! OpenTelemetry traces over OTLP/HTTP (protobuf): the exporter, its
//! bounded queue, and W3C trace context in and out.
//!
//! The standard variables are honoured by the SDK itself:
//! `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` (the resource),
//! `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG` (the sampler),
//! `OTEL_BSP_*` (the batch processor), `OTEL_EXPORTER_OTLP_HEADERS`;
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is `--otlp-endpoint`'s variable.

use bytes::Bytes;
use opentelemetry::propagation::Extractor;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_http::{HeaderExtractor, HeaderInjector, HttpClient, HttpError};
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, SdkTracer, SdkTracerProvider,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Where and how traces are exported.
#[derive(Clone, Debug)]
pub struct Otlp {
    /// The collector's base URL (`/v1/traces` is appended), or the full
    /// traces URL when it already ends so.
    pub endpoint: String,
    /// Spans held for export at most; more are dropped, never waited for.
    pub max_queue: usize,
}

/// Whether spans are exported: set once the OpenTelemetry layer is
/// installed, so that propagation costs nothing otherwise.
static ENABLED: AtomicBool = AtomicBool::new(false);

pub(super) fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
}

/// Whether traces are exported by this process.
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// The tracer provider, kept to flush what is queued when the server stops.
pub struct Tracing(Option<SdkTracerProvider>);

impl Tracing {
    pub(super) fn off() -> Self {
        Tracing(None)
    }

    /// Exports what is still queued (the SDK waits for its export thread,
    /// so this runs off the runtime's workers).
    pub async fn shutdown(self) {
        if let Some(provider) = self.0 {
            let flushed = tokio::task::spawn_blocking(move || provider.shutdown()).await;
            if let Ok(Err(error)) = flushed {
                tracing::warn!(%error, "flushing traces");
            }
        }
    }
}

/// The exporter's URL for traces.
fn traces_url(endpoint: &str) -> String {
    let endpoint = endpoint.trim_end_matches('/');
    if endpoint.ends_with("/v1/traces") {
        endpoint.to_owned()
    } else {
        format!("{endpoint}/v1/traces")
    }
}

/// The export's timeout: `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT` or
/// `OTEL_EXPORTER_OTLP_TIMEOUT` in milliseconds, 10 s by default.
fn export_timeout() -> Duration {
    [
        "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
        "OTEL_EXPORTER_OTLP_TIMEOUT",
    ]
    .iter()
    .find_map(|name| std::env::var(name).ok()?.parse().ok())
    .map_or(Duration::from_secs(10), Duration::from_millis)
}

/// Starts the exporter: a batch processor on a thread of its own, with a
/// queue of `otlp.max_queue` spans. A span that finds the queue full is
/// dropped, so a collector that is down or slow never holds up a request
/// nor grows the server's memory.
pub(super) fn start(otlp: &Otlp) -> Result<(Tracing, SdkTracer), String> {
    let client = reqwest::Client::builder()
        .timeout(export_timeout())
        .build()
        .map_err(|e| format!("--otlp-endpoint: cannot build an HTTP client: {e}"))?;
    let runtime = tokio::runtime::Handle::try_current()
        .map_err(|_| "--otlp-endpoint: traces need the server's runtime".to_owned())?;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(Exporting { client, runtime })
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(traces_url(&otlp.endpoint))
        .build()
        .map_err(|e| format!("--otlp-endpoint {}: {e}", otlp.endpoint))?;
    let batches = BatchConfigBuilder::default()
        .with_max_queue_size(otlp.max_queue.max(1))
        .build();
    let processor = BatchSpanProcessor::builder(exporter)
        .with_batch_config(batches)
        .build();
    let mut resource = opentelemetry_sdk::Resource::builder();
    if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
        resource = resource.with_service_name("twinning");
    }
    let provider = SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_resource(resource.build())
        .build();
    let tracer = provider.tracer("twinning");
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    Ok((Tracing(Some(provider)), tracer))
}

/// Makes `span` a child of the trace an incoming request names in its
/// `traceparent` (and `tracestate`), when there is one.
pub fn adopt_parent(span: &tracing::Span, headers: &http::HeaderMap) {
    if !enabled() || !headers.contains_key("traceparent") {
        return;
    }
    adopt(span, &HeaderExtractor(headers));
}

/// Makes `span` a child of the trace a stored [`trace_context`] names.
pub fn adopt_stored(span: &tracing::Span, stored: Option<&str>) {
    let Some(stored) = stored.filter(|_| enabled()) else {
        return;
    };
    // A `traceparent` has no space; a `tracestate` follows the first one.
    let (parent, state) = stored.split_once(' ').unwrap_or((stored, ""));
    let mut fields = HashMap::from([("traceparent".to_owned(), parent.to_owned())]);
    if !state.is_empty() {
        fields.insert("tracestate".to_owned(), state.to_owned());
    }
    adopt(span, &fields);
}

fn adopt(span: &tracing::Span, carrier: &dyn Extractor) {
    let parent =
        opentelemetry::global::get_text_map_propagator(|propagator| propagator.extract(carrier));
    let _ = span.set_parent(parent);
}

/// The current span's `traceparent` (and `tracestate`), for a request
/// this server sends.
pub fn inject(headers: &mut http::HeaderMap) {
    if !enabled() {
        return;
    }
    let context = tracing::Span::current().context();
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut HeaderInjector(headers));
    });
}

/// The current span's trace context, to be stored with work done later
/// for it (a webhook delivery): its `traceparent`, then a space and its
/// `tracestate` when it has one. `None` when traces are off or the span
/// is not traced.
pub fn trace_context() -> Option<String> {
    if !enabled() {
        return None;
    }
    let context = tracing::Span::current().context();
    let mut fields = HashMap::new();
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut fields);
    });
    let mut stored = fields.remove("traceparent")?;
    if let Some(state) = fields.remove("tracestate").filter(|s| !s.is_empty()) {
        stored.push(' ');
        stored.push_str(&state);
    }
    Some(stored)
}

/// The exporter's HTTP client: the server's reqwest, on the server's
/// runtime. opentelemetry-otlp's own reqwest clients are another major
/// version of reqwest (a second copy in the build), and its batch
/// processor exports from a plain thread with no Tokio reactor, where an
/// async client cannot connect; so each export is spawned onto the
/// runtime and awaited from that thread.
#[derive(Debug)]
struct Exporting {
    client: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

#[async_trait::async_trait]
impl HttpClient for Exporting {
    async fn send_bytes(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, HttpError> {
        let client = self.client.clone();
        let sent = self.runtime.spawn(async move {
            let request = reqwest::Request::try_from(request)?;
            let response = client.execute(request).await?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = response.bytes().await?;
            let mut answer = http::Response::new(body);
            *answer.status_mut() = status;
            *answer.headers_mut() = headers;
            Ok::<_, HttpError>(answer)
        });
        sent.await?
    }
}

#[cfg(test)]
mod tests {
    use super::traces_url;

    #[test]
    fn the_traces_path_is_appended_once() {
        assert_eq!(
            traces_url("http://127.0.0.1:4318"),
            "http://127.0.0.1:4318/v1/traces"
        );
        assert_eq!(
            traces_url("http://127.0.0.1:4318/"),
            "http://127.0.0.1:4318/v1/traces"
        );
        assert_eq!(
            traces_url("http://collector/v1/traces"),
            "http://collector/v1/traces"
        );
    }
}

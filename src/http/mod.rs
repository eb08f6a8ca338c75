//! The HTTP surface: `/graphql` (POST and GET queries, subscriptions over
//! WebSocket, GraphiQL in a browser), `/health`, `/ready`, the GraphiQL
//! assets, and the explorer at `/`.

use crate::graphql::Api;
use axum::extract::{ConnectInfo, FromRef, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use std::net::{IpAddr, SocketAddr};

pub mod explorer;
mod export;
pub mod graphiql;
mod graphql;
pub mod ws;

pub use graphql::MAX_UPLOAD_BYTES;

/// What the handlers share: the API, the WebSocket limits, and the most
/// operations one batch may hold.
#[derive(Clone)]
pub struct AppState {
    /// What executes GraphQL requests.
    pub api: Api,
    /// WebSocket connections' limits and timers.
    pub ws: ws::Settings,
    /// The most operations one batch may hold (`--max-batch`).
    pub max_batch: usize,
    /// `max-age` of anonymous GET answers; 0: not cacheable.
    pub cache_max_age: u64,
    /// What `/metrics` reports.
    pub metrics: std::sync::Arc<crate::metrics::Metrics>,
    /// Trusted proxies in front of the server (`--forwarded-hops`).
    pub forwarded_hops: usize,
    /// Set once the server is stopping: `/ready` answers 503 from then on.
    pub stopping: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl FromRef<AppState> for Api {
    fn from_ref(state: &AppState) -> Api {
        state.api.clone()
    }
}

/// The routes, over the schema.
fn routes(state: AppState) -> Router {
    Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .route("/export", get(export::export))
        .merge(graphiql::routes())
        .merge(explorer::routes())
        .with_state(state)
}

/// The routes and the layers around them: each request gets an id (in
/// the `x-request-id` response header and its log span), a body limit, a
/// timeout, gzip when the client accepts it, CORS for the configured
/// origins, and a panic in a handler answers 500 for that request only.
pub fn router(state: AppState, limits: &crate::config::Limits) -> Router {
    use axum::http::{HeaderName, Method, StatusCode, header};
    use tower_http::catch_panic::CatchPanicLayer;
    use tower_http::compression::CompressionLayer;
    use tower_http::cors::{AllowOrigin, CorsLayer};
    use tower_http::limit::RequestBodyLimitLayer;
    use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
    use tower_http::timeout::TimeoutLayer;
    use tower_http::trace::TraceLayer;

    let request_id = HeaderName::from_static("x-request-id");
    let origins: Vec<axum::http::HeaderValue> = limits
        .cors_origins
        .iter()
        .filter(|o| o.as_str() != "*")
        .filter_map(|o| o.parse().ok())
        .collect();
    let allow_origin = if limits.cors_origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins)
    };
    let cors = CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION, header::ACCEPT])
        // A browser app may read its budget and the request id.
        .expose_headers([
            HeaderName::from_static("x-ratelimit-limit"),
            HeaderName::from_static("x-ratelimit-remaining"),
            HeaderName::from_static("x-ratelimit-used"),
            HeaderName::from_static("x-ratelimit-reset"),
            header::RETRY_AFTER,
            request_id.clone(),
        ]);
    let trace = TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
        let id = request
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        let span = tracing::info_span!(
            "request",
            otel.kind = "server",
            method = %request.method(),
            path = request.uri().path(),
            request_id = %id,
        );
        // A caller's trace goes on through this server.
        crate::telemetry::otlp::adopt_parent(&span, request.headers());
        span
    });
    routes(state)
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(RequestBodyLimitLayer::new(limits.max_body_bytes))
        .layer(CompressionLayer::new())
        .layer(cors)
        .layer(CatchPanicLayer::new())
        .layer(trace)
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// The client's address, when the server knows it (it does when it
/// serves with connect info, as `twinning serve` does). Behind
/// `forwarded_hops` trusted proxies, it is the address the outermost of
/// them saw, read from the right of `X-Forwarded-For` (each proxy appends
/// the address it was called from; anything further left is the client's
/// own word, and not trusted).
fn client_address(request: &Request, forwarded_hops: usize) -> Option<IpAddr> {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    if forwarded_hops == 0 {
        return peer;
    }
    let forwarded: Vec<&str> = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    forwarded
        .len()
        .checked_sub(forwarded_hops)
        .and_then(|i| forwarded[i].parse().ok())
        .or(peer)
}

/// Readiness: the server is not stopping, the primary answers and its
/// migrations are current; 503 with the reason otherwise (a load balancer
/// sends no traffic then). Each database is listed with whether it takes
/// reads: a replica that is down or behind only moves reads to the others
/// (or the primary).
async fn ready(State(state): State<AppState>) -> Response {
    let databases = state.api.databases().report();
    let readiness = if state.stopping.load(std::sync::atomic::Ordering::Relaxed) {
        Err("the server is stopping".to_string())
    } else {
        crate::store::connection::readiness(state.api.db()).await
    };
    match readiness {
        Ok(()) => {
            Json(serde_json::json!({ "status": "ready", "databases": databases })).into_response()
        }
        Err(reason) => {
            tracing::warn!(%reason, "not ready");
            let body = Json(serde_json::json!({
                "status": "unavailable", "reason": reason, "databases": databases
            }));
            (StatusCode::SERVICE_UNAVAILABLE, body).into_response()
        }
    }
}

/// Prometheus metrics, in its text format.
async fn metrics(State(state): State<AppState>) -> Response {
    let (pool_idle, pool_in_use) = crate::store::connection::pool_usage(state.api.db());
    let (executing_points, waiting) = state.api.concurrency();
    let text = state.metrics.render(crate::metrics::Gauges {
        pool_idle,
        pool_in_use,
        websockets: state.ws.open_connections() as u64,
        subscriptions: state.api.live().subscribers() as u64,
        executing_points,
        waiting,
        redis_fallbacks: state.api.shared_fallbacks(),
        databases: state.api.databases().report(),
        consistency: state.api.databases().consistency_counts(),
    });
    let content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    ([(header::CONTENT_TYPE, content_type)], text).into_response()
}

/// Liveness: the process answers.
async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

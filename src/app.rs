//! The server: connect and migrate, bind, then serve until told to stop.

use crate::cli::ServeArgs;
use crate::{db, example_data, graphql, http, interchange::ImportError};
use axum::Router;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open or migrate the database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot load the example data: {0}")]
    ExampleData(#[from] ImportError),
    #[error("cannot load the trusted documents: {0}")]
    TrustedDocuments(String),
}

/// A server bound to its address, ready to run.
pub struct Application {
    listener: TcpListener,
    router: Router,
    db: sea_orm::DatabaseConnection,
    live: crate::live::Live,
    statements: Arc<AtomicU64>,
    shutdown_grace: Duration,
}

impl Application {
    /// Connects to and migrates the database, loads the example data into an
    /// empty one if asked, and binds the listener (port 0 picks a free port).
    pub async fn build(args: &ServeArgs) -> Result<Self, StartError> {
        let pool = db::PoolSettings {
            acquire_timeout: Duration::from_secs(args.database_acquire_timeout_secs.max(1)),
            statement_timeout: Some(Duration::from_secs(args.database_statement_timeout_secs))
                .filter(|t| !t.is_zero()),
            ..args.database.pool_settings()
        };
        let mut db = db::connect_with(&args.database.database_url, pool).await?;
        // Counts every SQL statement the server runs (tests and benchmarks
        // read it to check that a query's statements do not grow with rows).
        let statements = Arc::new(AtomicU64::new(0));
        let counter = statements.clone();
        db.set_metric_callback(move |_| {
            counter.fetch_add(1, AtomicOrdering::Relaxed);
            crate::metrics::count_statement();
        });
        if pool.statement_timeout.is_some() {
            // A migration may rightly run longer than any request's
            // statement: it gets a connection without the timeout.
            let unlimited = db::connect(&args.database.database_url, 1).await?;
            db::migrate(&unlimited).await?;
            unlimited.close().await?;
        } else {
            db::migrate(&db).await?;
        }
        if args.example_data
            && let Some(report) = example_data::load_into_empty(&db).await?
        {
            tracing::info!(
                records = report.counts.iter().map(|(_, c)| c.created).sum::<usize>(),
                "loaded the founding example data"
            );
        }
        let listener = TcpListener::bind(args.listen)
            .await
            .map_err(|source| StartError::Bind {
                addr: args.listen,
                source,
            })?;
        let trusted_documents = match &args.trusted_documents {
            Some(dir) => {
                let documents =
                    graphql::TrustedDocuments::load(dir).map_err(StartError::TrustedDocuments)?;
                tracing::info!(count = documents.len(), dir = %dir.display(), "loaded trusted documents");
                documents
            }
            None => graphql::TrustedDocuments::default(),
        };
        let live = crate::live::Live::start(db.clone(), args.live.subscription_buffer);
        let options = graphql::ApiOptions {
            public_reads: args.public_reads,
            batch_delay: Duration::from_millis(args.batch_delay_ms),
            field_spans: args.field_spans,
            limits: graphql::QueryLimits {
                max_depth: args.limits.max_depth,
                max_fields: args.limits.max_fields,
                max_nodes: args.limits.max_nodes,
            },
            page_limits: graphql::PageLimits {
                max_page_size: args.limits.max_page_size.max(1),
                max_ids: args.limits.max_ids,
            },
            rate_limits: args.rate_limits.budgets(),
            concurrent_points: args.limits.concurrent_points,
            trusted_documents: Arc::new(trusted_documents),
            trust_policy: args.require_trusted_documents,
        };
        let api = graphql::Api::new(db.clone(), live.clone(), options);
        let ws = crate::ws::Settings::new(
            args.live.ws_max_connections,
            Duration::from_secs(args.live.ws_ping_interval_secs.max(1)),
            Duration::from_secs(args.live.ws_idle_timeout_secs.max(1)),
        );
        let state = http::AppState {
            api,
            ws,
            max_batch: args.limits.max_batch,
            metrics: Arc::new(crate::metrics::Metrics::new()),
            forwarded_hops: args.rate_limits.forwarded_hops,
        };
        let router = router(state, &args.limits);
        Ok(Self {
            listener,
            router,
            db,
            live,
            statements,
            shutdown_grace: Duration::from_secs(args.shutdown_grace_secs),
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| unreachable!("a bound listener has an address"))
    }

    /// How many SQL statements the server has run so far.
    pub fn statement_counter(&self) -> Arc<AtomicU64> {
        self.statements.clone()
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish
    /// (for at most the shutdown grace period) and closes the database pool.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        tracing::info!(addr = %self.local_addr(), "listening");
        // WebSockets outlive the HTTP exchange that opened them: on shutdown
        // they are closed with "going away" first, then HTTP drains.
        let live = self.live.clone();
        let (stopping, stopped) = tokio::sync::oneshot::channel::<()>();
        let shutdown = async move {
            shutdown.await;
            live.shutdown();
            let _ = stopping.send(());
        };
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        let serve = axum::serve(self.listener, service)
            .with_graceful_shutdown(shutdown)
            .into_future();
        let grace = self.shutdown_grace;
        let deadline = async move {
            if stopped.await.is_ok() {
                tokio::time::sleep(grace).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            served = serve => served?,
            () = deadline => {
                tracing::warn!(seconds = grace.as_secs(), "in-flight requests did not finish in the shutdown grace period; stopping anyway");
            }
        }
        self.live.shutdown();
        if let Err(error) = self.db.close().await {
            tracing::warn!(%error, "closing the database pool");
        }
        Ok(())
    }
}

/// The routes and the layers around them: each request gets an id (in
/// the `x-request-id` response header and its log span), a body limit, a
/// timeout, gzip when the client accepts it, CORS for the configured
/// origins, and a panic in a handler answers 500 for that request only.
pub fn router(state: http::AppState, limits: &crate::cli::LimitArgs) -> Router {
    use axum::http::{HeaderName, Method, StatusCode, header};
    use tower_http::compression::CompressionLayer;
    use tower_http::cors::{AllowOrigin, CorsLayer};
    use tower_http::limit::RequestBodyLimitLayer;
    use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

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
        tracing::info_span!("request", method = %request.method(), path = request.uri().path(), request_id = %id)
    });
    http::routes(state)
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(limits.request_timeout_secs),
        ))
        .layer(RequestBodyLimitLayer::new(limits.max_body_bytes))
        .layer(CompressionLayer::new())
        .layer(cors)
        .layer(CatchPanicLayer::new())
        .layer(trace)
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

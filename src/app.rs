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
}

/// A server bound to its address, ready to run.
pub struct Application {
    listener: TcpListener,
    router: Router,
    db: sea_orm::DatabaseConnection,
    live: crate::live::Live,
    statements: Arc<AtomicU64>,
}

impl Application {
    /// Connects to and migrates the database, loads the example data into an
    /// empty one if asked, and binds the listener (port 0 picks a free port).
    pub async fn build(args: &ServeArgs) -> Result<Self, StartError> {
        let mut db = db::connect(
            &args.database.database_url,
            args.database.database_max_connections,
        )
        .await?;
        // Counts every SQL statement the server runs (tests and benchmarks
        // read it to check that a query's statements do not grow with rows).
        let statements = Arc::new(AtomicU64::new(0));
        let counter = statements.clone();
        db.set_metric_callback(move |_| {
            counter.fetch_add(1, AtomicOrdering::Relaxed);
        });
        db::migrate(&db).await?;
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
        let live = crate::live::Live::start(db.clone(), args.live.subscription_buffer);
        let api = graphql::Api::new(
            db.clone(),
            live.clone(),
            args.public_reads,
            Duration::from_millis(args.batch_delay_ms),
        );
        let ws = crate::ws::Settings::new(
            args.live.ws_max_connections,
            Duration::from_secs(args.live.ws_ping_interval_secs.max(1)),
            Duration::from_secs(args.live.ws_idle_timeout_secs.max(1)),
        );
        let router = router(http::AppState { api, ws });
        Ok(Self {
            listener,
            router,
            db,
            live,
            statements,
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
    /// and closes the database pool.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        tracing::info!(addr = %self.local_addr(), "listening");
        // WebSockets outlive the HTTP exchange that opened them: on shutdown
        // they are closed with "going away" first, then HTTP drains.
        let live = self.live.clone();
        let shutdown = async move {
            shutdown.await;
            live.shutdown();
        };
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await?;
        self.live.shutdown();
        if let Err(error) = self.db.close().await {
            tracing::warn!(%error, "closing the database pool");
        }
        Ok(())
    }
}

/// The routes and the layers around them.
pub fn router(state: http::AppState) -> Router {
    http::routes(state)
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        // A panic in a handler answers 500 for that request; the server lives on.
        .layer(CatchPanicLayer::new())
        .layer(TraceLayer::new_for_http())
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

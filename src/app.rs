//! The server: connect and migrate, bind, then serve until told to stop.

use crate::config::Config;
use crate::interchange::{ImportError, example};
use crate::store::connection as db;
use crate::{graphql, http};
use axum::Router;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering as AtomicOrdering};
use std::time::Duration;
use tokio::net::TcpListener;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open or migrate the database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error(
        "cannot connect to the database over TLS: {0} (sslmode=verify-ca and verify-full check the server's certificate against the CA file in sslrootcert, or the public web roots without it)"
    )]
    DatabaseTls(String),
    #[error("--database-replica-url {url}: {reason}")]
    Replica { url: String, reason: String },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot load the example data: {0}")]
    ExampleData(#[from] ImportError),
    #[error("cannot load the trusted documents: {0}")]
    TrustedDocuments(String),
    #[error("--redis-url is not a Redis URL: {0}")]
    Redis(String),
    #[error("cannot load the identity provider's signing keys: {0}")]
    Jwks(#[from] crate::jwt::JwksError),
    #[error("cannot start the webhook worker: {0}")]
    Webhooks(#[from] reqwest::Error),
}

/// A server bound to its address, ready to run.
pub struct Application {
    listener: TcpListener,
    router: Router,
    db: crate::store::Db,
    replicas: Vec<crate::store::Db>,
    live: crate::live::Live,
    webhooks: crate::webhooks::Worker,
    statements: Arc<AtomicU64>,
    shutdown_grace: Duration,
    shutdown_delay: Duration,
    stopping: Arc<AtomicBool>,
}

impl Application {
    /// Connects to and migrates the database, loads the example data into an
    /// empty one if asked, and binds the listener (port 0 picks a free port).
    pub async fn build(config: &Config) -> Result<Self, StartError> {
        let pool = config.pool;
        let mut db = db::connect_with(&config.database_url, pool)
            .await
            .map_err(|e| {
                db::tls_failure(&e).map_or(StartError::Database(e), StartError::DatabaseTls)
            })?;
        // Counts every SQL statement the server runs (tests and benchmarks
        // read it to check that a query's statements do not grow with rows).
        let statements = Arc::new(AtomicU64::new(0));
        let counter = statements.clone();
        let count = move |_: &sea_orm::metric::Info<'_>| {
            counter.fetch_add(1, AtomicOrdering::Relaxed);
            crate::metrics::count_statement();
        };
        db.set_metric_callback(count.clone());
        let mut replicas = Vec::new();
        for url in &config.replica_urls {
            let refused = |reason: String| StartError::Replica {
                url: url.clone(),
                reason,
            };
            if !url.starts_with("postgres") || !config.database_url.starts_with("postgres") {
                return Err(refused(
                    "replicas are PostgreSQL streaming replicas of a PostgreSQL primary".into(),
                ));
            }
            let mut replica = db::connect_replica(url, pool)
                .await
                .map_err(|e| refused(e.to_string()))?;
            replica.set_metric_callback(count.clone());
            replicas.push(replica);
        }
        if pool.statement_timeout.is_some() {
            // A migration may rightly run longer than any request's
            // statement: it gets a connection without the timeout.
            let unlimited = db::connect(&config.database_url, 1).await?;
            db::migrate(&unlimited).await?;
            unlimited.close().await?;
        } else {
            db::migrate(&db).await?;
        }
        if config.example_data
            && let Some(report) = example::load_into_empty(&db).await?
        {
            tracing::info!(
                records = report.counts.iter().map(|(_, c)| c.created).sum::<usize>(),
                "loaded the founding example data"
            );
        }
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| StartError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let trusted_documents = match &config.trusted_documents {
            Some(dir) => {
                let documents =
                    graphql::TrustedDocuments::load(dir).map_err(StartError::TrustedDocuments)?;
                tracing::info!(count = documents.len(), dir = %dir.display(), "loaded trusted documents");
                documents
            }
            None => graphql::TrustedDocuments::default(),
        };
        // The explorer's own documents are always trusted: the page the
        // server serves at `/` works whoever is held to trusted documents.
        let mut trusted_documents = trusted_documents;
        trusted_documents
            .add(
                "the explorer",
                http::explorer::trusted_documents().map_err(StartError::TrustedDocuments)?,
            )
            .map_err(StartError::TrustedDocuments)?;
        let shared = match &config.redis_url {
            Some(url) => Some(Arc::new(
                crate::shared::Shared::new(url).map_err(StartError::Redis)?,
            )),
            None => None,
        };
        let jwt = match &config.jwt {
            Some(settings) => Some(Arc::new(crate::jwt::Verifier::new(settings.clone()).await?)),
            None => None,
        };
        let live = crate::live::Live::start(db.clone(), config.live.subscription_buffer);
        let options = graphql::ApiOptions {
            public_reads: config.public_reads,
            batch_delay: config.batch_delay,
            field_spans: config.field_spans,
            limits: config.query_limits(),
            page_limits: config.page_limits(),
            rate_limits: config.rate_limits(),
            concurrent_points: config.limits.concurrent_points,
            trusted_documents: Arc::new(trusted_documents),
            trust_policy: config.trust_policy,
            shared,
            jwt,
            webhook_policy: crate::webhooks::target::Policy {
                allow_http: config.webhooks.allow_http,
                allow_private: config.webhooks.allow_private,
            },
        };
        let databases =
            crate::store::replicas::Databases::new(db.clone(), replicas.clone(), config.replicas);
        let api = graphql::Api::new(databases, live.clone(), options);
        let ws = http::ws::Settings::new(
            config.live.ws_max_connections,
            config.live.ws_ping_interval,
            config.live.ws_idle_timeout,
        );
        let metrics = Arc::new(crate::metrics::Metrics::new());
        let webhooks = crate::webhooks::Worker::start(
            db.clone(),
            config.webhooks.clone(),
            metrics.webhooks(),
        )?;
        let stopping = Arc::new(AtomicBool::new(false));
        let state = http::AppState {
            api,
            ws,
            max_batch: config.limits.max_batch,
            cache_max_age: config.cache_max_age,
            metrics,
            forwarded_hops: config.rate_limits.forwarded_hops,
            stopping: stopping.clone(),
        };
        let router = http::router(state, &config.limits);
        Ok(Self {
            listener,
            router,
            db,
            replicas,
            live,
            webhooks,
            statements,
            shutdown_grace: config.shutdown_grace,
            shutdown_delay: config.shutdown_delay,
            stopping,
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

    /// Serves until `shutdown` completes, keeps serving for the shutdown
    /// delay with `/ready` at 503, then lets in-flight requests finish (for
    /// at most the shutdown grace period) and closes the database pool.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        tracing::info!(addr = %self.local_addr(), "listening");
        // A load balancer learns that the server is stopping from its health
        // check only: until it has checked, it still sends new requests and
        // reconnecting WebSockets here, so the listener stays open for the
        // delay. WebSockets outlive the HTTP exchange that opened them: after
        // the delay they are closed with "going away" first, then HTTP
        // drains.
        let live = self.live.clone();
        let flag = self.stopping.clone();
        let delay = self.shutdown_delay;
        let (stopping, stopped) = tokio::sync::oneshot::channel::<()>();
        let shutdown = async move {
            shutdown.await;
            flag.store(true, AtomicOrdering::Relaxed);
            if !delay.is_zero() {
                tracing::info!(
                    ms = delay.as_millis() as u64,
                    "not ready; serving until the load balancer has noticed"
                );
                tokio::time::sleep(delay).await;
            }
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
        self.webhooks.stop();
        for db in std::iter::once(self.db).chain(self.replicas) {
            if let Err(error) = db.close().await {
                tracing::warn!(%error, "closing a database pool");
            }
        }
        Ok(())
    }
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

//! The options of `twinning serve`, grouped as `--help` shows them, and
//! the server's [`Config`] they give.

use super::{DatabaseArgs, jwt, traces};
use crate::config::{Config, defaults};
use crate::store::connection::PoolSettings;
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "LISTEN_ADDR", default_value = defaults::LISTEN)]
    pub listen: SocketAddr,
    /// Load the founding example data (the Murmansk–Harbin partnership) into
    /// an empty database on start. Use `--example-data=false` to start empty.
    #[arg(long, env = "EXAMPLE_DATA", default_value_t = true, action = clap::ArgAction::Set)]
    pub example_data: bool,
    /// Let clients without an API key read (writes always need a key).
    #[arg(long, env = "PUBLIC_READS", default_value_t = true, action = clap::ArgAction::Set)]
    pub public_reads: bool,
    /// How long (ms) a WebSocket operation's DataLoader waits to collect the
    /// keys of one query level into one SQL statement (HTTP requests run a
    /// level as soon as its keys are in).
    #[arg(long, env = "BATCH_DELAY_MS", default_value_t = crate::graphql::DEFAULT_BATCH_DELAY_MS)]
    pub batch_delay_ms: u64,
    /// Log as JSON lines instead of human-readable text.
    #[arg(long, env = "LOG_JSON", default_value_t = false)]
    pub log_json: bool,
    #[command(flatten)]
    pub traces: traces::TraceArgs,
    /// Seconds in-flight requests get to finish after Ctrl-C or SIGTERM
    /// before the server stops anyway.
    #[arg(long, env = "SHUTDOWN_GRACE_SECS", default_value_t = defaults::SHUTDOWN_GRACE_SECS)]
    pub shutdown_grace_secs: u64,
    /// Milliseconds the server keeps serving after SIGTERM with `/ready`
    /// answering 503, before it closes its listener and WebSockets: behind
    /// a load balancer, at least its health check's interval times its
    /// fall count, so no new request or reconnect is sent to it.
    #[arg(long, env = "SHUTDOWN_DELAY_MS", default_value_t = defaults::SHUTDOWN_DELAY_MS)]
    pub shutdown_delay_ms: u64,
    /// Seconds a request waits for a database connection (or for the
    /// database to accept one) before failing with `SERVICE_UNAVAILABLE`.
    #[arg(long, env = "DATABASE_ACQUIRE_TIMEOUT_SECS", default_value_t = defaults::DATABASE_ACQUIRE_TIMEOUT_SECS)]
    pub database_acquire_timeout_secs: u64,
    /// On PostgreSQL, seconds one SQL statement may run before it is
    /// cancelled (`TIMEOUT`); below the request timeout, so the database
    /// stops working on a request the client has been told has failed.
    #[arg(long, env = "DATABASE_STATEMENT_TIMEOUT_SECS", default_value_t = defaults::DATABASE_STATEMENT_TIMEOUT_SECS)]
    pub database_statement_timeout_secs: u64,
    /// A streaming replica of the PostgreSQL primary that queries (and
    /// `GET /export`) may read from; repeat for more (the environment
    /// variable takes them comma-separated). Writes, key checks, webhooks
    /// and live updates stay on the primary.
    #[arg(
        long = "database-replica-url",
        env = "DATABASE_REPLICA_URLS",
        value_delimiter = ','
    )]
    pub database_replica_urls: Vec<String>,
    /// How long a read with a consistency token waits for a replica to
    /// replay that far before the primary answers it, in ms.
    #[arg(long, env = "REPLICA_WAIT_MS", default_value_t = defaults::REPLICA_WAIT_MS)]
    pub replica_wait_ms: u64,
    /// A replica further behind the primary than this (in ms) takes no
    /// reads until it catches up: the most a read without a token may lag.
    #[arg(long, env = "REPLICA_MAX_LAG_MS", default_value_t = defaults::REPLICA_MAX_LAG_MS)]
    pub replica_max_lag_ms: u64,
    /// Trace a span for every GraphQL field resolved (async-graphql's
    /// tracing extension), for profiling: it costs a large share of a wide
    /// query's CPU time, so it is off unless asked for.
    #[arg(long, env = "FIELD_SPANS", default_value_t = false)]
    pub field_spans: bool,
    /// A directory of `.graphql` documents clients may run by their SHA-256
    /// hash (as in automatic persisted queries); keys created with
    /// `--trusted-documents-only` may run only these.
    #[arg(long, env = "TRUSTED_DOCUMENTS")]
    pub trusted_documents: Option<PathBuf>,
    /// Who else may run only the trusted documents: `keys` (only keys
    /// created so), `anonymous` (also clients without a key), `everyone`
    /// (every client but admin keys).
    #[arg(long, env = "REQUIRE_TRUSTED_DOCUMENTS", value_enum, default_value_t = crate::graphql::TrustPolicy::Keys)]
    pub require_trusted_documents: crate::graphql::TrustPolicy,
    #[command(flatten)]
    pub live: LiveArgs,
    #[command(flatten)]
    pub webhooks: WebhookArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub rate_limits: RateLimitArgs,
    #[command(flatten)]
    pub jwt: jwt::JwtArgs,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// Budgets of cost points per window (see `rateLimit` in the schema for
/// the cost formula). A request that does not fit what is left of its
/// budget is refused with `RATE_LIMITED` and runs nothing.
#[derive(Debug, Clone, Args)]
pub struct RateLimitArgs {
    /// Limit requests by cost at all.
    #[arg(long, env = "RATE_LIMITS", default_value_t = true, action = clap::ArgAction::Set)]
    pub rate_limits: bool,
    /// Seconds per budget window.
    #[arg(long, env = "RATE_LIMIT_WINDOW_SECS", default_value_t = defaults::RATE_LIMIT_WINDOW_SECS)]
    pub rate_limit_window_secs: u64,
    /// Points per window for each anonymous client address (0: unlimited).
    #[arg(long, env = "RATE_LIMIT_ANONYMOUS", default_value_t = defaults::RATE_LIMIT_ANONYMOUS)]
    pub rate_limit_anonymous: u64,
    /// Points per window for each reader key (0: unlimited).
    #[arg(long, env = "RATE_LIMIT_READER", default_value_t = defaults::RATE_LIMIT_READER)]
    pub rate_limit_reader: u64,
    /// Points per window for each editor key (0: unlimited).
    #[arg(long, env = "RATE_LIMIT_EDITOR", default_value_t = defaults::RATE_LIMIT_EDITOR)]
    pub rate_limit_editor: u64,
    /// Points per window for each admin key (0: unlimited).
    #[arg(long, env = "RATE_LIMIT_ADMIN", default_value_t = defaults::RATE_LIMIT_ADMIN)]
    pub rate_limit_admin: u64,
    /// How many trusted proxies (load balancers) stand in front of the
    /// server: an anonymous client is then known by the address the
    /// outermost one saw, from `X-Forwarded-For`. 0: by the connection's
    /// address.
    #[arg(long, env = "FORWARDED_HOPS", default_value_t = 0)]
    pub forwarded_hops: usize,
    /// Redis (`redis://host:6379/0`) where every server keeps the
    /// rate-limit budgets and the persisted queries clients registered, so
    /// that servers behind one load balancer share them. Without it each
    /// server keeps its own; while Redis does not answer, too.
    #[arg(long, env = "REDIS_URL")]
    pub redis_url: Option<String>,
    /// Seconds a cache (a CDN, a proxy, a browser) may keep the answer to
    /// an anonymous query sent with GET (`Cache-Control: public,
    /// max-age=N`, with an entity tag); 0: never.
    #[arg(long, env = "CACHE_MAX_AGE", default_value_t = defaults::CACHE_MAX_AGE)]
    pub cache_max_age: u64,
}

/// What one request may ask of the server.
#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// Largest request body in bytes; larger ones get 413.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = defaults::MAX_BODY_BYTES)]
    pub max_body_bytes: usize,
    /// Deepest selection a query may nest.
    #[arg(long, env = "MAX_DEPTH", default_value_t = defaults::MAX_DEPTH)]
    pub max_depth: usize,
    /// Most fields a query may select, counting each field of every
    /// fragment and alias once.
    #[arg(long, env = "MAX_FIELDS", default_value_t = defaults::MAX_FIELDS)]
    pub max_fields: usize,
    /// Most nodes a query may return, by the cost formula (the page sizes
    /// along each path of connections multiplied, then summed).
    #[arg(long, env = "MAX_NODES", default_value_t = defaults::MAX_NODES)]
    pub max_nodes: u64,
    /// Largest page (`first`/`last`) a client may ask for.
    #[arg(long, env = "MAX_PAGE_SIZE", default_value_t = defaults::MAX_PAGE_SIZE)]
    pub max_page_size: usize,
    /// Most ids `nodes(ids:)` takes.
    #[arg(long, env = "MAX_IDS", default_value_t = defaults::MAX_IDS)]
    pub max_ids: usize,
    /// Most operations in one batch (a JSON array of requests).
    #[arg(long, env = "MAX_BATCH", default_value_t = defaults::MAX_BATCH)]
    pub max_batch: usize,
    /// Cost points of the HTTP operations executing at once. Each holds its
    /// points while it runs (at least 1, at most a quarter of these; on
    /// SQLite one more than the cores, 3 to 5, of the heaviest run at
    /// once), and the others wait their turn: this bounds the memory of
    /// heavy queries under load without slowing cheap ones.
    #[arg(long, env = "CONCURRENT_POINTS", default_value_t = defaults::CONCURRENT_POINTS)]
    pub concurrent_points: u32,
    /// Seconds a request may take before it is answered 408.
    #[arg(long, env = "REQUEST_TIMEOUT_SECS", default_value_t = defaults::REQUEST_TIMEOUT_SECS)]
    pub request_timeout_secs: u64,
    /// Origins allowed to call the API from a browser (CORS), separated by
    /// commas, or `*` for any; none by default (same origin only).
    #[arg(long, env = "CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
}

/// Subscriptions over WebSocket.
#[derive(Debug, Clone, Args)]
pub struct LiveArgs {
    /// Most WebSocket connections open at once; more are refused with 503.
    #[arg(long, env = "WS_MAX_CONNECTIONS", default_value_t = defaults::WS_MAX_CONNECTIONS)]
    pub ws_max_connections: usize,
    /// Seconds between the server's pings on each WebSocket.
    #[arg(long, env = "WS_PING_INTERVAL_SECS", default_value_t = defaults::WS_PING_INTERVAL_SECS)]
    pub ws_ping_interval_secs: u64,
    /// Seconds a `graphql-transport-ws` client may stay silent (not even
    /// answering pings) before its connection is closed.
    #[arg(long, env = "WS_IDLE_TIMEOUT_SECS", default_value_t = defaults::WS_IDLE_TIMEOUT_SECS)]
    pub ws_idle_timeout_secs: u64,
    /// How many changes a subscriber may fall behind before its
    /// subscription ends with `SUBSCRIBER_LAGGED`.
    #[arg(long, env = "SUBSCRIPTION_BUFFER", default_value_t = defaults::SUBSCRIPTION_BUFFER)]
    pub subscription_buffer: usize,
}

/// Where and how webhooks are sent.
#[derive(Debug, Clone, Args)]
pub struct WebhookArgs {
    /// Let webhook endpoints be `http://` (by default only `https://`).
    #[arg(long, env = "WEBHOOK_ALLOW_HTTP", default_value_t = false)]
    pub webhook_allow_http: bool,
    /// Let webhook endpoints resolve to loopback, private, link-local or
    /// cloud metadata addresses.
    #[arg(long, env = "WEBHOOK_ALLOW_PRIVATE", default_value_t = false)]
    pub webhook_allow_private: bool,
    /// Milliseconds before a failed delivery's first retry; each next
    /// retry waits twice as long, with jitter.
    #[arg(long, env = "WEBHOOK_RETRY_BASE_MS", default_value_t = defaults::WEBHOOK_RETRY_BASE_MS)]
    pub webhook_retry_base_ms: u64,
    /// Hours a delivery is retried before it is marked failed.
    #[arg(long, env = "WEBHOOK_RETRY_HOURS", default_value_t = defaults::WEBHOOK_RETRY_HOURS)]
    pub webhook_retry_hours: u64,
    /// Hours an endpoint may keep failing before it is disabled.
    #[arg(long, env = "WEBHOOK_DISABLE_AFTER_HOURS", default_value_t = defaults::WEBHOOK_DISABLE_AFTER_HOURS)]
    pub webhook_disable_after_hours: u64,
    /// Seconds one delivery request may take, connecting included.
    #[arg(long, env = "WEBHOOK_TIMEOUT_SECS", default_value_t = defaults::WEBHOOK_TIMEOUT_SECS)]
    pub webhook_timeout_secs: u64,
}

impl ServeArgs {
    /// The server's configuration these options give.
    pub fn config(&self) -> Config {
        let mut config = Config::new(&self.database.database_url);
        config.pool = PoolSettings {
            acquire_timeout: Duration::from_secs(self.database_acquire_timeout_secs.max(1)),
            statement_timeout: Some(Duration::from_secs(self.database_statement_timeout_secs))
                .filter(|t| !t.is_zero()),
            ..self.database.pool_settings()
        };
        config.replica_urls.clone_from(&self.database_replica_urls);
        config.replicas = crate::store::replicas::ReplicaSettings {
            wait: Duration::from_millis(self.replica_wait_ms),
            max_lag: Duration::from_millis(self.replica_max_lag_ms.max(1)),
        };
        config.listen = self.listen;
        config.example_data = self.example_data;
        config.public_reads = self.public_reads;
        config.batch_delay = Duration::from_millis(self.batch_delay_ms);
        config.field_spans = self.field_spans;
        config.shutdown_grace = Duration::from_secs(self.shutdown_grace_secs);
        config.shutdown_delay = Duration::from_millis(self.shutdown_delay_ms);
        config.trusted_documents.clone_from(&self.trusted_documents);
        config.trust_policy = self.require_trusted_documents;
        let limits = &self.limits;
        config.limits = crate::config::Limits {
            max_body_bytes: limits.max_body_bytes,
            max_depth: limits.max_depth,
            max_fields: limits.max_fields,
            max_nodes: limits.max_nodes,
            max_page_size: limits.max_page_size,
            max_ids: limits.max_ids,
            max_batch: limits.max_batch,
            concurrent_points: limits.concurrent_points,
            request_timeout: Duration::from_secs(limits.request_timeout_secs),
            cors_origins: limits.cors_origins.clone(),
        };
        let rates = &self.rate_limits;
        config.rate_limits = crate::config::RateLimitConfig {
            enabled: rates.rate_limits,
            window: Duration::from_secs(rates.rate_limit_window_secs),
            budgets: crate::graphql::pipeline::budgets::Budgets {
                anonymous: rates.rate_limit_anonymous,
                reader: rates.rate_limit_reader,
                editor: rates.rate_limit_editor,
                admin: rates.rate_limit_admin,
            },
            forwarded_hops: rates.forwarded_hops,
        };
        config.redis_url.clone_from(&rates.redis_url);
        config.cache_max_age = rates.cache_max_age;
        let live = &self.live;
        config.live = crate::config::LiveConfig {
            ws_max_connections: live.ws_max_connections,
            ws_ping_interval: Duration::from_secs(live.ws_ping_interval_secs.max(1)),
            ws_idle_timeout: Duration::from_secs(live.ws_idle_timeout_secs.max(1)),
            subscription_buffer: live.subscription_buffer,
        };
        config.jwt = self.jwt.settings();
        let hooks = &self.webhooks;
        config.webhooks = crate::config::WebhookConfig {
            allow_http: hooks.webhook_allow_http,
            allow_private: hooks.webhook_allow_private,
            retry_base: Duration::from_millis(hooks.webhook_retry_base_ms.max(1)),
            retry_window: Duration::from_secs(hooks.webhook_retry_hours * 3600),
            disable_after: Duration::from_secs(hooks.webhook_disable_after_hours * 3600),
            timeout: Duration::from_secs(hooks.webhook_timeout_secs.max(1)),
        };
        config
    }
}

//! What a server is told to do: one typed value, which `twinning serve`
//! builds from its options (`cli`) and tests build in code. The defaults
//! live here once; the command line shows the same ones.

use crate::graphql::pipeline::budgets::Budgets;
use crate::graphql::{PageLimits, QueryLimits, RateLimits, TrustPolicy};
use crate::store::connection::PoolSettings;
use crate::store::replicas::ReplicaSettings;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The defaults of every option, in the units the command line takes.
pub mod defaults {
    pub const LISTEN: &str = "127.0.0.1:8000";
    pub const SHUTDOWN_GRACE_SECS: u64 = 10;
    pub const SHUTDOWN_DELAY_MS: u64 = 0;
    pub const DATABASE_ACQUIRE_TIMEOUT_SECS: u64 = 3;
    pub const DATABASE_STATEMENT_TIMEOUT_SECS: u64 = 25;
    pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
    pub const MAX_DEPTH: usize = 16;
    pub const MAX_FIELDS: usize = 500;
    pub const MAX_NODES: u64 = 100_000_000;
    pub const MAX_PAGE_SIZE: usize = 100;
    pub const MAX_IDS: usize = 100;
    pub const MAX_BATCH: usize = 10;
    pub const CONCURRENT_POINTS: u32 = 64;
    pub const REQUEST_TIMEOUT_SECS: u64 = 30;
    pub const RATE_LIMIT_WINDOW_SECS: u64 = 60;
    pub const RATE_LIMIT_ANONYMOUS: u64 = 10_000;
    pub const RATE_LIMIT_READER: u64 = 100_000;
    pub const RATE_LIMIT_EDITOR: u64 = 100_000;
    pub const RATE_LIMIT_ADMIN: u64 = 0;
    pub const WS_MAX_CONNECTIONS: usize = 10_000;
    pub const WS_PING_INTERVAL_SECS: u64 = 15;
    pub const WS_IDLE_TIMEOUT_SECS: u64 = 60;
    pub const SUBSCRIPTION_BUFFER: usize = 1024;
    pub const CACHE_MAX_AGE: u64 = 60;
    pub const WEBHOOK_RETRY_BASE_MS: u64 = 5_000;
    pub const WEBHOOK_RETRY_HOURS: u64 = 25;
    pub const WEBHOOK_DISABLE_AFTER_HOURS: u64 = 72;
    pub const WEBHOOK_TIMEOUT_SECS: u64 = 10;
    pub const REPLICA_WAIT_MS: u64 = 200;
    pub const REPLICA_MAX_LAG_MS: u64 = 1_000;
}

/// Everything `twinning serve` needs to know.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address to listen on; port 0 picks a free one.
    pub listen: SocketAddr,
    /// The database URL (SQLite file or PostgreSQL).
    pub database_url: String,
    /// How the server uses its database.
    pub pool: PoolSettings,
    /// Streaming replicas of the PostgreSQL primary that queries may read
    /// from (each with a pool like the primary's).
    pub replica_urls: Vec<String>,
    /// How long reads wait for a replica, and how far one may lag.
    pub replicas: ReplicaSettings,
    /// Load the founding example into an empty database on start.
    pub example_data: bool,
    /// Clients without a key may read.
    pub public_reads: bool,
    /// How long a WebSocket operation's loaders collect keys.
    pub batch_delay: Duration,
    /// A tracing span for every GraphQL field resolved.
    pub field_spans: bool,
    /// How long in-flight requests may finish after SIGTERM.
    pub shutdown_grace: Duration,
    /// How long after SIGTERM the server keeps serving with `/ready` at
    /// 503, so a load balancer's health check takes it out before it stops
    /// accepting connections.
    pub shutdown_delay: Duration,
    /// A directory of trusted documents, loaded at start.
    pub trusted_documents: Option<PathBuf>,
    /// Who besides keys created so may run only trusted documents.
    pub trust_policy: TrustPolicy,
    /// What one request may ask.
    pub limits: Limits,
    /// Cost budgets per client.
    pub rate_limits: RateLimitConfig,
    /// WebSocket connections and subscriptions.
    pub live: LiveConfig,
    /// Redis, where servers share budgets and persisted queries.
    pub redis_url: Option<String>,
    /// `max-age` of anonymous GET answers, in seconds; 0: not cacheable.
    pub cache_max_age: u64,
    /// Sign-in with an identity provider's tokens; `None`: API keys only.
    pub jwt: Option<crate::jwt::JwtSettings>,
    /// Where and how webhooks are sent.
    pub webhooks: WebhookConfig,
}

/// What one request may ask of the server.
#[derive(Clone, Debug)]
pub struct Limits {
    pub max_body_bytes: usize,
    pub max_depth: usize,
    pub max_fields: usize,
    pub max_nodes: u64,
    pub max_page_size: usize,
    pub max_ids: usize,
    pub max_batch: usize,
    pub concurrent_points: u32,
    pub request_timeout: Duration,
    /// Origins browsers may call the API from (`*` for any).
    pub cors_origins: Vec<String>,
}

/// Budgets of cost points per window.
#[derive(Clone, Copy, Debug)]
pub struct RateLimitConfig {
    /// Charge requests at all.
    pub enabled: bool,
    pub window: Duration,
    pub budgets: Budgets,
    /// Trusted proxies in front of the server.
    pub forwarded_hops: usize,
}

/// Where and how webhooks are sent.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// Endpoints may be `http://`, not only `https://`.
    pub allow_http: bool,
    /// Endpoints may resolve to loopback, private, link-local or metadata
    /// addresses.
    pub allow_private: bool,
    /// The first retry's delay; each next one doubles, with jitter.
    pub retry_base: Duration,
    /// How long a delivery is retried before it is marked failed.
    pub retry_window: Duration,
    /// How long an endpoint may fail before it is disabled.
    pub disable_after: Duration,
    /// How long one request may take, connecting included.
    pub timeout: Duration,
}

/// WebSocket connections and subscriptions.
#[derive(Clone, Copy, Debug)]
pub struct LiveConfig {
    pub ws_max_connections: usize,
    pub ws_ping_interval: Duration,
    pub ws_idle_timeout: Duration,
    /// Changes a subscriber may fall behind before `SUBSCRIBER_LAGGED`.
    pub subscription_buffer: usize,
}

impl Config {
    /// The defaults, over this database.
    pub fn new(database_url: impl Into<String>) -> Self {
        use defaults::*;
        let database_url = database_url.into();
        let pool = PoolSettings {
            acquire_timeout: Duration::from_secs(DATABASE_ACQUIRE_TIMEOUT_SECS),
            statement_timeout: Some(Duration::from_secs(DATABASE_STATEMENT_TIMEOUT_SECS)),
            ..PoolSettings::for_url(&database_url)
        };
        Self {
            listen: LISTEN
                .parse()
                .unwrap_or_else(|_| unreachable!("the default address parses")),
            database_url,
            pool,
            replica_urls: Vec::new(),
            replicas: ReplicaSettings {
                wait: Duration::from_millis(REPLICA_WAIT_MS),
                max_lag: Duration::from_millis(REPLICA_MAX_LAG_MS),
            },
            example_data: true,
            public_reads: true,
            batch_delay: Duration::from_millis(crate::graphql::DEFAULT_BATCH_DELAY_MS),
            field_spans: false,
            shutdown_grace: Duration::from_secs(SHUTDOWN_GRACE_SECS),
            shutdown_delay: Duration::from_millis(SHUTDOWN_DELAY_MS),
            trusted_documents: None,
            trust_policy: TrustPolicy::Keys,
            limits: Limits {
                max_body_bytes: MAX_BODY_BYTES,
                max_depth: MAX_DEPTH,
                max_fields: MAX_FIELDS,
                max_nodes: MAX_NODES,
                max_page_size: MAX_PAGE_SIZE,
                max_ids: MAX_IDS,
                max_batch: MAX_BATCH,
                concurrent_points: CONCURRENT_POINTS,
                request_timeout: Duration::from_secs(REQUEST_TIMEOUT_SECS),
                cors_origins: Vec::new(),
            },
            rate_limits: RateLimitConfig {
                enabled: true,
                window: Duration::from_secs(RATE_LIMIT_WINDOW_SECS),
                budgets: Budgets {
                    anonymous: RATE_LIMIT_ANONYMOUS,
                    reader: RATE_LIMIT_READER,
                    editor: RATE_LIMIT_EDITOR,
                    admin: RATE_LIMIT_ADMIN,
                },
                forwarded_hops: 0,
            },
            live: LiveConfig {
                ws_max_connections: WS_MAX_CONNECTIONS,
                ws_ping_interval: Duration::from_secs(WS_PING_INTERVAL_SECS),
                ws_idle_timeout: Duration::from_secs(WS_IDLE_TIMEOUT_SECS),
                subscription_buffer: SUBSCRIPTION_BUFFER,
            },
            redis_url: None,
            cache_max_age: CACHE_MAX_AGE,
            jwt: None,
            webhooks: WebhookConfig {
                allow_http: false,
                allow_private: false,
                retry_base: Duration::from_millis(WEBHOOK_RETRY_BASE_MS),
                retry_window: Duration::from_secs(WEBHOOK_RETRY_HOURS * 3600),
                disable_after: Duration::from_secs(WEBHOOK_DISABLE_AFTER_HOURS * 3600),
                timeout: Duration::from_secs(WEBHOOK_TIMEOUT_SECS),
            },
        }
    }

    /// The rate limits, or `None` when they are off.
    pub fn rate_limits(&self) -> Option<RateLimits> {
        self.rate_limits.enabled.then_some(RateLimits {
            budgets: self.rate_limits.budgets,
            window: self.rate_limits.window,
        })
    }

    /// The limits each query is measured against.
    pub fn query_limits(&self) -> QueryLimits {
        QueryLimits {
            max_depth: self.limits.max_depth,
            max_fields: self.limits.max_fields,
            max_nodes: self.limits.max_nodes,
        }
    }

    /// The largest page and the most ids of `nodes(ids:)`.
    pub fn page_limits(&self) -> PageLimits {
        PageLimits {
            max_page_size: self.limits.max_page_size.max(1),
            max_ids: self.limits.max_ids,
        }
    }
}

//! What operators see at `/metrics` (the Prometheus text format), and the
//! per-request count of SQL statements behind it and the request log line.
//!
//! Each server has a registry of its own (no process-wide state, so tests
//! can run several servers in one process). Gauges of things that already
//! count themselves (the connection pool, WebSockets, subscribers) are read
//! when Prometheus scrapes.
//!
//! Over 400 lines: every metric's registration, help text and rendering
//! sit side by side in one registry, so that adding one touches one place.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

tokio::task_local! {
    /// The statement counter of the request this task works for.
    static STATEMENTS: Arc<AtomicU64>;
}

/// Runs `future` as a request whose SQL statements `counter` counts.
pub async fn counting_statements<F: Future>(counter: Arc<AtomicU64>, future: F) -> F::Output {
    STATEMENTS.scope(counter, future).await
}

/// `future`, counting its statements for the request that spawns it, on
/// that request's database role (a DataLoader's batch runs in a task of
/// its own).
pub fn for_this_request<F: Future>(future: F) -> impl Future<Output = F::Output> {
    let counter = STATEMENTS.try_with(Arc::clone).ok();
    let role = crate::store::traced::current_role();
    let future = async move {
        match role {
            Some(role) => crate::store::traced::in_role(role, future).await,
            None => future.await,
        }
    };
    async move {
        match counter {
            Some(counter) => STATEMENTS.scope(counter, future).await,
            None => future.await,
        }
    }
}

/// Counts one statement for the current request, if there is one (called
/// by the database driver's metric callback).
pub fn count_statement() {
    let _ = STATEMENTS.try_with(|counter| counter.fetch_add(1, Ordering::Relaxed));
}

/// How a GraphQL request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// It ran without errors.
    Ok,
    /// It ran, with errors in some fields.
    Errors,
    /// It did not run: malformed, invalid, over a limit, unauthenticated.
    Refused,
    /// It did not run: over its rate-limit budget.
    RateLimited,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Errors => "errors",
            Outcome::Refused => "refused",
            Outcome::RateLimited => "rate_limited",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    operation: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DatabaseLabels {
    database: String,
    role: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: String,
}

/// Operation names become labels; clients choose them, so only this many
/// distinct names are kept, and later ones count as `other`.
const MAX_OPERATION_NAMES: usize = 200;

/// One server's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    duration: Family<OperationLabels, Histogram>,
    statements: Histogram,
    cost: Counter,
    rate_limited: Counter,
    pool: Family<PoolLabels, Gauge>,
    websockets: Gauge,
    subscriptions: Gauge,
    executing_points: Gauge,
    waiting: Gauge,
    redis_fallbacks: Counter,
    databases: Databases,
    webhooks: WebhookCounters,
    operations: Mutex<HashSet<String>>,
}

/// Reads per database and waits for consistency (counted by the store;
/// brought up to date at each scrape).
#[derive(Default)]
struct Databases {
    reads: Family<DatabaseLabels, Counter>,
    in_rotation: Family<DatabaseLabels, Gauge>,
    lag_ms: Family<DatabaseLabels, Gauge>,
    waits: Counter,
    fallbacks: Counter,
}

/// What the webhook worker counts.
#[derive(Clone, Default)]
pub struct WebhookCounters {
    /// Deliveries their endpoint acknowledged.
    pub sent: Counter,
    /// Deliveries given up on after the retry window.
    pub failed: Counter,
    /// Attempts that failed and were scheduled again.
    pub retried: Counter,
    /// Deliveries waiting, as the worker last read it (so that a scrape
    /// needs no database connection).
    pub outbox_depth: Gauge,
    /// Seconds the oldest waiting delivery has waited, likewise.
    pub outbox_oldest_seconds: Gauge,
}

/// What a request did, for the metrics.
pub struct RequestRecord<'a> {
    pub operation: Option<&'a str>,
    pub outcome: Outcome,
    pub seconds: f64,
    pub statements: u64,
    pub cost: u64,
}

/// Gauges read at scrape time.
pub struct Gauges {
    pub pool_idle: u64,
    pub pool_in_use: u64,
    pub websockets: u64,
    pub subscriptions: u64,
    /// Cost points of the operations executing now.
    pub executing_points: u64,
    /// Operations waiting for their turn to execute.
    pub waiting: u64,
    /// Requests that went on without Redis, since the start.
    pub redis_fallbacks: u64,
    /// The primary and each replica.
    pub databases: Vec<crate::store::replicas::DatabaseReport>,
    /// Reads with a consistency token that waited for a replica, and
    /// those the primary answered (none had reached it in time).
    pub consistency: (u64, u64),
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("twinning");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "graphql_requests",
            "GraphQL requests by operation name and outcome",
            requests.clone(),
        );
        let duration = Family::<OperationLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.000_5, 2.0, 16))
        });
        registry.register(
            "graphql_request_duration_seconds",
            "Time to answer a GraphQL request",
            duration.clone(),
        );
        let statements = Histogram::new([0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0]);
        registry.register(
            "sql_statements_per_request",
            "SQL statements one GraphQL request ran",
            statements.clone(),
        );
        let cost = Counter::default();
        registry.register("cost_points", "Rate-limit points charged", cost.clone());
        let rate_limited = Counter::default();
        registry.register(
            "rate_limited_requests",
            "Requests refused for being over their budget",
            rate_limited.clone(),
        );
        let pool = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Database connections by state (idle, in_use)",
            pool.clone(),
        );
        let websockets = Gauge::default();
        registry.register(
            "websocket_connections",
            "Open WebSocket connections",
            websockets.clone(),
        );
        let subscriptions = Gauge::default();
        registry.register(
            "active_subscriptions",
            "Subscriptions listening for changes",
            subscriptions.clone(),
        );
        let executing_points = Gauge::default();
        registry.register(
            "graphql_executing_points",
            "Cost points of the GraphQL operations executing now (see --concurrent-points)",
            executing_points.clone(),
        );
        let waiting = Gauge::default();
        registry.register(
            "graphql_waiting_operations",
            "GraphQL operations waiting for their turn to execute",
            waiting.clone(),
        );
        let redis_fallbacks = Counter::default();
        registry.register(
            "redis_fallbacks",
            "Requests that used this server's own budgets or persisted queries because Redis did not answer",
            redis_fallbacks.clone(),
        );
        let databases = Databases::default();
        registry.register(
            "db_reads",
            "GraphQL queries and exports by the database that answered them",
            databases.reads.clone(),
        );
        registry.register(
            "db_replica_in_rotation",
            "1 while a replica takes reads, 0 while it is down or too far behind",
            databases.in_rotation.clone(),
        );
        registry.register(
            "db_replica_lag_milliseconds",
            "How far behind the primary a replica was at its last check",
            databases.lag_ms.clone(),
        );
        registry.register(
            "consistency_waits",
            "Reads with a consistency token that waited for a replica to replay that far",
            databases.waits.clone(),
        );
        registry.register(
            "consistency_fallbacks",
            "Reads with a consistency token the primary answered because no replica reached it within --replica-wait-ms",
            databases.fallbacks.clone(),
        );
        let webhooks = WebhookCounters::default();
        registry.register(
            "webhook_deliveries_sent",
            "Webhook deliveries their endpoint acknowledged",
            webhooks.sent.clone(),
        );
        registry.register(
            "webhook_deliveries_failed",
            "Webhook deliveries given up on after the retry window",
            webhooks.failed.clone(),
        );
        registry.register(
            "webhook_attempts_retried",
            "Webhook attempts that failed and were scheduled again",
            webhooks.retried.clone(),
        );
        registry.register(
            "webhook_outbox_depth",
            "Webhook deliveries waiting to be sent",
            webhooks.outbox_depth.clone(),
        );
        registry.register(
            "webhook_outbox_oldest_pending_seconds",
            "Seconds the oldest waiting webhook delivery has waited",
            webhooks.outbox_oldest_seconds.clone(),
        );
        Self {
            registry,
            redis_fallbacks,
            databases,
            webhooks,
            requests,
            duration,
            statements,
            cost,
            rate_limited,
            pool,
            websockets,
            subscriptions,
            executing_points,
            waiting,
            operations: Mutex::default(),
        }
    }

    /// The webhook worker's counters.
    pub fn webhooks(&self) -> WebhookCounters {
        self.webhooks.clone()
    }

    /// The label for an operation name.
    fn operation_label(&self, operation: Option<&str>) -> String {
        let Some(name) = operation else {
            return "anonymous".to_owned();
        };
        let Ok(mut known) = self.operations.lock() else {
            return "other".to_owned();
        };
        if known.contains(name)
            || known.len() < MAX_OPERATION_NAMES && known.insert(name.to_owned())
        {
            name.to_owned()
        } else {
            "other".to_owned()
        }
    }

    /// Records one GraphQL request.
    pub fn record(&self, request: RequestRecord<'_>) {
        let operation = self.operation_label(request.operation);
        self.requests
            .get_or_create(&RequestLabels {
                operation: operation.clone(),
                outcome: request.outcome.as_str().to_owned(),
            })
            .inc();
        self.duration
            .get_or_create(&OperationLabels { operation })
            .observe(request.seconds);
        self.statements.observe(request.statements as f64);
        self.cost.inc_by(request.cost);
        if request.outcome == Outcome::RateLimited {
            self.rate_limited.inc();
        }
    }

    /// The Prometheus text of every metric, with the gauges as given.
    pub fn render(&self, gauges: Gauges) -> String {
        let gauge = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
        for (state, value) in [("idle", gauges.pool_idle), ("in_use", gauges.pool_in_use)] {
            self.pool
                .get_or_create(&PoolLabels {
                    state: state.to_owned(),
                })
                .set(gauge(value));
        }
        self.websockets.set(gauge(gauges.websockets));
        self.subscriptions.set(gauge(gauges.subscriptions));
        self.executing_points.set(gauge(gauges.executing_points));
        self.waiting.set(gauge(gauges.waiting));
        // Counted where Redis is called; brought up to date here.
        self.redis_fallbacks.inc_by(
            gauges
                .redis_fallbacks
                .saturating_sub(self.redis_fallbacks.get()),
        );
        self.databases.update(&gauges);
        let mut text = String::new();
        if let Err(error) = prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            tracing::error!(%error, "encoding the metrics");
        }
        text
    }
}

impl Databases {
    fn update(&self, gauges: &Gauges) {
        let catch_up = |counter: &Counter, total: u64| {
            counter.inc_by(total.saturating_sub(counter.get()));
        };
        for database in &gauges.databases {
            let labels = DatabaseLabels {
                database: database.name.clone(),
                role: database.role.to_owned(),
            };
            catch_up(&self.reads.get_or_create(&labels), database.reads);
            if database.role == "replica" {
                let lag = database
                    .lag_ms
                    .map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
                self.lag_ms.get_or_create(&labels).set(lag);
                self.in_rotation
                    .get_or_create(&labels)
                    .set(i64::from(database.in_rotation));
            }
        }
        catch_up(&self.waits, gauges.consistency.0);
        catch_up(&self.fallbacks, gauges.consistency.1);
    }
}

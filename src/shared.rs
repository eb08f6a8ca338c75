//! State shared by the servers behind one load balancer, in Redis
//! (`--redis-url`): rate-limit budgets and the documents clients registered
//! through automatic persisted queries.
//!
//! Redis is a help, not a dependency: when it does not answer (within
//! [`TIMEOUT`]), each server falls back to its own budgets and documents,
//! says so in the log once a minute and counts each fallback in `/metrics`,
//! and tries Redis again a second later. `/ready` does not look at it.

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long one Redis command may take before the request goes on without
/// it.
const TIMEOUT: Duration = Duration::from_millis(250);

/// How long after a failure Redis is left alone (requests use the
/// server's own state meanwhile), so that a Redis that is down costs a
/// request nothing.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// How often a Redis that stays down is logged.
const LOG_EVERY: Duration = Duration::from_secs(60);

/// How long a registered document is kept, and how many are.
const DOCUMENT_TTL_SECS: u64 = 24 * 60 * 60;
pub const MAX_DOCUMENTS: u64 = 5_000;

/// Charges, refunds or reads a budget in one round trip, atomically: read
/// then write by separate commands would let two servers spend the same
/// points. The key expires with its window.
/// KEYS[1]: the budget. ARGV: limit, points, window in ms, the action.
/// Returns {1 if charged (or not a charge), points used, ms left}.
const BUDGET_SCRIPT: &str = r"
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local left = redis.call('PTTL', KEYS[1])
if left <= 0 then used = 0; left = tonumber(ARGV[3]) end
local limit, points = tonumber(ARGV[1]), tonumber(ARGV[2])
local accepted = 1
if ARGV[4] == 'charge' then
  if used + points > limit then accepted = 0
  else used = used + points; redis.call('SET', KEYS[1], used, 'PX', left) end
elseif ARGV[4] == 'refund' and redis.call('EXISTS', KEYS[1]) == 1 then
  used = math.max(0, used - points); redis.call('SET', KEYS[1], used, 'PX', left)
end
return {accepted, used, left}
";

/// Registers a document with its TTL, and keeps at most ARGV[3] of them,
/// dropping the earliest registered.
/// KEYS[1]: the document, KEYS[2]: the index (a sorted set by time).
/// ARGV: text, TTL in s, cap, now in ms.
const REGISTER_SCRIPT: &str = r"
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[4], KEYS[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', tonumber(ARGV[4]) - 1000 * tonumber(ARGV[2]))
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[3])
if over > 0 then
  local oldest = redis.call('ZPOPMIN', KEYS[2], over)
  for i = 1, #oldest, 2 do redis.call('DEL', oldest[i]) end
end
return 1
";

/// What to do to a budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BudgetAction {
    Charge,
    Refund,
    Peek,
}

/// A budget as Redis keeps it, after the action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SharedBudget {
    /// Whether the charge fit (always true for a refund or a look).
    pub accepted: bool,
    /// Points spent in this window.
    pub used: u64,
    /// Until the window ends.
    pub left: Duration,
}

/// A connection to Redis, and whether it answers.
pub struct Shared {
    connection: ConnectionManager,
    budget: redis::Script,
    register: redis::Script,
    health: Mutex<Health>,
    fallbacks: AtomicU64,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("fallbacks", &self.fallbacks())
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Health {
    /// While Redis is taken as down: when to try it again.
    retry_at: Option<Instant>,
    /// When its being down was last logged.
    logged_at: Option<Instant>,
}

impl Shared {
    /// A client for `url` (`redis://host:port/db`). It connects when first
    /// used, so a server starts while Redis is down.
    pub fn new(url: &str) -> Result<Self, String> {
        let client = redis::Client::open(url).map_err(|e| format!("{url}: {e}"))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT))
            .set_number_of_retries(1);
        let connection = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| format!("{url}: {e}"))?;
        Ok(Self {
            connection,
            budget: redis::Script::new(BUDGET_SCRIPT),
            register: redis::Script::new(REGISTER_SCRIPT),
            health: Mutex::default(),
            fallbacks: AtomicU64::new(0),
        })
    }

    /// Requests that went on without Redis.
    pub fn fallbacks(&self) -> u64 {
        self.fallbacks.load(Ordering::Relaxed)
    }

    fn health(&self) -> std::sync::MutexGuard<'_, Health> {
        // A poisoned lock only means a panic mid-update of two instants.
        self.health
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs one Redis call, or `None` when Redis is down or does not answer
    /// in time (the caller then uses the server's own state).
    async fn call<T>(&self, call: impl Future<Output = redis::RedisResult<T>>) -> Option<T> {
        if self.health().retry_at.is_some_and(|at| Instant::now() < at) {
            self.fallbacks.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let error = match tokio::time::timeout(TIMEOUT, call).await {
            Ok(Ok(value)) => {
                let mut health = self.health();
                if health.retry_at.take().is_some() {
                    health.logged_at = None;
                    tracing::info!("Redis answers again: budgets and persisted queries are shared");
                }
                return Some(value);
            }
            Ok(Err(error)) => error.to_string(),
            Err(_) => format!("no answer within {} ms", TIMEOUT.as_millis()),
        };
        self.fallbacks.fetch_add(1, Ordering::Relaxed);
        let now = Instant::now();
        let mut health = self.health();
        health.retry_at = Some(now + RETRY_AFTER);
        if health
            .logged_at
            .is_none_or(|at| now.duration_since(at) >= LOG_EVERY)
        {
            health.logged_at = Some(now);
            tracing::warn!(%error, "Redis does not answer: this server uses its own budgets and persisted queries until it does");
        }
        None
    }

    /// Acts on the budget named `subject` in one atomic round trip.
    pub async fn budget(
        &self,
        subject: &str,
        limit: u64,
        points: u64,
        window: Duration,
        action: BudgetAction,
    ) -> Option<SharedBudget> {
        let action = match action {
            BudgetAction::Charge => "charge",
            BudgetAction::Refund => "refund",
            BudgetAction::Peek => "peek",
        };
        let window_ms = u64::try_from(window.as_millis()).unwrap_or(u64::MAX);
        let mut connection = self.connection.clone();
        let mut invocation = self.budget.key(format!("twinning:budget:{subject}"));
        invocation.arg(limit).arg(points).arg(window_ms).arg(action);
        let (accepted, used, left): (i64, i64, i64) =
            self.call(invocation.invoke_async(&mut connection)).await?;
        Some(SharedBudget {
            accepted: accepted == 1,
            used: u64::try_from(used).unwrap_or(0),
            left: Duration::from_millis(u64::try_from(left).unwrap_or(0)),
        })
    }

    /// The text of the document registered under `hash`, if any.
    pub async fn document(&self, hash: &str) -> Option<String> {
        let mut connection = self.connection.clone();
        let key = format!("twinning:apq:{hash}");
        let mut get = redis::cmd("GET");
        get.arg(key);
        self.call(get.query_async::<Option<String>>(&mut connection))
            .await
            .flatten()
    }

    /// Registers `text` under `hash` for every server.
    pub async fn register(&self, hash: &str, text: &str) {
        let mut connection = self.connection.clone();
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let mut invocation = self.register.key(format!("twinning:apq:{hash}"));
        invocation
            .key("twinning:apq-index")
            .arg(text)
            .arg(DOCUMENT_TTL_SECS)
            .arg(MAX_DOCUMENTS)
            .arg(now_ms);
        let _: Option<i64> = self.call(invocation.invoke_async(&mut connection)).await;
    }
}

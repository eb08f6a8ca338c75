//! Which database answers a read: the primary, or one of its streaming
//! replicas (`--database-replica-url`), round-robin among those in
//! rotation. A replica is in rotation while it answers and is at most
//! `max_lag` behind; a background checker keeps that current
//! ([`super::replica_health`]). A read with a consistency token (a WAL
//! position the client's own write reached) goes to a replica that has
//! replayed that far, waiting for one up to `wait`, and else to the
//! primary. Writes, key checks, the outbox and `LISTEN` use
//! [`Databases::primary`] alone.

use super::Db;
use super::replica_health::{Health, Member};
use super::wal::{self, DbRole, Lsn};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How often a read waiting for its token asks the replicas again.
const POLL: Duration = Duration::from_millis(5);

/// How reads use the replicas.
#[derive(Clone, Copy, Debug)]
pub struct ReplicaSettings {
    /// How long a read with a consistency token waits for a replica to
    /// reach it before the primary answers.
    pub wait: Duration,
    /// A replica further behind the primary than this is out of rotation.
    pub max_lag: Duration,
}

/// The primary and its replicas.
#[derive(Clone)]
pub struct Databases {
    inner: Arc<Inner>,
}

struct Inner {
    primary: Db,
    primary_reads: AtomicU64,
    replicas: Vec<Member>,
    settings: ReplicaSettings,
    next: AtomicUsize,
    /// Reads with a token that no replica had reached at once.
    waits: AtomicU64,
    /// Reads with a token the primary answered (no replica reached it in
    /// time).
    fallbacks: AtomicU64,
}

/// Where one read runs.
#[derive(Clone)]
pub struct Read {
    /// The connection pool to read from.
    pub db: Db,
    /// The primary or a replica.
    pub role: DbRole,
    /// Which replica (its index), for [`Databases::failed`].
    replica: Option<usize>,
}

impl std::fmt::Debug for Read {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Read")
            .field("role", &self.role)
            .field("replica", &self.replica)
            .finish_non_exhaustive()
    }
}

/// One database as `/ready` and `/metrics` report it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct DatabaseReport {
    /// `primary`, or `replica-N` (from 1, in the order configured).
    pub name: String,
    pub role: &'static str,
    /// Whether reads go to it now.
    pub in_rotation: bool,
    /// Reads it answered since the start.
    pub reads: u64,
    /// How far behind the primary it was at the last check, in ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag_ms: Option<u64>,
    /// Why it is out of rotation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Databases {
    /// The primary alone: every read goes to it.
    pub fn primary_only(primary: Db) -> Self {
        Self::new(primary, Vec::new(), ReplicaSettings::default())
    }

    /// The primary and its replicas (already connected, lazily), with the
    /// health checker running when there are any.
    pub fn new(primary: Db, replicas: Vec<Db>, settings: ReplicaSettings) -> Self {
        let replicas = replicas.into_iter().map(Member::new).collect::<Vec<_>>();
        let databases = Self {
            inner: Arc::new(Inner {
                primary,
                primary_reads: AtomicU64::new(0),
                replicas,
                settings,
                next: AtomicUsize::new(0),
                waits: AtomicU64::new(0),
                fallbacks: AtomicU64::new(0),
            }),
        };
        if !databases.inner.replicas.is_empty() {
            tokio::spawn(super::replica_health::check(
                Arc::downgrade(&databases.inner),
                settings,
            ));
        }
        databases
    }

    /// The primary: for writes and whatever must see them at once.
    pub fn primary(&self) -> &Db {
        &self.inner.primary
    }

    /// Whether any replica is configured.
    pub fn has_replicas(&self) -> bool {
        !self.inner.replicas.is_empty()
    }

    /// The replicas' connection pools.
    pub fn replica_pools(&self) -> impl Iterator<Item = &Db> {
        self.inner.replicas.iter().map(|r| &r.db)
    }

    /// Where a read runs: a replica in rotation (one that has replayed
    /// `token`, when given, waiting up to the configured time for one),
    /// else the primary.
    pub async fn read(&self, token: Option<Lsn>) -> Read {
        let inner = &self.inner;
        if inner.replicas.is_empty() {
            return self.on_primary();
        }
        let Some(token) = token else {
            return self.pick(|_| true).unwrap_or_else(|| self.on_primary());
        };
        if let Some(read) = self.pick(|health| health.replayed.is_some_and(|r| r >= token)) {
            return read;
        }
        // None in rotation: nothing to wait for.
        if !inner.replicas.iter().any(Member::in_rotation) {
            inner.fallbacks.fetch_add(1, Ordering::Relaxed);
            return self.on_primary();
        }
        inner.waits.fetch_add(1, Ordering::Relaxed);
        let deadline = Instant::now() + inner.settings.wait;
        loop {
            // Ask each replica in rotation how far it has replayed now.
            for member in inner.replicas.iter().filter(|m| m.in_rotation()) {
                if let Ok(Some(replayed)) = wal::replayed(&member.db).await {
                    member.replayed(replayed);
                }
            }
            if let Some(read) = self.pick(|health| health.replayed.is_some_and(|r| r >= token)) {
                return read;
            }
            let now = Instant::now();
            if now >= deadline {
                inner.fallbacks.fetch_add(1, Ordering::Relaxed);
                return self.on_primary();
            }
            tokio::time::sleep(POLL.min(deadline - now)).await;
        }
    }

    /// The next replica in rotation, from the round-robin position, that
    /// `fits`.
    fn pick(&self, fits: impl Fn(&Health) -> bool) -> Option<Read> {
        let replicas = &self.inner.replicas;
        let start = self.inner.next.fetch_add(1, Ordering::Relaxed);
        (0..replicas.len())
            .map(|offset| (start + offset) % replicas.len())
            .find(|&i| replicas[i].with_health(|h| h.in_rotation() && fits(h)))
            .map(|i| {
                let member = &replicas[i];
                member.reads.fetch_add(1, Ordering::Relaxed);
                Read {
                    db: member.db.clone(),
                    role: DbRole::Replica,
                    replica: Some(i),
                }
            })
    }

    /// The primary, for a request that writes (not counted as a read).
    pub fn write(&self) -> Read {
        Read {
            db: self.inner.primary.clone(),
            role: DbRole::Primary,
            replica: None,
        }
    }

    fn on_primary(&self) -> Read {
        self.inner.primary_reads.fetch_add(1, Ordering::Relaxed);
        Read {
            db: self.inner.primary.clone(),
            role: DbRole::Primary,
            replica: None,
        }
    }

    /// Takes the replica `read` ran on out of rotation after it failed to
    /// answer (the checker brings it back), and gives the primary instead.
    pub fn failed(&self, read: &Read, reason: &str) -> Read {
        if let Some(member) = read.replica.and_then(|i| self.inner.replicas.get(i)) {
            member.failed(reason);
        }
        self.on_primary()
    }

    /// Reads with a token that had to wait, and those the primary answered.
    pub fn consistency_counts(&self) -> (u64, u64) {
        (
            self.inner.waits.load(Ordering::Relaxed),
            self.inner.fallbacks.load(Ordering::Relaxed),
        )
    }

    /// Each database: the primary, then the replicas.
    pub fn report(&self) -> Vec<DatabaseReport> {
        let primary = DatabaseReport {
            name: "primary".into(),
            role: DbRole::Primary.as_str(),
            in_rotation: true,
            reads: self.inner.primary_reads.load(Ordering::Relaxed),
            lag_ms: None,
            reason: None,
        };
        let replicas = self.inner.replicas.iter().enumerate().map(|(i, member)| {
            member.with_health(|health| DatabaseReport {
                name: format!("replica-{}", i + 1),
                role: DbRole::Replica.as_str(),
                in_rotation: health.in_rotation(),
                reads: member.reads.load(Ordering::Relaxed),
                lag_ms: health
                    .lag
                    .map(|l| u64::try_from(l.as_millis()).unwrap_or(u64::MAX)),
                reason: health.out_because(),
            })
        });
        std::iter::once(primary).chain(replicas).collect()
    }
}

impl Default for ReplicaSettings {
    fn default() -> Self {
        Self {
            wait: Duration::from_millis(200),
            max_lag: Duration::from_millis(1000),
        }
    }
}

/// What the health checker reads and updates.
pub(super) trait Cluster {
    fn primary(&self) -> &Db;
    fn members(&self) -> &[Member];
}

impl Cluster for Inner {
    fn primary(&self) -> &Db {
        &self.primary
    }
    fn members(&self) -> &[Member] {
        &self.replicas
    }
}

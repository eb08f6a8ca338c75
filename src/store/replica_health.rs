//! Whether each replica may take reads: the background checker that asks
//! the primary how far it has written and each replica how far it has
//! replayed, and the state it keeps per replica.
//!
//! A replica's lag is measured in time without trusting either server's
//! clock: the checker remembers the primary's position at each check, and
//! a replica that has replayed the position of the check at `t` has every
//! commit before `t`, so it is at most `now - t` behind.
//! (`pg_last_xact_replay_timestamp()` would grow while the primary is
//! idle, and compares two servers' clocks.)

use super::Db;
use super::replicas::{Cluster, ReplicaSettings};
use super::wal::{self, Lsn};
use std::collections::VecDeque;
use std::sync::atomic::AtomicU64;
use std::sync::{Mutex, Weak};
use std::time::{Duration, Instant};

/// The first retry of a replica that failed; each next one doubles.
const RETRY_FIRST: Duration = Duration::from_millis(250);
/// The longest a failed replica is left alone.
const RETRY_MOST: Duration = Duration::from_secs(10);

/// One replica.
pub struct Member {
    pub db: Db,
    /// Reads it answered.
    pub reads: AtomicU64,
    health: Mutex<Health>,
}

/// What the checker last found of a replica.
#[derive(Debug, Default)]
pub struct Health {
    /// How far it has replayed, at the last look.
    pub replayed: Option<Lsn>,
    /// How far behind the primary it was at the last check; `None` before
    /// the first.
    pub lag: Option<Duration>,
    /// Whether that is more than the configured most.
    behind: bool,
    /// Set while it is taken as down.
    down: Option<Down>,
}

#[derive(Debug)]
struct Down {
    failures: u32,
    retry_at: Instant,
    reason: String,
}

impl Health {
    /// Whether reads may go to it: it answers, and is not too far behind.
    pub fn in_rotation(&self) -> bool {
        self.down.is_none() && self.lag.is_some() && !self.behind
    }

    /// Why reads do not go to it, if they do not.
    pub fn out_because(&self) -> Option<String> {
        if let Some(down) = &self.down {
            Some(format!("down: {}", down.reason))
        } else if self.lag.is_none() {
            Some("not checked yet".into())
        } else if self.behind {
            Some("further behind the primary than --replica-max-lag-ms".into())
        } else {
            None
        }
    }
}

impl Member {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            reads: AtomicU64::new(0),
            health: Mutex::default(),
        }
    }

    pub fn with_health<T>(&self, look: impl FnOnce(&Health) -> T) -> T {
        // A poisoned lock only means a panic mid-update of a few numbers.
        look(&self.health.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn update(&self, change: impl FnOnce(&mut Health)) {
        change(&mut self.health.lock().unwrap_or_else(|e| e.into_inner()));
    }

    pub fn in_rotation(&self) -> bool {
        self.with_health(Health::in_rotation)
    }

    /// It has replayed at least this far (the log only moves forward).
    pub fn replayed(&self, lsn: Lsn) {
        self.update(|h| h.replayed = h.replayed.max(Some(lsn)));
    }

    /// It failed to answer: out of rotation, retried with backoff.
    pub fn failed(&self, reason: &str) {
        self.update(|h| {
            let failures = h.down.as_ref().map_or(0, |d| d.failures) + 1;
            let backoff = RETRY_FIRST
                .saturating_mul(1 << (failures - 1).min(16))
                .min(RETRY_MOST);
            if h.down.is_none() {
                tracing::warn!(%reason, "a database replica is out of rotation");
            }
            h.down = Some(Down {
                failures,
                retry_at: Instant::now() + backoff,
                reason: reason.to_owned(),
            });
        });
    }

    fn waiting_for_retry(&self) -> bool {
        self.with_health(|h| h.down.as_ref().is_some_and(|d| Instant::now() < d.retry_at))
    }

    fn checked(&self, replayed: Lsn, lag: Option<Duration>, max_lag: Duration) {
        self.update(|h| {
            if h.down.take().is_some() {
                tracing::info!("a database replica answers again");
            }
            h.replayed = h.replayed.max(Some(replayed));
            if let Some(lag) = lag.or(h.lag) {
                h.lag = Some(lag);
                h.behind = lag > max_lag;
            }
        });
    }
}

/// How often the checker looks: often enough that a replica is out of
/// rotation soon after it passes the most lag allowed.
fn interval(settings: &ReplicaSettings) -> Duration {
    (settings.max_lag / 4).clamp(Duration::from_millis(20), Duration::from_secs(1))
}

/// Checks the replicas until the databases are dropped.
pub(super) async fn check<C: Cluster + Send + Sync + 'static>(
    cluster: Weak<C>,
    settings: ReplicaSettings,
) {
    let every = interval(&settings);
    let answer_within = every.max(Duration::from_secs(1));
    let mut samples: VecDeque<(Instant, Lsn)> = VecDeque::new();
    loop {
        let Some(cluster) = cluster.upgrade() else {
            return;
        };
        if let Ok(Ok(written)) =
            tokio::time::timeout(answer_within, wal::written(cluster.primary())).await
        {
            samples.push_back((Instant::now(), written));
        }
        // Enough history to tell a lag of up to twice the most allowed.
        while samples.len() > 1 && samples[1].0.elapsed() > 2 * settings.max_lag + every {
            samples.pop_front();
        }
        for member in cluster.members() {
            if member.waiting_for_retry() {
                continue;
            }
            match tokio::time::timeout(answer_within, wal::replayed(&member.db)).await {
                Ok(Ok(Some(replayed))) => {
                    member.checked(replayed, lag(&samples, replayed), settings.max_lag);
                }
                Ok(Ok(None)) => member.failed("it is not replaying a primary's log"),
                Ok(Err(error)) => member.failed(&error.to_string()),
                Err(_) => member.failed("it did not answer in time"),
            }
        }
        drop(cluster);
        tokio::time::sleep(every).await;
    }
}

/// How far behind a replica that has replayed `replayed` is at most: the
/// time since the latest check whose primary position it has reached.
/// `None` when the primary's position is unknown (it did not answer).
fn lag(samples: &VecDeque<(Instant, Lsn)>, replayed: Lsn) -> Option<Duration> {
    let (oldest, _) = samples.front()?;
    let reached = samples.iter().rev().find(|(_, lsn)| *lsn <= replayed);
    // Behind every position remembered: more than the history's length.
    Some(reached.map_or_else(
        || oldest.elapsed() + Duration::from_secs(1),
        |(at, _)| at.elapsed(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_is_the_age_of_the_latest_position_reached() {
        let now = Instant::now();
        let samples: VecDeque<_> = [
            (now - Duration::from_millis(900), Lsn(100)),
            (now - Duration::from_millis(500), Lsn(200)),
            (now - Duration::from_millis(100), Lsn(300)),
        ]
        .into();
        let at = |lsn| lag(&samples, Lsn(lsn)).expect("known").as_millis();
        assert!((100..500).contains(&at(300)), "{}", at(300));
        assert!((500..900).contains(&at(250)), "{}", at(250));
        assert!(at(50) >= 1900, "{}", at(50));
        assert_eq!(lag(&VecDeque::new(), Lsn(1)), None);
    }
}

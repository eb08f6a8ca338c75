//! Live updates: every committed change set, whichever server wrote it,
//! reaches the subscribers of every server.
//!
//! A write announces its change set inside its transaction
//! ([`crate::store::notify::announce`]).
//! On PostgreSQL that is `pg_notify`, which the database delivers at commit
//! (never for a rollback) to every server that `LISTEN`s; the payload is only
//! the change set's id, far below the 8,000-byte limit however large the
//! change. On SQLite, a single server, the writer hands the id to
//! [`Live::committed`] after its commit. Each server loads an announced
//! change set once and broadcasts its changes through one bounded channel:
//! a subscriber that falls `buffer` changes behind is told that it lagged,
//! and its subscription ends rather than holding memory for it.
//!
//! The record a change names is read at most once per server, by whichever
//! subscriber asks for it first ([`LiveChange::record`]), and shared with
//! every other subscriber: a thousand subscribers selecting `record` cost
//! one statement, not a thousand.

use crate::domain::kinds::Kind;
use crate::store::Db;
use crate::store::api_keys;
use crate::store::changes::{self, ChangeRow};
use crate::store::notify::{self, CHANNEL, Heard, ListenError, Listener, Signal};
use crate::store::rows::{self, AnyRow};
use crate::store::wal::{self, Lsn};
use sea_orm::DbErr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OnceCell, broadcast, mpsc, watch};
use tokio::task::JoinHandle;

/// A committed change as this server's subscribers receive it.
pub struct LiveChange {
    row: ChangeRow,
    /// The record as it was first read after the commit (None: deleted).
    record: OnceCell<Option<AnyRow>>,
    /// The primary's WAL position read after the commit, on PostgreSQL: a
    /// consistency token for reading the change back from a replica.
    consistency: Option<Lsn>,
}

impl LiveChange {
    fn new(row: ChangeRow, consistency: Option<Lsn>) -> Self {
        Self {
            row,
            record: OnceCell::new(),
            consistency,
        }
    }

    /// A consistency token at or after the change's commit (PostgreSQL).
    pub fn consistency(&self) -> Option<Lsn> {
        self.consistency
    }

    /// The change row.
    pub fn row(&self) -> &ChangeRow {
        &self.row
    }

    /// The record the change names, as it is after the commit; read once
    /// for all subscribers (the others wait for that read, and a failed
    /// read is tried again by the next one to ask).
    pub async fn record(&self, db: &Db) -> Result<Option<&AnyRow>, DbErr> {
        let record = self
            .record
            .get_or_try_init(|| async {
                match Kind::from_type_name(&self.row.record_type) {
                    Some(kind) => rows::find_any_by_key(db, kind, &self.row.record_key).await,
                    None => Ok(None),
                }
            })
            .await?;
        Ok(record.as_ref())
    }
}

impl std::ops::Deref for LiveChange {
    type Target = ChangeRow;

    fn deref(&self) -> &ChangeRow {
        &self.row
    }
}

/// How far a SQLite feed has read.
struct Seen {
    change_set: i32,
    revoked_at: chrono::DateTime<chrono::Utc>,
}

/// This server's end of live updates: where subscribers listen.
#[derive(Clone)]
pub struct Live {
    inner: Arc<Inner>,
}

struct Inner {
    changes: broadcast::Sender<Arc<LiveChange>>,
    revoked: broadcast::Sender<Arc<str>>,
    /// On SQLite, committed signals go straight to the feed.
    local: Option<mpsc::UnboundedSender<Signal>>,
    shutdown: watch::Sender<bool>,
    feed: Mutex<Option<JoinHandle<()>>>,
}

impl Live {
    /// Starts the feed that turns announced change sets into changes for
    /// subscribers; each subscriber may fall `buffer` changes behind.
    pub fn start(db: Db, buffer: usize) -> Live {
        let (changes, _) = broadcast::channel(buffer.max(1));
        let (revoked, _) = broadcast::channel(64);
        let (shutdown, _) = watch::channel(false);
        let (local, feed) = if notify::database_delivers(&db) {
            (None, None)
        } else {
            let (sender, receiver) = mpsc::unbounded_channel();
            (Some(sender), Some(receiver))
        };
        let live = Live {
            inner: Arc::new(Inner {
                changes,
                revoked,
                local,
                shutdown,
                feed: Mutex::new(None),
            }),
        };
        let hub = live.clone();
        let task = match feed {
            Some(receiver) => tokio::spawn(hub.feed_local(db, receiver)),
            None => tokio::spawn(hub.feed_postgres(db)),
        };
        if let Ok(mut slot) = live.inner.feed.lock() {
            *slot = Some(task);
        }
        live
    }

    /// Tells this server's subscribers about a committed signal (SQLite;
    /// on PostgreSQL the database delivers the announcement instead).
    pub fn committed(&self, signal: Signal) {
        if let Some(local) = &self.inner.local {
            // Fails only once the feed has stopped, at shutdown.
            let _ = local.send(signal);
        }
    }

    /// Every change committed from now on.
    pub fn changes(&self) -> broadcast::Receiver<Arc<LiveChange>> {
        self.inner.changes.subscribe()
    }

    /// How many subscriptions listen for changes now.
    pub fn subscribers(&self) -> usize {
        self.inner.changes.receiver_count()
    }

    /// The names of keys revoked from now on.
    pub fn revocations(&self) -> broadcast::Receiver<Arc<str>> {
        self.inner.revoked.subscribe()
    }

    /// Becomes true when the server shuts down.
    pub fn shutting_down(&self) -> watch::Receiver<bool> {
        self.inner.shutdown.subscribe()
    }

    /// Closes every live connection and stops the feed.
    pub fn shutdown(&self) {
        self.inner.shutdown.send_replace(true);
        if let Ok(mut slot) = self.inner.feed.lock()
            && let Some(task) = slot.take()
        {
            task.abort();
        }
    }

    /// On SQLite: change sets and revocations are read from their tables,
    /// in commit order, whenever a write of this server commits, and every
    /// second while anyone listens, so that writes of other processes (a
    /// `twinning import` or `keys revoke` from the command line) reach
    /// subscribers too, within a second.
    async fn feed_local(self, db: Db, mut signals: mpsc::UnboundedReceiver<Signal>) {
        let mut seen = Seen {
            change_set: 0,
            revoked_at: chrono::Utc::now(),
        };
        // Everything committed before the server started is old news.
        if let Err(error) = self.poll(&db, &mut seen, false).await {
            tracing::error!(%error, "live updates: cannot read the change history");
        }
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let mut listened = false;
        loop {
            let woken = tokio::select! {
                signal = signals.recv() => match signal {
                    Some(_) => true,
                    None => return,
                },
                _ = tick.tick() => false,
            };
            let listening =
                self.inner.changes.receiver_count() + self.inner.revoked.receiver_count() > 0;
            // What other processes wrote while nobody listened is old news
            // to whoever listens now.
            let deliver = woken || (listening && listened);
            listened = listening;
            if !woken && !listening {
                continue;
            }
            if let Err(error) = self.poll(&db, &mut seen, deliver).await {
                tracing::error!(%error, "live updates: cannot read new change sets");
            }
        }
    }

    /// Delivers what was committed since `seen` (or, with `deliver` false,
    /// only moves `seen` up to now).
    async fn poll(&self, db: &Db, seen: &mut Seen, deliver: bool) -> Result<(), DbErr> {
        for id in changes::find_change_set_ids_after(db, seen.change_set).await? {
            seen.change_set = id;
            if deliver {
                self.dispatch(db, Signal::ChangeSet(id)).await;
            }
        }
        for (name, revoked_at) in api_keys::find_revoked_since(db, seen.revoked_at).await? {
            seen.revoked_at = revoked_at;
            if deliver {
                self.dispatch(db, Signal::KeyRevoked(name)).await;
            }
        }
        Ok(())
    }

    /// Listens on PostgreSQL, reconnecting with backoff whenever the
    /// listener's connection is lost, until the pool closes.
    async fn feed_postgres(self, db: Db) {
        let mut backoff = Duration::from_millis(100);
        loop {
            let listening = async {
                let mut listener = Listener::listen(&db).await?;
                tracing::info!(channel = CHANNEL, "live updates: listening");
                loop {
                    match listener.recv().await? {
                        Heard::Signal(signal) => {
                            backoff = Duration::from_millis(100);
                            self.dispatch(&db, signal).await;
                        }
                        Heard::Noise => backoff = Duration::from_millis(100),
                        Heard::Reconnected => tracing::warn!(
                            "live updates: the listener's connection dropped and was re-established; \
                             changes committed in between were not delivered"
                        ),
                    }
                }
            };
            let error: ListenError = match listening.await {
                Ok(()) => return,
                Err(error) => error,
            };
            if matches!(error, ListenError::PoolClosed) {
                return;
            }
            tracing::warn!(%error, retry_in_ms = backoff.as_millis() as u64, "live updates: lost the PostgreSQL listener");
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    }

    /// Delivers one signal to this server's subscribers.
    async fn dispatch(&self, db: &Db, signal: Signal) {
        match signal {
            Signal::KeyRevoked(name) => {
                let _ = self.inner.revoked.send(name.into());
            }
            Signal::ChangeSet(id) => {
                if self.inner.changes.receiver_count() == 0 {
                    return;
                }
                if let Err(error) = self.broadcast_change_set(db, id).await {
                    tracing::error!(%error, change_set = id, "live updates: cannot load a change set");
                }
            }
        }
    }

    /// Loads a change set's changes page by page and broadcasts each.
    async fn broadcast_change_set(&self, db: &Db, id: i32) -> Result<(), DbErr> {
        const PAGE: usize = 1000;
        // The change set has committed (it was announced at commit): any
        // position read now is at or after it. One statement per change
        // set, and only while someone subscribes.
        let consistency = match notify::database_delivers(db) {
            true => match wal::written(db).await {
                Ok(lsn) => Some(lsn),
                Err(error) => {
                    tracing::warn!(%error, "live updates: reading the primary's WAL position");
                    None
                }
            },
            false => None,
        };
        let mut last = 0;
        loop {
            let rows = changes::find_changes_page(db, id, last, PAGE as u64).await?;
            let Some(row) = rows.last() else {
                return Ok(());
            };
            last = row.id;
            let full = rows.len() == PAGE;
            for row in rows {
                // No receivers left is not an error: nobody is listening.
                let _ = self
                    .inner
                    .changes
                    .send(Arc::new(LiveChange::new(row, consistency)));
            }
            if !full {
                return Ok(());
            }
        }
    }
}

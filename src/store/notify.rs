//! Telling every server of a committed change set or a revoked key: on
//! PostgreSQL `pg_notify`, which the database delivers at commit (never for
//! a rollback) to every server that `LISTEN`s; the payload is only the
//! change set's id, far below the 8,000-byte limit however large the
//! change. On SQLite, a single server, nothing is sent: the writer tells its
//! own server after committing.

use super::Db;
use sea_orm::sea_query::{Expr, Func, Query, SimpleExpr};
use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{ConnectionTrait, DbBackend, DbErr};

/// Why a listener stopped: its connection failed, or the pool closed.
pub use sea_orm::sqlx::Error as ListenError;

/// The PostgreSQL channel every server listens on.
pub const CHANNEL: &str = "twinning_live";

/// What a server tells the others.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signal {
    /// A change set was committed.
    ChangeSet(i32),
    /// An API key was revoked: its subscriptions must end.
    KeyRevoked(String),
}

impl Signal {
    /// The signal as a notification's payload.
    pub fn encode(&self) -> String {
        match self {
            Signal::ChangeSet(id) => format!("{CHANGE_SET}:{id}"),
            Signal::KeyRevoked(name) => format!("key_revoked:{name}"),
        }
    }

    /// The signal a payload carries, if any.
    pub fn decode(text: &str) -> Option<Self> {
        match text.split_once(':')? {
            (CHANGE_SET, id) => id.parse().ok().map(Signal::ChangeSet),
            ("key_revoked", name) => Some(Signal::KeyRevoked(name.to_owned())),
            _ => None,
        }
    }
}

/// The payload's prefix of [`Signal::ChangeSet`].
const CHANGE_SET: &str = "change_set";

/// Announces the change set whose id is `id` (PostgreSQL), as an expression
/// of the statement that inserts it: the announcement costs no round trip
/// of its own. The same payload as [`Signal::encode`].
pub(super) fn announce_change_set(id: Expr) -> SimpleExpr {
    Func::cust("pg_notify")
        .arg(CHANNEL)
        .arg(Func::cust("concat").arg(format!("{CHANGE_SET}:")).arg(id))
        .into()
}

/// Announces `signal` to every server: inside a transaction on PostgreSQL
/// it goes out at commit, and not at all on rollback. On SQLite it does
/// nothing; the writer tells its own server after committing.
pub async fn announce(db: &impl ConnectionTrait, signal: &Signal) -> Result<(), DbErr> {
    if database_delivers(db) {
        let notify = Query::select()
            .expr(Func::cust("pg_notify").arg(CHANNEL).arg(signal.encode()))
            .to_owned();
        db.query_one(&notify).await?;
    }
    Ok(())
}

/// Whether the database delivers announcements to every server
/// (PostgreSQL); on SQLite the writer tells its own server instead.
pub fn database_delivers(db: &impl ConnectionTrait) -> bool {
    db.get_database_backend() == DbBackend::Postgres
}

/// What a [`Listener`] heard.
#[derive(Debug)]
pub enum Heard {
    /// A signal from a server (this one included).
    Signal(Signal),
    /// A notification on the channel that is no signal of this version.
    Noise,
    /// The listener's connection dropped and was re-established: signals
    /// sent in between were lost.
    Reconnected,
}

/// A PostgreSQL connection of its own that `LISTEN`s on [`CHANNEL`].
pub struct Listener(PgListener);

impl Listener {
    /// Connects with the pool's settings and starts listening.
    pub async fn listen(db: &Db) -> Result<Self, ListenError> {
        let mut listener =
            PgListener::connect_with(db.untraced().get_postgres_connection_pool()).await?;
        listener.listen(CHANNEL).await?;
        Ok(Self(listener))
    }

    /// Waits for the next notification.
    pub async fn recv(&mut self) -> Result<Heard, ListenError> {
        Ok(match self.0.try_recv().await? {
            Some(notification) => match Signal::decode(notification.payload()) {
                Some(signal) => Heard::Signal(signal),
                None => Heard::Noise,
            },
            None => Heard::Reconnected,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_round_trip_through_their_text() {
        for signal in [
            Signal::ChangeSet(42),
            Signal::KeyRevoked("partner:one".to_owned()),
        ] {
            assert_eq!(Signal::decode(&signal.encode()), Some(signal));
        }
        assert_eq!(Signal::decode("nonsense"), None);
    }
}

//! Telling every server of a committed change set or a revoked key: on
//! PostgreSQL `pg_notify`, which the database delivers at commit (never for
//! a rollback) to every server that `LISTEN`s; the payload is only the
//! change set's id, far below the 8,000-byte limit however large the
//! change. On SQLite, a single server, nothing is sent: the writer tells its
//! own server after committing.

use crate::store::Sql;
use sea_orm::{ConnectionTrait, DbBackend, DbErr};

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
    pub fn encode(&self) -> String {
        match self {
            Signal::ChangeSet(id) => format!("change_set:{id}"),
            Signal::KeyRevoked(name) => format!("key_revoked:{name}"),
        }
    }

    pub fn decode(text: &str) -> Option<Self> {
        match text.split_once(':')? {
            ("change_set", id) => id.parse().ok().map(Signal::ChangeSet),
            ("key_revoked", name) => Some(Signal::KeyRevoked(name.to_owned())),
            _ => None,
        }
    }
}

/// Announces `signal` to every server: inside a transaction on PostgreSQL
/// it goes out at commit, and not at all on rollback. On SQLite it does
/// nothing; the writer tells its own server after committing.
pub async fn announce(db: &impl ConnectionTrait, signal: &Signal) -> Result<(), DbErr> {
    if db.get_database_backend() == DbBackend::Postgres {
        let mut notify = Sql::new(format!("SELECT pg_notify('{CHANNEL}', "));
        notify.bind(signal.encode()).push(")");
        db.query_one_raw(notify.statement(DbBackend::Postgres))
            .await?;
    }
    Ok(())
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

//! Positions in PostgreSQL's write-ahead log: how far the primary has
//! written, how far a streaming replica has replayed. A consistency token
//! is such a position.

use sea_orm::sea_query::{Alias, Func, Query};
use sea_orm::{ConnectionTrait, DbErr};
use std::fmt;

/// Which part a database plays: where a statement ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DbRole {
    /// The database every write goes to.
    Primary,
    /// A streaming replica of it, read-only and perhaps behind.
    Replica,
}

impl DbRole {
    /// The role as metrics, `/ready` and logs name it.
    pub const fn as_str(self) -> &'static str {
        match self {
            DbRole::Primary => "primary",
            DbRole::Replica => "replica",
        }
    }
}

/// A position in the write-ahead log (`pg_lsn`), written as PostgreSQL
/// does: two hexadecimal halves, `16/B374D848`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Lsn(pub u64);

impl std::str::FromStr for Lsn {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let invalid = || format!("{text:?} is not a WAL position such as \"0/16B3748\"");
        let (high, low) = text.trim().split_once('/').ok_or_else(invalid)?;
        let half = |part: &str| {
            (!part.is_empty() && part.len() <= 8)
                .then(|| u32::from_str_radix(part, 16).ok())
                .flatten()
                .ok_or_else(invalid)
        };
        Ok(Lsn(u64::from(half(high)?) << 32 | u64::from(half(low)?)))
    }
}

impl fmt::Display for Lsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:X}/{:X}", self.0 >> 32, self.0 & 0xFFFF_FFFF)
    }
}

/// Reads one `pg_lsn` function as text (sqlx has no `pg_lsn` type), or
/// `None` when it is NULL.
async fn position(db: &impl ConnectionTrait, function: &str) -> Result<Option<Lsn>, DbErr> {
    let select = Query::select()
        .expr(Func::cast_as(Func::cust(Alias::new(function)), "text"))
        .to_owned();
    let row = db
        .query_one(&select)
        .await?
        .ok_or_else(|| DbErr::Custom(format!("{function}() returned no row")))?;
    row.try_get_by_index::<Option<String>>(0)?
        .map(|text| text.parse().map_err(DbErr::Custom))
        .transpose()
}

/// How far the primary has written: every transaction committed before
/// this call is at or before it.
pub async fn written(db: &impl ConnectionTrait) -> Result<Lsn, DbErr> {
    position(db, "pg_current_wal_lsn")
        .await?
        .ok_or_else(|| DbErr::Custom("pg_current_wal_lsn() is NULL".into()))
}

/// How far the primary has inserted into its log: every transaction seen
/// committed before this call is at or before it, even one committed
/// without waiting for its flush.
pub async fn inserted(db: &impl ConnectionTrait) -> Result<Lsn, DbErr> {
    position(db, "pg_current_wal_insert_lsn")
        .await?
        .ok_or_else(|| DbErr::Custom("pg_current_wal_insert_lsn() is NULL".into()))
}

/// How far a replica has replayed the primary's log; `None` on a server
/// that is not replaying one (a primary, or a replica before its first
/// record).
pub async fn replayed(db: &impl ConnectionTrait) -> Result<Option<Lsn>, DbErr> {
    position(db, "pg_last_wal_replay_lsn").await
}

#[cfg(test)]
mod tests {
    use super::Lsn;

    #[test]
    fn a_position_reads_and_writes_as_postgresql_does() {
        let lsn: Lsn = "16/B374D848".parse().expect("parses");
        assert_eq!(lsn.0, 0x16_B374_D848);
        assert_eq!(lsn.to_string(), "16/B374D848");
        assert!("0/3000148".parse::<Lsn>().expect("parses") < lsn);
        for bad in ["", "16", "/1", "1/", "x/1", "1/123456789", "1/2/3"] {
            assert!(bad.parse::<Lsn>().is_err(), "{bad:?}");
        }
    }
}

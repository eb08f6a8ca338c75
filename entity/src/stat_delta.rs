//! `stat_delta`: on PostgreSQL, changes to `stat_count` a transaction made,
//! folded into it when the transaction commits (always empty on SQLite).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stat_delta")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub dimension: String,
    pub key: String,
    pub delta: i64,
    /// The transaction that wrote it (PostgreSQL's `txid_current()`), which
    /// the fold and a reader of its own deltas look for; 0 on SQLite.
    pub tx: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

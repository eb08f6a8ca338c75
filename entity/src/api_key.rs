//! `api_key`: a client's key (only its hash), role and state.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_key")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub name: String,
    /// `reader`, `editor` or `admin`.
    pub role: String,
    /// The public part of the key, which finds the row.
    #[sea_orm(unique)]
    pub prefix: String,
    /// SHA-256 of the whole key, hex.
    pub hash: String,
    /// The key may run only the server's trusted documents.
    pub trusted_documents_only: bool,
    /// The city keys a scoped editor may change, comma-separated; null for
    /// a key that may change every record its role allows.
    pub scope: Option<String>,
    pub revoked_at: Option<DateTimeUtc>,
    pub last_used_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

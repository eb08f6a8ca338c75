//! `change_set`: one write operation, by whom and when.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change_set")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The API key's name, or `cli`.
    pub actor: String,
    /// The mutation or command, such as `importDocument`.
    pub operation: String,
    pub created_at: DateTimeUtc,
    /// The city keys of the scope the write was made under, comma-separated;
    /// null when unscoped.
    pub scope: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

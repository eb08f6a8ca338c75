//! `protocol`: a signed document: protocol of intentions, agreement, memorandum.

use crate::enums::ProtocolKind;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "protocol")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub key: String,
    pub kind: ProtocolKind,
    pub title: String,
    pub signed_on: Option<String>,
    pub signed_on_start: Option<Date>,
    pub signed_on_end: Option<Date>,
    /// The city where it was signed.
    pub signed_in_id: Option<i32>,
    pub partnership_id: Option<i32>,
    pub visit_id: Option<i32>,
    pub event_id: Option<i32>,
    pub summary: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! `partnership`: the relation between two cities, one per unordered pair and kind.

use crate::enums::{PartnershipKind, PartnershipStatus};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "partnership")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub key: String,
    /// The first city as the sources name the pair.
    pub city_a_id: i32,
    pub city_b_id: i32,
    pub kind: PartnershipKind,
    /// The current status; its dated history is `partnership_status_change`.
    pub status: PartnershipStatus,
    pub proposed_on: Option<String>,
    pub proposed_on_start: Option<Date>,
    pub proposed_on_end: Option<Date>,
    pub established_on: Option<String>,
    pub established_on_start: Option<Date>,
    pub established_on_end: Option<Date>,
    pub ended_on: Option<String>,
    pub ended_on_start: Option<Date>,
    pub ended_on_end: Option<Date>,
    pub notes: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

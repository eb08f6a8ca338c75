//! `partnership_status_change`: one dated step in a partnership's status history.

use crate::enums::PartnershipStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "partnership_status_change")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub partnership_id: i32,
    pub status: PartnershipStatus,
    pub occurred_on: Option<String>,
    pub occurred_on_start: Option<Date>,
    pub occurred_on_end: Option<Date>,
    /// The side that took the step, when only one did.
    pub city_id: Option<i32>,
    /// The document that made the step.
    pub protocol_id: Option<i32>,
    /// Superseded by the step's citations
    /// (`partnership_status_change_source`), which its value was copied to.
    pub source_id: Option<i32>,
    pub note: Option<String>,
    /// Rebuilt from the partnership's dates on every import.
    pub derived: bool,
    /// The step's place in its partnership's history (undated steps have no
    /// date to sort by).
    pub position: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

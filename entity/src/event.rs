//! `event`: a festival, exhibition, anniversary or forum hosted by a city.

use crate::enums::EventKind;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub key: String,
    pub name: String,
    pub kind: EventKind,
    pub host_city_id: i32,
    pub start_date: String,
    pub start_date_start: Date,
    pub start_date_end: Date,
    pub end_date: Option<String>,
    pub end_date_start: Option<Date>,
    pub end_date_end: Option<Date>,
    pub description: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

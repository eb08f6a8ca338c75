//! `protocol_party`: the cities that signed a protocol, in order.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "protocol_party")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub protocol_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub city_id: i32,
    /// 0 for the first party.
    pub position: i16,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! `city_name`: a city's name in one language.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "city_name")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub city_id: i32,
    /// BCP 47 language tag.
    #[sea_orm(primary_key, auto_increment = false)]
    pub lang: String,
    pub name: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

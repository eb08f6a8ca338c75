//! `change`: what one write did to one record (before and after, as
//! interchange JSON of the changed fields).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub change_set_id: i32,
    /// The GraphQL type name, such as `City`.
    pub record_type: String,
    pub record_key: String,
    /// `CREATED`, `UPDATED` or `DELETED`.
    pub action: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! A partnership's status history (`partnership_status_change`): the steps
//! recorded through the API, which move the partnership itself, and the
//! steps import derives from a partnership's dates and protocols (marked
//! `derived`, rebuilt on every import).

use super::CHUNK;
use crate::domain::partial_date::PartialDate;
use crate::domain::vocabulary::PartnershipStatus;
use entity::{partnership, partnership_status_change as step, protocol};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::prelude::DateTimeUtc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder,
};
use std::collections::HashSet;

/// A step derived from a partnership's dates or one of its protocols.
pub struct DerivedStep {
    pub partnership_id: i32,
    pub status: entity::enums::PartnershipStatus,
    /// When, if known.
    pub on: Option<PartialDate>,
    /// The protocol behind the step, if any.
    pub protocol_id: Option<i32>,
}

/// A lifecycle step to record for a partnership.
pub struct NewStep {
    pub status: PartnershipStatus,
    pub on: PartialDate,
    /// The city that took the step, when only one side did.
    pub city_id: Option<i32>,
    pub protocol_id: Option<i32>,
    pub source_id: Option<i32>,
    pub note: Option<String>,
}

/// A derived step without a protocol, to complete.
fn step_row(
    partnership_id: i32,
    status: entity::enums::PartnershipStatus,
    on: Option<PartialDate>,
    now: DateTimeUtc,
) -> step::ActiveModel {
    step::ActiveModel {
        id: NotSet,
        partnership_id: Set(partnership_id),
        status: Set(status),
        occurred_on: Set(on.map(|d| d.to_string())),
        occurred_on_start: Set(on.map(PartialDate::start)),
        occurred_on_end: Set(on.map(PartialDate::end)),
        city_id: Set(None),
        protocol_id: Set(None),
        source_id: Set(None),
        note: Set(None),
        derived: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

/// Deletes the derived steps of the given partnerships.
pub async fn delete_derived(
    db: &impl ConnectionTrait,
    partnership_ids: &[i32],
) -> Result<(), DbErr> {
    for ids in partnership_ids.chunks(CHUNK) {
        step::Entity::delete_many()
            .filter(step::Column::Derived.eq(true))
            .filter(step::Column::PartnershipId.is_in(ids.iter().copied()))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Deletes the step import derived from a protocol, which a step recorded
/// through the API replaces.
pub async fn delete_derived_of_protocol(
    db: &impl ConnectionTrait,
    protocol_id: i32,
) -> Result<(), DbErr> {
    step::Entity::delete_many()
        .filter(step::Column::Derived.eq(true))
        .filter(step::Column::ProtocolId.eq(protocol_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The protocols of the given partnerships, by signing date.
pub async fn find_protocols_of(
    db: &impl ConnectionTrait,
    partnership_ids: &[i32],
) -> Result<Vec<protocol::Model>, DbErr> {
    protocol::Entity::find()
        .filter(protocol::Column::PartnershipId.is_in(partnership_ids.iter().copied()))
        .order_by_asc(protocol::Column::SignedOnStart)
        .all(db)
        .await
}

/// The protocols behind the steps recorded through the API for the given
/// partnerships.
pub async fn find_recorded_protocol_ids(
    db: &impl ConnectionTrait,
    partnership_ids: &[i32],
) -> Result<HashSet<i32>, DbErr> {
    Ok(step::Entity::find()
        .filter(step::Column::Derived.eq(false))
        .filter(step::Column::PartnershipId.is_in(partnership_ids.iter().copied()))
        .filter(step::Column::ProtocolId.is_not_null())
        .all(db)
        .await?
        .into_iter()
        .filter_map(|s| s.protocol_id)
        .collect())
}

/// Stores derived steps, created `now`.
pub async fn insert_derived(
    db: &impl ConnectionTrait,
    steps: &[DerivedStep],
    now: DateTimeUtc,
) -> Result<(), DbErr> {
    let rows: Vec<step::ActiveModel> = steps
        .iter()
        .map(|derived| step::ActiveModel {
            protocol_id: Set(derived.protocol_id),
            ..step_row(derived.partnership_id, derived.status, derived.on, now)
        })
        .collect();
    // Twelve values a row.
    super::write::insert_all::<step::Entity>(db, &rows, CHUNK / 4).await
}

/// The newest step recorded through the API for a partnership.
pub async fn find_newest_recorded(
    db: &impl ConnectionTrait,
    partnership_id: i32,
) -> Result<Option<step::Model>, DbErr> {
    step::Entity::find()
        .filter(step::Column::PartnershipId.eq(partnership_id))
        .filter(step::Column::Derived.eq(false))
        .order_by_desc(step::Column::Id)
        .one(db)
        .await
}

/// Takes a lifecycle step: moves the partnership `current` (as read) to the
/// step's status, reaching ACTIVE sets `establishedOn` if unknown and
/// SUSPENDED or ENDED sets `endedOn`, and records the step. `None`, with
/// nothing written, if the partnership changed since it was read.
pub async fn advance(
    db: &impl ConnectionTrait,
    current: &partnership::Model,
    new: NewStep,
    now: DateTimeUtc,
) -> Result<Option<(partnership::Model, step::Model)>, DbErr> {
    if !move_partnership(db, current, &new, now).await? {
        return Ok(None);
    }
    let updated = partnership::Entity::find_by_id(current.id)
        .one(db)
        .await?
        .ok_or(DbErr::RecordNotUpdated)?;
    let recorded = step::ActiveModel {
        city_id: Set(new.city_id),
        protocol_id: Set(new.protocol_id),
        source_id: Set(new.source_id),
        note: Set(new.note),
        derived: Set(false),
        ..step_row(updated.id, new.status.into(), Some(new.on), now)
    }
    .insert(db)
    .await?;
    Ok(Some((updated, recorded)))
}

/// Writes the partnership's side of a step; false if it changed since
/// `current` was read.
async fn move_partnership(
    db: &impl ConnectionTrait,
    current: &partnership::Model,
    new: &NewStep,
    now: DateTimeUtc,
) -> Result<bool, DbErr> {
    use PartnershipStatus::{Active, Ended, Suspended};
    let on = new.on;
    let mut row = current.clone().into_active_model();
    row.status = Set(new.status.into());
    if new.status == Active && current.established_on.is_none() {
        row.established_on = Set(Some(on.to_string()));
        row.established_on_start = Set(Some(on.start()));
        row.established_on_end = Set(Some(on.end()));
    }
    if matches!(new.status, Suspended | Ended) {
        row.ended_on = Set(Some(on.to_string()));
        row.ended_on_start = Set(Some(on.start()));
        row.ended_on_end = Set(Some(on.end()));
    }
    row.updated_at = Set(now);
    // Only if nobody changed it since it was read: with the caller's check
    // of `updatedAt`, this makes concurrent steps one-wins.
    let written = partnership::Entity::update_many()
        .set(row)
        .filter(partnership::Column::Id.eq(current.id))
        .filter(partnership::Column::UpdatedAt.eq(current.updated_at))
        .exec(db)
        .await?;
    Ok(written.rows_affected == 1)
}

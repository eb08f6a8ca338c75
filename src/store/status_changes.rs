//! A partnership's status history (`partnership_status_change`): the steps
//! recorded through the API (which move the partnership itself) or given in
//! an imported `statusHistory`, and the steps import derives from a
//! partnership's dates and protocols (marked `derived`, rebuilt on import).
//! Each step has its place in the history (`position`) and cites sources.

use super::CHUNK;
use crate::domain::partial_date::PartialDate;
use crate::domain::vocabulary::PartnershipStatus;
use entity::{partnership, partnership_status_change as step, protocol};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::prelude::DateTimeUtc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, sea_query::Expr,
};

/// A step of a history to store: given in a document's `statusHistory`,
/// or derived from a partnership's dates and protocols.
pub struct HistoryStep {
    pub partnership_id: i32,
    pub status: entity::enums::PartnershipStatus,
    /// When, if known.
    pub on: Option<PartialDate>,
    /// The side that took the step, when only one did.
    pub city_id: Option<i32>,
    /// The protocol behind the step, if any.
    pub protocol_id: Option<i32>,
    pub note: Option<String>,
    pub source_ids: Vec<i32>,
    pub derived: bool,
    /// Its place in the partnership's history.
    pub position: i32,
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

/// A step's row, to complete.
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
        position: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

/// The steps of the given partnerships (or of all), each with its sources,
/// in history order per partnership.
pub async fn find_histories(
    db: &impl ConnectionTrait,
    partnership_ids: Option<&[i32]>,
) -> Result<Vec<(step::Model, Vec<i32>)>, DbErr> {
    let mut steps = Vec::new();
    let chunks: Vec<Option<&[i32]>> = match partnership_ids {
        Some(ids) => ids.chunks(CHUNK).map(Some).collect(),
        None => vec![None],
    };
    for chunk in chunks {
        let mut select = step::Entity::find();
        if let Some(ids) = chunk {
            select = select.filter(step::Column::PartnershipId.is_in(ids.iter().copied()));
        }
        steps.extend(
            select
                .order_by_asc(step::Column::PartnershipId)
                .order_by_asc(step::Column::Position)
                .order_by_asc(step::Column::Id)
                .all(db)
                .await?,
        );
    }
    let ids: Vec<i32> = steps.iter().map(|s| s.id).collect();
    let owners = partnership_ids.map(|_| ids.as_slice());
    let mut sources =
        super::links::find_links(db, &super::links::STATUS_CHANGE_SOURCES, owners).await?;
    Ok(steps
        .into_iter()
        .map(|s| {
            let cited = sources.remove(&s.id).unwrap_or_default();
            (s, cited)
        })
        .collect())
}

/// Deletes every step, recorded or derived, of the given partnerships.
pub async fn delete_histories(
    db: &impl ConnectionTrait,
    partnership_ids: &[i32],
) -> Result<(), DbErr> {
    for ids in partnership_ids.chunks(CHUNK) {
        step::Entity::delete_many()
            .filter(step::Column::PartnershipId.is_in(ids.iter().copied()))
            .exec(db)
            .await?;
    }
    Ok(())
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

/// Stores steps, created `now`, with their citations.
pub async fn insert_steps(
    db: &impl ConnectionTrait,
    steps: Vec<HistoryStep>,
    now: DateTimeUtc,
) -> Result<(), DbErr> {
    let mut citations = Vec::new();
    let rows: Vec<step::ActiveModel> = steps
        .into_iter()
        .map(|given| {
            citations.push(given.source_ids);
            step::ActiveModel {
                city_id: Set(given.city_id),
                protocol_id: Set(given.protocol_id),
                note: Set(given.note),
                derived: Set(given.derived),
                position: Set(given.position),
                ..step_row(given.partnership_id, given.status, given.on, now)
            }
        })
        .collect();
    let stored = super::write::insert_rows::<step::Entity>(db, rows, now).await?;
    let links: Vec<(i32, Vec<i32>)> = stored
        .iter()
        .zip(citations)
        .filter(|(_, sources)| !sources.is_empty())
        .map(|(row, sources)| (row.id, sources))
        .collect();
    super::links::insert_links(db, &super::links::STATUS_CHANGE_SOURCES, &links).await
}

/// Moves stored steps to new places in their histories.
pub async fn set_positions(
    db: &impl ConnectionTrait,
    positions: &[(i32, i32)],
) -> Result<(), DbErr> {
    for (id, position) in positions {
        step::Entity::update_many()
            .col_expr(step::Column::Position, Expr::value(*position))
            .filter(step::Column::Id.eq(*id))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// The newest step recorded through the API for a partnership.
pub async fn find_newest_recorded(
    db: &impl ConnectionTrait,
    partnership_id: i32,
) -> Result<Option<step::Model>, DbErr> {
    let select = step::Entity::find()
        .filter(step::Column::PartnershipId.eq(partnership_id))
        .filter(step::Column::Derived.eq(false))
        .order_by_desc(step::Column::Id);
    super::first(db, select).await
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
    let Some(updated) = move_partnership(db, current, &new, now).await? else {
        return Ok(None);
    };
    let last = step::Entity::find()
        .filter(step::Column::PartnershipId.eq(updated.id))
        .order_by_desc(step::Column::Position);
    let last = super::first(db, last).await?;
    let recorded = step::ActiveModel {
        city_id: Set(new.city_id),
        protocol_id: Set(new.protocol_id),
        note: Set(new.note),
        derived: Set(false),
        position: Set(last.map_or(0, |s| s.position + 1)),
        ..step_row(updated.id, new.status.into(), Some(new.on), now)
    }
    .insert(db)
    .await?;
    if let Some(source_id) = new.source_id {
        let cited = [(recorded.id, vec![source_id])];
        super::links::insert_links(db, &super::links::STATUS_CHANGE_SOURCES, &cited).await?;
    }
    Ok(Some((updated, recorded)))
}

/// Writes the partnership's side of a step; the partnership as written, or
/// `None` if it changed since `current` was read.
async fn move_partnership(
    db: &impl ConnectionTrait,
    current: &partnership::Model,
    new: &NewStep,
    now: DateTimeUtc,
) -> Result<Option<partnership::Model>, DbErr> {
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
        .exec_with_returning(db)
        .await?;
    Ok(written.into_iter().next())
}

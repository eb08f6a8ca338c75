//! `advancePartnership`: moves a partnership along its lifecycle, recording
//! each step with its date and evidence.

use super::{UserError, actor};
use crate::auth::{Role, RoleGuard};
use crate::error::Result;
use crate::graphql::partnership::{Partnership, StatusChange};
use crate::graphql::{db, scalars::PartialDate};
use crate::history::RecordChange;
use crate::interchange::ProblemCode;
use async_graphql::{Context, InputObject, Object, SimpleObject};
use entity::enums::PartnershipStatus::{self, *};
use entity::{city, partnership, partnership_status_change as step, protocol, source};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter};
use serde_json::json;

/// A step in a partnership's lifecycle.
#[derive(InputObject)]
pub struct AdvancePartnershipInput {
    /// The partnership's key.
    pub partnership: String,
    /// The status it reaches.
    pub status: PartnershipStatus,
    /// When, as precisely as known.
    pub on: PartialDate,
    /// The key of the protocol that made the step, if any.
    pub protocol: Option<String>,
    /// The key of a source that reports it, if any.
    pub source: Option<String>,
    /// The key of the city that took the step, when only one side did.
    pub city: Option<String>,
    /// A note on the step.
    pub note: Option<String>,
    /// The partnership's `updatedAt` as the client last read it: if it has
    /// changed since, the step is refused with `CONFLICT`.
    pub expected_updated_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The result of `advancePartnership`.
#[derive(SimpleObject)]
pub struct AdvancePartnershipPayload {
    /// The partnership after the step.
    pub partnership: Option<Partnership>,
    /// The recorded step.
    pub status_change: Option<StatusChange>,
    /// Why the step was refused, if it was.
    pub user_errors: Vec<UserError>,
}

impl AdvancePartnershipPayload {
    fn refused(errors: Vec<UserError>) -> Self {
        Self {
            partnership: None,
            status_change: None,
            user_errors: errors,
        }
    }
}

/// Whether the lifecycle allows moving from one status to another:
/// forward along proposed → intent signed → agreement signed → active
/// (steps may be skipped, and a second protocol of intentions repeats
/// "intent signed"), active ⇄ suspended, and active or suspended → ended.
pub fn allowed(from: PartnershipStatus, to: PartnershipStatus) -> bool {
    let rank = |s| match s {
        Proposed => Some(0),
        IntentSigned => Some(1),
        AgreementSigned => Some(2),
        Active => Some(3),
        _ => None,
    };
    match (from, to) {
        (IntentSigned, IntentSigned)
        | (Active, Suspended)
        | (Suspended, Active)
        | (Active | Suspended, Ended) => true,
        _ => matches!((rank(from), rank(to)), (Some(a), Some(b)) if b > a),
    }
}

#[derive(Default)]
pub struct LifecycleMutation;

#[Object]
impl LifecycleMutation {
    /// Moves a partnership to a new status on a date, with its evidence. An
    /// illegal step is an `INVALID_TRANSITION` user error. Reaching ACTIVE
    /// sets `establishedOn` if unknown; SUSPENDED or ENDED sets `endedOn`.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn advance_partnership(
        &self,
        ctx: &Context<'_>,
        input: AdvancePartnershipInput,
    ) -> Result<AdvancePartnershipPayload> {
        let txn = crate::db::begin_write(db(ctx)).await?;
        let Some(current) = partnership::Entity::find()
            .filter(partnership::Column::Key.eq(&input.partnership))
            .one(&txn)
            .await?
        else {
            let message = format!("no partnership with key {:?}", input.partnership);
            return Ok(AdvancePartnershipPayload::refused(vec![UserError::new(
                &["input", "partnership"],
                ProblemCode::NotFound,
                message,
            )]));
        };
        let mut errors = Vec::new();
        if let Some(expected) = input.expected_updated_at
            && expected != current.updated_at
        {
            errors.push(UserError::new(
                &["input", "expectedUpdatedAt"],
                ProblemCode::Conflict,
                format!(
                    "the partnership changed at {} after you read it; read it again",
                    current.updated_at.to_rfc3339()
                ),
            ));
        }
        if !allowed(current.status, input.status) {
            errors.push(UserError::new(
                &["input", "status"],
                ProblemCode::InvalidTransition,
                format!(
                    "a partnership cannot go from {} to {}",
                    current.status.as_str(),
                    input.status.as_str()
                ),
            ));
        }
        let protocol_id = match &input.protocol {
            Some(key) => match protocol::Entity::find()
                .filter(protocol::Column::Key.eq(key))
                .one(&txn)
                .await?
            {
                Some(p) => Some(p.id),
                None => {
                    errors.push(UserError::new(
                        &["input", "protocol"],
                        ProblemCode::NotFound,
                        format!("no protocol with key {key:?}"),
                    ));
                    None
                }
            },
            None => None,
        };
        let source_id = match &input.source {
            Some(key) => match source::Entity::find()
                .filter(source::Column::Key.eq(key))
                .one(&txn)
                .await?
            {
                Some(s) => Some(s.id),
                None => {
                    errors.push(UserError::new(
                        &["input", "source"],
                        ProblemCode::NotFound,
                        format!("no source with key {key:?}"),
                    ));
                    None
                }
            },
            None => None,
        };
        let city_id = match &input.city {
            Some(key) => match city::Entity::find()
                .filter(city::Column::Key.eq(key))
                .one(&txn)
                .await?
            {
                Some(c) if c.id == current.city_a_id || c.id == current.city_b_id => Some(c.id),
                _ => {
                    errors.push(UserError::new(
                        &["input", "city"],
                        ProblemCode::NotFound,
                        format!("{key:?} is not one of the partnership's cities"),
                    ));
                    None
                }
            },
            None => None,
        };
        if !errors.is_empty() {
            txn.rollback().await?;
            return Ok(AdvancePartnershipPayload::refused(errors));
        }

        let (on, now) = (input.on, chrono::Utc::now());
        let before = json!({ "status": current.status, "establishedOn": current.established_on, "endedOn": current.ended_on });
        let mut row = current.clone().into_active_model();
        row.status = Set(input.status);
        if input.status == Active && current.established_on.is_none() {
            (
                row.established_on,
                row.established_on_start,
                row.established_on_end,
            ) = (
                Set(Some(on.to_string())),
                Set(Some(on.start())),
                Set(Some(on.end())),
            );
        }
        if matches!(input.status, Suspended | Ended) {
            (row.ended_on, row.ended_on_start, row.ended_on_end) = (
                Set(Some(on.to_string())),
                Set(Some(on.start())),
                Set(Some(on.end())),
            );
        }
        row.updated_at = Set(now);
        // Only if nobody changed it since it was read: the check above and
        // this condition together make concurrent steps one-wins.
        let written = partnership::Entity::update_many()
            .set(row)
            .filter(partnership::Column::Id.eq(current.id))
            .filter(partnership::Column::UpdatedAt.eq(current.updated_at))
            .exec(&txn)
            .await?;
        if written.rows_affected != 1 {
            txn.rollback().await?;
            let message =
                "the partnership changed while this step was being recorded; read it again";
            return Ok(AdvancePartnershipPayload::refused(vec![UserError::new(
                &["input", "partnership"],
                ProblemCode::Conflict,
                message,
            )]));
        }
        let updated = partnership::Entity::find_by_id(current.id)
            .one(&txn)
            .await?
            .ok_or(sea_orm::DbErr::RecordNotUpdated)?;
        let recorded = step::ActiveModel {
            id: NotSet,
            partnership_id: Set(updated.id),
            status: Set(input.status),
            occurred_on: Set(Some(on.to_string())),
            occurred_on_start: Set(Some(on.start())),
            occurred_on_end: Set(Some(on.end())),
            city_id: Set(city_id),
            protocol_id: Set(protocol_id),
            source_id: Set(source_id),
            note: Set(input.note),
            derived: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        let after = json!({ "status": updated.status, "establishedOn": updated.established_on, "endedOn": updated.ended_on });
        let change = RecordChange::between("Partnership", &updated.key, Some(before), Some(after));
        crate::history::record(&txn, &actor(ctx), "advancePartnership", &[change]).await?;
        txn.commit().await?;
        Ok(AdvancePartnershipPayload {
            partnership: Some(Partnership(updated)),
            status_change: Some(StatusChange(recorded)),
            user_errors: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lifecycle_moves_forward_and_between_active_and_suspended() {
        assert!(allowed(Proposed, IntentSigned));
        assert!(allowed(IntentSigned, Active));
        assert!(allowed(Active, Suspended) && allowed(Suspended, Active));
        assert!(allowed(Suspended, Ended));
        assert!(!allowed(Active, Proposed));
        assert!(!allowed(Ended, Active));
        assert!(!allowed(Proposed, Ended));
        assert!(!allowed(Active, Active));
    }
}

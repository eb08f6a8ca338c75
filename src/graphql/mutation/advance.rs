//! `advancePartnership`: moves a partnership along its lifecycle, recording
//! each step with its date and evidence.

use super::UserError;
use crate::domain::access::Role;
use crate::domain::changes::RecordChange;
use crate::domain::lifecycle;
use crate::domain::vocabulary::PartnershipStatus;
use crate::error::Result;
use crate::graphql::guards::RoleGuard;
use crate::graphql::types::partnership::{Partnership, StatusChange};
use crate::graphql::{db, scalars::PartialDate};
use crate::interchange::ProblemCode;
use crate::store::Txn;
use crate::store::rows;
use crate::store::status_changes::{self, NewStep};
use async_graphql::{Context, InputObject, Object, SimpleObject};
use entity::{city, partnership, partnership_status_change as step, protocol, source};
use sea_orm::EntityTrait;
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

/// Where each field of a lifecycle step sits in the mutation's input, for
/// user errors: `advancePartnership` takes them at the top, `signProtocol`
/// partly from its protocol.
pub(super) type FieldPath<'a> = &'a (dyn Fn(&str) -> Vec<String> + Sync);

/// What a recorded step did.
pub(super) struct Step {
    pub partnership: partnership::Model,
    pub recorded: step::Model,
    pub change: RecordChange,
}

fn refusal(path: FieldPath<'_>, field: &str, code: ProblemCode, message: String) -> UserError {
    UserError {
        field: path(field),
        code,
        message,
    }
}

/// The record of `E` with `key`, or a `NOT_FOUND` user error.
async fn find_by_key<E: EntityTrait>(
    txn: &Txn,
    key: Option<&str>,
    (path, field): (FieldPath<'_>, &str),
    errors: &mut Vec<UserError>,
) -> Result<Option<E::Model>> {
    let Some(key) = key else { return Ok(None) };
    let found = rows::find_by_key::<E>(txn, key).await?;
    if found.is_none() {
        errors.push(refusal(
            path,
            field,
            ProblemCode::NotFound,
            format!("no {field} with key {key:?}"),
        ));
    }
    Ok(found)
}

/// Why the step from `current` to the input's status is refused, whatever
/// its evidence: a change since the client read it, or a transition the
/// lifecycle does not allow.
fn check_transition(
    current: &partnership::Model,
    input: &AdvancePartnershipInput,
    path: FieldPath<'_>,
) -> Vec<UserError> {
    let mut errors = Vec::new();
    if let Some(expected) = input.expected_updated_at
        && expected != current.updated_at
    {
        errors.push(refusal(
            path,
            "expectedUpdatedAt",
            ProblemCode::Conflict,
            format!(
                "the partnership changed at {} after you read it; read it again",
                current.updated_at.to_rfc3339()
            ),
        ));
    }
    if !lifecycle::allowed(current.status.into(), input.status) {
        errors.push(refusal(
            path,
            "status",
            ProblemCode::InvalidTransition,
            format!(
                "a partnership cannot go from {} to {}",
                current.status.as_str(),
                input.status.as_str()
            ),
        ));
    }
    errors
}

/// The step to record, without its note: the ids of its protocol, source
/// and city, each unknown key a `NOT_FOUND` error in `errors` (and a city
/// that is not one of the partnership's an `INVALID_VALUE`).
async fn find_evidence(
    txn: &Txn,
    current: &partnership::Model,
    input: &AdvancePartnershipInput,
    path: FieldPath<'_>,
    errors: &mut Vec<UserError>,
) -> Result<NewStep> {
    let protocol =
        find_by_key::<protocol::Entity>(txn, input.protocol.as_deref(), (path, "protocol"), errors)
            .await?;
    let source =
        find_by_key::<source::Entity>(txn, input.source.as_deref(), (path, "source"), errors)
            .await?;
    let city = match find_by_key::<city::Entity>(txn, input.city.as_deref(), (path, "city"), errors)
        .await?
    {
        Some(c) if c.id != current.city_a_id && c.id != current.city_b_id => {
            errors.push(refusal(
                path,
                "city",
                ProblemCode::InvalidValue,
                format!("{:?} is not one of the partnership's cities", c.key),
            ));
            None
        }
        found => found,
    };
    Ok(NewStep {
        status: input.status,
        on: input.on,
        city_id: city.map(|c| c.id),
        protocol_id: protocol.map(|p| p.id),
        source_id: source.map(|s| s.id),
        note: None,
    })
}

/// Records a lifecycle step inside `txn`: checks it, moves the partnership
/// and writes the step; the user errors if it is refused (the caller rolls
/// back).
pub(super) async fn advance_in(
    txn: &Txn,
    input: AdvancePartnershipInput,
    path: FieldPath<'_>,
) -> Result<std::result::Result<Step, Vec<UserError>>> {
    let Some(current) = rows::find_by_key::<partnership::Entity>(txn, &input.partnership).await?
    else {
        let message = format!("no partnership with key {:?}", input.partnership);
        return Ok(Err(vec![refusal(
            path,
            "partnership",
            ProblemCode::NotFound,
            message,
        )]));
    };
    let mut errors = check_transition(&current, &input, path);
    let evidence = find_evidence(txn, &current, &input, path, &mut errors).await?;
    if !errors.is_empty() {
        return Ok(Err(errors));
    }

    let before = json!({ "status": current.status, "establishedOn": current.established_on, "endedOn": current.ended_on });
    let step = NewStep {
        note: input.note,
        ..evidence
    };
    let Some((updated, recorded)) =
        status_changes::advance(txn, &current, step, chrono::Utc::now()).await?
    else {
        let message =
            "the partnership changed while this step was being recorded; read it again".to_owned();
        return Ok(Err(vec![refusal(
            path,
            "partnership",
            ProblemCode::Conflict,
            message,
        )]));
    };
    let after = json!({ "status": updated.status, "establishedOn": updated.established_on, "endedOn": updated.ended_on });
    let change = RecordChange::between("Partnership", &updated.key, Some(before), Some(after));
    Ok(Ok(Step {
        partnership: updated,
        recorded,
        change,
    }))
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
        #[graphql(desc = "What to do; see the input type.")] input: AdvancePartnershipInput,
    ) -> Result<AdvancePartnershipPayload> {
        let txn = crate::store::connection::begin_write(db(ctx)).await?;
        let path = |field: &str| vec!["input".to_owned(), field.to_owned()];
        match advance_in(&txn, input, &path).await? {
            Ok(step) => {
                super::commit(ctx, txn, "advancePartnership", &[step.change]).await?;
                Ok(AdvancePartnershipPayload {
                    partnership: Some(Partnership(step.partnership)),
                    status_change: Some(StatusChange(step.recorded)),
                    user_errors: Vec::new(),
                })
            }
            Err(errors) => {
                txn.rollback().await?;
                Ok(AdvancePartnershipPayload::refused(errors))
            }
        }
    }
}

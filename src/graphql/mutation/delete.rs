//! `delete<Type>`: removes a record by key, unless others still refer to
//! it; the refusal names them.

use super::UserError;
use crate::domain::access::Role;
use crate::domain::changes::RecordChange;
use crate::error::Result;
use crate::graphql::db;
use crate::graphql::guards::RoleGuard;
use crate::graphql::node::decode_global_id;
use crate::interchange::{Kind, ProblemCode};
use crate::store::Txn;
use crate::store::cascade::{self, Cascade, Dependent};
use crate::store::lookup;
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use serde_json::Value;

/// Which record to delete: its key or its global id.
#[derive(InputObject)]
pub struct DeleteInput {
    /// The record's key.
    pub key: Option<String>,
    /// The record's global id, instead of its key.
    pub id: Option<ID>,
    /// Also remove what depends on the record, as each delete mutation
    /// documents, instead of refusing with `HAS_DEPENDENTS`. Every record
    /// removed or changed this way is in the change history.
    #[graphql(default)]
    pub cascade: bool,
}

/// The result of a delete.
#[derive(SimpleObject)]
pub struct DeletePayload {
    /// The key of the deleted record; null when nothing was deleted.
    pub deleted_key: Option<String>,
    /// Every record deleted with it by a cascade, as `Type:key`.
    pub cascaded: Vec<String>,
    /// Why nothing was deleted, if so.
    pub user_errors: Vec<UserError>,
}

impl DeletePayload {
    fn refused(error: UserError) -> Self {
        Self {
            deleted_key: None,
            cascaded: Vec::new(),
            user_errors: vec![error],
        }
    }
}

/// A record as interchange JSON, for the history; `None` if it is gone.
async fn snapshot(txn: &Txn, kind: Kind, key: &str) -> Result<Option<Value>> {
    Ok(crate::interchange::one_as_json(txn, kind, key).await?)
}

/// "3 visits (a, b, c)": a dependent entry that blocks a plain delete.
fn describe(label: &str, found: &[(i32, String)]) -> String {
    let keys: Vec<&str> = found.iter().take(5).map(|(_, key)| key.as_str()).collect();
    let more = if found.len() > 5 { ", …" } else { "" };
    format!("{} {label} ({}{more})", found.len(), keys.join(", "))
}

/// The records that refer to record `id` of `kind`, per dependent entry;
/// and the description of those that block a plain delete.
async fn find_all_dependents(txn: &Txn, kind: Kind, id: i32) -> Result<(Vec<Found>, Vec<String>)> {
    let mut blocking = Vec::new();
    let mut found = Vec::new();
    for dependent in cascade::dependents(kind) {
        let records = cascade::find_dependents(txn, dependent, id).await?;
        if !records.is_empty() && dependent.blocks() {
            blocking.push(describe(dependent.label, &records));
        }
        found.push((dependent, records));
    }
    Ok((found, blocking))
}

/// One dependent entry and the `(id, key)` of its records.
type Found = (&'static Dependent, Vec<(i32, String)>);

/// Deletes one record inside `txn`, and with `cascading` what depends on it,
/// collecting the changes. Without `cascading`, the description of what
/// blocks it.
async fn delete_in(
    txn: &Txn,
    kind: Kind,
    (id, key): (i32, &str),
    cascading: bool,
    changes: &mut Vec<RecordChange>,
) -> Result<std::result::Result<(), Vec<String>>> {
    // Already deleted by another path of the same cascade.
    let Some(before) = snapshot(txn, kind, key).await? else {
        return Ok(Ok(()));
    };
    let (found, blocking) = find_all_dependents(txn, kind, id).await?;
    if !cascading && !blocking.is_empty() {
        return Ok(Err(blocking));
    }
    // Records that stay but change: their state before, for the history.
    let mut touched: Vec<Touched> = Vec::new();
    for (dependent, records) in &found {
        for (dependent_id, dependent_key) in records {
            match dependent.cascade {
                Cascade::Delete => {
                    if let Err(blocked) = Box::pin(delete_in(
                        txn,
                        dependent.kind,
                        (*dependent_id, dependent_key),
                        true,
                        changes,
                    ))
                    .await?
                    {
                        return Ok(Err(blocked));
                    }
                }
                // Touched once even when it refers to the record twice (a
                // partnership citing a source itself and in a status step):
                // its state before is the one before the first detach.
                _ if touched
                    .iter()
                    .any(|(k, i, ..)| *k == dependent.kind && i == dependent_id) => {}
                _ => {
                    let state = snapshot(txn, dependent.kind, dependent_key).await?;
                    touched.push((dependent.kind, *dependent_id, dependent_key.clone(), state));
                }
            }
        }
        cascade::detach_dependents(txn, dependent, id).await?;
    }
    cascade::delete_record(txn, kind, id).await?;
    changes.push(RecordChange::between(
        kind.type_name(),
        key,
        Some(before),
        None,
    ));
    record_touched(txn, touched, changes).await?;
    Ok(Ok(()))
}

/// A record a cascade changed but kept: its kind, id, key and state before.
type Touched = (Kind, i32, String, Option<Value>);

/// Marks the records a cascade changed as changed, and records their
/// changes.
async fn record_touched(
    txn: &Txn,
    touched: Vec<Touched>,
    changes: &mut Vec<RecordChange>,
) -> Result<()> {
    let now = chrono::Utc::now();
    for (dependent_kind, dependent_id, dependent_key, state) in touched {
        // Gone by another path of the cascade: its deletion is recorded.
        let Some(after) = snapshot(txn, dependent_kind, &dependent_key).await? else {
            continue;
        };
        cascade::touch(txn, dependent_kind, dependent_id, now).await?;
        changes.push(RecordChange::between(
            dependent_kind.type_name(),
            &dependent_key,
            state,
            Some(after),
        ));
    }
    Ok(())
}

/// Deletes the record of `kind` named by the input, in one transaction.
async fn delete(ctx: &Context<'_>, kind: Kind, input: DeleteInput) -> Result<DeletePayload> {
    let key = match (input.key, input.id) {
        (Some(key), None) => key,
        (None, Some(id)) => match decode_global_id(&id) {
            Ok((type_name, key)) if type_name == kind.type_name() => key,
            _ => {
                return Ok(DeletePayload::refused(UserError::new(
                    &["input", "id"],
                    ProblemCode::InvalidValue,
                    format!("{:?} is not the id of a {}", id.as_str(), kind.singular()),
                )));
            }
        },
        _ => {
            return Ok(DeletePayload::refused(UserError::new(
                &["input"],
                ProblemCode::InvalidValue,
                "name the record by either `key` or `id`",
            )));
        }
    };
    let txn = crate::store::connection::begin_write(db(ctx)).await?;
    let Some(id) = lookup::find_id_by_key(&txn, kind, &key).await? else {
        txn.rollback().await?;
        return Ok(DeletePayload::refused(UserError::new(
            &["input", "key"],
            ProblemCode::NotFound,
            format!("no {} with key {key:?}", kind.singular()),
        )));
    };
    let mut changes = Vec::new();
    if let Err(blocking) = delete_in(&txn, kind, (id, &key), input.cascade, &mut changes).await? {
        txn.rollback().await?;
        let message = format!(
            "{} {key:?} is still referenced by {}; remove those references first, or delete with `cascade: true`",
            kind.singular(),
            blocking.join(", ")
        );
        return Ok(DeletePayload::refused(UserError::new(
            &["input", "key"],
            ProblemCode::HasDependents,
            message,
        )));
    }
    let operation = format!("delete{}", kind.type_name());
    super::commit(ctx, txn, &operation, &changes).await?;
    let cascaded = changes
        .iter()
        .filter(|c| {
            c.action == crate::domain::changes::Action::Deleted
                && !(c.record_type == kind.type_name() && c.key == key)
        })
        .map(|c| format!("{}:{}", c.record_type, c.key))
        .collect();
    Ok(DeletePayload {
        deleted_key: Some(key),
        cascaded,
        user_errors: Vec::new(),
    })
}

#[derive(Default)]
pub struct DeleteMutation;

#[Object]
impl DeleteMutation {
    /// Deletes a city that nothing refers to any more. With `cascade`, also
    /// deletes its partnerships, the visits from and to it, the events it
    /// hosted, its organizations and the protocols it is a party to (each
    /// with its own cascade), and clears it as the place of signing.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn delete_city(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The record to delete, and whether to cascade.")] input: DeleteInput,
    ) -> Result<DeletePayload> {
        delete(ctx, Kind::City, input).await
    }
    /// Deletes a partnership; its visits and protocols stay, unlinked, and
    /// its status history goes with it. Never blocked, so `cascade` changes
    /// nothing.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn delete_partnership(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The record to delete, and whether to cascade.")] input: DeleteInput,
    ) -> Result<DeletePayload> {
        delete(ctx, Kind::Partnership, input).await
    }
    /// Deletes a visit; protocols signed during it stay, unlinked. Never
    /// blocked.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn delete_visit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The record to delete, and whether to cascade.")] input: DeleteInput,
    ) -> Result<DeletePayload> {
        delete(ctx, Kind::Visit, input).await
    }
    /// Deletes a protocol (and the status steps it was evidence for lose
    /// that evidence). Never blocked.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn delete_protocol(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The record to delete, and whether to cascade.")] input: DeleteInput,
    ) -> Result<DeletePayload> {
        delete(ctx, Kind::Protocol, input).await
    }
    /// Deletes an event that no visit attended; with `cascade`, takes it off
    /// the visits' `events`. Protocols signed at it stay, unlinked.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn delete_event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The record to delete, and whether to cascade.")] input: DeleteInput,
    ) -> Result<DeletePayload> {
        delete(ctx, Kind::Event, input).await
    }
    /// Deletes a topic without subtopics that nothing is tagged with; with
    /// `cascade`, untags every record and moves its subtopics up to its
    /// parent.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn delete_topic(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The record to delete, and whether to cascade.")] input: DeleteInput,
    ) -> Result<DeletePayload> {
        delete(ctx, Kind::Topic, input).await
    }
    /// Deletes an organization that took part in no visit; with `cascade`,
    /// takes it off the visits' `organizations`.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn delete_organization(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The record to delete, and whether to cascade.")] input: DeleteInput,
    ) -> Result<DeletePayload> {
        delete(ctx, Kind::Organization, input).await
    }
    /// Deletes a source that no record cites; with `cascade`, removes it
    /// from every record's `sources` and from the partnership status steps
    /// that cite it.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn delete_source(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The record to delete, and whether to cascade.")] input: DeleteInput,
    ) -> Result<DeletePayload> {
        delete(ctx, Kind::Source, input).await
    }
}

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
use crate::store::{Sql, lookup};
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use sea_orm::{ConnectionTrait, DatabaseTransaction};
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

/// What a cascade does to one kind of dependent.
#[derive(Clone, Copy)]
enum Cascade {
    /// Deletes the dependent too (with its own cascade).
    Delete,
    /// Takes the deleted record off the dependent's list: the link table
    /// and its column that points at the deleted record.
    Unlink(&'static str, &'static str),
    /// Moves subtopics up to the deleted topic's parent.
    Reparent,
    /// Clears the dependent's reference to the deleted record.
    Clear(&'static str),
    /// Never blocks: the database clears the reference by itself
    /// (`ON DELETE SET NULL`); the dependent's change is recorded.
    Cleared,
}

/// Records that refer to a record: what they are, their kind, the
/// `FROM … WHERE` over alias `x` with the record's id at `?`, and what a
/// cascade does to them.
struct Dependent {
    label: &'static str,
    kind: Kind,
    from: &'static str,
    cascade: Cascade,
}

const fn dependent(
    label: &'static str,
    kind: Kind,
    from: &'static str,
    cascade: Cascade,
) -> Dependent {
    Dependent {
        label,
        kind,
        from,
        cascade,
    }
}

static CITY_DEPENDENTS: [Dependent; 6] = [
    dependent(
        "partnerships",
        Kind::Partnership,
        "partnership x WHERE ? IN (x.city_a_id, x.city_b_id)",
        Cascade::Delete,
    ),
    dependent(
        "visits",
        Kind::Visit,
        "visit x WHERE ? IN (x.from_city_id, x.to_city_id)",
        Cascade::Delete,
    ),
    dependent(
        "hosted events",
        Kind::Event,
        "event x WHERE x.host_city_id = ?",
        Cascade::Delete,
    ),
    dependent(
        "organizations",
        Kind::Organization,
        "organization x WHERE x.city_id = ?",
        Cascade::Delete,
    ),
    dependent(
        "protocols as a party",
        Kind::Protocol,
        "protocol x WHERE x.id IN (SELECT protocol_id FROM protocol_party WHERE city_id = ?)",
        Cascade::Delete,
    ),
    dependent(
        "protocols signed there",
        Kind::Protocol,
        "protocol x WHERE x.signed_in_id = ?",
        Cascade::Clear("signed_in_id"),
    ),
];

static TOPIC_DEPENDENTS: [Dependent; 5] = [
    dependent(
        "subtopics",
        Kind::Topic,
        "topic x WHERE x.parent_id = ?",
        Cascade::Reparent,
    ),
    dependent(
        "partnerships",
        Kind::Partnership,
        "partnership x WHERE x.id IN (SELECT partnership_id FROM partnership_topic WHERE topic_id = ?)",
        Cascade::Unlink("partnership_topic", "topic_id"),
    ),
    dependent(
        "events",
        Kind::Event,
        "event x WHERE x.id IN (SELECT event_id FROM event_topic WHERE topic_id = ?)",
        Cascade::Unlink("event_topic", "topic_id"),
    ),
    dependent(
        "visits",
        Kind::Visit,
        "visit x WHERE x.id IN (SELECT visit_id FROM visit_topic WHERE topic_id = ?)",
        Cascade::Unlink("visit_topic", "topic_id"),
    ),
    dependent(
        "protocols",
        Kind::Protocol,
        "protocol x WHERE x.id IN (SELECT protocol_id FROM protocol_topic WHERE topic_id = ?)",
        Cascade::Unlink("protocol_topic", "topic_id"),
    ),
];

static SOURCE_DEPENDENTS: [Dependent; 6] = [
    dependent(
        "cities",
        Kind::City,
        "city x WHERE x.id IN (SELECT city_id FROM city_source WHERE source_id = ?)",
        Cascade::Unlink("city_source", "source_id"),
    ),
    dependent(
        "organizations",
        Kind::Organization,
        "organization x WHERE x.id IN (SELECT organization_id FROM organization_source WHERE source_id = ?)",
        Cascade::Unlink("organization_source", "source_id"),
    ),
    dependent(
        "partnerships",
        Kind::Partnership,
        "partnership x WHERE x.id IN (SELECT partnership_id FROM partnership_source WHERE source_id = ?)",
        Cascade::Unlink("partnership_source", "source_id"),
    ),
    dependent(
        "events",
        Kind::Event,
        "event x WHERE x.id IN (SELECT event_id FROM event_source WHERE source_id = ?)",
        Cascade::Unlink("event_source", "source_id"),
    ),
    dependent(
        "visits",
        Kind::Visit,
        "visit x WHERE x.id IN (SELECT visit_id FROM visit_source WHERE source_id = ?)",
        Cascade::Unlink("visit_source", "source_id"),
    ),
    dependent(
        "protocols",
        Kind::Protocol,
        "protocol x WHERE x.id IN (SELECT protocol_id FROM protocol_source WHERE source_id = ?)",
        Cascade::Unlink("protocol_source", "source_id"),
    ),
];

static ORGANIZATION_DEPENDENTS: [Dependent; 1] = [dependent(
    "visits",
    Kind::Visit,
    "visit x WHERE x.id IN (SELECT visit_id FROM visit_organization WHERE organization_id = ?)",
    Cascade::Unlink("visit_organization", "organization_id"),
)];

static EVENT_DEPENDENTS: [Dependent; 2] = [
    dependent(
        "visits",
        Kind::Visit,
        "visit x WHERE x.id IN (SELECT visit_id FROM visit_event WHERE event_id = ?)",
        Cascade::Unlink("visit_event", "event_id"),
    ),
    dependent(
        "protocols",
        Kind::Protocol,
        "protocol x WHERE x.event_id = ?",
        Cascade::Cleared,
    ),
];

static PARTNERSHIP_DEPENDENTS: [Dependent; 2] = [
    dependent(
        "visits",
        Kind::Visit,
        "visit x WHERE x.partnership_id = ?",
        Cascade::Cleared,
    ),
    dependent(
        "protocols",
        Kind::Protocol,
        "protocol x WHERE x.partnership_id = ?",
        Cascade::Cleared,
    ),
];

static VISIT_DEPENDENTS: [Dependent; 1] = [dependent(
    "protocols",
    Kind::Protocol,
    "protocol x WHERE x.visit_id = ?",
    Cascade::Cleared,
)];

/// The dependents of each kind of record; the delete mutations' docs
/// describe the same in words.
fn dependents(kind: Kind) -> &'static [Dependent] {
    match kind {
        Kind::City => &CITY_DEPENDENTS,
        Kind::Topic => &TOPIC_DEPENDENTS,
        Kind::Source => &SOURCE_DEPENDENTS,
        Kind::Organization => &ORGANIZATION_DEPENDENTS,
        Kind::Event => &EVENT_DEPENDENTS,
        Kind::Partnership => &PARTNERSHIP_DEPENDENTS,
        Kind::Visit => &VISIT_DEPENDENTS,
        Kind::Protocol => &[],
    }
}

/// A record as interchange JSON, for the history; `None` if it is gone.
async fn snapshot(txn: &DatabaseTransaction, kind: Kind, key: &str) -> Result<Option<Value>> {
    Ok(crate::interchange::one_as_json(txn, kind, key).await?)
}

/// The ids and keys of the records behind one dependent entry.
async fn find_dependents(
    txn: &DatabaseTransaction,
    dependent: &Dependent,
    id: i32,
) -> Result<Vec<(i32, String)>> {
    let backend = txn.get_database_backend();
    let (head, tail) = dependent
        .from
        .split_once('?')
        .unwrap_or((dependent.from, ""));
    let mut sql = Sql::new(format!("SELECT x.id, x.key FROM {head}"));
    sql.bind(id).push(tail).push(" ORDER BY x.key");
    txn.query_all_raw(sql.statement(backend))
        .await?
        .iter()
        .map(|row| Ok((row.try_get_by_index(0)?, row.try_get_by_index(1)?)))
        .collect()
}

/// "3 visits (a, b, c)": a dependent entry that blocks a plain delete.
fn describe(label: &str, found: &[(i32, String)]) -> String {
    let keys: Vec<&str> = found.iter().take(5).map(|(_, key)| key.as_str()).collect();
    let more = if found.len() > 5 { ", …" } else { "" };
    format!("{} {label} ({}{more})", found.len(), keys.join(", "))
}

/// Deletes one record inside `txn`, and with `cascade` what depends on it,
/// collecting the changes. Without `cascade`, the description of what
/// blocks it.
async fn delete_in(
    txn: &DatabaseTransaction,
    kind: Kind,
    (id, key): (i32, &str),
    cascade: bool,
    changes: &mut Vec<RecordChange>,
) -> Result<std::result::Result<(), Vec<String>>> {
    let backend = txn.get_database_backend();
    // Already deleted by another path of the same cascade.
    let Some(before) = snapshot(txn, kind, key).await? else {
        return Ok(Ok(()));
    };
    let mut blocking = Vec::new();
    let mut found = Vec::new();
    for dependent in dependents(kind) {
        let records = find_dependents(txn, dependent, id).await?;
        if !records.is_empty() && !matches!(dependent.cascade, Cascade::Cleared) {
            blocking.push(describe(dependent.label, &records));
        }
        found.push((dependent, records));
    }
    if !cascade && !blocking.is_empty() {
        return Ok(Err(blocking));
    }
    // Records that stay but change: their state before, for the history.
    let mut touched: Vec<(Kind, i32, String, Option<Value>)> = Vec::new();
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
                _ => {
                    let state = snapshot(txn, dependent.kind, dependent_key).await?;
                    touched.push((dependent.kind, *dependent_id, dependent_key.clone(), state));
                }
            }
        }
        let mut change = match dependent.cascade {
            Cascade::Unlink(table, column) => {
                Sql::new(format!("DELETE FROM {table} WHERE {column} = "))
            }
            Cascade::Reparent => {
                let mut sql = Sql::new(
                    "UPDATE topic SET parent_id = (SELECT parent_id FROM topic WHERE id = ",
                );
                sql.bind(id).push(") WHERE parent_id = ");
                sql
            }
            Cascade::Clear(column) => Sql::new(format!(
                "UPDATE {} SET {column} = NULL WHERE {column} = ",
                dependent.kind.table()
            )),
            Cascade::Delete | Cascade::Cleared => continue,
        };
        change.bind(id);
        txn.execute_raw(change.statement(backend)).await?;
    }
    let mut remove = Sql::new(format!("DELETE FROM {} WHERE id = ", kind.table()));
    remove.bind(id);
    txn.execute_raw(remove.statement(backend)).await?;
    crate::store::search::remove(txn, kind.table(), id).await?;
    changes.push(RecordChange::between(
        kind.type_name(),
        key,
        Some(before),
        None,
    ));
    let now = chrono::Utc::now();
    for (dependent_kind, dependent_id, dependent_key, state) in touched {
        // Gone by another path of the cascade: its deletion is recorded.
        let Some(after) = snapshot(txn, dependent_kind, &dependent_key).await? else {
            continue;
        };
        let mut stamp = Sql::new(format!(
            "UPDATE {} SET updated_at = ",
            dependent_kind.table()
        ));
        stamp.bind(now).push(" WHERE id = ").bind(dependent_id);
        txn.execute_raw(stamp.statement(backend)).await?;
        changes.push(RecordChange::between(
            dependent_kind.type_name(),
            &dependent_key,
            state,
            Some(after),
        ));
    }
    Ok(Ok(()))
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
    async fn delete_city(&self, ctx: &Context<'_>, input: DeleteInput) -> Result<DeletePayload> {
        delete(ctx, Kind::City, input).await
    }
    /// Deletes a partnership; its visits and protocols stay, unlinked, and
    /// its status history goes with it. Never blocked, so `cascade` changes
    /// nothing.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn delete_partnership(
        &self,
        ctx: &Context<'_>,
        input: DeleteInput,
    ) -> Result<DeletePayload> {
        delete(ctx, Kind::Partnership, input).await
    }
    /// Deletes a visit; protocols signed during it stay, unlinked. Never
    /// blocked.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn delete_visit(&self, ctx: &Context<'_>, input: DeleteInput) -> Result<DeletePayload> {
        delete(ctx, Kind::Visit, input).await
    }
    /// Deletes a protocol (and the status steps it was evidence for lose
    /// that evidence). Never blocked.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn delete_protocol(
        &self,
        ctx: &Context<'_>,
        input: DeleteInput,
    ) -> Result<DeletePayload> {
        delete(ctx, Kind::Protocol, input).await
    }
    /// Deletes an event that no visit attended; with `cascade`, takes it off
    /// the visits' `events`. Protocols signed at it stay, unlinked.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn delete_event(&self, ctx: &Context<'_>, input: DeleteInput) -> Result<DeletePayload> {
        delete(ctx, Kind::Event, input).await
    }
    /// Deletes a topic without subtopics that nothing is tagged with; with
    /// `cascade`, untags every record and moves its subtopics up to its
    /// parent.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn delete_topic(&self, ctx: &Context<'_>, input: DeleteInput) -> Result<DeletePayload> {
        delete(ctx, Kind::Topic, input).await
    }
    /// Deletes an organization that took part in no visit; with `cascade`,
    /// takes it off the visits' `organizations`.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn delete_organization(
        &self,
        ctx: &Context<'_>,
        input: DeleteInput,
    ) -> Result<DeletePayload> {
        delete(ctx, Kind::Organization, input).await
    }
    /// Deletes a source that no record cites; with `cascade`, removes it
    /// from every record's `sources`.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn delete_source(&self, ctx: &Context<'_>, input: DeleteInput) -> Result<DeletePayload> {
        delete(ctx, Kind::Source, input).await
    }
}

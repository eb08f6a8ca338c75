//! `delete<Type>`: removes a record by key, unless others still refer to
//! it; the refusal names them.

use super::{UserError, actor};
use crate::auth::{Role, RoleGuard};
use crate::error::Result;
use crate::graphql::db;
use crate::history::RecordChange;
use crate::interchange::ProblemCode;
use crate::store::Sql;
use async_graphql::{Context, InputObject, Object, SimpleObject};
use sea_orm::{ConnectionTrait, DatabaseTransaction};

/// Which record to delete.
#[derive(InputObject)]
pub struct DeleteInput {
    /// The record's key.
    pub key: String,
}

/// The result of a delete.
#[derive(SimpleObject)]
pub struct DeletePayload {
    /// The key of the deleted record; null when nothing was deleted.
    pub deleted_key: Option<String>,
    /// Why nothing was deleted, if so.
    pub user_errors: Vec<UserError>,
}

/// The records that block deleting a record of a table: a label and the
/// `FROM … WHERE` over alias `x` (with the record's id at `?`), for each
/// reference that the database refuses to break.
fn dependents(table: &str) -> &'static [(&'static str, &'static str)] {
    match table {
        "city" => &[
            (
                "partnerships",
                "partnership x WHERE ? IN (x.city_a_id, x.city_b_id)",
            ),
            (
                "visits",
                "visit x WHERE ? IN (x.from_city_id, x.to_city_id)",
            ),
            ("hosted events", "event x WHERE x.host_city_id = ?"),
            ("organizations", "organization x WHERE x.city_id = ?"),
            (
                "protocols signed there",
                "protocol x WHERE x.signed_in_id = ?",
            ),
            (
                "protocols as a party",
                "protocol x WHERE x.id IN (SELECT protocol_id FROM protocol_party WHERE city_id = ?)",
            ),
        ],
        "topic" => &[
            ("subtopics", "topic x WHERE x.parent_id = ?"),
            (
                "partnerships",
                "partnership x WHERE x.id IN (SELECT partnership_id FROM partnership_topic WHERE topic_id = ?)",
            ),
            (
                "events",
                "event x WHERE x.id IN (SELECT event_id FROM event_topic WHERE topic_id = ?)",
            ),
            (
                "visits",
                "visit x WHERE x.id IN (SELECT visit_id FROM visit_topic WHERE topic_id = ?)",
            ),
            (
                "protocols",
                "protocol x WHERE x.id IN (SELECT protocol_id FROM protocol_topic WHERE topic_id = ?)",
            ),
        ],
        "source" => &[
            (
                "cities",
                "city x WHERE x.id IN (SELECT city_id FROM city_source WHERE source_id = ?)",
            ),
            (
                "organizations",
                "organization x WHERE x.id IN (SELECT organization_id FROM organization_source WHERE source_id = ?)",
            ),
            (
                "partnerships",
                "partnership x WHERE x.id IN (SELECT partnership_id FROM partnership_source WHERE source_id = ?)",
            ),
            (
                "events",
                "event x WHERE x.id IN (SELECT event_id FROM event_source WHERE source_id = ?)",
            ),
            (
                "visits",
                "visit x WHERE x.id IN (SELECT visit_id FROM visit_source WHERE source_id = ?)",
            ),
            (
                "protocols",
                "protocol x WHERE x.id IN (SELECT protocol_id FROM protocol_source WHERE source_id = ?)",
            ),
        ],
        "organization" => &[(
            "visits",
            "visit x WHERE x.id IN (SELECT visit_id FROM visit_organization WHERE organization_id = ?)",
        )],
        "event" => &[(
            "visits",
            "visit x WHERE x.id IN (SELECT visit_id FROM visit_event WHERE event_id = ?)",
        )],
        // Visits and protocols of a deleted partnership, and protocols of a
        // deleted visit, stay (their reference is cleared); status history
        // goes with its partnership.
        _ => &[],
    }
}

/// "3 visits (a, b, c)", for each kind of dependent that exists.
async fn describe_dependents(
    txn: &DatabaseTransaction,
    table: &str,
    id: i32,
) -> Result<Vec<String>> {
    let backend = txn.get_database_backend();
    let mut found = Vec::new();
    for (label, from) in dependents(table) {
        let (head, tail) = from.split_once('?').unwrap_or((from, ""));
        let mut count = Sql::new(format!("SELECT COUNT(*) FROM {head}"));
        count.bind(id).push(tail);
        let row = txn.query_one_raw(count.statement(backend)).await?;
        let total: i64 = row.map(|r| r.try_get_by_index(0)).transpose()?.unwrap_or(0);
        if total == 0 {
            continue;
        }
        let mut sql = Sql::new(format!("SELECT x.key FROM {head}"));
        sql.bind(id).push(tail).push(" ORDER BY x.key LIMIT 5");
        let keys: Vec<String> = txn
            .query_all_raw(sql.statement(backend))
            .await?
            .iter()
            .filter_map(|r| r.try_get_by_index(0).ok())
            .collect();
        let more = if total > 5 { ", …" } else { "" };
        found.push(format!("{total} {label} ({}{more})", keys.join(", ")));
    }
    Ok(found)
}

/// Deletes the record of `table` with `key` in one transaction.
async fn delete(
    ctx: &Context<'_>,
    table: &'static str,
    type_name: &'static str,
    key: String,
) -> Result<DeletePayload> {
    let txn = crate::db::begin_write(db(ctx)).await?;
    let backend = txn.get_database_backend();
    let mut find = Sql::new(format!("SELECT id FROM {table} WHERE key = "));
    find.bind(key.clone());
    let Some(row) = txn.query_one_raw(find.statement(backend)).await? else {
        let error = UserError::new(
            &["input", "key"],
            ProblemCode::NotFound,
            format!("no {table} with key {key:?}"),
        );
        return Ok(DeletePayload {
            deleted_key: None,
            user_errors: vec![error],
        });
    };
    let id: i32 = row.try_get_by_index(0)?;
    let blocking = describe_dependents(&txn, table, id).await?;
    if !blocking.is_empty() {
        txn.rollback().await?;
        let message = format!(
            "{table} {key:?} is still referenced by {}; remove those references first",
            blocking.join(", ")
        );
        return Ok(DeletePayload {
            deleted_key: None,
            user_errors: vec![UserError::new(
                &["input", "key"],
                ProblemCode::HasDependents,
                message,
            )],
        });
    }
    let mut remove = Sql::new(format!("DELETE FROM {table} WHERE id = "));
    remove.bind(id);
    txn.execute_raw(remove.statement(backend)).await?;
    crate::store::search::remove(&txn, table, id).await?;
    let change = RecordChange::between(
        type_name,
        &key,
        Some(serde_json::json!({ "key": key })),
        None,
    );
    crate::history::record(&txn, &actor(ctx), &format!("delete{type_name}"), &[change]).await?;
    txn.commit().await?;
    Ok(DeletePayload {
        deleted_key: Some(key),
        user_errors: Vec::new(),
    })
}

#[derive(Default)]
pub struct DeleteMutation;

#[Object]
impl DeleteMutation {
    /// Deletes a city that nothing refers to any more.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn delete_city(&self, ctx: &Context<'_>, input: DeleteInput) -> Result<DeletePayload> {
        delete(ctx, "city", "City", input.key).await
    }
    /// Deletes a partnership; its visits and protocols stay, unlinked, and its status history goes with it.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn delete_partnership(
        &self,
        ctx: &Context<'_>,
        input: DeleteInput,
    ) -> Result<DeletePayload> {
        delete(ctx, "partnership", "Partnership", input.key).await
    }
    /// Deletes a visit; protocols signed during it stay, unlinked.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn delete_visit(&self, ctx: &Context<'_>, input: DeleteInput) -> Result<DeletePayload> {
        delete(ctx, "visit", "Visit", input.key).await
    }
    /// Deletes a protocol.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn delete_protocol(
        &self,
        ctx: &Context<'_>,
        input: DeleteInput,
    ) -> Result<DeletePayload> {
        delete(ctx, "protocol", "Protocol", input.key).await
    }
    /// Deletes an event that no visit attended.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn delete_event(&self, ctx: &Context<'_>, input: DeleteInput) -> Result<DeletePayload> {
        delete(ctx, "event", "Event", input.key).await
    }
    /// Deletes a topic without subtopics that nothing is tagged with.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn delete_topic(&self, ctx: &Context<'_>, input: DeleteInput) -> Result<DeletePayload> {
        delete(ctx, "topic", "Topic", input.key).await
    }
    /// Deletes an organization that took part in no visit.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn delete_organization(
        &self,
        ctx: &Context<'_>,
        input: DeleteInput,
    ) -> Result<DeletePayload> {
        delete(ctx, "organization", "Organization", input.key).await
    }
    /// Deletes a source that no record cites.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn delete_source(&self, ctx: &Context<'_>, input: DeleteInput) -> Result<DeletePayload> {
        delete(ctx, "source", "Source", input.key).await
    }
}

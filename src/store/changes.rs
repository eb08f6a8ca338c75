//! The change history in the database: every write as a change set (who,
//! when, which operation) with the before and after of each record it
//! touched, and the reads live updates make of it.

use crate::domain::changes::{Action, RecordChange};
use crate::store::record::T;
use crate::store::{Record, Sql};
use sea_orm::sea_query::{Expr, ExprTrait, JoinType, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, FromQueryResult};
use serde_json::Value;

/// Writes one change set with its changes and announces it to live
/// subscribers (at commit); returns its id. Nothing is written for an empty
/// list.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: &str,
    operation: &str,
    changes: &[RecordChange],
) -> Result<Option<i32>, DbErr> {
    if changes.is_empty() {
        return Ok(None);
    }
    let backend = db.get_database_backend();
    let mut insert = Sql::new("INSERT INTO change_set (actor, operation, created_at) VALUES (");
    insert
        .bind(actor.to_owned())
        .push(", ")
        .bind(operation.to_owned())
        .push(", ")
        .bind(chrono::Utc::now())
        .push(") RETURNING id");
    let row = db
        .query_one_raw(insert.statement(backend))
        .await?
        .ok_or_else(|| DbErr::RecordNotInserted)?;
    let id: i32 = match backend {
        DbBackend::Postgres => row.try_get_by_index(0)?,
        _ => i32::try_from(row.try_get_by_index::<i64>(0)?)
            .map_err(|e| DbErr::Custom(e.to_string()))?,
    };
    for chunk in changes.chunks(500) {
        let mut insert = Sql::new(
            "INSERT INTO change (change_set_id, record_type, record_key, action, before, after) VALUES ",
        );
        for (i, change) in chunk.iter().enumerate() {
            insert
                .push(if i == 0 { "(" } else { ", (" })
                .bind(id)
                .push(", ")
                .bind(change.record_type)
                .push(", ")
                .bind(change.key.clone())
                .push(", ")
                .bind(change.action.as_str())
                .push(", ")
                .bind(change.before.as_ref().map(Value::to_string))
                .push(", ")
                .bind(change.after.as_ref().map(Value::to_string))
                .push(")");
        }
        db.execute_raw(insert.statement(backend)).await?;
    }
    super::notify::announce(db, &super::notify::Signal::ChangeSet(id)).await?;
    Ok(Some(id))
}

/// A change joined with its change set.
#[derive(Clone, Debug, FromQueryResult)]
pub struct ChangeRow {
    pub id: i32,
    pub record_type: String,
    pub record_key: String,
    pub action: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub actor: String,
    pub operation: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl Record for ChangeRow {
    const TABLE: &'static str = "change";
    const TYPE_NAME: &'static str = "Change";
    fn from_rows(select: &mut SelectStatement) {
        select.from_subquery(Self::joined(), T);
    }
    fn join_rows(select: &mut SelectStatement, on: Expr) {
        select.join_subquery(JoinType::InnerJoin, Self::joined(), T, on);
    }
    fn id(&self) -> i32 {
        self.id
    }
    fn key(&self) -> &str {
        &self.record_key
    }
}

impl ChangeRow {
    /// A change with its change set's who, when and how.
    fn joined() -> SelectStatement {
        Query::select()
            .columns([
                ("c", "id"),
                ("c", "record_type"),
                ("c", "record_key"),
                ("c", "action"),
                ("c", "before"),
                ("c", "after"),
                ("s", "actor"),
                ("s", "operation"),
                ("s", "created_at"),
            ])
            .from_as("change", "c")
            .join_as(
                JoinType::InnerJoin,
                "change_set",
                "s",
                Expr::col(("s", "id")).equals(("c", "change_set_id")),
            )
            .to_owned()
    }

    /// What happened to the record.
    pub fn action(&self) -> Option<Action> {
        Action::parse(&self.action)
    }
}

//! The change history in the database: every write as a change set (who,
//! when, which operation) with the before and after of each record it
//! touched, and the reads live updates make of it.

use crate::domain::changes::{Action, RecordChange};
use crate::domain::scope::Scope;
use crate::store::Record;
use crate::store::record::T;
use entity::{change, change_set};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, FromQueryResult};
use serde_json::Value;

/// Who made a change set and how: the key's name (or `cli`), the scope it
/// was held to, the mutation or command.
#[derive(Clone, Copy, Debug)]
pub struct Author<'a> {
    pub actor: &'a str,
    pub scope: Option<&'a Scope>,
    pub operation: &'a str,
}

/// Writes one change set with its changes, queues its webhook deliveries
/// and announces it to live subscribers (at commit); returns its id.
/// Nothing is written for an empty list.
pub async fn record(
    db: &impl ConnectionTrait,
    author: Author<'_>,
    changes: &[RecordChange],
) -> Result<Option<i32>, DbErr> {
    if changes.is_empty() {
        return Ok(None);
    }
    let Inserted { id, offered } = insert_change_set(db, author).await?;
    for chunk in changes.chunks(500) {
        let mut insert = Query::insert();
        insert.into_table(change::Entity).columns([
            change::Column::ChangeSetId,
            change::Column::RecordType,
            change::Column::RecordKey,
            change::Column::Action,
            change::Column::Before,
            change::Column::After,
        ]);
        for change in chunk {
            insert
                .values([
                    id.into(),
                    change.record_type.into(),
                    change.key.clone().into(),
                    change.action.as_str().into(),
                    change.before.as_ref().map(Value::to_string).into(),
                    change.after.as_ref().map(Value::to_string).into(),
                ])
                .map_err(super::built)?;
        }
        db.execute(&insert).await?;
    }
    if offered {
        super::outbox::enqueue(db, id, changes).await?;
    }
    Ok(Some(id))
}

/// A change set just inserted.
struct Inserted {
    id: i32,
    /// Whether an endpoint was enabled: only then does the outbox look for
    /// the endpoints that want it.
    offered: bool,
}

/// Writes a change set (who, under which scope, which operation, now).
/// Asks in the same statement whether any webhook endpoint is enabled, and
/// on PostgreSQL shows the horizon's readers the writer and its id (ids
/// are not taken in commit order there; see `super::horizon`) and announces
/// the change set to every server at commit (`super::notify`; on SQLite the
/// writer's server tells itself): a mutation's change set is one round
/// trip besides its changes.
async fn insert_change_set(
    db: &impl ConnectionTrait,
    author: Author<'_>,
) -> Result<Inserted, DbErr> {
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    let mut row = Query::select();
    row.exprs([
        Expr::val(author.actor),
        Expr::val(author.scope.map(Scope::to_string)),
        Expr::val(author.operation),
        Expr::val(chrono::Utc::now()),
    ]);
    let id = || Expr::col(change_set::Column::Id);
    let mut returning = vec![id(), super::webhooks::any_enabled()];
    if postgres {
        row.from_subquery(super::horizon::mark_writer(), Alias::new("mark"));
        returning.extend([
            super::horizon::publish_id(),
            super::notify::announce_change_set(id()),
        ]);
    }
    let mut insert = Query::insert()
        .into_table(change_set::Entity)
        .columns([
            change_set::Column::Actor,
            change_set::Column::Scope,
            change_set::Column::Operation,
            change_set::Column::CreatedAt,
        ])
        .select_from(row)
        .map_err(super::built)?
        .to_owned();
    insert.returning(Query::returning().exprs(returning));
    let row = db
        .query_one(&insert)
        .await?
        .ok_or(DbErr::RecordNotInserted)?;
    if postgres {
        return Ok(Inserted {
            id: row.try_get_by_index(0)?,
            offered: row.try_get_by_index(1)?,
        });
    }
    // SQLite returns integers, its ids and truth values, as 64 bits.
    Ok(Inserted {
        id: i32::try_from(row.try_get_by_index::<i64>(0)?)
            .map_err(|e| DbErr::Custom(e.to_string()))?,
        offered: row.try_get_by_index::<i64>(1)? != 0,
    })
}

/// What identifies the data's state: how many change sets were committed,
/// and the last one's id. Every write commits one, and none is ever
/// deleted, so a commit always changes the count (on PostgreSQL a late
/// commit may hold a lower id than the last, which only the count shows).
/// One statement over the primary key.
pub async fn data_version(db: &impl ConnectionTrait) -> Result<(i64, i64), DbErr> {
    use sea_orm::sea_query::Func;
    let select = Query::select()
        .expr(Func::count(Expr::col(change_set::Column::Id)))
        .expr(Func::max(Expr::col(change_set::Column::Id)))
        .from(change_set::Entity)
        .to_owned();
    let row = db
        .query_one(&select)
        .await?
        .ok_or_else(|| DbErr::Custom("no row from an aggregate".into()))?;
    let last: Option<i64> = match db.get_database_backend() {
        DbBackend::Postgres => row.try_get_by_index::<Option<i32>>(1)?.map(i64::from),
        _ => row.try_get_by_index(1)?,
    };
    Ok((row.try_get_by_index(0)?, last.unwrap_or(0)))
}

/// The ids of the change sets committed after change set `after`, in order.
pub async fn find_change_set_ids_after(
    db: &impl ConnectionTrait,
    after: i32,
) -> Result<Vec<i32>, DbErr> {
    let select = Query::select()
        .column(change_set::Column::Id)
        .from(change_set::Entity)
        .and_where(Expr::col(change_set::Column::Id).gt(after))
        .order_by(change_set::Column::Id, Order::Asc)
        .to_owned();
    db.query_all(&select)
        .await?
        .iter()
        .map(|row| row.try_get_by_index(0))
        .collect()
}

/// Up to `limit` changes of change set `change_set` after change `after`, in
/// order, each with its change set.
pub async fn find_changes_page(
    db: &impl ConnectionTrait,
    change_set: i32,
    after: i32,
    limit: u64,
) -> Result<Vec<ChangeRow>, DbErr> {
    let mut select = ChangeRow::joined();
    select
        .and_where(Expr::col(("c", change::Column::ChangeSetId)).eq(change_set))
        .and_where(Expr::col(("c", change::Column::Id)).gt(after))
        .order_by(("c", change::Column::Id), Order::Asc);
    ChangeRow::find_by_statement(super::limited(db.get_database_backend(), &select, limit))
        .all(db)
        .await
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
    /// The scope's city keys, comma-separated; `None` when unscoped.
    pub scope: Option<String>,
    pub operation: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl ChangeRow {
    /// Each change with its change set's who, when and how: the rows the
    /// history's readers read as `t`.
    fn joined() -> SelectStatement {
        let (c, s) = (Alias::new("c"), Alias::new("s"));
        Query::select()
            .columns([
                (c.clone(), change::Column::Id),
                (c.clone(), change::Column::RecordType),
                (c.clone(), change::Column::RecordKey),
                (c.clone(), change::Column::Action),
                (c.clone(), change::Column::Before),
                (c.clone(), change::Column::After),
            ])
            .columns([
                (s.clone(), change_set::Column::Actor),
                (s.clone(), change_set::Column::Scope),
                (s.clone(), change_set::Column::Operation),
                (s.clone(), change_set::Column::CreatedAt),
            ])
            .from_as(change::Entity, c.clone())
            .join_as(
                JoinType::InnerJoin,
                change_set::Entity,
                s.clone(),
                Expr::col((s, change_set::Column::Id)).equals((c, change::Column::ChangeSetId)),
            )
            .to_owned()
    }

    /// What happened to the record.
    pub fn action(&self) -> Option<Action> {
        Action::parse(&self.action)
    }
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

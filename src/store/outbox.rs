//! The webhook outbox: one delivery per change set and matching endpoint,
//! written in the change set's own transaction (a rollback leaves none, a
//! crash after commit loses none), claimed by one server's worker at a
//! time per endpoint, and the log of every attempt.

use super::Db;
use super::webhooks::Webhook;
use crate::domain::changes::{Action, RecordChange};
use chrono::{DateTime, Utc};
use entity::{webhook, webhook_attempt, webhook_delivery};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};

/// A delivery waiting to be sent (or retried).
pub const PENDING: &str = "PENDING";
/// A delivery its endpoint acknowledged with a 2xx.
pub const DELIVERED: &str = "DELIVERED";
/// A delivery retried for the whole retry window in vain.
pub const FAILED: &str = "FAILED";

pub use webhook_attempt::Model as Attempt;
pub use webhook_delivery::Model as Delivery;

/// Queues change set `change_set` for every enabled endpoint that wants
/// any of `changes`. Runs inside the change set's transaction.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    change_set: i32,
    changes: &[RecordChange],
) -> Result<(), DbErr> {
    let now = Utc::now();
    // The write's trace, which its deliveries join when they are sent.
    let trace_context = crate::telemetry::otlp::trace_context();
    let rows: Vec<webhook_delivery::ActiveModel> = super::webhooks::enabled(db)
        .await?
        .into_iter()
        .filter(|hook| {
            changes
                .iter()
                .any(|c| hook.events.matches(c.record_type, c.action))
        })
        .map(|hook| webhook_delivery::ActiveModel {
            webhook_id: Set(hook.id),
            change_set_id: Set(change_set),
            message_id: Set(format!("msg_{change_set}_{}", hook.id)),
            status: Set(PENDING.to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            created_at: Set(now),
            trace_context: Set(trace_context.clone()),
            ..Default::default()
        })
        .collect();
    if !rows.is_empty() {
        webhook_delivery::Entity::insert_many(rows).exec(db).await?;
    }
    Ok(())
}

/// Takes up to `limit` enabled endpoints whose oldest pending delivery is
/// due and that no server holds, and holds them until `lease_until`. On
/// PostgreSQL, servers claiming at once skip each other's locked rows
/// (`FOR UPDATE SKIP LOCKED`); on SQLite the write transaction is alone.
pub async fn claim(
    db: &Db,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Webhook>, DbErr> {
    let pending = |due: bool| {
        let mut select = Query::select();
        select
            .expr(Expr::val(1))
            .from(webhook_delivery::Entity)
            .and_where(
                Expr::col((
                    webhook_delivery::Entity,
                    webhook_delivery::Column::WebhookId,
                ))
                .equals((webhook::Entity, webhook::Column::Id)),
            )
            .and_where(Expr::col(webhook_delivery::Column::Status).eq(PENDING));
        // Only the oldest pending delivery of an endpoint ever waits for a
        // retry (the others wait behind it): one in the future means the
        // endpoint is backing off.
        if !due {
            select.and_where(Expr::col(webhook_delivery::Column::NextAttemptAt).gt(now));
        }
        select.to_owned()
    };
    let mut select = Query::select();
    select
        .column(webhook::Column::Id)
        .from(webhook::Entity)
        .and_where(Expr::col(webhook::Column::Enabled).eq(true))
        .and_where(
            Expr::col(webhook::Column::LeaseUntil)
                .is_null()
                .or(Expr::col(webhook::Column::LeaseUntil).lt(now)),
        )
        .and_where(Expr::exists(pending(true)))
        .and_where(Expr::exists(pending(false)).not());
    // Most polls find nothing due: they read, and take no write lock. The
    // probe reads one row and has no LIMIT, which SQLite would re-prepare
    // at every poll (see `super::limited`).
    if db.query_one(&select).await?.is_none() {
        return Ok(Vec::new());
    }
    select.limit(limit);
    let txn = super::connection::begin_write(db).await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        select.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let ids: Vec<i32> = txn
        .query_all(&select)
        .await?
        .iter()
        .map(|row| row.try_get_by_index(0))
        .collect::<Result<_, _>>()?;
    if ids.is_empty() {
        txn.rollback().await?;
        return Ok(Vec::new());
    }
    webhook::Entity::update_many()
        .col_expr(webhook::Column::LeaseUntil, Expr::val(lease_until))
        .filter(webhook::Column::Id.is_in(ids.clone()))
        .exec(&txn)
        .await?;
    let hooks = webhook::Entity::find()
        .filter(webhook::Column::Id.is_in(ids))
        .order_by_asc(webhook::Column::Id)
        .all(&txn)
        .await?;
    txn.commit().await?;
    Ok(hooks.into_iter().map(Webhook::from).collect())
}

/// Lets other servers claim an endpoint again.
pub async fn release(db: &impl ConnectionTrait, webhook_id: i32) -> Result<(), DbErr> {
    webhook::Entity::update_many()
        .col_expr(
            webhook::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(webhook::Column::Id.eq(webhook_id))
        .exec(db)
        .await?;
    Ok(())
}

/// An endpoint's oldest pending delivery: the next to send, in change-set
/// order; none while it is at or above `horizon` (see
/// [`super::horizon::find_horizon`]): a change set before it may still
/// commit.
pub async fn head(
    db: &impl ConnectionTrait,
    webhook_id: i32,
    horizon: i32,
) -> Result<Option<Delivery>, DbErr> {
    let head = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::WebhookId.eq(webhook_id))
        .filter(webhook_delivery::Column::Status.eq(PENDING))
        .order_by_asc(webhook_delivery::Column::ChangeSetId)
        .order_by_asc(webhook_delivery::Column::Id);
    let head = super::first(db, head).await?;
    Ok(head.filter(|delivery| delivery.change_set_id < horizon))
}

/// What came of one attempt, and what happens next.
#[derive(Clone, Debug)]
pub struct AttemptOutcome {
    pub at: DateTime<Utc>,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i32,
    /// `DELIVERED`, `PENDING` (to retry at `next_attempt_at`) or `FAILED`.
    pub status: &'static str,
    pub next_attempt_at: DateTime<Utc>,
    /// The endpoint has failed too long: disable it.
    pub disable: bool,
    /// The endpoint stays held until then.
    pub lease_until: DateTime<Utc>,
}

/// Logs an attempt and moves the delivery and its endpoint on, in one
/// transaction.
pub async fn record_attempt(
    db: &Db,
    delivery: &Delivery,
    outcome: &AttemptOutcome,
) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    webhook_attempt::Entity::insert(webhook_attempt::ActiveModel {
        delivery_id: Set(delivery.id),
        attempted_at: Set(outcome.at),
        status_code: Set(outcome.status_code),
        error: Set(outcome.error.clone()),
        duration_ms: Set(outcome.duration_ms),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    let finished = (outcome.status != PENDING).then_some(outcome.at);
    webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::Status, Expr::val(outcome.status))
        .col_expr(
            webhook_delivery::Column::Attempts,
            Expr::col(webhook_delivery::Column::Attempts).add(1),
        )
        .col_expr(
            webhook_delivery::Column::NextAttemptAt,
            Expr::val(outcome.next_attempt_at),
        )
        .col_expr(
            webhook_delivery::Column::LastStatusCode,
            Expr::val(outcome.status_code),
        )
        .col_expr(webhook_delivery::Column::FinishedAt, Expr::val(finished))
        .filter(webhook_delivery::Column::Id.eq(delivery.id))
        .exec(&txn)
        .await?;
    let mut update = webhook::Entity::update_many()
        .col_expr(webhook::Column::LeaseUntil, Expr::val(outcome.lease_until))
        .filter(webhook::Column::Id.eq(delivery.webhook_id));
    update = if outcome.status == DELIVERED {
        update.col_expr(
            webhook::Column::FailingSince,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
    } else {
        update.col_expr(
            webhook::Column::FailingSince,
            Expr::col(webhook::Column::FailingSince).if_null(outcome.at),
        )
    };
    if outcome.disable {
        update = update
            .col_expr(webhook::Column::Enabled, Expr::val(false))
            .col_expr(webhook::Column::DisabledAt, Expr::val(outcome.at));
    }
    update.exec(&txn).await?;
    txn.commit().await
}

/// An endpoint's latest deliveries, newest first.
pub async fn deliveries(
    db: &impl ConnectionTrait,
    webhook_id: i32,
    limit: u64,
) -> Result<Vec<Delivery>, DbErr> {
    webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::WebhookId.eq(webhook_id))
        .order_by_desc(webhook_delivery::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// A delivery's attempts, oldest first.
pub async fn attempts(db: &impl ConnectionTrait, delivery_id: i32) -> Result<Vec<Attempt>, DbErr> {
    webhook_attempt::Entity::find()
        .filter(webhook_attempt::Column::DeliveryId.eq(delivery_id))
        .order_by_asc(webhook_attempt::Column::Id)
        .all(db)
        .await
}

/// Queues a delivery again, now, with the same `webhook-id`; `None` when
/// there is none with this id.
pub async fn redeliver(db: &impl ConnectionTrait, id: i32) -> Result<Option<Delivery>, DbErr> {
    webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::Status, Expr::val(PENDING))
        .col_expr(
            webhook_delivery::Column::NextAttemptAt,
            Expr::val(Utc::now()),
        )
        .col_expr(
            webhook_delivery::Column::FinishedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(webhook_delivery::Column::Id.eq(id))
        .exec(db)
        .await?;
    super::first(db, webhook_delivery::Entity::find_by_id(id)).await
}

/// Removes an endpoint's deliveries and their attempts.
pub async fn delete_of_webhook(db: &impl ConnectionTrait, webhook_id: i32) -> Result<(), DbErr> {
    let ids = Query::select()
        .column(webhook_delivery::Column::Id)
        .from(webhook_delivery::Entity)
        .and_where(Expr::col(webhook_delivery::Column::WebhookId).eq(webhook_id))
        .to_owned();
    webhook_attempt::Entity::delete_many()
        .filter(webhook_attempt::Column::DeliveryId.in_subquery(ids))
        .exec(db)
        .await?;
    webhook_delivery::Entity::delete_many()
        .filter(webhook_delivery::Column::WebhookId.eq(webhook_id))
        .exec(db)
        .await?;
    Ok(())
}

/// How many deliveries wait, and since when the oldest.
pub async fn depth(db: &impl ConnectionTrait) -> Result<(i64, Option<DateTime<Utc>>), DbErr> {
    let select = Query::select()
        .expr(Expr::col(webhook_delivery::Column::Id).count())
        .expr(Expr::col(webhook_delivery::Column::CreatedAt).min())
        .from(webhook_delivery::Entity)
        .and_where(Expr::col(webhook_delivery::Column::Status).eq(PENDING))
        .to_owned();
    let Some(row) = db.query_one(&select).await? else {
        return Ok((0, None));
    };
    Ok((row.try_get_by_index(0)?, row.try_get_by_index(1)?))
}

/// One change of a delivery's change set.
#[derive(Clone, Debug)]
pub struct PayloadChange {
    pub record_type: String,
    pub key: String,
    pub action: Option<Action>,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A change set's time and its changes in order, as a delivery sends them.
pub async fn change_set(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<(DateTime<Utc>, Vec<PayloadChange>)>, DbErr> {
    let Some(set) = super::first(db, entity::change_set::Entity::find_by_id(id)).await? else {
        return Ok(None);
    };
    let changes = entity::change::Entity::find()
        .filter(entity::change::Column::ChangeSetId.eq(id))
        .order_by_asc(entity::change::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|c| PayloadChange {
            action: Action::parse(&c.action),
            record_type: c.record_type,
            key: c.record_key,
            before: c.before,
            after: c.after,
        })
        .collect();
    Ok(Some((set.created_at, changes)))
}

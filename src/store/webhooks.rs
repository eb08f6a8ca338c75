//! Webhook endpoints in the database: what admins register, change and
//! remove. Their deliveries are in [`super::outbox`].

use crate::domain::webhooks::EventFilter;
use chrono::{DateTime, Utc};
use entity::webhook;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, Query, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder,
};

/// An endpoint as stored, its filter parsed.
#[derive(Clone, Debug)]
pub struct Webhook {
    pub id: i32,
    pub url: String,
    pub description: String,
    pub events: EventFilter,
    pub secret: String,
    pub enabled: bool,
    pub failing_since: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<webhook::Model> for Webhook {
    fn from(row: webhook::Model) -> Self {
        Self {
            id: row.id,
            url: row.url,
            description: row.description,
            // Written only by this module, from an `EventFilter`.
            events: serde_json::from_str(&row.events).unwrap_or_default(),
            secret: row.secret,
            enabled: row.enabled,
            failing_since: row.failing_since,
            disabled_at: row.disabled_at,
            created_at: row.created_at,
        }
    }
}

fn encode(events: &EventFilter) -> String {
    serde_json::to_string(events).unwrap_or_else(|_| "{}".to_owned())
}

/// Registers an endpoint, enabled.
pub async fn create(
    db: &impl ConnectionTrait,
    url: &str,
    description: &str,
    events: &EventFilter,
    secret: &str,
) -> Result<Webhook, DbErr> {
    let now = Utc::now();
    let row = webhook::ActiveModel {
        url: Set(url.to_owned()),
        description: Set(description.to_owned()),
        events: Set(encode(events)),
        secret: Set(secret.to_owned()),
        enabled: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row.into())
}

/// Every endpoint, oldest first.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<Webhook>, DbErr> {
    Ok(webhook::Entity::find()
        .order_by_asc(webhook::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(Webhook::from)
        .collect())
}

/// The enabled endpoints: those a change set is offered to.
pub async fn enabled(db: &impl ConnectionTrait) -> Result<Vec<Webhook>, DbErr> {
    Ok(webhook::Entity::find()
        .filter(webhook::Column::Enabled.eq(true))
        .order_by_asc(webhook::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(Webhook::from)
        .collect())
}

/// Whether any endpoint is enabled, as an expression for the statement
/// that inserts a change set (see `super::changes`): most writes have no
/// endpoint to offer their change set to and then skip [`enabled`].
pub(super) fn any_enabled() -> SimpleExpr {
    // Scoped: at module level its `eq` would clash with `ColumnTrait`'s.
    use sea_orm::sea_query::ExprTrait;
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(webhook::Entity)
            .and_where(Expr::col(webhook::Column::Enabled).eq(true))
            .to_owned(),
    )
}

/// One endpoint.
pub async fn find(db: &impl ConnectionTrait, id: i32) -> Result<Option<Webhook>, DbErr> {
    Ok(super::first(db, webhook::Entity::find_by_id(id))
        .await?
        .map(Into::into))
}

/// What to change of an endpoint; `None` keeps a field.
#[derive(Clone, Debug, Default)]
pub struct WebhookChanges {
    pub url: Option<String>,
    pub description: Option<String>,
    pub events: Option<EventFilter>,
    /// `true` re-enables an endpoint (and forgets its failures).
    pub enabled: Option<bool>,
    pub secret: Option<String>,
}

/// Changes an endpoint; `None` when there is none with this id.
pub async fn update(
    db: &impl ConnectionTrait,
    id: i32,
    changes: WebhookChanges,
) -> Result<Option<Webhook>, DbErr> {
    let Some(row) = super::first(db, webhook::Entity::find_by_id(id)).await? else {
        return Ok(None);
    };
    let mut row = row.into_active_model();
    if let Some(url) = changes.url {
        row.url = Set(url);
    }
    if let Some(description) = changes.description {
        row.description = Set(description);
    }
    if let Some(events) = changes.events {
        row.events = Set(encode(&events));
    }
    if let Some(secret) = changes.secret {
        row.secret = Set(secret);
    }
    let now = Utc::now();
    match changes.enabled {
        Some(true) => {
            row.enabled = Set(true);
            row.failing_since = Set(None);
            row.disabled_at = Set(None);
        }
        Some(false) => {
            row.enabled = Set(false);
            row.disabled_at = Set(Some(now));
        }
        None => {}
    }
    row.updated_at = Set(now);
    Ok(Some(row.update(db).await?.into()))
}

/// Removes an endpoint and its deliveries; whether there was one.
pub async fn delete(db: &impl ConnectionTrait, id: i32) -> Result<bool, DbErr> {
    // SQLite enforces the cascade only with foreign keys on: delete the
    // dependents explicitly on both backends.
    super::outbox::delete_of_webhook(db, id).await?;
    let result = webhook::Entity::delete_by_id(id).exec(db).await?;
    Ok(result.rows_affected > 0)
}

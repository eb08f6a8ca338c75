//! Webhook management over GraphQL, for admins: endpoints, their signing
//! secrets (shown once), their delivery log, and redelivery.

use super::UserError;
use crate::domain::access::Role;
use crate::domain::changes::Action;
use crate::domain::kinds::Kind;
use crate::domain::webhooks::EventFilter;
use crate::error::Result;
use crate::graphql::db;
use crate::graphql::guards::RoleGuard;
use crate::graphql::subscription::RecordType;
use crate::interchange::ProblemCode;
use crate::store::outbox;
use crate::store::webhooks::{self as store, WebhookChanges};
use crate::webhooks::sign::new_secret;
use crate::webhooks::target::Policy;
use async_graphql::{ComplexObject, Context, Enum, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

/// The most deliveries one `deliveries` list returns.
const MAX_DELIVERIES: i32 = 100;

/// Which changes an endpoint is sent; a change set goes out when any of its
/// changes matches, with only the matching changes.
#[derive(InputObject, SimpleObject, Clone, Debug, Default)]
#[graphql(input_name = "WebhookEventsInput")]
pub struct WebhookEvents {
    /// Only records of these types (all when left out).
    pub types: Option<Vec<RecordType>>,
    /// Only these actions (all when left out).
    pub actions: Option<Vec<Action>>,
}

impl WebhookEvents {
    fn filter(&self) -> EventFilter {
        EventFilter {
            types: self.types.as_ref().map(|t| {
                t.iter()
                    .map(|t| Kind::from(*t).type_name().to_owned())
                    .collect()
            }),
            actions: self
                .actions
                .as_ref()
                .map(|a| a.iter().map(|a| a.as_str().to_owned()).collect()),
        }
    }

    fn from_filter(filter: &EventFilter) -> Self {
        Self {
            types: filter.types.as_ref().map(|t| {
                t.iter()
                    .filter_map(|name| Kind::from_type_name(name))
                    .map(RecordType::from)
                    .collect()
            }),
            actions: filter
                .actions
                .as_ref()
                .map(|a| a.iter().filter_map(|a| Action::parse(a)).collect()),
        }
    }
}

/// A partner endpoint as admins see it: never its secret.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Webhook {
    /// Its number.
    pub id: i32,
    /// Where deliveries are POSTed.
    pub url: String,
    /// What it is for.
    pub description: String,
    /// Which changes it is sent.
    pub events: WebhookEvents,
    /// Deliveries are sent; false when an admin or failing too long disabled it.
    pub enabled: bool,
    /// Since when every attempt has failed, if the last one did.
    pub failing_since: Option<DateTime<Utc>>,
    /// When it was disabled, if it is.
    pub disabled_at: Option<DateTime<Utc>>,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
}

impl From<store::Webhook> for Webhook {
    fn from(hook: store::Webhook) -> Self {
        Self {
            id: hook.id,
            url: hook.url,
            description: hook.description,
            events: WebhookEvents::from_filter(&hook.events),
            enabled: hook.enabled,
            failing_since: hook.failing_since,
            disabled_at: hook.disabled_at,
            created_at: hook.created_at,
        }
    }
}

#[ComplexObject]
impl Webhook {
    /// Its latest deliveries, newest first.
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many (at most 100).", default = 20)] first: i32,
    ) -> Result<Vec<WebhookDelivery>> {
        let limit = u64::try_from(first.clamp(0, MAX_DELIVERIES)).unwrap_or(0);
        Ok(outbox::deliveries(db(ctx), self.id, limit)
            .await?
            .into_iter()
            .map(WebhookDelivery::from)
            .collect())
    }
}

/// Where a delivery stands.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum WebhookDeliveryStatus {
    /// Waiting to be sent, or to be retried.
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Retried for the whole retry window in vain.
    Failed,
}

/// One change set sent to one endpoint.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct WebhookDelivery {
    /// Its number, for `redeliver`.
    pub id: i32,
    /// The `webhook-id` header: the same on every attempt.
    pub webhook_id: String,
    /// The change set it sends.
    pub change_set: i32,
    /// Where it stands.
    pub status: WebhookDeliveryStatus,
    /// How many times it was sent.
    pub attempts: i32,
    /// The status code of the last response, if one came.
    pub last_status_code: Option<i32>,
    /// When it will be tried next, while pending.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When it was delivered or given up on.
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<outbox::Delivery> for WebhookDelivery {
    fn from(d: outbox::Delivery) -> Self {
        let status = match d.status.as_str() {
            outbox::DELIVERED => WebhookDeliveryStatus::Delivered,
            outbox::FAILED => WebhookDeliveryStatus::Failed,
            _ => WebhookDeliveryStatus::Pending,
        };
        Self {
            next_attempt_at: crate::webhooks::worker::next_attempt(&d),
            id: d.id,
            webhook_id: d.message_id,
            change_set: d.change_set_id,
            status,
            attempts: d.attempts,
            last_status_code: d.last_status_code,
            created_at: d.created_at,
            finished_at: d.finished_at,
        }
    }
}

#[ComplexObject]
impl WebhookDelivery {
    /// Every attempt, oldest first.
    async fn log(&self, ctx: &Context<'_>) -> Result<Vec<WebhookAttempt>> {
        Ok(outbox::attempts(db(ctx), self.id)
            .await?
            .into_iter()
            .map(|a| WebhookAttempt {
                attempted_at: a.attempted_at,
                status_code: a.status_code,
                error: a.error,
                duration_ms: a.duration_ms,
            })
            .collect())
    }
}

/// One try at sending a delivery.
#[derive(SimpleObject)]
pub struct WebhookAttempt {
    /// When it was sent.
    pub attempted_at: DateTime<Utc>,
    /// The response's status code, if one came.
    pub status_code: Option<i32>,
    /// Why no response came: refused target, timeout, connection error.
    pub error: Option<String>,
    /// How long it took, in milliseconds.
    pub duration_ms: i32,
}

/// An endpoint to register.
#[derive(InputObject)]
pub struct CreateWebhookInput {
    /// Where to POST deliveries: `https` (or `http` if the server allows it).
    pub url: String,
    /// Which changes to send (all when left out).
    pub events: Option<WebhookEvents>,
    /// What it is for.
    #[graphql(default)]
    pub description: String,
}

/// What to change of an endpoint; fields left out stay.
#[derive(InputObject)]
pub struct UpdateWebhookInput {
    /// The endpoint's number.
    pub id: i32,
    /// A new URL.
    pub url: Option<String>,
    /// New filters.
    pub events: Option<WebhookEvents>,
    /// A new description.
    pub description: Option<String>,
    /// `true` re-enables a disabled endpoint; `false` disables it.
    pub enabled: Option<bool>,
}

/// An endpoint by number.
#[derive(InputObject)]
pub struct WebhookIdInput {
    /// The endpoint's number.
    pub id: i32,
}

/// A delivery to send again.
#[derive(InputObject)]
pub struct RedeliverInput {
    /// The delivery's number.
    pub delivery: i32,
}

/// The result of `createWebhook` and `rotateWebhookSecret`.
#[derive(SimpleObject)]
pub struct WebhookSecretPayload {
    /// The endpoint.
    pub webhook: Option<Webhook>,
    /// The signing secret (`whsec_…`): shown this once.
    pub secret: Option<String>,
    /// Why nothing was done.
    pub user_errors: Vec<UserError>,
}

/// The result of `updateWebhook` and `deleteWebhook`.
#[derive(SimpleObject)]
pub struct WebhookPayload {
    /// The endpoint (as it was, when deleted).
    pub webhook: Option<Webhook>,
    /// Why nothing was done.
    pub user_errors: Vec<UserError>,
}

/// The result of `redeliver`.
#[derive(SimpleObject)]
pub struct RedeliverPayload {
    /// The delivery, queued again.
    pub delivery: Option<WebhookDelivery>,
    /// Why nothing was done.
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// Every webhook endpoint, oldest first (admins only).
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn webhooks(&self, ctx: &Context<'_>) -> Result<Vec<Webhook>> {
        Ok(store::list(db(ctx))
            .await?
            .into_iter()
            .map(Webhook::from)
            .collect())
    }
}

/// Checks a URL as deliveries will be checked, resolving its host now.
async fn check(ctx: &Context<'_>, url: &str) -> std::result::Result<(), UserError> {
    ctx.data_unchecked::<Policy>()
        .check_resolved(url)
        .await
        .map(|_| ())
        .map_err(|refused| {
            UserError::new(
                &["input", "url"],
                ProblemCode::InvalidValue,
                refused.to_string(),
            )
        })
}

fn not_found(id: i32) -> UserError {
    UserError::new(
        &["input", "id"],
        ProblemCode::NotFound,
        format!("no webhook {id}"),
    )
}

fn secret() -> Result<String> {
    new_secret().map_err(|e| {
        crate::error::AppError::Database(std::sync::Arc::new(sea_orm::DbErr::Custom(format!(
            "no randomness for a webhook secret: {e}"
        ))))
    })
}

#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Registers a webhook endpoint (admins only); its signing secret is in
    /// the payload, once.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn create_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; see the input type.")] input: CreateWebhookInput,
    ) -> Result<WebhookSecretPayload> {
        if let Err(error) = check(ctx, &input.url).await {
            return Ok(WebhookSecretPayload {
                webhook: None,
                secret: None,
                user_errors: vec![error],
            });
        }
        let secret = secret()?;
        let events = input.events.unwrap_or_default().filter();
        let hook = store::create(db(ctx), &input.url, &input.description, &events, &secret).await?;
        Ok(WebhookSecretPayload {
            webhook: Some(hook.into()),
            secret: Some(secret),
            user_errors: Vec::new(),
        })
    }

    /// Changes a webhook endpoint (admins only); `enabled: true` re-enables it.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn update_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; see the input type.")] input: UpdateWebhookInput,
    ) -> Result<WebhookPayload> {
        if let Some(url) = &input.url
            && let Err(error) = check(ctx, url).await
        {
            return Ok(WebhookPayload {
                webhook: None,
                user_errors: vec![error],
            });
        }
        let changes = WebhookChanges {
            url: input.url,
            description: input.description,
            events: input.events.map(|e| e.filter()),
            enabled: input.enabled,
            secret: None,
        };
        Ok(match store::update(db(ctx), input.id, changes).await? {
            Some(hook) => WebhookPayload {
                webhook: Some(hook.into()),
                user_errors: Vec::new(),
            },
            None => WebhookPayload {
                webhook: None,
                user_errors: vec![not_found(input.id)],
            },
        })
    }

    /// Removes a webhook endpoint and its delivery log (admins only).
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn delete_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; see the input type.")] input: WebhookIdInput,
    ) -> Result<WebhookPayload> {
        let txn = crate::store::connection::begin_write(db(ctx)).await?;
        let Some(hook) = store::find(&txn, input.id).await? else {
            txn.rollback().await?;
            return Ok(WebhookPayload {
                webhook: None,
                user_errors: vec![not_found(input.id)],
            });
        };
        store::delete(&txn, input.id).await?;
        txn.commit().await?;
        Ok(WebhookPayload {
            webhook: Some(hook.into()),
            user_errors: Vec::new(),
        })
    }

    /// Gives a webhook endpoint a new signing secret (admins only), shown
    /// once; deliveries are signed with it from now on.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; see the input type.")] input: WebhookIdInput,
    ) -> Result<WebhookSecretPayload> {
        let secret = secret()?;
        let changes = WebhookChanges {
            secret: Some(secret.clone()),
            ..WebhookChanges::default()
        };
        Ok(match store::update(db(ctx), input.id, changes).await? {
            Some(hook) => WebhookSecretPayload {
                webhook: Some(hook.into()),
                secret: Some(secret),
                user_errors: Vec::new(),
            },
            None => WebhookSecretPayload {
                webhook: None,
                secret: None,
                user_errors: vec![not_found(input.id)],
            },
        })
    }

    /// Queues a delivery again, now, with the same `webhook-id` (admins only).
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn redeliver(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; see the input type.")] input: RedeliverInput,
    ) -> Result<RedeliverPayload> {
        Ok(match outbox::redeliver(db(ctx), input.delivery).await? {
            Some(delivery) => RedeliverPayload {
                delivery: Some(delivery.into()),
                user_errors: Vec::new(),
            },
            None => RedeliverPayload {
                delivery: None,
                user_errors: vec![UserError::new(
                    &["input", "delivery"],
                    ProblemCode::NotFound,
                    format!("no delivery {}", input.delivery),
                )],
            },
        })
    }
}

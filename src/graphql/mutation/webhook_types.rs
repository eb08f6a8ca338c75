//! What admins read of webhooks: endpoints (never their secret), their
//! filters, deliveries and the log of each attempt.

use crate::domain::changes::Action;
use crate::domain::kinds::Kind;
use crate::domain::webhooks::EventFilter;
use crate::error::Result;
use crate::graphql::db;
use crate::graphql::subscription::RecordType;
use crate::store::outbox;
use crate::store::webhooks as store;
use async_graphql::{ComplexObject, Context, Enum, InputObject, SimpleObject};
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
    pub(super) fn filter(&self) -> EventFilter {
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

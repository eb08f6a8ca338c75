//! Webhook management over GraphQL, for admins: endpoints, their signing
//! secrets (shown once), their delivery log, and redelivery.

use super::UserError;
use super::webhook_types::{Webhook, WebhookDelivery, WebhookEvents};
use crate::domain::access::Role;
use crate::error::Result;
use crate::graphql::db;
use crate::graphql::guards::RoleGuard;
use crate::interchange::ProblemCode;
use crate::store::outbox;
use crate::store::webhooks::{self as store, WebhookChanges};
use crate::webhooks::sign::new_secret;
use crate::webhooks::target::Policy;
use async_graphql::{Context, InputObject, Object, SimpleObject};

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

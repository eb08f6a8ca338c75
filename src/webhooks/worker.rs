//! The background worker that sends the outbox: every server runs one.
//! It claims endpoints whose next delivery is due (no other server sends
//! to a claimed endpoint), sends each endpoint's deliveries one by one in
//! change-set order, and logs every attempt. At least once: a delivery is
//! marked delivered only after its endpoint answered 2xx, so a crash in
//! between sends it again, with the same `webhook-id`.
//!
//! Over 400 lines: the loop, a round's claim, one endpoint's sends and one
//! attempt's request, answer and retry time are one sequence, read top to
//! bottom.

use super::sign;
use super::target::Policy;
use crate::config::WebhookConfig;
use crate::metrics::WebhookCounters;
use crate::store::Db;
use crate::store::horizon;
use crate::store::outbox::{self, AttemptOutcome, DELIVERED, Delivery, FAILED, PENDING};
use crate::store::webhooks::Webhook;
use chrono::{DateTime, Utc};
use sea_orm::DbErr;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::Instrument;

/// How often an idle worker looks for due deliveries.
const POLL: Duration = Duration::from_millis(200);
/// Endpoints one worker sends to at once.
const CLAIM: u64 = 16;
/// At most this much of a response body is read (and then dropped).
const BODY_CAP: usize = 4096;

/// A running worker; stops when [`Worker::stop`] is called.
pub struct Worker {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

struct Context {
    db: Db,
    config: WebhookConfig,
    client: reqwest::Client,
    counters: WebhookCounters,
}

impl Worker {
    /// Starts sending the outbox of `db`.
    pub fn start(
        db: Db,
        config: WebhookConfig,
        counters: WebhookCounters,
    ) -> Result<Worker, reqwest::Error> {
        let policy = Policy {
            allow_http: config.allow_http,
            allow_private: config.allow_private,
        };
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would connect to addresses the resolver never saw.
            .no_proxy()
            .dns_resolver(policy.resolver())
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .user_agent(concat!("Twinning-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let (stop, stopped) = watch::channel(false);
        let context = Arc::new(Context {
            db,
            config,
            client,
            counters,
        });
        // The gauges apart from the sending: a backlog keeps the sender
        // busy for as long as it lasts, and that is when they matter.
        let task = tokio::spawn(async move {
            tokio::join!(run(context.clone(), stopped), measure(&context));
        });
        Ok(Worker { stop, task })
    }

    /// Stops the worker; a delivery in flight is sent again later.
    pub fn stop(&self) {
        self.stop.send_replace(true);
        self.task.abort();
    }
}

async fn run(context: Arc<Context>, mut stopped: watch::Receiver<bool>) {
    loop {
        let pause = match claim_and_send(&context).await {
            Ok(Round::Sent) => continue,
            Ok(Round::Held) => HELD,
            Ok(Round::Idle) => POLL,
            Err(error) => {
                tracing::warn!(%error, "webhook worker: database error");
                POLL
            }
        };
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            _ = stopped.changed() => return,
        }
    }
}

/// What a round of the worker did.
enum Round {
    /// Sent at least one delivery: go on at once.
    Sent,
    /// Sent none: every due delivery waits behind a change set still in
    /// flight, which commits (or not) in moments.
    Held,
    /// Found nothing due.
    Idle,
}

/// How long the worker waits for a change set in flight.
const HELD: Duration = Duration::from_millis(5);

/// How often the outbox's depth is read for `/metrics`.
const DEPTH_EVERY: Duration = Duration::from_secs(1);

/// Reads how many deliveries wait, and since when, into the gauges, every
/// [`DEPTH_EVERY`], until the worker stops (its task is aborted).
async fn measure(context: &Context) {
    let mut every = tokio::time::interval(DEPTH_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        match outbox::depth(&context.db).await {
            Ok((depth, oldest)) => {
                let waited = oldest.map_or(0, |at| (Utc::now() - at).num_seconds().max(0));
                context.counters.outbox_depth.set(depth);
                context.counters.outbox_oldest_seconds.set(waited);
            }
            Err(error) => tracing::warn!(%error, "webhook worker: reading the outbox's depth"),
        }
    }
}

/// How long a claim holds an endpoint: longer than one request may take.
fn lease(config: &WebhookConfig) -> chrono::Duration {
    chrono::Duration::from_std(config.timeout * 2 + Duration::from_secs(5))
        .unwrap_or(chrono::Duration::minutes(1))
}

/// Claims due endpoints and sends their deliveries.
async fn claim_and_send(context: &Arc<Context>) -> Result<Round, DbErr> {
    let now = Utc::now();
    let hooks = outbox::claim(&context.db, now, now + lease(&context.config), CLAIM).await?;
    if hooks.is_empty() {
        return Ok(Round::Idle);
    }
    // Change-set order per endpoint: a delivery goes only once every change
    // set before it is settled (see `crate::store::horizon`), read after
    // the claim and before the deliveries.
    let horizon = match horizon::find_horizon(&context.db).await {
        Ok(horizon) => horizon,
        Err(error) => {
            for hook in &hooks {
                outbox::release(&context.db, hook.id).await?;
            }
            return Err(error);
        }
    };
    let tasks: Vec<_> = hooks
        .into_iter()
        .map(|hook| {
            let context = context.clone();
            tokio::spawn(async move {
                let id = hook.id;
                let sent = send_due(&context, hook, horizon)
                    .await
                    .unwrap_or_else(|error| {
                        tracing::warn!(%error, webhook = id, "webhook worker: database error");
                        0
                    });
                outbox::release(&context.db, id).await.map(|()| sent)
            })
        })
        .collect();
    let mut sent = 0;
    for task in tasks {
        match task.await {
            Ok(Ok(n)) => sent += n,
            Ok(Err(error)) => tracing::warn!(%error, "webhook worker: releasing an endpoint"),
            Err(_) => {}
        }
    }
    Ok(if sent > 0 { Round::Sent } else { Round::Held })
}

/// Sends an endpoint's due deliveries below `horizon` in order, until one
/// must wait; how many attempts it made.
async fn send_due(context: &Context, mut hook: Webhook, horizon: i32) -> Result<usize, DbErr> {
    let mut sent = 0;
    while let Some(delivery) = outbox::head(&context.db, hook.id, horizon).await? {
        if delivery.next_attempt_at > Utc::now() {
            break;
        }
        let span = delivery_span(&hook, &delivery);
        let Some(body) = body(context, &hook, &delivery)
            .instrument(span.clone())
            .await?
        else {
            break;
        };
        let outcome = attempt(context, &hook, &delivery, &body)
            .instrument(span.clone())
            .await;
        span.record("webhook.status", outcome.status);
        if let Some(code) = outcome.status_code {
            span.record("http.response.status_code", code);
        }
        if outcome.status != DELIVERED {
            span.record("otel.status_code", "ERROR");
        }
        outbox::record_attempt(&context.db, &delivery, &outcome)
            .instrument(span)
            .await?;
        sent += 1;
        match outcome.status {
            DELIVERED => {
                context.counters.sent.inc();
                hook.failing_since = None;
            }
            FAILED => {
                context.counters.failed.inc();
            }
            _ => {
                context.counters.retried.inc();
            }
        }
        if outcome.status != DELIVERED {
            hook.failing_since.get_or_insert(outcome.at);
        }
        if outcome.disable {
            tracing::warn!(webhook = hook.id, url = %hook.url, "webhook disabled after failing too long");
            break;
        }
        if outcome.status == PENDING {
            break;
        }
    }
    Ok(sent)
}

/// One attempt at a delivery, as a span in the trace of the write that
/// queued it (a root when that write was not traced); its context goes out
/// in the request's `traceparent`. At DEBUG, off unless traces are
/// exported.
fn delivery_span(hook: &Webhook, delivery: &Delivery) -> tracing::Span {
    let span = tracing::debug_span!(
        "webhook.delivery",
        otel.kind = "client",
        webhook.id = hook.id,
        webhook.message_id = %delivery.message_id,
        webhook.attempt = delivery.attempts + 1,
        webhook.status = tracing::field::Empty,
        http.response.status_code = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
    );
    crate::telemetry::otlp::adopt_stored(&span, delivery.trace_context.as_deref());
    span
}

/// The JSON a delivery sends: its change set's changes that the endpoint
/// wants, each with the changed fields before and after. The same bytes on
/// every attempt, built from the change history, which never changes.
async fn body(
    context: &Context,
    hook: &Webhook,
    delivery: &Delivery,
) -> Result<Option<Vec<u8>>, DbErr> {
    let Some((at, changes)) = outbox::change_set(&context.db, delivery.change_set_id).await? else {
        return Ok(None);
    };
    let parse = |text: &Option<String>| {
        text.as_deref()
            .and_then(|t| serde_json::from_str::<Value>(t).ok())
    };
    let changes: Vec<Value> = changes
        .iter()
        .filter(|c| {
            c.action
                .is_some_and(|a| hook.events.matches(&c.record_type, a))
        })
        .map(|c| {
            json!({
                "recordType": c.record_type,
                "recordKey": c.key,
                "action": c.action.map(|a| a.as_str()),
                "before": parse(&c.before),
                "after": parse(&c.after),
            })
        })
        .collect();
    let body = json!({
        "type": "changes.committed",
        "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": { "changeSet": delivery.change_set_id, "changes": changes },
    });
    Ok(Some(body.to_string().into_bytes()))
}

/// Sends a delivery once and decides what comes next.
async fn attempt(
    context: &Context,
    hook: &Webhook,
    delivery: &Delivery,
    body: &[u8],
) -> AttemptOutcome {
    let config = &context.config;
    let started = Instant::now();
    let at = Utc::now();
    let (status_code, error) = match post(context, hook, delivery, body).await {
        Ok(code) => (Some(i32::from(code)), None),
        Err(error) => (None, Some(error)),
    };
    let duration_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
    let ok = status_code.is_some_and(|c| (200..300).contains(&c));
    let window = chrono::Duration::from_std(config.retry_window).unwrap_or(chrono::Duration::MAX);
    let status = if ok {
        DELIVERED
    } else if at - delivery.created_at >= window {
        FAILED
    } else {
        PENDING
    };
    let jitter = getrandom::u64().map_or(0.5, |r| (r >> 11) as f64 / (1u64 << 53) as f64);
    let attempts = u32::try_from(delivery.attempts).unwrap_or(0) + 1;
    let delay = crate::domain::webhooks::retry_delay(attempts, config.retry_base, jitter);
    let next_attempt_at = if status == PENDING {
        at + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(1))
    } else {
        at
    };
    let disable_after =
        chrono::Duration::from_std(config.disable_after).unwrap_or(chrono::Duration::MAX);
    let disable = !ok && at - hook.failing_since.unwrap_or(at) >= disable_after;
    AttemptOutcome {
        at,
        status_code,
        error,
        duration_ms,
        status,
        next_attempt_at,
        disable,
        lease_until: Utc::now() + lease(config),
    }
}

/// POSTs the signed body; the response's status, or why none came.
async fn post(
    context: &Context,
    hook: &Webhook,
    delivery: &Delivery,
    body: &[u8],
) -> Result<u16, String> {
    let policy = Policy {
        allow_http: context.config.allow_http,
        allow_private: context.config.allow_private,
    };
    // An address in the URL is never resolved: check it here (names are
    // checked by the client's resolver).
    let url = policy.check_url(&hook.url).map_err(|e| e.to_string())?;
    let timestamp = Utc::now().timestamp();
    let signature = sign::signature(&hook.secret, &delivery.message_id, timestamp, body);
    let mut trace = reqwest::header::HeaderMap::new();
    crate::telemetry::otlp::inject(&mut trace);
    let response = context
        .client
        .post(url)
        .headers(trace)
        .header("content-type", "application/json")
        .header("webhook-id", &delivery.message_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body.to_vec())
        .send()
        .await
        .map_err(|e| describe(&e))?;
    let status = response.status().as_u16();
    drain(response).await;
    Ok(status)
}

/// Reads at most [`BODY_CAP`] bytes of a response, so that a receiver
/// cannot make the worker hold a large body.
async fn drain(mut response: reqwest::Response) {
    let mut read = 0;
    while read < BODY_CAP {
        match response.chunk().await {
            Ok(Some(chunk)) => read += chunk.len(),
            _ => break,
        }
    }
}

/// Why a request failed, with the refusal when the resolver refused.
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// When a delivery's next attempt is, for the log.
pub fn next_attempt(delivery: &Delivery) -> Option<DateTime<Utc>> {
    (delivery.status == PENDING).then_some(delivery.next_attempt_at)
}

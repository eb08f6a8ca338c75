//! GraphQL over HTTP, after the GraphQL-over-HTTP specification: a request
//! from a POST body (one operation or a batch, as JSON or, with uploaded
//! files, as a multipart form) or a GET query string, the response media
//! type chosen by `Accept`, and a status code that says what happened.
//!
//! - `application/graphql-response+json`: a request that did not run (it
//!   has no `data`) answers 4xx or 5xx.
//! - `application/json` (the default, and what `*/*` gets): a well-formed
//!   request answers 200 whatever its GraphQL errors.
//! - In both, refusals before execution that HTTP has a word for keep it:
//!   401 (bad key), 405 (a mutation over GET, with `Allow: POST`), 413, 415,
//!   429 (with `Retry-After`).
//! - The response to a single operation that got as far as the rate
//!   limiter carries `X-RateLimit-Limit`, `-Remaining`, `-Used` and
//!   `-Reset` when the caller has a budget (a batch's operations report
//!   theirs in their `extensions.cost`).

mod caching;
mod media;
mod request;
mod response;
mod status;
mod upload;

pub use upload::MAX_UPLOAD_BYTES;

use super::{AppState, client_address, graphiql, ws};
use crate::error::ErrorCode;
use crate::graphql::pipeline::consistency;
use crate::graphql::{Caller, Client, CostReport, Executed, Transport, did_not_run};
use crate::metrics::{Outcome, RequestRecord};
use crate::store::replicas::Read;
use axum::body::Body;
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use media::MediaType;
use request::{Batch, Unread};
use tracing::Instrument;

/// The operations of a POST: one JSON object, or an array of at most
/// `max_batch` of them, or the same with files in a multipart body.
async fn from_post(headers: &HeaderMap, body: Body, max_batch: usize) -> Result<Batch, Unread> {
    if upload::is_multipart(headers) {
        return upload::from_multipart(headers, body, max_batch).await;
    }
    // The body limit layer refuses a body over the limit that says its
    // length up front; one sent in chunks fails here as it passes it.
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .map_err(|error| Unread::body(&error))?;
    Ok(request::from_json(headers, &body, max_batch)?)
}

/// `POST /graphql`: one operation or a batch, as JSON or as a multipart
/// form with files.
pub async fn post(State(state): State<AppState>, request: Request) -> Response {
    let address = client_address(&request, state.forwarded_hops);
    let (parts, body) = request.into_parts();
    let Some(media) = MediaType::negotiate(&parts.headers) else {
        return media::not_acceptable();
    };
    let mut response = match from_post(&parts.headers, body, state.max_batch).await {
        Ok(batch) => {
            let client = Client {
                address,
                transport: Transport::Post,
            };
            respond(&state, batch, media, &parts.headers, client, None).await
        }
        Err(unread) => unread.into_response(media),
    };
    caching::never(&mut response);
    response
}

/// `GET /graphql`: a GET that asks to upgrade is a WebSocket for
/// subscriptions; one with a query string is a GraphQL query; one without
/// is a person with a browser, who gets GraphiQL.
pub async fn get(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    request: Request,
) -> Response {
    let address = client_address(&request, state.forwarded_hops);
    let (mut parts, _) = request.into_parts();
    let upgrade = parts
        .headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if upgrade {
        return ws::upgrade(state.api, state.ws, &mut parts, address).await;
    }
    let headers = &parts.headers;
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if query.is_none() && wants_html {
        return Html(graphiql::page()).into_response();
    }
    let Some(media) = MediaType::negotiate(headers) else {
        return media::not_acceptable();
    };
    let query = query.unwrap_or_default();
    let authorized = headers.contains_key(header::AUTHORIZATION);
    // The answer must come from the database its entity tag was read from.
    let read = match authorized || state.cache_max_age == 0 {
        true => None,
        false => Some(pinned_read(&state, headers).await),
    };
    let tag = match &read {
        None => None,
        Some(read) => caching::entity_tag(&state, &query, media, read).await,
    };
    if let Some(tag) = &tag
        && caching::matches(headers, tag)
    {
        return caching::not_modified(tag, state.cache_max_age);
    }
    let mut response = match request::from_query_string(&query) {
        Ok(request) => {
            let batch = Batch::Single(Box::new(request));
            let client = Client {
                address,
                transport: Transport::Get,
            };
            respond(&state, batch, media, headers, client, read.as_ref()).await
        }
        Err(bad) => bad.into_response(media),
    };
    caching::label(
        &mut response,
        authorized,
        tag.as_deref(),
        state.cache_max_age,
    );
    response
}

/// Runs `batch` for a client and answers it as `media`; each operation is
/// counted in the metrics and logged on one line.
async fn respond(
    state: &AppState,
    batch: Batch,
    media: MediaType,
    headers: &HeaderMap,
    client: Client,
    read: Option<&Read>,
) -> Response {
    let caller = Caller {
        authorization: text(headers, header::AUTHORIZATION.as_str()),
        client,
        consistency: text(headers, consistency::HEADER),
        read,
    };
    let run = |request| async move {
        let started = std::time::Instant::now();
        let span = operation_span();
        let executed = state
            .api
            .execute(request, caller)
            .instrument(span.clone())
            .await;
        record(state, &executed, media, started.elapsed());
        trace_outcome(&span, &executed);
        executed
    };
    match batch {
        Batch::Single(request) => {
            let executed = run(*request).await;
            let clean = executed.response.errors.is_empty()
                && executed.cost.as_ref().is_some_and(|c| !c.dry_run);
            let mut answer = response::single(executed, media);
            if clean {
                answer.extensions_mut().insert(caching::Cacheable);
            }
            answer
        }
        Batch::Many(requests) => {
            let executed = futures_util::future::join_all(requests.into_iter().map(run)).await;
            response::many(&executed, media)
        }
    }
}

/// Where an anonymous GET reads (with the consistency token of its header,
/// if it is one; a malformed one is refused when the query runs).
async fn pinned_read(state: &AppState, headers: &HeaderMap) -> Read {
    let token = text(headers, consistency::HEADER).and_then(|v| v.parse().ok());
    state.api.databases().read(token).await
}

/// A header's value, when it is text.
fn text<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// One GraphQL operation's span, in the request's (a batch has several):
/// a trace's node for the operation, at DEBUG so that it is off unless
/// traces are exported (see [`crate::telemetry`]).
fn operation_span() -> tracing::Span {
    tracing::debug_span!(
        "graphql.operation",
        graphql.operation.name = tracing::field::Empty,
        graphql.operation.type = tracing::field::Empty,
        graphql.cost = tracing::field::Empty,
        graphql.outcome = tracing::field::Empty,
        db.statements = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
    )
}

/// What the operation's span tells of how it ended.
fn trace_outcome(span: &tracing::Span, executed: &Executed) {
    if span.is_disabled() {
        return;
    }
    let cost = executed.cost.as_ref();
    if let Some(name) = cost.and_then(|c| c.operation.as_deref()) {
        span.record("graphql.operation.name", name);
    }
    let outcome = outcome(&executed.response);
    span.record("graphql.outcome", outcome.as_str());
    span.record(
        "db.statements",
        i64::try_from(executed.statements).unwrap_or(i64::MAX),
    );
    if outcome != Outcome::Ok {
        span.record("otel.status_code", "ERROR");
    }
}

/// How a request ended.
fn outcome(response: &async_graphql::Response) -> Outcome {
    match response::refusal_code(response) {
        Some(ErrorCode::RateLimited) => Outcome::RateLimited,
        _ if did_not_run(response) => Outcome::Refused,
        _ if response.errors.is_empty() => Outcome::Ok,
        _ => Outcome::Errors,
    }
}

/// The metrics and the log line of one operation.
fn record(state: &AppState, executed: &Executed, media: MediaType, took: std::time::Duration) {
    let cost = executed.cost.as_ref();
    let charged = cost
        .filter(|c| !c.dry_run && !c.refused)
        .map_or(0, CostReport::points);
    let outcome = outcome(&executed.response);
    let operation = cost.and_then(|c| c.operation.as_deref());
    state.metrics.record(RequestRecord {
        operation,
        outcome,
        seconds: took.as_secs_f64(),
        statements: executed.statements,
        cost: charged,
    });
    tracing::info!(
        operation = operation.unwrap_or("-"),
        outcome = outcome.as_str(),
        status = response::response_status(&executed.response, media).as_u16(),
        duration_ms = took.as_secs_f64() * 1000.0,
        cost = charged,
        statements = executed.statements,
        errors = executed.response.errors.len(),
        "graphql"
    );
}

//! Answering GraphQL over HTTP: the body (without `data` when nothing
//! ran), the status its errors call for, and the headers that go with it:
//! `Allow` on 405, `WWW-Authenticate` on 401, `Retry-After` on 429 and 503,
//! and the caller's budget in `X-RateLimit-*`.

use super::media::MediaType;
use super::status::{Refused, status};
use crate::error::ErrorCode;
use crate::graphql::{CostReport, Executed, did_not_run};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;

/// The JSON of a response, serialized straight from async-graphql's tree.
#[derive(serde::Serialize)]
struct Body<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a async_graphql::Value>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [async_graphql::ServerError],
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    extensions: &'a BTreeMap<String, async_graphql::Value>,
}

/// The body of a response: without `data` when the request never ran, as
/// the specification asks.
fn body(response: &async_graphql::Response) -> Body<'_> {
    Body {
        data: (!did_not_run(response)).then_some(&response.data),
        errors: &response.errors,
        extensions: &response.extensions,
    }
}

fn json_response(status: StatusCode, media: MediaType, body: Vec<u8>) -> Response {
    (status, [(header::CONTENT_TYPE, media.content_type())], body).into_response()
}

/// The answer when a response cannot be written, which (its body being
/// fixed) can always be.
fn internal(media: MediaType, error: &serde_json::Error) -> Response {
    tracing::error!(%error, "serializing a response");
    let code = ErrorCode::Internal;
    let body = serde_json::json!({
        "errors": [{ "message": "internal error", "extensions": { "code": code.as_str() } }]
    });
    let status = status(code, media, Refused::Request);
    json_response(status, media, body.to_string().into_bytes())
}

/// An answer that is one error and nothing else.
pub fn refusal(
    status: StatusCode,
    media: MediaType,
    error: async_graphql::ServerError,
) -> Response {
    let body = Body {
        data: None,
        errors: &[error],
        extensions: &BTreeMap::new(),
    };
    match serde_json::to_vec(&body) {
        Ok(body) => json_response(status, media, body),
        Err(error) => internal(media, &error),
    }
}

/// The code of the first error, when the request did not run (an error
/// with no path, and no data). A refusal without a code of ours (one of
/// async-graphql's own, such as an unknown operation name) is a bad request.
pub fn refusal_code(response: &async_graphql::Response) -> Option<ErrorCode> {
    if !did_not_run(response) {
        return None;
    }
    let first = response.errors.first()?;
    Some(ErrorCode::of(first).unwrap_or(ErrorCode::BadRequest))
}

/// The status of one response. Whatever ran, a client told the database
/// is unavailable should try again: it (and any load balancer) hears so the
/// way HTTP says it.
pub fn response_status(response: &async_graphql::Response, media: MediaType) -> StatusCode {
    let unavailable = response
        .errors
        .iter()
        .any(|e| ErrorCode::of(e) == Some(ErrorCode::ServiceUnavailable));
    let code = if unavailable {
        Some(ErrorCode::ServiceUnavailable)
    } else {
        refusal_code(response)
    };
    code.map_or(StatusCode::OK, |code| {
        status(code, media, Refused::Operation)
    })
}

/// The answer to a single operation, with its status and headers.
pub fn single(executed: Executed, media: MediaType) -> Response {
    let Executed { response, cost, .. } = executed;
    let status = response_status(&response, media);
    let mut extra = response.http_headers.clone();
    if status == StatusCode::METHOD_NOT_ALLOWED {
        extra.insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    if status == StatusCode::UNAUTHORIZED {
        extra.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    if let Some(cost) = &cost {
        rate_limit_headers(cost, &mut extra);
    }
    if status == StatusCode::TOO_MANY_REQUESTS
        && let Some(extensions) = response.errors.first().and_then(|e| e.extensions.as_ref())
        && let Some(async_graphql::Value::Number(seconds)) = extensions.get("retryAfter")
        && let Ok(seconds) = HeaderValue::from_str(&seconds.to_string())
    {
        extra.insert(header::RETRY_AFTER, seconds);
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        extra.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    let mut answer = match serde_json::to_vec(&body(&response)) {
        Ok(body) => json_response(status, media, body),
        Err(error) => return internal(media, &error),
    };
    answer.headers_mut().extend(extra);
    answer
}

/// The answer to a batch: 200, and each operation's response in order
/// (which carries its budget in its `extensions.cost`).
pub fn many(executed: &[Executed], media: MediaType) -> Response {
    let bodies: Vec<Body<'_>> = executed.iter().map(|e| body(&e.response)).collect();
    match serde_json::to_vec(&bodies) {
        Ok(body) => json_response(StatusCode::OK, media, body),
        Err(error) => internal(media, &error),
    }
}

/// `X-RateLimit-*`: the caller's budget after this request.
fn rate_limit_headers(cost: &CostReport, headers: &mut HeaderMap) {
    let Some(budget) = cost.budget else {
        return;
    };
    for (name, value) in [
        ("x-ratelimit-limit", budget.limit),
        ("x-ratelimit-remaining", budget.remaining),
        ("x-ratelimit-used", budget.used),
        ("x-ratelimit-reset", budget.reset_at),
    ] {
        headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
    }
}

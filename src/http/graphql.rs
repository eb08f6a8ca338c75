//! GraphQL over HTTP, after the GraphQL-over-HTTP specification: a request
//! from a POST body (one operation or a batch) or a GET query string, the
//! response media type chosen by `Accept`, and a status code that says
//! what happened.
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

use super::AppState;
use crate::error::ErrorCode;
use crate::graphql::{Caller, Client, CostReport, Executed, Transport, did_not_run};
use crate::metrics::{Outcome, RequestRecord};
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

/// The media types a GraphQL response is sent as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaType {
    /// `application/graphql-response+json`.
    GraphQLResponse,
    /// `application/json`, the legacy type.
    Json,
}

impl MediaType {
    fn content_type(self) -> &'static str {
        match self {
            MediaType::GraphQLResponse => "application/graphql-response+json; charset=utf-8",
            MediaType::Json => "application/json; charset=utf-8",
        }
    }

    /// The type `Accept` prefers (highest `q`, then first named) among
    /// those a GraphQL response can be sent as; JSON when the header is
    /// missing. `None` when it names only types this server cannot send.
    pub fn negotiate(headers: &HeaderMap) -> Option<Self> {
        let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
            return Some(MediaType::Json);
        };
        if accept.trim().is_empty() {
            return Some(MediaType::Json);
        }
        let mut best: Option<(f32, MediaType)> = None;
        for range in accept.split(',') {
            let mut parts = range.split(';');
            let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let quality = parts
                .find_map(|p| p.trim().strip_prefix("q=")?.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let candidate = match media.as_str() {
                "application/graphql-response+json" => MediaType::GraphQLResponse,
                "application/json" | "application/*" | "*/*" => MediaType::Json,
                _ => continue,
            };
            if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, candidate));
            }
        }
        best.map(|(_, media)| media)
    }
}

/// What an answer with an error code refused, which decides whether
/// `application/json` clients get its code's status or 200.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// An HTTP request that is not a GraphQL request (or a response that
    /// could not be written): a failure of HTTP's own.
    Request,
    /// A well-formed GraphQL request, before it ran.
    Operation,
}

/// The HTTP status of an answer refused with `code`, sent as `media`: the
/// one place an error code becomes a status.
pub fn status(code: ErrorCode, media: MediaType, refused: Refused) -> StatusCode {
    match code {
        // HTTP has a word for these, which holds under either media type.
        ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        // Legacy clients read a well-formed request's refusal from its
        // errors, as the specification asks of `application/json`.
        _ if refused == Refused::Operation && media == MediaType::Json => StatusCode::OK,
        ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::Timeout => StatusCode::GATEWAY_TIMEOUT,
        ErrorCode::BadRequest
        | ErrorCode::BatchLimit
        | ErrorCode::UntrustedDocument
        | ErrorCode::PersistedQueryNotFound
        | ErrorCode::PersistedQueryHashMismatch
        | ErrorCode::PersistedQueryTooLarge
        | ErrorCode::GraphqlParseFailed
        | ErrorCode::GraphqlValidationFailed
        | ErrorCode::DepthLimit
        | ErrorCode::FieldLimit
        | ErrorCode::NodeLimit
        | ErrorCode::PageSizeLimit
        | ErrorCode::IdLimit
        | ErrorCode::CostLimit
        | ErrorCode::BadUserInput
        | ErrorCode::SubscriberLagged => StatusCode::BAD_REQUEST,
    }
}

/// A request that cannot be read as GraphQL, answered before anything
/// runs: a code and a message that names what is wrong.
#[derive(Debug)]
pub struct BadRequest {
    code: ErrorCode,
    message: String,
}

impl BadRequest {
    fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    /// The answer, as `media`.
    pub fn into_response(self, media: MediaType) -> Response {
        let status = status(self.code, media, Refused::Request);
        let errors = [self.code.error(self.message)];
        let body = Body {
            data: None,
            errors: &errors,
            extensions: &BTreeMap::new(),
        };
        match serde_json::to_vec(&body) {
            Ok(body) => json_response(status, media, body),
            Err(error) => internal(media, &error),
        }
    }
}

fn json_response(status: StatusCode, media: MediaType, body: Vec<u8>) -> Response {
    (status, [(header::CONTENT_TYPE, media.content_type())], body).into_response()
}

/// What kind of JSON value this is, for messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The parameters of one GraphQL request, checked: `query` a string,
/// `operationName` a string, `variables` and `extensions` objects (each may
/// be null or missing; `query` only when a persisted query's hash is in
/// `extensions`).
fn graphql_request(
    query: Option<Value>,
    operation_name: Option<Value>,
    variables: Option<Value>,
    extensions: Option<Value>,
    at: &str,
) -> Result<async_graphql::Request, BadRequest> {
    let string = |name: &str, value: Option<Value>| match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(BadRequest::invalid(format!(
            "{at}`{name}` must be a string, not {}",
            kind(&other)
        ))),
    };
    let object = |name: &str, value: Option<Value>| match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(other) => Err(BadRequest::invalid(format!(
            "{at}`{name}` must be an object, not {}",
            kind(&other)
        ))),
    };
    let query = string("query", query)?;
    let operation_name = string("operationName", operation_name)?;
    let variables = object("variables", variables)?;
    let extensions = object("extensions", extensions)?.unwrap_or_default();
    if query.is_none() && !extensions.contains_key("persistedQuery") {
        return Err(BadRequest::invalid(format!(
            "{at}the request has no `query` (nor a persisted query's hash in `extensions`)"
        )));
    }
    let mut request = async_graphql::Request::new(query.unwrap_or_default());
    if let Some(name) = operation_name {
        request = request.operation_name(name);
    }
    if let Some(variables) = variables {
        request = request.variables(async_graphql::Variables::from_json(Value::Object(
            variables,
        )));
    }
    for (name, value) in extensions {
        let value = async_graphql::Value::from_json(value).map_err(|e| {
            BadRequest::invalid(format!(
                "{at}`extensions.{name}` is not a GraphQL value: {e}"
            ))
        })?;
        request.extensions.insert(name, value);
    }
    Ok(request)
}

fn from_object(
    mut map: Map<String, Value>,
    at: &str,
) -> Result<async_graphql::Request, BadRequest> {
    graphql_request(
        map.remove("query"),
        map.remove("operationName"),
        map.remove("variables"),
        map.remove("extensions"),
        at,
    )
}

/// The operations of a POST body: one object, or an array of at most
/// `max_batch` of them.
pub fn from_body(headers: &HeaderMap, body: &Bytes, max_batch: usize) -> Result<Batch, BadRequest> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            BadRequest::new(
                ErrorCode::UnsupportedMediaType,
                "a POST needs `Content-Type: application/json`",
            )
        })?;
    let mut parts = content_type.split(';');
    let media = parts.next().unwrap_or_default().trim();
    let charset_ok = parts.all(|p| match p.trim().split_once('=') {
        Some((name, value)) if name.trim().eq_ignore_ascii_case("charset") => {
            value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
        }
        _ => true,
    });
    if !media.eq_ignore_ascii_case("application/json") || !charset_ok {
        return Err(BadRequest::new(
            ErrorCode::UnsupportedMediaType,
            format!("a POST body must be `application/json` in UTF-8, not `{content_type}`"),
        ));
    }
    if body.is_empty() {
        return Err(BadRequest::invalid("the POST has no body"));
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        BadRequest::invalid(format!(
            "the body is not valid JSON: {e} (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    match value {
        Value::Object(map) => Ok(Batch::Single(Box::new(from_object(map, "")?))),
        Value::Array(items) => {
            if items.is_empty() {
                return Err(BadRequest::invalid("the batch is empty"));
            }
            if items.len() > max_batch {
                return Err(BadRequest::new(
                    ErrorCode::BatchLimit,
                    format!(
                        "the batch has {} operations; at most {max_batch} are allowed",
                        items.len()
                    ),
                ));
            }
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::Object(map) => from_object(map, &format!("operation {i}: ")),
                    other => Err(BadRequest::invalid(format!(
                        "operation {i}: must be an object, not {}",
                        kind(&other)
                    ))),
                })
                .collect::<Result<_, _>>()
                .map(Batch::Many)
        }
        other => Err(BadRequest::invalid(format!(
            "the body must be a JSON object (or an array of them, a batch), not {}",
            kind(&other)
        ))),
    }
}

/// The operation of a GET query string: `query`, `operationName`, and
/// `variables` and `extensions` as JSON text.
pub fn from_query_string(query: &str) -> Result<async_graphql::Request, BadRequest> {
    let params: HashMap<String, String> = serde_urlencoded::from_str(query)
        .map_err(|e| BadRequest::invalid(format!("the query string cannot be read: {e}")))?;
    let json = |name: &str| -> Result<Option<Value>, BadRequest> {
        params
            .get(name)
            .map(|text| {
                serde_json::from_str(text)
                    .map_err(|e| BadRequest::invalid(format!("`{name}` is not valid JSON: {e}")))
            })
            .transpose()
    };
    graphql_request(
        params.get("query").cloned().map(Value::String),
        params.get("operationName").cloned().map(Value::String),
        json("variables")?,
        json("extensions")?,
        "",
    )
}

/// One operation, or a batch.
pub enum Batch {
    Single(Box<async_graphql::Request>),
    Many(Vec<async_graphql::Request>),
}

/// Runs `batch` for a client and answers it as `media`; each operation is
/// counted in the metrics and logged on one line.
pub async fn respond(
    state: &AppState,
    batch: Batch,
    media: MediaType,
    headers: &HeaderMap,
    address: Option<IpAddr>,
    transport: Transport,
) -> Response {
    let caller = Caller {
        authorization: headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok()),
        client: Client { address, transport },
    };
    let run = |request| async move {
        let started = std::time::Instant::now();
        let executed = state.api.execute(request, caller).await;
        record(state, &executed, media, started.elapsed());
        executed
    };
    match batch {
        Batch::Single(request) => single(run(*request).await, media),
        Batch::Many(requests) => {
            let executed = futures_util::future::join_all(requests.into_iter().map(run)).await;
            let bodies: Vec<Body<'_>> = executed.iter().map(|e| body(&e.response)).collect();
            match serde_json::to_vec(&bodies) {
                Ok(body) => json_response(StatusCode::OK, media, body),
                Err(error) => internal(media, &error),
            }
        }
    }
}

/// How a request ended.
fn outcome(response: &async_graphql::Response) -> Outcome {
    match refusal_code(response) {
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
        status = response_status(&executed.response, media).as_u16(),
        duration_ms = took.as_secs_f64() * 1000.0,
        cost = charged,
        statements = executed.statements,
        errors = executed.response.errors.len(),
        "graphql"
    );
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

/// The code of the first error, when the request did not run (an error
/// with no path, and no data). A refusal without a code of ours (one of
/// async-graphql's own, such as an unknown operation name) is a bad request.
fn refusal_code(response: &async_graphql::Response) -> Option<ErrorCode> {
    if !did_not_run(response) {
        return None;
    }
    let first = response.errors.first()?;
    Some(ErrorCode::of(first).unwrap_or(ErrorCode::BadRequest))
}

/// The status of one response. Whatever ran, a client told the database
/// is unavailable should try again: it (and any load balancer) hears so the
/// way HTTP says it.
fn response_status(response: &async_graphql::Response, media: MediaType) -> StatusCode {
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

fn single(executed: Executed, media: MediaType) -> Response {
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

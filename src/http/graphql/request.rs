//! Reading a GraphQL request: a POST body (one operation, or a batch; JSON,
//! or multipart with uploaded files, see [`super::upload`]) or a GET query
//! string, each fault answered with a message that names it.
//!
//! async-graphql-axum's `GraphQLBatchRequest` and async-graphql's
//! `parse_query_string` read requests too, but they cannot keep this API's
//! contract, so requests are read here:
//! - a JSON body is deserialized into async-graphql's untagged
//!   `BatchRequest`, so a parameter of the wrong type reads "data did not
//!   match any variant of untagged enum BatchRequest"; it takes a missing
//!   `query` for an empty one and refuses a null `query` beside a persisted
//!   query's hash; any `Content-Type` but multipart is read as JSON (no
//!   415), and a batch has no limit;
//! - it reads the body through a stream whose errors it turns into text, so
//!   a body cut off at `--max-body-bytes` cannot be told from a broken
//!   connection (413 against 400);
//! - a GET's `operationName` is read as `operation_name`, so a GET that
//!   names its operation loses the name, and every fault reads "failed to
//!   parse graphql request from uri query: …".

use super::media::MediaType;
use super::response;
use super::status::{Refused, status};
use crate::error::ErrorCode;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// One operation, or a batch.
pub enum Batch {
    /// A single operation (a JSON object).
    Single(Box<async_graphql::Request>),
    /// A batch (a JSON array), answered in order.
    Many(Vec<async_graphql::Request>),
}

/// A request that cannot be read as GraphQL, answered before anything
/// runs: a code and a message that names what is wrong.
#[derive(Debug)]
pub struct BadRequest {
    code: ErrorCode,
    message: String,
}

impl BadRequest {
    /// A fault with its code.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// A request that is not a GraphQL request (`BAD_REQUEST`).
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    /// The answer, as `media`.
    pub fn into_response(self, media: MediaType) -> Response {
        let status = status(self.code, media, Refused::Request);
        response::refusal(status, media, self.code.error(self.message))
    }
}

/// Why a POST could not be read as GraphQL.
#[derive(Debug)]
pub enum Unread {
    /// Its body is over `--max-body-bytes`.
    TooLarge,
    /// Its body broke off, for this reason.
    Broken(String),
    /// It was read, and is not a GraphQL request.
    Invalid(BadRequest),
}

impl From<BadRequest> for Unread {
    fn from(bad: BadRequest) -> Self {
        Unread::Invalid(bad)
    }
}

/// Whether `error` comes of a body over `--max-body-bytes` (the body limit
/// layer's error, somewhere in its chain of causes).
pub fn over_the_body_limit(error: &(dyn std::error::Error + 'static)) -> bool {
    std::iter::successors(Some(error), |e| e.source())
        .any(|e| e.is::<http_body_util::LengthLimitError>())
}

impl Unread {
    /// A body that could not be read, because of `error`.
    pub fn body(error: &(dyn std::error::Error + 'static)) -> Self {
        if over_the_body_limit(error) {
            Unread::TooLarge
        } else {
            Unread::Broken(error.to_string())
        }
    }

    /// The answer, as `media` where it is a GraphQL error. A body that
    /// could not be read is answered in plain text, as the body limit
    /// answers one that says up front it is too long.
    pub fn into_response(self, media: MediaType) -> Response {
        match self {
            Unread::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "the body is over the size limit",
            )
                .into_response(),
            Unread::Broken(cause) => (
                StatusCode::BAD_REQUEST,
                format!("cannot read the body: {cause}"),
            )
                .into_response(),
            Unread::Invalid(bad) => bad.into_response(media),
        }
    }
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

/// Refuses a batch of more than `max_batch` operations.
pub fn check_batch_size(len: usize, max_batch: usize) -> Result<(), BadRequest> {
    if len > max_batch {
        return Err(BadRequest::new(
            ErrorCode::BatchLimit,
            format!("the batch has {len} operations; at most {max_batch} are allowed"),
        ));
    }
    Ok(())
}

/// The operations of a JSON POST body.
pub fn from_json(headers: &HeaderMap, body: &Bytes, max_batch: usize) -> Result<Batch, BadRequest> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            BadRequest::new(
                ErrorCode::UnsupportedMediaType,
                "a POST needs `Content-Type: application/json` (or `multipart/form-data`, to upload files)",
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
            format!(
                "a POST body must be `application/json` in UTF-8 (or `multipart/form-data`, to upload files), not `{content_type}`"
            ),
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
            check_batch_size(items.len(), max_batch)?;
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

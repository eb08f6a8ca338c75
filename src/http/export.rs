//! `GET /export`: the whole database as one interchange document, taken
//! from one snapshot, with the change set it reflects as its `ETag` (and
//! `twinning-change-set`), so that `If-None-Match` answers 304 while
//! nothing changed, and the change feed's cursor at that snapshot
//! (`twinning-feed-cursor`). The body is streamed kind by kind from one
//! read transaction. Readers need a key when public reads are off; gzip
//! comes from the router's compression layer.

use super::AppState;
use crate::error::ErrorCode;
use crate::graphql::pipeline::consistency;
use crate::store::Db;
use crate::store::connection;
use crate::store::wal::DbRole;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sea_orm::DbErr;

/// The change feed's cursor at the export's snapshot: where a mirror that
/// imported the document follows `changeFeed(after:)` from. A header, since
/// the interchange document (a contract) has no field for it.
pub const FEED_CURSOR: &str = "twinning-feed-cursor";

/// The export, or 304 when the client's copy is current.
pub async fn export(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if let Err(refusal) = state.api.principal(authorization).await {
        return refused(refusal.code, &refusal.message);
    }
    // A replica may answer (one that has the client's consistency token);
    // when it cannot be reached, the primary does.
    let token = match headers.get(consistency::HEADER).map(|v| v.to_str()) {
        None => None,
        Some(value) => match value.map_err(|e| e.to_string()).and_then(str::parse) {
            Ok(token) => Some(token),
            Err(reason) => {
                let message = format!("header {}: {reason}", consistency::HEADER);
                return refused(ErrorCode::BadRequest, &message);
            }
        },
    };
    let databases = state.api.databases();
    let read = databases.read(token).await;
    let primary = databases.primary();
    let mut answer = snapshot(primary, &read.db, &headers).await;
    if let Err(error) = &answer
        && read.role == DbRole::Replica
        && connection::failure(error) == connection::Failure::Unavailable
    {
        let fallback = databases.failed(&read, "an export could not reach it");
        answer = snapshot(primary, &fallback.db, &headers).await;
    }
    match answer {
        Ok(response) => response,
        Err(error) => {
            tracing::warn!(%error, "export");
            let (code, message) = crate::error::database_failure(&error);
            refused(code, message)
        }
    }
}

/// An error as JSON, with the status HTTP has for it.
fn refused(code: ErrorCode, message: &str) -> Response {
    let status = match code {
        ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorCode::BadRequest => StatusCode::BAD_REQUEST,
        ErrorCode::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Timeout => StatusCode::GATEWAY_TIMEOUT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let body = serde_json::json!({ "error": { "code": code.as_str(), "message": message } });
    (status, axum::Json(body)).into_response()
}

/// The data's version as an entity tag: the last change set's id and how
/// many were committed, because on PostgreSQL a write can commit after a
/// later id's (ids are handed out before commit), which only the count
/// shows.
type Version = (i64, i64);

fn etag((count, last): Version) -> String {
    format!("\"cs-{last}-{count}\"")
}

/// Whether `If-None-Match` names this ETag (or is `*`).
fn matches(headers: &HeaderMap, tag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == tag || t == "*")
}

async fn snapshot(primary: &Db, read: &Db, headers: &HeaderMap) -> Result<Response, DbErr> {
    // Cheap first: a client whose copy is current gets 304 without an export.
    let latest = crate::store::changes::data_version(read).await?;
    if matches(headers, &etag(latest)) {
        return Ok(not_modified(latest));
    }
    // The document, its version and its feed cursor from one snapshot, so
    // that a write committing meanwhile is in all of them or in none; the
    // document is streamed as it is read. The cursor stops short of a
    // change set still in flight.
    let snapshot = crate::interchange::stream::start(primary, read).await?;
    let cursor = snapshot.cursor();
    let parts = futures_util::stream::unfold(snapshot.parts, |mut parts| async move {
        let part = parts.recv().await?;
        Some((part.map(axum::body::Bytes::from), parts))
    });
    let mut response = (StatusCode::OK, Body::from_stream(parts)).into_response();
    let response_headers = response.headers_mut();
    response_headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    tag_headers(response_headers, snapshot.version);
    if let Ok(cursor) = HeaderValue::from_str(&cursor) {
        response_headers.insert(FEED_CURSOR, cursor);
    }
    Ok(response)
}

fn not_modified(change_set: Version) -> Response {
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    tag_headers(response.headers_mut(), change_set);
    response
}

fn tag_headers(headers: &mut HeaderMap, change_set: Version) {
    if let Ok(tag) = HeaderValue::from_str(&etag(change_set)) {
        headers.insert(header::ETAG, tag);
    }
    headers.insert("twinning-change-set", HeaderValue::from(change_set.1));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
}

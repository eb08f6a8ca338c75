//! HTTP caching of anonymous queries sent with GET: `Cache-Control: public,
//! max-age=N` (`--cache-max-age`) and an entity tag, so that a CDN or a
//! caching proxy answers repeated reads, and a client or proxy that asks
//! again with `If-None-Match` gets 304 without the query running.
//!
//! The tag is the SHA-256 of what selects the answer (the query string and
//! the response's media type) with the data's version (the count and last
//! id of the change sets, one statement over a primary key): a write of any
//! kind changes the version, so a tag never outlives the data it was made
//! for. The version is read before the query runs: a write landing while
//! it runs makes the tag older than the answer, never newer, and the next
//! conditional request runs the query again.
//!
//! Anything sent with `Authorization` is `private, no-store`; POSTs,
//! errors and dry runs are `no-store`.

use super::AppState;
use super::media::MediaType;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// Put on a response that ran without errors and may be kept by a cache
/// (its headers are then set by [`label`]).
#[derive(Clone, Copy, Debug)]
pub struct Cacheable;

/// What the answer depends on besides its URL.
const VARY: &str = "Accept, Accept-Encoding, Authorization";

/// The entity tag of an anonymous GET of `query`, answered as `media`, at
/// the data's current version in the database that answers it (`read`);
/// `None` when caching is off or the version cannot be read.
pub async fn entity_tag(
    state: &AppState,
    query: &str,
    media: MediaType,
    read: &crate::store::replicas::Read,
) -> Option<String> {
    if state.cache_max_age == 0 {
        return None;
    }
    let (count, last) = state.api.data_version(&read.db).await?;
    let mut hash = Sha256::new();
    hash.update(query.as_bytes());
    hash.update([0]);
    hash.update(media.content_type().as_bytes());
    let digest = format!("{:x}", hash.finalize());
    // Weak: the gzip layer may send the same answer in another encoding.
    Some(format!("W/\"{}-{count}-{last}\"", &digest[..32]))
}

/// Whether `If-None-Match` names `tag` (or is `*`).
pub fn matches(headers: &HeaderMap, tag: &str) -> bool {
    let strip = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let ours = strip(tag);
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == "*" || strip(t) == ours)
}

fn public(max_age: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("public, max-age={max_age}"))
        .unwrap_or(HeaderValue::from_static("no-store"))
}

/// 304 for a tag that still matches.
pub fn not_modified(tag: &str, max_age: u64) -> Response {
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    let headers = response.headers_mut();
    if let Ok(tag) = HeaderValue::from_str(tag) {
        headers.insert(header::ETAG, tag);
    }
    headers.insert(header::CACHE_CONTROL, public(max_age));
    headers.insert(header::VARY, HeaderValue::from_static(VARY));
    response
}

/// Sets the caching headers of a GET's answer: public with the tag when
/// it was anonymous and ran cleanly, private for a key's, no-store
/// otherwise.
pub fn label(response: &mut Response, authorized: bool, tag: Option<&str>, max_age: u64) {
    let cacheable =
        response.status() == StatusCode::OK && response.extensions().get::<Cacheable>().is_some();
    let headers = response.headers_mut();
    headers.insert(header::VARY, HeaderValue::from_static(VARY));
    let control = match tag {
        _ if authorized => HeaderValue::from_static("private, no-store"),
        Some(tag) if cacheable => {
            if let Ok(tag) = HeaderValue::from_str(tag) {
                headers.insert(header::ETAG, tag);
            }
            public(max_age)
        }
        _ => HeaderValue::from_static("no-store"),
    };
    headers.insert(header::CACHE_CONTROL, control);
}

/// A POST's answer is never kept.
pub fn never(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

//! The media types a GraphQL response is sent as, chosen by `Accept`.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The media types a GraphQL response is sent as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaType {
    /// `application/graphql-response+json`.
    GraphQLResponse,
    /// `application/json`, the legacy type.
    Json,
}

impl MediaType {
    /// The `Content-Type` of a response sent as this type.
    pub fn content_type(self) -> &'static str {
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

/// The answer to an `Accept` that names only types this server cannot send.
pub fn not_acceptable() -> Response {
    let message = "send `Accept: application/graphql-response+json` or `application/json`";
    (StatusCode::NOT_ACCEPTABLE, message).into_response()
}

//! The explorer: the public web page at `/` (search, cities on a world
//! map, a partnership's timeline, topics, statistics), built from `web/`
//! into `assets/explorer/` and embedded here, so it needs nothing but this
//! server. Its client-side routes all answer the same page, which reads
//! the path; every other path stays the API's.

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// The page's own paths (deep links): each answers the page.
const PAGES: &[&str] = &[
    "/",
    "/search",
    "/city/{key}",
    "/partnership/{key}",
    "/topics",
    "/topic/{key}",
    "/stats",
];

/// Nothing the page loads or connects to may come from another origin.
/// Inline styles are set through the DOM (the map's and the charts' sizes),
/// which this policy allows; inline `<style>` and scripts it does not.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const INDEX: &str = include_str!("../../assets/explorer/index.html");
const SCRIPT: &[u8] = include_bytes!("../../assets/explorer/explorer.js");
const STYLE: &[u8] = include_bytes!("../../assets/explorer/explorer.css");
/// `{ sha256: text }` of every GraphQL document the page sends.
const TRUSTED_DOCUMENTS: &str = include_str!("../../assets/explorer/trusted-documents.json");

/// The texts of the page's GraphQL documents, to be trusted by the server.
pub fn trusted_documents() -> Result<Vec<String>, String> {
    let parsed: std::collections::BTreeMap<String, String> =
        serde_json::from_str(TRUSTED_DOCUMENTS)
            .map_err(|e| format!("assets/explorer/trusted-documents.json: {e}"))?;
    Ok(parsed.into_values().collect())
}

/// The page's routes and its two assets (fixed names, revalidated on every
/// load: they change with the binary).
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let mut router = Router::new()
        .route(
            "/explorer/explorer.js",
            get(|| async { asset("text/javascript; charset=utf-8", SCRIPT) }),
        )
        .route(
            "/explorer/explorer.css",
            get(|| async { asset("text/css; charset=utf-8", STYLE) }),
        );
    for path in PAGES {
        router = router.route(path, get(page));
    }
    router
}

async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        INDEX,
    )
        .into_response()
}

fn asset(content_type: &'static str, body: &'static [u8]) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

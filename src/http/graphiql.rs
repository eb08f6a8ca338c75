//! GraphiQL, served from assets built into the binary: the playground works
//! without internet access and always matches this server's version.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

/// The query GraphiQL opens with: what Twinning is for, on the founding
/// example.
pub const DEFAULT_QUERY: &str = r#"# Welcome to Twinning: which cities are twinned, and how each relation grew.
# Press the run button: Murmansk's sister cities in order (Harbin is the
# 11th), and the Murmansk-Harbin partnership's story as one timeline.
query Twinning {
  city(key: "murmansk") {
    name
    nativeName
    sisterCities(includeEnded: true) {
      ordinal
      city { name nativeName countryCode }
      partnership { established { value precision } status }
    }
  }
  partnership(key: "murmansk-harbin") {
    cities { name }
    status
    timeline(first: 50) {
      totalCount
      nodes {
        __typename
        ... on Visit { start { value } fromCity { name } toCity { name } purpose }
        ... on Protocol { signed { value } kind title }
        ... on Event { start { value } name }
        ... on StatusChange { date { value } status }
      }
    }
  }
}
"#;

/// The GraphiQL page with the default query filled in.
pub fn page() -> String {
    // JSON is a JS string literal, except that "</script>" would end the
    // script element: escape every '<'.
    let literal = serde_json::to_string(DEFAULT_QUERY)
        .unwrap_or_else(|_| "\"\"".to_owned())
        .replace('<', "\\u003c");
    include_str!("../../assets/graphiql/index.html").replace("__DEFAULT_QUERY__", &literal)
}

/// `/graphiql/<asset>` routes, cached for a year (the names are pinned versions).
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let mut router = Router::new();
    for (name, content_type, body) in ASSETS {
        router = router.route(
            &format!("/graphiql/{name}"),
            get(move || async move {
                (
                    [
                        (header::CONTENT_TYPE, *content_type),
                        (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
                    ],
                    *body,
                )
                    .into_response()
            }),
        );
    }
    router
}

macro_rules! asset {
    ($name:literal, $content_type:literal) => {
        (
            $name,
            $content_type,
            include_bytes!(concat!("../../assets/graphiql/", $name)),
        )
    };
}

/// Every asset: file name, content type, bytes.
const ASSETS: &[(&str, &str, &[u8])] = &[
    asset!("react.production.min.js", "text/javascript; charset=utf-8"),
    asset!(
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8"
    ),
    asset!("graphiql.min.js", "text/javascript; charset=utf-8"),
    asset!("graphiql.min.css", "text/css; charset=utf-8"),
    // The graphql-ws client the page's subscriptions use (global `graphqlWs`).
    asset!("graphql-ws.min.js", "text/javascript; charset=utf-8"),
];

//! The HTTP surface: `/graphql` (POST and GET queries, GraphiQL in a
//! browser), `/health`, and the GraphiQL assets.

use crate::graphql::Api;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

/// The routes, over the schema.
pub fn routes(api: Api) -> Router {
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/health", get(health))
        .merge(crate::graphiql::routes())
        .with_state(api)
}

/// The `Authorization` header, if any.
fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
}

async fn graphql_post(
    State(api): State<Api>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> GraphQLResponse {
    api.execute(request.into_inner(), authorization(&headers))
        .await
        .into()
}

/// A GET with a query string is a GraphQL query; a GET without one is a
/// person with a browser, who gets GraphiQL.
async fn graphql_get(
    State(api): State<Api>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    request: axum::extract::Request,
) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if query.is_none() && wants_html {
        return Html(crate::graphiql::page()).into_response();
    }
    match <GraphQLRequest as axum::extract::FromRequest<()>>::from_request(request, &()).await {
        Ok(request) => GraphQLResponse::from(
            api.execute(request.into_inner(), authorization(&headers))
                .await,
        )
        .into_response(),
        Err(rejection) => rejection.into_response(),
    }
}

/// Liveness: the process answers.
async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

//! The HTTP surface: `/graphql` (POST and GET queries, subscriptions over
//! WebSocket, GraphiQL in a browser), `/health`, `/ready`, and the GraphiQL
//! assets.

use crate::graphql::Api;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::{FromRef, FromRequestParts, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

/// What the handlers share: the API, and the WebSocket limits.
#[derive(Clone)]
pub struct AppState {
    pub api: Api,
    pub ws: crate::ws::Settings,
}

impl FromRef<AppState> for Api {
    fn from_ref(state: &AppState) -> Api {
        state.api.clone()
    }
}

/// The routes, over the schema.
pub fn routes(state: AppState) -> Router {
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/health", get(health))
        .route("/ready", get(ready))
        .merge(crate::graphiql::routes())
        .with_state(state)
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

/// A GET that asks to upgrade is a WebSocket for subscriptions; one with a
/// query string is a GraphQL query; one without is a person with a
/// browser, who gets GraphiQL.
async fn graphql_get(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    request: axum::extract::Request,
) -> Response {
    let api = state.api;
    let upgrade = headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if upgrade {
        let (mut parts, _) = request.into_parts();
        return match axum::extract::ws::WebSocketUpgrade::from_request_parts(&mut parts, &()).await
        {
            Ok(ws) => crate::ws::upgrade(api, state.ws, ws, &headers),
            Err(rejection) => rejection.into_response(),
        };
    }
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

/// Readiness: the database answers and its migrations are current; 503
/// with the reason otherwise (a load balancer sends no traffic then).
async fn ready(State(api): State<Api>) -> Response {
    match crate::db::readiness(api.db()).await {
        Ok(()) => Json(serde_json::json!({ "status": "ready" })).into_response(),
        Err(reason) => {
            tracing::warn!(%reason, "not ready");
            let body = Json(serde_json::json!({ "status": "unavailable", "reason": reason }));
            (axum::http::StatusCode::SERVICE_UNAVAILABLE, body).into_response()
        }
    }
}

/// Liveness: the process answers.
async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

//! The life of a WebSocket connection around the GraphQL protocol: the
//! subprotocol and the connection cap checked before the upgrade, the
//! deadline for `connection_init`, server pings that keep a live client
//! open, the idle timeout that closes a silent one, and shutdown.

use crate::helpers::spawn_app_configured;
use crate::ws_client::{Client, Closed};
use serde_json::json;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Error as WsError;

/// The status a refused upgrade answered.
fn refused_with(result: Result<Client, WsError>) -> u16 {
    match result {
        Err(WsError::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("not an HTTP refusal: {other}"),
        Ok(_) => panic!("the upgrade was accepted"),
    }
}

#[tokio::test]
async fn an_upgrade_needs_a_graphql_subprotocol_and_a_free_place_under_the_cap() {
    let app = spawn_app_configured(|config| config.live.ws_max_connections = 1).await;
    assert_eq!(refused_with(Client::upgrade(app.addr, "soap").await), 400);

    let _first = Client::connect(&app, json!({})).await;
    assert_eq!(
        refused_with(Client::upgrade(app.addr, "graphql-transport-ws").await),
        503
    );
}

#[tokio::test]
async fn a_client_that_never_says_connection_init_is_closed_with_4408() {
    let app = spawn_app_configured(|config| {
        config.live.ws_idle_timeout = Duration::from_millis(300);
    })
    .await;
    let mut silent = Client::upgrade(app.addr, "graphql-transport-ws")
        .await
        .expect("the WebSocket opens");
    assert_eq!(
        silent.closed().await,
        Closed {
            code: 4408,
            reason: "connection initialisation timeout".to_owned()
        }
    );
}

#[tokio::test]
async fn server_pings_keep_a_client_that_answers_them_open() {
    let app = spawn_app_configured(|config| {
        config.live.ws_ping_interval = Duration::from_millis(100);
        config.live.ws_idle_timeout = Duration::from_millis(400);
    })
    .await;
    let mut client = Client::connect(&app, json!({})).await;
    // The test client answers every ping while it waits for a message.
    let waited = tokio::time::timeout(
        Duration::from_millis(1500),
        client.receive(Duration::from_secs(10)),
    )
    .await;
    assert!(waited.is_err(), "the connection stays open: {waited:?}");
}

#[tokio::test]
async fn a_silent_graphql_transport_ws_client_is_closed_with_3008() {
    let app = spawn_app_configured(|config| {
        config.live.ws_idle_timeout = Duration::from_millis(300);
    })
    .await;
    let mut silent = Client::connect(&app, json!({})).await;
    assert_eq!(
        silent.closed().await,
        Closed {
            code: 3008,
            reason: "timeout".to_owned()
        }
    );
}

#[tokio::test]
async fn shutting_down_closes_every_connection_with_1001() {
    let app = spawn_app_configured(|_| {}).await;
    let mut client = Client::connect(&app, json!({})).await;
    let closed = tokio::spawn(async move { client.closed().await });
    app.stop().await;
    assert_eq!(
        closed.await.expect("the reader ends"),
        Closed {
            code: 1001,
            reason: "the server is shutting down".to_owned()
        }
    );
}

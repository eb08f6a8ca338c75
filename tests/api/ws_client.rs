//! A `graphql-transport-ws` client for the tests, over a real WebSocket.

use crate::helpers::TestApp;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Message, http::HeaderValue};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// How long a test waits for a message it expects.
const PATIENCE: Duration = Duration::from_secs(10);

/// A `graphql-transport-ws` client.
pub struct Client {
    socket: Socket,
}

/// How a connection ended.
#[derive(Debug, PartialEq)]
pub struct Closed {
    pub code: u16,
    pub reason: String,
}

impl Client {
    /// Opens a socket to `addr` and sends `connection_init` with `payload`.
    pub async fn open(addr: std::net::SocketAddr, payload: Value) -> Client {
        Client::open_speaking(addr, "graphql-transport-ws", payload).await
    }

    /// Opens a socket speaking `protocol` (`graphql-transport-ws`, or the
    /// legacy `graphql-ws`) and sends `connection_init`.
    pub async fn open_speaking(
        addr: std::net::SocketAddr,
        protocol: &'static str,
        payload: Value,
    ) -> Client {
        let mut client = Client::upgrade(addr, protocol)
            .await
            .expect("the WebSocket opens");
        client
            .send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        client
    }

    /// Opens a socket speaking `protocol`, and says nothing yet; the
    /// server's refusal of the upgrade, if it refuses.
    pub async fn upgrade(
        addr: std::net::SocketAddr,
        protocol: &'static str,
    ) -> Result<Client, tokio_tungstenite::tungstenite::Error> {
        let mut request = format!("ws://{addr}/graphql")
            .into_client_request()
            .expect("a request");
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", HeaderValue::from_static(protocol));
        let (socket, response) = tokio_tungstenite::connect_async(request).await?;
        assert_eq!(response.headers()["sec-websocket-protocol"], protocol);
        Ok(Client { socket })
    }

    /// Opens and expects `connection_ack`.
    pub async fn connect(app: &TestApp, payload: Value) -> Client {
        let mut client = Client::open(app.addr, payload).await;
        let ack = client.next().await.expect("an answer to connection_init");
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        client
    }

    pub async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("send");
    }

    pub async fn subscribe(&mut self, id: &str, query: &str) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query } }))
            .await;
    }

    /// The next protocol message (answering pings), or `Err` with the close
    /// frame when the server closes.
    pub async fn receive(&mut self, wait: Duration) -> Option<Result<Value, Closed>> {
        loop {
            let message = tokio::time::timeout(wait, self.socket.next())
                .await
                .ok()??;
            match message.expect("a frame") {
                Message::Text(text) => {
                    let value: Value = serde_json::from_str(&text).expect("JSON");
                    if value["type"] == "ping" {
                        self.send(json!({ "type": "pong" })).await;
                        continue;
                    }
                    return Some(Ok(value));
                }
                Message::Close(frame) => {
                    let (code, reason) = frame.map_or((0, String::new()), |f| {
                        (u16::from(f.code), f.reason.to_string())
                    });
                    return Some(Err(Closed { code, reason }));
                }
                _ => {}
            }
        }
    }

    /// The next message; panics if the connection closes.
    pub async fn next(&mut self) -> Option<Value> {
        match self.receive(PATIENCE).await? {
            Ok(value) => Some(value),
            Err(closed) => panic!("the server closed the connection: {closed:?}"),
        }
    }

    /// The payload of the next `next` message, which must be for `id`.
    pub async fn event(&mut self, id: &str) -> Value {
        let message = self.next().await.expect("an event in time");
        assert_eq!(
            (message["type"].as_str(), message["id"].as_str()),
            (Some("next"), Some(id)),
            "{message}"
        );
        message["payload"].clone()
    }

    /// Nothing arrives within `wait`.
    pub async fn quiet(&mut self, wait: Duration) {
        if let Some(message) = self.receive(wait).await {
            panic!("expected nothing, got {message:?}");
        }
    }

    /// Waits for the server to close the connection, and how.
    pub async fn closed(&mut self) -> Closed {
        loop {
            match self.receive(PATIENCE).await {
                Some(Err(closed)) => return closed,
                Some(Ok(_)) => {}
                None => panic!("the connection stayed open"),
            }
        }
    }

    /// Runs `probe(n)` for n = 1, 2, … until subscription `id` reports it:
    /// the server starts a subscription asynchronously, and from the first
    /// event on it hears every change. Returns the probe's event.
    pub async fn until_live(
        &mut self,
        app: &TestApp,
        key: &str,
        id: &str,
        probe: impl Fn(usize) -> String,
    ) -> Value {
        for n in 1..=50 {
            let body = app.gql_as(key, &probe(n), json!({})).await;
            assert!(body.get("errors").is_none(), "{body}");
            if let Some(Ok(message)) = self.receive(Duration::from_millis(200)).await {
                assert_eq!(message["id"], id, "{message}");
                return message["payload"].clone();
            }
        }
        panic!("subscription {id} never went live");
    }
}

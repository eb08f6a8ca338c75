//! GraphQL subscriptions over WebSocket at `/graphql`, speaking
//! `graphql-transport-ws` (and the legacy `graphql-ws` of
//! subscriptions-transport-ws). async-graphql runs the protocol; this
//! adapter adds what a public server needs around it: the API key from the
//! `connection_init` payload, a cap on connections, pings to find dead
//! peers, and closing a connection with a proper close frame when its key is
//! revoked or the server shuts down.

use crate::domain::access::Principal;
use crate::graphql::{Api, Client, Refusal, Transport};
use async_graphql::http::{WebSocketProtocols, WsMessage};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt, future};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, broadcast::error::RecvError};

/// Close codes of `graphql-transport-ws` and RFC 6455.
const FORBIDDEN: u16 = 4403;
const INIT_TIMEOUT: u16 = 4408;
const GOING_AWAY: u16 = 1001;

/// The largest message a client may send: a subscription document with its
/// variables, or `connection_init`.
const MAX_MESSAGE_BYTES: usize = 256 * 1024;

/// Limits and timers of WebSocket connections.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Permits for open connections: a connection over the limit is
    /// refused with 503 before the upgrade.
    pub connections: Arc<Semaphore>,
    /// The most connections open at once.
    pub max_connections: usize,
    /// How often the server pings each connection.
    pub ping_interval: Duration,
    /// How long a `graphql-transport-ws` connection may stay silent (not
    /// even answering pings) before it is closed.
    pub idle_timeout: Duration,
}

impl Settings {
    /// Connections open now.
    pub fn open_connections(&self) -> usize {
        self.max_connections
            .saturating_sub(self.connections.available_permits())
    }

    pub fn new(max_connections: usize, ping_interval: Duration, idle_timeout: Duration) -> Self {
        Self {
            connections: Arc::new(Semaphore::new(max_connections)),
            max_connections,
            ping_interval,
            idle_timeout,
        }
    }
}

/// Answers a WebSocket upgrade on `/graphql`.
pub fn upgrade(
    api: Api,
    settings: Settings,
    upgrade: WebSocketUpgrade,
    headers: &HeaderMap,
    address: Option<std::net::IpAddr>,
) -> Response {
    let protocol = headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|value| value.to_str().ok())
        .and_then(|offered| {
            offered
                .split(',')
                .find_map(|name| name.trim().parse::<WebSocketProtocols>().ok())
        });
    let Some(protocol) = protocol else {
        let message = "offer the graphql-transport-ws (or legacy graphql-ws) subprotocol in Sec-WebSocket-Protocol";
        return (StatusCode::BAD_REQUEST, message).into_response();
    };
    let Ok(permit) = settings.connections.clone().try_acquire_owned() else {
        let message = "too many WebSocket connections; try again later";
        return (StatusCode::SERVICE_UNAVAILABLE, message).into_response();
    };
    // Small buffers: a subscriber mostly listens, and tungstenite's default
    // 128 KiB read buffer per connection would cost ~1.5 GB at the cap.
    upgrade
        .read_buffer_size(4 * 1024)
        .write_buffer_size(16 * 1024)
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .protocols([protocol.sec_websocket_protocol()])
        .on_upgrade(move |socket| serve(socket, api, settings, protocol, permit, address))
}

/// The `Authorization` value of a `connection_init` payload, which clients
/// send as `{ "Authorization": "Bearer …" }` (any case).
fn authorization(payload: &serde_json::Value) -> Option<&str> {
    payload
        .as_object()?
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        .and_then(|(_, value)| value.as_str())
}

/// Runs one connection until either side closes it.
async fn serve(
    socket: WebSocket,
    api: Api,
    settings: Settings,
    protocol: WebSocketProtocols,
    _permit: OwnedSemaphorePermit,
    address: Option<std::net::IpAddr>,
) {
    let (mut sink, stream) = socket.split();
    let input = stream
        .take_while(|message| {
            future::ready(matches!(message, Ok(m) if !matches!(m, Message::Close(_))))
        })
        .filter_map(|message| {
            future::ready(match message {
                Ok(message @ (Message::Text(_) | Message::Binary(_))) => Some(message.into_data()),
                _ => None,
            })
        });

    // What `connection_init` decided, for the close code and revocations.
    let refused: Arc<Mutex<Option<Refusal>>> = Arc::default();
    let key_name: Arc<OnceLock<String>> = Arc::default();
    let initialised: Arc<OnceLock<()>> = Arc::default();
    let init = {
        let (api, refused, key_name) = (api.clone(), refused.clone(), key_name.clone());
        let initialised = initialised.clone();
        move |payload: serde_json::Value| async move {
            let _ = initialised.set(());
            match api.principal(authorization(&payload)).await {
                Ok(principal) => {
                    if let Principal::Key { name, .. } = &principal {
                        let _ = key_name.set(name.clone());
                    }
                    Ok(api.connection_data(
                        principal,
                        Client {
                            address,
                            transport: Transport::WebSocket,
                        },
                    ))
                }
                Err(refusal) => {
                    if let Ok(mut slot) = refused.lock() {
                        *slot = Some(refusal);
                    }
                    Err(async_graphql::Error::new(refusal.message))
                }
            }
        }
    };
    // Legacy clients never answer pings, so only the modern protocol has
    // an idle timeout.
    let idle = (protocol == WebSocketProtocols::GraphQLWS).then_some(settings.idle_timeout);
    let graphql = async_graphql::http::WebSocket::new(api.schema().clone(), input, protocol)
        .on_connection_init(init)
        .keepalive_timeout(idle);
    let mut graphql = std::pin::pin!(graphql);

    let mut revocations = api.live().revocations();
    let mut shutting_down = api.live().shutting_down();
    let mut ping = tokio::time::interval_at(
        tokio::time::Instant::now() + settings.ping_interval,
        settings.ping_interval,
    );
    let ping_message = match protocol {
        WebSocketProtocols::GraphQLWS => r#"{"type":"ping"}"#,
        WebSocketProtocols::SubscriptionsTransportWS => r#"{"type":"ka"}"#,
    };
    // A client has one idle timeout to say `connection_init`.
    let init_deadline = tokio::time::sleep(settings.idle_timeout);
    let mut init_deadline = std::pin::pin!(init_deadline);
    let close: Option<(u16, String)> = loop {
        tokio::select! {
            () = &mut init_deadline, if initialised.get().is_none() => {
                break Some((INIT_TIMEOUT, "connection initialisation timeout".to_owned()));
            }
            message = graphql.next() => match message {
                Some(WsMessage::Text(text)) => {
                    if sink.send(Message::Text(text.into())).await.is_err() {
                        break None;
                    }
                }
                Some(WsMessage::Close(code, reason)) => {
                    // async-graphql closes a refused `connection_init` with
                    // 1002; the protocol says 4403 Forbidden.
                    let refusal = refused.lock().ok().and_then(|mut slot| slot.take());
                    break Some(match refusal {
                        Some(refusal) => (FORBIDDEN, refusal.message.to_owned()),
                        None => (code, reason),
                    });
                }
                None => break None,
            },
            revoked = revocations.recv() => match revoked {
                Ok(name) if key_name.get().is_some_and(|key| **key == *name) => {
                    break Some((FORBIDDEN, "the API key was revoked".to_owned()));
                }
                Err(RecvError::Closed) => break Some((GOING_AWAY, "the server is shutting down".to_owned())),
                _ => {}
            },
            () = async { let _ = shutting_down.wait_for(|stopping| *stopping).await; } => {
                break Some((GOING_AWAY, "the server is shutting down".to_owned()));
            }
            _ = ping.tick() => {
                if sink.send(Message::Text(ping_message.into())).await.is_err() {
                    break None;
                }
            }
        }
    };
    if let Some((code, reason)) = close {
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        let _ = sink.send(Message::Close(Some(frame))).await;
    }
    let _ = sink.close().await;
}

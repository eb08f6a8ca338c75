//! GraphQL subscriptions over WebSocket at `/graphql`, speaking
//! `graphql-transport-ws` (and the legacy `graphql-ws` of
//! subscriptions-transport-ws). async-graphql-axum negotiates the
//! subprotocol ([`GraphQLProtocol`]) and runs it ([`GraphQLWebSocket`]);
//! this adapter adds what a public server needs around it: the API key from
//! the `connection_init` payload, a cap on connections, pings to find dead
//! peers, and closing a connection with a proper close frame when its
//! handshake is refused or late, its key is revoked or the server shuts
//! down.

use crate::domain::access::Principal;
use crate::graphql::{Api, Client, Transport};
use async_graphql::http::WebSocketProtocols;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::FromRequestParts;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::stream::SplitStream;
use futures_util::{FutureExt, SinkExt, StreamExt};
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, broadcast::error::RecvError, mpsc};

/// Close codes of `graphql-transport-ws` and RFC 6455.
const FORBIDDEN: u16 = 4403;
/// Its token expired: the client signs in again and reconnects.
const UNAUTHORIZED: u16 = 4401;
const INIT_TIMEOUT: u16 = 4408;
const GOING_AWAY: u16 = 1001;
/// The close code async-graphql's keepalive timer closes with.
const KEEPALIVE_TIMEOUT: u16 = 3008;

/// Why a connection that never said `connection_init` is closed.
const INIT_TIMEOUT_REASON: &str = "connection initialisation timeout";

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
    /// even answering pings) before it is closed, and how long any
    /// connection has to send `connection_init`.
    pub idle_timeout: Duration,
}

impl Settings {
    /// Connections open now.
    pub fn open_connections(&self) -> usize {
        self.max_connections
            .saturating_sub(self.connections.available_permits())
    }

    /// Settings for at most `max_connections` connections at once.
    pub fn new(max_connections: usize, ping_interval: Duration, idle_timeout: Duration) -> Self {
        Self {
            connections: Arc::new(Semaphore::new(max_connections)),
            max_connections,
            ping_interval,
            idle_timeout,
        }
    }
}

/// The subprotocol a client offers first among those async-graphql speaks,
/// read the way [`GraphQLProtocol`] reads it. GraphQLProtocol is what
/// [`GraphQLWebSocket`] runs, but it keeps the protocol it chose to itself,
/// and the upgrade must name that protocol and the pings differ between the
/// two.
fn offered(headers: &HeaderMap) -> Option<WebSocketProtocols> {
    headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)?
        .to_str()
        .ok()?
        .split(',')
        .find_map(|name| name.trim().parse().ok())
}

/// Answers a WebSocket upgrade on `/graphql`.
pub async fn upgrade(
    api: Api,
    settings: Settings,
    parts: &mut Parts,
    address: Option<IpAddr>,
) -> Response {
    let upgrade = match WebSocketUpgrade::from_request_parts(parts, &()).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let negotiated = GraphQLProtocol::from_request_parts(parts, &()).await;
    let (Ok(protocol), Some(speaks)) = (negotiated, offered(&parts.headers)) else {
        let message = "offer the graphql-transport-ws (or legacy graphql-ws) subprotocol in Sec-WebSocket-Protocol";
        return (StatusCode::BAD_REQUEST, message).into_response();
    };
    let Ok(permit) = settings.connections.clone().try_acquire_owned() else {
        let message = "too many WebSocket connections; try again later";
        return (StatusCode::SERVICE_UNAVAILABLE, message).into_response();
    };
    // Small buffers: a subscriber mostly listens, and tungstenite's default
    // 128 KiB read buffer per connection would cost ~1.5 GB at the cap. The
    // read buffer stays allocated for the connection's life and a client's
    // messages are small (a larger frame grows it to the frame's length, read
    // at once), so 1 KiB: 4 KiB cost 30 MB more at 10,000 subscribers.
    upgrade
        .read_buffer_size(1024)
        .write_buffer_size(16 * 1024)
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .protocols([speaks.sec_websocket_protocol()])
        .on_upgrade(move |socket| {
            let connection = Connection {
                api,
                settings,
                protocol,
                speaks,
                address,
                _permit: permit,
            };
            connection.serve(socket)
        })
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

/// What `connection_init` decided, shared by the callback (which
/// GraphQLWebSocket runs) and the loop that writes the socket.
#[derive(Default)]
struct Handshake {
    /// `connection_init` has arrived.
    started: AtomicBool,
    /// The key the connection authenticated with: its revocation closes
    /// the connection.
    key: OnceLock<String>,
    /// When the token the connection signed in with expires (Unix
    /// seconds): the connection is closed then.
    expires_at: OnceLock<u64>,
    /// `connection_init` was refused.
    refused: AtomicBool,
    /// Wakes the connection's loop once `connection_init` is accepted, to
    /// start the token's expiry timer.
    signed_in: tokio::sync::Notify,
}

impl Handshake {
    /// Answers `connection_init`: the data of the connection's operations,
    /// or why it may not ask anything.
    async fn answer(
        self: Arc<Self>,
        api: Api,
        address: Option<IpAddr>,
        payload: serde_json::Value,
    ) -> async_graphql::Result<async_graphql::Data> {
        self.started.store(true, Ordering::Release);
        match api.caller(authorization(&payload)).await {
            Ok((principal, expires_at)) => {
                if let Principal::Key { name, .. } = &principal {
                    let _ = self.key.set(name.clone());
                }
                if let Some(at) = expires_at {
                    let _ = self.expires_at.set(at);
                }
                self.signed_in.notify_one();
                let client = Client {
                    address,
                    transport: Transport::WebSocket,
                };
                Ok(api.connection_data(principal, client))
            }
            Err(refusal) => {
                self.refused.store(true, Ordering::Release);
                Err(async_graphql::Error::new(refusal.message.into_owned()))
            }
        }
    }

    /// `message` as the client should get it, with the close codes the
    /// protocol gives. async-graphql closes a refused `connection_init` with
    /// 1002 (protocol error), where the protocol says 4403 Forbidden. Its
    /// keepalive timer runs from the start, so it expires together with the
    /// deadline for `connection_init` (one idle timeout) and may close a
    /// client that never sent it first, with 3008; such a client is late,
    /// 4408.
    fn outgoing(&self, message: Message) -> Message {
        let Message::Close(Some(frame)) = message else {
            return message;
        };
        let frame = if self.refused.load(Ordering::Acquire) {
            CloseFrame {
                code: FORBIDDEN,
                reason: frame.reason,
            }
        } else if frame.code == KEEPALIVE_TIMEOUT && !self.started.load(Ordering::Acquire) {
            CloseFrame {
                code: INIT_TIMEOUT,
                reason: INIT_TIMEOUT_REASON.into(),
            }
        } else {
            frame
        };
        Message::Close(Some(frame))
    }
}

/// One upgraded connection, before it runs.
struct Connection {
    api: Api,
    settings: Settings,
    protocol: GraphQLProtocol,
    speaks: WebSocketProtocols,
    address: Option<IpAddr>,
    /// Holds the connection's place under the cap while it runs.
    _permit: OwnedSemaphorePermit,
}

impl Connection {
    /// The protocol's side of the connection: GraphQLWebSocket reading the
    /// client's messages and writing its own into `outgoing`.
    fn graphql(
        &self,
        from_client: SplitStream<WebSocket>,
        outgoing: mpsc::Sender<Box<Message>>,
        handshake: &Arc<Handshake>,
    ) -> impl Future<Output = ()> + Send + 'static {
        let sink = futures_util::sink::unfold(outgoing, |outgoing, message| async move {
            outgoing.send(Box::new(message)).await.map(|()| outgoing)
        });
        let init = {
            let (handshake, api, address) = (handshake.clone(), self.api.clone(), self.address);
            move |payload| handshake.answer(api, address, payload)
        };
        // Legacy clients never answer pings, so only the modern protocol has
        // an idle timeout.
        let idle =
            (self.speaks == WebSocketProtocols::GraphQLWS).then_some(self.settings.idle_timeout);
        GraphQLWebSocket::new_with_pair(sink, from_client, self.api.schema().clone(), self.protocol)
            .on_connection_init(init)
            .keepalive_timeout(idle)
            .serve()
    }

    /// Runs the connection until either side closes it.
    async fn serve(self, socket: WebSocket) {
        let (mut to_client, from_client) = socket.split();
        // GraphQLWebSocket writes into a channel, so that the loop below is
        // the socket's only writer, between its pings and close frames. The
        // channel allocates a block of 32 slots however small its bound, for
        // the connection's life: boxed messages make it 8 bytes a slot, not
        // 40 (~1.2 kB less a connection).
        let (outgoing, mut queued) = mpsc::channel::<Box<Message>>(1);
        let handshake = Arc::new(Handshake::default());
        let graphql = self.graphql(from_client, outgoing, &handshake).fuse();
        let mut graphql = std::pin::pin!(graphql);

        let mut revocations = self.api.live().revocations();
        let mut shutting_down = self.api.live().shutting_down();
        let interval = self.settings.ping_interval;
        let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        let ping_message = match self.speaks {
            WebSocketProtocols::GraphQLWS => r#"{"type":"ping"}"#,
            WebSocketProtocols::SubscriptionsTransportWS => r#"{"type":"ka"}"#,
        };
        // A client has one idle timeout to say `connection_init`.
        let init_deadline = tokio::time::sleep(self.settings.idle_timeout);
        let mut init_deadline = std::pin::pin!(init_deadline);
        // Until a token's sign-in, no expiry: a far deadline stands in.
        let expiry = tokio::time::sleep(Duration::from_secs(365 * 24 * 3600));
        let mut expiry = std::pin::pin!(expiry);
        let close: Option<(u16, &str)> = loop {
            tokio::select! {
                () = handshake.signed_in.notified() => {
                    if let Some(at) = handshake.expires_at.get() {
                        let now = std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .unwrap_or_default()
                            .as_secs();
                        let left = Duration::from_secs(at.saturating_sub(now));
                        expiry.as_mut().reset(tokio::time::Instant::now() + left);
                    }
                }
                () = &mut expiry => {
                    break Some((UNAUTHORIZED, "the token expired; sign in again"));
                }
                () = &mut init_deadline, if !handshake.started.load(Ordering::Acquire) => {
                    break Some((INIT_TIMEOUT, INIT_TIMEOUT_REASON));
                }
                () = &mut graphql => {}
                message = queued.recv() => match message {
                    Some(message) => {
                        if to_client.send(handshake.outgoing(*message)).await.is_err() {
                            break None;
                        }
                    }
                    // GraphQLWebSocket is done and has said everything: the
                    // client left, or the protocol closed the connection.
                    None => break None,
                },
                revoked = revocations.recv() => match revoked {
                    Ok(name) if handshake.key.get().is_some_and(|key| **key == *name) => {
                        break Some((FORBIDDEN, "the API key was revoked"));
                    }
                    Err(RecvError::Closed) => break Some((GOING_AWAY, "the server is shutting down")),
                    _ => {}
                },
                () = async { let _ = shutting_down.wait_for(|stopping| *stopping).await; } => {
                    break Some((GOING_AWAY, "the server is shutting down"));
                }
                _ = ping.tick() => {
                    if to_client.send(Message::Text(ping_message.into())).await.is_err() {
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
            let _ = to_client.send(Message::Close(Some(frame))).await;
        }
        let _ = to_client.close().await;
    }
}

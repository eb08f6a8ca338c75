//! Two `twinning serve` processes on one database behind HAProxy (the
//! shipped `deploy/haproxy.cfg`); one gets SIGTERM during a stream of
//! requests. Its `/ready` turns 503 at once and HAProxy's health check
//! takes it out while it still serves (`--shutdown-delay-ms`); a request
//! it was reading finishes after its listener closed; no request through
//! the proxy fails; its WebSocket client is closed with 1001, reconnects
//! through the proxy and hears a change written through the other server.

use crate::helpers::TestDb;
use crate::load_balancer::HaProxy;
use crate::services::free_port;
use crate::ws_client::Client;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Longer than HAProxy's check interval (500 ms) times its fall count (1).
const DELAY_MS: u64 = 1500;
const QUERY: &str = r#"{ city(key: "murmansk") { name } }"#;

/// A `twinning serve` process; killed when dropped if still running.
struct Server {
    addr: SocketAddr,
    child: Child,
    log: std::path::PathBuf,
}

impl Server {
    async fn start(database_url: &str, dir: &std::path::Path, name: &str) -> Server {
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port())
            .parse()
            .expect("address");
        let log = dir.join(format!("{name}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_twinning"))
            .arg("serve")
            .args(["--listen", &addr.to_string()])
            .args(["--database-url", database_url])
            .args(["--forwarded-hops", "1", "--rate-limits", "false"])
            .args(["--shutdown-delay-ms", &DELAY_MS.to_string()])
            .args(["--shutdown-grace-secs", "10"])
            .env_remove("DATABASE_URL")
            .env_remove("REDIS_URL")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("a log file"))
            .spawn()
            .expect("twinning serve starts");
        let server = Server { addr, child, log };
        for _ in 0..200 {
            if get(addr, "/ready").await == Some(200) {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{name} never got ready: {}", server.log());
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn terminate(&self) {
        crate::helpers::terminate(self.child.id());
    }

    /// The exit status, waiting at most `wait`.
    async fn exited(&mut self, wait: Duration) -> std::process::ExitStatus {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the server did not stop: {}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn websockets(&self) -> f64 {
        let text = reqwest::get(format!("http://{}/metrics", self.addr))
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        text.lines()
            .find_map(|l| {
                l.strip_prefix("twinning_websocket_connections")?
                    .trim()
                    .parse()
                    .ok()
            })
            .unwrap_or(0.0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn get(addr: SocketAddr, path: &str) -> Option<u16> {
    let response = reqwest::get(format!("http://{addr}{path}")).await.ok()?;
    Some(response.status().as_u16())
}

async fn gql(client: &reqwest::Client, url: &str, key: Option<&str>, query: &str) -> Value {
    let mut request = client.post(url).json(&json!({ "query": query }));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.expect("an answer");
    assert_eq!(response.status(), 200);
    response.json().await.expect("JSON")
}

/// Writes cities through `url` until subscription `id` reports one of
/// them (other writers' cities it reports are passed over).
async fn until_heard(subscriber: &mut Client, url: &str, key: &str, id: &str) -> Value {
    let client = reqwest::Client::new();
    let ours = format!("drain-{id}-");
    for n in 1..=50 {
        let mutation = format!(
            r#"mutation {{ createCity(input: {{ key: "{ours}{n}", name: "Drain", countryCode: "NO" }}) {{ city {{ key }} }} }}"#
        );
        let body = gql(&client, url, Some(key), &mutation).await;
        assert!(body.get("errors").is_none(), "{body}");
        while let Some(Ok(message)) = subscriber.receive(Duration::from_millis(200)).await {
            assert_eq!(message["id"], id, "{message}");
            let payload = &message["payload"];
            if payload["data"]["recordChanged"]["recordKey"]
                .as_str()
                .is_some_and(|k| k.starts_with(&ours))
            {
                return payload.clone();
            }
        }
    }
    panic!("subscription {id} never heard our writes");
}

#[tokio::test]
async fn sigterm_to_one_of_two_server_processes_behind_haproxy_fails_no_request() {
    if crate::services::installed("haproxy", "sigterm_drain").is_none() {
        return;
    }
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().expect("a directory");
    // One after the other: the first creates the schema.
    let a = Server::start(&db.url, dir.path(), "a").await;
    let b = Server::start(&db.url, dir.path(), "b").await;
    let editor = twinning::store::api_keys::create_key(
        &db.connect().await,
        twinning::store::api_keys::NewKey {
            name: "drain-editor",
            role: twinning::domain::access::Role::Editor,
            trusted_documents_only: false,
            scope: None,
        },
    )
    .await
    .expect("a key");
    let proxy = HaProxy::start([a.addr, b.addr], "sigterm_drain")
        .await
        .expect("haproxy is installed");
    let url = proxy.url();

    // A subscriber through the proxy; the server it lands on is stopped.
    let mut subscriber = Client::open(proxy.addr, json!({})).await;
    let ack = subscriber.next().await.expect("connection_ack");
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    let subscription = "subscription { recordChanged(types: [CITY]) { recordKey } }";
    subscriber.subscribe("first", subscription).await;
    until_heard(&mut subscriber, &url, &editor, "first").await;
    let on_a = a.websockets().await == 1.0;
    let (mut stopping, staying, name) = if on_a { (a, b, "a") } else { (b, a, "b") };

    // A stream of queries and mutations through the proxy, four at a time.
    let done = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..4)
        .map(|worker| {
            let (done, url, editor) = (done.clone(), url.clone(), editor.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut answers = Vec::new();
                let mut n = 0;
                while !done.load(Ordering::Relaxed) {
                    n += 1;
                    let write = format!(
                        r#"mutation {{ createCity(input: {{ key: "w{worker}-{n}", name: "W", countryCode: "NO" }}) {{ city {{ key }} }} }}"#
                    );
                    let (key, query) = if n % 5 == 0 {
                        (Some(editor.as_str()), write.as_str())
                    } else {
                        (None, QUERY)
                    };
                    let mut request = client.post(&url).json(&json!({ "query": query }));
                    if let Some(key) = key {
                        request = request.bearer_auth(key);
                    }
                    let answer = match request.send().await {
                        Ok(r) => (r.status().as_u16(), r.text().await.unwrap_or_default()),
                        Err(e) => (0, e.to_string()),
                    };
                    answers.push(answer);
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                answers
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;

    // A request the stopping server is reading when SIGTERM comes: its
    // body's second half is sent once the listener has closed.
    let body = json!({ "query": QUERY }).to_string();
    let (first, rest) = body.split_at(body.len() / 2);
    let mut slow = tokio::net::TcpStream::connect(stopping.addr)
        .await
        .expect("connect");
    let head = format!(
        "POST /graphql HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{first}",
        stopping.addr,
        body.len()
    );
    slow.write_all(head.as_bytes()).await.expect("send");
    tokio::time::sleep(Duration::from_millis(200)).await;

    stopping.terminate();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        get(stopping.addr, "/ready").await,
        Some(503),
        "not ready while it drains"
    );
    assert_eq!(
        get(staying.addr, "/ready").await,
        Some(200),
        "the other server stays ready"
    );

    // The subscriber is closed with 1001 once the delay is over.
    let closed = subscriber.closed().await;
    assert_eq!(closed.code, 1001, "{closed:?}");
    let log = proxy.log();
    assert!(
        log.contains(&format!("servers/{name} is DOWN")) && log.contains("Layer7 wrong status"),
        "HAProxy's check took the server out on its 503 before its sockets closed: {log}"
    );
    for _ in 0..40 {
        if tokio::net::TcpStream::connect(stopping.addr).await.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        tokio::net::TcpStream::connect(stopping.addr).await.is_err(),
        "the listener closed"
    );
    slow.write_all(rest.as_bytes())
        .await
        .expect("send the rest");
    let mut answer = String::new();
    slow.read_to_string(&mut answer).await.expect("an answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains(r#"{"data":{"city":{"name":"Murmansk"}}"#),
        "{answer}"
    );

    let status = stopping.exited(Duration::from_secs(15)).await;
    assert!(status.success(), "{status:?}: {}", stopping.log());

    // It reconnects through the proxy, to the server that stayed, and hears
    // a change written through it.
    let mut again = Client::open(proxy.addr, json!({})).await;
    let ack = again.next().await.expect("connection_ack");
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    again.subscribe("again", subscription).await;
    let direct = format!("http://{}/graphql", staying.addr);
    let event = until_heard(&mut again, &direct, &editor, "again").await;
    assert!(
        event["data"]["recordChanged"]["recordKey"]
            .as_str()
            .is_some_and(|k| k.starts_with("drain-again-")),
        "{event}"
    );
    assert_eq!(staying.websockets().await, 1.0);

    tokio::time::sleep(Duration::from_millis(300)).await;
    done.store(true, Ordering::Relaxed);
    let mut answers = Vec::new();
    for worker in workers {
        answers.extend(worker.await.expect("a worker"));
    }
    let failed: Vec<_> = answers
        .iter()
        .filter(|(status, text)| *status != 200 || text.contains("\"errors\""))
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} failed: {failed:?}",
        failed.len(),
        answers.len()
    );
    assert!(
        answers.len() > 100,
        "a stream, not a trickle: {}",
        answers.len()
    );
}

//! Two servers on one database behind HAProxy, with the shipped
//! `deploy/haproxy.cfg`: round-robin, a subscription through the proxy
//! hears a write made through the other server, `--forwarded-hops 1` gives
//! each client its own budget, and a server stopped during a stream of
//! requests fails none of them.

use crate::helpers::{TestApp, spawn_app_configured, spawn_beside};
use crate::services::{free_port, installed};
use crate::ws_client::Client;
use serde_json::json;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use twinning::config::Config;
use twinning::domain::access::Role;

/// HAProxy in front of two servers; stopped when dropped.
pub struct HaProxy {
    pub addr: SocketAddr,
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl HaProxy {
    pub async fn start(upstreams: [&TestApp; 2], test: &str) -> Option<HaProxy> {
        let binary = installed("haproxy", test)?;
        let dir = tempfile::tempdir().expect("a directory");
        let port = free_port();
        let config =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/haproxy.cfg"))
                .expect("deploy/haproxy.cfg")
                .replace("127.0.0.1:8001", &upstreams[0].addr.to_string())
                .replace("127.0.0.1:8002", &upstreams[1].addr.to_string())
                .replace("127.0.0.1:8081", &format!("127.0.0.1:{port}"));
        let file = dir.path().join("haproxy.cfg");
        std::fs::write(&file, config).expect("write the configuration");
        let mut child = std::process::Command::new(binary)
            .arg("-f")
            .arg(&file)
            .arg("-db") // in the foreground
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("haproxy starts");
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("address");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                // Both servers pass their first checks.
                tokio::time::sleep(Duration::from_millis(1200)).await;
                return Some(HaProxy {
                    addr,
                    child,
                    _dir: dir,
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("haproxy did not start");
    }

    pub fn url(&self) -> String {
        format!("http://{}/graphql", self.addr)
    }
}

impl Drop for HaProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn behind_one_proxy(config: &mut Config) {
    config.rate_limits.forwarded_hops = 1;
    config.rate_limits.budgets.anonymous = 5;
    config.shutdown_grace = Duration::from_secs(5);
}

/// A client whose connections come from `source` (any 127.x address is
/// this host's).
fn client_from(source: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::from(source))
        .build()
        .expect("a client")
}

async fn status(client: &reqwest::Client, url: &str, query: &str) -> u16 {
    client
        .post(url)
        .json(&json!({ "query": query }))
        .send()
        .await
        .map_or(0, |r| r.status().as_u16())
}

const QUERY: &str = r#"{ city(key: "murmansk") { name } }"#;

#[tokio::test]
async fn two_servers_behind_haproxy_share_the_work_and_drain_without_failing_a_request() {
    let a = spawn_app_configured(behind_one_proxy).await;
    let b = spawn_beside(&a, behind_one_proxy).await;
    let Some(proxy) = HaProxy::start([&a, &b], "load_balancer").await else {
        return;
    };
    let url = proxy.url();

    // Round-robin: four requests, two to each server.
    let one = client_from([127, 0, 0, 2]);
    for _ in 0..4 {
        assert_eq!(status(&one, &url, QUERY).await, 200);
    }
    assert_eq!((a.requests().await, b.requests().await), (2.0, 2.0));

    // Each client its own budget of 5 on each server (no Redis here):
    // 10 requests in all, then 429.
    for _ in 0..6 {
        assert_eq!(status(&one, &url, QUERY).await, 200);
    }
    assert_eq!(
        status(&one, &url, QUERY).await,
        429,
        "127.0.0.2 spent its points"
    );
    assert_eq!(status(&one, &url, QUERY).await, 429, "on both servers");
    let two = client_from([127, 0, 0, 3]);
    assert_eq!(
        status(&two, &url, QUERY).await,
        200,
        "127.0.0.3 has its own"
    );

    // A subscription through the proxy hears a write made through the
    // server it is not connected to.
    let mut subscriber = Client::open(proxy.addr, json!({})).await;
    let ack = subscriber.next().await.expect("connection_ack");
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    subscriber
        .subscribe(
            "cities",
            "subscription { recordChanged(types: [CITY]) { recordKey } }",
        )
        .await;
    let on_a = a.metric("twinning_websocket_connections").await == 1.0;
    let other = if on_a { &b } else { &a };
    let editor = other.key("lb-editor", Role::Editor).await;
    let event = subscriber
        .until_live(other, &editor, "cities", |n| {
            format!(
                r#"mutation {{ createCity(input: {{ key: "lb-{n}", name: "LB", countryCode: "NO" }}) {{ city {{ key }} }} }}"#
            )
        })
        .await;
    assert!(
        event["data"]["recordChanged"]["recordKey"]
            .as_str()
            .is_some_and(|k| k.starts_with("lb-")),
        "{event}"
    );

    // A stream of requests (each client from its own address, so budgets
    // do not interfere) while one server stops: none fails.
    let stream = tokio::spawn({
        let url = url.clone();
        async move {
            let mut statuses = Vec::new();
            for i in 0..120u8 {
                let client = client_from([127, 0, 1, i]);
                statuses.push(status(&client, &url, QUERY).await);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            statuses
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (stopping, staying) = if on_a { (a, b) } else { (b, a) };
    stopping.stop().await;
    // The subscriber's server is gone: its socket was closed with 1001.
    let closed = subscriber.closed().await;
    assert_eq!(closed.code, 1001, "{closed:?}");
    let statuses = stream.await.expect("the stream");
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    // It reconnects through the proxy, to the server that stayed.
    let mut again = Client::open(proxy.addr, json!({})).await;
    let ack = again.next().await.expect("connection_ack");
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    assert_eq!(staying.metric("twinning_websocket_connections").await, 1.0);
}

//! Webhooks across processes: `twinning serve` killed with SIGKILL after
//! its commits, and two servers over one PostgreSQL sharing the outbox.

use crate::helpers::{TestDb, admin_and_endpoint, create_city, serve_process};
use crate::services::free_port;
use crate::webhooks::Receiver;
use serde_json::json;
use tokio::process::Child;

/// A `twinning serve` process over the test's database.
async fn serve(test_db: &TestDb, port: u16) -> Child {
    let args = [
        "--example-data=false",
        "--webhook-allow-http",
        "--webhook-allow-private",
        "--webhook-retry-base-ms",
        "500",
        "--webhook-timeout-secs",
        "1",
    ];
    serve_process(&test_db.url, port, &args, &[]).await
}

#[tokio::test]
async fn deliveries_committed_before_a_crash_arrive_after_the_restart() {
    let test_db = TestDb::new().await;
    // Nothing listens on the receiver's port yet: every attempt fails.
    let receiver_port = free_port();
    let url = format!("http://127.0.0.1:{receiver_port}/hook");
    let (admin, secret) = admin_and_endpoint(&test_db, &url).await;

    let port = free_port();
    let mut crashing = serve(&test_db, port).await;
    let client = reqwest::Client::new();
    for key in ["before-crash-1", "before-crash-2", "before-crash-3"] {
        let request = client.post(format!("http://127.0.0.1:{port}/graphql"));
        create_city(request.bearer_auth(&admin), key).await;
    }
    crashing.start_kill().expect("SIGKILL");
    crashing.wait().await.expect("killed");

    let mut receiver = Receiver::start_with(&[], &["--port", &receiver_port.to_string()]).await;
    receiver.set_secret(&secret);
    let _restarted = serve(&test_db, free_port()).await;
    let mut keys = Vec::new();
    for _ in 0..3 {
        let delivery = receiver.next().await;
        assert_eq!(delivery["verified"], true, "{delivery}");
        keys.push(delivery["payload"]["data"]["changes"][0]["recordKey"].clone());
    }
    assert_eq!(
        keys,
        [
            json!("before-crash-1"),
            json!("before-crash-2"),
            json!("before-crash-3")
        ]
    );
}

#[tokio::test]
async fn two_servers_over_one_postgresql_share_the_outbox() {
    let test_db = TestDb::new().await;
    if !test_db.url.starts_with("postgres") {
        eprintln!("skipped: needs PostgreSQL (TEST_DATABASE_URL)");
        return;
    }
    let mut receiver = Receiver::start(&[]).await;
    let (admin, secret) = admin_and_endpoint(&test_db, &receiver.url()).await;
    receiver.set_secret(&secret);
    let ports = [free_port(), free_port()];
    let _servers = [
        serve(&test_db, ports[0]).await,
        serve(&test_db, ports[1]).await,
    ];

    let client = reqwest::Client::new();
    let writes = 20;
    for n in 0..writes {
        let port = ports[n % 2];
        let request = client.post(format!("http://127.0.0.1:{port}/graphql"));
        create_city(request.bearer_auth(&admin), &format!("city-{n}")).await;
    }
    let mut received = Vec::new();
    while received.len() < writes {
        let delivery = receiver.next().await;
        assert_eq!(delivery["verified"], true, "{delivery}");
        assert_eq!(delivery["concurrent"], 1, "never two at once: {delivery}");
        let key = delivery["payload"]["data"]["changes"][0]["recordKey"]
            .as_str()
            .expect("a key")
            .to_owned();
        // At least once: a repeat of the last one is allowed, nothing else.
        if received.last() != Some(&key) {
            received.push(key);
        }
    }
    let expected: Vec<String> = (0..writes).map(|n| format!("city-{n}")).collect();
    assert_eq!(received, expected, "every change set, in order");
}

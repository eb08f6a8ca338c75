//! Webhooks across processes: `twinning serve` killed with SIGKILL after
//! its commits, and two servers over one PostgreSQL sharing the outbox.

use crate::helpers::TestDb;
use crate::webhooks::Receiver;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::process::{Child, Command};
use twinning::domain::access::Role;

/// A `twinning serve` process over the test's database.
async fn serve(test_db: &TestDb, port: u16) -> Child {
    let child = Command::new(env!("CARGO_BIN_EXE_twinning"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args([
            "--example-data=false",
            "--webhook-allow-http",
            "--webhook-allow-private",
        ])
        .args([
            "--webhook-retry-base-ms",
            "500",
            "--webhook-timeout-secs",
            "1",
        ])
        .env("DATABASE_URL", &test_db.url)
        .env("DATABASE_MAX_CONNECTIONS", "4")
        .env("RATE_LIMITS", "false")
        .kill_on_drop(true)
        .spawn()
        .expect("the server starts");
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client
            .get(format!("http://127.0.0.1:{port}/health"))
            .send()
            .await
            .is_ok()
        {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not answer /health");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

#[tokio::test]
async fn deliveries_committed_before_a_crash_arrive_after_the_restart() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    twinning::store::connection::migrate(&db)
        .await
        .expect("migrate");
    let key = twinning::store::api_keys::NewKey {
        name: "admin",
        role: Role::Admin,
        trusted_documents_only: false,
        scope: None,
    };
    let admin = twinning::store::api_keys::create_key(&db, key)
        .await
        .expect("a key");
    // Nothing listens on the receiver's port yet: every attempt fails.
    let receiver_port = free_port();
    let url = format!("http://127.0.0.1:{receiver_port}/hook");
    let secret = twinning::webhooks::sign::new_secret().expect("a secret");
    let filter = twinning::domain::webhooks::EventFilter::default();
    twinning::store::webhooks::create(&db, &url, "", &filter, &secret)
        .await
        .expect("an endpoint");

    let port = free_port();
    let mut crashing = serve(&test_db, port).await;
    let create =
        "mutation ($input: CityInput!) { createCity(input: $input) { userErrors { message } } }";
    let client = reqwest::Client::new();
    for key in ["before-crash-1", "before-crash-2", "before-crash-3"] {
        let body: Value = client
            .post(format!("http://127.0.0.1:{port}/graphql"))
            .bearer_auth(&admin)
            .json(&json!({ "query": create, "variables": { "input": { "key": key, "name": key, "countryCode": "NO" } } }))
            .send()
            .await
            .expect("the server answers")
            .json()
            .await
            .expect("JSON");
        assert_eq!(
            body["data"]["createCity"]["userErrors"],
            json!([]),
            "{body}"
        );
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
    let db = test_db.connect().await;
    twinning::store::connection::migrate(&db)
        .await
        .expect("migrate");
    let key = twinning::store::api_keys::NewKey {
        name: "admin",
        role: Role::Admin,
        trusted_documents_only: false,
        scope: None,
    };
    let admin = twinning::store::api_keys::create_key(&db, key)
        .await
        .expect("a key");
    let mut receiver = Receiver::start(&[]).await;
    let secret = twinning::webhooks::sign::new_secret().expect("a secret");
    receiver.set_secret(&secret);
    let filter = twinning::domain::webhooks::EventFilter::default();
    twinning::store::webhooks::create(&db, &receiver.url(), "", &filter, &secret)
        .await
        .expect("an endpoint");
    let ports = [free_port(), free_port()];
    let _servers = [
        serve(&test_db, ports[0]).await,
        serve(&test_db, ports[1]).await,
    ];

    let create =
        "mutation ($input: CityInput!) { createCity(input: $input) { userErrors { message } } }";
    let client = reqwest::Client::new();
    let writes = 20;
    for n in 0..writes {
        let key = format!("city-{n}");
        let port = ports[n % 2];
        let body: Value = client
            .post(format!("http://127.0.0.1:{port}/graphql"))
            .bearer_auth(&admin)
            .json(&json!({ "query": create, "variables": { "input": { "key": key, "name": key, "countryCode": "NO" } } }))
            .send()
            .await
            .expect("the server answers")
            .json()
            .await
            .expect("JSON");
        assert_eq!(
            body["data"]["createCity"]["userErrors"],
            json!([]),
            "{body}"
        );
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

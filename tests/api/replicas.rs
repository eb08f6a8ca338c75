//! Read replicas against a real streaming replica (see
//! [`crate::replica_cluster`]): a write read back through the replica with
//! its consistency token is never stale; without one it shows once the
//! replica caught up; a paused replica sends token reads to the primary
//! within the wait and, past the most lag, leaves the rotation; a stopped
//! replica fails no read; two servers behind HAProxy both read from it,
//! and a subscriber reads back what it heard of with the event's token.

use crate::helpers::{TestApp, spawn_on_url};
use crate::load_balancer::HaProxy;
use crate::replica_cluster::Cluster;
use crate::ws_client::Client;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use std::time::Duration;
use twinning::config::Config;
use twinning::domain::access::Role;

const REPLICA_READS: &str = r#"twinning_db_reads_total{database="replica-1",role="replica"}"#;
const PRIMARY_READS: &str = r#"twinning_db_reads_total{database="primary",role="primary"}"#;

fn with_replica(cluster: &Cluster) -> impl FnOnce(&mut Config) {
    let url = cluster.replica_url(0);
    move |config| {
        config.replica_urls = vec![url];
        config.replicas.max_lag = Duration::from_millis(500);
        config.replicas.wait = Duration::from_millis(200);
        config.rate_limits.enabled = false;
    }
}

/// `/ready`'s entry for replica 1.
async fn replica_state(app: &TestApp) -> Value {
    let ready: Value = app
        .client
        .get(app.url("/ready"))
        .send()
        .await
        .expect("ready")
        .json()
        .await
        .expect("JSON");
    ready["databases"][1].clone()
}

/// Waits until replica 1 is in rotation, or is not.
async fn until_in_rotation(app: &TestApp, wanted: bool) {
    for _ in 0..200 {
        if replica_state(app).await["in_rotation"] == json!(wanted) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the replica's rotation never became {wanted}: {}",
        replica_state(app).await
    );
}

/// Creates a city; its key and the response's consistency token.
async fn create(app: &TestApp, editor: &str, key: &str) -> String {
    let body = app
        .gql_as(
            editor,
            r#"mutation($key: String!) { createCity(input: { key: $key, name: "Replica", countryCode: "NO" }) { city { key } } }"#,
            json!({ "key": key }),
        )
        .await;
    assert_eq!(body["data"]["createCity"]["city"]["key"], key, "{body}");
    body["extensions"]["consistency"]
        .as_str()
        .unwrap_or_else(|| panic!("a mutation carries a consistency token: {body}"))
        .to_owned()
}

/// The city's key as a read sees it (null when it has not got there), with
/// the token as a header when given.
async fn read(app: &TestApp, key: &str, token: Option<&str>) -> Value {
    let mut request = app.client.post(app.url("/graphql"));
    if let Some(token) = token {
        request = request.header("x-twinning-consistency", token);
    }
    let (_, body) = app
        .post(
            request,
            "query($key: String!) { city(key: $key) { key } }",
            json!({ "key": key }),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["city"]["key"].clone()
}

#[tokio::test]
async fn a_replica_answers_reads_your_own_writes_included_and_steps_aside_when_paused_or_stopped() {
    let Some(mut cluster) = Cluster::start("replicas", 1) else {
        return;
    };
    let app = spawn_on_url(cluster.primary_url(), with_replica(&cluster)).await;
    until_in_rotation(&app, true).await;
    let editor = app.key("replica-editor", Role::Editor).await;

    // Read-your-writes: each write read back at once with its token, by
    // the replica (never stale), also with the token in `extensions`.
    for n in 0..25 {
        let key = format!("ryw-{n}");
        let token = create(&app, &editor, &key).await;
        assert_eq!(
            read(&app, &key, Some(&token)).await,
            json!(key),
            "write {n}"
        );
        let body: Value = app
            .client
            .post(app.url("/graphql"))
            .json(&json!({
                "query": "query($key: String!) { city(key: $key) { key } }",
                "variables": { "key": key },
                "extensions": { "consistency": token },
            }))
            .send()
            .await
            .expect("a response")
            .json()
            .await
            .expect("JSON");
        assert_eq!(body["data"]["city"]["key"], json!(key), "{body}");
    }
    let replica_reads = app.metric(REPLICA_READS).await;
    assert!(
        replica_reads >= 50.0,
        "the replica answered: {replica_reads}"
    );
    // The kept statistics read on the replica too (a standby cannot give
    // a transaction an id: the reader asks for no deltas there).
    let (_, body) = app
        .post(
            app.client.post(app.url("/graphql")),
            "{ stats { partnershipsByStatus { key count } visitsByTopic { key count } } }",
            json!({}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    assert!(
        body["data"]["stats"]["partnershipsByStatus"].is_array(),
        "{body}"
    );
    assert!(
        app.metric(REPLICA_READS).await > replica_reads,
        "the replica answered the statistics"
    );
    // A malformed token names where it was.
    let (_, body) = app
        .post(
            app.client
                .post(app.url("/graphql"))
                .header("x-twinning-consistency", "yesterday"),
            "{ cities(first: 1) { totalCount } }",
            json!({}),
        )
        .await;
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("x-twinning-consistency"), "{body}");

    // Without a token, the write shows once the replica caught up.
    let token = create(&app, &editor, "no-token").await;
    let mut seen = false;
    for _ in 0..100 {
        if read(&app, "no-token", None).await == json!("no-token") {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(seen, "the replica caught up with {token}");

    // Paused: a token read waits, then the primary answers it.
    let replica = sea_orm::Database::connect(cluster.replica_url(0))
        .await
        .expect("the replica");
    let sql = |text: &str| sea_orm::Statement::from_string(replica.get_database_backend(), text);
    replica
        .execute_raw(sql("SELECT pg_wal_replay_pause()"))
        .await
        .expect("pause");
    let fallbacks = app.metric("twinning_consistency_fallbacks_total").await;
    let primary_reads = app.metric(PRIMARY_READS).await;
    let token = create(&app, &editor, "paused").await;
    assert_eq!(read(&app, "paused", Some(&token)).await, json!("paused"));
    assert_eq!(
        app.metric("twinning_consistency_fallbacks_total").await,
        fallbacks + 1.0
    );
    assert!(app.metric(PRIMARY_READS).await > primary_reads);
    // Further behind than the most lag allowed (the primary writes on):
    // out of rotation, and back once replaying again.
    for n in 0..3 {
        create(&app, &editor, &format!("behind-{n}")).await;
    }
    until_in_rotation(&app, false).await;
    let reason = replica_state(&app).await["reason"].to_string();
    assert!(reason.contains("behind"), "{reason}");
    replica
        .execute_raw(sql("SELECT pg_wal_replay_resume()"))
        .await
        .expect("resume");
    until_in_rotation(&app, true).await;
    replica.close().await.expect("close");

    // Stopped: reads go on (the query that finds it down runs again on the
    // primary), and `/ready` says why it is out.
    cluster.stop_replica(0);
    for n in 0..30 {
        let key = format!("ryw-{}", n % 25);
        assert_eq!(read(&app, &key, None).await, json!(key));
    }
    let state = replica_state(&app).await;
    assert_eq!(state["in_rotation"], json!(false), "{state}");
    assert!(state["reason"].to_string().contains("down"), "{state}");
    app.stop().await;
}

#[tokio::test]
async fn two_servers_behind_haproxy_both_read_from_the_replica() {
    let Some(cluster) = Cluster::start("replicas_load_balancer", 1) else {
        return;
    };
    let a = spawn_on_url(cluster.primary_url(), with_replica(&cluster)).await;
    let b = spawn_on_url(cluster.primary_url(), with_replica(&cluster)).await;
    let Some(proxy) = HaProxy::start([a.addr, b.addr], "replicas_load_balancer").await else {
        return;
    };
    until_in_rotation(&a, true).await;
    until_in_rotation(&b, true).await;
    let client = reqwest::Client::new();
    for _ in 0..10 {
        let body: Value = client
            .post(proxy.url())
            .json(&json!({ "query": r#"{ city(key: "murmansk") { name } }"# }))
            .send()
            .await
            .expect("the proxy answers")
            .json()
            .await
            .expect("JSON");
        assert_eq!(body["data"]["city"]["name"], "Murmansk", "{body}");
    }
    // A subscriber hears of a write with a token that reads it back
    // through a replica (or, if none has it yet, the primary).
    let mut subscriber = Client::connect(&a, json!({})).await;
    subscriber
        .subscribe(
            "cities",
            "subscription { recordChanged(types: [CITY]) { recordKey consistency } }",
        )
        .await;
    let editor = b.key("replica-lb-editor", Role::Editor).await;
    let event = subscriber
        .until_live(&b, &editor, "cities", |n| {
            format!(
                r#"mutation {{ createCity(input: {{ key: "heard-{n}", name: "Heard", countryCode: "NO" }}) {{ city {{ key }} }} }}"#
            )
        })
        .await;
    let heard = &event["data"]["recordChanged"];
    let key = heard["recordKey"].as_str().expect("a key").to_owned();
    let token = heard["consistency"].as_str().expect("a token");
    assert_eq!(read(&a, &key, Some(token)).await, json!(key), "{event}");
    for app in [&a, &b] {
        let reads = app.metric(REPLICA_READS).await;
        assert!(reads >= 5.0, "each server read from the replica: {reads}");
    }
    drop(proxy);
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn a_query_run_again_on_the_primary_is_charged_its_statements_once() {
    let Some(mut cluster) = Cluster::start("replicas_retry", 1) else {
        return;
    };
    let url = cluster.replica_url(0);
    let app = spawn_on_url(cluster.primary_url(), move |config| {
        config.replica_urls = vec![url];
        // The checker looks once a second: the query, not the checker,
        // finds the replica down.
        config.replicas.max_lag = Duration::from_secs(60);
        config.rate_limits.enabled = false;
    })
    .await;
    until_in_rotation(&app, true).await;
    const SUM: &str = "twinning_sql_statements_per_request_sum";
    // What the read costs where it runs once.
    let before = app.metric(SUM).await;
    assert_eq!(read(&app, "murmansk", None).await, json!("murmansk"));
    let once = app.metric(SUM).await - before;
    assert!(once >= 1.0, "{once}");

    cluster.stop_replica(0);
    let before = app.metric(SUM).await;
    let total_before = app.statements();
    assert_eq!(read(&app, "murmansk", None).await, json!("murmansk"));
    let state = replica_state(&app).await;
    assert!(
        state["reason"]
            .to_string()
            .contains("a query could not reach it"),
        "the query found the replica down and ran again: {state}"
    );
    assert_eq!(
        app.metric(SUM).await - before,
        once,
        "the request is charged the statements of the run that answered it"
    );
    assert!(
        app.statements() - total_before >= once as u64,
        "the server's own count still has every statement it ran"
    );
    app.stop().await;
}

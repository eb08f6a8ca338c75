//! Budgets and persisted queries shared in Redis (`--redis-url`) by two
//! servers, and what happens while Redis is down. Each test runs a Redis of
//! its own on a free port.

use crate::helpers::{TestApp, spawn_app_configured};
use crate::services::PrivateRedis;
use serde_json::{Value, json};
use std::time::Duration;
use twinning::graphql::document_hash;

const QUERY: &str = r#"{ city(key: "murmansk") { name } }"#;

/// A server with an anonymous budget of `budget` points, sharing through
/// `redis`.
async fn server(redis: &PrivateRedis, budget: u64) -> TestApp {
    let url = redis.url();
    spawn_app_configured(move |config| {
        config.redis_url = Some(url);
        config.rate_limits.budgets.anonymous = budget;
    })
    .await
}

/// POSTs `body`: the status, the `X-RateLimit-Used` header and the body.
async fn send(app: &TestApp, body: &Value) -> (u16, Option<u64>, Value) {
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(body)
        .send()
        .await
        .expect("an answer");
    let used = response
        .headers()
        .get("x-ratelimit-used")
        .and_then(|v| v.to_str().ok()?.parse().ok());
    let status = response.status().as_u16();
    (status, used, response.json().await.expect("JSON"))
}

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test]
async fn two_servers_share_one_budget_even_when_charged_at_once() {
    let Some(redis) = PrivateRedis::start("shared_state::budget").await else {
        return;
    };
    let (a, b) = (server(&redis, 10).await, server(&redis, 10).await);
    let query = json!({ "query": QUERY });
    // 6 points through one, then the budget's other 4 through the other.
    for _ in 0..6 {
        assert_eq!(send(&a, &query).await.0, 200);
    }
    let (status, used, _) = send(&b, &query).await;
    assert_eq!((status, used), (200, Some(7)), "b sees a's charges");
    for _ in 0..3 {
        assert_eq!(send(&b, &query).await.0, 200);
    }
    let (status, _, body) = send(&b, &query).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(code(&body), "RATE_LIMITED");
    assert_eq!(send(&a, &query).await.0, 429, "a is out of points too");

    // Twenty requests at once, half through each server, from another
    // client (told apart by X-Forwarded-For): exactly its 10 points are
    // spent, however the charges interleave.
    let (c, d) = (proxied(&redis, 10).await, proxied(&redis, 10).await);
    let requests = (0..20).map(|i| {
        let app = if i % 2 == 0 { &c } else { &d };
        app.client
            .post(app.url("/graphql"))
            .header("x-forwarded-for", "192.0.2.7")
            .json(&query)
            .send()
    });
    let statuses: Vec<u16> = futures_util::future::join_all(requests)
        .await
        .into_iter()
        .map(|r| r.expect("an answer").status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        10,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        10,
        "{statuses:?}"
    );
}

/// As [`server`], behind one proxy (`--forwarded-hops 1`).
async fn proxied(redis: &PrivateRedis, budget: u64) -> TestApp {
    let url = redis.url();
    spawn_app_configured(move |config| {
        config.redis_url = Some(url);
        config.rate_limits.budgets.anonymous = budget;
        config.rate_limits.forwarded_hops = 1;
    })
    .await
}

#[tokio::test]
async fn a_query_registered_through_one_server_runs_by_its_hash_on_the_other() {
    let Some(redis) = PrivateRedis::start("shared_state::apq").await else {
        return;
    };
    let (a, b) = (server(&redis, 10_000).await, server(&redis, 10_000).await);
    let hash = document_hash(QUERY);
    let by_hash = json!({ "extensions": persisted(&hash) });
    let (_, _, unknown) = send(&b, &by_hash).await;
    assert_eq!(code(&unknown), "PERSISTED_QUERY_NOT_FOUND", "{unknown}");
    let (_, _, registered) = send(
        &a,
        &json!({ "query": QUERY, "extensions": persisted(&hash) }),
    )
    .await;
    assert_eq!(
        registered["data"]["city"]["name"], "Murmansk",
        "{registered}"
    );
    let (_, _, served) = send(&b, &by_hash).await;
    assert_eq!(served["data"]["city"]["name"], "Murmansk", "{served}");
    // A text that does not match its hash is not registered anywhere.
    let wrong = document_hash("{ __typename }");
    let (_, _, refused) = send(
        &a,
        &json!({ "query": QUERY, "extensions": persisted(&wrong) }),
    )
    .await;
    assert_eq!(code(&refused), "PERSISTED_QUERY_HASH_MISMATCH", "{refused}");
    let (_, _, unknown) = send(&b, &json!({ "extensions": persisted(&wrong) })).await;
    assert_eq!(code(&unknown), "PERSISTED_QUERY_NOT_FOUND", "{unknown}");
}

#[tokio::test]
async fn while_redis_is_down_every_request_is_served_and_sharing_resumes() {
    let Some(mut redis) = PrivateRedis::start("shared_state::redis_down").await else {
        return;
    };
    let (a, b) = (server(&redis, 1_000).await, server(&redis, 1_000).await);
    let query = json!({ "query": QUERY });
    assert_eq!(send(&a, &query).await.1, Some(1));
    assert_eq!(send(&b, &query).await.1, Some(2), "shared");

    redis.stop();
    for i in 0..20 {
        let app = if i % 2 == 0 { &a } else { &b };
        let (status, _, body) = send(app, &query).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("errors").is_none(), "{body}");
    }
    let ready = a.client.get(a.url("/ready")).send().await.expect("ready");
    assert_eq!(
        ready.status().as_u16(),
        200,
        "/ready does not depend on Redis"
    );
    assert!(a.metric("twinning_redis_fallbacks_total").await >= 1.0);

    redis.resume().await;
    // Each server tries Redis again a second after its last failure.
    let mut shared = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let first = send(&a, &query).await;
        let second = send(&b, &query).await;
        assert_eq!((first.0, second.0), (200, 200));
        // The restarted Redis is empty: shared again when b sees a's charge.
        if let (Some(x), Some(y)) = (first.1, second.1)
            && y == x + 1
            && x < 10
        {
            shared = true;
            break;
        }
    }
    assert!(shared, "the servers share budgets again once Redis is back");
}

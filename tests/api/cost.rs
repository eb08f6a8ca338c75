//! The cost of a query (GitHub's formula: pages along each path
//! multiplied), the node limit, and rate limiting: the three views of a
//! request's cost (`extensions.cost`, the `X-RateLimit-*` headers and the
//! `rateLimit` field) agree, and a request over budget runs nothing.

use crate::helpers::{TestApp, spawn_app_configured};
use serde_json::{Value, json};
use twinning::domain::access::Role;

/// Q2's shape: 50 cities → 100 partnerships each → 100 visits each.
const NESTED: &str = r#"{ cities(first: 50) { nodes { key partnerships(first: 100) {
    nodes { key visits(first: 100) { nodes { key } } } } } } }"#;

/// The `X-RateLimit-*` headers as numbers.
fn rate_headers(headers: &reqwest::header::HeaderMap) -> [u64; 4] {
    ["limit", "remaining", "used", "reset"].map(|name| {
        headers[format!("x-ratelimit-{name}").as_str()]
            .to_str()
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("x-ratelimit-{name} is a number"))
    })
}

async fn post_as(
    app: &TestApp,
    key: Option<&str>,
    query: &str,
) -> (reqwest::header::HeaderMap, Value) {
    let mut request = app.client.post(app.url("/graphql"));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    app.post(request, query, json!({})).await
}

#[tokio::test]
async fn the_cost_is_the_same_in_extensions_headers_and_the_rate_limit_field() {
    let app = spawn_app_configured(|config| config.rate_limits.budgets.reader = 1_000).await;
    let reader = app.key("counter", Role::Reader).await;
    let query = format!(
        "{{ rateLimit {{ cost nodeCount limit used remaining resetAt }} {} }}",
        &NESTED[1..NESTED.len() - 1]
    );
    let (headers, body) = post_as(&app, Some(&reader), &query).await;
    assert!(body.get("errors").is_none(), "{body}");
    let field = &body["data"]["rateLimit"];
    let cost = &body["extensions"]["cost"];
    // requests: 1 + 50 + 5,000 = 5,051 → 51 points; nodes: 50 + 5,000 + 500,000.
    assert_eq!(field["cost"], 51);
    assert_eq!(cost["requested"], 51);
    assert_eq!(field["nodeCount"], 505_050);
    assert_eq!(cost["nodes"], 505_050);
    // The example data has few rows: far fewer pages were fetched.
    assert_eq!(cost["actual"], 1, "{cost}");
    let [limit, remaining, used, reset] = rate_headers(&headers);
    assert_eq!((limit, used, remaining), (1_000, 51, 949));
    assert_eq!(field["limit"], limit);
    assert_eq!(field["used"], used);
    assert_eq!(field["remaining"], remaining);
    assert_eq!(cost["remaining"], remaining);
    assert_eq!(cost["limit"], limit);
    assert_eq!(field["resetAt"], cost["resetAt"]);
    let reset_at = chrono::DateTime::parse_from_rfc3339(field["resetAt"].as_str().expect("a time"))
        .expect("RFC 3339");
    assert_eq!(reset_at.timestamp() as u64, reset);

    // The next request pays its own cost from what is left.
    let (headers, body) = post_as(&app, Some(&reader), "{ __typename }").await;
    assert_eq!(body["extensions"]["cost"]["requested"], 1);
    assert_eq!(rate_headers(&headers)[1], 948);
}

#[tokio::test]
async fn a_dry_run_reports_the_cost_and_charges_and_runs_nothing() {
    let app = spawn_app_configured(|config| config.rate_limits.budgets.editor = 100).await;
    let editor = app.key("planner", Role::Editor).await;
    let query = format!(
        "{{ rateLimit(dryRun: true) {{ cost remaining }} {} }}",
        &NESTED[1..NESTED.len() - 1]
    );
    let (headers, body) = post_as(&app, Some(&editor), &query).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(
        body["data"]["rateLimit"],
        json!({ "cost": 51, "remaining": 100 })
    );
    assert_eq!(
        body["data"]["cities"],
        Value::Null,
        "a dry run runs nothing else"
    );
    assert_eq!(rate_headers(&headers)[1], 100);
    // The same query for real costs 51.
    let (headers, body) = post_as(&app, Some(&editor), NESTED).await;
    assert!(body["data"]["cities"]["nodes"].is_array(), "{body}");
    assert_eq!(rate_headers(&headers)[1], 49);
}

#[tokio::test]
async fn over_budget_a_request_is_refused_with_the_wait_and_runs_nothing() {
    let app = spawn_app_configured(|config| {
        config.rate_limits.budgets.editor = 3;
        config.rate_limits.budgets.anonymous = 2;
    })
    .await;
    let editor = app.key("busy", Role::Editor).await;
    let create = |key: &str| {
        format!(
            r#"mutation {{ createCity(input: {{ key: "{key}", name: "N", countryCode: "NO" }}) {{ city {{ key }} }} }}"#
        )
    };
    for key in ["c1", "c2", "c3"] {
        let (_, body) = post_as(&app, Some(&editor), &create(key)).await;
        assert!(body.get("errors").is_none(), "{body}");
    }
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&editor)
        .json(&json!({ "query": create("c4") }))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 429);
    let wait: u64 = response.headers()["retry-after"]
        .to_str()
        .ok()
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&wait), "{wait}");
    let body: Value = response.json().await.expect("JSON");
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "RATE_LIMITED");
    assert_eq!(error["extensions"]["retryAfter"], wait);
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("costs 1 points and 0 of the 3")),
        "{error}"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM city WHERE key = 'c4'")
            .await,
        0
    );

    // Budgets are per client: anonymous readers have their own.
    for _ in 0..2 {
        let (_, body) = post_as(&app, None, "{ __typename }").await;
        assert!(body.get("errors").is_none(), "{body}");
    }
    let (_, body) = post_as(&app, None, "{ __typename }").await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
}

#[tokio::test]
async fn a_query_costing_more_than_a_whole_budget_is_refused_as_such() {
    let app = spawn_app_configured(|config| config.rate_limits.budgets.anonymous = 50).await;
    let (headers, body) = post_as(&app, None, NESTED).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "COST_LIMIT",
        "{body}"
    );
    assert!(
        headers.get("retry-after").is_none(),
        "waiting would not help"
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("costs 51 points, more than the whole budget of 50")),
        "{body}"
    );
}

#[tokio::test]
async fn subscriptions_pay_once_as_they_start() {
    let app = spawn_app_configured(|config| config.rate_limits.budgets.anonymous = 2).await;
    let mut client = crate::ws_client::Client::connect(&app, json!({})).await;
    client
        .subscribe("a", "subscription { recordChanged { recordKey } }")
        .await;
    client
        .subscribe("b", "subscription { recordChanged { recordKey } }")
        .await;
    client.quiet(std::time::Duration::from_millis(300)).await;
    // Two subscriptions spent the budget; a third is refused.
    client
        .subscribe("c", "subscription { recordChanged { recordKey } }")
        .await;
    let refused = client.next().await.expect("an answer");
    assert_eq!(refused["id"], "c", "{refused}");
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"], "RATE_LIMITED",
        "{refused}"
    );
    let ended = client.next().await.expect("the end of c");
    assert_eq!(
        (ended["id"].as_str(), ended["type"].as_str()),
        (Some("c"), Some("complete"))
    );
    // Events are not charged: both live subscriptions hear a write.
    let editor = app.key("writer", Role::Editor).await;
    let (_, created) = post_as(
        &app,
        Some(&editor),
        r#"mutation { createCity(input: { key: "paid", name: "Paid", countryCode: "NO" }) { city { key } } }"#,
    )
    .await;
    assert!(created.get("errors").is_none(), "{created}");
    let mut heard = Vec::new();
    for _ in 0..2 {
        let message = client.next().await.expect("an event");
        assert_eq!(
            message["payload"]["data"]["recordChanged"]["recordKey"], "paid",
            "{message}"
        );
        heard.push(message["id"].as_str().unwrap_or_default().to_owned());
    }
    heard.sort();
    assert_eq!(heard, ["a", "b"]);
}

#[tokio::test]
async fn behind_a_trusted_proxy_anonymous_budgets_follow_the_forwarded_address() {
    let app = spawn_app_configured(|config| {
        config.rate_limits.budgets.anonymous = 1;
        config.rate_limits.forwarded_hops = 1;
    })
    .await;
    let ask = |forwarded: &'static str| {
        let request = app
            .client
            .post(app.url("/graphql"))
            .header("x-forwarded-for", forwarded);
        app.post(request, "{ __typename }", json!({}))
    };
    let code = |body: &Value| body["errors"][0]["extensions"]["code"].clone();
    // The proxy appended the client's address; what is left of it is the
    // client's own word and changes nothing.
    assert_eq!(code(&ask("198.51.100.1, 203.0.113.5").await.1), Value::Null);
    assert_eq!(code(&ask("203.0.113.6").await.1), Value::Null);
    assert_eq!(
        code(&ask("192.0.2.99, 203.0.113.5").await.1),
        "RATE_LIMITED"
    );
}

#[tokio::test]
async fn the_node_limit_refuses_a_query_before_it_runs() {
    let app = spawn_app_configured(|config| config.limits.max_nodes = 505_050).await;
    let fits = app.gql(NESTED, json!({})).await;
    assert!(fits.get("errors").is_none(), "{fits}");
    let over = NESTED.replace("cities(first: 50)", "cities(first: 51)");
    let body = app.gql(&over, json!({})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "NODE_LIMIT",
        "{body}"
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("up to 515151 nodes") && m.contains("at most 505050")),
        "{body}"
    );
}

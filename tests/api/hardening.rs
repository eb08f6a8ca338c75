//! What protects a public server: query limits (just under passes, just
//! over is refused before anything runs, with a code naming the limit), the
//! body limit, request ids, CORS, compression, and readiness.

use crate::helpers::{spawn_app, spawn_app_configured};
use serde_json::{Value, json};

/// `{ topic(key: "rehabilitation") { parent { parent … { key } } } }` with
/// `parents` levels of `parent`.
fn nested(parents: usize) -> String {
    format!(
        r#"{{ topic(key: "rehabilitation") {{ {}key{} }} }}"#,
        "parent { ".repeat(parents),
        " }".repeat(parents)
    )
}

#[tokio::test]
async fn a_query_over_a_limit_is_refused_with_the_limit_and_its_value() {
    let app = spawn_app_configured(|config| {
        config.limits.max_depth = 4;
        config.limits.max_fields = 10;
    })
    .await;
    // topic → parent → parent → key: four levels.
    let fits = app.gql(&nested(2), json!({})).await;
    assert!(fits.get("errors").is_none(), "{fits}");
    let deep = app.gql(&nested(3), json!({})).await;
    assert_eq!(
        deep["errors"][0]["extensions"]["code"], "DEPTH_LIMIT",
        "{deep}"
    );
    assert_eq!(
        deep["errors"][0]["message"],
        "the query nests 5 levels deep; at most 4 are allowed"
    );
    assert!(deep.get("data").is_none_or(|d| d.is_null()));

    // Aliases count: five cities of two fields each fit, six do not.
    let aliases = |n: usize| {
        let fields: String = (0..n)
            .map(|i| format!(r#"c{i}: city(key: "murmansk") {{ key }} "#))
            .collect();
        format!("{{ {fields}}}")
    };
    let fits = app.gql(&aliases(5), json!({})).await;
    assert!(fits.get("errors").is_none(), "{fits}");
    let wide = app.gql(&aliases(6), json!({})).await;
    assert_eq!(
        wide["errors"][0]["extensions"]["code"], "FIELD_LIMIT",
        "{wide}"
    );
    assert!(
        wide["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("selects 12 fields") && m.contains("at most 10")),
        "{wide}"
    );
    // The server is fine afterwards.
    let health = app
        .client
        .get(app.url("/health"))
        .send()
        .await
        .expect("health");
    assert!(health.status().is_success());
}

#[tokio::test]
async fn page_size_and_id_list_limits_are_the_servers_own() {
    let app = spawn_app_configured(|config| {
        config.limits.max_page_size = 5;
        config.limits.max_ids = 2;
    })
    .await;
    let fits = app
        .gql("{ cities(first: 5) { totalCount } }", json!({}))
        .await;
    assert!(fits.get("errors").is_none(), "{fits}");
    // Refused before anything runs, nested pages and variables included.
    let over = app
        .gql(
            "query ($n: Int!) { cities(first: 2) { nodes { partnerships(last: $n) { totalCount } } } }",
            json!({ "n": 6 }),
        )
        .await;
    assert_eq!(
        over["errors"][0]["extensions"]["code"], "PAGE_SIZE_LIMIT",
        "{over}"
    );
    assert_eq!(
        over["errors"][0]["message"],
        "a page asks for 6 items (`first` or `last`); at most 5 are allowed"
    );
    assert!(over.get("data").is_none_or(Value::is_null), "{over}");
    let ids = app
        .gql(r#"{ nodes(ids: ["a", "b", "c"]) { id } }"#, json!({}))
        .await;
    assert_eq!(ids["errors"][0]["extensions"]["code"], "ID_LIMIT", "{ids}");
    assert_eq!(
        ids["errors"][0]["message"],
        "`nodes(ids:)` lists 3 ids; at most 2 are allowed"
    );
}

#[tokio::test]
async fn a_body_over_the_limit_gets_413_and_the_server_stays_up() {
    let app = spawn_app().await;
    let padding = "x".repeat(17 * 1024 * 1024);
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body(format!(
            r#"{{"query": "{{ __typename }}", "padding": "{padding}"}}"#
        ))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 413);
    let data = app.data("{ __typename }", json!({})).await;
    assert_eq!(data["__typename"], "Query");
}

#[tokio::test]
async fn responses_carry_a_request_id_cors_for_allowed_origins_and_gzip() {
    let app = spawn_app_configured(|config| {
        config.limits.cors_origins = vec!["https://twinning.example".to_owned()];
    })
    .await;
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("accept-encoding", "gzip")
        .header("origin", "https://twinning.example")
        .json(&json!({ "query": "{ cities(first: 50) { nodes { key name countryCode } } }" }))
        .send()
        .await
        .expect("an answer");
    let headers = response.headers();
    let id = headers["x-request-id"].to_str().expect("text");
    assert_eq!(id.len(), 36, "a UUID: {id}");
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://twinning.example"
    );
    assert_eq!(headers["content-encoding"], "gzip");

    // A request's own id is kept.
    let response = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.headers()["x-request-id"], "trace-me-42");

    // Other origins get no CORS grant.
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("origin", "https://elsewhere.example")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .expect("an answer");
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn ready_means_the_database_answers_and_is_migrated() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/ready"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(body["status"], "ready", "{body}");
    // Each database is listed; without replicas, the primary alone.
    let databases = body["databases"].as_array().expect("the databases");
    assert_eq!(databases.len(), 1, "{body}");
    assert_eq!(databases[0]["name"], "primary", "{body}");
    assert_eq!(databases[0]["in_rotation"], true, "{body}");
}

#[tokio::test]
async fn bombs_are_refused_before_they_run_and_the_server_stays_healthy() {
    let app = spawn_app().await;
    // A fragment bomb: each fragment spreads the next four times, 4^20
    // fields once expanded.
    let mut bomb = String::from(r#"{ topic(key: "rehabilitation") { ...F0 } }"#);
    for level in 0..20 {
        let next = format!("...F{} ", level + 1).repeat(4);
        bomb.push_str(&format!(" fragment F{level} on Topic {{ {next}}}"));
    }
    bomb.push_str(" fragment F20 on Topic { key }");
    let body = app.gql(&bomb, json!({})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FIELD_LIMIT",
        "{body}"
    );
    // The same bomb in an operation the request does not run.
    let hidden = bomb.replacen('{', "query Harmless { __typename } query Bomb {", 1);
    let body: Value = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": hidden, "operationName": "Harmless" }))
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FIELD_LIMIT",
        "{body}"
    );

    // A chain of 5,000 fragments, each spreading the next.
    let mut chain = String::from("{ ...C0 }");
    for level in 0..5_000 {
        chain.push_str(&format!(
            " fragment C{level} on Query {{ ...C{} }}",
            level + 1
        ));
    }
    chain.push_str(" fragment C5000 on Query { __typename }");
    let body = app.gql(&chain, json!({})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "DEPTH_LIMIT",
        "{body}"
    );

    // An alias bomb: 5,000 aliases of one field.
    let aliases: String = (0..5_000).map(|i| format!("a{i}: __typename ")).collect();
    let body = app.gql(&format!("{{ {aliases}}}"), json!({})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FIELD_LIMIT",
        "{body}"
    );

    // Deeply nested lists: partnerships of cities of partnerships … 100 levels.
    let deep = format!(
        "{{ {}key{} }}",
        "cities(first: 100) { nodes { partnerships(first: 100) { nodes { ".repeat(50),
        " } } } }".repeat(50)
    );
    let body = app.gql(&deep, json!({})).await;
    assert!(body.get("data").is_none_or(Value::is_null), "{body}");
    assert!(
        body["errors"][0]["extensions"]["code"].is_string(),
        "{body}"
    );

    // Unknown fields and invalid variables are typed errors too.
    let body = app.gql("{ cities { nodes { mayor } } }", json!({})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("mayor"))
    );
    let body = app
        .gql(
            "query ($n: Int!) { cities(first: $n) { totalCount } }",
            json!({ "n": "many" }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("first")),
        "{body}"
    );

    let data = app.data("{ __typename }", json!({})).await;
    assert_eq!(data["__typename"], "Query");
}

/// The value of a metric line (`name{labels} value`) in Prometheus text.
fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|value| value.split_whitespace().next()?.parse().ok())
}

#[tokio::test]
async fn metrics_count_requests_by_operation_and_outcome_with_their_statements() {
    let app = spawn_app_configured(|config| config.rate_limits.budgets.anonymous = 2).await;
    let before = app.statements();
    let probe =
        "query MetricsProbe { cities(first: 5) { nodes { key partnerships { totalCount } } } }";
    let data = app.data(probe, json!({})).await;
    assert!(data["cities"]["nodes"].is_array());
    let statements = app.statements() - before;
    // An invalid query, then two more than the budget allows.
    app.gql("query Broken { nope }", json!({})).await;
    app.gql("{ __typename }", json!({})).await;
    let limited = app.gql("{ __typename }", json!({})).await;
    assert_eq!(limited["errors"][0]["extensions"]["code"], "RATE_LIMITED");

    let response = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 200);
    let text = response.text().await.expect("text");
    let value =
        |series: &str| metric(&text, series).unwrap_or_else(|| panic!("{series} in:\n{text}"));
    assert_eq!(
        value(r#"twinning_graphql_requests_total{operation="MetricsProbe",outcome="ok"}"#),
        1.0
    );
    assert_eq!(
        value(r#"twinning_graphql_requests_total{operation="anonymous",outcome="refused"}"#),
        1.0
    );
    assert_eq!(
        value(r#"twinning_graphql_requests_total{operation="anonymous",outcome="rate_limited"}"#),
        1.0
    );
    assert_eq!(
        value(r#"twinning_graphql_request_duration_seconds_count{operation="MetricsProbe"}"#),
        1.0
    );
    assert_eq!(value("twinning_rate_limited_requests_total"), 1.0);
    assert_eq!(
        value("twinning_cost_points_total"),
        2.0,
        "the probe and one __typename"
    );
    // The requests' statements: the probe's (the others ran none), which
    // are all the server ran meanwhile but for the live-update feed's.
    let counted = value("twinning_sql_statements_per_request_sum");
    assert!(
        counted >= 2.0 && counted <= statements as f64,
        "{counted} of {statements}"
    );
    assert_eq!(value("twinning_sql_statements_per_request_count"), 4.0);
    assert!(value(r#"twinning_db_pool_connections{state="idle"}"#) >= 1.0);
    assert_eq!(value("twinning_active_subscriptions"), 0.0);
    assert_eq!(value("twinning_websocket_connections"), 0.0);
}

#[tokio::test]
async fn operations_beyond_the_concurrent_points_wait_their_turn() {
    // Four points: every operation holds one (at most a quarter), so four
    // run at once.
    let app = spawn_app_configured(|config| config.limits.concurrent_points = 4).await;
    let editor = app
        .key("editor", twinning::domain::access::Role::Editor)
        .await;
    let gauges = || async {
        let text = app
            .client
            .get(app.url("/metrics"))
            .send()
            .await
            .expect("an answer")
            .text()
            .await
            .expect("text");
        let executing = metric(&text, "twinning_graphql_executing_points").expect(&text);
        let waiting = metric(&text, "twinning_graphql_waiting_operations").expect(&text);
        (executing, waiting)
    };
    // Polls the gauges until `done` holds, for ten seconds at most.
    let wait_until = |what: &'static str, done: fn((f64, f64)) -> bool| {
        let gauges = &gauges;
        async move {
            let poll = async {
                while !done(gauges().await) {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
            };
            tokio::time::timeout(std::time::Duration::from_secs(10), poll)
                .await
                .unwrap_or_else(|_| panic!("{what}"));
        }
    };
    let send = |body: Value, key: Option<&str>| {
        let mut request = app.client.post(app.url("/graphql")).json(&body);
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        tokio::spawn(async move {
            let response = request.send().await.expect("an answer");
            response.json::<Value>().await.expect("a JSON body")
        })
    };

    // Hold the database's write lock from outside, so that four writes
    // stop mid-execution, each holding its point.
    let db = app.test_db.connect().await;
    let lock = sea_orm::TransactionTrait::begin(&db).await.expect("begin");
    let hold = if app.test_db.url.starts_with("postgres") {
        "LOCK TABLE change_set IN EXCLUSIVE MODE"
    } else {
        "UPDATE city SET name = name WHERE key = 'murmansk'"
    };
    sea_orm::ConnectionTrait::execute_unprepared(&lock, hold)
        .await
        .expect("lock");
    let create = "mutation ($input: CityInput!) { createCity(input: $input) { city { key } userErrors { code } } }";
    let writes: Vec<_> = (0..4)
        .map(|i| {
            let city = json!({ "key": format!("waiting-{i}"), "name": "W", "countryCode": "NO" });
            send(
                json!({ "query": create, "variables": { "input": city } }),
                Some(&editor),
            )
        })
        .collect();
    wait_until(
        "four writes running, blocked on the lock",
        |(executing, _)| executing >= 4.0,
    )
    .await;
    // A fifth operation, however cheap, waits for a point.
    let read = send(
        json!({ "query": "{ city(key: \"murmansk\") { name } }" }),
        None,
    );
    wait_until("the read waiting for a point", |(_, waiting)| {
        waiting >= 1.0
    })
    .await;
    assert!(!read.is_finished());
    assert_eq!(gauges().await, (4.0, 1.0));

    lock.commit().await.expect("commit");
    for (i, write) in writes.into_iter().enumerate() {
        let body = write.await.expect("the write's task");
        assert_eq!(
            body["data"]["createCity"]["city"]["key"],
            format!("waiting-{i}"),
            "{body}"
        );
    }
    let body = read.await.expect("the read's task");
    assert_eq!(body["data"]["city"]["name"], "Murmansk", "{body}");
    assert_eq!(gauges().await, (0.0, 0.0));
}

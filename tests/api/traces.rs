//! OpenTelemetry traces: `twinning serve --otlp-endpoint` sends its spans
//! to a small OTLP/HTTP receiver here, which decodes the protobuf with
//! `opentelemetry-proto`. One nested query's span tree is checked from the
//! incoming `traceparent` down to its SQL statements; a webhook delivery
//! carries a `traceparent` of its own span; a collector that refuses
//! connections costs the clients nothing.

use crate::helpers::TestDb;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Attribute;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::process::{Child, Command};

/// What the receiver got: spans, and the `traceparent` of each webhook.
#[derive(Clone, Default)]
struct Received {
    spans: Arc<Mutex<Vec<Span>>>,
    hooks: Arc<Mutex<Vec<String>>>,
}

impl Received {
    fn spans(&self) -> Vec<Span> {
        self.spans.lock().expect("spans").clone()
    }
}

/// An OTLP/HTTP collector (and webhook endpoint) on 127.0.0.1.
async fn receiver() -> (u16, Received) {
    async fn traces(State(received): State<Received>, body: Bytes) -> &'static str {
        let request = ExportTraceServiceRequest::decode(body).expect("OTLP protobuf");
        let mut spans = received.spans.lock().expect("spans");
        for resource in request.resource_spans {
            for scope in resource.scope_spans {
                spans.extend(scope.spans);
            }
        }
        ""
    }
    async fn hook(State(received): State<Received>, headers: HeaderMap) -> &'static str {
        let parent = headers
            .get("traceparent")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        received.hooks.lock().expect("hooks").push(parent);
        ""
    }
    let received = Received::default();
    let app = axum::Router::new()
        .route("/v1/traces", axum::routing::post(traces))
        .route("/hook", axum::routing::post(hook))
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (port, received)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// `twinning serve` exporting traces to `endpoint`.
async fn serve(test_db: &TestDb, port: u16, endpoint: &str, args: &[&str]) -> Child {
    let child = Command::new(env!("CARGO_BIN_EXE_twinning"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--otlp-endpoint", endpoint])
        .args(["--webhook-allow-http", "--webhook-allow-private"])
        .args(args)
        .env("DATABASE_URL", &test_db.url)
        .env("DATABASE_MAX_CONNECTIONS", "4")
        .env("RATE_LIMITS", "false")
        // Export every 100 ms rather than every 5 s.
        .env("OTEL_BSP_SCHEDULE_DELAY", "100")
        .env("OTEL_TRACES_SAMPLER", "parentbased_always_on")
        // A collector that never answers holds an export this long.
        .env("OTEL_EXPORTER_OTLP_TIMEOUT", "1000")
        .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        .env_remove("RUST_LOG")
        .kill_on_drop(true)
        .spawn()
        .expect("the server starts");
    let client = reqwest::Client::new();
    for _ in 0..300 {
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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn attribute(span: &Span, key: &str) -> Option<Attribute> {
    span.attributes
        .iter()
        .find(|a| a.key == key)
        .and_then(|a| a.value.clone()?.value)
}

fn text(span: &Span, key: &str) -> Option<String> {
    match attribute(span, key)? {
        Attribute::StringValue(s) => Some(s),
        _ => None,
    }
}

fn int(span: &Span, key: &str) -> Option<i64> {
    match attribute(span, key)? {
        Attribute::IntValue(i) => Some(i),
        _ => None,
    }
}

/// Waits until `done` holds for the received spans.
async fn spans_until(received: &Received, done: impl Fn(&[Span]) -> bool) -> Vec<Span> {
    for _ in 0..300 {
        let spans = received.spans();
        if done(&spans) {
            return spans;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the spans never arrived; got {:?}",
        received.spans().iter().map(|s| &s.name).collect::<Vec<_>>()
    );
}

const NESTED: &str = r#"query Partners {
  city(key: "murmansk") {
    name
    partnerships(first: 100) { nodes { key cities { key name } } }
  }
}"#;

#[tokio::test]
async fn a_nested_query_is_one_trace_from_the_callers_span_down_to_its_statements() {
    let test_db = TestDb::new().await;
    let (collector, received) = receiver().await;
    let port = free_port();
    let _server = serve(
        &test_db,
        port,
        &format!("http://127.0.0.1:{collector}"),
        &[],
    )
    .await;

    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let response = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/graphql"))
        .header("traceparent", format!("00-{trace_id}-{caller_span}-01"))
        .header("tracestate", "vendor=opaque")
        .json(&json!({ "query": NESTED }))
        .send()
        .await
        .expect("an answer");
    let request_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("a request id")
        .to_owned();
    let body: Value = response.json().await.expect("JSON");
    assert!(body.get("errors").is_none(), "{body}");
    assert!(
        !body["data"]["city"]["partnerships"]["nodes"]
            .as_array()
            .expect("partnerships")
            .is_empty(),
        "{body}"
    );

    let spans = spans_until(&received, |spans| {
        spans
            .iter()
            .any(|s| hex(&s.trace_id) == trace_id && s.name == "request")
    })
    .await;
    let ours: Vec<&Span> = spans
        .iter()
        .filter(|s| hex(&s.trace_id) == trace_id)
        .collect();
    let named =
        |name: &str| -> Vec<&Span> { ours.iter().copied().filter(|s| s.name == name).collect() };

    let [request] = named("request")[..] else {
        panic!("one request span: {ours:?}");
    };
    assert_eq!(
        hex(&request.parent_span_id),
        caller_span,
        "the caller's span is the parent"
    );
    assert_eq!(
        text(request, "request_id").as_deref(),
        Some(request_id.as_str())
    );

    let [operation] = named("graphql.operation")[..] else {
        panic!("one operation span: {ours:?}");
    };
    assert_eq!(operation.parent_span_id, request.span_id);
    assert_eq!(
        text(operation, "graphql.operation.name").as_deref(),
        Some("Partners")
    );
    assert_eq!(
        text(operation, "graphql.operation.type").as_deref(),
        Some("query")
    );
    assert_eq!(text(operation, "graphql.outcome").as_deref(), Some("ok"));
    assert!(
        int(operation, "graphql.cost").is_some_and(|c| c > 0),
        "{operation:?}"
    );

    let batches = named("graphql.loader_batch");
    assert!(!batches.is_empty(), "loader batches: {ours:?}");
    for batch in &batches {
        assert_eq!(batch.parent_span_id, operation.span_id, "{batch:?}");
        assert!(int(batch, "graphql.loader.keys").is_some_and(|k| k > 0));
    }

    let statements = named("db.statement");
    let in_batches: Vec<&&Span> = statements
        .iter()
        .filter(|s| batches.iter().any(|b| b.span_id == s.parent_span_id))
        .collect();
    assert!(!in_batches.is_empty(), "statements under batches: {ours:?}");
    for statement in &statements {
        let parent = &statement.parent_span_id;
        assert!(
            *parent == operation.span_id || batches.iter().any(|b| b.span_id == *parent),
            "a statement runs in the operation or one of its batches: {statement:?}"
        );
        let sql = text(statement, "db.statement").expect("the statement's text");
        assert!(!sql.is_empty());
        assert!(!sql.contains("murmansk"), "parameters are left out: {sql}");
        assert_eq!(text(statement, "db.role").as_deref(), Some("primary"));
        assert!(int(statement, "db.rows").is_some(), "{statement:?}");
    }
    // The city's own lookup found one row, with the key as a parameter.
    assert!(statements.iter().any(|s| int(s, "db.rows") == Some(1)));
    assert_eq!(
        int(operation, "db.statements"),
        Some(statements.len() as i64),
        "every statement the operation counted has its span"
    );
}

#[tokio::test]
async fn a_webhook_delivery_sends_the_traceparent_of_its_span() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    twinning::store::connection::migrate(&db)
        .await
        .expect("migrate");
    let (collector, received) = receiver().await;
    let key = twinning::store::api_keys::NewKey {
        name: "admin",
        role: twinning::domain::access::Role::Admin,
        trusted_documents_only: false,
        scope: None,
    };
    let admin = twinning::store::api_keys::create_key(&db, key)
        .await
        .expect("a key");
    let secret = twinning::webhooks::sign::new_secret().expect("a secret");
    let filter = twinning::domain::webhooks::EventFilter::default();
    let url = format!("http://127.0.0.1:{collector}/hook");
    twinning::store::webhooks::create(&db, &url, "", &filter, &secret)
        .await
        .expect("an endpoint");
    let port = free_port();
    let _server = serve(
        &test_db,
        port,
        &format!("http://127.0.0.1:{collector}"),
        &["--example-data=false"],
    )
    .await;
    let create =
        "mutation ($input: CityInput!) { createCity(input: $input) { userErrors { message } } }";
    let body: Value = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/graphql"))
        .bearer_auth(&admin)
        .json(&json!({ "query": create, "variables": { "input": { "key": "traced", "name": "Traced", "countryCode": "NO" } } }))
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        body["data"]["createCity"]["userErrors"],
        json!([]),
        "{body}"
    );

    let spans = spans_until(&received, |spans| {
        spans.iter().any(|s| s.name == "webhook.delivery")
    })
    .await;
    let delivery = spans
        .iter()
        .find(|s| s.name == "webhook.delivery")
        .expect("a delivery span");
    let hooks = received.hooks.lock().expect("hooks").clone();
    let sent = hooks.first().expect("the delivery arrived");
    assert_eq!(
        sent,
        &format!(
            "00-{}-{}-01",
            hex(&delivery.trace_id),
            hex(&delivery.span_id)
        ),
        "the delivery's traceparent names its span"
    );
    assert_eq!(int(delivery, "http.response.status_code"), Some(200));
}

#[tokio::test]
async fn a_collector_that_refuses_connections_costs_the_clients_nothing() {
    // Nothing listens there: every export is refused.
    let dead = free_port();
    answered_despite(&format!("http://127.0.0.1:{dead}")).await;
}

#[tokio::test]
async fn a_collector_that_never_answers_costs_the_clients_nothing() {
    // It takes connections and never reads nor answers: every export waits
    // for its timeout, and the queue (16 spans) fills and drops the rest.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    let held = tokio::spawn(async move {
        let mut connections = Vec::new();
        while let Ok((connection, _)) = listener.accept().await {
            connections.push(connection);
        }
    });
    answered_despite(&format!("http://127.0.0.1:{port}")).await;
    held.abort();
}

/// Every request is answered while the collector at `endpoint` takes no
/// spans, and the server still stops cleanly.
async fn answered_despite(endpoint: &str) {
    let test_db = TestDb::new().await;
    let port = free_port();
    let mut server = serve(&test_db, port, endpoint, &["--otlp-max-queue", "16"]).await;
    let client = reqwest::Client::new();
    for _ in 0..200 {
        let body: Value = client
            .post(format!("http://127.0.0.1:{port}/graphql"))
            .json(&json!({ "query": NESTED }))
            .send()
            .await
            .expect("an answer")
            .json()
            .await
            .expect("JSON");
        assert!(body.get("errors").is_none(), "{body}");
        assert_eq!(body["data"]["city"]["name"], "Murmansk", "{body}");
    }
    // Stopping tries once more to send what is queued, and exits cleanly.
    let pid = server.id().expect("running");
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let status = tokio::time::timeout(Duration::from_secs(120), server.wait())
        .await
        .expect("the server stops despite the dead collector")
        .expect("exit status");
    assert!(status.success(), "{status:?}");
}

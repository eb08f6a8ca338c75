//! OpenTelemetry traces: `twinning serve --otlp-endpoint` sends its spans
//! to a small OTLP/HTTP receiver here, which decodes the protobuf with
//! `opentelemetry-proto`. One nested query's span tree is checked from the
//! incoming `traceparent` down to its SQL statements; a write's statements
//! (transaction ends included) are traced and its webhook delivery joins
//! its trace; a statement on a replica says so; a collector that refuses
//! connections costs the clients nothing.

use crate::helpers::{
    TestDb, admin_and_endpoint, create_city, serve_command, serve_process, terminate, until_healthy,
};
use crate::replica_cluster::Cluster;
use crate::services::free_port;
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
use tokio::process::Child;

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

/// `twinning serve` exporting traces to `endpoint`.
async fn serve(database_url: &str, port: u16, endpoint: &str, args: &[&str]) -> Child {
    // The default export timeout (10 s): a batch whose export times out is
    // dropped, and on a loaded machine this receiver can take over a
    // second to answer.
    serve_with_timeout(database_url, port, endpoint, args, "10000").await
}

/// `twinning serve` exporting traces to `endpoint`, an export waiting at
/// most `timeout_ms` for the collector.
async fn serve_with_timeout(
    database_url: &str,
    port: u16,
    endpoint: &str,
    args: &[&str],
    timeout_ms: &str,
) -> Child {
    let (args, env) = exporting(endpoint, args, timeout_ms);
    serve_process(database_url, port, &args, &env).await
}

/// The arguments and environment of a server exporting to `endpoint`.
fn exporting<'a>(
    endpoint: &'a str,
    args: &[&'a str],
    timeout_ms: &'a str,
) -> (Vec<&'a str>, [(&'static str, &'a str); 3]) {
    let mut all = vec!["--otlp-endpoint", endpoint];
    all.extend(["--webhook-allow-http", "--webhook-allow-private"]);
    all.extend(args);
    let env = [
        // Export every 100 ms rather than every 5 s.
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ("OTEL_TRACES_SAMPLER", "parentbased_always_on"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", timeout_ms),
    ];
    (all, env)
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

/// The spans of trace `trace_id`, once its request's span arrived.
async fn request_trace(received: &Received, trace_id: &str) -> Vec<Span> {
    let in_trace = |s: &Span| hex(&s.trace_id) == trace_id;
    spans_until(received, |spans| {
        spans.iter().any(|s| in_trace(s) && s.name == "request")
    })
    .await
    .into_iter()
    .filter(in_trace)
    .collect()
}

const NESTED: &str = r#"query Partners {
  city(key: "murmansk") {
    name
    partnerships(first: 100) { nodes { key cities { key name } } }
  }
}"#;

/// [`NESTED`]'s answer from the server on `port`, sent with `traceparent`.
async fn nested(client: &reqwest::Client, port: u16, traceparent: Option<&str>) -> Value {
    let mut request = client.post(format!("http://127.0.0.1:{port}/graphql"));
    if let Some(traceparent) = traceparent {
        request = request.header("traceparent", traceparent);
    }
    request
        .json(&json!({ "query": NESTED }))
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("JSON")
}

#[tokio::test]
async fn a_nested_query_is_one_trace_from_the_callers_span_down_to_its_statements() {
    let test_db = TestDb::new().await;
    let (collector, received) = receiver().await;
    let port = free_port();
    let _server = serve(
        &test_db.url,
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

    let spans = request_trace(&received, trace_id).await;
    let ours: Vec<&Span> = spans.iter().collect();
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
async fn every_traced_request_keeps_its_span_while_the_exporter_sends() {
    // Background work (the exporter, the webhook worker) asks `tracing`
    // whether to log on the same threads as the requests; a request must
    // still open its span each time, in the trace and in the log.
    let test_db = TestDb::new().await;
    let (collector, received) = receiver().await;
    let port = free_port();
    let endpoint = format!("http://127.0.0.1:{collector}");
    let (args, env) = exporting(&endpoint, &["--log-json"], "10000");
    let mut server = serve_command(&test_db.url, port, &args, &env)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the server starts");
    let log = server.stderr.take().expect("the server's log");
    let log = tokio::spawn(async move {
        let mut text = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut { log }, &mut text)
            .await
            .expect("the log");
        text
    });
    until_healthy(port).await;
    let client = reqwest::Client::new();
    let caller_span = "00f067aa0ba902b7";
    let traces: Vec<String> = (0..80).map(|i| format!("{:032x}", 0xa11 + i)).collect();
    for trace_id in &traces {
        let traceparent = format!("00-{trace_id}-{caller_span}-01");
        let body = nested(&client, port, Some(&traceparent)).await;
        assert_eq!(body["data"]["city"]["name"], "Murmansk", "{body}");
        // Spread over several of the exporter's rounds (every 100 ms).
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // A request's span ends after its operation's, so it may reach the
    // collector one export round later: wait for the requests that hold an
    // operation, whichever trace they are in.
    let requests = |spans: &[Span]| {
        spans
            .iter()
            .filter(|r| {
                r.name == "request"
                    && spans
                        .iter()
                        .any(|o| o.name == "graphql.operation" && o.parent_span_id == r.span_id)
            })
            .count()
    };
    let spans = spans_until(&received, |spans| requests(spans) >= traces.len()).await;
    let adopted: Vec<&String> = traces
        .iter()
        .filter(|trace_id| {
            spans.iter().any(|s| {
                s.name == "request"
                    && hex(&s.trace_id) == **trace_id
                    && hex(&s.parent_span_id) == caller_span
            })
        })
        .collect();
    assert_eq!(
        adopted.len(),
        traces.len(),
        "every request's span, in its caller's trace"
    );

    // Every operation's log line is in its request's span.
    terminate(server.id().expect("running"));
    let log = tokio::time::timeout(Duration::from_secs(60), log)
        .await
        .expect("the server stops")
        .expect("the log");
    let lines: Vec<Value> = log
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["fields"]["message"] == "graphql")
        .collect();
    assert_eq!(lines.len(), traces.len(), "{log}");
    for line in &lines {
        assert_eq!(line["span"]["name"], "request", "{line}");
    }
}

#[tokio::test]
async fn a_write_traces_its_statements_and_its_webhook_delivery_joins_its_trace() {
    let test_db = TestDb::new().await;
    let (collector, received) = receiver().await;
    let url = format!("http://127.0.0.1:{collector}/hook");
    let (admin, _) = admin_and_endpoint(&test_db, &url).await;
    let port = free_port();
    let _server = serve(
        &test_db.url,
        port,
        &format!("http://127.0.0.1:{collector}"),
        &["--example-data=false"],
    )
    .await;
    let trace_id = "0af7651916cd43dd8448eb211c80319c";
    let request = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/graphql"))
        .bearer_auth(&admin)
        .header("traceparent", format!("00-{trace_id}-b7ad6b7169203331-01"))
        .header("tracestate", "vendor=opaque");
    create_city(request, "traced").await;

    let spans = spans_until(&received, |spans| {
        spans.iter().any(|s| s.name == "webhook.delivery")
            && spans.iter().any(|s| s.name == "graphql.operation")
    })
    .await;
    let ours: Vec<&Span> = spans
        .iter()
        .filter(|s| hex(&s.trace_id) == trace_id)
        .collect();
    let operation = ours
        .iter()
        .find(|s| s.name == "graphql.operation")
        .expect("the mutation's operation span");
    // The write's statements, sea-orm's ActiveModel inserts and the
    // transaction's ends included, are spans of the mutation.
    let statements: Vec<String> = ours
        .iter()
        .filter(|s| s.name == "db.statement")
        .map(|s| text(s, "db.statement").expect("the statement's text"))
        .collect();
    for wanted in ["BEGIN", "COMMIT"] {
        assert!(
            statements.iter().any(|s| s == wanted),
            "{wanted}: {statements:?}"
        );
    }
    assert!(
        statements
            .iter()
            .any(|s| s.starts_with(r#"INSERT INTO "webhook_delivery""#)),
        "the outbox row, by its entity: {statements:?}"
    );
    assert!(
        statements.iter().all(|s| !s.contains("traced")),
        "parameters are left out: {statements:?}"
    );

    // The delivery is a span of the mutation's trace, under its operation,
    // and its POST carries that trace on.
    let delivery = ours
        .iter()
        .find(|s| s.name == "webhook.delivery")
        .expect("the delivery is in the mutation's trace");
    assert_eq!(delivery.parent_span_id, operation.span_id);
    let hooks = received.hooks.lock().expect("hooks").clone();
    let sent = hooks.first().expect("the delivery arrived");
    assert_eq!(
        sent,
        &format!("00-{trace_id}-{}-01", hex(&delivery.span_id)),
        "the delivery's traceparent names its span in the mutation's trace"
    );
    assert_eq!(int(delivery, "http.response.status_code"), Some(200));
}

#[tokio::test]
async fn a_statement_run_on_a_replica_is_named_so() {
    let Some(cluster) = Cluster::start("traces_replica", 1) else {
        return;
    };
    let (collector, received) = receiver().await;
    let port = free_port();
    let replica = cluster.replica_url(0);
    let _server = serve(
        &cluster.primary_url(),
        port,
        &format!("http://127.0.0.1:{collector}"),
        // Far behind before it leaves the rotation: a loaded machine
        // replays slowly.
        &[
            "--database-replica-url",
            &replica,
            "--replica-max-lag-ms",
            "60000",
        ],
    )
    .await;
    let client = reqwest::Client::new();
    // Until the replica is in rotation and has replayed the example data.
    let mut replayed = false;
    for _ in 0..600 {
        let ready: Value = client
            .get(format!("http://127.0.0.1:{port}/ready"))
            .send()
            .await
            .expect("ready")
            .json()
            .await
            .expect("JSON");
        if ready["databases"][1]["in_rotation"] == json!(true)
            && nested(&client, port, None).await["data"]["city"]["name"] == "Murmansk"
        {
            replayed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(replayed, "the replica came into rotation with the data");
    let trace_id = "5c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f";
    let traceparent = format!("00-{trace_id}-00f067aa0ba902b7-01");
    let body = nested(&client, port, Some(&traceparent)).await;
    assert_eq!(body["data"]["city"]["name"], "Murmansk", "{body}");
    let spans = request_trace(&received, trace_id).await;
    let statements: Vec<&Span> = spans.iter().filter(|s| s.name == "db.statement").collect();
    assert!(!statements.is_empty(), "statements: {spans:?}");
    for statement in statements {
        assert_eq!(
            text(statement, "db.role").as_deref(),
            Some("replica"),
            "{statement:?}"
        );
    }
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
    // A collector that never answers holds each export a second.
    let mut server = serve_with_timeout(
        &test_db.url,
        port,
        endpoint,
        &["--otlp-max-queue", "16"],
        "1000",
    )
    .await;
    let client = reqwest::Client::new();
    for _ in 0..200 {
        let body = nested(&client, port, None).await;
        assert!(body.get("errors").is_none(), "{body}");
        assert_eq!(body["data"]["city"]["name"], "Murmansk", "{body}");
    }
    // Stopping tries once more to send what is queued, and exits cleanly.
    terminate(server.id().expect("running"));
    let status = tokio::time::timeout(Duration::from_secs(120), server.wait())
        .await
        .expect("the server stops despite the dead collector")
        .expect("exit status");
    assert!(status.success(), "{status:?}");
}

//! Persisted documents: automatic persisted queries (Apollo's protocol, over
//! POST and GET) and trusted documents (a directory loaded at start; keys,
//! anonymous clients or everyone held to it).

use crate::helpers::{TestApp, spawn_app, spawn_app_configured};
use serde_json::{Value, json};
use twinning::graphql::{TrustPolicy, document_hash};

const QUERY: &str = r#"{ city(key: "murmansk") { name } }"#;

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

async fn send(app: &TestApp, key: Option<&str>, body: Value) -> Value {
    let mut request = app.client.post(app.url("/graphql")).json(&body);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    request
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("JSON")
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test]
async fn a_query_is_registered_once_then_runs_by_its_hash_over_post_and_get() {
    let app = spawn_app().await;
    let hash = document_hash(QUERY);
    let unknown = send(&app, None, json!({ "extensions": persisted(&hash) })).await;
    assert_eq!(code(&unknown), "PERSISTED_QUERY_NOT_FOUND", "{unknown}");
    assert_eq!(unknown["errors"][0]["message"], "PersistedQueryNotFound");

    let registered = send(
        &app,
        None,
        json!({ "query": QUERY, "extensions": persisted(&hash) }),
    )
    .await;
    assert_eq!(
        registered["data"]["city"]["name"], "Murmansk",
        "{registered}"
    );

    let by_hash = send(&app, None, json!({ "extensions": persisted(&hash) })).await;
    assert_eq!(by_hash["data"]["city"]["name"], "Murmansk", "{by_hash}");

    // GET with the hash alone: a URL a CDN can cache.
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[("extensions", persisted(&hash).to_string())])
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["data"]["city"]["name"], "Murmansk", "{body}");

    let wrong = send(
        &app,
        None,
        json!({ "query": "{ __typename }", "extensions": persisted(&hash) }),
    )
    .await;
    assert_eq!(code(&wrong), "PERSISTED_QUERY_HASH_MISMATCH", "{wrong}");
}

#[tokio::test]
async fn clients_held_to_trusted_documents_run_those_and_nothing_else() {
    let dir = tempfile::tempdir().expect("a directory");
    std::fs::write(dir.path().join("city.graphql"), QUERY).expect("write");
    std::fs::write(dir.path().join("notes.txt"), "not a document").expect("write");
    let path = dir.path().to_owned();
    let app = spawn_app_configured(move |config| {
        config.trusted_documents = Some(path);
        config.trust_policy = TrustPolicy::Anonymous;
    })
    .await;
    let hash = document_hash(QUERY);

    // Anonymous clients: the trusted document by hash, or its exact text.
    let by_hash = send(&app, None, json!({ "extensions": persisted(&hash) })).await;
    assert_eq!(by_hash["data"]["city"]["name"], "Murmansk", "{by_hash}");
    let by_text = send(&app, None, json!({ "query": QUERY })).await;
    assert_eq!(by_text["data"]["city"]["name"], "Murmansk", "{by_text}");
    let other = send(&app, None, json!({ "query": "{ cities { totalCount } }" })).await;
    assert_eq!(code(&other), "UNTRUSTED_DOCUMENT", "{other}");
    assert!(other.get("data").is_none(), "{other}");
    // Registering a document through APQ does not make it trusted.
    let text = "{ cities { totalCount } }";
    let register = json!({ "query": text, "extensions": persisted(&document_hash(text)) });
    assert_eq!(
        code(&send(&app, None, register).await),
        "UNTRUSTED_DOCUMENT"
    );

    // A key created so is held to them; an ordinary reader key is not.
    let admin = app.key("root", twinning::domain::access::Role::Admin).await;
    let created = send(
        &app,
        Some(&admin),
        json!({ "query": r#"mutation { createApiKey(input: { name: "app", role: READER, trustedDocumentsOnly: true }) { key apiKey { trustedDocumentsOnly } } }"# }),
    )
    .await;
    assert_eq!(
        created["data"]["createApiKey"]["apiKey"]["trustedDocumentsOnly"], true,
        "{created}"
    );
    let app_key = created["data"]["createApiKey"]["key"]
        .as_str()
        .expect("a key")
        .to_owned();
    let refused = send(
        &app,
        Some(&app_key),
        json!({ "query": "{ cities { totalCount } }" }),
    )
    .await;
    assert_eq!(code(&refused), "UNTRUSTED_DOCUMENT", "{refused}");
    let allowed = send(
        &app,
        Some(&app_key),
        json!({ "extensions": persisted(&hash) }),
    )
    .await;
    assert_eq!(allowed["data"]["city"]["name"], "Murmansk", "{allowed}");
    let reader = app
        .key("reader", twinning::domain::access::Role::Reader)
        .await;
    let free = send(
        &app,
        Some(&reader),
        json!({ "query": "{ cities { totalCount } }" }),
    )
    .await;
    assert!(free["data"]["cities"]["totalCount"].is_number(), "{free}");
}

#[tokio::test]
async fn a_directory_with_a_broken_document_stops_the_server_from_starting() {
    let dir = tempfile::tempdir().expect("a directory");
    std::fs::write(dir.path().join("broken.graphql"), "{ city(key: ").expect("write");
    let db = crate::helpers::TestDb::new().await;
    use clap::Parser;
    let args = twinning::cli::Cli::try_parse_from([
        "twinning",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--database-url",
        &db.url,
        "--trusted-documents",
        &dir.path().display().to_string(),
    ])
    .expect("arguments parse");
    let twinning::cli::Command::Serve(args) = args.command else {
        unreachable!("serve")
    };
    let error = twinning::app::Application::build(&args.config())
        .await
        .err()
        .expect("the server refuses to start");
    let message = error.to_string();
    assert!(message.contains("broken.graphql"), "{message}");
}

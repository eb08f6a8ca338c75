//! The explorer over HTTP: its pages (deep links included) answer the page
//! with a policy that keeps every request on this origin, its assets are
//! served, the API's own paths are not shadowed, and its documents run for
//! anonymous clients held to trusted documents. The page itself is tested
//! in a browser (tests/browser/explorer.test.mjs).

use crate::helpers::{spawn_app, spawn_app_configured};
use serde_json::{Value, json};
use twinning::graphql::{TrustPolicy, document_hash};

#[tokio::test]
async fn every_page_of_the_explorer_answers_the_page_and_the_api_keeps_its_paths() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/search?q=%D0%9C%D1%83%D1%80%D0%BC%D0%B0%D0%BD%D1%81%D0%BA",
        "/city/murmansk?ended=hide&asOf=2015",
        "/partnership/murmansk-harbin",
        "/topics",
        "/topic/health-care",
        "/stats",
    ] {
        let res = app
            .client
            .get(app.url(path))
            .send()
            .await
            .expect("an answer");
        assert_eq!(res.status(), 200, "{path}");
        let headers = res.headers().clone();
        assert_eq!(
            headers["content-type"], "text/html; charset=utf-8",
            "{path}"
        );
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("default-src 'self'"), "{path}: {policy}");
        assert!(policy.contains("connect-src 'self'"), "{path}: {policy}");
        let body = res.text().await.unwrap();
        assert!(
            body.contains(r#"src="/explorer/explorer.js""#),
            "{path}: {body}"
        );
    }
    for (path, content_type) in [
        ("/explorer/explorer.js", "text/javascript; charset=utf-8"),
        ("/explorer/explorer.css", "text/css; charset=utf-8"),
    ] {
        let res = app
            .client
            .get(app.url(path))
            .send()
            .await
            .expect("an answer");
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.headers()["content-type"], content_type, "{path}");
        assert!(!res.bytes().await.unwrap().is_empty(), "{path}");
    }
    // Not the explorer's: the API's paths, and anything else.
    let health: Value = app
        .client
        .get(app.url("/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health, json!({ "status": "ok" }));
    let graphiql = app
        .client
        .get(app.url("/graphql"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        graphiql.contains("graphiql"),
        "GET /graphql in a browser is still GraphiQL"
    );
    for path in [
        "/city",
        "/city/murmansk/more",
        "/nowhere",
        "/explorer/other.js",
    ] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn the_explorers_documents_run_by_hash_for_anonymous_clients_held_to_trusted_documents() {
    let app = spawn_app_configured(|config| config.trust_policy = TrustPolicy::Anonymous).await;
    let manifest: Value =
        serde_json::from_str(include_str!("../../assets/explorer/trusted-documents.json")).unwrap();
    let documents = manifest.as_object().unwrap();
    assert!(
        documents.len() >= 7,
        "the explorer's documents: {documents:?}"
    );
    let (hash, text) = documents
        .iter()
        .find(|(_, text)| text.as_str().unwrap().starts_with("query City("))
        .expect("the city page's document");
    assert_eq!(
        hash,
        &document_hash(text.as_str().unwrap()),
        "named by its SHA-256"
    );
    let body: Value = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({
            "variables": { "key": "murmansk", "includeEnded": true, "asOf": null },
            "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } },
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["errors"], Value::Null, "{body}");
    let sisters = body["data"]["city"]["sisterCities"].as_array().unwrap();
    assert_eq!(sisters[10]["city"]["key"], "harbin");
    assert_eq!(sisters[10]["ordinal"], 11);
    // Anything else stays refused.
    let refused: Value = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": r#"{ city(key: "murmansk") { name } }"# }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        refused["errors"][0]["extensions"]["code"],
        "UNTRUSTED_DOCUMENT"
    );
    app.stop().await;
}

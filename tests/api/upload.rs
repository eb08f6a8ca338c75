//! `importDocument` with the document as an uploaded file, in a real
//! multipart request (the GraphQL multipart request specification:
//! `operations`, `map`, then the file), beside the same document inline.

use crate::helpers::{TestApp, spawn_app};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use twinning::domain::access::Role;

const DOCUMENT: &str =
    r#"{"cities": [{"key": "teriberka", "name": "Teriberka", "countryCode": "RU"}]}"#;

const IMPORT_FILE: &str = "mutation ($file: Upload) { importDocument(file: $file) { counts { entity created updated unchanged } userErrors { field code message } } }";

/// POSTs a multipart request as `key`: `operations`, a `map` sending the
/// file to `variables.file`, and the file itself; the status and body.
async fn upload(app: &TestApp, key: &str, operations: Value, file: Vec<u8>) -> (u16, Value) {
    let form = Form::new()
        .text("operations", operations.to_string())
        .text("map", json!({ "0": ["variables.file"] }).to_string())
        .part(
            "0",
            Part::bytes(file)
                .file_name("cities.json")
                .mime_str("application/json")
                .expect("a media type"),
        );
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(key)
        .multipart(form)
        .send()
        .await
        .expect("an answer");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

/// What the import reported for cities.
fn cities(body: &Value) -> Value {
    let counts = body["data"]["importDocument"]["counts"].as_array();
    let cities = counts.and_then(|counts| counts.iter().find(|c| c["entity"] == "cities"));
    cities
        .cloned()
        .unwrap_or_else(|| panic!("no counts of cities: {body}"))
}

#[tokio::test]
async fn a_document_uploaded_as_a_file_is_imported_and_inline_ones_still_are() {
    let app = spawn_app().await;
    let editor = app.key("importer", Role::Editor).await;

    let operations = json!({ "query": IMPORT_FILE, "variables": { "file": null } });
    let (status, body) = upload(&app, &editor, operations, DOCUMENT.into()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        cities(&body),
        json!({ "entity": "cities", "created": 1, "updated": 0, "unchanged": 0 })
    );
    let city = app
        .data(r#"{ city(key: "teriberka") { name } }"#, json!({}))
        .await;
    assert_eq!(city["city"]["name"], "Teriberka");

    // The same document inline changes nothing more.
    let inline = "mutation ($document: JSON) { importDocument(document: $document) { counts { entity created updated unchanged } } }";
    let document: Value = serde_json::from_str(DOCUMENT).expect("JSON");
    let body = app
        .gql_as(&editor, inline, json!({ "document": document }))
        .await;
    assert_eq!(
        cities(&body),
        json!({ "entity": "cities", "created": 0, "updated": 0, "unchanged": 1 })
    );
}

#[tokio::test]
async fn the_document_is_given_once_inline_or_as_a_file_never_both_or_neither() {
    let app = spawn_app().await;
    let editor = app.key("importer", Role::Editor).await;

    let neither = app
        .gql_as(
            &editor,
            "mutation { importDocument { counts { entity } } }",
            json!({}),
        )
        .await;
    let error = &neither["errors"][0];
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{neither}");
    assert_eq!(
        error["message"],
        "give the document to import: `document` (inline JSON) or `file` (an upload)"
    );

    let both = json!({
        "query": "mutation ($file: Upload) { importDocument(document: { cities: [] }, file: $file) { counts { entity } } }",
        "variables": { "file": null },
    });
    let (status, body) = upload(&app, &editor, both, DOCUMENT.into()).await;
    assert_eq!(status, 200, "{body}");
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{body}");
    assert_eq!(
        error["message"],
        "give the document once: `document` (inline JSON) or `file` (an upload), not both"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM city WHERE key = 'teriberka'")
            .await,
        0
    );
}

#[tokio::test]
async fn a_file_over_the_upload_limit_is_refused_and_nothing_is_written() {
    let app = spawn_app().await;
    let editor = app.key("importer", Role::Editor).await;
    let cities = app.scalar("SELECT COUNT(*) FROM city").await;

    // A valid document, padded with whitespace past the limit.
    let mut file = DOCUMENT.as_bytes().to_vec();
    file.resize(twinning::http::MAX_UPLOAD_BYTES + 1, b' ');
    let operations = json!({ "query": IMPORT_FILE, "variables": { "file": null } });
    let (status, body) = upload(&app, &editor, operations, file).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UPLOAD_LIMIT");
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&twinning::http::MAX_UPLOAD_BYTES.to_string()),
        "{message}"
    );
    assert!(body.get("data").is_none(), "{body}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM city").await, cities);
}

#[tokio::test]
async fn a_multipart_body_without_its_map_names_the_missing_part() {
    let app = spawn_app().await;
    let editor = app.key("importer", Role::Editor).await;
    let form = Form::new().text(
        "operations",
        json!({ "query": IMPORT_FILE, "variables": { "file": null } }).to_string(),
    );
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&editor)
        .multipart(form)
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
    assert_eq!(
        body["errors"][0]["message"],
        "the multipart body has no `map` part"
    );
}

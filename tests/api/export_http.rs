//! `GET /export`: the interchange document over HTTP, its change set as
//! ETag, 304 while nothing changed, gzip, and a reader key when public
//! reads are off.

use crate::helpers::{spawn_app, spawn_app_configured};
use serde_json::{Value, json};
use twinning::domain::access::Role;

#[tokio::test]
async fn export_answers_304_while_nothing_changed_and_matches_the_database() {
    let app = spawn_app().await;
    let first = app
        .client
        .get(app.url("/export"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().expect("text").to_owned();
    let change_set = first.headers()["twinning-change-set"]
        .to_str()
        .expect("text")
        .to_owned();
    assert!(
        etag.starts_with(&format!("\"cs-{change_set}-")),
        "{etag} names change set {change_set}"
    );
    let body = first.text().await.expect("a body");
    let db = app.test_db.connect().await;
    let expected =
        twinning::interchange::to_json(&twinning::interchange::export(&db).await.expect("export"));
    assert_eq!(body, expected, "the same document as `twinning export`");

    let again = app
        .client
        .get(app.url("/export"))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("an answer");
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"], etag.as_str());

    let editor = app.key("editor", Role::Editor).await;
    let create =
        "mutation ($input: CityInput!) { createCity(input: $input) { userErrors { message } } }";
    let city = json!({ "key": "kirkenes", "name": "Kirkenes", "countryCode": "NO" });
    app.gql_as(&editor, create, json!({ "input": city })).await;
    let changed = app
        .client
        .get(app.url("/export"))
        .header("if-none-match", &etag)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("an answer");
    assert_eq!(changed.status(), 200);
    assert_ne!(changed.headers()["etag"], etag.as_str());
    assert_eq!(changed.headers()["content-encoding"], "gzip");
}

#[tokio::test]
async fn export_needs_a_key_when_public_reads_are_off() {
    let app = spawn_app_configured(|config| config.public_reads = false).await;
    let anonymous = app
        .client
        .get(app.url("/export"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(anonymous.status(), 401);
    let body: Value = anonymous.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "UNAUTHENTICATED");
    let reader = app.key("reader", Role::Reader).await;
    let read = app
        .client
        .get(app.url("/export"))
        .bearer_auth(&reader)
        .send()
        .await
        .expect("an answer");
    assert_eq!(read.status(), 200);
    let document: Value = read.json().await.expect("JSON");
    assert!(document["cities"].as_array().is_some_and(|c| !c.is_empty()));
}

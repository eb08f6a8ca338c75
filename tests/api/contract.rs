//! The interchange contract ships with the product: the repository's
//! `interchange.schema.json` is the shared one, and every export validates
//! against it.

use crate::helpers::{TestDb, spawn_app};
use crate::interchange::{export_text, import_text};
use serde_json::{Value, json};
use std::path::Path;
use twinning::domain::access::Role;

const CONTRACT: &str = include_str!("../../interchange.schema.json");

/// The shared copy beside the repository (`../shared/`), where the partner
/// systems' contract is kept; `SHARED_INTERCHANGE_SCHEMA` names another.
fn shared_contract() -> Option<String> {
    let path = std::env::var("SHARED_INTERCHANGE_SCHEMA").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/interchange.schema.json"
        )
        .to_owned()
    });
    std::fs::read_to_string(Path::new(&path)).ok()
}

/// Every way `document` breaks the contract, by place.
fn violations(document: &str) -> Vec<String> {
    let schema: Value = serde_json::from_str(CONTRACT).expect("the contract is JSON");
    let validator = jsonschema::validator_for(&schema).expect("the contract is a JSON Schema");
    let instance: Value = serde_json::from_str(document).expect("an export is JSON");
    validator
        .iter_errors(&instance)
        .map(|error| format!("{}: {error}", error.instance_path()))
        .collect()
}

#[test]
fn the_repository_carries_the_shared_contract() {
    let Some(shared) = shared_contract() else {
        eprintln!("no shared interchange.schema.json beside the repository: nothing to compare");
        return;
    };
    assert!(
        shared == CONTRACT,
        "interchange.schema.json differs from the shared contract: copy ../shared/interchange.schema.json"
    );
}

#[test]
fn the_contract_catches_what_it_forbids() {
    // So that a passing export check means something.
    let bad = r#"{"version": 1, "partnerships": [{"key": "a-b", "cities": ["a", "b"], "kind": "SISTER_CITY", "status": "ACTIVE", "statusHistory": [{"status": "ACTIVE", "when": "2020"}]}]}"#;
    assert!(!violations(bad).is_empty());
}

#[tokio::test]
async fn every_export_validates_against_the_contract() {
    // The example, after steps recorded through the API and an import over
    // HTTP that derives a history.
    let app = spawn_app().await;
    let editor = app.key("editor", Role::Editor).await;
    let body = app
        .gql_as(
            &editor,
            "mutation ($doc: JSON!) { a: advancePartnership(input: { partnership: \"murmansk-vadso\", status: SUSPENDED, on: \"2026-02\", city: \"vadso\", source: \"nordnews-2022-12-15\" }) { userErrors { message } }
              b: importDocument(document: $doc) { userErrors { message } } }",
            json!({ "doc": { "partnerships": [{ "key": "murmansk-teriberka", "cities": ["murmansk", "teriberka"], "kind": "FRIENDSHIP", "status": "ACTIVE", "establishedOn": "2025" }],
                             "cities": [{ "key": "teriberka", "name": "Teriberka", "countryCode": "RU" }] } }),
        )
        .await;
    assert_eq!(body["data"]["a"]["userErrors"], json!([]), "{body}");
    assert_eq!(body["data"]["b"]["userErrors"], json!([]), "{body}");
    let exported = export_text(&app.test_db.connect().await).await;
    assert!(exported.contains(r#""statusHistory""#));
    assert_eq!(violations(&exported), Vec::<String>::new());

    // The world slice, imported and exported.
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    import_text(&db, include_str!("../../data/world-slice.json")).await;
    assert_eq!(violations(&export_text(&db).await), Vec::<String>::new());
}

//! A partnership's status history over HTTP: derived when a document gives
//! none (never a step the lifecycle forbids, never from an unsigned
//! protocol), taken as the record of fact when given (and checked), written
//! by export so that a round trip keeps it, beside the steps recorded
//! through the API.

use crate::helpers::{TestApp, spawn_app, spawn_app_with};
use crate::interchange::export_text;
use serde_json::{Value, json};
use twinning::domain::access::Role;
use twinning::domain::lifecycle::allowed;
use twinning::domain::vocabulary::PartnershipStatus;
use twinning::interchange::example::FOUNDING_DOCUMENT;

const IMPORT: &str = "mutation ($doc: JSON!) { importDocument(document: $doc) {
    counts { entity created updated unchanged } userErrors { field code message } } }";

const HISTORY: &str = "query ($key: String!) { partnership(key: $key) { status
    statusHistory(first: 50) { nodes { status on derived protocol { key } city { key } note
        sources(first: 10) { nodes { key } } } } } }";

/// Imports a document over HTTP as an editor (a new key each time); the
/// payload.
async fn import(app: &TestApp, document: Value) -> Value {
    static KEYS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = KEYS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let editor = app.key(&format!("importer-{n}"), Role::Editor).await;
    let body = app
        .gql_as(&editor, IMPORT, json!({ "doc": document }))
        .await;
    assert!(body.get("errors").is_none(), "{body:#}");
    body["data"]["importDocument"].clone()
}

/// Imports a document that must go in.
async fn import_ok(app: &TestApp, document: Value) {
    let payload = import(app, document).await;
    assert_eq!(payload["userErrors"], json!([]), "{payload:#}");
}

/// A partnership's steps as read over GraphQL.
async fn steps(app: &TestApp, key: &str) -> Vec<Value> {
    let data = app.data(HISTORY, json!({ "key": key })).await;
    data["partnership"]["statusHistory"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("no history: {data}"))
        .clone()
}

/// `STATUS on` of each step.
fn brief(steps: &[Value]) -> Vec<String> {
    steps
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                s["status"].as_str().unwrap_or("?"),
                s["on"].as_str().unwrap_or("-")
            )
        })
        .collect()
}

fn status(step: &Value) -> PartnershipStatus {
    serde_json::from_value(step["status"].clone()).expect("a status")
}

fn assert_legal(steps: &[Value]) {
    for pair in steps.windows(2) {
        assert!(
            allowed(status(&pair[0]), status(&pair[1])),
            "{} cannot follow {}",
            pair[1],
            pair[0]
        );
    }
}

/// Two cities, and a partnership between them with protocols.
fn pair_document(partnership: Value, protocols: Value) -> Value {
    json!({
        "cities": [
            { "key": "aa", "name": "Aa", "countryCode": "FI" },
            { "key": "bb", "name": "Bb", "countryCode": "NO" }
        ],
        "partnerships": [partnership],
        "protocols": protocols
    })
}

fn protocol(key: &str, kind: &str, signed_on: Option<&str>) -> Value {
    let mut p = json!({ "key": key, "kind": kind, "title": key, "parties": ["aa", "bb"], "partnership": "aa-bb" });
    if let Some(on) = signed_on {
        p["signedOn"] = json!(on);
    }
    p
}

#[tokio::test]
async fn an_unsigned_agreement_is_no_step_and_a_derived_history_never_steps_back() {
    let app = spawn_app_with(false).await;
    // The issue's case: intent signed twice, the agreement planned for a
    // coming festival (no signedOn).
    import_ok(
        &app,
        pair_document(
            json!({ "key": "aa-bb", "cities": ["aa", "bb"], "kind": "SISTER_CITY", "status": "INTENT_SIGNED", "proposedOn": "2013" }),
            json!([
                protocol("aa-bb-intent-2014", "PROTOCOL_OF_INTENTIONS", Some("2014-03")),
                protocol("aa-bb-intent-2015", "PROTOCOL_OF_INTENTIONS", Some("2015-10-13")),
                protocol("aa-bb-agreement", "TWINNING_AGREEMENT", None)
            ]),
        ),
    )
    .await;
    let history = steps(&app, "aa-bb").await;
    assert_eq!(
        brief(&history),
        [
            "PROPOSED 2013",
            "INTENT_SIGNED 2014-03",
            "INTENT_SIGNED 2015-10-13"
        ]
    );
    assert!(history.iter().all(|s| s["derived"] == true), "{history:?}");
    assert_eq!(history[2]["protocol"]["key"], "aa-bb-intent-2015");

    // A signed agreement beyond the current status cannot lead back to it:
    // left out, not stepped back from.
    import_ok(
        &app,
        json!({ "protocols": [protocol("aa-bb-agreement", "TWINNING_AGREEMENT", Some("2016-05"))] }),
    )
    .await;
    let history = steps(&app, "aa-bb").await;
    assert_legal(&history);
    assert_eq!(
        history.last().map(status),
        Some(PartnershipStatus::IntentSigned)
    );
    assert!(
        !history.iter().any(|s| s["status"] == "AGREEMENT_SIGNED"),
        "{history:?}"
    );

    // Ended without ever being established: the ending closes the history,
    // dated, rather than follow PROPOSED illegally.
    import_ok(
        &app,
        json!({ "partnerships": [{ "key": "aa-bb", "cities": ["aa", "bb"], "kind": "SISTER_CITY", "status": "ENDED", "proposedOn": "2013", "endedOn": "2020" }],
                "protocols": [protocol("aa-bb-agreement", "TWINNING_AGREEMENT", None)] }),
    )
    .await;
    let history = steps(&app, "aa-bb").await;
    assert_legal(&history);
    assert_eq!(brief(&history), ["ENDED 2020"]);
}

#[tokio::test]
async fn a_given_history_is_the_record_of_fact_with_each_side_of_an_ending() {
    let app = spawn_app().await;
    let history = steps(&app, "murmansk-akureyri").await;
    assert_eq!(
        brief(&history),
        [
            "ACTIVE 1994-10-14",
            "SUSPENDED 2022-11-15",
            "ENDED 2022-12-15"
        ]
    );
    assert_eq!(history[1]["city"]["key"], "akureyri");
    assert_eq!(history[2]["city"]["key"], "murmansk");
    assert_eq!(
        history[2]["sources"]["nodes"],
        json!([{ "key": "cmio-2022-12-15" }, { "key": "nordnews-2022-12-15" }, { "key": "rbc-2022-12-15" }])
    );
    assert!(history.iter().all(|s| s["derived"] == false), "{history:?}");

    // Given anew, it replaces the stored one whole.
    let mut document: Value = serde_json::from_str(FOUNDING_DOCUMENT).expect("the example");
    let akureyri = document["partnerships"]
        .as_array_mut()
        .and_then(|all| all.iter_mut().find(|p| p["key"] == "murmansk-akureyri"))
        .expect("murmansk-akureyri")
        .clone();
    let mut changed = akureyri.clone();
    changed["statusHistory"] = json!([
        { "status": "ACTIVE", "on": "1994-10-14" },
        { "status": "ENDED", "on": "2022-12-15", "note": "Both councils." }
    ]);
    let payload = import(&app, json!({ "partnerships": [changed] })).await;
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    let history = steps(&app, "murmansk-akureyri").await;
    assert_eq!(brief(&history), ["ACTIVE 1994-10-14", "ENDED 2022-12-15"]);
    assert_eq!(history[1]["note"], "Both councils.");

    // The same history again changes nothing.
    let again = import(
        &app,
        json!({ "partnerships": [history_record(&akureyri, &history)] }),
    )
    .await;
    let counts = again["counts"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["entity"] == "partnerships"))
        .unwrap_or_else(|| panic!("no counts: {again}"));
    assert_eq!(counts["unchanged"], 1, "{again}");
}

/// The record with its history as read back, for a repeated import.
fn history_record(record: &Value, steps: &[Value]) -> Value {
    let mut record = record.clone();
    record["statusHistory"] = steps
        .iter()
        .map(|s| {
            let mut step = json!({ "status": s["status"], "on": s["on"] });
            if !s["note"].is_null() {
                step["note"] = s["note"].clone();
            }
            step
        })
        .collect();
    record
}

#[tokio::test]
async fn a_given_history_is_checked_and_every_problem_named() {
    let app = spawn_app().await;
    let payload = import(
        &app,
        json!({ "partnerships": [{
            "key": "murmansk-harbin", "cities": ["murmansk", "harbin"], "kind": "SISTER_CITY", "status": "ACTIVE",
            "statusHistory": [
                { "status": "AGREEMENT_SIGNED", "on": "2016-09-09", "protocol": "no-such-protocol" },
                { "status": "INTENT_SIGNED", "on": "2015-10-13", "city": "vadso" },
                { "status": "SUSPENDED", "on": "2020", "sources": ["no-such-source"] }
            ]
        }] }),
    )
    .await;
    let errors = payload["userErrors"]
        .as_array()
        .expect("userErrors")
        .clone();
    let find = |code: &str, path: &str| {
        errors
            .iter()
            .find(|e| {
                e["code"] == code
                    && e["field"].as_array().is_some_and(|f| {
                        f.iter()
                            .map(|p| p.as_str().unwrap_or(""))
                            .collect::<Vec<_>>()
                            .join(".")
                            == path
                    })
            })
            .unwrap_or_else(|| panic!("no {code} at {path} in {errors:#?}"))
            .clone()
    };
    let backwards = find(
        "INVALID_TRANSITION",
        "document.partnerships.0.statusHistory.1.status",
    );
    assert!(
        backwards["message"]
            .as_str()
            .unwrap_or("")
            .contains("INTENT_SIGNED cannot follow AGREEMENT_SIGNED"),
        "{backwards}"
    );
    find(
        "INVALID_TRANSITION",
        "document.partnerships.0.statusHistory.2.status",
    );
    find("INVALID_DATE", "document.partnerships.0.statusHistory.1.on");
    find(
        "INVALID_VALUE",
        "document.partnerships.0.statusHistory.1.city",
    );
    find("INVALID_VALUE", "document.partnerships.0.status");
    find(
        "NOT_FOUND",
        "document.partnerships.0.statusHistory.0.protocol",
    );
    find(
        "NOT_FOUND",
        "document.partnerships.0.statusHistory.2.sources.0",
    );
    // Nothing changed.
    assert_eq!(steps(&app, "murmansk-harbin").await.len(), 4);
}

#[tokio::test]
async fn recorded_steps_stay_through_imports_without_a_history_and_travel_in_exports() {
    let app = spawn_app().await;
    let editor = app.key("editor", Role::Editor).await;
    let advanced = app
        .gql_as(
            &editor,
            "mutation { advancePartnership(input: { partnership: \"murmansk-vadso\", status: SUSPENDED, on: \"2026-02\", city: \"vadso\", source: \"nordnews-2022-12-15\", note: \"Council decision\" }) { userErrors { code message } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        advanced["data"]["advancePartnership"]["userErrors"],
        json!([]),
        "{advanced}"
    );

    // A document without a history leaves the recorded steps as they are.
    let document: Value = serde_json::from_str(FOUNDING_DOCUMENT).expect("the example");
    let mut vadso = document["partnerships"]
        .as_array()
        .and_then(|all| all.iter().find(|p| p["key"] == "murmansk-vadso"))
        .expect("murmansk-vadso")
        .clone();
    vadso
        .as_object_mut()
        .expect("a record")
        .remove("statusHistory");
    vadso["status"] = json!("SUSPENDED");
    vadso["endedOn"] = json!("2026-02");
    vadso["notes"] = json!("Suspended by Vadsø in February 2026.");
    import_ok(&app, json!({ "partnerships": [vadso] })).await;
    let history = steps(&app, "murmansk-vadso").await;
    assert_eq!(brief(&history), ["ACTIVE 1973", "SUSPENDED 2026-02"]);
    assert_eq!(history[1]["derived"], false);
    assert_eq!(history[1]["city"]["key"], "vadso");
    assert_eq!(
        history[1]["sources"]["nodes"],
        json!([{ "key": "nordnews-2022-12-15" }])
    );

    // Export carries them; imported elsewhere they come back the same, and
    // so does the export.
    let exported = export_text(&app.test_db.connect().await).await;
    let other = spawn_app_with(false).await;
    let payload = import(&other, serde_json::from_str(&exported).expect("JSON")).await;
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    assert_eq!(steps(&other, "murmansk-vadso").await, history);
    assert_eq!(export_text(&other.test_db.connect().await).await, exported);
}

#[tokio::test]
async fn a_source_cited_by_a_status_step_is_a_dependent_and_its_removal_is_recorded() {
    let app = spawn_app().await;
    let editor = app.key("editor", Role::Editor).await;
    const DELETE: &str = "mutation ($input: DeleteInput!) { deleteSource(input: $input) {
        deletedKey cascaded userErrors { code message } } }";

    // Akureyri's suspension cites it: a plain delete is refused and says so.
    let refused = app
        .gql_as(
            &editor,
            DELETE,
            json!({ "input": { "key": "dzen-2022-11" } }),
        )
        .await;
    let error = &refused["data"]["deleteSource"]["userErrors"][0];
    assert_eq!(error["code"], "HAS_DEPENDENTS", "{refused}");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("partnerships' status steps (murmansk-akureyri)"),
        "{message}"
    );
    assert_eq!(
        steps(&app, "murmansk-akureyri").await[1]["sources"]["nodes"],
        json!([{ "key": "dzen-2022-11" }])
    );

    // With the cascade the step loses it, and the partnership's change is
    // in the history once, as it was before and after.
    let deleted = app
        .gql_as(
            &editor,
            DELETE,
            json!({ "input": { "key": "dzen-2022-11", "cascade": true } }),
        )
        .await;
    assert_eq!(
        deleted["data"]["deleteSource"]["deletedKey"], "dzen-2022-11",
        "{deleted}"
    );
    let history = steps(&app, "murmansk-akureyri").await;
    assert_eq!(
        brief(&history),
        [
            "ACTIVE 1994-10-14",
            "SUSPENDED 2022-11-15",
            "ENDED 2022-12-15"
        ]
    );
    assert_eq!(history[1]["sources"]["nodes"], json!([]));

    let admin = app.key("admin", Role::Admin).await;
    let changes = app
        .gql_as(
            &admin,
            r#"{ changes(first: 100, filter: { operations: ["deleteSource"] }) { nodes { recordType recordKey action before after } } }"#,
            json!({}),
        )
        .await;
    let nodes = changes["data"]["changes"]["nodes"]
        .as_array()
        .expect("changes")
        .clone();
    let partnership: Vec<&Value> = nodes
        .iter()
        .filter(|c| c["recordType"] == "Partnership")
        .collect();
    assert_eq!(partnership.len(), 1, "{changes:#}");
    assert_eq!(partnership[0]["recordKey"], "murmansk-akureyri");
    assert_eq!(partnership[0]["action"], "UPDATED");
    assert_eq!(
        partnership[0]["before"]["statusHistory"][1]["sources"],
        json!(["dzen-2022-11"])
    );
    assert_eq!(
        partnership[0]["after"]["statusHistory"][1]["status"],
        "SUSPENDED"
    );
    assert_eq!(
        partnership[0]["after"]["statusHistory"][1].get("sources"),
        None,
        "{:#}",
        partnership[0]["after"]
    );
}

//! The domain actions of the write API over HTTP: recording visits, signing
//! protocols, linking and unlinking, cascading deletes, and the checks on
//! free text and country codes.

use crate::helpers::{TestApp, spawn_app};
use serde_json::{Value, json};
use twinning::domain::access::Role;

async fn editor(app: &TestApp) -> String {
    app.key("editor", Role::Editor).await
}

/// The `userErrors` of a mutation's payload.
fn user_errors(body: &Value, mutation: &str) -> Value {
    body["data"][mutation]["userErrors"].clone()
}

const RECORD_VISIT: &str =
    "mutation ($visit: VisitInput!) { recordVisit(input: { visit: $visit }) {
    visit { key partnership { key } } userErrors { field code message } } }";

#[tokio::test]
async fn a_recorded_visit_joins_the_partnership_between_its_cities() {
    let app = spawn_app().await;
    let key = editor(&app).await;
    let visit = json!({ "key": "murmansk-harbin-visit-2026-09", "fromCity": "murmansk", "toCity": "harbin", "startDate": "2026-09" });
    let recorded = app
        .gql_as(&key, RECORD_VISIT, json!({ "visit": visit }))
        .await;
    assert_eq!(
        recorded["data"]["recordVisit"],
        json!({ "visit": { "key": "murmansk-harbin-visit-2026-09", "partnership": { "key": "murmansk-harbin" } }, "userErrors": [] }),
        "{recorded}"
    );

    let again = app
        .gql_as(&key, RECORD_VISIT, json!({ "visit": visit }))
        .await;
    assert_eq!(
        user_errors(&again, "recordVisit")[0]["code"],
        "DUPLICATE_KEY"
    );

    let elsewhere = json!({ "key": "v-2", "fromCity": "murmansk", "toCity": "harbin", "startDate": "2026", "partnership": "murmansk-tromso" });
    let wrong = app
        .gql_as(&key, RECORD_VISIT, json!({ "visit": elsewhere }))
        .await;
    let error = &user_errors(&wrong, "recordVisit")[0];
    assert_eq!(error["field"], json!(["input", "visit", "partnership"]));
    assert_eq!(error["code"], "INVALID_VALUE");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("\"murmansk\" and \"tromso\"")),
        "{error}"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM visit WHERE key = 'v-2'")
            .await,
        0
    );
}

const SIGN: &str = "mutation ($input: SignProtocolInput!) { signProtocol(input: $input) {
    protocol { key partnership { key } }
    partnership { status }
    statusChange { status on derived protocol { key } }
    userErrors { field code message } } }";

#[tokio::test]
async fn signing_a_protocol_advances_its_partnership_in_the_same_transaction() {
    let app = spawn_app().await;
    let key = editor(&app).await;
    let protocol = json!({ "key": "murmansk-kaliningrad-protocol-2026-11", "kind": "PROTOCOL_OF_INTENTIONS",
        "title": "Protocol of intentions", "signedOn": "2026-11-20", "parties": ["murmansk", "kaliningrad"] });
    let signed = app
        .gql_as(
            &key,
            SIGN,
            json!({ "input": { "protocol": protocol, "advancePartnershipTo": "INTENT_SIGNED" } }),
        )
        .await;
    assert_eq!(
        signed["data"]["signProtocol"],
        json!({
            "protocol": { "key": "murmansk-kaliningrad-protocol-2026-11", "partnership": { "key": "murmansk-kaliningrad" } },
            "partnership": { "status": "INTENT_SIGNED" },
            "statusChange": { "status": "INTENT_SIGNED", "on": "2026-11-20", "derived": false,
                              "protocol": { "key": "murmansk-kaliningrad-protocol-2026-11" } },
            "userErrors": []
        }),
        "{signed}"
    );
    // One step for the protocol: the recorded one, not also a derived one.
    let history = app
        .data(
            r#"{ partnership(key: "murmansk-kaliningrad") { statusHistory(first: 10) { nodes { status derived } } } }"#,
            json!({}),
        )
        .await;
    let steps = history["partnership"]["statusHistory"]["nodes"]
        .as_array()
        .expect("steps")
        .clone();
    let intent: Vec<&Value> = steps
        .iter()
        .filter(|s| s["status"] == "INTENT_SIGNED")
        .collect();
    assert_eq!(
        intent,
        [&json!({ "status": "INTENT_SIGNED", "derived": false })],
        "{history}"
    );
    // Both writes are one change set.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM change c JOIN change_set s ON s.id = c.change_set_id WHERE s.operation = 'signProtocol'").await,
        2
    );

    // An illegal step refuses the protocol too.
    let late = json!({ "key": "murmansk-tromso-agreement-2026", "kind": "TWINNING_AGREEMENT",
        "title": "Agreement", "signedOn": "2026-11-21", "parties": ["murmansk", "tromso"] });
    let refused = app
        .gql_as(
            &key,
            SIGN,
            json!({ "input": { "protocol": late, "advancePartnershipTo": "AGREEMENT_SIGNED" } }),
        )
        .await;
    assert_eq!(
        user_errors(&refused, "signProtocol"),
        json!([{ "field": ["input", "advancePartnershipTo"], "code": "INVALID_TRANSITION",
                 "message": "a partnership cannot go from ENDED to AGREEMENT_SIGNED" }])
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM protocol WHERE key = 'murmansk-tromso-agreement-2026'")
            .await,
        0
    );

    // Advancing needs the signing date.
    let undated = json!({ "key": "p-undated", "kind": "PROTOCOL_OF_INTENTIONS", "title": "P", "parties": ["murmansk", "lianyungang"] });
    let refused = app
        .gql_as(
            &key,
            SIGN,
            json!({ "input": { "protocol": undated, "advancePartnershipTo": "AGREEMENT_SIGNED" } }),
        )
        .await;
    assert_eq!(
        user_errors(&refused, "signProtocol")[0]["field"],
        json!(["input", "protocol", "signedOn"])
    );
}

const LINK: &str = "mutation ($input: LinkInput!) { link(input: $input) {
    record { ... on Visit { key topics(first: 50) { nodes { key } } } } userErrors { field code message } } }";
const UNLINK: &str = "mutation ($input: LinkInput!) { unlink(input: $input) {
    record { ... on Visit { key topics(first: 50) { nodes { key } } } } userErrors { field code message } } }";
const VISIT: &str = "murmansk-harbin-visit-2024-05";

async fn visit_topics(app: &TestApp) -> Vec<String> {
    let data = app
        .data(
            &format!(
                r#"{{ visit(key: "{VISIT}") {{ topics(first: 50) {{ nodes {{ key }} }} }} }}"#
            ),
            json!({}),
        )
        .await;
    data["visit"]["topics"]["nodes"]
        .as_array()
        .expect("topics")
        .iter()
        .map(|t| t["key"].as_str().expect("key").to_owned())
        .collect()
}

#[tokio::test]
async fn link_and_unlink_change_a_record_s_lists_entirely_or_not_at_all() {
    let app = spawn_app().await;
    let key = editor(&app).await;
    let before = visit_topics(&app).await;
    let changes_before = app.scalar("SELECT COUNT(*) FROM change").await;

    // The third of four topics does not exist: nothing changes.
    let input = json!({ "record": { "visit": VISIT }, "topics": ["tourism", "sport", "atlantis", "culture"] });
    let refused = app.gql_as(&key, LINK, json!({ "input": input })).await;
    assert_eq!(
        refused["data"]["link"],
        json!({ "record": null, "userErrors": [{ "field": ["input", "topics", "2"], "code": "NOT_FOUND",
                                                 "message": "no topic with key \"atlantis\"" }] }),
        "{refused}"
    );
    assert_eq!(visit_topics(&app).await, before);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM change").await,
        changes_before
    );

    let input = json!({ "record": { "visit": VISIT }, "topics": ["tourism", "sport", "trade"] });
    let linked = app.gql_as(&key, LINK, json!({ "input": input })).await;
    assert_eq!(linked["data"]["link"]["userErrors"], json!([]), "{linked}");
    let after = visit_topics(&app).await;
    assert!(
        after.contains(&"tourism".to_owned()) && after.contains(&"sport".to_owned()),
        "{after:?}"
    );
    assert_eq!(after.len(), before.len() + 2, "trade was already there");

    // By global id; a topic not on the list is named.
    let id = app
        .data(
            &format!(r#"{{ visit(key: "{VISIT}") {{ id }} }}"#),
            json!({}),
        )
        .await["visit"]["id"]
        .clone();
    let input = json!({ "record": { "id": id }, "topics": ["sport", "mining"] });
    let refused = app.gql_as(&key, UNLINK, json!({ "input": input })).await;
    assert_eq!(
        user_errors(&refused, "unlink"),
        json!([{ "field": ["input", "topics", "1"], "code": "NOT_FOUND",
                 "message": "\"mining\" is not among the visit's topics" }])
    );
    let input = json!({ "record": { "id": id }, "topics": ["sport", "tourism"] });
    let unlinked = app.gql_as(&key, UNLINK, json!({ "input": input })).await;
    assert_eq!(
        unlinked["data"]["unlink"]["userErrors"],
        json!([]),
        "{unlinked}"
    );
    assert_eq!(visit_topics(&app).await, before);

    // The history has the list before and after.
    let admin = app.key("admin", Role::Admin).await;
    let history = app
        .gql_as(
            &admin,
            r#"{ changes(first: 10, filter: { operations: ["link"] }) { nodes { recordKey before after } } }"#,
            json!({}),
        )
        .await;
    let change = &history["data"]["changes"]["nodes"][0];
    assert_eq!(change["recordKey"], VISIT, "{history}");
    assert_eq!(change["before"]["topics"], json!(before));

    // A city has no topics.
    let input = json!({ "record": { "city": "murmansk" }, "topics": ["sport"] });
    let refused = app.gql_as(&key, LINK, json!({ "input": input })).await;
    assert_eq!(
        user_errors(&refused, "link")[0]["field"],
        json!(["input", "topics"])
    );
}

const DELETE_TOPIC: &str = "mutation ($input: DeleteInput!) { deleteTopic(input: $input) { deletedKey cascaded userErrors { code message } } }";
const DELETE_CITY: &str = "mutation ($input: DeleteInput!) { deleteCity(input: $input) { deletedKey cascaded userErrors { code message } } }";

#[tokio::test]
async fn a_cascade_removes_what_the_schema_documents_and_records_every_record() {
    let app = spawn_app().await;
    let key = editor(&app).await;

    let refused = app
        .gql_as(
            &key,
            DELETE_TOPIC,
            json!({ "input": { "key": "health-care" } }),
        )
        .await;
    assert_eq!(
        user_errors(&refused, "deleteTopic")[0]["code"],
        "HAS_DEPENDENTS"
    );
    let deleted = app
        .gql_as(
            &key,
            DELETE_TOPIC,
            json!({ "input": { "key": "health-care", "cascade": true } }),
        )
        .await;
    assert_eq!(
        deleted["data"]["deleteTopic"],
        json!({ "deletedKey": "health-care", "cascaded": [], "userErrors": [] }),
        "{deleted}"
    );
    // Its subtopics moved up to its parent (it had none); visits lost the tag.
    let topic = app
        .data(
            r#"{ topic(key: "rehabilitation") { parent { key } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(topic["topic"]["parent"], Value::Null);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM visit_topic t JOIN topic x ON x.id = t.topic_id WHERE x.key = 'health-care'").await,
        0
    );
    assert!(
        app.scalar("SELECT COUNT(*) FROM change c JOIN change_set s ON s.id = c.change_set_id WHERE s.operation = 'deleteTopic' AND c.action = 'UPDATED'").await >= 3,
        "each untagged record is in the history"
    );

    // Harbin goes with its partnerships, visits and protocols.
    let deleted = app
        .gql_as(
            &key,
            DELETE_CITY,
            json!({ "input": { "key": "harbin", "cascade": true } }),
        )
        .await;
    let cascaded = deleted["data"]["deleteCity"]["cascaded"]
        .as_array()
        .expect("cascaded")
        .clone();
    for expected in [
        "Partnership:murmansk-harbin",
        "Visit:murmansk-harbin-visit-2014-03",
        "Protocol:murmansk-harbin-agreement-2016-09-09",
    ] {
        assert!(cascaded.contains(&json!(expected)), "{deleted}");
    }
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM visit WHERE key LIKE '%harbin%'")
            .await,
        0
    );
    // The history keeps the whole city as it was.
    let admin = app.key("admin", Role::Admin).await;
    let history = app
        .gql_as(
            &admin,
            r#"{ changes(first: 100, filter: { operations: ["deleteCity"] }) { nodes { recordType recordKey action before } } }"#,
            json!({}),
        )
        .await;
    let nodes = history["data"]["changes"]["nodes"]
        .as_array()
        .expect("changes");
    let city = nodes
        .iter()
        .find(|c| c["recordType"] == "City")
        .expect("the city's change");
    assert_eq!(city["action"], "DELETED");
    assert_eq!(city["before"]["name"], "Harbin", "{city}");
    assert_eq!(city["before"]["countryCode"], "CN");
}

#[tokio::test]
async fn free_text_lengths_and_country_codes_are_checked() {
    let app = spawn_app().await;
    let key = editor(&app).await;
    let create = "mutation ($input: CityInput!) { createCity(input: $input) { city { key } userErrors { field code message } } }";
    let unknown = app
        .gql_as(
            &key,
            create,
            json!({ "input": { "key": "x", "name": "X", "countryCode": "ZZ" } }),
        )
        .await;
    assert_eq!(
        user_errors(&unknown, "createCity")[0]["field"],
        json!(["input", "countryCode"])
    );
    let long = app
        .gql_as(
            &key,
            create,
            json!({ "input": { "key": "x", "name": "N".repeat(501), "countryCode": "FI" } }),
        )
        .await;
    assert_eq!(
        user_errors(&long, "createCity"),
        json!([{ "field": ["input", "name"], "code": "TOO_LONG", "message": "is 501 characters long; at most 500 are allowed" }])
    );
    let fits = app
        .gql_as(
            &key,
            create,
            json!({ "input": { "key": "x", "name": "Ä".repeat(500), "countryCode": "XK" } }),
        )
        .await;
    assert_eq!(
        user_errors(&fits, "createCity"),
        json!([]),
        "500 characters (1000 bytes) fit, and Kosovo's code is accepted"
    );
    let visit = json!({ "key": "v", "fromCity": "murmansk", "toCity": "harbin", "startDate": "2026", "summary": "s".repeat(20_001) });
    let long = app
        .gql_as(&key, RECORD_VISIT, json!({ "visit": visit }))
        .await;
    assert_eq!(
        user_errors(&long, "recordVisit")[0]["field"],
        json!(["input", "visit", "summary"])
    );
    assert_eq!(user_errors(&long, "recordVisit")[0]["code"], "TOO_LONG");
}

#[tokio::test]
async fn a_topic_cycle_and_an_unknown_field_are_named() {
    let app = spawn_app().await;
    let key = editor(&app).await;
    // education → chinese-language → education would be a cycle.
    let update = "mutation ($input: UpdateTopicInput!) { updateTopic(input: $input) { topic { key } userErrors { field code message } } }";
    let cycle = app
        .gql_as(
            &key,
            update,
            json!({ "input": { "topic": { "key": "education", "name": "Education", "parent": "chinese-language" } } }),
        )
        .await;
    let error = &user_errors(&cycle, "updateTopic")[0];
    assert_eq!(error["code"], "CYCLE", "{cycle}");
    assert_eq!(error["field"], json!(["input", "topic", "parent"]));
    let parent = app
        .data(
            r#"{ topic(key: "education") { parent { key } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(parent["topic"]["parent"], Value::Null);

    let import = "mutation ($doc: JSON!) { importDocument(document: $doc) { userErrors { field code message } } }";
    let unknown = app
        .gql_as(
            &key,
            import,
            json!({ "doc": { "cities": [{ "key": "x", "name": "X", "countryCode": "FI", "mayor": "Y" }] } }),
        )
        .await;
    let error = &user_errors(&unknown, "importDocument")[0];
    assert_eq!(error["code"], "UNKNOWN_FIELD", "{unknown}");
    assert_eq!(error["field"], json!(["document", "cities", "0", "mayor"]));
}

//! The write API over HTTP: keys and roles, importDocument, the partnership
//! lifecycle, deletes, concurrency and the change history.

use crate::helpers::spawn_app;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use twinning::domain::access::Role;

const DRY_IMPORT: &str = r#"mutation { importDocument(dryRun: true, document: { cities: [{ key: "x", name: "X", countryCode: "FI" }] }) { counts { entity created } userErrors { code } } }"#;

fn code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}

#[tokio::test]
async fn roles_decide_who_reads_and_who_writes() {
    let app = spawn_app().await;
    let reader = app.key("reader", Role::Reader).await;
    let editor = app.key("editor", Role::Editor).await;
    let admin = app.key("admin", Role::Admin).await;
    let revoked = app.key("old", Role::Admin).await;
    let db = app.test_db.connect().await;
    assert!(
        twinning::store::api_keys::revoke_key(&db, "old")
            .await
            .expect("revoke")
    );
    let read = r#"{ city(key: "harbin") { key } }"#;

    // Anonymous: reads (public reads are on), cannot write.
    assert_eq!(
        app.gql(read, json!({})).await["data"]["city"]["key"],
        "harbin"
    );
    assert_eq!(
        code(&app.gql(DRY_IMPORT, json!({})).await),
        Some("UNAUTHENTICATED")
    );
    // Reader: reads, cannot write.
    assert_eq!(
        app.gql_as(&reader, read, json!({})).await["data"]["city"]["key"],
        "harbin"
    );
    assert_eq!(
        code(&app.gql_as(&reader, DRY_IMPORT, json!({})).await),
        Some("FORBIDDEN")
    );
    // Editor and admin: read and write.
    for key in [&editor, &admin] {
        assert_eq!(
            app.gql_as(key, read, json!({})).await["data"]["city"]["key"],
            "harbin"
        );
        let body = app.gql_as(key, DRY_IMPORT, json!({})).await;
        assert!(body.get("errors").is_none(), "{body}");
    }
    // A revoked or unknown key is refused outright, and says nothing more.
    for key in [revoked.as_str(), "tw_000000000000_forged", "not-a-key"] {
        let body = app.gql_as(key, read, json!({})).await;
        assert_eq!(code(&body), Some("UNAUTHENTICATED"));
        assert_eq!(body["errors"][0]["message"], "the API key is not valid");
    }
}

#[tokio::test]
async fn import_document_reports_problems_as_user_errors_and_writes_all_or_nothing() {
    let app = spawn_app().await;
    let editor = app.key("partner-system", Role::Editor).await;
    let query =
        "mutation ($doc: JSON!, $dry: Boolean) { importDocument(document: $doc, dryRun: $dry) {
        counts { entity created updated unchanged } dryRun userErrors { field code message } } }";

    let good =
        json!({ "cities": [{ "key": "tromso-2", "name": "Tromsø II", "countryCode": "NO" }] });
    let dry = app
        .gql_as(&editor, query, json!({ "doc": good, "dry": true }))
        .await;
    assert_eq!(
        dry["data"]["importDocument"]["counts"][2],
        json!({ "entity": "cities", "created": 1, "updated": 0, "unchanged": 0 })
    );
    assert_eq!(
        app.data(r#"{ city(key: "tromso-2") { key } }"#, json!({}))
            .await["city"],
        Value::Null,
        "a dry run keeps nothing"
    );

    // The third of four records is bad: nothing of the document is written.
    let bad = json!({ "cities": [
        { "key": "a-1", "name": "A", "countryCode": "FI" },
        { "key": "a-2", "name": "B", "countryCode": "FI" },
        { "key": "a-3", "name": "C", "countryCode": "FI", "sources": ["no-such-source"] },
        { "key": "a-4", "name": "D", "countryCode": "FI" }
    ], "protocols": [{ "key": "p", "kind": "MEMORANDUM", "title": "T", "parties": ["a-1", "a-2"], "signedOn": "2015-13-01" }] });
    let body = app.gql_as(&editor, query, json!({ "doc": bad })).await;
    let errors = body["data"]["importDocument"]["userErrors"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .clone();
    assert!(
        errors.contains(
            &json!({ "field": ["document", "protocols", "0", "signedOn"], "code": "INVALID_DATE",
        "message": "\"2015-13-01\" is not a date (expected YYYY, YYYY-MM or YYYY-MM-DD)" })
        ),
        "{body}"
    );
    assert_eq!(
        app.data(
            r#"{ cities(filter: { keys: ["a-1", "a-2", "a-3", "a-4"] }) { totalCount } }"#,
            json!({})
        )
        .await["cities"]["totalCount"],
        0
    );

    let fixed = json!({ "cities": bad["cities"].as_array().expect("cities")[..2] });
    let done = app.gql_as(&editor, query, json!({ "doc": fixed })).await;
    assert_eq!(
        done["data"]["importDocument"]["counts"][2]["created"], 2,
        "{done}"
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM change_set WHERE actor = 'partner-system' AND operation = 'importDocument'").await, 1);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM change WHERE record_key IN ('a-1', 'a-2') AND action = 'CREATED'"
        )
        .await,
        2
    );
}

const ADVANCE: &str = "mutation ($input: AdvancePartnershipInput!) { advancePartnership(input: $input) {
    partnership { status endedOn } statusChange { status on derived } userErrors { field code message } } }";

#[tokio::test]
async fn advancing_a_partnership_follows_the_lifecycle_and_records_each_step() {
    let app = spawn_app().await;
    let editor = app.key("editor", Role::Editor).await;
    let suspend = json!({ "input": { "partnership": "murmansk-vadso", "status": "SUSPENDED", "on": "2026-02", "city": "vadso", "note": "Council decision" } });
    let body = app.gql_as(&editor, ADVANCE, suspend).await;
    let payload = &body["data"]["advancePartnership"];
    assert_eq!(
        payload["partnership"],
        json!({ "status": "SUSPENDED", "endedOn": "2026-02" }),
        "{body}"
    );
    assert_eq!(
        payload["statusChange"],
        json!({ "status": "SUSPENDED", "on": "2026-02", "derived": false })
    );

    let back = app.gql_as(&editor, ADVANCE, json!({ "input": { "partnership": "murmansk-vadso", "status": "PROPOSED", "on": "2026-03" } })).await;
    assert_eq!(
        back["data"]["advancePartnership"]["userErrors"][0]["code"],
        "INVALID_TRANSITION"
    );
    assert_eq!(
        back["data"]["advancePartnership"]["userErrors"][0]["field"],
        json!(["input", "status"])
    );

    let history = app.data(r#"{ partnership(key: "murmansk-vadso") { statusHistory { nodes { status on derived city { key } } } } }"#, json!({})).await;
    let steps = history["partnership"]["statusHistory"]["nodes"]
        .as_array()
        .expect("steps");
    assert_eq!(
        steps.last(),
        Some(
            &json!({ "status": "SUSPENDED", "on": "2026-02", "derived": false, "city": { "key": "vadso" } })
        )
    );
    let changes = app.scalar("SELECT COUNT(*) FROM change c JOIN change_set s ON s.id = c.change_set_id WHERE s.operation = 'advancePartnership' AND c.record_key = 'murmansk-vadso'").await;
    assert_eq!(changes, 1);
}

#[tokio::test]
async fn of_two_concurrent_steps_from_the_same_state_one_wins_and_the_other_conflicts() {
    let app = spawn_app().await;
    let editor = app.key("editor", Role::Editor).await;
    let read = app.data(r#"{ partnership(key: "murmansk-groningen") { updatedAt: statusHistory { totalCount } } }"#, json!({})).await;
    assert!(read["partnership"].is_object());
    let updated_at: String = {
        let db = app.test_db.connect().await;
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT updated_at FROM partnership WHERE key = 'murmansk-groningen'".to_owned(),
            ))
            .await
            .expect("query")
            .expect("row");
        row.try_get_by_index::<chrono::DateTime<chrono::Utc>>(0)
            .expect("timestamp")
            .to_rfc3339()
    };
    let step = |status: &str| json!({ "input": { "partnership": "murmansk-groningen", "status": status, "on": "2026-03-01", "expectedUpdatedAt": updated_at } });
    let (a, b) = tokio::join!(
        app.gql_as(&editor, ADVANCE, step("SUSPENDED")),
        app.gql_as(&editor, ADVANCE, step("ENDED"))
    );
    let outcomes: Vec<Option<String>> = [&a, &b]
        .iter()
        .map(|body| {
            body["data"]["advancePartnership"]["userErrors"][0]["code"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(
        outcomes.iter().filter(|o| o.is_none()).count(),
        1,
        "exactly one wins: {a} {b}"
    );
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| o.as_deref() == Some("CONFLICT"))
            .count(),
        1,
        "the other conflicts: {a} {b}"
    );
    let recorded = app.scalar("SELECT COUNT(*) FROM partnership_status_change s JOIN partnership p ON p.id = s.partnership_id WHERE p.key = 'murmansk-groningen' AND s.occurred_on = '2026-03-01'").await;
    assert_eq!(recorded, 1, "nothing of the losing step is written");
}

#[tokio::test]
async fn deleting_a_record_others_refer_to_is_refused_with_their_names() {
    let app = spawn_app().await;
    let editor = app.key("editor", Role::Editor).await;
    let delete = "mutation ($key: String!) { deleteCity(input: { key: $key }) { deletedKey userErrors { field code message } } }";
    let refused = app
        .gql_as(&editor, delete, json!({ "key": "harbin" }))
        .await;
    let error = &refused["data"]["deleteCity"]["userErrors"][0];
    assert_eq!(error["code"], "HAS_DEPENDENTS");
    let message = error["message"].as_str().expect("message");
    assert!(
        message.contains("partnerships (") && message.contains("murmansk-harbin"),
        "{message}"
    );
    assert!(
        app.data(r#"{ city(key: "harbin") { key } }"#, json!({}))
            .await["city"]
            .is_object()
    );

    let missing = app
        .gql_as(&editor, delete, json!({ "key": "atlantis" }))
        .await;
    assert_eq!(
        missing["data"]["deleteCity"]["userErrors"][0]["code"],
        "NOT_FOUND"
    );

    let import = r#"mutation { importDocument(document: { cities: [{ key: "lonely", name: "Lonely", countryCode: "IS" }] }) { userErrors { code } } }"#;
    app.gql_as(&editor, import, json!({})).await;
    let deleted = app
        .gql_as(&editor, delete, json!({ "key": "lonely" }))
        .await;
    assert_eq!(
        deleted["data"]["deleteCity"],
        json!({ "deletedKey": "lonely", "userErrors": [] })
    );
    let found = app
        .data(
            r#"{ city(key: "lonely") { key } search(query: "lonely") { nodes { __typename } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(found, json!({ "city": null, "search": { "nodes": [] } }));
}

#[tokio::test]
async fn create_and_update_check_each_rule_and_name_the_field() {
    let app = spawn_app().await;
    let editor = app.key("editor", Role::Editor).await;
    let create = "mutation ($input: CityInput!) { createCity(input: $input) { city { key updatedAt } userErrors { field code message } } }";
    let city =
        json!({ "key": "kirkenes", "name": "Kirkenes", "countryCode": "NO", "population": 3500 });
    let created = app.gql_as(&editor, create, json!({ "input": city })).await;
    assert_eq!(
        created["data"]["createCity"]["city"]["key"], "kirkenes",
        "{created}"
    );
    let updated_at = created["data"]["createCity"]["city"]["updatedAt"].clone();

    let first_error =
        |body: &Value, mutation: &str| body["data"][mutation]["userErrors"][0].clone();
    let again = app.gql_as(&editor, create, json!({ "input": city })).await;
    assert_eq!(first_error(&again, "createCity")["code"], "DUPLICATE_KEY");
    assert_eq!(
        first_error(&again, "createCity")["field"],
        json!(["input", "key"])
    );
    let bad_country = app
        .gql_as(
            &editor,
            create,
            json!({ "input": { "key": "x", "name": "X", "countryCode": "no" } }),
        )
        .await;
    assert_eq!(
        first_error(&bad_country, "createCity")["field"],
        json!(["input", "countryCode"])
    );
    assert_eq!(
        first_error(&bad_country, "createCity")["code"],
        "INVALID_VALUE"
    );
    let bad_latitude = app
        .gql_as(
            &editor,
            create,
            json!({ "input": { "key": "y", "name": "Y", "countryCode": "NO", "latitude": 91.0 } }),
        )
        .await;
    assert_eq!(
        first_error(&bad_latitude, "createCity")["field"],
        json!(["input", "latitude"])
    );

    let visit = "mutation ($input: VisitInput!) { createVisit(input: $input) { visit { key } userErrors { field code message } } }";
    let nowhere = app.gql_as(&editor, visit, json!({ "input": { "key": "v", "fromCity": "kirkenes", "toCity": "atlantis", "startDate": "2016" } })).await;
    assert_eq!(
        first_error(&nowhere, "createVisit"),
        json!({ "field": ["input", "toCity"], "code": "NOT_FOUND", "message": "no city with key \"atlantis\"" })
    );
    let backwards = app
        .gql_as(&editor, visit, json!({ "input": { "key": "v", "fromCity": "kirkenes", "toCity": "murmansk", "startDate": "2016-05-23", "endDate": "2016-05-20" } }))
        .await;
    assert_eq!(
        first_error(&backwards, "createVisit")["code"],
        "INVALID_DATE"
    );

    let twin = "mutation ($input: PartnershipInput!) { createPartnership(input: $input) { userErrors { field code } } }";
    let duplicate = app.gql_as(&editor, twin, json!({ "input": { "key": "h-m", "cities": ["harbin", "murmansk"], "kind": "SISTER_CITY", "status": "ACTIVE" } })).await;
    assert_eq!(
        first_error(&duplicate, "createPartnership"),
        json!({ "field": ["input", "cities"], "code": "DUPLICATE_PARTNERSHIP" })
    );

    let update = "mutation ($input: UpdateCityInput!) { updateCity(input: $input) { city { population } userErrors { field code } } }";
    let stale = json!({ "input": { "city": { "key": "kirkenes", "name": "Kirkenes", "countryCode": "NO", "population": 3600 }, "expectedUpdatedAt": "2000-01-01T00:00:00Z" } });
    assert_eq!(
        first_error(&app.gql_as(&editor, update, stale).await, "updateCity")["code"],
        "CONFLICT"
    );
    let fresh = json!({ "input": { "city": { "key": "kirkenes", "name": "Kirkenes", "countryCode": "NO", "population": 3600 }, "expectedUpdatedAt": updated_at } });
    let done = app.gql_as(&editor, update, fresh).await;
    assert_eq!(
        done["data"]["updateCity"],
        json!({ "city": { "population": 3600 }, "userErrors": [] }),
        "{done}"
    );
    let missing =
        json!({ "input": { "city": { "key": "nowhere", "name": "N", "countryCode": "NO" } } });
    assert_eq!(
        first_error(&app.gql_as(&editor, update, missing).await, "updateCity")["code"],
        "NOT_FOUND"
    );

    // The history holds the changed field only, before and after.
    let db = app.test_db.connect().await;
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT c.before, c.after, s.actor FROM change c JOIN change_set s ON s.id = c.change_set_id WHERE s.operation = 'updateCity'".to_owned(),
        ))
        .await
        .expect("query")
        .expect("one change");
    let (before, after, actor): (String, String, String) = (
        row.try_get_by_index(0).expect("before"),
        row.try_get_by_index(1).expect("after"),
        row.try_get_by_index(2).expect("actor"),
    );
    assert_eq!(
        (before.as_str(), after.as_str(), actor.as_str()),
        (r#"{"population":3500}"#, r#"{"population":3600}"#, "editor")
    );
}

#[tokio::test]
async fn only_admins_manage_keys_and_read_all_changes() {
    let app = spawn_app().await;
    let reader = app.key("reader", Role::Reader).await;
    let editor = app.key("editor", Role::Editor).await;
    let admin = app.key("admin", Role::Admin).await;
    let create = r#"mutation { createApiKey(input: { name: "partner", role: EDITOR }) { key apiKey { name role } userErrors { code } } }"#;

    assert_eq!(
        code(&app.gql(create, json!({})).await),
        Some("UNAUTHENTICATED")
    );
    assert_eq!(
        code(&app.gql_as(&reader, create, json!({})).await),
        Some("FORBIDDEN")
    );
    assert_eq!(
        code(&app.gql_as(&editor, create, json!({})).await),
        Some("FORBIDDEN")
    );
    let created = app.gql_as(&admin, create, json!({})).await;
    let partner = created["data"]["createApiKey"]["key"]
        .as_str()
        .expect("the new key")
        .to_owned();
    assert_eq!(
        created["data"]["createApiKey"]["apiKey"],
        json!({ "name": "partner", "role": "EDITOR" })
    );

    // The new key writes; its history is visible to editors, all changes to admins only.
    let update = r#"mutation { updateCity(input: { city: { key: "vadso", name: "Vadsø", countryCode: "NO", population: 5000 } }) { userErrors { code } } }"#;
    assert_eq!(
        app.gql_as(&partner, update, json!({})).await["data"]["updateCity"]["userErrors"],
        json!([])
    );
    let history = app
        .gql_as(
            &editor,
            r#"{ city(key: "vadso") { history { nodes { actor operation action after } } } }"#,
            json!({}),
        )
        .await;
    let latest = &history["data"]["city"]["history"]["nodes"][0];
    assert_eq!(
        (&latest["actor"], &latest["operation"], &latest["action"]),
        (&json!("partner"), &json!("updateCity"), &json!("UPDATED"))
    );
    // An update replaces the record: the fields it left out are cleared, and
    // the history says so.
    assert_eq!(latest["after"]["population"], 5000);
    assert_eq!(latest["after"]["latitude"], Value::Null);
    assert!(
        latest["after"].get("name").is_none(),
        "unchanged fields are not recorded: {latest}"
    );
    let changes = r#"{ changes(filter: { actors: ["partner"] }) { nodes { recordKey } } }"#;
    assert_eq!(
        code(&app.gql_as(&editor, changes, json!({})).await),
        Some("FORBIDDEN")
    );
    assert_eq!(
        app.gql_as(&admin, changes, json!({})).await["data"]["changes"]["nodes"],
        json!([{ "recordKey": "vadso" }])
    );
    // Anonymous readers never see history.
    assert_eq!(
        code(
            &app.gql(
                r#"{ city(key: "vadso") { history { nodes { actor } } } }"#,
                json!({})
            )
            .await
        ),
        Some("UNAUTHENTICATED")
    );

    let revoke =
        r#"mutation { revokeApiKey(input: { name: "partner" }) { revoked userErrors { code } } }"#;
    assert_eq!(
        app.gql_as(&admin, revoke, json!({})).await["data"]["revokeApiKey"]["revoked"],
        "partner"
    );
    assert_eq!(
        code(&app.gql_as(&partner, update, json!({})).await),
        Some("UNAUTHENTICATED")
    );
    let listed = app
        .gql_as(&admin, "{ apiKeys { name revokedAt } }", json!({}))
        .await;
    assert!(
        listed["data"]["apiKeys"]
            .as_array()
            .expect("keys")
            .iter()
            .any(|k| k["name"] == "partner" && !k["revokedAt"].is_null())
    );
}

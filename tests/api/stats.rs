//! `stats` without a filter reads the counts the database keeps: they follow
//! every write (creates, updates that move a record between groups, status
//! steps, links, topic moves, deletes and cascades, imports) and agree with
//! the `GROUP BY` a filter runs; dry runs and refused writes leave them be.

use crate::helpers::TestApp;
use crate::helpers::spawn_app;
use serde_json::{Value, json};
use twinning::domain::access::Role;

const FIELDS: &str = "partnershipsByCountry { key count } partnershipsByKind { key count }
    partnershipsByStatus { key count } partnershipsByYear { key count }
    visitsByTopic { key count } protocolsByTopic { key count }";

/// Keeps every row, but is a filter: `stats` groups the tables for it.
const EVERY_ROW: &str = r#"{ partnerships: { not: { keys: ["-"] } },
    visits: { not: { keys: ["-"] } }, protocols: { not: { keys: ["-"] } } }"#;

/// Every statistic from the kept counts.
pub async fn kept(app: &TestApp) -> Value {
    app.data(&format!("{{ stats {{ {FIELDS} }} }}"), json!({}))
        .await["stats"]
        .clone()
}

/// Every statistic grouped over the tables.
pub async fn grouped(app: &TestApp) -> Value {
    app.data(
        &format!("{{ stats(filter: {EVERY_ROW}) {{ {FIELDS} }} }}"),
        json!({}),
    )
    .await["stats"]
        .clone()
}

/// The kept counts, after checking them against the grouped ones.
pub async fn consistent(app: &TestApp) -> Value {
    let kept = kept(app).await;
    assert_eq!(kept, grouped(app).await, "kept counts differ from GROUP BY");
    kept
}

/// The count of `key` in the statistic `field` (0 when absent).
pub fn count(stats: &Value, field: &str, key: &str) -> i64 {
    stats[field]
        .as_array()
        .expect("a list")
        .iter()
        .find(|c| c["key"] == key)
        .map_or(0, |c| c["count"].as_i64().expect("a count"))
}

/// Runs a mutation with `key` that must succeed without user errors.
pub async fn write(app: &TestApp, key: &str, query: &str, variables: Value) -> Value {
    let data = app.data_as(key, query, variables).await;
    for payload in data.as_object().expect("fields").values() {
        assert_eq!(payload["userErrors"], json!([]), "{data:#}");
    }
    data
}

pub const IMPORT: &str = "mutation ($doc: JSON!, $dry: Boolean) {
    importDocument(document: $doc, dryRun: $dry) { userErrors { field code message } } }";

/// Two topics (a child under a root), three cities in two countries, two
/// partnerships and a visit tagged with both topics.
fn document() -> Value {
    json!({
        "topics": [
            { "key": "st-root", "name": "Root" },
            { "key": "st-child", "name": "Child", "parent": "st-root" }
        ],
        "cities": [
            { "key": "st-a", "name": "A", "countryCode": "GL" },
            { "key": "st-b", "name": "B", "countryCode": "FO" },
            { "key": "st-c", "name": "C", "countryCode": "FO" }
        ],
        "partnerships": [
            { "key": "st-ab", "cities": ["st-a", "st-b"], "kind": "SISTER_CITY",
              "status": "ACTIVE", "establishedOn": "1901",
              "statusHistory": [{ "status": "ACTIVE", "on": "1901" }] },
            { "key": "st-bc", "cities": ["st-b", "st-c"], "kind": "FRIENDSHIP",
              "status": "PROPOSED", "statusHistory": [{ "status": "PROPOSED", "on": "1902" }] }
        ],
        "visits": [
            { "key": "st-visit", "fromCity": "st-a", "toCity": "st-b", "startDate": "1950",
              "partnership": "st-ab", "topics": ["st-child", "st-root"] }
        ]
    })
}

#[tokio::test]
async fn kept_counts_follow_every_kind_of_write() {
    let app = spawn_app().await;
    let admin = app.key("admin", Role::Admin).await;
    let before = consistent(&app).await;

    write(&app, &admin, IMPORT, json!({ "doc": document() })).await;
    let s = consistent(&app).await;
    // A partnership within one country counts once for it.
    assert_eq!(count(&s, "partnershipsByCountry", "FO"), 2);
    assert_eq!(count(&s, "partnershipsByCountry", "GL"), 1);
    assert_eq!(count(&s, "partnershipsByYear", "1901"), 1);
    assert_eq!(
        count(&s, "partnershipsByKind", "FRIENDSHIP"),
        count(&before, "partnershipsByKind", "FRIENDSHIP") + 1
    );
    // A visit tagged with a topic and its parent counts once for the parent.
    assert_eq!(count(&s, "visitsByTopic", "st-root"), 1);
    assert_eq!(count(&s, "visitsByTopic", "st-child"), 1);

    // An update moves a partnership to another kind and year.
    let update = "mutation ($p: PartnershipInput!) { updatePartnership(input: { partnership: $p }) { userErrors { field code message } } }";
    let moved = json!({ "key": "st-bc", "cities": ["st-b", "st-c"], "kind": "CONTACT", "status": "PROPOSED", "establishedOn": "1902" });
    write(&app, &admin, update, json!({ "p": moved })).await;
    let s = consistent(&app).await;
    assert_eq!(
        count(&s, "partnershipsByKind", "FRIENDSHIP"),
        count(&before, "partnershipsByKind", "FRIENDSHIP")
    );
    assert_eq!(count(&s, "partnershipsByYear", "1902"), 1);

    // A city moving country moves its partnerships.
    let city = "mutation { updateCity(input: { city: { key: \"st-c\", name: \"C\", countryCode: \"GL\" } }) { userErrors { field code message } } }";
    write(&app, &admin, city, json!({})).await;
    let s = consistent(&app).await;
    assert_eq!(count(&s, "partnershipsByCountry", "FO"), 2);
    assert_eq!(count(&s, "partnershipsByCountry", "GL"), 2);

    // A status step moves it between statuses.
    let advance = "mutation { advancePartnership(input: { partnership: \"st-bc\", status: INTENT_SIGNED, on: \"1903\" }) { userErrors { field code message } } }";
    let proposed = count(&s, "partnershipsByStatus", "PROPOSED");
    write(&app, &admin, advance, json!({})).await;
    let s = consistent(&app).await;
    assert_eq!(count(&s, "partnershipsByStatus", "PROPOSED"), proposed - 1);

    // Untagging the child keeps the visit under the root it is tagged with.
    let unlink = "mutation { unlink(input: { record: { visit: \"st-visit\" }, topics: [\"st-child\"] }) { userErrors { field code message } } }";
    write(&app, &admin, unlink, json!({})).await;
    let s = consistent(&app).await;
    assert_eq!(count(&s, "visitsByTopic", "st-root"), 1);
    assert_eq!(count(&s, "visitsByTopic", "st-child"), 0);
    let link = "mutation { link(input: { record: { visit: \"st-visit\" }, topics: [\"st-child\"] }) { userErrors { field code message } } }";
    write(&app, &admin, link, json!({})).await;
    assert_eq!(
        count(&consistent(&app).await, "visitsByTopic", "st-child"),
        1
    );

    // Moving or renaming a topic moves what it counts.
    let topic = "mutation { updateTopic(input: { topic: { key: \"st-child\", name: \"Child\" } }) { userErrors { field code message } } }";
    write(&app, &admin, topic, json!({})).await;
    write(&app, &admin, unlink, json!({})).await;
    write(&app, &admin, link, json!({})).await;
    consistent(&app).await;

    // Deleting a topic with cascade untags its records.
    let delete_topic = "mutation { deleteTopic(input: { key: \"st-root\", cascade: true }) { userErrors { field code message } } }";
    write(&app, &admin, delete_topic, json!({})).await;
    let s = consistent(&app).await;
    assert_eq!(count(&s, "visitsByTopic", "st-root"), 0);
    assert_eq!(count(&s, "visitsByTopic", "st-child"), 1);

    // Deleting a city with cascade deletes its partnerships and visits.
    let delete_city = "mutation { deleteCity(input: { key: \"st-b\", cascade: true }) { userErrors { field code message } } }";
    write(&app, &admin, delete_city, json!({})).await;
    let s = consistent(&app).await;
    assert_eq!(count(&s, "partnershipsByCountry", "FO"), 0);
    assert_eq!(count(&s, "partnershipsByCountry", "GL"), 0);
    assert_eq!(count(&s, "visitsByTopic", "st-child"), 0);
    assert_eq!(s, before, "back where it started");
}

#[tokio::test]
async fn dry_runs_and_refused_writes_change_no_count() {
    let app = spawn_app().await;
    let admin = app.key("admin", Role::Admin).await;
    let before = consistent(&app).await;

    write(
        &app,
        &admin,
        IMPORT,
        json!({ "doc": document(), "dry": true }),
    )
    .await;
    assert_eq!(kept(&app).await, before, "a dry run changes nothing");

    // A scoped editor's write outside its scope is made, then refused at
    // commit and rolled back with everything it counted.
    let scope = twinning::domain::scope::Scope::parse("harbin").expect("a scope");
    let db = app.test_db.connect().await;
    let editor = twinning::store::api_keys::create_key(
        &db,
        twinning::store::api_keys::NewKey {
            name: "scoped",
            role: Role::Editor,
            trusted_documents_only: false,
            scope: Some(&scope),
        },
    )
    .await
    .expect("a scoped key");
    let body = app
        .gql_as(&editor, IMPORT, json!({ "doc": document() }))
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body:#}"
    );
    assert_eq!(
        consistent(&app).await,
        before,
        "a refused write counts nothing"
    );

    // The unfiltered answer is the kept counts, not a GROUP BY.
    use sea_orm::ConnectionTrait;
    db.execute_unprepared(
        "UPDATE stat_count SET count = count + 1000 WHERE dimension = 'partnership_kind'",
    )
    .await
    .expect("skew the kept counts");
    let skewed = kept(&app).await;
    let kind = before["partnershipsByKind"][0]["key"]
        .as_str()
        .expect("a kind");
    assert_eq!(
        count(&skewed, "partnershipsByKind", kind),
        count(&before, "partnershipsByKind", kind) + 1000
    );
    assert_eq!(grouped(&app).await, before);
}

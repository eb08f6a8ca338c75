//! The change feed: a second server mirrored from an export and the feed
//! alone ends byte-equal; an export under writes is one snapshot whose
//! cursor agrees with its content; followers under concurrent writers
//! never see a gap fill later (commit order).

use crate::helpers::{TestApp, spawn_app, spawn_app_with};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use twinning::domain::access::Role;

const FEED: &str = "query ($after: String, $types: [String!]) {
    changeFeed(after: $after, first: 7, types: $types) {
        nodes { cursor at changes { recordType recordKey action record } }
        endCursor hasNextPage } }";

/// Every change set after `cursor`, page by page; the cursor to go on from.
async fn read_feed(app: &TestApp, cursor: Option<String>, types: Value) -> (Vec<Value>, String) {
    let mut cursor = cursor.map(Value::String).unwrap_or(Value::Null);
    let mut sets = Vec::new();
    loop {
        let data = app
            .data(FEED, json!({ "after": cursor, "types": types }))
            .await;
        let page = &data["changeFeed"];
        sets.extend(page["nodes"].as_array().expect("nodes").iter().cloned());
        cursor = page["endCursor"].clone();
        if page["hasNextPage"] != true {
            return (sets, cursor.as_str().expect("a cursor").to_owned());
        }
    }
}

/// `GET /export`: the body and the feed cursor it names.
async fn export(app: &TestApp) -> (String, String) {
    let response = app
        .client
        .get(app.url("/export"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 200);
    let cursor = response.headers()["twinning-feed-cursor"]
        .to_str()
        .expect("text")
        .to_owned();
    (response.text().await.expect("a body"), cursor)
}

fn plural(record_type: &str) -> &'static str {
    match record_type {
        "Source" => "sources",
        "Topic" => "topics",
        "City" => "cities",
        "Organization" => "organizations",
        "Partnership" => "partnerships",
        "Event" => "events",
        "Visit" => "visits",
        "Protocol" => "protocols",
        other => panic!("not a record type: {other}"),
    }
}

const IMPORT: &str =
    "mutation ($d: JSON!) { importDocument(document: $d) { userErrors { code message } } }";

/// The mirror client: applies one change set through the mirror's public
/// API: its records' new content as one `importDocument` (an upsert by
/// key), then its deletions (with their cascades, which the source made
/// too and the feed lists; one already gone is fine).
async fn apply(mirror: &TestApp, key: &str, set: &Value) {
    let mut upserts: BTreeMap<(String, String), Value> = BTreeMap::new();
    let mut deletes = Vec::new();
    for change in set["changes"].as_array().expect("changes") {
        let (record_type, record_key) = (
            change["recordType"].as_str().expect("type").to_owned(),
            change["recordKey"].as_str().expect("key").to_owned(),
        );
        match &change["record"] {
            Value::Null => deletes.push((record_type, record_key)),
            record => {
                upserts.insert((record_type, record_key), record.clone());
            }
        }
    }
    if !upserts.is_empty() {
        let mut document = json!({ "version": 1 });
        for ((record_type, _), record) in upserts {
            document
                .as_object_mut()
                .expect("an object")
                .entry(plural(&record_type))
                .or_insert_with(|| json!([]))
                .as_array_mut()
                .expect("an array")
                .push(record);
        }
        let done = mirror.data_as(key, IMPORT, json!({ "d": document })).await;
        assert_eq!(
            done["importDocument"]["userErrors"],
            json!([]),
            "{document:#}"
        );
    }
    for (record_type, record_key) in deletes {
        let delete = format!(
            "mutation ($key: String!) {{ delete{record_type}(input: {{ key: $key, cascade: true }}) {{ userErrors {{ code message }} }} }}"
        );
        let done = mirror
            .data_as(key, &delete, json!({ "key": record_key }))
            .await;
        for error in done[format!("delete{record_type}")]["userErrors"]
            .as_array()
            .expect("errors")
        {
            assert_eq!(
                error["code"], "NOT_FOUND",
                "{record_type} {record_key}: {error}"
            );
        }
    }
}

/// A stream of writes of every sort on `app`.
async fn write_stream(app: &TestApp, editor: &str) {
    let ok = |body: Value, field: &str| {
        assert!(body.get("errors").is_none(), "{body:#}");
        assert_eq!(body["data"][field]["userErrors"], json!([]), "{body:#}");
    };
    let create = "mutation ($input: CityInput!) { createCity(input: $input) { userErrors { code message } } }";
    for (key, name) in [("kirkenes", "Kirkenes"), ("hammerfest", "Hammerfest")] {
        let city = json!({ "key": key, "name": name, "countryCode": "NO" });
        ok(
            app.gql_as(editor, create, json!({ "input": city })).await,
            "createCity",
        );
    }
    let update = "mutation ($input: UpdateCityInput!) { updateCity(input: $input) { userErrors { code message } } }";
    let city = json!({ "city": { "key": "kirkenes", "name": "Kirkenes", "countryCode": "NO", "latitude": 69.73, "longitude": 30.05 } });
    ok(
        app.gql_as(editor, update, json!({ "input": city })).await,
        "updateCity",
    );
    let link =
        "mutation ($input: LinkInput!) { link(input: $input) { userErrors { code message } } }";
    let sources = json!({ "input": { "record": { "city": "kirkenes" }, "sources": ["baikal24-2023-10-19", "barentsobserver-2016-09"] } });
    ok(app.gql_as(editor, link, sources).await, "link");
    let pair = json!({ "d": { "version": 1, "partnerships": [{
        "key": "kirkenes-hammerfest", "cities": ["kirkenes", "hammerfest"], "kind": "SISTER_CITY",
        "status": "PROPOSED", "proposedOn": "2026-01" }] } });
    ok(app.gql_as(editor, IMPORT, pair).await, "importDocument");
    let unlink =
        "mutation ($input: LinkInput!) { unlink(input: $input) { userErrors { code message } } }";
    let dropped = json!({ "input": { "record": { "city": "kirkenes" }, "sources": ["barentsobserver-2016-09"] } });
    ok(app.gql_as(editor, unlink, dropped).await, "unlink");
    // A cascade: the city's partnerships, visits and the rest go with it.
    let delete = "mutation ($key: String!) { deleteCity(input: { key: $key, cascade: true }) { userErrors { code message } } }";
    ok(
        app.gql_as(editor, delete, json!({ "key": "harbin" })).await,
        "deleteCity",
    );
    ok(
        app.gql_as(editor, delete, json!({ "key": "hammerfest" }))
            .await,
        "deleteCity",
    );
    let source = "mutation ($key: String!) { deleteSource(input: { key: $key, cascade: true }) { userErrors { code message } } }";
    ok(
        app.gql_as(editor, source, json!({ "key": "baikal24-2023-10-19" }))
            .await,
        "deleteSource",
    );
}

#[tokio::test]
async fn a_mirror_fed_by_an_export_then_the_feed_alone_exports_the_same_bytes() {
    let source = spawn_app().await;
    let mirror = spawn_app_with(false).await;
    let editor = source.key("editor", Role::Editor).await;
    let mirror_key = mirror.key("mirror", Role::Editor).await;

    let (snapshot, cursor) = export(&source).await;
    let document: Value = serde_json::from_str(&snapshot).expect("JSON");
    let done = mirror
        .data_as(&mirror_key, IMPORT, json!({ "d": document }))
        .await;
    assert_eq!(done["importDocument"]["userErrors"], json!([]));
    assert_eq!(
        export(&mirror).await.0,
        snapshot,
        "the initial copy is exact"
    );

    write_stream(&source, &editor).await;
    let (sets, _) = read_feed(&source, Some(cursor), Value::Null).await;
    assert!(
        sets.len() >= 8,
        "every write is a change set: {}",
        sets.len()
    );
    for set in &sets {
        let text = set.to_string();
        assert!(!text.contains("\"editor\""), "no actor in the feed: {text}");
        apply(&mirror, &mirror_key, set).await;
    }
    let (source_now, mirror_now) = (export(&source).await.0, export(&mirror).await.0);
    assert_ne!(source_now, snapshot, "the writes changed the data");
    assert_eq!(mirror_now, source_now, "the mirror is exact");
}

#[tokio::test]
async fn an_export_under_writes_is_one_snapshot_and_its_cursor_agrees() {
    let app = spawn_app().await;
    let editor = app.key("editor", Role::Editor).await;
    const WRITES: usize = 30;
    let writer = async {
        for i in 0..WRITES {
            // Two records per write: an export holds both or neither.
            let cities: Vec<Value> = ["a", "b"]
                .iter()
                .map(|s| json!({ "key": format!("pair-{i}-{s}"), "name": format!("Pair {i} {s}"), "countryCode": "NO" }))
                .collect();
            let done = app
                .data_as(
                    &editor,
                    IMPORT,
                    json!({ "d": { "version": 1, "cities": cities } }),
                )
                .await;
            assert_eq!(done["importDocument"]["userErrors"], json!([]));
        }
    };
    let reader = async {
        let mut exports = Vec::new();
        for _ in 0..6 {
            exports.push(export(&app).await);
        }
        exports
    };
    let ((), exports) = tokio::join!(writer, reader);
    let pair_keys = |document: &Value| -> BTreeSet<String> {
        document["cities"]
            .as_array()
            .expect("cities")
            .iter()
            .filter_map(|c| c["key"].as_str())
            .filter(|k| k.starts_with("pair-"))
            .map(str::to_owned)
            .collect()
    };
    let all: BTreeSet<String> = (0..WRITES)
        .flat_map(|i| [format!("pair-{i}-a"), format!("pair-{i}-b")])
        .collect();
    let mut sizes = BTreeSet::new();
    for (body, cursor) in exports {
        let document: Value = serde_json::from_str(&body).expect("JSON");
        let held = pair_keys(&document);
        for i in 0..WRITES {
            let (a, b) = (format!("pair-{i}-a"), format!("pair-{i}-b"));
            assert_eq!(held.contains(&a), held.contains(&b), "write {i} half seen");
        }
        // What the feed shows after the export's cursor is exactly what
        // the export lacks.
        let (later, _) = read_feed(&app, Some(cursor), json!(["City"])).await;
        let after: BTreeSet<String> = later
            .iter()
            .flat_map(|set| set["changes"].as_array().expect("changes").clone())
            .filter_map(|c| c["recordKey"].as_str().map(str::to_owned))
            .collect();
        assert!(held.is_disjoint(&after), "the cursor is behind its content");
        let union: BTreeSet<String> = held.union(&after).cloned().collect();
        assert_eq!(union, all, "the cursor is ahead of its content");
        sizes.insert(held.len());
    }
    println!("exports held {sizes:?} of {} pair cities", all.len());
}

#[tokio::test]
async fn a_follower_under_concurrent_writers_never_sees_a_gap_fill_later() {
    let app = spawn_app().await;
    let editor = app.key("editor", Role::Editor).await;
    let (_, start) = read_feed(&app, None, Value::Null).await;
    let create =
        "mutation ($input: CityInput!) { createCity(input: $input) { userErrors { code } } }";
    let writer = |w: usize| {
        let (app, editor) = (&app, &editor);
        async move {
            for i in 0..12 {
                let city = json!({ "key": format!("w{w}-{i}"), "name": format!("W {w} {i}"), "countryCode": "NO" });
                let done = app.data_as(editor, create, json!({ "input": city })).await;
                assert_eq!(done["createCity"]["userErrors"], json!([]));
            }
        }
    };
    let done = std::sync::atomic::AtomicBool::new(false);
    let follower = async {
        let (mut seen, mut cursor) = (Vec::new(), start.clone());
        loop {
            let finished = done.load(std::sync::atomic::Ordering::SeqCst);
            let (sets, next) = read_feed(&app, Some(cursor), Value::Null).await;
            seen.extend(sets.iter().map(|s| s["cursor"].clone()));
            cursor = next;
            if finished {
                return seen;
            }
        }
    };
    let writers = async {
        futures_util::future::join_all((0..4).map(writer)).await;
        done.store(true, std::sync::atomic::Ordering::SeqCst);
    };
    let ((), seen) = tokio::join!(writers, follower);
    let (all, _) = read_feed(&app, Some(start), Value::Null).await;
    let all: Vec<Value> = all.iter().map(|s| s["cursor"].clone()).collect();
    assert_eq!(all.len(), 48, "one change set per write");
    assert_eq!(seen, all, "the follower saw every change set, in order");

    let too_many = app
        .gql("{ changeFeed(first: 101) { endCursor } }", json!({}))
        .await;
    assert_eq!(
        too_many["errors"][0]["extensions"]["code"],
        "PAGE_SIZE_LIMIT"
    );
    let bad_type = app
        .gql("{ changeFeed(types: [\"Town\"]) { endCursor } }", json!({}))
        .await;
    assert!(
        bad_type["errors"][0]["message"]
            .as_str()
            .expect("a message")
            .contains("types")
    );
}

/// A change set of the history, written in a transaction the caller holds
/// open: a write that took its id and has not committed.
pub(crate) async fn write_in_flight(db: &twinning::store::Txn, key: &str) -> i32 {
    use twinning::domain::changes::{Action, RecordChange};
    use twinning::store::changes::{Author, record};
    let author = Author {
        actor: "test",
        scope: None,
        operation: "inFlight",
    };
    let change = RecordChange {
        record_type: "City",
        key: key.to_owned(),
        action: Action::Created,
        before: None,
        after: Some(json!({ "key": key, "name": key, "countryCode": "NO" })),
    };
    record(db, author, &[change])
        .await
        .expect("the change set is written")
        .expect("an id")
}

#[tokio::test]
async fn a_change_set_in_flight_holds_the_feed_and_the_export_cursor_not_the_writers() {
    let app = spawn_app().await;
    if !app.test_db.url.starts_with("postgres") {
        println!("skipped: SQLite has one writer at a time, so no change set commits late");
        return;
    }
    use sea_orm::TransactionTrait;
    let editor = app.key("editor", Role::Editor).await;
    let (_, start) = read_feed(&app, None, Value::Null).await;
    let db = app.test_db.connect().await;
    let open = db.begin().await.expect("a transaction");
    let late = write_in_flight(&open, "late").await;

    // A write through the API takes a larger id and commits, without
    // waiting for the open one.
    let create =
        "mutation ($input: CityInput!) { createCity(input: $input) { userErrors { code } } }";
    let city = json!({ "key": "early", "name": "Early", "countryCode": "NO" });
    let done = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        app.data_as(&editor, create, json!({ "input": city })),
    )
    .await
    .expect("a write does not wait for another's change set");
    assert_eq!(done["createCity"]["userErrors"], json!([]));

    // Neither the feed nor an export's cursor passes the open change set.
    let (sets, cursor) = read_feed(&app, Some(start.clone()), Value::Null).await;
    assert_eq!(
        sets,
        Vec::<Value>::new(),
        "the feed passed change set {late}"
    );
    assert_eq!(cursor, start);
    let (document, export_cursor) = export(&app).await;
    assert!(document.contains("\"early\""), "the export has the commit");
    assert_eq!(export_cursor, start, "the export's cursor passed {late}");

    open.commit().await.expect("commit");
    let (sets, _) = read_feed(&app, Some(start), Value::Null).await;
    let keys: Vec<&Value> = sets.iter().map(|s| &s["changes"][0]["recordKey"]).collect();
    assert_eq!(keys, [&json!("late"), &json!("early")], "in id order");
}

//! The kept counts under writes: read inside the writing transaction (the
//! API commits a mutation before it answers, and runs a batch's operations
//! side by side, so this reads through the store), after a random stream of
//! writes, and after
//! concurrent writes (on PostgreSQL, each transaction's deltas fold in at
//! commit).

use crate::helpers::spawn_app;
use crate::stats::{IMPORT, consistent, count, write};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::{Value, json};
use twinning::domain::access::Role;
use twinning::store::filters::Filter;

#[tokio::test]
async fn a_transaction_reads_its_own_writes_in_the_counts() {
    let app = spawn_app().await;
    let before = consistent(&app).await;
    let db = app.test_db.connect().await;
    let txn = db.begin().await.expect("begin");
    txn.execute_unprepared(
        "UPDATE partnership SET kind = 'PROJECT', established_on = '1899' \
         WHERE key = 'harbin-khabarovsk'",
    )
    .await
    .expect("move a partnership");
    let kinds = twinning::store::stats::partnerships_by_kind(&txn, &Filter::everything())
        .await
        .expect("kinds");
    let project = kinds.iter().find(|c| c.key == "PROJECT").map(|c| c.count);
    assert_eq!(
        project,
        Some(count(&before, "partnershipsByKind", "PROJECT") + 1)
    );
    let years = twinning::store::stats::partnerships_by_year(&txn, &Filter::everything())
        .await
        .expect("years");
    assert!(years.iter().any(|c| c.key == "1899" && c.count == 1));
    txn.rollback().await.expect("roll back");
    assert_eq!(consistent(&app).await, before, "rolled back: as before");
}

/// A small deterministic generator, so a failing stream can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

const COUNTRIES: [&str; 3] = ["TV", "NR", "PW"];
const KINDS: [&str; 3] = ["PROJECT", "CONTACT", "FRIENDSHIP"];
const TOPICS: [&str; 4] = ["rw-root", "rw-a", "rw-b", "rw-a1"];

/// A partnership between two of six cities, of a random kind and year.
fn partnership(rng: &mut Rng, key: &str) -> Value {
    let a = rng.below(6);
    let b = (a + 1 + rng.below(5)) % 6;
    json!({ "key": key, "cities": [format!("rw-{a}"), format!("rw-{b}")],
        "kind": KINDS[rng.below(3)], "status": "PROPOSED", "establishedOn": format!("{}", 1990 + rng.below(3)) })
}

#[tokio::test]
async fn kept_counts_equal_group_by_after_a_random_stream_of_writes() {
    let app = spawn_app().await;
    let admin = app.key("admin", Role::Admin).await;
    let mut rng = Rng(0x5eed_1234_abcd);
    let cities: Vec<Value> = (0..6)
        .map(|i| json!({ "key": format!("rw-{i}"), "name": format!("C{i}"), "countryCode": COUNTRIES[i % 3] }))
        .collect();
    let topics = json!([{ "key": "rw-root", "name": "R" },
        { "key": "rw-a", "name": "A", "parent": "rw-root" },
        { "key": "rw-b", "name": "B", "parent": "rw-root" },
        { "key": "rw-a1", "name": "A1", "parent": "rw-a" }]);
    write(
        &app,
        &admin,
        IMPORT,
        json!({ "doc": { "cities": cities, "topics": topics } }),
    )
    .await;

    let mut partnerships: Vec<String> = Vec::new();
    let mut visits: Vec<String> = Vec::new();
    for step in 0..40 {
        let choice = rng.below(7);
        let errors = match choice {
            // Create a partnership (a pair and kind may be taken: then a
            // user error, and nothing changes).
            0 | 1 => {
                let key = format!("rw-p{step}");
                let p = partnership(&mut rng, &key);
                let body = app
                    .gql_as(&admin, IMPORT, json!({ "doc": { "partnerships": [p] } }))
                    .await;
                if body["data"]["importDocument"]["userErrors"] == json!([]) {
                    partnerships.push(key);
                }
                body
            }
            // Replace one: another pair, kind and year.
            2 if !partnerships.is_empty() => {
                let key = partnerships[rng.below(partnerships.len())].clone();
                let p = partnership(&mut rng, &key);
                app.gql_as(&admin, "mutation ($p: PartnershipInput!) { updatePartnership(input: { partnership: $p }) { userErrors { code } } }", json!({ "p": p })).await
            }
            3 if !partnerships.is_empty() => {
                let key = partnerships.swap_remove(rng.below(partnerships.len()));
                app.gql_as(&admin, "mutation ($k: String!) { deletePartnership(input: { key: $k }) { userErrors { code } } }", json!({ "k": key })).await
            }
            // Two cities move country in one import (an upsert by key).
            4 => {
                let i = rng.below(6);
                let cities: Vec<Value> = [i, (i + 1) % 6]
                    .iter()
                    .map(|i| json!({ "key": format!("rw-{i}"), "name": format!("C{i}"), "countryCode": COUNTRIES[(i + step) % 3] }))
                    .collect();
                app.gql_as(&admin, IMPORT, json!({ "doc": { "cities": cities } }))
                    .await
            }
            // A visit tagged with one or two topics.
            5 => {
                let key = format!("rw-v{step}");
                let a = rng.below(6);
                let tags: Vec<&str> = vec![TOPICS[rng.below(4)], TOPICS[rng.below(4)]];
                let mut tags = tags;
                tags.dedup();
                let visit = json!({ "key": key, "fromCity": format!("rw-{a}"), "toCity": format!("rw-{}", (a + 1) % 6),
                    "startDate": "2001", "topics": tags });
                visits.push(key);
                app.gql_as(&admin, IMPORT, json!({ "doc": { "visits": [visit] } }))
                    .await
            }
            // A topic moves under another parent, or to the top.
            _ => {
                let parent = ["rw-root", "rw-b"][rng.below(2)];
                let topic = json!({ "key": "rw-a", "name": "A", "parent": if rng.below(3) == 0 { Value::Null } else { json!(parent) } });
                app.gql_as(&admin, "mutation ($t: TopicInput!) { updateTopic(input: { topic: $t }) { userErrors { code } } }", json!({ "t": topic })).await
            }
        };
        assert!(errors.get("errors").is_none(), "step {step}: {errors:#}");
        consistent(&app).await;
    }
    assert!(!visits.is_empty() && !partnerships.is_empty());
}

#[tokio::test]
async fn concurrent_writes_lose_no_count() {
    let app = spawn_app().await;
    let admin = app.key("admin", Role::Admin).await;
    let before = consistent(&app).await;
    let cities: Vec<Value> = (0..8)
        .map(|i| json!({ "key": format!("cw-{i}"), "name": format!("C{i}"), "countryCode": COUNTRIES[i % 2] }))
        .collect();
    write(&app, &admin, IMPORT, json!({ "doc": { "cities": cities } })).await;
    // Writers import partnerships between the same countries, in opposite
    // orders: each kind has its own writer, so no pair and kind is taken
    // twice.
    let mut writers = tokio::task::JoinSet::new();
    for (w, kind) in [
        "PROJECT",
        "CONTACT",
        "FRIENDSHIP",
        "SISTER_CITY",
        "COOPERATION",
    ]
    .into_iter()
    .enumerate()
    {
        let (client, url, key) = (app.client.clone(), app.url("/graphql"), admin.clone());
        writers.spawn(async move {
            let mut order: Vec<usize> = (0..4).collect();
            if w % 2 == 1 {
                order.reverse();
            }
            let pairs: Vec<Value> = order
                .into_iter()
                .map(|i| {
                    json!({ "key": format!("cw-{w}-{i}"), "kind": kind, "status": "PROPOSED",
                        "cities": [format!("cw-{}", 2 * i), format!("cw-{}", 2 * i + 1)] })
                })
                .collect();
            let body: Value = client
                .post(url)
                .bearer_auth(key)
                .json(
                    &json!({ "query": IMPORT, "variables": { "doc": { "partnerships": pairs } } }),
                )
                .send()
                .await
                .expect("a response")
                .json()
                .await
                .expect("JSON");
            body
        });
    }
    let mut written = 0;
    while let Some(body) = writers.join_next().await {
        let body = body.expect("a writer");
        assert!(body.get("errors").is_none(), "{body:#}");
        assert_eq!(
            body["data"]["importDocument"]["userErrors"],
            json!([]),
            "{body:#}"
        );
        written += 4;
    }
    let s = consistent(&app).await;
    let total = |stats: &Value| -> i64 {
        stats["partnershipsByKind"]
            .as_array()
            .expect("kinds")
            .iter()
            .map(|c| c["count"].as_i64().expect("a count"))
            .sum()
    };
    assert_eq!(total(&s), total(&before) + written);
}

/// A document with more partnerships and visits than the example data
/// holds: on SQLite its import pauses the triggers and counts anew at its
/// end (`store::stats::recount`).
fn large_document() -> Value {
    let countries = ["GL", "FO", "IS"];
    let cities: Vec<Value> = (0..40)
        .map(|i| json!({ "key": format!("lg-{i}"), "name": format!("L{i}"), "countryCode": countries[i % 3] }))
        .collect();
    let partnerships: Vec<Value> = (1..40)
        .flat_map(|i| [(0, i), (i, (i + 7) % 40)])
        .filter(|(a, b)| a != b)
        .enumerate()
        .map(|(n, (a, b))| {
            json!({ "key": format!("lg-p{n}"), "cities": [format!("lg-{a}"), format!("lg-{b}")],
                    "kind": if n % 2 == 0 { "SISTER_CITY" } else { "FRIENDSHIP" },
                    "status": "ACTIVE", "establishedOn": format!("{}", 1950 + n % 5),
                    "statusHistory": [{ "status": "ACTIVE", "on": "1950" }] })
        })
        .collect();
    let visits: Vec<Value> = (0..600)
        .map(|n| {
            let topics = match n % 3 {
                0 => json!(["lg-child"]),
                1 => json!(["lg-child", "lg-root"]),
                _ => json!(["lg-root"]),
            };
            json!({ "key": format!("lg-v{n}"), "fromCity": format!("lg-{}", n % 40),
                    "toCity": format!("lg-{}", (n + 1) % 40), "startDate": "1960", "topics": topics })
        })
        .collect();
    json!({
        "topics": [
            { "key": "lg-root", "name": "Root" },
            { "key": "lg-child", "name": "Child", "parent": "lg-root" }
        ],
        "cities": cities, "partnerships": partnerships, "visits": visits
    })
}

#[tokio::test]
async fn a_large_import_counts_exactly_inside_its_transaction_and_after() {
    let app = spawn_app().await;
    let before = consistent(&app).await;
    let text = large_document().to_string();
    let document = twinning::interchange::parse(&text).expect("a valid document");
    let db = app.test_db.connect().await;
    let txn = db.begin().await.expect("begin");
    let (report, _) = twinning::interchange::import_in(&txn, &document, &|_| ())
        .await
        .expect("import");
    let kinds = twinning::store::stats::partnerships_by_kind(&txn, &Filter::everything())
        .await
        .expect("kinds");
    let sister = kinds
        .iter()
        .find(|c| c.key == "SISTER_CITY")
        .map(|c| c.count);
    assert_eq!(
        sister,
        Some(count(&before, "partnershipsByKind", "SISTER_CITY") + 39),
        "inside the import's transaction"
    );
    let topics = twinning::store::stats::visits_by_topic(&txn, &Filter::everything())
        .await
        .expect("topics");
    let root = topics.iter().find(|c| c.key == "lg-root").map(|c| c.count);
    assert_eq!(root, Some(600), "every visit counts once for the root");
    txn.commit().await.expect("commit");
    // What `import_with` does after its commit, as the report asks.
    if report.bulk {
        twinning::store::planner_statistics::refresh(&db)
            .await
            .expect("analyze");
    }
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        // PostgreSQL's planner knows the tables as the import left them.
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                "SELECT c.reltuples::bigint, (SELECT COUNT(*) FROM visit_topic) FROM pg_class c \
                 WHERE c.oid = 'visit_topic'::regclass",
            ))
            .await
            .expect("pg_class")
            .expect("a row");
        let (measured, stored): (i64, i64) = (
            row.try_get_by_index(0).expect("reltuples"),
            row.try_get_by_index(1).expect("count"),
        );
        assert!(stored >= 800, "{stored} links");
        assert_eq!(measured, stored, "the links as the planner knows them");
    }
    let after = consistent(&app).await;
    assert_eq!(count(&after, "visitsByTopic", "lg-child"), 400);
    assert_eq!(
        count(&after, "partnershipsByCountry", "IS"),
        count(&before, "partnershipsByCountry", "IS") + 37
    );

    // The triggers count again after it: one more visit on the child.
    let editor = app.key("editor", Role::Editor).await;
    let visit = json!({ "key": "lg-one-more", "fromCity": "lg-1", "toCity": "lg-2",
                        "startDate": "1961", "topics": ["lg-child"] });
    write(
        &app,
        &editor,
        IMPORT,
        json!({ "doc": { "visits": [visit] } }),
    )
    .await;
    let last = consistent(&app).await;
    assert_eq!(count(&last, "visitsByTopic", "lg-child"), 401);
    assert_eq!(count(&last, "visitsByTopic", "lg-root"), 601);
}

/// PostgreSQL: a large import pauses the triggers in its own transaction
/// only and counts anew at its end, as deltas on top of `stat_count`; a
/// write that commits between that recount and the import's commit is
/// counted once, and a paused import rolled back leaves no count behind.
#[tokio::test]
async fn a_write_beside_a_paused_import_is_counted_once() {
    if !std::env::var("TEST_DATABASE_URL").is_ok_and(|url| url.starts_with("postgres")) {
        eprintln!("needs TEST_DATABASE_URL=postgres://…; nothing to do on SQLite");
        return;
    }
    let app = spawn_app().await;
    let editor = app.key("editor", Role::Editor).await;
    let before = consistent(&app).await;
    let text = large_document().to_string();
    let document = twinning::interchange::parse(&text).expect("a valid document");
    let db = app.test_db.connect().await;

    let rolled_back = db.begin().await.expect("begin");
    twinning::interchange::import_in(&rolled_back, &document, &|_| ())
        .await
        .expect("import");
    rolled_back.rollback().await.expect("rollback");
    assert_eq!(consistent(&app).await, before, "a rolled-back import");

    let txn = db.begin().await.expect("begin");
    twinning::interchange::import_in(&txn, &document, &|_| ())
        .await
        .expect("import");
    let beside = json!({
        "topics": [{ "key": "bs-topic", "name": "Beside" }],
        "cities": [
            { "key": "bs-a", "name": "A", "countryCode": "IS" },
            { "key": "bs-b", "name": "B", "countryCode": "GL" }
        ],
        "partnerships": [{ "key": "bs-ab", "cities": ["bs-a", "bs-b"], "kind": "SISTER_CITY",
                           "status": "ACTIVE", "establishedOn": "1950",
                           "statusHistory": [{ "status": "ACTIVE", "on": "1950" }] }],
        "visits": [{ "key": "bs-v", "fromCity": "bs-a", "toCity": "bs-b", "startDate": "1960",
                     "topics": ["bs-topic"] }]
    });
    write(&app, &editor, IMPORT, json!({ "doc": beside })).await;
    txn.commit().await.expect("commit");

    let after = consistent(&app).await;
    assert_eq!(
        count(&after, "partnershipsByKind", "SISTER_CITY"),
        count(&before, "partnershipsByKind", "SISTER_CITY") + 39 + 1
    );
    assert_eq!(
        count(&after, "partnershipsByCountry", "IS"),
        count(&before, "partnershipsByCountry", "IS") + 37 + 1
    );
    assert_eq!(count(&after, "visitsByTopic", "lg-root"), 600);
    assert_eq!(count(&after, "visitsByTopic", "bs-topic"), 1);
}

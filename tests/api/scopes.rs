//! Scoped editors over HTTP: for each kind of record, an editor scoped to
//! the record's city, to the other party, to an unrelated city, and an
//! unscoped one; create, update, delete, link, import and cascade. Every
//! allowed change succeeds; every refusal is `FORBIDDEN`, names the record,
//! and leaves the database exactly as it was.

use crate::helpers::{TestApp, spawn_app};
use serde_json::{Value, json};
use twinning::domain::access::{Role, Scope};

/// The editors of the matrix: a name and its scope (`None`: unscoped).
const EDITORS: [(&str, Option<&str>); 5] = [
    ("murmansk", Some("murmansk")),
    ("harbin", Some("harbin")),
    ("gomel", Some("gomel")),
    ("kirkenes", Some("kirkenes")),
    ("unscoped", None),
];

struct Editors {
    keys: Vec<(&'static str, String)>,
}

impl Editors {
    async fn new(app: &TestApp) -> Self {
        let db = app.test_db.connect().await;
        let mut keys = Vec::new();
        for (name, scope) in EDITORS {
            let scope = scope.map(|s| Scope::parse(s).expect("a scope"));
            let new = twinning::store::api_keys::NewKey {
                name,
                role: Role::Editor,
                trusted_documents_only: false,
                scope: scope.as_ref(),
            };
            let key = twinning::store::api_keys::create_key(&db, new)
                .await
                .expect("create a key");
            keys.push((name, key));
        }
        Self { keys }
    }

    fn key(&self, name: &str) -> &str {
        &self
            .keys
            .iter()
            .find(|(n, _)| *n == name)
            .expect("an editor")
            .1
    }
}

/// Everything stored, as an export, and how many change sets there are:
/// what a refused write must leave as it was.
async fn fingerprint(app: &TestApp) -> (String, i64) {
    let db = app.test_db.connect().await;
    let document = twinning::interchange::export(&db).await.expect("export");
    (
        twinning::interchange::to_json(&document),
        app.scalar("SELECT COUNT(*) FROM change_set").await,
    )
}

/// A stored record in the interchange format.
async fn stored(app: &TestApp, plural: &str, key: &str) -> Value {
    let (text, _) = fingerprint(app).await;
    let document: Value = serde_json::from_str(&text).expect("JSON");
    document[plural]
        .as_array()
        .and_then(|records| records.iter().find(|r| r["key"] == key))
        .cloned()
        .unwrap_or_else(|| panic!("no {plural} {key}"))
}

/// One write tried by each editor: `allowed` must succeed, the others be
/// refused with `FORBIDDEN` naming `record`, with nothing written. `before`
/// runs (unscoped) before each try, `after` after each success.
struct Case<'a> {
    what: &'a str,
    /// The records a refusal may name (a document's first record out of
    /// the editor's scope).
    records: &'a [&'a str],
    query: &'a str,
    variables: &'a dyn Fn(&str) -> Value,
    allowed: &'a [&'a str],
    before: Option<(&'a str, Value)>,
    after: Option<(&'a str, Value)>,
}

async fn run(app: &TestApp, editors: &Editors, case: Case<'_>) {
    for (name, _) in EDITORS {
        if let Some((query, variables)) = &case.before {
            app.data_as(editors.key("unscoped"), query, variables.clone())
                .await;
        }
        let was = fingerprint(app).await;
        let body = app
            .gql_as(editors.key(name), case.query, (case.variables)(name))
            .await;
        let what = format!("{} by the {name} editor", case.what);
        if case.allowed.contains(&name) {
            assert!(body.get("errors").is_none(), "{what}: {body:#}");
            let payload = body["data"].as_object().and_then(|d| d.values().next());
            let errors = payload.map(|p| p["userErrors"].clone());
            assert_eq!(errors, Some(json!([])), "{what}: {body:#}");
            assert_ne!(fingerprint(app).await, was, "{what} changed nothing");
            if let Some((query, variables)) = &case.after {
                app.data_as(editors.key("unscoped"), query, variables.clone())
                    .await;
            }
        } else {
            let error = &body["errors"][0];
            assert_eq!(error["extensions"]["code"], "FORBIDDEN", "{what}: {body:#}");
            let message = error["message"].as_str().unwrap_or_default();
            assert!(
                case.records.iter().any(|r| message.contains(r)),
                "{what}: {message}"
            );
            assert_eq!(fingerprint(app).await, was, "{what} wrote something");
        }
    }
}

/// `update<Type>` of a stored record with `field` set to a new value.
async fn update_case(
    app: &TestApp,
    editors: &Editors,
    (type_name, plural, field): (&str, &str, &str),
    key: &str,
    allowed: &[&str],
) {
    let record = stored(app, plural, key).await;
    let singular = type_name.to_lowercase();
    let query = format!(
        "mutation ($r: {type_name}Input!) {{ update{type_name}(input: {{ {singular}: $r }}) {{ userErrors {{ code message }} }} }}"
    );
    let variables = |who: &str| {
        let mut changed = record.clone();
        changed[field] = if field == "population" {
            json!(1000 + who.len())
        } else {
            json!(format!("changed by the {who} editor"))
        };
        json!({ "r": changed })
    };
    let case = Case {
        what: &format!("update{type_name} {key}"),
        records: &[key],
        query: &query,
        variables: &variables,
        allowed,
        before: None,
        after: None,
    };
    run(app, editors, case).await;
}

/// `create<Type>` of `record`, deleted again (unscoped) after each success.
async fn create_case(
    app: &TestApp,
    editors: &Editors,
    type_name: &str,
    record: Value,
    allowed: &[&str],
) {
    let key = record["key"].as_str().expect("a key").to_owned();
    let query = format!(
        "mutation ($r: {type_name}Input!) {{ create{type_name}(input: $r) {{ userErrors {{ code message }} }} }}"
    );
    let delete = format!(
        "mutation ($k: String!) {{ delete{type_name}(input: {{ key: $k }}) {{ userErrors {{ code }} }} }}"
    );
    let variables = |_: &str| json!({ "r": record });
    let case = Case {
        what: &format!("create{type_name} {key}"),
        records: &[&key],
        query: &query,
        variables: &variables,
        allowed,
        before: None,
        after: Some((&delete, json!({ "k": key }))),
    };
    run(app, editors, case).await;
}

/// `delete<Type>` of `record`, imported (unscoped) before each try.
async fn delete_case(
    app: &TestApp,
    editors: &Editors,
    (type_name, plural): (&str, &str),
    record: Value,
    allowed: &[&str],
) {
    let key = record["key"].as_str().expect("a key").to_owned();
    let query = format!(
        "mutation ($k: String!) {{ delete{type_name}(input: {{ key: $k }}) {{ userErrors {{ code message }} }} }}"
    );
    let variables = |_: &str| json!({ "k": key });
    let case = Case {
        what: &format!("delete{type_name} {key}"),
        records: &[&key],
        query: &query,
        variables: &variables,
        allowed,
        before: Some((IMPORT, json!({ "d": { plural: [record] } }))),
        after: None,
    };
    run(app, editors, case).await;
}

const IMPORT: &str =
    "mutation ($d: JSON!) { importDocument(document: $d) { userErrors { code message } } }";

#[tokio::test]
async fn updates_are_allowed_to_editors_of_a_city_the_record_belongs_to() {
    let app = spawn_app().await;
    let editors = Editors::new(&app).await;
    let (h, m, u) = ("harbin", "murmansk", "unscoped");
    for (kind, key, allowed) in [
        (("City", "cities", "population"), "harbin", &[h, u][..]),
        (
            ("Organization", "organizations", "name"),
            "harbin-foreign-affairs-office",
            &[h, u],
        ),
        (
            ("Partnership", "partnerships", "notes"),
            "murmansk-harbin",
            &[m, h, u],
        ),
        (
            ("Visit", "visits", "summary"),
            "murmansk-harbin-visit-2014-03",
            &[m, h, u],
        ),
        (
            ("Protocol", "protocols", "summary"),
            "murmansk-harbin-protocol-2014-03-11",
            &[m, h, u],
        ),
        (
            ("Event", "events", "description"),
            "harbin-snow-and-ice-festival-2020",
            &[h, u],
        ),
        (("Topic", "topics", "description"), "archives", &[u]),
        (
            ("Source", "sources", "publisher"),
            "baikal24-2023-10-19",
            &[u],
        ),
    ] {
        update_case(&app, &editors, kind, key, allowed).await;
    }
}

/// New records between Harbin and Gomel: Harbin's and Gomel's editors may
/// create them, Murmansk's may not.
#[tokio::test]
async fn creates_are_allowed_to_editors_of_a_city_the_new_record_belongs_to() {
    let app = spawn_app().await;
    let editors = Editors::new(&app).await;
    let (h, g, m, k, u) = ("harbin", "gomel", "murmansk", "kirkenes", "unscoped");
    let cases = [
        (
            "City",
            json!({ "key": "kirkenes", "name": "Kirkenes", "countryCode": "NO" }),
            &[k, u][..],
        ),
        (
            "Organization",
            json!({ "key": "harbin-zoo", "name": "Harbin Zoo", "kind": "OTHER", "city": "harbin" }),
            &[h, u],
        ),
        (
            "Partnership",
            json!({ "key": "harbin-gomel", "cities": ["harbin", "gomel"], "kind": "SISTER_CITY", "status": "PROPOSED" }),
            &[h, g, u],
        ),
        (
            "Visit",
            json!({ "key": "harbin-gomel-visit-2025", "fromCity": "harbin", "toCity": "gomel", "startDate": "2025" }),
            &[h, g, u],
        ),
        (
            "Protocol",
            json!({ "key": "harbin-gomel-memorandum-2025", "kind": "MEMORANDUM", "title": "Memorandum", "parties": ["harbin", "gomel"] }),
            &[h, g, u],
        ),
        (
            "Event",
            json!({ "key": "gomel-fair-2025", "name": "Gomel fair", "kind": "FESTIVAL", "hostCity": "gomel", "startDate": "2025" }),
            &[g, u],
        ),
        (
            "Topic",
            json!({ "key": "ice-hockey", "name": "Ice hockey" }),
            &[h, g, m, k, u],
        ),
        (
            "Source",
            json!({ "key": "gomel-news-2025", "title": "Gomel news" }),
            &[h, g, m, k, u],
        ),
    ];
    for (type_name, record, allowed) in cases {
        create_case(&app, &editors, type_name, record, allowed).await;
    }
}

#[tokio::test]
async fn deletes_are_allowed_to_editors_of_a_city_the_record_belongs_to() {
    let app = spawn_app().await;
    let editors = Editors::new(&app).await;
    let (h, g, k, u) = ("harbin", "gomel", "kirkenes", "unscoped");
    let cases = [
        (
            ("City", "cities"),
            json!({ "key": "kirkenes", "name": "Kirkenes", "countryCode": "NO" }),
            &[k, u][..],
        ),
        (
            ("Visit", "visits"),
            json!({ "key": "harbin-gomel-visit-2025", "fromCity": "harbin", "toCity": "gomel", "startDate": "2025" }),
            &[h, g, u],
        ),
        (
            ("Event", "events"),
            json!({ "key": "gomel-fair-2025", "name": "Gomel fair", "kind": "FESTIVAL", "hostCity": "gomel", "startDate": "2025" }),
            &[g, u],
        ),
        (
            ("Topic", "topics"),
            json!({ "key": "ice-hockey", "name": "Ice hockey" }),
            &[u],
        ),
    ];
    for (kind, record, allowed) in cases {
        delete_case(&app, &editors, kind, record, allowed).await;
    }
}

#[tokio::test]
async fn links_change_the_record_linked_to_so_its_cities_decide() {
    let app = spawn_app().await;
    let editors = Editors::new(&app).await;
    let link = r#"mutation { link(input: { record: { partnership: "harbin-vladivostok" }, topics: ["archives"] }) { userErrors { code message } } }"#;
    let unlink = r#"mutation { unlink(input: { record: { partnership: "harbin-vladivostok" }, topics: ["archives"] }) { userErrors { code } } }"#;
    let variables = |_: &str| json!({});
    let case = Case {
        what: "link harbin-vladivostok to a shared topic",
        records: &["harbin-vladivostok"],
        query: link,
        variables: &variables,
        allowed: &["harbin", "unscoped"],
        before: None,
        after: Some((unlink, json!({}))),
    };
    run(&app, &editors, case).await;
}

/// A document is checked whole: one record outside the scope refuses all
/// of it, and names that record.
#[tokio::test]
async fn an_import_with_one_record_out_of_scope_writes_nothing() {
    let app = spawn_app().await;
    let editors = Editors::new(&app).await;
    let document = json!({
        "topics": [{ "key": "ice-hockey", "name": "Ice hockey" }],
        "visits": [
            { "key": "harbin-murmansk-visit-2025", "fromCity": "harbin", "toCity": "murmansk", "startDate": "2025" },
            { "key": "harbin-gomel-visit-2025", "fromCity": "harbin", "toCity": "gomel", "startDate": "2025" },
        ],
    });
    let cleanup = r#"mutation { a: deleteVisit(input: { key: "harbin-murmansk-visit-2025" }) { userErrors { code } }
        b: deleteVisit(input: { key: "harbin-gomel-visit-2025" }) { userErrors { code } }
        c: deleteTopic(input: { key: "ice-hockey" }) { userErrors { code } } }"#;
    let variables = |_: &str| json!({ "d": document });
    let case = Case {
        what: "importDocument of two visits",
        records: &["harbin-gomel-visit-2025", "harbin-murmansk-visit-2025"],
        query: IMPORT,
        variables: &variables,
        allowed: &["harbin", "unscoped"],
        before: None,
        after: Some((cleanup, json!({}))),
    };
    run(&app, &editors, case).await;
    // A dry run is refused the same way.
    let dry = "mutation ($d: JSON!) { importDocument(document: $d, dryRun: true) { userErrors { code } } }";
    let body = app
        .gql_as(editors.key("murmansk"), dry, json!({ "d": document }))
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    assert_eq!(
        body["errors"][0]["message"],
        "visit harbin-gomel-visit-2025 involves no city in this key's scope (murmansk)"
    );
}

/// Deleting Murmansk's festival with `cascade` takes it off the lists of
/// the visits that attended it: allowed while those are Murmansk's visits,
/// refused once a visit of Harbin and Vladivostok attended it too.
#[tokio::test]
async fn a_cascade_that_reaches_out_of_scope_is_refused() {
    let app = spawn_app().await;
    let editors = Editors::new(&app).await;
    let outsider = json!({ "visits": [{ "key": "harbin-vladivostok-visit-2016", "fromCity": "harbin",
        "toCity": "vladivostok", "startDate": "2016-09", "events": ["gulf-stream-festival-2016"] }] });
    app.data_as(editors.key("unscoped"), IMPORT, json!({ "d": outsider }))
        .await;
    let delete = r#"mutation { deleteEvent(input: { key: "gulf-stream-festival-2016", cascade: true }) { deletedKey cascaded userErrors { code message } } }"#;
    let was = fingerprint(&app).await;
    let body = app.gql_as(editors.key("murmansk"), delete, json!({})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body:#}"
    );
    assert_eq!(
        body["errors"][0]["message"],
        "visit harbin-vladivostok-visit-2016 involves no city in this key's scope (murmansk)"
    );
    assert_eq!(fingerprint(&app).await, was);

    app.data_as(
        editors.key("unscoped"),
        r#"mutation { deleteVisit(input: { key: "harbin-vladivostok-visit-2016" }) { userErrors { code } } }"#,
        json!({}),
    )
    .await;
    let body = app.gql_as(editors.key("murmansk"), delete, json!({})).await;
    assert_eq!(
        body["data"]["deleteEvent"]["deletedKey"], "gulf-stream-festival-2016",
        "{body:#}"
    );
}

/// The change history says which scope a write was made under.
#[tokio::test]
async fn the_history_records_the_scope_of_each_write() {
    let app = spawn_app().await;
    let editors = Editors::new(&app).await;
    let admin = app.key("admin", Role::Admin).await;
    let topic = r#"mutation ($k: String!) { createTopic(input: { key: $k, name: "T" }) { userErrors { code } } }"#;
    app.data_as(editors.key("murmansk"), topic, json!({ "k": "scoped" }))
        .await;
    app.data_as(editors.key("unscoped"), topic, json!({ "k": "unscoped" }))
        .await;
    let changes = app
        .data_as(
            &admin,
            "{ changes(first: 2) { nodes { recordKey actor scope } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        changes["changes"]["nodes"],
        json!([
            { "recordKey": "unscoped", "actor": "unscoped", "scope": null },
            { "recordKey": "scoped", "actor": "murmansk", "scope": ["murmansk"] },
        ])
    );
    let history = app
        .data_as(
            &admin,
            r#"{ topic(key: "scoped") { history(first: 1) { nodes { actor scope } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        history["topic"]["history"]["nodes"],
        json!([{ "actor": "murmansk", "scope": ["murmansk"] }])
    );
}

/// `createApiKey` takes a scope for editor keys, and the key it makes is
/// held to it.
#[tokio::test]
async fn create_api_key_takes_a_scope_for_editors_only() {
    let app = spawn_app().await;
    let admin = app.key("admin", Role::Admin).await;
    let create = "mutation ($i: CreateApiKeyInput!) { createApiKey(input: $i) {
        key apiKey { name role scope } userErrors { field code message } } }";
    let made = app
        .data_as(
            &admin,
            create,
            json!({ "i": { "name": "murmansk-office", "role": "EDITOR", "scope": ["murmansk", "kirkenes"] } }),
        )
        .await;
    assert_eq!(
        made["createApiKey"]["apiKey"],
        json!({ "name": "murmansk-office", "role": "EDITOR", "scope": ["kirkenes", "murmansk"] })
    );
    let key = made["createApiKey"]["key"].as_str().expect("a key");
    let body = app
        .gql_as(
            key,
            r#"mutation { deleteVisit(input: { key: "harbin-vladivostok-visit-0" }) { userErrors { code } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["deleteVisit"]["userErrors"][0]["code"],
        "NOT_FOUND"
    );
    let city = stored(&app, "cities", "harbin").await;
    let body = app
        .gql_as(
            key,
            "mutation ($c: CityInput!) { updateCity(input: { city: $c }) { userErrors { code } } }",
            json!({ "c": city }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    assert_eq!(
        body["errors"][0]["message"],
        "city harbin involves no city in this key's scope (kirkenes,murmansk)"
    );

    for (input, message) in [
        (
            json!({ "name": "a", "role": "ADMIN", "scope": ["murmansk"] }),
            "only editor keys take a scope, not admin keys",
        ),
        (
            json!({ "name": "b", "role": "EDITOR", "scope": ["Murmansk"] }),
            "\"Murmansk\" is not a city key (lowercase letters, digits and hyphens)",
        ),
        (
            json!({ "name": "c", "role": "EDITOR", "scope": [] }),
            "a scope names at least one city key",
        ),
    ] {
        let refused = app.data_as(&admin, create, json!({ "i": input })).await;
        assert_eq!(
            refused["createApiKey"]["userErrors"],
            json!([{ "field": ["input", "scope"], "code": "INVALID_VALUE", "message": message }])
        );
    }
}

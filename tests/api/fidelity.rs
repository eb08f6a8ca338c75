//! The schema says the same thing the same way everywhere: partial dates
//! read in one shape and order by one rule, every connection pages both
//! ways, a city's list of partnerships names the other city, and filters
//! are named after the fields they filter.

use crate::helpers::spawn_app;
use serde_json::{Value, json};

fn keys(nodes: &Value) -> Vec<String> {
    nodes
        .as_array()
        .expect("a list")
        .iter()
        .map(|n| n.to_string())
        .collect()
}

/// Checks a date span against the partial date it stands for.
fn assert_span(date: &Value, span: &Value, what: &str) {
    if date.is_null() {
        assert!(span.is_null(), "{what}: a span without a date: {span}");
        return;
    }
    let value = date.as_str().expect("a partial date");
    assert_eq!(span["value"], *date, "{what}");
    let precision = match value.len() {
        4 => "YEAR",
        7 => "MONTH",
        _ => "DAY",
    };
    assert_eq!(span["precision"], precision, "{what}: {span}");
    let (start, end) = (span["start"].as_str(), span["end"].as_str());
    let (start, end) = (start.expect("start"), end.expect("end"));
    assert!(
        start.starts_with(value) && end.starts_with(value),
        "{what}: {span}"
    );
    assert!(start <= end, "{what}: {span}");
}

#[tokio::test]
async fn every_partial_date_reads_with_its_precision_and_span() {
    let app = spawn_app().await;
    let span = "{ value precision start end }";
    let query = format!(
        r#"{{
        partnerships(first: 100) {{ nodes {{
            key proposedOn proposed {span} establishedOn established {span} endedOn ended {span}
            statusHistory(first: 100) {{ nodes {{ on date {span} }} }}
        }} }}
        visits(first: 100) {{ nodes {{ startDate start {span} endDate end {span} }} }}
        protocols(first: 100) {{ nodes {{ signedOn signed {span} }} }}
        events(first: 100) {{ nodes {{ startDate start {span} endDate end {span} }} }}
        sources(first: 100) {{ nodes {{ publishedOn published {span} }} }}
    }}"#
    );
    let data = app.data(&query, json!({})).await;
    let mut checked = 0;
    let mut check = |list: &Value, pairs: &[(&str, &str)]| {
        for node in list.as_array().expect("nodes") {
            for (date, span) in pairs {
                assert_span(&node[*date], &node[*span], &format!("{date} of {node}"));
                checked += usize::from(!node[*date].is_null());
            }
        }
    };
    let partnerships = &data["partnerships"]["nodes"];
    check(
        partnerships,
        &[
            ("proposedOn", "proposed"),
            ("establishedOn", "established"),
            ("endedOn", "ended"),
        ],
    );
    for partnership in partnerships.as_array().expect("partnerships") {
        check(&partnership["statusHistory"]["nodes"], &[("on", "date")]);
    }
    let start_end = [("startDate", "start"), ("endDate", "end")];
    check(&data["visits"]["nodes"], &start_end);
    check(&data["events"]["nodes"], &start_end);
    check(&data["protocols"]["nodes"], &[("signedOn", "signed")]);
    check(&data["sources"]["nodes"], &[("publishedOn", "published")]);
    assert!(checked > 50, "the founding example has dates of every kind");
}

#[tokio::test]
async fn sister_cities_and_lists_order_partial_dates_by_their_first_day() {
    let app = spawn_app().await;
    let data = app
        .data(
            r#"{ city(key: "murmansk") {
                sisterCities(includeEnded: true) { partnership { key } }
                partnerships(first: 100, orderBy: ESTABLISHED, filter: { kinds: [SISTER_CITY] }) {
                    nodes { key establishedOn }
                }
            } }"#,
            json!({}),
        )
        .await;
    let sisters: Vec<&str> = data["city"]["sisterCities"]
        .as_array()
        .expect("sisters")
        .iter()
        .map(|s| s["partnership"]["key"].as_str().expect("key"))
        .collect();
    let listed: Vec<&str> = data["city"]["partnerships"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter(|p| sisters.contains(&p["key"].as_str().unwrap_or_default()))
        .map(|p| p["key"].as_str().expect("key"))
        .collect();
    assert_eq!(sisters, listed, "one order for partial dates");
    let lulea = sisters.iter().position(|k| *k == "murmansk-lulea");
    let tromso = sisters.iter().position(|k| *k == "murmansk-tromso");
    assert!(
        lulea < tromso,
        "\"1972\" begins before 1972-07-10: {sisters:?}"
    );
}

const TIMELINE: &str = r#"query ($first: Int, $after: String, $last: Int, $before: String) {
    partnership(key: "murmansk-harbin") {
        timeline(first: $first, after: $after, last: $last, before: $before) {
            totalCount
            pageInfo { hasPreviousPage hasNextPage startCursor endCursor }
            edges { cursor node { __typename ... on Visit { key } ... on Protocol { key } ... on Event { key } ... on StatusChange { status on } } }
        }
    }
}"#;

#[tokio::test]
async fn the_timeline_pages_backwards_as_every_connection_does() {
    let app = spawn_app().await;
    let page = |variables: Value| {
        let app = &app;
        async move { app.data(TIMELINE, variables).await["partnership"]["timeline"].clone() }
    };
    let whole = page(json!({ "first": 100 })).await;
    let edges = whole["edges"].as_array().expect("edges").clone();
    let total = edges.len();
    assert!(total >= 6, "{whole}");
    assert_eq!(whole["totalCount"], total);

    let last = page(json!({ "last": 3 })).await;
    assert_eq!(keys(&last["edges"]), keys(&json!(edges[total - 3..])));
    assert_eq!(last["pageInfo"]["hasPreviousPage"], true);
    assert_eq!(last["pageInfo"]["hasNextPage"], false);

    // Backwards from there, page by page, to the start.
    let mut seen: Vec<String> = keys(&last["edges"]);
    let mut before = last["pageInfo"]["startCursor"].clone();
    while seen.len() < total {
        let earlier = page(json!({ "last": 2, "before": before })).await;
        let mut got = keys(&earlier["edges"]);
        assert!(!got.is_empty(), "{earlier}");
        got.extend(seen);
        seen = got;
        assert_eq!(earlier["pageInfo"]["hasPreviousPage"], seen.len() < total);
        assert_eq!(earlier["pageInfo"]["hasNextPage"], true);
        before = earlier["pageInfo"]["startCursor"].clone();
    }
    assert_eq!(seen, keys(&whole["edges"]));

    // Between two cursors, from either end.
    let after = edges[1]["cursor"].clone();
    let before = edges[5]["cursor"].clone();
    let forwards = page(json!({ "first": 10, "after": after, "before": before })).await;
    assert_eq!(keys(&forwards["edges"]), keys(&json!(edges[2..5])));
    let backwards = page(json!({ "last": 2, "after": after, "before": before })).await;
    assert_eq!(keys(&backwards["edges"]), keys(&json!(edges[3..5])));

    // A cursor of another list is refused, naming the argument.
    let cities = app
        .data("{ cities(first: 1) { pageInfo { endCursor } } }", json!({}))
        .await;
    let foreign = cities["cities"]["pageInfo"]["endCursor"].clone();
    let body = app
        .gql(TIMELINE, json!({ "last": 2, "before": foreign }))
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("`before`")
    );
}

#[tokio::test]
async fn a_citys_partnerships_name_the_other_city_on_each_edge() {
    let app = spawn_app().await;
    let data = app
        .data(
            r#"{ city(key: "murmansk") { partnerships(first: 100) {
                edges { partner { key } node { key cities { key } partner(of: "murmansk") { key } } }
            } } }"#,
            json!({}),
        )
        .await;
    let edges = data["city"]["partnerships"]["edges"]
        .as_array()
        .expect("edges");
    assert!(edges.len() > 10, "{data}");
    for edge in edges {
        let partner = &edge["partner"]["key"];
        assert_ne!(partner, "murmansk", "{edge}");
        assert_eq!(*partner, edge["node"]["partner"]["key"], "{edge}");
        let cities = edge["node"]["cities"].as_array().expect("cities");
        assert!(cities.contains(&json!({ "key": partner })), "{edge}");
    }
}

/// The keys of `list(filter: $filter)`, sorted.
async fn filtered(app: &crate::helpers::TestApp, list: &str, filter: Value) -> Vec<String> {
    let query = format!(
        "query ($filter: {}Filter) {{ {list}(first: 100, filter: $filter) {{ nodes {{ key }} }} }}",
        filter_type(list)
    );
    let data = app.data(&query, json!({ "filter": filter })).await;
    let mut keys: Vec<String> = data[list]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["key"].as_str().expect("key").to_owned())
        .collect();
    keys.sort();
    keys
}

fn filter_type(list: &str) -> &'static str {
    match list {
        "protocols" => "Protocol",
        "partnerships" => "Partnership",
        "events" => "Event",
        "visits" => "Visit",
        "organizations" => "Organization",
        "topics" => "Topic",
        "sources" => "Source",
        _ => "City",
    }
}

#[tokio::test]
async fn filters_are_named_after_their_fields_and_old_names_still_work() {
    let app = spawn_app().await;
    // (list, new filter, the same filter under its old, deprecated name)
    let renamed = [
        (
            "protocols",
            json!({ "signedOn": { "from": "2015", "to": "2016" } }),
            json!({ "signed": { "from": "2015", "to": "2016" } }),
        ),
        (
            "partnerships",
            json!({ "establishedOn": { "to": "1990" } }),
            json!({ "established": { "to": "1990" } }),
        ),
        (
            "events",
            json!({ "hostCities": ["murmansk"] }),
            json!({ "hostCity": "murmansk" }),
        ),
        (
            "visits",
            json!({ "fromCities": ["harbin"] }),
            json!({ "fromCity": "harbin" }),
        ),
        (
            "visits",
            json!({ "toCities": ["harbin"] }),
            json!({ "toCity": "harbin" }),
        ),
        (
            "visits",
            json!({ "partnerships": ["murmansk-harbin"] }),
            json!({ "partnership": "murmansk-harbin" }),
        ),
        (
            "protocols",
            json!({ "partnerships": ["murmansk-harbin"] }),
            json!({ "partnership": "murmansk-harbin" }),
        ),
        (
            "organizations",
            json!({ "cities": ["murmansk"] }),
            json!({ "city": "murmansk" }),
        ),
        (
            "topics",
            json!({ "parents": ["health-care"] }),
            json!({ "parent": "health-care" }),
        ),
    ];
    for (list, new, old) in renamed {
        let by_new = filtered(&app, list, new.clone()).await;
        assert!(!by_new.is_empty(), "{list} {new} finds something");
        assert_eq!(by_new, filtered(&app, list, old).await, "{list} {new}");
    }
    // A list matches any of its values.
    let both = filtered(
        &app,
        "visits",
        json!({ "fromCities": ["harbin", "murmansk"] }),
    )
    .await;
    let mut each = filtered(&app, "visits", json!({ "fromCities": ["harbin"] })).await;
    each.extend(filtered(&app, "visits", json!({ "fromCities": ["murmansk"] })).await);
    each.sort();
    assert_eq!(both, each);

    let data = app
        .data(
            r#"{ __type(name: "ProtocolFilter") { inputFields(includeDeprecated: true) { name isDeprecated deprecationReason } } }"#,
            json!({}),
        )
        .await;
    let fields = data["__type"]["inputFields"].as_array().expect("fields");
    let signed = fields
        .iter()
        .find(|f| f["name"] == "signed")
        .expect("signed");
    assert_eq!(signed["isDeprecated"], true);
    assert!(
        signed["deprecationReason"]
            .as_str()
            .unwrap_or_default()
            .contains("signedOn")
    );
    let signed_on = fields
        .iter()
        .find(|f| f["name"] == "signedOn")
        .expect("signedOn");
    assert_eq!(signed_on["isDeprecated"], false);
}

#[tokio::test]
async fn a_date_required_when_written_is_never_null_when_read() {
    let app = spawn_app().await;
    let data = app
        .data(
            r#"{ t: __type(name: "Event") { fields { name type { kind } } }
                 i: __type(name: "EventInput") { inputFields { name type { kind } } } }"#,
            json!({}),
        )
        .await;
    let kind = |list: &Value, name: &str| {
        list.as_array()
            .expect("fields")
            .iter()
            .find(|f| f["name"] == name)
            .map(|f| f["type"]["kind"].clone())
    };
    for field in ["startDate", "hostCity", "name", "kind"] {
        assert_eq!(
            kind(&data["i"]["inputFields"], field),
            Some(json!("NON_NULL"))
        );
        assert_eq!(
            kind(&data["t"]["fields"], field),
            Some(json!("NON_NULL")),
            "Event.{field}"
        );
    }
}

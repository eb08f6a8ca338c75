//! `search` over HTTP on the founding example: pages both ways with a
//! total, one interface for every kind of result, the fields that matched
//! with highlighted fragments, and one ranking, checked against its
//! definition, on whichever database the suite runs.

use crate::helpers::{TestApp, spawn_app};
use serde_json::{Value, json};
use twinning::domain::search_text::form;

const PAGE: &str = r#"query ($q: String!, $types: [SearchType!], $first: Int, $after: String, $last: Int, $before: String) {
  search(query: $q, types: $types, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges {
      cursor
      textMatches { field fragment highlights { text start end } }
      node { __typename ... on SearchResult { id key title } }
    }
  }
}"#;

/// `Type:key` of each edge's node.
fn names(search: &Value) -> Vec<String> {
    search["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| format!("{}:{}", e["node"]["__typename"], e["node"]["key"]).replace('"', ""))
        .collect()
}

async fn page(app: &TestApp, variables: Value) -> Value {
    app.data(PAGE, variables).await["search"].clone()
}

#[tokio::test]
async fn search_pages_forwards_and_backwards_and_counts_every_result() {
    let app = spawn_app().await;
    let all = page(&app, json!({ "q": "murmansk", "first": 100 })).await;
    let everything = names(&all);
    assert!(everything.len() > 6, "{all}");
    assert_eq!(all["totalCount"], everything.len(), "{all}");
    assert_eq!(all["pageInfo"]["hasNextPage"], false);

    let mut forwards = Vec::new();
    let mut after = Value::Null;
    loop {
        let p = page(&app, json!({ "q": "murmansk", "first": 3, "after": after })).await;
        assert_eq!(p["totalCount"], everything.len());
        assert_eq!(p["pageInfo"]["hasPreviousPage"], !forwards.is_empty());
        forwards.extend(names(&p));
        if p["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = p["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(forwards, everything);

    let mut backwards: Vec<String> = Vec::new();
    let mut before = Value::Null;
    loop {
        let p = page(
            &app,
            json!({ "q": "murmansk", "last": 3, "before": before }),
        )
        .await;
        assert_eq!(p["pageInfo"]["hasNextPage"], !backwards.is_empty());
        let mut got = names(&p);
        got.append(&mut backwards);
        backwards = got;
        if p["pageInfo"]["hasPreviousPage"] == false {
            break;
        }
        before = p["pageInfo"]["startCursor"].clone();
    }
    assert_eq!(backwards, everything);

    // Between two cursors, and the total of one kind.
    let edges = all["edges"].as_array().expect("edges");
    let between = page(
        &app,
        json!({ "q": "murmansk", "after": edges[1]["cursor"], "before": edges[5]["cursor"] }),
    )
    .await;
    assert_eq!(names(&between), everything[2..5]);
    let cities = page(&app, json!({ "q": "murmansk", "types": ["CITY"] })).await;
    let city_count = everything.iter().filter(|n| n.starts_with("City:")).count();
    assert_eq!(cities["totalCount"], city_count);
    assert_eq!(names(&cities).len(), city_count);
}

#[tokio::test]
async fn every_result_is_read_through_the_search_result_interface() {
    let app = spawn_app().await;
    let data = app
        .data(
            r#"{ search(query: "harbin", first: 100) { nodes { __typename
                 ... on SearchResult { id key title sources(first: 100) { totalCount nodes { key } } } } } }"#,
            json!({}),
        )
        .await;
    let nodes = data["search"]["nodes"].as_array().expect("nodes").clone();
    let kinds: std::collections::BTreeSet<&str> = nodes
        .iter()
        .map(|n| n["__typename"].as_str().expect("typename"))
        .collect();
    assert!(kinds.len() >= 4, "{kinds:?}");
    for node in &nodes {
        let title = node["title"].as_str().expect("a title");
        assert!(!title.is_empty(), "{node}");
        // The id is the record's global id, and `sources` its citations.
        let typename = node["__typename"].as_str().expect("typename");
        let field = typename.to_lowercase();
        let check = app
            .data(
                &format!(
                    r#"query ($id: ID!, $key: String!) {{ node(id: $id) {{ __typename ... on SearchResult {{ key }} }}
                        record: {field}(key: $key) {{ __typename }} }}"#
                ),
                json!({ "id": node["id"], "key": node["key"] }),
            )
            .await;
        assert_eq!(check["node"]["key"], node["key"], "{node}");
        assert_eq!(check["node"]["__typename"], typename);
        if matches!(typename, "Topic" | "Source") {
            assert_eq!(node["sources"]["totalCount"], 0, "{node}");
        }
    }
    let cited = app
        .data(
            r#"{ city(key: "harbin") { title name sources(first: 100) { totalCount } }
                 visit(key: "harbin-murmansk-visit-2016-05") { title fromCity { name } toCity { name } startDate }
                 partnership(key: "murmansk-harbin") { title cities { name } } }"#,
            json!({}),
        )
        .await;
    let harbin = nodes
        .iter()
        .find(|n| n["__typename"] == "City" && n["key"] == "harbin")
        .expect("the city of Harbin");
    assert_eq!(
        harbin["sources"]["totalCount"],
        cited["city"]["sources"]["totalCount"]
    );
    assert_eq!(cited["city"]["title"], cited["city"]["name"]);
    let visit = &cited["visit"];
    assert_eq!(
        visit["title"],
        format!(
            "{} → {}, {}",
            visit["fromCity"]["name"].as_str().expect("name"),
            visit["toCity"]["name"].as_str().expect("name"),
            visit["startDate"].as_str().expect("date")
        )
    );
    let partnership = &cited["partnership"];
    assert_eq!(
        partnership["title"],
        format!(
            "{} – {}",
            partnership["cities"][0]["name"].as_str().expect("name"),
            partnership["cities"][1]["name"].as_str().expect("name")
        )
    );
}

/// Each highlight is the stretch of its fragment it says, and starts with
/// a query word, case and accents aside.
fn assert_highlights_hold(search: &Value, words: &[String]) {
    for edge in search["edges"].as_array().expect("edges") {
        let matches = edge["textMatches"].as_array().expect("textMatches");
        assert!(!matches.is_empty(), "no text match: {edge}");
        for m in matches {
            let fragment: Vec<char> = m["fragment"].as_str().expect("fragment").chars().collect();
            let highlights = m["highlights"].as_array().expect("highlights");
            assert!(!highlights.is_empty(), "{m}");
            for h in highlights {
                let (start, end) = (
                    h["start"].as_u64().expect("start") as usize,
                    h["end"].as_u64().expect("end") as usize,
                );
                let shown: String = fragment[start..end].iter().collect();
                assert_eq!(shown, h["text"].as_str().expect("text"), "{m}");
                assert!(
                    words.iter().any(|w| form(&shown).starts_with(w.as_str())),
                    "{shown:?} matches none of {words:?}"
                );
            }
        }
    }
}

#[tokio::test]
async fn each_result_names_the_fields_that_matched_with_highlighted_fragments() {
    let app = spawn_app().await;
    let palsy = page(&app, json!({ "q": "cerebral palsy", "first": 100 })).await;
    assert_highlights_hold(&palsy, &["cerebral".into(), "palsy".into()]);
    let visit = palsy["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .find(|e| e["node"]["key"] == "harbin-murmansk-visit-2016-05")
        .expect("the 2016 visit");
    let summary = visit["textMatches"]
        .as_array()
        .expect("matches")
        .iter()
        .find(|m| m["field"] == "summary")
        .expect("a match in the summary");
    let words: Vec<&str> = summary["highlights"]
        .as_array()
        .expect("highlights")
        .iter()
        .map(|h| h["text"].as_str().expect("text"))
        .collect();
    assert_eq!(words, ["cerebral", "palsy"], "{summary}");

    // Another script, and a name without its accent.
    for (query, field, fragment) in [
        ("Мурманск", "nativeName", "Мурманск"),
        ("LULEA", "name", "Luleå"),
        ("luleå", "name", "Luleå"),
    ] {
        let found = page(&app, json!({ "q": query, "first": 1 })).await;
        assert_highlights_hold(&found, &[form(query)]);
        let first = &found["edges"][0];
        assert_eq!(first["node"]["__typename"], "City", "{query}: {found}");
        let m = &first["textMatches"][0];
        assert_eq!(
            (m["field"].as_str(), m["fragment"].as_str()),
            (Some(field), Some(fragment)),
            "{query}: {found}"
        );
    }
}

/// Fields that name a record; a word found in one ranks higher.
const NAMING: [&str; 6] = [
    "name",
    "nativeName",
    "translations",
    "title",
    "purpose",
    "cities",
];
/// Kinds in the order equal scores take.
const KINDS: [&str; 8] = [
    "City",
    "Partnership",
    "Visit",
    "Protocol",
    "Event",
    "Topic",
    "Organization",
    "Source",
];

/// A result's score by the documented rule, from what it says matched:
/// per query word, the cheapest match (0 a whole word in a naming field,
/// 1 the start of one, 2 and 3 the same elsewhere), summed.
fn score(edge: &Value, words: &[String]) -> u64 {
    let matches = edge["textMatches"].as_array().expect("textMatches");
    words
        .iter()
        .map(|word| {
            matches
                .iter()
                .flat_map(|m| {
                    let tier = u64::from(!NAMING.contains(&m["field"].as_str().unwrap_or("")));
                    m["highlights"]
                        .as_array()
                        .expect("highlights")
                        .iter()
                        .map(move |h| (tier, form(h["text"].as_str().expect("text"))))
                })
                .filter(|(_, found)| found.starts_with(word.as_str()))
                .map(|(tier, found)| tier * 2 + u64::from(&found != word))
                .min()
                .unwrap_or_else(|| panic!("{word:?} is not among the matches of {edge}"))
        })
        .sum()
}

#[tokio::test]
async fn results_come_in_the_documented_order_on_every_database() {
    let app = spawn_app().await;
    for query in [
        "cerebral palsy",
        "harbin",
        "Мурманск",
        "哈尔滨",
        "murmansk harbin",
        "health care",
        "delegation",
        "festival",
        "protocol",
        "twin",
        "2016",
    ] {
        let words: Vec<String> = query.split_whitespace().map(form).collect();
        let found = page(&app, json!({ "q": query, "first": 100 })).await;
        let edges = found["edges"].as_array().expect("edges");
        assert!(!edges.is_empty(), "{query}: nothing found");
        assert_highlights_hold(&found, &words);
        let order: Vec<(u64, usize, String)> = edges
            .iter()
            .map(|e| {
                let typename = e["node"]["__typename"].as_str().expect("typename");
                (
                    score(e, &words),
                    KINDS.iter().position(|k| *k == typename).expect("a kind"),
                    e["node"]["key"].as_str().expect("key").to_owned(),
                )
            })
            .collect();
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(order, sorted, "{query}: not in the documented order");
    }
}

#[tokio::test]
async fn search_refuses_long_queries_and_foreign_cursors_naming_the_argument() {
    let app = spawn_app().await;
    let long = vec!["word"; 17]
        .iter()
        .enumerate()
        .map(|(i, w)| format!("{w}{i}"))
        .collect::<Vec<_>>()
        .join(" ");
    for variables in [
        json!({ "q": long }),
        json!({ "q": "harbin", "after": "bm90LWEtY3Vyc29y" }),
    ] {
        let body = app.gql(PAGE, variables.clone()).await;
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("`query`") || message.contains("cursor"),
            "{variables}: {body}"
        );
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{body}"
        );
    }
}

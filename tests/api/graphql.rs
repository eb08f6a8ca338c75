//! The GraphQL API over real HTTP.

use crate::helpers::spawn_app;
use serde_json::json;

#[tokio::test]
async fn health_answers_ok() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/health"))
        .send()
        .await
        .expect("request");
    assert!(response.status().is_success());
    assert_eq!(
        response.json::<serde_json::Value>().await.expect("json"),
        json!({ "status": "ok" })
    );
    app.stop().await;
}

#[tokio::test]
async fn a_city_is_found_by_key_with_its_names_in_other_scripts() {
    let app = spawn_app().await;
    let data = app
        .data(
            r#"query ($key: String!) { city(key: $key) { key name nativeName countryCode inRussian: name(lang: "ru") inKlingon: name(lang: "tlh") } }"#,
            json!({ "key": "harbin" }),
        )
        .await;
    assert_eq!(
        data["city"],
        json!({ "key": "harbin", "name": "Harbin", "nativeName": "哈尔滨", "countryCode": "CN", "inRussian": "Харбин", "inKlingon": "Harbin" })
    );
    assert_eq!(
        app.data(r#"{ city(key: "atlantis") { key } }"#, json!({}))
            .await["city"],
        json!(null)
    );
}

#[tokio::test]
async fn cities_page_forward_and_backward_with_cursors() {
    let app = spawn_app().await;
    let page = |args: String| {
        format!(
            "{{ cities({args}) {{ totalCount nodes {{ key }} pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} }} }}"
        )
    };
    let keys = |data: &serde_json::Value| -> Vec<String> {
        data["cities"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|n| n["key"].as_str().expect("key").to_owned())
            .collect()
    };

    let all = app.data(&page("first: 100".into()), json!({})).await;
    let every = keys(&all);
    assert_eq!(every.len(), 21);
    assert_eq!(all["cities"]["totalCount"], 21);

    let first = app.data(&page("first: 5".into()), json!({})).await;
    assert_eq!(keys(&first), every[..5]);
    assert_eq!(first["cities"]["pageInfo"]["hasNextPage"], true);
    let after = first["cities"]["pageInfo"]["endCursor"]
        .as_str()
        .expect("cursor")
        .to_owned();
    let second = app
        .data(&page(format!("first: 5, after: \"{after}\"")), json!({}))
        .await;
    assert_eq!(keys(&second), every[5..10]);
    assert_eq!(second["cities"]["pageInfo"]["hasPreviousPage"], true);

    let before = second["cities"]["pageInfo"]["startCursor"]
        .as_str()
        .expect("cursor")
        .to_owned();
    let back = app
        .data(&page(format!("last: 3, before: \"{before}\"")), json!({}))
        .await;
    assert_eq!(keys(&back), every[2..5]);

    let russian = app
        .data(
            r#"{ cities(filter: { countryCodes: ["RU"] }, first: 100) { nodes { countryCode } } }"#,
            json!({}),
        )
        .await;
    assert!(
        russian["cities"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .all(|n| n["countryCode"] == "RU")
    );
}

#[tokio::test]
async fn a_page_larger_than_the_limit_is_an_error_not_a_silent_cap() {
    let app = spawn_app().await;
    let body = app
        .gql("{ cities(first: 101) { nodes { key } } }", json!({}))
        .await;
    assert_eq!(
        body["errors"][0]["message"],
        "a page asks for 101 items (`first` or `last`); at most 100 are allowed"
    );
    assert_eq!(body["errors"][0]["extensions"]["code"], "PAGE_SIZE_LIMIT");
}

#[tokio::test]
async fn global_ids_find_their_node() {
    let app = spawn_app().await;
    let id = app
        .data(r#"{ city(key: "murmansk") { id } }"#, json!({}))
        .await["city"]["id"]
        .clone();
    let data = app
        .data(
            "query ($id: ID!) { node(id: $id) { id ... on City { key } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data["node"]["key"], "murmansk");
    assert_eq!(data["node"]["id"], id);
}

#[tokio::test]
async fn graphiql_is_served_with_its_own_assets() {
    let app = spawn_app().await;
    let page = app
        .client
        .get(app.url("/graphql"))
        .header("accept", "text/html")
        .send()
        .await
        .expect("page");
    let html = page.text().await.expect("html");
    assert!(html.contains("Twinning GraphiQL") && !html.contains("__DEFAULT_QUERY__"));
    assert!(
        !html.contains("https://"),
        "GraphiQL must not load from a CDN"
    );
    let script = app
        .client
        .get(app.url("/graphiql/graphiql.min.js"))
        .send()
        .await
        .expect("asset");
    assert_eq!(
        script.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
}

#[tokio::test]
async fn graphiqls_default_query_shows_sister_cities_in_order_and_the_timeline() {
    let app = spawn_app().await;
    let data = app
        .data(twinning::http::graphiql::DEFAULT_QUERY, json!({}))
        .await;
    let sisters = data["city"]["sisterCities"].as_array().expect("sisters");
    let harbin = sisters
        .iter()
        .find(|s| s["city"]["name"] == "Harbin")
        .expect("Harbin is a sister city");
    assert_eq!(harbin["ordinal"], 11);
    let ordinals: Vec<i64> = sisters
        .iter()
        .filter_map(|s| s["ordinal"].as_i64())
        .collect();
    assert_eq!(ordinals, (1..=ordinals.len() as i64).collect::<Vec<_>>());
    let timeline = &data["partnership"]["timeline"];
    let total = timeline["totalCount"].as_u64().expect("totalCount");
    assert!(
        total > 5,
        "the founding timeline has its visits and protocols"
    );
    let kinds: Vec<&str> = timeline["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter_map(|n| n["__typename"].as_str())
        .collect();
    assert!(kinds.contains(&"Visit") && kinds.contains(&"Protocol"));
}

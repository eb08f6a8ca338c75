//! GraphQL over HTTP as the specification says, beyond what the
//! graphql-http audit in `.ci/clients-test` checks: the status codes of
//! each media type, the refusals HTTP has a word for, and bounded batches.

use crate::helpers::{spawn_app, spawn_app_configured};
use serde_json::{Value, json};
use twinning::domain::access::Role;

/// POSTs a raw body with these headers; the status, content type and body.
async fn raw(
    app: &crate::helpers::TestApp,
    headers: &[(&str, &str)],
    body: impl Into<reqwest::Body>,
) -> (u16, String, Value) {
    let mut request = app.client.post(app.url("/graphql")).body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("an answer");
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"]
        .to_str()
        .expect("text")
        .to_owned();
    let body = response.json().await.expect("a JSON body");
    (status, content_type, body)
}

/// Request headers, a body, the status expected, and what its message says.
type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, u16, &'a str);

const JSON: (&str, &str) = ("content-type", "application/json");
const GRAPHQL_RESPONSE: (&str, &str) = ("accept", "application/graphql-response+json");

#[tokio::test]
async fn a_request_that_did_not_run_is_4xx_under_graphql_response_json_and_200_under_json() {
    let app = spawn_app().await;
    let cases = [
        (
            r#"{"query": "{ cities(first: 1) { nodes { key } "}"#,
            "GRAPHQL_PARSE_FAILED",
        ),
        (
            r#"{"query": "{ cities { nodes { nope } } }"}"#,
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            r#"{"query": "query ($n: Int!) { cities(first: $n) { totalCount } }", "variables": {"n": "ten"}}"#,
            "GRAPHQL_VALIDATION_FAILED",
        ),
    ];
    for (body, code) in cases {
        let (status, content_type, answer) = raw(&app, &[JSON, GRAPHQL_RESPONSE], body).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(content_type.starts_with("application/graphql-response+json"));
        assert!(
            answer.get("data").is_none(),
            "no data when nothing ran: {answer}"
        );
        assert_eq!(answer["errors"][0]["extensions"]["code"], code, "{answer}");

        let (status, content_type, answer) = raw(&app, &[JSON], body).await;
        assert_eq!(status, 200, "{body}: {answer}");
        assert!(content_type.starts_with("application/json"));
        assert_eq!(answer["errors"][0]["extensions"]["code"], code, "{answer}");
    }
    // A request that ran answers 200 under both, even with a field error.
    let body = r#"{"query": "{ cities(after: \"nope\") { totalCount } }"}"#;
    let (status, _, answer) = raw(&app, &[JSON, GRAPHQL_RESPONSE], body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{answer}"
    );
}

#[tokio::test]
async fn malformed_requests_name_what_is_wrong() {
    let app = spawn_app().await;
    let cases: [Case; 6] = [
        (
            &[JSON],
            r#"{"query": "{ __typename }""#,
            400,
            "not valid JSON",
        ),
        (
            &[JSON],
            r#"{"query": 42}"#,
            400,
            "`query` must be a string, not a number",
        ),
        (
            &[JSON],
            r#"{"query": "{ __typename }", "variables": "{}"}"#,
            400,
            "`variables` must be an object, not a string",
        ),
        (&[JSON], r#"{"operationName": "A"}"#, 400, "has no `query`"),
        (
            &[],
            r#"{"query": "{ __typename }"}"#,
            415,
            "Content-Type: application/json",
        ),
        (
            &[("content-type", "text/plain")],
            r#"{"query": "{ __typename }"}"#,
            415,
            "not `text/plain`",
        ),
    ];
    for (headers, body, expected, says) in cases {
        let (status, _, answer) = raw(&app, headers, body).await;
        assert_eq!(status, expected, "{body}: {answer}");
        let message = answer["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{body}: {message}");
    }
}

#[tokio::test]
async fn a_mutation_over_get_is_405_and_runs_nothing() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[(
            "query",
            r#"mutation { createCity(input: { key: "x", name: "X", countryCode: "NO" }) { city { key } } }"#,
        )])
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "METHOD_NOT_ALLOWED"
    );
    assert_eq!(
        app.data(r#"{ city(key: "x") { key } }"#, json!({})).await["city"],
        Value::Null
    );

    // A query over GET runs.
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[
            ("query", "query ($k: String!) { city(key: $k) { name } }"),
            ("variables", r#"{"k": "murmansk"}"#),
        ])
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["data"]["city"]["name"], "Murmansk");
}

#[tokio::test]
async fn a_bad_key_is_401_and_an_accept_we_cannot_serve_is_406() {
    let app = spawn_app().await;
    let (status, _, answer) = raw(
        &app,
        &[JSON, ("authorization", "Bearer tw_nope_nope")],
        r#"{"query": "{ __typename }"}"#,
    )
    .await;
    assert_eq!(status, 401, "{answer}");
    assert_eq!(answer["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth("tw_nope_nope")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    // The preferred type wins, by quality, not by order.
    let (_, content_type, _) = raw(
        &app,
        &[
            JSON,
            (
                "accept",
                "application/graphql-response+json;q=0.5, application/json",
            ),
        ],
        r#"{"query": "{ __typename }"}"#,
    )
    .await;
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .header("accept", "application/xml")
        .body(r#"{"query": "{ __typename }"}"#)
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 406);
}

#[tokio::test]
async fn batches_run_in_order_up_to_their_limit() {
    let app = spawn_app_configured(|config| config.limits.max_batch = 3).await;
    let editor = app.key("batcher", Role::Editor).await;
    let batch = json!([
        { "query": r#"{ city(key: "murmansk") { name } }"# },
        { "query": "mutation ($k: String!) { createCity(input: { key: $k, name: \"Batch\", countryCode: \"NO\" }) { city { key } } }", "variables": { "k": "batch-city" } },
        { "query": r#"{ city(key: "harbin") { name } }"# },
    ]);
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&editor)
        .json(&batch)
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 200);
    let answers: Value = response.json().await.expect("JSON");
    assert_eq!(answers[0]["data"]["city"]["name"], "Murmansk");
    assert_eq!(
        answers[1]["data"]["createCity"]["city"]["key"],
        "batch-city"
    );
    assert_eq!(answers[2]["data"]["city"]["name"], "Harbin");

    // A thousand operations: refused at once, nothing run.
    let thousand: Vec<Value> = (0..1000)
        .map(|i| json!({ "query": format!("mutation {{ createCity(input: {{ key: \"b{i}\", name: \"B\", countryCode: \"NO\" }}) {{ city {{ key }} }} }}") }))
        .collect();
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&editor)
        .json(&thousand)
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["errors"][0]["extensions"]["code"], "BATCH_LIMIT");
    assert_eq!(
        body["errors"][0]["message"],
        "the batch has 1000 operations; at most 3 are allowed"
    );
    assert_eq!(
        app.data(r#"{ city(key: "b0") { key } }"#, json!({})).await["city"],
        Value::Null
    );
}

#[tokio::test]
async fn an_answer_lists_fields_in_the_order_the_query_selects_them() {
    // The specification's response map is ordered: a client reading the
    // text (or a diff of two answers) sees the fields as it asked for them.
    let app = spawn_app().await;
    let answer = app
        .client
        .post(app.url("/graphql"))
        .header(JSON.0, JSON.1)
        .body(r#"{"query": "{ city(key: \"murmansk\") { name key countryCode } }"}"#)
        .send()
        .await
        .expect("an answer")
        .text()
        .await
        .expect("a body");
    let city = answer.find(r#""city""#).expect(&answer);
    let positions: Vec<usize> = [r#""name""#, r#""key""#, r#""countryCode""#]
        .iter()
        .map(|field| city + answer[city..].find(field).expect(&answer))
        .collect();
    assert!(positions.is_sorted(), "{answer}");
}

#[tokio::test]
async fn an_int_outside_32_bits_is_a_validation_error_wherever_it_stands() {
    let app = spawn_app().await;
    let under_null = r#"{ source(key: "") { organizations(last: -2147483649) { totalCount } } }"#;
    let cases = [
        (
            json!({ "query": under_null }),
            "organizations(last:): -2147483649",
        ),
        (
            json!({ "query": "{ cities(first: 2147483648) { totalCount } }" }),
            "cities(first:): 2147483648",
        ),
        (
            json!({ "query": "{ cities(filter: { population: { min: 3000000000 } }) { totalCount } }" }),
            "cities(filter:).population.min: 3000000000",
        ),
        (
            json!({ "query": "{ ...F } fragment F on Query { source(key: \"\") { organizations(first: 9999999999) { totalCount } } }" }),
            "organizations(first:): 9999999999",
        ),
        (
            json!({
                "query": "query ($n: Int) { source(key: \"\") { organizations(first: $n) { totalCount } } }",
                "variables": { "n": 2147483648_i64 },
            }),
            "$n: 2147483648",
        ),
    ];
    for (body, message) in cases {
        let (status, _, answer) = raw(&app, &[JSON, GRAPHQL_RESPONSE], body.to_string()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(answer.get("data").is_none(), "nothing ran: {answer}");
        let error = &answer["errors"][0];
        assert_eq!(
            error["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
            "{answer}"
        );
        let text = error["message"].as_str().unwrap_or_default();
        assert!(
            text.starts_with(message) && text.contains("32-bit"),
            "{answer}"
        );
    }
    // The edges of the range are valid: the query runs, its parent is null.
    let at_the_edge = r#"{ source(key: "") { organizations(last: -2147483648) { totalCount } } }"#;
    let body = json!({ "query": at_the_edge }).to_string();
    let (status, _, answer) = raw(&app, &[JSON, GRAPHQL_RESPONSE], body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["data"]["source"], Value::Null, "{answer}");
}

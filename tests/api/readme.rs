//! Every GraphQL example in the README runs without errors against the
//! example data (in order, with an admin key, as a user following the tour
//! would), so the tour stays true as the schema changes. Subscriptions are
//! started over a WebSocket, where an invalid one is refused at once.

use crate::helpers::spawn_app;
use crate::ws_client::Client;
use serde_json::json;

/// The ```graphql blocks of the README.
fn examples() -> Vec<String> {
    let readme = include_str!("../../README.md");
    readme
        .split("```graphql\n")
        .skip(1)
        .filter_map(|block| block.split("\n```").next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn the_readme_examples_run_without_errors() {
    let app = spawn_app().await;
    let admin = app
        .key("readme", twinning::domain::access::Role::Admin)
        .await;
    let examples = examples();
    assert!(examples.len() >= 6, "the README lost its examples");
    for example in examples {
        if example.starts_with("subscription") {
            // An invalid subscription is answered at once with errors.
            let mut client =
                Client::connect(&app, json!({ "Authorization": format!("Bearer {admin}") })).await;
            client.subscribe("readme", &example).await;
            client.quiet(std::time::Duration::from_millis(500)).await;
            continue;
        }
        let body = app.gql_as(&admin, &example, json!({})).await;
        assert!(
            body.get("errors").is_none() && body["data"].is_object(),
            "README example failed:\n{example}\n{body:#}"
        );
        assert!(
            !body.to_string().contains(r#""code":"#),
            "README example reported a user error:\n{example}\n{body:#}"
        );
    }
}

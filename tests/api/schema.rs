//! `schema.graphql` is the schema the code builds.

#[test]
fn schema_graphql_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let generated = twinning::graphql::sdl();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &generated).expect("write schema.graphql");
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "schema.graphql is out of date: run `cargo run -- schema > schema.graphql` (or `UPDATE_SCHEMA=1 cargo test schema`) and commit it"
    );
}

/// Every introspection entry of Twinning's own types, by path, whose
/// description is missing or blank.
fn undescribed(schema: &serde_json::Value) -> Vec<String> {
    let blank = |entry: &serde_json::Value| {
        entry["description"]
            .as_str()
            .is_none_or(|text| text.trim().is_empty())
    };
    let items = |entry: &serde_json::Value, list: &str| -> Vec<serde_json::Value> {
        entry[list].as_array().cloned().unwrap_or_default()
    };
    let mut missing = Vec::new();
    for ty in items(schema, "types") {
        let name = ty["name"].as_str().unwrap_or_default().to_owned();
        if name.starts_with("__") {
            continue;
        }
        if blank(&ty) {
            missing.push(format!("type {name}"));
        }
        for field in items(&ty, "fields") {
            let path = format!("{name}.{}", field["name"].as_str().unwrap_or_default());
            if blank(&field) {
                missing.push(format!("field {path}"));
            }
            for argument in items(&field, "args") {
                if blank(&argument) {
                    missing.push(format!("argument {path}({})", argument["name"]));
                }
            }
        }
        for field in items(&ty, "inputFields") {
            if blank(&field) {
                missing.push(format!("input field {name}.{}", field["name"]));
            }
        }
        for value in items(&ty, "enumValues") {
            if blank(&value) {
                missing.push(format!("enum value {name}.{}", value["name"]));
            }
        }
    }
    missing
}

#[tokio::test]
async fn every_type_field_argument_and_enum_value_is_described() {
    let app = crate::helpers::spawn_app_with(false).await;
    let query = r#"{ __schema { types {
        name description
        fields(includeDeprecated: true) { name description args { name description } }
        inputFields { name description }
        enumValues(includeDeprecated: true) { name description }
    } } }"#;
    let data = app.data(query, serde_json::json!({})).await;
    let types = data["__schema"]["types"].as_array().map_or(0, Vec::len);
    assert!(types > 50, "introspection lists the schema's types: {data}");
    let missing = undescribed(&data["__schema"]);
    assert!(
        missing.is_empty(),
        "{} schema entries have no description:\n{}",
        missing.len(),
        missing.join("\n")
    );
}

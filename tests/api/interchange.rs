//! Import and export of the interchange format on a real database.

use crate::helpers::TestDb;
use sea_orm::ConnectionTrait;
use twinning::interchange::example::FOUNDING_DOCUMENT;
use twinning::interchange::{self, Counts, ImportReport, Kind};
use twinning::store::Db;

/// Migrates and imports a document text, panicking on problems.
pub async fn import_text(db: &Db, text: &str) -> ImportReport {
    twinning::store::connection::migrate(db)
        .await
        .expect("migrate");
    let document = interchange::parse(text).unwrap_or_else(|problems| panic!("{problems}"));
    interchange::import(db, &document, &|_| {})
        .await
        .unwrap_or_else(|error| panic!("{error}"))
}

/// The whole database as export writes it.
pub async fn export_text(db: &Db) -> String {
    interchange::to_json(&interchange::export(db).await.expect("export"))
}

#[tokio::test]
async fn founding_data_imports_and_a_second_import_changes_nothing() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;

    let first = import_text(&db, FOUNDING_DOCUMENT).await;
    assert_eq!(
        first.of(Kind::City),
        Counts {
            created: 21,
            updated: 0,
            unchanged: 0
        }
    );
    assert_eq!(first.of(Kind::Visit).created, 5);
    assert_eq!(first.of(Kind::Protocol).created, 10);

    let second = import_text(&db, FOUNDING_DOCUMENT).await;
    assert!(
        !second.changed_anything(),
        "a repeated import changed something:\n{second}"
    );
    assert_eq!(
        second.of(Kind::Source),
        Counts {
            created: 0,
            updated: 0,
            unchanged: 39
        }
    );
}

#[tokio::test]
async fn export_then_import_into_an_empty_database_then_export_is_identical() {
    let (first_db, second_db) = (TestDb::new().await, TestDb::new().await);
    let (first, second) = (first_db.connect().await, second_db.connect().await);
    import_text(&first, FOUNDING_DOCUMENT).await;

    let exported = export_text(&first).await;
    import_text(&second, &exported).await;
    let exported_again = export_text(&second).await;

    assert_eq!(exported, exported_again);
    // The committed example is already in export's canonical form, partial
    // dates ("2015-10", "1962") included.
    assert_eq!(exported, FOUNDING_DOCUMENT);
    assert!(exported.contains(r#""startDate": "2015-10""#));
    assert!(exported.contains(r#""establishedOn": "1962""#));
}

#[tokio::test]
async fn references_resolve_in_any_order_within_a_file_and_against_the_database() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    // The child topic comes before its parent, the visit names a city that
    // only the database has.
    import_text(
        &db,
        r#"{"cities": [{"key": "a", "name": "A", "countryCode": "FI"}]}"#,
    )
    .await;
    let report = import_text(
        &db,
        r#"{
          "topics": [
            {"key": "freight", "name": "Freight", "parent": "transport"},
            {"key": "transport", "name": "Transport"}
          ],
          "visits": [{"key": "v", "fromCity": "b", "toCity": "a", "startDate": "2015", "topics": ["freight"]}],
          "cities": [{"key": "b", "name": "B", "countryCode": "SE"}]
        }"#,
    )
    .await;
    assert_eq!(report.of(Kind::Topic).created, 2);
    let exported = export_text(&db).await;
    assert!(exported.contains(r#""parent": "transport""#), "{exported}");
    assert!(exported.contains(r#""toCity": "a""#), "{exported}");
}

/// More keys than one lookup statement holds: one kind alone over several
/// statements (1,100 sources), two kinds that do not fit one statement
/// together (600 cities, 500 topics). A second import finds every record.
#[tokio::test]
async fn a_document_naming_more_keys_than_a_statement_holds_resolves_every_key() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let list = |n: usize, record: &dyn Fn(usize) -> serde_json::Value| -> Vec<serde_json::Value> {
        (0..n).map(record).collect()
    };
    let document = serde_json::json!({
        "sources": list(1_100, &|i| serde_json::json!({"key": format!("s{i}"), "title": format!("S {i}")})),
        "cities": list(600, &|i| serde_json::json!({"key": format!("c{i}"), "name": format!("C {i}"), "countryCode": "FI"})),
        "topics": list(500, &|i| serde_json::json!({"key": format!("t{i}"), "name": format!("T {i}")})),
    })
    .to_string();
    let first = import_text(&db, &document).await;
    assert_eq!(first.of(Kind::Source).created, 1_100, "{first}");
    let second = import_text(&db, &document).await;
    for (kind, count) in [(Kind::Source, 1_100), (Kind::City, 600), (Kind::Topic, 500)] {
        let expected = Counts {
            created: 0,
            updated: 0,
            unchanged: count,
        };
        assert_eq!(second.of(kind), expected, "{kind:?}: {second}");
    }
}

#[tokio::test]
async fn changed_records_are_updated_and_the_rest_left_alone() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    import_text(&db, FOUNDING_DOCUMENT).await;

    let changed =
        FOUNDING_DOCUMENT.replacen(r#""population": 5242897"#, r#""population": 5300000"#, 1);
    assert_ne!(
        changed, FOUNDING_DOCUMENT,
        "the fixture still holds Harbin's population"
    );
    let report = import_text(&db, &changed).await;

    assert_eq!(
        report.of(Kind::City),
        Counts {
            created: 0,
            updated: 1,
            unchanged: 20
        }
    );
    assert!(export_text(&db).await.contains(r#""population": 5300000"#));
}

#[tokio::test]
async fn status_history_records_each_dated_step_and_each_side_of_an_ending() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    import_text(&db, FOUNDING_DOCUMENT).await;

    let history = |key: &'static str| {
        let db = &db;
        async move {
            let rows = db
                .query_all_raw(sea_orm::Statement::from_string(
                    db.get_database_backend(),
                    format!(
                        "SELECT s.status, s.occurred_on FROM partnership_status_change s \
                         JOIN partnership p ON p.id = s.partnership_id WHERE p.key = '{key}' \
                         ORDER BY s.occurred_on_start, s.id"
                    ),
                ))
                .await
                .expect("query history");
            rows.iter()
                .map(|row| {
                    let status: String = row.try_get_by_index(0).expect("status");
                    let on: Option<String> = row.try_get_by_index(1).expect("date");
                    format!("{status} {}", on.unwrap_or_default())
                })
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        history("murmansk-harbin").await,
        [
            "INTENT_SIGNED 2014-03-11",
            "INTENT_SIGNED 2015-10-13",
            "AGREEMENT_SIGNED 2016-09-09",
            "ACTIVE 2016-09-09"
        ]
    );
    assert_eq!(
        history("murmansk-rovaniemi").await,
        ["ACTIVE 1962", "SUSPENDED 2022-03"]
    );
    assert_eq!(
        history("murmansk-lianyungang").await,
        ["INTENT_SIGNED 2024-11"]
    );
}

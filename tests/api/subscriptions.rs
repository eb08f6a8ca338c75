//! Subscriptions over a real WebSocket (`graphql-transport-ws`): events
//! after commits, filters, authentication and revocation, rollbacks that
//! send nothing, and (on PostgreSQL) delivery across two server processes.

use crate::helpers::{spawn_app, spawn_app_configured};
use crate::ws_client::{Client, Closed};
use serde_json::{Value, json};
use std::time::Duration;
use twinning::domain::access::Role;

fn create_city(key: &str) -> String {
    format!(
        r#"mutation {{ createCity(input: {{ key: "{key}", name: "{key}", countryCode: "NO" }}) {{ userErrors {{ code }} }} }}"#
    )
}

#[tokio::test]
async fn a_subscriber_hears_committed_changes_it_asked_for_and_nothing_else() {
    let app = spawn_app().await;
    let editor = app.key("editor", Role::Editor).await;
    let mut client = Client::connect(&app, json!({})).await;
    client
        .subscribe(
            "cities",
            "subscription { recordChanged(types: [CITY]) { action recordType recordKey record { ... on City { name countryCode } } } }",
        )
        .await;
    client
        .until_live(&app, &editor, "cities", |n| {
            create_city(&format!("probe-{n}"))
        })
        .await;

    // A topic is not a city; a rolled-back import (a dry run) and a refused
    // one commit nothing.
    let topic = r#"mutation { createTopic(input: { key: "ice-hockey", name: "Ice hockey" }) { userErrors { code } } }"#;
    app.gql_as(&editor, topic, json!({})).await;
    let dry = r#"mutation { importDocument(dryRun: true, document: { cities: [{ key: "ghost", name: "Ghost", countryCode: "FI" }] }) { userErrors { code } } }"#;
    app.gql_as(&editor, dry, json!({})).await;
    let refused = r#"mutation { importDocument(document: { cities: [{ key: "half", name: "Half", countryCode: "FI" }, { key: "Bad Key", name: "B", countryCode: "FI" }] }) { userErrors { code } } }"#;
    let body = app.gql_as(&editor, refused, json!({})).await;
    assert_eq!(
        body["data"]["importDocument"]["userErrors"][0]["code"],
        "INVALID_VALUE"
    );

    app.gql_as(&editor, &create_city("kirkenes"), json!({}))
        .await;
    assert_eq!(
        client.event("cities").await,
        json!({ "data": { "recordChanged": { "action": "CREATED", "recordType": "City", "recordKey": "kirkenes",
                                             "record": { "name": "kirkenes", "countryCode": "NO" } } } })
    );
    let delete = r#"mutation { deleteCity(input: { key: "kirkenes" }) { deletedKey } }"#;
    app.gql_as(&editor, delete, json!({})).await;
    assert_eq!(
        client.event("cities").await["data"]["recordChanged"],
        json!({ "action": "DELETED", "recordType": "City", "recordKey": "kirkenes", "record": null })
    );
    client.quiet(Duration::from_millis(300)).await;

    // Completing a subscription stops it (async-graphql confirms with a
    // `complete` of its own).
    client
        .send(json!({ "id": "cities", "type": "complete" }))
        .await;
    app.gql_as(&editor, &create_city("honningsvag"), json!({}))
        .await;
    while let Some(message) = client.receive(Duration::from_millis(500)).await {
        assert_eq!(message, Ok(json!({ "id": "cities", "type": "complete" })));
    }
}

#[tokio::test]
async fn the_change_needs_an_editor_and_a_bad_or_revoked_key_closes_the_connection() {
    let app = spawn_app().await;
    let editor = app.key("editor", Role::Editor).await;
    let reader = app.key("reader", Role::Reader).await;
    let admin = app.key("admin", Role::Admin).await;
    let query = "subscription { recordChanged(keys: [\"murmansk\", \"probe\"]) { recordKey change { after actor } } }";
    let update = |n: usize| {
        format!(
            r#"mutation {{ updateCity(input: {{ city: {{ key: "murmansk", name: "Murmansk", countryCode: "RU", population: {} }} }}) {{ userErrors {{ code }} }} }}"#,
            270_000 + n
        )
    };

    let mut as_editor =
        Client::connect(&app, json!({ "Authorization": format!("Bearer {editor}") })).await;
    as_editor.subscribe("m", query).await;
    let event = as_editor.until_live(&app, &editor, "m", update).await;
    let change = &event["data"]["recordChanged"]["change"];
    assert_eq!(change["actor"], "editor", "{event}");
    assert!(change["after"]["population"].as_i64().is_some(), "{event}");

    // A reader hears of the change but may not see its content.
    let mut as_reader =
        Client::connect(&app, json!({ "authorization": format!("Bearer {reader}") })).await;
    as_reader.subscribe("m", query).await;
    let event = as_reader.until_live(&app, &editor, "m", update).await;
    assert_eq!(
        event["data"]["recordChanged"]["recordKey"], "murmansk",
        "{event}"
    );
    assert_eq!(
        event["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{event}"
    );

    // A forged key never gets an ack.
    let mut forged = Client::open(
        app.addr,
        json!({ "Authorization": "Bearer tw_000000000000_forged" }),
    )
    .await;
    assert_eq!(
        forged.closed().await,
        Closed {
            code: 4403,
            reason: "the API key is not valid".to_owned()
        }
    );

    // Revoking the editor's key closes its connection.
    let revoke = r#"mutation { revokeApiKey(input: { name: "editor" }) { revoked } }"#;
    let body = app.gql_as(&admin, revoke, json!({})).await;
    assert_eq!(body["data"]["revokeApiKey"]["revoked"], "editor", "{body}");
    assert_eq!(
        as_editor.closed().await,
        Closed {
            code: 4403,
            reason: "the API key was revoked".to_owned()
        }
    );
}

#[tokio::test]
async fn partnership_and_timeline_subscriptions_follow_the_lifecycle() {
    let app = spawn_app().await;
    let editor = app.key("editor", Role::Editor).await;
    let mut client = Client::connect(&app, json!({})).await;
    client
        .subscribe(
            "timeline",
            r#"subscription { timelineItemAdded(partnership: "murmansk-kaliningrad") {
                __typename ... on Visit { key } ... on Protocol { key } ... on StatusChange { status on } } }"#,
        )
        .await;
    let probe = |n: usize| {
        format!(
            r#"mutation {{ recordVisit(input: {{ visit: {{ key: "probe-visit-{n}", fromCity: "kaliningrad", toCity: "murmansk", startDate: "2026-10" }} }}) {{ userErrors {{ code message }} }} }}"#
        )
    };
    let first = client.until_live(&app, &editor, "timeline", probe).await;
    assert_eq!(
        first["data"]["timelineItemAdded"]["__typename"], "Visit",
        "{first}"
    );

    client
        .subscribe(
            "murmansk",
            r#"subscription { partnershipChanged(city: "murmansk") { action partnershipKey partnership { status } statusChange { status on } } }"#,
        )
        .await;
    let link = |n: usize| {
        let action = if n % 2 == 1 { "link" } else { "unlink" };
        format!(
            r#"mutation {{ {action}(input: {{ record: {{ partnership: "murmansk-vadso" }}, topics: ["sport"] }}) {{ userErrors {{ code }} }} }}"#
        )
    };
    let live = client.until_live(&app, &editor, "murmansk", link).await;
    assert_eq!(
        live["data"]["partnershipChanged"]["partnershipKey"],
        "murmansk-vadso"
    );
    assert_eq!(
        live["data"]["partnershipChanged"]["statusChange"],
        Value::Null
    );

    let sign = r#"mutation { signProtocol(input: {
        protocol: { key: "murmansk-kaliningrad-protocol-2026-11", kind: PROTOCOL_OF_INTENTIONS, title: "Protocol of intentions", signedOn: "2026-11-20", parties: ["murmansk", "kaliningrad"] }
        advancePartnershipTo: INTENT_SIGNED }) { userErrors { code message } } }"#;
    let body = app.gql_as(&editor, sign, json!({})).await;
    assert_eq!(
        body["data"]["signProtocol"]["userErrors"],
        json!([]),
        "{body}"
    );

    // The events of one commit arrive in the order they were recorded.
    let mut received = Vec::new();
    for _ in 0..3 {
        received.push(client.next().await.expect("an event"));
    }
    let of = |id: &str| -> Vec<Value> {
        received
            .iter()
            .filter(|m| m["id"] == id)
            .map(|m| m["payload"]["data"].clone())
            .collect()
    };
    assert_eq!(
        of("timeline"),
        [
            json!({ "timelineItemAdded": { "__typename": "Protocol", "key": "murmansk-kaliningrad-protocol-2026-11" } }),
            json!({ "timelineItemAdded": { "__typename": "StatusChange", "status": "INTENT_SIGNED", "on": "2026-11-20" } }),
        ]
    );
    assert_eq!(
        of("murmansk"),
        [
            json!({ "partnershipChanged": { "action": "UPDATED", "partnershipKey": "murmansk-kaliningrad",
            "partnership": { "status": "INTENT_SIGNED" }, "statusChange": { "status": "INTENT_SIGNED", "on": "2026-11-20" } } })
        ]
    );

    // An unknown partnership is an error, not a silent subscription.
    client
        .subscribe(
            "unknown",
            r#"subscription { timelineItemAdded(partnership: "atlantis") { __typename } }"#,
        )
        .await;
    let error = client.event("unknown").await;
    assert_eq!(
        error["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{error}"
    );
}

#[tokio::test]
async fn a_subscriber_that_falls_behind_is_told_and_its_subscription_ends() {
    let app = spawn_app_configured(|config| config.live.subscription_buffer = 4).await;
    let editor = app.key("editor", Role::Editor).await;
    let mut client = Client::connect(&app, json!({})).await;
    client
        .subscribe("all", "subscription { recordChanged(types: [CITY]) { recordKey record { ... on City { name } } } }")
        .await;
    client
        .until_live(&app, &editor, "all", |n| create_city(&format!("probe-{n}")))
        .await;

    // One import of 200 cities: far more than 4 changes at once.
    let cities: Vec<Value> = (0..200)
        .map(|i| json!({ "key": format!("bulk-{i}"), "name": format!("Bulk {i}"), "countryCode": "NO" }))
        .collect();
    let import =
        "mutation ($doc: JSON!) { importDocument(document: $doc) { userErrors { code } } }";
    let body = app
        .gql_as(&editor, import, json!({ "doc": { "cities": cities } }))
        .await;
    assert_eq!(
        body["data"]["importDocument"]["userErrors"],
        json!([]),
        "{body}"
    );

    let mut delivered = 0;
    loop {
        let message = client.next().await.expect("an event or the end");
        match message["type"].as_str() {
            Some("next") if message["payload"]["errors"].is_array() => {
                let error = &message["payload"]["errors"][0];
                assert_eq!(
                    error["extensions"]["code"], "SUBSCRIBER_LAGGED",
                    "{message}"
                );
                break;
            }
            Some("next") => delivered += 1,
            other => panic!("unexpected {other:?}: {message}"),
        }
    }
    assert!(
        delivered < 200,
        "a lagging subscriber cannot have had everything"
    );
    let complete = client.next().await.expect("the end of the subscription");
    assert_eq!(complete, json!({ "id": "all", "type": "complete" }));

    // The connection lives on: a new subscription works.
    client
        .subscribe(
            "again",
            "subscription { recordChanged(types: [CITY]) { recordKey } }",
        )
        .await;
    client
        .until_live(&app, &editor, "again", |n| {
            create_city(&format!("again-{n}"))
        })
        .await;
}

#[tokio::test]
async fn writes_from_the_command_line_reach_subscribers_and_revocations_close() {
    let app = spawn_app().await;
    let editor = app.key("editor", Role::Editor).await;
    let mut client =
        Client::connect(&app, json!({ "Authorization": format!("Bearer {editor}") })).await;
    client
        .subscribe(
            "cities",
            "subscription { recordChanged(types: [CITY]) { action recordKey } }",
        )
        .await;
    client
        .until_live(&app, &editor, "cities", |n| {
            create_city(&format!("probe-{n}"))
        })
        .await;

    let cli = |args: &[&str], stdin: &str| {
        use std::io::Write;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_twinning"))
            .args(args)
            .env("DATABASE_URL", &app.test_db.url)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the command runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("write stdin");
        let output = child.wait_with_output().expect("the command ends");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    cli(
        &["import", "-"],
        r#"{"cities": [{"key": "from-the-cli", "name": "From the CLI", "countryCode": "FI"}]}"#,
    );
    assert_eq!(
        client.event("cities").await["data"]["recordChanged"],
        json!({ "action": "CREATED", "recordKey": "from-the-cli" })
    );
    cli(&["keys", "revoke", "editor"], "");
    assert_eq!(
        client.closed().await,
        Closed {
            code: 4403,
            reason: "the API key was revoked".to_owned()
        }
    );
}

#[tokio::test]
async fn older_clients_speak_the_legacy_graphql_ws_protocol() {
    let app = spawn_app().await;
    let editor = app.key("editor", Role::Editor).await;
    let mut client = Client::open_speaking(app.addr, "graphql-ws", json!({})).await;
    assert_eq!(
        client.next().await.expect("an ack")["type"],
        "connection_ack"
    );
    client
        .send(json!({ "id": "1", "type": "start", "payload": { "query": "subscription { recordChanged(types: [CITY]) { recordKey } }" } }))
        .await;
    // Keep-alives (`ka`) aside, the first data is a probe's.
    for n in 1..=50 {
        app.gql_as(&editor, &create_city(&format!("probe-{n}")), json!({}))
            .await;
        if let Some(Ok(message)) = client.receive(Duration::from_millis(200)).await
            && message["type"] == "data"
        {
            assert_eq!(message["id"], "1");
            let key = &message["payload"]["data"]["recordChanged"]["recordKey"];
            assert!(
                key.as_str().is_some_and(|k| k.starts_with("probe-")),
                "{message}"
            );
            return;
        }
    }
    panic!("no data over the legacy protocol");
}

/// On PostgreSQL: when the connection the server listens on is killed,
/// the server listens again by itself and later changes are delivered.
#[tokio::test]
async fn on_postgres_a_lost_listener_connection_is_re_established() {
    let app = spawn_app().await;
    if !app.test_db.url.starts_with("postgres") {
        eprintln!("skipped: needs PostgreSQL (TEST_DATABASE_URL)");
        return;
    }
    let editor = app.key("editor", Role::Editor).await;
    let mut client = Client::connect(&app, json!({})).await;
    client
        .subscribe(
            "cities",
            "subscription { recordChanged(types: [CITY]) { recordKey } }",
        )
        .await;
    client
        .until_live(&app, &editor, "cities", |n| {
            create_city(&format!("probe-{n}"))
        })
        .await;
    let killed = app
        .scalar(
            "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        )
        .await;
    assert_eq!(killed, 1, "the server's listener connection");
    // Changes committed while it reconnects may be lost; later ones arrive.
    client
        .until_live(&app, &editor, "cities", |n| {
            create_city(&format!("after-{n}"))
        })
        .await;
}

/// On PostgreSQL: a second server, a separate process of the real binary
/// over the same database, delivers to its subscriber a write made through
/// the first. (SQLite is a single-server database; this test needs
/// `TEST_DATABASE_URL=postgres://…`, as `.ci/run` sets.)
#[tokio::test]
async fn on_postgres_a_write_through_one_server_reaches_a_subscriber_of_another() {
    let app = spawn_app().await;
    if !app.test_db.url.starts_with("postgres") {
        eprintln!("skipped: needs PostgreSQL (TEST_DATABASE_URL)");
        return;
    }
    let editor = app.key("editor", Role::Editor).await;
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        probe.local_addr().expect("an address").port()
    };
    let mut other = tokio::process::Command::new(env!("CARGO_BIN_EXE_twinning"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", &app.test_db.url)
        .env("DATABASE_MAX_CONNECTIONS", "4")
        .kill_on_drop(true)
        .spawn()
        .expect("the second server starts");
    let other_addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().expect("address");
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if client
            .get(format!("http://{other_addr}/health"))
            .send()
            .await
            .is_ok()
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "the second server answers /health");

    let mut subscriber = Client::open(other_addr, json!({})).await;
    let ack = subscriber.next().await.expect("ack");
    assert_eq!(ack["type"], "connection_ack");
    subscriber
        .subscribe("cities", "subscription { recordChanged(types: [CITY]) { action recordKey record { ... on City { name } } } }")
        .await;
    // Written through the first server (in this process), heard on the second.
    subscriber
        .until_live(&app, &editor, "cities", |n| {
            create_city(&format!("probe-{n}"))
        })
        .await;
    app.gql_as(&editor, &create_city("vardo"), json!({})).await;
    assert_eq!(
        subscriber.event("cities").await["data"]["recordChanged"],
        json!({ "action": "CREATED", "recordKey": "vardo", "record": { "name": "vardo" } })
    );
    other.kill().await.expect("stop the second server");
}

/// The events of `ids` on `client`, one each, by subscription id.
async fn one_event_each(client: &mut Client, ids: &[String]) -> Vec<(String, Value)> {
    let mut events = Vec::new();
    for _ in ids {
        let message = client.next().await.expect("an event in time");
        assert_eq!(message["type"], "next", "{message}");
        events.push((
            message["id"].as_str().expect("an id").to_owned(),
            message["payload"].clone(),
        ));
    }
    events.sort_by(|a, b| a.0.cmp(&b.0));
    events
}

#[tokio::test]
async fn many_subscribers_share_one_read_of_each_changed_record() {
    const CLIENTS: usize = 8;
    const EACH: usize = 5;
    let app = spawn_app().await;
    let editor = app.key("editor", Role::Editor).await;
    // Every subscription hears its own probes (to know it is live) and
    // the two cities below; none hears another's probes.
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let mut client = Client::connect(&app, json!({})).await;
        for s in 0..EACH {
            let id = format!("s{s}");
            let mut keys: Vec<String> = (1..=50).map(|n| format!("probe-{c}-{s}-{n}")).collect();
            keys.push("hammerfest".into());
            let query = format!(
                "subscription {{ recordChanged(types: [CITY], keys: {}) {{ action recordKey record {{ ... on City {{ name countryCode }} }} }} }}",
                serde_json::to_string(&keys).expect("JSON")
            );
            client.subscribe(&id, &query).await;
            client
                .until_live(&app, &editor, &id, |n| {
                    create_city(&format!("probe-{c}-{s}-{n}"))
                })
                .await;
        }
        clients.push(client);
    }
    let ids: Vec<String> = (0..EACH).map(|s| format!("s{s}")).collect();

    // What a city's creation costs when no subscriber asks for its record:
    // the write, and the feed's reading of its change set.
    let before = app.statements();
    let body = app.gql_as(&editor, &create_city("alta"), json!({})).await;
    assert_eq!(
        body["data"]["createCity"]["userErrors"],
        json!([]),
        "{body}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let unheard = app.statements() - before;

    // The same write, with every subscriber selecting the record.
    let started = std::time::Instant::now();
    let before = app.statements();
    let body = app
        .gql_as(&editor, &create_city("hammerfest"), json!({}))
        .await;
    assert_eq!(
        body["data"]["createCity"]["userErrors"],
        json!([]),
        "{body}"
    );
    for client in &mut clients {
        let events = one_event_each(client, &ids).await;
        for (id, event) in events {
            assert_eq!(
                event,
                json!({ "data": { "recordChanged": { "action": "CREATED", "recordKey": "hammerfest",
                        "record": { "name": "hammerfest", "countryCode": "NO" } } } }),
                "{id}"
            );
        }
    }
    let heard = app.statements() - before;
    // One read of the record for all 40 subscribers. On SQLite the feed
    // also polls every second while anyone listens (two statements), so
    // each second this window lasted may add a poll; one read per
    // subscriber would add 39 more than that on a machine however slow.
    let polls = 2 * (started.elapsed().as_secs() + 1);
    assert!(
        heard <= unheard + 1 + polls,
        "{heard} statements with {} subscribers reading the record, {unheard} without",
        CLIENTS * EACH
    );

    // A deleted record is null to all of them.
    let delete = r#"mutation { deleteCity(input: { key: "hammerfest" }) { deletedKey } }"#;
    let body = app.gql_as(&editor, delete, json!({})).await;
    assert_eq!(
        body["data"]["deleteCity"]["deletedKey"], "hammerfest",
        "{body}"
    );
    for client in &mut clients {
        for (id, event) in one_event_each(client, &ids).await {
            assert_eq!(
                event["data"]["recordChanged"],
                json!({ "action": "DELETED", "recordKey": "hammerfest", "record": null }),
                "{id}"
            );
        }
    }
}

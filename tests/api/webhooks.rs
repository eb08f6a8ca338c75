//! Webhooks end to end: a real server sends to a real receiver on
//! 127.0.0.1 that verifies every delivery with the Standard Webhooks
//! reference library (PyPI `standardwebhooks`, run by `$WEBHOOK_PYTHON`,
//! `python3` by default; `.ci/run` installs it).

use crate::helpers::{TestApp, spawn_app_configured};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};
use twinning::domain::access::Role;

/// A receiver process and what it printed.
pub(crate) struct Receiver {
    port: u16,
    secret_file: tempfile::NamedTempFile,
    lines: Lines<BufReader<ChildStdout>>,
    _child: Child,
}

impl Receiver {
    /// Answers with `statuses` in turn, then 200.
    pub(crate) async fn start(statuses: &[u16]) -> Receiver {
        Self::start_with(statuses, &[]).await
    }

    pub(crate) async fn start_with(statuses: &[u16], options: &[&str]) -> Receiver {
        let python = std::env::var("WEBHOOK_PYTHON").unwrap_or_else(|_| "python3".to_owned());
        let secret_file = tempfile::NamedTempFile::new().expect("a secret file");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/webhooks/receiver.py");
        let mut child = Command::new(&python)
            .arg(script)
            .arg(secret_file.path())
            .args(statuses.iter().map(u16::to_string))
            .args(options)
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the receiver starts (WEBHOOK_PYTHON with standardwebhooks installed)");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = lines.next_line().await.expect("receiver output");
        let port = first
            .as_deref()
            .and_then(|l| l.strip_prefix("listening "))
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| {
                panic!("the receiver did not start ({first:?}); is standardwebhooks installed?")
            });
        Receiver {
            port,
            secret_file,
            lines,
            _child: child,
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    pub(crate) fn set_secret(&self, secret: &str) {
        std::fs::write(self.secret_file.path(), secret).expect("write the secret");
    }

    /// The next request it received.
    pub(crate) async fn next(&mut self) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(60), self.lines.next_line())
            .await
            .expect("a delivery within a minute")
            .expect("receiver output")
            .expect("the receiver is running");
        serde_json::from_str(&line).expect("a JSON line")
    }
}

/// A server that may send to 127.0.0.1 over http, retrying quickly.
async fn server(allow_private: bool) -> TestApp {
    spawn_app_configured(|config| {
        config.webhooks.allow_http = true;
        config.webhooks.allow_private = allow_private;
        config.webhooks.retry_base = Duration::from_millis(50);
        config.rate_limits.enabled = false;
    })
    .await
}

const CREATE_WEBHOOK: &str =
    "mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) {
    webhook { id url enabled } secret userErrors { field code message } } }";

const DELIVERIES: &str =
    "{ webhooks { id enabled deliveries { id webhookId changeSet status attempts
    lastStatusCode log { statusCode error } } } }";

/// Registers a webhook; its id and secret.
async fn create_webhook(app: &TestApp, admin: &str, input: Value) -> (i64, String) {
    let body = app
        .gql_as(admin, CREATE_WEBHOOK, json!({ "input": input }))
        .await;
    let payload = &body["data"]["createWebhook"];
    assert_eq!(payload["userErrors"], json!([]), "{body}");
    (
        payload["webhook"]["id"].as_i64().expect("an id"),
        payload["secret"].as_str().expect("a secret").to_owned(),
    )
}

async fn create_city(app: &TestApp, key: &str, editor: &str) {
    let create =
        "mutation ($input: CityInput!) { createCity(input: $input) { userErrors { message } } }";
    let city = json!({ "key": key, "name": key, "countryCode": "NO" });
    let body = app.gql_as(editor, create, json!({ "input": city })).await;
    assert_eq!(
        body["data"]["createCity"]["userErrors"],
        json!([]),
        "{body}"
    );
}

/// Polls the delivery log until `done` holds of it.
async fn log_until(app: &TestApp, admin: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..600 {
        let body = app.gql_as(admin, DELIVERIES, json!({})).await;
        if done(&body["data"]["webhooks"]) {
            return body["data"]["webhooks"].clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the delivery log never got there");
}

#[tokio::test]
async fn a_failing_receiver_gets_retries_with_the_same_id_and_a_valid_signature() {
    let app = server(true).await;
    let admin = app.key("admin", Role::Admin).await;
    let mut receiver = Receiver::start(&[500, 500]).await;
    let (_, secret) = create_webhook(
        &app,
        &admin,
        json!({ "url": receiver.url(), "description": "retries" }),
    )
    .await;
    assert!(secret.starts_with("whsec_"), "{secret}");
    receiver.set_secret(&secret);
    create_city(&app, "kirkenes", &admin).await;

    let attempts = [
        receiver.next().await,
        receiver.next().await,
        receiver.next().await,
    ];
    let answered: Vec<&Value> = attempts.iter().map(|a| &a["answered"]).collect();
    assert_eq!(answered, [&json!(500), &json!(500), &json!(200)]);
    for attempt in &attempts {
        assert_eq!(attempt["verified"], true, "{attempt}");
        assert_eq!(
            attempt["id"], attempts[0]["id"],
            "one webhook-id on every attempt"
        );
    }
    let payload = &attempts[2]["payload"];
    assert_eq!(payload["type"], "changes.committed");
    let change = &payload["data"]["changes"][0];
    assert_eq!(
        (
            &change["recordType"],
            &change["recordKey"],
            &change["action"]
        ),
        (&json!("City"), &json!("kirkenes"), &json!("CREATED"))
    );
    assert_eq!(change["after"]["name"], "kirkenes");

    let hooks = log_until(&app, &admin, |hooks| {
        hooks[0]["deliveries"][0]["status"] == "DELIVERED"
    })
    .await;
    let delivery = &hooks[0]["deliveries"][0];
    assert_eq!(delivery["attempts"], 3);
    assert_eq!(delivery["webhookId"], attempts[0]["id"]);
    let codes: Vec<&Value> = delivery["log"]
        .as_array()
        .expect("a log")
        .iter()
        .map(|a| &a["statusCode"])
        .collect();
    assert_eq!(codes, [&json!(500), &json!(500), &json!(200)]);

    // The secret is never shown again; a rotated one signs from now on.
    let listed = app
        .gql_as(&admin, "{ webhooks { url } }", json!({}))
        .await
        .to_string();
    assert!(!listed.contains(&secret));
    let rotate = "mutation ($id: Int!) { rotateWebhookSecret(input: { id: $id }) { secret } }";
    let id = hooks[0]["id"].clone();
    let rotated = app.gql_as(&admin, rotate, json!({ "id": id })).await;
    let new_secret = rotated["data"]["rotateWebhookSecret"]["secret"]
        .as_str()
        .expect("a new secret");
    assert_ne!(new_secret, secret);
    receiver.set_secret(new_secret);
    let redeliver =
        "mutation ($d: Int!) { redeliver(input: { delivery: $d }) { delivery { status } } }";
    let again = app
        .gql_as(&admin, redeliver, json!({ "d": delivery["id"] }))
        .await;
    assert_eq!(again["data"]["redeliver"]["delivery"]["status"], "PENDING");
    let redelivered = receiver.next().await;
    assert_eq!(redelivered["verified"], true, "{redelivered}");
    assert_eq!(redelivered["id"], attempts[0]["id"]);
    log_until(&app, &admin, |hooks| {
        hooks[0]["deliveries"][0]["attempts"] == 4
    })
    .await;

    // The outbox's depth is read by the worker every second.
    let lines = [
        "twinning_webhook_deliveries_sent_total 2",
        "twinning_webhook_attempts_retried_total 2",
        "twinning_webhook_outbox_depth 0",
    ];
    let mut metrics = String::new();
    for _ in 0..100 {
        metrics = app.metrics_text().await;
        if lines.iter().all(|line| metrics.contains(line)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{lines:?} in\n{metrics}");
}

#[tokio::test]
async fn rolled_back_writes_and_dry_runs_send_nothing_and_order_is_kept() {
    let app = server(true).await;
    let admin = app.key("admin", Role::Admin).await;
    let mut receiver = Receiver::start(&[]).await;
    let (_, secret) = create_webhook(
        &app,
        &admin,
        json!({ "url": receiver.url(), "events": { "types": ["CITY"] } }),
    )
    .await;
    receiver.set_secret(&secret);
    let import = "mutation ($doc: JSON!, $dry: Boolean) { importDocument(document: $doc, dryRun: $dry) { userErrors { code } } }";
    let dry = json!({ "cities": [{ "key": "dry-run", "name": "Dry", "countryCode": "FI" }] });
    let body = app
        .gql_as(&admin, import, json!({ "doc": dry, "dry": true }))
        .await;
    assert_eq!(body["data"]["importDocument"]["userErrors"], json!([]));
    // A city and a visit to a city that does not exist: all or nothing.
    let broken = json!({
        "cities": [{ "key": "rolled-back", "name": "Rolled back", "countryCode": "FI" }],
        "visits": [{ "key": "v", "fromCity": "rolled-back", "toCity": "nowhere", "date": "2020" }],
    });
    let body = app
        .gql_as(&admin, import, json!({ "doc": broken, "dry": false }))
        .await;
    assert_ne!(
        body["data"]["importDocument"]["userErrors"],
        json!([]),
        "{body}"
    );
    for key in ["first", "second", "third"] {
        create_city(&app, key, &admin).await;
    }
    let mut keys = Vec::new();
    let mut change_sets = Vec::new();
    for _ in 0..3 {
        let delivery = receiver.next().await;
        assert_eq!(delivery["verified"], true);
        let data = &delivery["payload"]["data"];
        keys.push(data["changes"][0]["recordKey"].clone());
        change_sets.push(data["changeSet"].as_i64().expect("a change set"));
    }
    assert_eq!(keys, [json!("first"), json!("second"), json!("third")]);
    assert!(change_sets.is_sorted());
}

/// Accepts nothing: any connection to it is a failure of the test.
struct Trap(tokio::net::TcpListener);

impl Trap {
    async fn new() -> Trap {
        Trap(
            tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind"),
        )
    }

    fn port(&self) -> u16 {
        self.0.local_addr().expect("address").port()
    }

    async fn assert_untouched(&self) {
        let accepted = tokio::time::timeout(Duration::from_millis(1), self.0.accept()).await;
        assert!(accepted.is_err(), "a connection reached the trap");
    }
}

#[tokio::test]
async fn private_metadata_and_loopback_targets_are_refused_before_any_connection() {
    let app = server(false).await;
    let admin = app.key("admin", Role::Admin).await;
    let trap = Trap::new().await;
    for url in [
        "http://10.0.0.1/hook".to_owned(),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        format!("http://localhost:{}/hook", trap.port()),
        format!("http://127.0.0.1:{}/hook", trap.port()),
    ] {
        let body = app
            .gql_as(&admin, CREATE_WEBHOOK, json!({ "input": { "url": url } }))
            .await;
        let errors = &body["data"]["createWebhook"]["userErrors"];
        assert_eq!(errors[0]["field"], json!(["input", "url"]), "{url}: {body}");
        let message = errors[0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("--webhook-allow-private"), "{message}");
    }
    let https_only = spawn_app_configured(|_| {}).await;
    let admin_2 = https_only.key("admin", Role::Admin).await;
    let body = https_only
        .gql_as(
            &admin_2,
            CREATE_WEBHOOK,
            json!({ "input": { "url": "http://example.org/hook" } }),
        )
        .await;
    let message = body["data"]["createWebhook"]["userErrors"][0]["message"].to_string();
    assert!(message.contains("https"), "{body}");

    // Endpoints registered before a name moved (here: written straight to
    // the database) are checked again at each delivery, after resolution.
    let db = app.test_db.connect().await;
    let filter = twinning::domain::webhooks::EventFilter::default();
    for url in [
        format!("http://localhost:{}/hook", trap.port()),
        format!("http://127.0.0.1:{}/hook", trap.port()),
        "http://10.0.0.1/hook".to_owned(),
    ] {
        twinning::store::webhooks::create(&db, &url, "", &filter, "whsec_AAAA")
            .await
            .expect("an endpoint");
    }
    create_city(&app, "refused", &admin).await;
    let hooks = log_until(&app, &admin, |hooks| {
        hooks.as_array().is_some_and(|all| {
            all.len() == 3
                && all
                    .iter()
                    .all(|h| h["deliveries"][0]["log"][0]["error"].is_string())
        })
    })
    .await;
    for hook in hooks.as_array().expect("hooks") {
        let error = hook["deliveries"][0]["log"][0]["error"]
            .as_str()
            .expect("an error");
        assert!(error.contains("--webhook-allow-private"), "{error}");
        assert_eq!(hook["deliveries"][0]["status"], "PENDING");
    }
    trap.assert_untouched().await;
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let app = server(true).await;
    let admin = app.key("admin", Role::Admin).await;
    let trap = Trap::new().await;
    let target = format!("http://127.0.0.1:{}/elsewhere", trap.port());
    let mut receiver = Receiver::start_with(&[], &["--redirect", &target]).await;
    let (_, secret) = create_webhook(&app, &admin, json!({ "url": receiver.url() })).await;
    receiver.set_secret(&secret);
    create_city(&app, "redirected", &admin).await;
    assert_eq!(receiver.next().await["answered"], 302);
    let hooks = log_until(&app, &admin, |hooks| {
        hooks[0]["deliveries"][0]["lastStatusCode"] == 302
    })
    .await;
    assert_eq!(hooks[0]["deliveries"][0]["status"], "PENDING");
    trap.assert_untouched().await;
}

#[tokio::test]
async fn the_outbox_depth_gauge_counts_deliveries_while_a_backlog_is_sent() {
    let app = server(true).await;
    let admin = app.key("admin", Role::Admin).await;
    // A slow receiver: the worker sends without pause for seconds.
    let receiver = Receiver::start_with(&[], &["--delay", "0.3"]).await;
    let (_, secret) = create_webhook(&app, &admin, json!({ "url": receiver.url() })).await;
    receiver.set_secret(&secret);
    for i in 0..12 {
        create_city(&app, &format!("backlog-{i}"), &admin).await;
    }
    let depth = |metrics: &str| -> Option<i64> {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix("twinning_webhook_outbox_depth "))
            .and_then(|v| v.trim().parse().ok())
    };
    let mut seen = Vec::new();
    for _ in 0..60 {
        let metrics = app.metrics_text().await;
        seen.push(depth(&metrics));
        if depth(&metrics).is_some_and(|d| d >= 3) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        seen.iter().flatten().any(|d| *d >= 3),
        "the gauge never showed the backlog: {seen:?}"
    );
    log_until(&app, &admin, |hooks| {
        hooks[0]["deliveries"]
            .as_array()
            .is_some_and(|d| d.iter().all(|d| d["status"] == "DELIVERED"))
    })
    .await;
    for _ in 0..50 {
        if depth(&app.metrics_text().await) == Some(0) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the gauge did not return to 0 once the outbox was empty");
}

#[tokio::test]
async fn a_delivery_waits_behind_a_change_set_in_flight() {
    let app = server(true).await;
    if !app.test_db.url.starts_with("postgres") {
        println!("skipped: SQLite has one writer at a time, so no change set commits late");
        return;
    }
    use sea_orm::TransactionTrait;
    let admin = app.key("admin", Role::Admin).await;
    let mut receiver = Receiver::start(&[]).await;
    let (_, secret) = create_webhook(&app, &admin, json!({ "url": receiver.url() })).await;
    receiver.set_secret(&secret);
    let db = app.test_db.connect().await;
    let open = db.begin().await.expect("a transaction");
    let late = crate::feed::write_in_flight(&open, "late").await;
    create_city(&app, "early", &admin).await;
    // The committed one's delivery is due, but its change set comes after
    // one that may still commit.
    let early = tokio::time::timeout(Duration::from_millis(1500), receiver.next()).await;
    assert!(
        early.is_err(),
        "delivered past change set {late} in flight: {early:?}"
    );
    open.commit().await.expect("commit");
    let first = receiver.next().await;
    let second = receiver.next().await;
    let keys = [
        &first["payload"]["data"]["changes"][0]["recordKey"],
        &second["payload"]["data"]["changes"][0]["recordKey"],
    ];
    assert_eq!(keys, [&json!("late"), &json!("early")], "change-set order");
}

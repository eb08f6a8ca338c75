//! Test fixtures: a fresh database per test, a server on a random port, and
//! a GraphQL client for it.

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use tokio::sync::oneshot;
use twinning::config::Config;
use twinning::store::Db;

/// A database of its own for one test, removed when dropped.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

/// The PostgreSQL server tests run against, if any.
fn postgres_base() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|url| url.starts_with("postgres"))
}

impl TestDb {
    /// A fresh, empty database.
    pub async fn new() -> TestDb {
        match postgres_base() {
            None => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
                TestDb {
                    url,
                    _dir: Some(dir),
                    postgres: None,
                }
            }
            Some(base) => {
                static COUNTER: AtomicU32 = AtomicU32::new(0);
                let (server, prefix) = base
                    .rsplit_once('/')
                    .expect("TEST_DATABASE_URL names a database");
                let name = format!(
                    "{prefix}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::Relaxed)
                );
                let admin = sea_orm::Database::connect(format!("{server}/postgres"))
                    .await
                    .expect("connect to PostgreSQL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                TestDb {
                    url: format!("{server}/{name}"),
                    _dir: None,
                    postgres: Some((server.to_owned(), name)),
                }
            }
        }
    }

    /// A new connection pool to this database.
    pub async fn connect(&self) -> Db {
        twinning::store::connection::connect(&self.url, 4)
            .await
            .expect("connect to the test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((server, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime, which cannot block on async
        // work: drop the database from a thread of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let admin = sea_orm::Database::connect(format!("{server}/postgres"))
                    .await
                    .ok()?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await
                    .ok()?;
                admin.close().await.ok()
            })
        })
        .join();
    }
}

/// A running server and a way to talk to it.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    /// The server's database.
    pub test_db: TestDb,
    statements: std::sync::Arc<std::sync::atomic::AtomicU64>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// A server on a random port over a fresh database holding the founding example.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(true).await
}

/// A server on a random port over a fresh database, with or without the example data.
pub async fn spawn_app_with(example_data: bool) -> TestApp {
    spawn_app_batching(example_data, twinning::graphql::DEFAULT_BATCH_DELAY_MS).await
}

/// As [`spawn_app_with`], with loaders that wait `batch_delay_ms` for keys.
pub async fn spawn_app_batching(example_data: bool, batch_delay_ms: u64) -> TestApp {
    spawn_app_configured(|config| {
        config.example_data = example_data;
        config.batch_delay = std::time::Duration::from_millis(batch_delay_ms);
        // These servers count statements of large queries, run many times:
        // budgets are not what they test.
        config.rate_limits.enabled = false;
    })
    .await
}

/// A server with the example data and the default options, after
/// `configure` has changed them.
pub async fn spawn_app_configured(configure: impl FnOnce(&mut Config)) -> TestApp {
    spawn_on(TestDb::new().await, configure).await
}

/// Another server over the database of `app` (which removes it).
pub async fn spawn_beside(app: &TestApp, configure: impl FnOnce(&mut Config)) -> TestApp {
    let test_db = TestDb {
        url: app.test_db.url.clone(),
        _dir: None,
        postgres: None,
    };
    spawn_on(test_db, configure).await
}

/// A server over a database the test manages itself (a private
/// PostgreSQL): nothing is removed when it stops.
pub async fn spawn_on_url(url: String, configure: impl FnOnce(&mut Config)) -> TestApp {
    let test_db = TestDb {
        url,
        _dir: None,
        postgres: None,
    };
    spawn_on(test_db, configure).await
}

async fn spawn_on(test_db: TestDb, configure: impl FnOnce(&mut Config)) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = twinning::telemetry::init(false, None);
    }
    let mut config = Config::new(test_db.url.clone());
    config.listen = "127.0.0.1:0".parse().expect("address");
    config.pool.max_connections = 4;
    configure(&mut config);
    let application = twinning::app::Application::build(&config)
        .await
        .expect("the server starts");
    let addr = application.local_addr();
    let statements = application.statement_counter();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(application.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    TestApp {
        addr,
        client: reqwest::Client::new(),
        test_db,
        statements,
        stop: Some(stop),
        server: Some(server),
    }
}

impl TestApp {
    /// The URL of a path on this server.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// POSTs a GraphQL query and returns the response body, without the
    /// `extensions.cost` every response carries (the cost tests read it
    /// through [`TestApp::post`]).
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        let request = self.client.post(self.url("/graphql"));
        without_cost(self.post(request, query, variables).await.1)
    }

    /// POSTs a GraphQL query with `Authorization: Bearer <key>`; like
    /// [`TestApp::gql`].
    pub async fn gql_as(&self, key: &str, query: &str, variables: Value) -> Value {
        let request = self.client.post(self.url("/graphql")).bearer_auth(key);
        without_cost(self.post(request, query, variables).await.1)
    }

    /// Sends a GraphQL request built on `request`; the response's headers
    /// and whole body.
    pub async fn post(
        &self,
        request: reqwest::RequestBuilder,
        query: &str,
        variables: Value,
    ) -> (reqwest::header::HeaderMap, Value) {
        let response = request
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request reaches the server");
        let headers = response.headers().clone();
        (headers, response.json().await.expect("a JSON response"))
    }

    /// Creates an API key with a role and returns it.
    pub async fn key(&self, name: &str, role: twinning::domain::access::Role) -> String {
        let db = self.test_db.connect().await;
        let new = twinning::store::api_keys::NewKey {
            name,
            role,
            trusted_documents_only: false,
            scope: None,
        };
        twinning::store::api_keys::create_key(&db, new)
            .await
            .expect("create a key")
    }

    /// POSTs a GraphQL query that must succeed, and returns its `data`.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let body = self.gql(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// POSTs a GraphQL query with a key that must succeed, and returns its
    /// `data`.
    pub async fn data_as(&self, key: &str, query: &str, variables: Value) -> Value {
        let body = self.gql_as(key, query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// The integer a SQL query returns (a count), read straight from the
    /// server's database.
    pub async fn scalar(&self, sql: &str) -> i64 {
        use sea_orm::ConnectionTrait;
        let db = self.test_db.connect().await;
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                sql.to_owned(),
            ))
            .await
            .expect("query")
            .expect("a row");
        row.try_get_by_index(0).expect("an integer")
    }

    /// How many SQL statements the server has run so far.
    pub fn statements(&self) -> u64 {
        self.statements.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The server's `/metrics` page.
    pub async fn metrics_text(&self) -> String {
        self.client
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text")
    }

    /// One unlabelled series of `/metrics` (0 when absent).
    pub async fn metric(&self, name: &str) -> f64 {
        self.metrics_text()
            .await
            .lines()
            .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or(0.0)
    }

    /// GraphQL requests the server answered, by its `/metrics`.
    pub async fn requests(&self) -> f64 {
        self.metrics_text()
            .await
            .lines()
            .filter(|line| line.starts_with("twinning_graphql_requests_total{"))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server
                .await
                .expect("server task")
                .expect("server stops cleanly");
        }
    }
}

/// A response body without `extensions.cost` (and without `extensions`
/// when nothing else is in it).
fn without_cost(mut body: Value) -> Value {
    if let Some(object) = body.as_object_mut()
        && let Some(extensions) = object.get_mut("extensions").and_then(Value::as_object_mut)
    {
        extensions.remove("cost");
        if extensions.is_empty() {
            object.remove("extensions");
        }
    }
    body
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// `twinning serve` as a process of its own over `database_url`, listening
/// on `port`, with `args` and `env` added; returned once it answers
/// `/health`, killed when dropped.
pub async fn serve_process(
    database_url: &str,
    port: u16,
    args: &[&str],
    env: &[(&str, &str)],
) -> tokio::process::Child {
    let child = serve_command(database_url, port, args, env)
        .spawn()
        .expect("the server starts");
    until_healthy(port).await;
    child
}

/// The command [`serve_process`] runs, for a test that wants its output.
pub fn serve_command(
    database_url: &str,
    port: u16,
    args: &[&str],
    env: &[(&str, &str)],
) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_twinning"));
    command
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("DATABASE_MAX_CONNECTIONS", "4")
        .env("RATE_LIMITS", "false")
        .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        .env_remove("RUST_LOG")
        .envs(env.iter().copied())
        .kill_on_drop(true);
    command
}

/// Sends SIGTERM to process `pid`: a server's graceful stop.
pub fn terminate(pid: u32) {
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -TERM {pid}: {status:?}");
}

/// Waits until the server on `port` answers `/health`.
pub async fn until_healthy(port: u16) {
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if client
            .get(format!("http://127.0.0.1:{port}/health"))
            .send()
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the server did not answer /health");
}

/// An admin key and a webhook endpoint at `url` (with its signing secret)
/// in `test_db`, migrated first: what a test of deliveries from a server
/// process starts with.
pub async fn admin_and_endpoint(test_db: &TestDb, url: &str) -> (String, String) {
    let db = test_db.connect().await;
    twinning::store::connection::migrate(&db)
        .await
        .expect("migrate");
    let key = twinning::store::api_keys::NewKey {
        name: "admin",
        role: twinning::domain::access::Role::Admin,
        trusted_documents_only: false,
        scope: None,
    };
    let admin = twinning::store::api_keys::create_key(&db, key)
        .await
        .expect("a key");
    let secret = twinning::webhooks::sign::new_secret().expect("a secret");
    let filter = twinning::domain::webhooks::EventFilter::default();
    twinning::store::webhooks::create(&db, url, "", &filter, &secret)
        .await
        .expect("an endpoint");
    (admin, secret)
}

/// Creates city `key` through `request` (a POST to a server's `/graphql`,
/// with its credentials), which must succeed.
pub async fn create_city(request: reqwest::RequestBuilder, key: &str) {
    let create =
        "mutation ($input: CityInput!) { createCity(input: $input) { userErrors { message } } }";
    let input = json!({ "key": key, "name": key, "countryCode": "NO" });
    let body: Value = request
        .json(&json!({ "query": create, "variables": { "input": input } }))
        .send()
        .await
        .expect("the server answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        body["data"]["createCity"]["userErrors"],
        json!([]),
        "{body}"
    );
}

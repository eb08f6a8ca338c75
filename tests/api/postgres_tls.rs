//! TLS to PostgreSQL: a private server with `ssl=on` and certificates the
//! test makes. `verify-full` with the right CA connects and serves, a wrong
//! CA stops the start with the reason, `require` connects without checking;
//! without `sslmode` a loopback address is not encrypted, unless asked.

use crate::services::PrivatePostgres;
use std::time::Duration;
use twinning::app::Application;
use twinning::config::Config;

fn config(url: String) -> Config {
    let mut config = Config::new(url);
    config.listen = "127.0.0.1:0".parse().expect("address");
    config.pool.max_connections = 2;
    config.pool.acquire_timeout = Duration::from_secs(10);
    config
}

#[tokio::test]
async fn verify_full_connects_a_wrong_ca_is_refused_require_connects() {
    let Some(postgres) = PrivatePostgres::start("postgres_tls") else {
        return;
    };
    let ca = postgres.certificates.ca.display().to_string();

    // verify-full: the CA signed the certificate, and it names the host.
    let url = postgres.url(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    );
    let app = Application::build(&config(url))
        .await
        .expect("verify-full with the right CA connects");
    let addr = app.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    let body: serde_json::Value = reqwest::Client::new()
        .post(format!("http://{addr}/graphql"))
        .json(&serde_json::json!({ "query": "{ cities(first: 1) { totalCount } }" }))
        .send()
        .await
        .expect("the server answers")
        .json()
        .await
        .expect("JSON");
    assert!(
        body["data"]["cities"]["totalCount"].as_i64().unwrap_or(0) > 0,
        "{body}"
    );
    let _ = stop.send(());
    server.await.expect("server task").expect("clean stop");

    // A CA that did not sign the server's certificate: the start fails and
    // says why.
    let other = crate::services::Certificates::unrelated_ca(postgres.dir.path());
    let url = postgres.url(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={}", other.display()),
    );
    let error = Application::build(&config(url))
        .await
        .err()
        .expect("a wrong CA is refused")
        .to_string();
    assert!(
        error.contains("certificate") && error.contains("UnknownIssuer"),
        "the error names the reason: {error}"
    );

    // require: encrypted, the certificate not checked (no CA given).
    let app = Application::build(&config(postgres.url("127.0.0.1", "sslmode=require")))
        .await
        .expect("require connects");
    drop(app);
}

/// How many of the server's sessions (all but the asking one) are
/// encrypted, and how many there are.
async fn sessions_encrypted(postgres: &PrivatePostgres) -> (i64, i64) {
    use sea_orm::{ConnectionTrait, Statement};
    let db = sea_orm::Database::connect(postgres.url("127.0.0.1", "sslmode=disable"))
        .await
        .expect("connect to ask");
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) FILTER (WHERE s.ssl), COUNT(*) FROM pg_stat_ssl s \
             JOIN pg_stat_activity a USING (pid) \
             WHERE a.backend_type = 'client backend' AND a.pid <> pg_backend_pid()",
        ))
        .await
        .expect("pg_stat_ssl")
        .expect("a row");
    let counts = (
        row.try_get_by_index(0).expect("encrypted"),
        row.try_get_by_index(1).expect("sessions"),
    );
    db.close().await.expect("close");
    counts
}

#[tokio::test]
async fn loopback_without_sslmode_is_plain_prefer_said_is_encrypted() {
    let Some(postgres) = PrivatePostgres::start("postgres_tls_loopback") else {
        return;
    };
    // No sslmode, on 127.0.0.1: the server offers TLS, the pool does not take it.
    let app = Application::build(&config(postgres.url("127.0.0.1", "application_name=tw")))
        .await
        .expect("connects");
    let (encrypted, sessions) = sessions_encrypted(&postgres).await;
    assert!(sessions > 0, "the pool holds a connection");
    assert_eq!(encrypted, 0, "no session of {sessions} encrypted");
    drop(app);

    // sslmode=prefer written down is honoured on loopback too.
    let app = Application::build(&config(postgres.url("localhost", "sslmode=prefer")))
        .await
        .expect("connects");
    let (encrypted, sessions) = sessions_encrypted(&postgres).await;
    assert!(
        encrypted > 0,
        "{encrypted} of {sessions} sessions encrypted"
    );
    drop(app);
}

//! TLS to PostgreSQL: a private server with `ssl=on` and certificates the
//! test makes. `verify-full` with the right CA connects and serves, a wrong
//! CA stops the start with the reason, `require` connects without checking.

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

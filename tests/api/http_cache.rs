//! HTTP caching of anonymous GET queries: Cache-Control, ETag, 304 without
//! running the query, nothing cacheable with a key, for a POST or an error;
//! then through a real nginx `proxy_cache` (the shipped `deploy/nginx.conf`).

use crate::helpers::{TestApp, spawn_app_configured, spawn_beside};
use crate::services::{free_port, installed};
use reqwest::header::{CACHE_CONTROL, ETAG, IF_NONE_MATCH, VARY};
use serde_json::json;
use std::time::Duration;
use twinning::domain::access::Role;

const QUERY: &str = "query=%7B%20cities(first%3A%202)%20%7B%20totalCount%20%7D%20%7D";

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn get(app: &TestApp, base: &str, query: &str) -> reqwest::Response {
    app.client
        .get(format!("{base}/graphql?{query}"))
        .send()
        .await
        .expect("an answer")
}

#[tokio::test]
async fn anonymous_gets_are_cacheable_and_revalidate_until_a_write() {
    let app = spawn_app_configured(|_| {}).await;
    let base = app.url("");
    let first = get(&app, &base, QUERY).await;
    assert_eq!(first.status(), 200);
    assert_eq!(header(&first, CACHE_CONTROL), "public, max-age=60");
    assert!(header(&first, VARY).contains("Authorization"));
    let tag = header(&first, ETAG);
    assert!(tag.starts_with("W/\""), "{tag}");

    // The same tag: 304, and the query does not run.
    let before = app.requests().await;
    let again = app
        .client
        .get(format!("{base}/graphql?{QUERY}"))
        .header(IF_NONE_MATCH, &tag)
        .send()
        .await
        .expect("an answer");
    assert_eq!(again.status(), 304);
    assert_eq!(header(&again, ETAG), tag);
    assert_eq!(app.requests().await, before, "a 304 runs nothing");

    // With a key: private. A POST, an error: never kept.
    let reader = app.key("cache-reader", Role::Reader).await;
    let keyed = app
        .client
        .get(format!("{base}/graphql?{QUERY}"))
        .bearer_auth(&reader)
        .send()
        .await
        .expect("an answer");
    assert_eq!(header(&keyed, CACHE_CONTROL), "private, no-store");
    assert!(header(&keyed, ETAG).is_empty());
    let (post, _) = {
        let response = app
            .client
            .post(app.url("/graphql"))
            .json(&json!({ "query": "{ cities(first: 2) { totalCount } }" }))
            .send()
            .await
            .expect("an answer");
        (header(&response, CACHE_CONTROL), ())
    };
    assert_eq!(post, "no-store");
    let error = get(&app, &base, "query=%7B%20nothing%20%7D").await;
    assert_eq!(header(&error, CACHE_CONTROL), "no-store");
    assert!(header(&error, ETAG).is_empty());

    // A write: the old tag no longer matches, and the answer is new.
    let editor = app.key("cache-editor", Role::Editor).await;
    let created = app
        .gql_as(
            &editor,
            r#"mutation { createCity(input: { key: "cache-town", name: "Cache", countryCode: "NO" }) { city { key } } }"#,
            json!({}),
        )
        .await;
    assert!(created.get("errors").is_none(), "{created}");
    let after = app
        .client
        .get(format!("{base}/graphql?{QUERY}"))
        .header(IF_NONE_MATCH, &tag)
        .send()
        .await
        .expect("an answer");
    assert_eq!(after.status(), 200);
    assert_ne!(header(&after, ETAG), tag);
}

#[tokio::test]
async fn cache_max_age_zero_turns_caching_off() {
    let app = spawn_app_configured(|config| config.cache_max_age = 0).await;
    let response = get(&app, &app.url(""), QUERY).await;
    assert_eq!(header(&response, CACHE_CONTROL), "no-store");
    assert!(header(&response, ETAG).is_empty());
}

/// nginx with `deploy/nginx.conf`, its ports and paths replaced, in front
/// of `upstreams`; stopped when dropped.
pub struct Nginx {
    pub port: u16,
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl Nginx {
    pub async fn start(upstreams: [&TestApp; 2], test: &str) -> Option<Nginx> {
        let binary = installed("nginx", test)?;
        let dir = tempfile::tempdir().expect("a directory");
        let port = free_port();
        let path = dir.path().display().to_string();
        let config =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/nginx.conf"))
                .expect("deploy/nginx.conf")
                .replace("127.0.0.1:8001", &upstreams[0].addr.to_string())
                .replace("127.0.0.1:8002", &upstreams[1].addr.to_string())
                .replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"))
                .replace("/var/cache/nginx", &path)
                .replace("/var/log/nginx", &path)
                .replace("/run", &path)
                .replace("worker_processes auto;", "worker_processes 1;");
        let file = dir.path().join("nginx.conf");
        std::fs::write(&file, config).expect("write the configuration");
        let mut child = std::process::Command::new(binary)
            .arg("-p")
            .arg(dir.path())
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .arg("-c")
            .arg(&file)
            // In the foreground, one process, as whoever runs the test.
            .args(["-g", "daemon off; master_process off;"])
            .spawn()
            .expect("nginx starts");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Some(Nginx {
                    port,
                    child,
                    _dir: dir,
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "nginx did not start: {}",
            std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default()
        );
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn a_repeated_anonymous_get_is_answered_by_nginx_without_reaching_a_server() {
    let a = spawn_app_configured(|config| config.rate_limits.forwarded_hops = 1).await;
    let b = spawn_beside(&a, |config| config.rate_limits.forwarded_hops = 1).await;
    let Some(nginx) = Nginx::start([&a, &b], "http_cache::nginx").await else {
        return;
    };
    let base = format!("http://127.0.0.1:{}", nginx.port);
    let served = || async { a.requests().await + b.requests().await };
    let first = get(&a, &base, QUERY).await;
    assert_eq!(first.status(), 200);
    assert_eq!(
        header(&first, "x-cache-status".parse().expect("name")),
        "MISS"
    );
    let body: serde_json::Value = first.json().await.expect("JSON");
    assert_eq!(served().await, 1.0);

    let second = get(&a, &base, QUERY).await;
    assert_eq!(
        header(&second, "x-cache-status".parse().expect("name")),
        "HIT"
    );
    let again: serde_json::Value = second.json().await.expect("JSON");
    assert_eq!(again["data"], body["data"]);
    assert_eq!(served().await, 1.0, "the proxy answered, no server ran it");

    // With a key, every request reaches a server.
    let reader = a.key("proxy-reader", Role::Reader).await;
    for _ in 0..2 {
        let keyed = a
            .client
            .get(format!("{base}/graphql?{QUERY}"))
            .bearer_auth(&reader)
            .send()
            .await
            .expect("an answer");
        assert_eq!(keyed.status(), 200);
        assert_ne!(
            header(&keyed, "x-cache-status".parse().expect("name")),
            "HIT"
        );
    }
    assert_eq!(served().await, 3.0);
}

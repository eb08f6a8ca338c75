//! Sign-in with an identity provider's JWTs: keys made by the test (an RSA
//! and an EC pair, with the `openssl` command), a JWKS served by a local
//! HTTP server, and tokens signed by the test — valid, expired, not yet
//! valid, for another audience or issuer, with an unknown key (then known
//! after the JWKS is refetched), tampered with, `alg: none`, and HS256 with
//! the public key as the secret.

use crate::helpers::{TestApp, spawn_app_configured};
use crate::ws_client::{Client, Closed};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use twinning::domain::access::Role;

const ISSUER: &str = "https://login.example.org/realms/twinning";
const AUDIENCE: &str = "twinning-api";
const REFRESH: Duration = Duration::from_secs(1);

/// A key pair made with `openssl`: its private key (PEM) and its public
/// JWK.
struct Pair {
    private_pem: Vec<u8>,
    public_pem: Vec<u8>,
    jwk: Value,
}

fn openssl(dir: &std::path::Path, args: &[&str]) -> Vec<u8> {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(output.status.success(), "openssl {args:?}: {output:?}");
    output.stdout
}

fn rsa_pair(dir: &std::path::Path, kid: &str) -> Pair {
    let file = format!("{kid}.pem");
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            &file,
        ],
    );
    let modulus = String::from_utf8(openssl(dir, &["rsa", "-in", &file, "-noout", "-modulus"]))
        .expect("text");
    let hex = modulus.trim().trim_start_matches("Modulus=");
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect();
    Pair {
        private_pem: std::fs::read(dir.join(&file)).expect("the key"),
        public_pem: openssl(dir, &["pkey", "-in", &file, "-pubout"]),
        jwk: json!({ "kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
            "n": B64.encode(bytes), "e": "AQAB" }),
    }
}

fn ec_pair(dir: &std::path::Path, kid: &str) -> Pair {
    let file = format!("{kid}.pem");
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            &file,
        ],
    );
    // The DER public key ends with the point: 0x04, x, y.
    let der = openssl(dir, &["pkey", "-in", &file, "-pubout", "-outform", "DER"]);
    let point = &der[der.len() - 64..];
    Pair {
        private_pem: std::fs::read(dir.join(&file)).expect("the key"),
        public_pem: openssl(dir, &["pkey", "-in", &file, "-pubout"]),
        jwk: json!({ "kty": "EC", "kid": kid, "use": "sig", "alg": "ES256", "crv": "P-256",
            "x": B64.encode(&point[..32]), "y": B64.encode(&point[32..]) }),
    }
}

/// The provider: a JWKS on a local HTTP server, which counts its fetches.
struct Provider {
    url: String,
    keys: Arc<Mutex<Vec<Value>>>,
    fetches: Arc<AtomicUsize>,
}

async fn provider(keys: Vec<Value>) -> Provider {
    let keys = Arc::new(Mutex::new(keys));
    let fetches = Arc::new(AtomicUsize::new(0));
    let (served, counted) = (keys.clone(), fetches.clone());
    let router = axum::Router::new().route(
        "/jwks",
        axum::routing::get(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            let keys = served.lock().expect("keys").clone();
            async move { axum::Json(json!({ "keys": keys })) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/jwks", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    Provider { url, keys, fetches }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Claims of a valid token, to change.
fn claims(role: &str) -> Value {
    json!({ "iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "exp": now() + 600,
        "iat": now(), "twinning_role": role, "twinning_cities": ["murmansk"] })
}

fn sign(pair: &Pair, alg: Algorithm, kid: &str, claims: &Value) -> String {
    let key = match alg {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(&pair.private_pem),
        _ => EncodingKey::from_ec_pem(&pair.private_pem),
    }
    .expect("a signing key");
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &key).expect("a token")
}

async fn app_for(provider: &Provider) -> TestApp {
    let url = provider.url.clone();
    spawn_app_configured(move |config| {
        config.jwt = Some(twinning::jwt::JwtSettings {
            issuer: ISSUER.into(),
            audience: AUDIENCE.into(),
            jwks: twinning::jwt::JwksSource::parse(&url),
            role_claim: "twinning_role".into(),
            scope_claim: "twinning_cities".into(),
            leeway: Duration::from_secs(2),
            refresh_interval: REFRESH,
        });
    })
    .await
}

const READ: &str = r#"{ city(key: "harbin") { key } }"#;

/// The error of a request with `token`: its code and message.
async fn refused(app: &TestApp, token: &str) -> (String, String) {
    let body = app.gql_as(token, READ, json!({})).await;
    assert!(
        body["data"].is_null(),
        "a refused token reads nothing: {body}"
    );
    let error = &body["errors"][0];
    (
        error["extensions"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        error["message"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn tokens_from_the_provider_sign_in_and_bad_ones_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().expect("a directory");
    let rsa = rsa_pair(dir.path(), "rsa-1");
    let ec = ec_pair(dir.path(), "ec-1");
    let provider = provider(vec![rsa.jwk.clone(), ec.jwk.clone()]).await;
    let app = app_for(&provider).await;

    // Valid RS256 and ES256 tokens read and, as their claims say, write.
    let editor = sign(&rsa, Algorithm::RS256, "rsa-1", &claims("editor"));
    let reader = sign(&ec, Algorithm::ES256, "ec-1", &claims("reader"));
    for token in [&editor, &reader] {
        let body = app.gql_as(token, READ, json!({})).await;
        assert_eq!(body["data"]["city"]["key"], "harbin", "{body}");
    }
    let topic = r#"mutation { createTopic(input: { key: "ice-hockey", name: "Ice hockey" }) { userErrors { code } } }"#;
    let body = app.gql_as(&reader, topic, json!({})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );
    let body = app.gql_as(&editor, topic, json!({})).await;
    assert_eq!(
        body["data"]["createTopic"]["userErrors"],
        json!([]),
        "{body}"
    );
    // The token's scope holds it to Murmansk's records.
    let harbin = r#"mutation { createOrganization(input: { key: "harbin-zoo", name: "Harbin Zoo", kind: OTHER, city: "harbin" }) { userErrors { code } } }"#;
    let body = app.gql_as(&editor, harbin, json!({})).await;
    assert_eq!(
        body["errors"][0]["message"],
        "organization harbin-zoo involves no city in this token's scope (murmansk)"
    );
    // The history names the token's subject and scope.
    let admin = app.key("admin", Role::Admin).await;
    let changes = app
        .data_as(
            &admin,
            "{ changes(first: 1) { nodes { actor scope } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        changes["changes"]["nodes"],
        json!([{ "actor": "token:alice", "scope": ["murmansk"] }])
    );
    // API keys keep working beside tokens.
    let body = app.gql_as(&admin, READ, json!({})).await;
    assert_eq!(body["data"]["city"]["key"], "harbin", "{body}");

    let with = |change: &dyn Fn(&mut Value)| {
        let mut claims = claims("editor");
        change(&mut claims);
        sign(&rsa, Algorithm::RS256, "rsa-1", &claims)
    };
    // Expired a minute ago, beyond the two seconds' leeway; just expired,
    // within it.
    let expired = with(&|c| c["exp"] = json!(now() - 60));
    let just_expired = with(&|c| c["exp"] = json!(now() - 1));
    let early = with(&|c| c["nbf"] = json!(now() + 600));
    let audience = with(&|c| c["aud"] = json!("another-api"));
    let issuer = with(&|c| c["iss"] = json!("https://evil.example.org"));
    let no_role = with(&|c| c["twinning_role"] = json!("superuser"));
    let bad_scope = with(&|c| c["twinning_cities"] = json!(["Murmansk"]));
    let body = app.gql_as(&just_expired, READ, json!({})).await;
    assert_eq!(body["data"]["city"]["key"], "harbin", "{body}");

    // The payload changed after signing: the role raised to admin.
    let parts: Vec<&str> = editor.split('.').collect();
    let raised = B64.encode(claims("admin").to_string());
    let tampered = format!("{}.{raised}.{}", parts[0], parts[2]);
    // `alg: none`, unsigned.
    let none_header = B64.encode(r#"{"alg":"none","typ":"JWT","kid":"rsa-1"}"#);
    let unsigned = format!("{none_header}.{raised}.");
    // HS256 with the RSA public key as the shared secret.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("rsa-1".into());
    let confused = jsonwebtoken::encode(
        &header,
        &claims("admin"),
        &EncodingKey::from_secret(&rsa.public_pem),
    )
    .expect("a token");
    let unknown = sign(&rsa, Algorithm::RS256, "rsa-0", &claims("editor"));

    for (token, reason) in [
        (expired.as_str(), "it has expired"),
        (&early, "it is not valid yet (nbf)"),
        (&audience, "wrong audience"),
        (&issuer, "wrong issuer"),
        (&tampered, "bad signature"),
        (
            &unsigned,
            "it is not a JWT signed with RS256 or ES256 (a header that does not read, or another algorithm such as none)",
        ),
        (
            &confused,
            "its algorithm HS256 is not accepted (RS256 or ES256)",
        ),
        (&unknown, "unknown key \"rsa-0\""),
        (
            &no_role,
            "its twinning_role claim is missing or not one of reader, editor, admin",
        ),
        (
            &bad_scope,
            "its twinning_cities claim: \"Murmansk\" is not a city key (lowercase letters, digits and hyphens)",
        ),
        (
            "not.a.token",
            "it is not a JWT signed with RS256 or ES256 (a header that does not read, or another algorithm such as none)",
        ),
    ] {
        assert_eq!(
            refused(&app, token).await,
            (
                "UNAUTHENTICATED".to_owned(),
                format!("the token is not valid: {reason}")
            ),
            "{reason}"
        );
    }
}

/// A key the JWKS does not have yet is refused; once the provider publishes
/// it, the next token after the refresh interval is accepted, and the JWKS
/// is not fetched again sooner than that.
#[tokio::test]
async fn an_unknown_key_is_fetched_once_the_provider_publishes_it() {
    let dir = tempfile::tempdir().expect("a directory");
    let old = rsa_pair(dir.path(), "rsa-1");
    let new = ec_pair(dir.path(), "ec-2");
    let provider = provider(vec![old.jwk.clone()]).await;
    let app = app_for(&provider).await;
    let token = sign(&new, Algorithm::ES256, "ec-2", &claims("reader"));
    assert_eq!(
        refused(&app, &token).await.1,
        "the token is not valid: unknown key \"ec-2\""
    );
    provider.keys.lock().expect("keys").push(new.jwk.clone());
    tokio::time::sleep(REFRESH + Duration::from_millis(100)).await;
    let before = provider.fetches.load(Ordering::SeqCst);
    let body = app.gql_as(&token, READ, json!({})).await;
    assert_eq!(body["data"]["city"]["key"], "harbin", "{body}");
    assert_eq!(provider.fetches.load(Ordering::SeqCst), before + 1);
    // Another unknown key right after: refused without a fetch.
    let stranger = sign(&new, Algorithm::ES256, "ec-3", &claims("reader"));
    assert_eq!(
        refused(&app, &stranger).await.1,
        "the token is not valid: unknown key \"ec-3\""
    );
    assert_eq!(provider.fetches.load(Ordering::SeqCst), before + 1);
}

/// `connection_init` takes the same tokens; a connection whose token
/// expires is closed with 4401, and a bad token never gets an ack.
#[tokio::test]
async fn a_subscription_ends_when_its_token_expires() {
    let dir = tempfile::tempdir().expect("a directory");
    let rsa = rsa_pair(dir.path(), "rsa-1");
    let provider = provider(vec![rsa.jwk.clone()]).await;
    let app = app_for(&provider).await;
    let mut short = claims("reader");
    short["exp"] = json!(now() + 1);
    let token = sign(&rsa, Algorithm::RS256, "rsa-1", &short);
    let mut client =
        Client::connect(&app, json!({ "Authorization": format!("Bearer {token}") })).await;
    client
        .subscribe(
            "m",
            r#"subscription { recordChanged(keys: ["murmansk"]) { recordKey } }"#,
        )
        .await;
    assert_eq!(
        client.closed().await,
        Closed {
            code: 4401,
            reason: "the token expired; sign in again".to_owned()
        }
    );

    let mut expired = claims("reader");
    expired["exp"] = json!(now() - 60);
    let token = sign(&rsa, Algorithm::RS256, "rsa-1", &expired);
    let mut refused = Client::open(
        app.addr,
        json!({ "Authorization": format!("Bearer {token}") }),
    )
    .await;
    assert_eq!(
        refused.closed().await,
        Closed {
            code: 4403,
            reason: "the token is not valid: it has expired".to_owned()
        }
    );
}

/// The JWKS may be a file; a server whose JWKS cannot be read does not
/// start, and says which option is at fault.
#[tokio::test]
async fn the_jwks_may_be_a_file_and_an_unreadable_one_stops_the_start() {
    let dir = tempfile::tempdir().expect("a directory");
    let ec = ec_pair(dir.path(), "ec-1");
    let path = dir.path().join("jwks.json");
    std::fs::write(&path, json!({ "keys": [ec.jwk] }).to_string()).expect("write the JWKS");
    let settings = |jwks: &std::path::Path| twinning::jwt::JwtSettings {
        issuer: ISSUER.into(),
        audience: AUDIENCE.into(),
        jwks: twinning::jwt::JwksSource::parse(&jwks.display().to_string()),
        role_claim: "twinning_role".into(),
        scope_claim: "twinning_cities".into(),
        leeway: Duration::from_secs(2),
        refresh_interval: REFRESH,
    };
    let from_file = settings(&path);
    let app = spawn_app_configured(move |config| config.jwt = Some(from_file)).await;
    let token = sign(&ec, Algorithm::ES256, "ec-1", &claims("reader"));
    let body = app.gql_as(&token, READ, json!({})).await;
    assert_eq!(body["data"]["city"]["key"], "harbin", "{body}");

    let db = crate::helpers::TestDb::new().await;
    let mut config = twinning::config::Config::new(db.url.clone());
    config.listen = "127.0.0.1:0".parse().expect("address");
    config.jwt = Some(settings(&dir.path().join("missing.json")));
    let Err(error) = twinning::app::Application::build(&config).await else {
        panic!("a server without its signing keys started");
    };
    let message = error.to_string();
    assert!(
        message.starts_with("cannot load the identity provider's signing keys: --jwt-jwks ")
            && message.contains("missing.json"),
        "{message}"
    );
}

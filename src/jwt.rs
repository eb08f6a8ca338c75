//! Sign-in with an identity provider: a `Bearer` token that is a JWT from
//! the configured issuer, for the configured audience, signed (RS256 or
//! ES256) by a key of the provider's JWKS, stands for a caller whose role
//! and scope come from two of its claims. `jsonwebtoken` checks signature,
//! expiry, not-before, issuer and audience; this module keeps the JWKS (a
//! file or an http(s) URL), refetched when a token names an unknown `kid`,
//! at most once per refresh interval, and turns the claims into a
//! principal.

use crate::domain::access::{Principal, Role, Scope};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, errors::ErrorKind};
use serde_json::Value;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Where the signing keys are published.
#[derive(Clone, Debug)]
pub enum JwksSource {
    File(std::path::PathBuf),
    Url(String),
}

impl JwksSource {
    /// `http://…` or `https://…` is a URL; anything else a file path.
    pub fn parse(text: &str) -> Self {
        if text.starts_with("http://") || text.starts_with("https://") {
            Self::Url(text.to_owned())
        } else {
            Self::File(text.into())
        }
    }
}

/// How tokens are checked.
#[derive(Clone, Debug)]
pub struct JwtSettings {
    /// The `iss` every token must have.
    pub issuer: String,
    /// The `aud` every token must name.
    pub audience: String,
    pub jwks: JwksSource,
    /// The claim holding the role: `reader`, `editor` or `admin`.
    pub role_claim: String,
    /// The claim holding the scope's city keys (a list, or one string of
    /// keys separated by commas or spaces); absent: unscoped.
    pub scope_claim: String,
    /// Clock skew allowed on `exp` and `nbf`.
    pub leeway: Duration,
    /// The least time between two fetches of the JWKS.
    pub refresh_interval: Duration,
}

/// Why a token was refused; the message is the client's.
#[derive(Debug, thiserror::Error)]
#[error("the token is not valid: {0}")]
pub struct TokenError(String);

/// Why the JWKS could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("--jwt-jwks {place}: {reason}")]
pub struct JwksError {
    place: String,
    reason: String,
}

/// Checks tokens against the provider's keys.
#[derive(Debug)]
pub struct Verifier {
    settings: JwtSettings,
    keys: Mutex<Keys>,
    http: reqwest::Client,
}

#[derive(Debug)]
struct Keys {
    set: JwkSet,
    fetched: Instant,
}

/// A verified token's caller and when its token expires (Unix seconds).
pub struct Verified {
    pub principal: Principal,
    pub expires_at: u64,
}

impl Verifier {
    /// A verifier with the JWKS loaded now: a server that cannot read its
    /// keys does not start.
    pub async fn new(settings: JwtSettings) -> Result<Self, JwksError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| JwksError {
                place: "client".into(),
                reason: e.to_string(),
            })?;
        let set = load(&http, &settings.jwks).await?;
        Ok(Self {
            settings,
            keys: Mutex::new(Keys {
                set,
                fetched: Instant::now(),
            }),
            http,
        })
    }

    /// The caller a token stands for, or why it is refused.
    pub async fn verify(&self, token: &str) -> Result<Verified, TokenError> {
        let refuse = |reason: &str| TokenError(reason.to_owned());
        let header = jsonwebtoken::decode_header(token).map_err(|_| {
            refuse("it is not a JWT signed with RS256 or ES256 (a header that does not read, or another algorithm such as none)")
        })?;
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
            return Err(refuse(&format!(
                "its algorithm {:?} is not accepted (RS256 or ES256)",
                header.alg
            )));
        }
        let kid = header
            .kid
            .ok_or_else(|| refuse("its header names no key (kid)"))?;
        let key = self.key(&kid).await?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.settings.issuer]);
        validation.set_audience(&[&self.settings.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.validate_nbf = true;
        validation.leeway = self.settings.leeway.as_secs();
        let data = jsonwebtoken::decode::<Value>(token, &key, &validation).map_err(|e| {
            refuse(match e.kind() {
                ErrorKind::ExpiredSignature => "it has expired",
                ErrorKind::ImmatureSignature => "it is not valid yet (nbf)",
                ErrorKind::InvalidAudience => "wrong audience",
                ErrorKind::InvalidIssuer => "wrong issuer",
                ErrorKind::InvalidSignature => "bad signature",
                ErrorKind::InvalidAlgorithm => "its algorithm does not fit its key",
                ErrorKind::MissingRequiredClaim(_) => "it lacks exp, iss or aud",
                _ => "it does not read as a signed JWT",
            })
        })?;
        self.caller(&data.claims)
    }

    /// The principal of verified claims.
    fn caller(&self, claims: &Value) -> Result<Verified, TokenError> {
        let settings = &self.settings;
        let role = claims
            .get(&settings.role_claim)
            .and_then(Value::as_str)
            .and_then(Role::parse)
            .ok_or_else(|| {
                TokenError(format!(
                    "its {} claim is missing or not one of reader, editor, admin",
                    settings.role_claim
                ))
            })?;
        let scope = match claims.get(&settings.scope_claim) {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => {
                Some(Scope::new(items.iter().map(|v| v.as_str().unwrap_or(""))))
            }
            Some(Value::String(text)) => {
                Some(Scope::new(text.split([',', ' ']).filter(|s| !s.is_empty())))
            }
            Some(_) => Some(Scope::new([""])),
        }
        .transpose()
        .map_err(|e| TokenError(format!("its {} claim: {e}", settings.scope_claim)))?;
        let subject = claims.get("sub").and_then(Value::as_str).unwrap_or("?");
        let expires_at = claims.get("exp").and_then(Value::as_u64).unwrap_or(0);
        Ok(Verified {
            principal: Principal::Token {
                subject: format!("token:{subject}"),
                role,
                scope,
            },
            expires_at: expires_at + settings.leeway.as_secs(),
        })
    }

    /// The key named `kid`, refetching the JWKS once if it is unknown and
    /// the last fetch is older than the refresh interval.
    async fn key(&self, kid: &str) -> Result<DecodingKey, TokenError> {
        let mut keys = self.keys.lock().await;
        if keys.set.find(kid).is_none() && keys.fetched.elapsed() >= self.settings.refresh_interval
        {
            keys.fetched = Instant::now();
            match load(&self.http, &self.settings.jwks).await {
                Ok(set) => keys.set = set,
                Err(error) => tracing::warn!(%error, "refreshing the JWKS"),
            }
        }
        let jwk = keys
            .set
            .find(kid)
            .ok_or_else(|| TokenError(format!("unknown key {kid:?}")))?;
        DecodingKey::from_jwk(jwk)
            .map_err(|_| TokenError(format!("key {kid:?} of the JWKS is not usable")))
    }
}

/// Reads a JWKS from its file or URL.
async fn load(http: &reqwest::Client, source: &JwksSource) -> Result<JwkSet, JwksError> {
    let (name, text) = match source {
        JwksSource::File(path) => (
            path.display().to_string(),
            tokio::fs::read_to_string(path)
                .await
                .map_err(|e| e.to_string()),
        ),
        JwksSource::Url(url) => (url.clone(), fetch(http, url).await),
    };
    let fail = |reason: String| JwksError {
        place: name.clone(),
        reason,
    };
    let text = text.map_err(fail)?;
    serde_json::from_str(&text).map_err(|e| fail(format!("not a JWKS: {e}")))
}

async fn fetch(http: &reqwest::Client, url: &str) -> Result<String, String> {
    let response = http.get(url).send().await.map_err(|e| e.to_string())?;
    let response = response.error_for_status().map_err(|e| e.to_string())?;
    response.text().await.map_err(|e| e.to_string())
}

//! The options of sign-in with an identity provider's tokens.

use crate::jwt::{JwksSource, JwtSettings};
use clap::Args;
use std::time::Duration;

/// Sign-in with JWTs from an OpenID Connect provider, beside API keys.
/// Given `--jwt-issuer`, also `--jwt-audience` and `--jwt-jwks` are needed.
#[derive(Debug, Clone, Args)]
pub struct JwtArgs {
    /// Accept `Bearer` JWTs from this issuer (their `iss` claim), such as
    /// `https://login.example.org/realms/murmansk`.
    #[arg(long, env = "JWT_ISSUER", requires_all = ["jwt_audience", "jwt_jwks"])]
    pub jwt_issuer: Option<String>,
    /// The audience tokens must name (`aud`): this API's client id at the
    /// provider.
    #[arg(long, env = "JWT_AUDIENCE", requires = "jwt_issuer")]
    pub jwt_audience: Option<String>,
    /// The provider's signing keys (RS256, ES256): a JWKS file, or its
    /// http(s) URL (the `jwks_uri` of the provider's discovery document).
    #[arg(long, env = "JWT_JWKS", requires = "jwt_issuer")]
    pub jwt_jwks: Option<String>,
    /// The claim holding the caller's role: `reader`, `editor` or `admin`.
    #[arg(long, env = "JWT_ROLE_CLAIM", default_value = "twinning_role")]
    pub jwt_role_claim: String,
    /// The claim holding the city keys a scoped editor may change (a list,
    /// or keys separated by commas or spaces); without it, unscoped.
    #[arg(long, env = "JWT_SCOPE_CLAIM", default_value = "twinning_cities")]
    pub jwt_scope_claim: String,
    /// Clock skew allowed on `exp` and `nbf`, in seconds.
    #[arg(long, env = "JWT_LEEWAY_SECS", default_value_t = 30)]
    pub jwt_leeway_secs: u64,
    /// The least time between two fetches of the JWKS, which is refetched
    /// when a token names a key it lacks, in seconds.
    #[arg(long, env = "JWT_JWKS_REFRESH_SECS", default_value_t = 60)]
    pub jwt_jwks_refresh_secs: u64,
}

impl JwtArgs {
    /// The settings these options give; `None` without an issuer.
    pub fn settings(&self) -> Option<JwtSettings> {
        let (issuer, audience, jwks) = (
            self.jwt_issuer.clone()?,
            self.jwt_audience.clone()?,
            self.jwt_jwks.as_deref()?,
        );
        Some(JwtSettings {
            issuer,
            audience,
            jwks: JwksSource::parse(jwks),
            role_claim: self.jwt_role_claim.clone(),
            scope_claim: self.jwt_scope_claim.clone(),
            leeway: Duration::from_secs(self.jwt_leeway_secs),
            refresh_interval: Duration::from_secs(self.jwt_jwks_refresh_secs),
        })
    }
}

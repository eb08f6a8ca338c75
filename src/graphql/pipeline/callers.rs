//! Who is calling: an API key, a token from the identity provider, or
//! nobody; or why they may not ask anything at all.

use super::Refusal;
use crate::domain::access::Principal;
use crate::error::ErrorCode;
use crate::store::Db;

/// What deciding who calls needs.
pub struct SignIn<'a> {
    pub db: &'a Db,
    /// Sign-in with the identity provider's tokens, when configured.
    pub jwt: Option<&'a crate::jwt::Verifier>,
    /// Clients without a key may read.
    pub public_reads: bool,
}

impl SignIn<'_> {
    /// Who sends `authorization`, and when their token expires (Unix
    /// seconds; `None` for API keys and anonymous clients). A bearer that
    /// is not an API key is a JWT when sign-in is configured: an invalid
    /// one is refused, never taken for anonymous.
    pub async fn caller(
        &self,
        authorization: Option<&str>,
    ) -> Result<(Principal, Option<u64>), Refusal> {
        let unauthenticated = |message: String| Refusal {
            code: ErrorCode::Unauthenticated,
            message: message.into(),
        };
        let bearer = authorization.map(|value| {
            let value = value.trim();
            value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
                .unwrap_or(value)
                .trim()
        });
        if let (Some(jwt), Some(token)) = (self.jwt, bearer)
            && !token.is_empty()
            && !token.starts_with("tw_")
        {
            return match jwt.verify(token).await {
                Ok(verified) => Ok((verified.principal, Some(verified.expires_at))),
                Err(error) => Err(unauthenticated(error.to_string())),
            };
        }
        let principal = match crate::store::api_keys::authenticate(self.db, authorization).await {
            Ok(principal) => principal,
            Err(crate::store::api_keys::AuthError::InvalidKey) => {
                return Err(unauthenticated("the API key is not valid".into()));
            }
            Err(crate::store::api_keys::AuthError::Database(error)) => {
                tracing::warn!(%error, "checking an API key");
                let (code, message) = crate::error::database_failure(&error);
                return Err(Refusal {
                    code,
                    message: message.into(),
                });
            }
        };
        if principal == Principal::Anonymous && !self.public_reads {
            return Err(unauthenticated(
                "this server needs an API key for every request (Authorization: Bearer <key>)"
                    .into(),
            ));
        }
        Ok((principal, None))
    }
}

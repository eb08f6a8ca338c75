//! What a resolver can fail with, the codes clients see on errors, and the
//! one place that decides what the client sees of a failure.

use async_graphql::{ErrorExtensions, ServerError};

/// Declares [`ErrorCode`] from one table of variants, their docs and their
/// wire strings, so that the two directions (`as_str` and `FromStr`) cannot
/// drift apart.
macro_rules! error_codes {
    ($($(#[$doc:meta])+ $variant:ident => $wire:literal,)+) => {
        /// The `extensions.code` of a top-level GraphQL error: the stable
        /// word a client branches on. (The `code` of a mutation's
        /// `userErrors` is another vocabulary, the interchange format's
        /// `ProblemCode`.) Over HTTP, `crate::http` gives each its status.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[$doc])+ $variant,)+
        }

        impl ErrorCode {
            /// Every code.
            pub const ALL: &[ErrorCode] = &[$(ErrorCode::$variant,)+];

            /// The code as clients read it.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $wire,)+
                }
            }
        }
    };
}

error_codes! {
    /// The HTTP request is not a GraphQL request (a body that is not JSON, a
    /// parameter of the wrong type, no `query`, a multipart body that does
    /// not follow the multipart request specification), or its
    /// `persistedQuery` extension is malformed. The message names the fault.
    BadRequest => "BAD_REQUEST",
    /// A POST whose `Content-Type` is neither `application/json` nor
    /// `multipart/form-data`.
    UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
    /// A mutation sent with GET, which must be safe to repeat.
    MethodNotAllowed => "METHOD_NOT_ALLOWED",
    /// A batch of more operations than `--max-batch`.
    BatchLimit => "BATCH_LIMIT",
    /// A multipart request with a file (or another part) larger than an
    /// upload may be.
    UploadLimit => "UPLOAD_LIMIT",
    /// A missing, unknown or revoked API key where one is needed (a write,
    /// or any request when public reads are off).
    Unauthenticated => "UNAUTHENTICATED",
    /// The key's role is too low for the operation, or the write reaches a
    /// record outside a scoped editor's cities (the message names it).
    Forbidden => "FORBIDDEN",
    /// A client held to the trusted documents sent another one.
    UntrustedDocument => "UNTRUSTED_DOCUMENT",
    /// An automatic persisted query's hash the server does not know: the
    /// client sends the query again, with its text.
    PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
    /// A persisted query whose text does not have the hash sent with it.
    PersistedQueryHashMismatch => "PERSISTED_QUERY_HASH_MISMATCH",
    /// A query too large to be registered as a persisted query.
    PersistedQueryTooLarge => "PERSISTED_QUERY_TOO_LARGE",
    /// The query's text is not a GraphQL document.
    GraphqlParseFailed => "GRAPHQL_PARSE_FAILED",
    /// The document does not fit the schema, or its variables do not fit
    /// the document.
    GraphqlValidationFailed => "GRAPHQL_VALIDATION_FAILED",
    /// The query nests deeper than `--max-depth`.
    DepthLimit => "DEPTH_LIMIT",
    /// The query selects more fields than `--max-fields`.
    FieldLimit => "FIELD_LIMIT",
    /// The query may return more nodes than `--max-nodes`.
    NodeLimit => "NODE_LIMIT",
    /// A page larger than `--max-page-size`.
    PageSizeLimit => "PAGE_SIZE_LIMIT",
    /// `nodes(ids:)` with more ids than `--max-ids`.
    IdLimit => "ID_LIMIT",
    /// The request costs more than the caller's whole budget: no wait
    /// would help.
    CostLimit => "COST_LIMIT",
    /// The request costs more than is left of the caller's budget; the
    /// error's `retryAfter` says when to try again.
    RateLimited => "RATE_LIMITED",
    /// An argument the client can fix (a page size over the limit, a
    /// malformed cursor or id, neither or both of two arguments that
    /// exclude each other); the message says which and why.
    BadUserInput => "BAD_USER_INPUT",
    /// A subscriber fell so far behind that changes were dropped for it;
    /// its subscription ends.
    SubscriberLagged => "SUBSCRIBER_LAGGED",
    /// The database cannot be reached; try again shortly.
    ServiceUnavailable => "SERVICE_UNAVAILABLE",
    /// A statement ran longer than the database allows.
    Timeout => "TIMEOUT",
    /// Anything else that went wrong in the server; it is logged, and the
    /// client learns nothing more.
    Internal => "INTERNAL",
}

impl std::str::FromStr for ErrorCode {
    type Err = UnknownCode;

    fn from_str(wire: &str) -> std::result::Result<Self, UnknownCode> {
        Self::ALL
            .iter()
            .copied()
            .find(|code| code.as_str() == wire)
            .ok_or(UnknownCode)
    }
}

/// A string that is not one of this server's [`ErrorCode`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not an error code of this server")]
pub struct UnknownCode;

impl ErrorCode {
    /// An error with this code, from outside execution (so without a path
    /// or locations).
    pub fn error(self, message: impl Into<String>) -> ServerError {
        self.fill(ServerError::new(message, None))
    }

    /// Gives `error` this code, unless it has one.
    pub fn fill(self, mut error: ServerError) -> ServerError {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", self.as_str());
        }
        error
    }

    /// The code `error` carries, if it is one of these.
    pub fn of(error: &ServerError) -> Option<Self> {
        match error.extensions.as_ref()?.get("code")? {
            async_graphql::Value::String(code) => code.parse().ok(),
            _ => None,
        }
    }
}

/// A failure in answering a GraphQL request. `extend()` sets the stable
/// `extensions.code` a client can branch on.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    /// [`ErrorCode::BadUserInput`]: an argument the client can fix; the
    /// message says which and why.
    #[error("{0}")]
    BadUserInput(String),
    /// [`ErrorCode::Unauthenticated`]: a write (or, with public reads off,
    /// any request) without a valid API key.
    #[error("this operation needs a valid API key (Authorization: Bearer <key>)")]
    Unauthenticated,
    /// [`ErrorCode::Forbidden`]: the key's role is too low for the operation.
    #[error("this operation needs the {0:?} role")]
    Forbidden(crate::domain::access::Role),
    /// [`ErrorCode::Forbidden`]: a scoped editor's write reaches a record
    /// of no city in its scope; the message names the record and why.
    #[error("{0}")]
    OutOfScope(String),
    /// [`ErrorCode::SubscriberLagged`]: a subscriber fell so far behind that
    /// changes were dropped for it; its subscription ends.
    #[error(
        "this subscription fell behind and missed {0} changes; read the data again and subscribe again"
    )]
    Lagged(u64),
    /// A database failure, logged with its cause; the client gets a code
    /// and a fixed message, never database text:
    /// [`ErrorCode::ServiceUnavailable`] when the database cannot be reached
    /// (try again shortly), [`ErrorCode::Timeout`] when a statement ran too
    /// long, [`ErrorCode::Internal`] otherwise.
    /// Shared (`Arc`) because a DataLoader hands one failure to every waiter.
    #[error("{}", database_failure(.0).1)]
    Database(std::sync::Arc<sea_orm::DbErr>),
}

/// What a client is told of a database failure, and its code.
pub fn database_failure(error: &sea_orm::DbErr) -> (ErrorCode, &'static str) {
    use crate::store::connection::{Failure, failure};
    match failure(error) {
        Failure::Unavailable => (
            ErrorCode::ServiceUnavailable,
            "the database is unavailable; try again shortly",
        ),
        Failure::Timeout => (
            ErrorCode::Timeout,
            "the request took longer than the database allows a statement to run",
        ),
        Failure::Internal => (ErrorCode::Internal, "internal error"),
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(error: sea_orm::DbErr) -> Self {
        Self::Database(std::sync::Arc::new(error))
    }
}

impl AppError {
    /// A bad argument, with a message naming it.
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::BadUserInput(message.into())
    }

    /// The code the client sees.
    fn code(&self) -> ErrorCode {
        match self {
            AppError::BadUserInput(_) => ErrorCode::BadUserInput,
            AppError::Unauthenticated => ErrorCode::Unauthenticated,
            AppError::Forbidden(_) | AppError::OutOfScope(_) => ErrorCode::Forbidden,
            AppError::Lagged(_) => ErrorCode::SubscriberLagged,
            AppError::Database(cause) => database_failure(cause).0,
        }
    }
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        let code = self.code();
        if let AppError::Database(cause) = self {
            if code == ErrorCode::Internal {
                tracing::error!(error = %cause, "database error while resolving a request");
            } else {
                tracing::warn!(error = %cause, code = code.as_str(), "database failure while resolving a request");
            }
        }
        async_graphql::Error::new(self.to_string()).extend_with(|_, e| e.set("code", code.as_str()))
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(error: AppError) -> Self {
        error.extend()
    }
}

/// The result type of resolvers.
pub type Result<T, E = AppError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn every_code_reads_back_as_itself_and_no_two_share_a_wire_string() {
        let mut seen = std::collections::HashSet::new();
        for &code in ErrorCode::ALL {
            assert_eq!(code.as_str().parse(), Ok(code));
            assert!(seen.insert(code.as_str()), "{} twice", code.as_str());
        }
        assert!("NOT_A_CODE".parse::<ErrorCode>().is_err());
    }

    #[test]
    fn filling_in_a_code_keeps_one_already_there() {
        let coded = ErrorCode::RateLimited.error("later");
        let kept = ErrorCode::Internal.fill(coded);
        assert_eq!(ErrorCode::of(&kept), Some(ErrorCode::RateLimited));
        let plain = async_graphql::ServerError::new("plain", None);
        assert_eq!(ErrorCode::of(&plain), None);
        assert_eq!(
            ErrorCode::of(&ErrorCode::Timeout.fill(plain)),
            Some(ErrorCode::Timeout)
        );
    }
}

//! What a resolver can fail with, and the one place that decides what the
//! client sees of it.

use async_graphql::ErrorExtensions;

/// A failure in answering a GraphQL request. `extend()` sets the stable
/// `extensions.code` a client can branch on.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    /// `BAD_USER_INPUT`: an argument the client can fix (a page size over the
    /// limit, a malformed cursor or id); the message says which and why.
    #[error("{0}")]
    BadUserInput(String),
    /// `UNAUTHENTICATED`: a write (or, with public reads off, any request)
    /// without a valid API key.
    #[error("this operation needs a valid API key (Authorization: Bearer <key>)")]
    Unauthenticated,
    /// `FORBIDDEN`: the key's role is too low for the operation.
    #[error("this operation needs the {0:?} role")]
    Forbidden(crate::domain::access::Role),
    /// `SUBSCRIBER_LAGGED`: a subscriber fell so far behind that changes
    /// were dropped for it; its subscription ends.
    #[error(
        "this subscription fell behind and missed {0} changes; read the data again and subscribe again"
    )]
    Lagged(u64),
    /// A database failure, logged with its cause; the client gets a code
    /// and a fixed message, never database text: `SERVICE_UNAVAILABLE` when
    /// the database cannot be reached (try again shortly), `TIMEOUT` when a
    /// statement ran too long, `INTERNAL` otherwise.
    /// Shared (`Arc`) because a DataLoader hands one failure to every waiter.
    #[error("{}", database_message(.0))]
    Database(std::sync::Arc<sea_orm::DbErr>),
}

/// What a client is told of a database failure, and its code.
pub fn database_failure(error: &sea_orm::DbErr) -> (&'static str, &'static str) {
    match crate::store::connection::failure(error) {
        crate::store::connection::Failure::Unavailable => (
            "SERVICE_UNAVAILABLE",
            "the database is unavailable; try again shortly",
        ),
        crate::store::connection::Failure::Timeout => (
            "TIMEOUT",
            "the request took longer than the database allows a statement to run",
        ),
        crate::store::connection::Failure::Internal => ("INTERNAL", "internal error"),
    }
}

fn database_message(error: &sea_orm::DbErr) -> &'static str {
    database_failure(error).1
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
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        let code = match self {
            AppError::BadUserInput(_) => "BAD_USER_INPUT",
            AppError::Unauthenticated => "UNAUTHENTICATED",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::Lagged(_) => "SUBSCRIBER_LAGGED",
            AppError::Database(cause) => {
                let (code, _) = database_failure(cause);
                if code == "INTERNAL" {
                    tracing::error!(error = %cause, "database error while resolving a request");
                } else {
                    tracing::warn!(error = %cause, code, "database failure while resolving a request");
                }
                code
            }
        };
        async_graphql::Error::new(self.to_string()).extend_with(|_, e| e.set("code", code))
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(error: AppError) -> Self {
        error.extend()
    }
}

/// The result type of resolvers.
pub type Result<T, E = AppError> = std::result::Result<T, E>;

//! Read-your-writes across replicas: which database a request reads from,
//! the consistency token a mutation's response carries, and the token a
//! request sends back (see [`crate::store::replicas`]).

use crate::error::ErrorCode;
use crate::store::replicas::{Databases, Read};
use crate::store::wal::{self, DbRole, Lsn};
use async_graphql::{Request, Response, ServerError, Value};

/// The header a client sends its token in.
pub const HEADER: &str = "x-twinning-consistency";

/// The key of the token in a response's and a request's `extensions`.
pub const EXTENSION: &str = "consistency";

/// The token a request sends, in the header or in its `extensions`; an
/// error naming the place when it is not a WAL position.
pub fn token(request: &Request, header: Option<&str>) -> Result<Option<Lsn>, ServerError> {
    if let Some(text) = header {
        return text
            .parse()
            .map(Some)
            .map_err(|e| ErrorCode::BadRequest.error(format!("header {HEADER}: {e}")));
    }
    match request.extensions.get(EXTENSION) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => text
            .parse()
            .map(Some)
            .map_err(|e| ErrorCode::BadRequest.error(format!("extensions.{EXTENSION}: {e}"))),
        Some(_) => Err(ErrorCode::BadRequest.error(format!(
            "extensions.{EXTENSION}: a consistency token is a string"
        ))),
    }
}

/// Where a request reads: where the transport pinned it (a GET, which is
/// never a mutation); a query from a replica that has its token (see
/// [`Databases::read`]); anything else (mutations, and what is only known
/// to be a query once it runs: persisted queries, dry runs) from the
/// primary.
pub async fn read_for(
    databases: &Databases,
    query: bool,
    pinned: Option<&Read>,
    token: Option<Lsn>,
) -> Read {
    match (pinned, query) {
        (Some(read), _) => read.clone(),
        (None, false) => databases.write(),
        (None, true) => databases.read(token).await,
    }
}

/// Adds the primary's WAL position after a mutation committed to its
/// response, as `extensions.consistency`: a later read that sends it back
/// sees the mutation's writes. Only with replicas (without them every read
/// sees every write).
pub async fn stamp(response: &mut Response, databases: &Databases) {
    if !databases.has_replicas() {
        return;
    }
    match wal::written(databases.primary()).await {
        Ok(lsn) => {
            response
                .extensions
                .insert(EXTENSION.to_owned(), Value::String(lsn.to_string()));
        }
        Err(error) => tracing::warn!(%error, "reading the primary's WAL position"),
    }
}

/// What a query needs to run again on the primary when its replica failed
/// under it.
pub struct Retry {
    query: String,
    operation_name: Option<String>,
    variables: async_graphql::Variables,
    extensions: async_graphql::Extensions,
}

impl Retry {
    /// A copy of `request` (without its data and uploads: a query has none
    /// of the latter, and gets new loaders) when `read` is on a replica.
    pub fn of(request: &Request, read: &Read) -> Option<Self> {
        (read.role == DbRole::Replica).then(|| Self {
            query: request.query.clone(),
            operation_name: request.operation_name.clone(),
            variables: request.variables.clone(),
            extensions: request.extensions.clone(),
        })
    }

    /// The request again, if `response` says its database could not be
    /// reached.
    pub fn when_unavailable(self, response: &Response) -> Option<Request> {
        let unavailable = response
            .errors
            .iter()
            .any(|e| ErrorCode::of(e) == Some(ErrorCode::ServiceUnavailable));
        unavailable.then(|| {
            let mut request = Request::new(self.query).variables(self.variables);
            request.operation_name = self.operation_name;
            request.extensions = self.extensions;
            request
        })
    }
}

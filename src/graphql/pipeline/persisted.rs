//! Persisted documents.
//!
//! - **Automatic persisted queries** (Apollo's APQ protocol): a client sends
//!   `extensions.persistedQuery.sha256Hash` alone, and the query text only
//!   when the server answers `PERSISTED_QUERY_NOT_FOUND`. async-graphql's
//!   extension does the protocol over [`DocumentStore`].
//! - **Trusted documents**: the `.graphql` files of a directory
//!   (`twinning serve --trusted-documents DIR`), each known by the SHA-256
//!   of its text. Keys created with `trustedDocumentsOnly`, and anonymous
//!   clients or everyone but admins if the server is configured so, may run
//!   only these; they send the hash as in APQ (or the exact text).

use crate::domain::access::{Principal, Role};
use crate::error::ErrorCode;
use async_graphql::extensions::apollo_persisted_queries::{CacheStorage, LruCacheStorage};
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, ServerError, ServerResult};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// How many queries clients registered through APQ are kept.
const APQ_CACHE_SIZE: usize = 512;

/// The SHA-256 of a document's text, in hex, as APQ names documents.
pub fn document_hash(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

/// The trusted documents, parsed, by hash.
#[derive(Debug, Default)]
pub struct TrustedDocuments {
    documents: HashMap<String, ExecutableDocument>,
}

impl TrustedDocuments {
    /// Every `*.graphql` file of `dir`; an error names the file that cannot
    /// be read or parsed.
    pub fn load(dir: &Path) -> Result<Self, String> {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| format!("cannot read the directory {}: {e}", dir.display()))?;
        let mut documents = HashMap::new();
        for entry in entries {
            let path = entry
                .map_err(|e| format!("cannot read the directory {}: {e}", dir.display()))?
                .path();
            if path.extension().and_then(|e| e.to_str()) != Some("graphql") {
                continue;
            }
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let document = async_graphql::parser::parse_query(&text)
                .map_err(|e| format!("{} is not a GraphQL document: {e}", path.display()))?;
            documents.insert(document_hash(&text), document);
        }
        Ok(Self { documents })
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.documents.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.documents.is_empty()
    }

    fn contains(&self, hash: &str) -> bool {
        self.documents.contains_key(hash)
    }
}

/// Where APQ finds documents by hash: the trusted ones first, then those
/// clients registered (an LRU cache).
#[derive(Clone)]
pub struct DocumentStore {
    trusted: Arc<TrustedDocuments>,
    registered: LruCacheStorage,
}

impl DocumentStore {
    /// The trusted documents, and room for those clients register.
    pub fn new(trusted: Arc<TrustedDocuments>) -> Self {
        Self {
            trusted,
            registered: LruCacheStorage::new(APQ_CACHE_SIZE),
        }
    }
}

#[async_trait::async_trait]
impl CacheStorage for DocumentStore {
    async fn get(&self, key: String) -> Option<ExecutableDocument> {
        match self.trusted.documents.get(&key) {
            Some(document) => Some(document.clone()),
            None => self.registered.get(key).await,
        }
    }

    async fn set(&self, key: String, query: ExecutableDocument) {
        if !self.trusted.contains(&key) {
            self.registered.set(key, query).await;
        }
    }
}

/// Who may run only trusted documents, besides keys created so.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum TrustPolicy {
    /// Only keys created with `trustedDocumentsOnly`.
    #[default]
    Keys,
    /// Also every anonymous client.
    Anonymous,
    /// Every client but admin keys.
    Everyone,
}

impl TrustPolicy {
    fn binds(self, principal: &Principal) -> bool {
        match principal {
            Principal::Key {
                trusted_documents_only: true,
                ..
            } => true,
            Principal::Anonymous => self != TrustPolicy::Keys,
            Principal::Key { role, .. } | Principal::Token { role, .. } => {
                self == TrustPolicy::Everyone && *role != Role::Admin
            }
        }
    }
}

/// Who may run what: the trusted documents, and who is held to them.
pub struct Trust {
    pub documents: Arc<TrustedDocuments>,
    pub policy: TrustPolicy,
}

/// The hash of the document a request runs: the one it sends (APQ), or
/// that of its text.
fn request_hash(request: &Request) -> String {
    let sent = request
        .extensions
        .get("persistedQuery")
        .and_then(|p| match p {
            async_graphql::Value::Object(fields) => fields.get("sha256Hash"),
            _ => None,
        })
        .and_then(|h| match h {
            async_graphql::Value::String(hash) => Some(hash.clone()),
            _ => None,
        });
    sent.unwrap_or_else(|| document_hash(&request.query))
}

impl Trust {
    /// Refuses `request` if `principal` is held to the trusted documents
    /// and it is not one. Checked before anything parses or caches the
    /// request: by [`super::Api::execute`] over HTTP, by this extension
    /// over WebSocket (where the principal is the connection's).
    pub fn check(&self, principal: &Principal, request: &Request) -> Result<(), ServerError> {
        if !self.policy.binds(principal) || self.documents.contains(&request_hash(request)) {
            return Ok(());
        }
        Err(ErrorCode::UntrustedDocument.error(
            "this client may run only the server's trusted documents, and this is not one (send a trusted document's SHA-256 in extensions.persistedQuery.sha256Hash)",
        ))
    }
}

/// The extension around async-graphql's APQ (registered before it): it
/// holds WebSocket clients to the trusted documents, keeps clients from
/// registering large documents, and gives APQ's errors the codes clients
/// look for.
pub struct TrustExtension(pub Arc<Trust>);

impl ExtensionFactory for TrustExtension {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(TrustExtension(self.0.clone()))
    }
}

/// The largest query text a client may register through APQ: the cache
/// holds parsed documents, so this bounds its memory.
pub const MAX_REGISTERED_QUERY_BYTES: usize = 16 * 1024;

/// APQ's errors carry no code: these get the ones Apollo clients know, a
/// query that does not parse gets `GRAPHQL_PARSE_FAILED`, and a malformed
/// `persistedQuery` gets `BAD_REQUEST`.
fn coded(error: ServerError) -> ServerError {
    let code = match error.message.as_str() {
        "PersistedQueryNotFound" => ErrorCode::PersistedQueryNotFound,
        "provided sha does not match query" => ErrorCode::PersistedQueryHashMismatch,
        _ if !error.locations.is_empty() => ErrorCode::GraphqlParseFailed,
        _ => ErrorCode::BadRequest,
    };
    code.fill(error)
}

#[async_trait::async_trait]
impl Extension for TrustExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        // Only a connection's data is visible this early: over HTTP the
        // principal is checked before the request reaches the schema.
        if let Some(principal) = ctx.data_opt::<Principal>() {
            self.0.check(principal, &request)?;
        }
        if request.extensions.contains_key("persistedQuery")
            && request.query.len() > MAX_REGISTERED_QUERY_BYTES
        {
            return Err(ErrorCode::PersistedQueryTooLarge.error(
                format!(
                    "a persisted query may be at most {MAX_REGISTERED_QUERY_BYTES} bytes; send this one without `extensions.persistedQuery`"
                ),
            ));
        }
        next.run(ctx, request).await.map_err(coded)
    }
}

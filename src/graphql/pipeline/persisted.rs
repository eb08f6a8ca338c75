//! Persisted documents.
//!
//! - **Automatic persisted queries** (Apollo's APQ protocol): a client sends
//!   `extensions.persistedQuery.sha256Hash` alone, and the query text only
//!   when the server answers `PERSISTED_QUERY_NOT_FOUND`. async-graphql's
//!   extension does the protocol over [`DocumentStore`]. With a Redis
//!   (`--redis-url`), a document registered on one server is found by the
//!   others ([`Registered`]).
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

    /// Adds documents given as text (the explorer's, built into the
    /// binary); `origin` names them in the error if one does not parse.
    pub fn add(
        &mut self,
        origin: &str,
        texts: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> Result<(), String> {
        for text in texts {
            let text = text.as_ref();
            let document = async_graphql::parser::parse_query(text)
                .map_err(|e| format!("a document of {origin} is not a GraphQL document: {e}"))?;
            self.documents.insert(document_hash(text), document);
        }
        Ok(())
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

/// The hash a request sends in `extensions.persistedQuery` (APQ).
fn sent_hash(request: &Request) -> Option<String> {
    request
        .extensions
        .get("persistedQuery")
        .and_then(|p| match p {
            async_graphql::Value::Object(fields) => fields.get("sha256Hash"),
            _ => None,
        })
        .and_then(|h| match h {
            async_graphql::Value::String(hash) => Some(hash.clone()),
            _ => None,
        })
}

/// The hash of the document a request runs: the one it sends (APQ), or
/// that of its text.
fn request_hash(request: &Request) -> String {
    sent_hash(request).unwrap_or_else(|| document_hash(&request.query))
}

/// The documents clients registered: this server's, and with a Redis those
/// of every server. async-graphql's APQ caches parsed documents, which do
/// not serialize, so Redis holds the texts: a hash this server does not
/// know is looked up there and its text put into the request, where APQ
/// checks it against the hash as if the client had sent it.
#[derive(Clone)]
pub struct Registered {
    pub local: DocumentStore,
    pub shared: Option<Arc<crate::shared::Shared>>,
}

impl Registered {
    /// `request` with the text of the document it names, when only Redis
    /// knows it.
    async fn fill(&self, request: &mut Request, hash: &str) {
        let Some(shared) = &self.shared else { return };
        if request.query.is_empty()
            && !self.local.trusted.contains(hash)
            && self.local.get(hash.to_owned()).await.is_none()
            && let Some(text) = shared.document(hash).await
        {
            request.query = text;
        }
    }
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
pub struct TrustExtension(pub Arc<Trust>, pub Registered);

impl ExtensionFactory for TrustExtension {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(TrustExtension(self.0.clone(), self.1.clone()))
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
        mut request: Request,
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
        let Some(hash) = sent_hash(&request) else {
            return next.run(ctx, request).await.map_err(coded);
        };
        if request.query.is_empty() {
            self.1.fill(&mut request, &hash).await;
            return next.run(ctx, request).await.map_err(coded);
        }
        // A registration: APQ checks the text against the hash first.
        let text = request.query.clone();
        let prepared = next.run(ctx, request).await.map_err(coded)?;
        if let Some(shared) = &self.1.shared
            && !self.0.documents.contains(&hash)
        {
            shared.register(&hash, &text).await;
        }
        Ok(prepared)
    }
}

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

use crate::auth::{Principal, Role};
use async_graphql::extensions::apollo_persisted_queries::{CacheStorage, LruCacheStorage};
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, ServerError, ServerResult, Variables};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// How many queries clients registered through APQ are kept.
const APQ_CACHE_SIZE: usize = 1024;

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
            Principal::Key { role, .. } => self == TrustPolicy::Everyone && *role != Role::Admin,
        }
    }
}

/// The extension that holds clients to the trusted documents, and gives
/// APQ's errors the codes clients look for. Registered before async-graphql's
/// APQ extension, so it sees the hash a client sent.
pub struct Trust {
    pub documents: Arc<TrustedDocuments>,
    pub policy: TrustPolicy,
}

impl ExtensionFactory for Trust {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(TrustOfOne {
            documents: self.documents.clone(),
            policy: self.policy,
            hash: Mutex::default(),
        })
    }
}

struct TrustOfOne {
    documents: Arc<TrustedDocuments>,
    policy: TrustPolicy,
    /// The hash of the document this request runs.
    hash: Mutex<Option<String>>,
}

/// APQ's errors carry no code: these get the ones Apollo clients know (a
/// malformed `persistedQuery` gets `BAD_REQUEST`); errors of the
/// extensions after it keep theirs.
fn coded(mut error: ServerError) -> ServerError {
    let extensions = error.extensions.get_or_insert_with(Default::default);
    if extensions.get("code").is_none() {
        let code = match error.message.as_str() {
            "PersistedQueryNotFound" => "PERSISTED_QUERY_NOT_FOUND",
            "provided sha does not match query" => "PERSISTED_QUERY_HASH_MISMATCH",
            _ => "BAD_REQUEST",
        };
        extensions.set("code", code);
    }
    error
}

#[async_trait::async_trait]
impl Extension for TrustOfOne {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let sent = request
            .extensions
            .get("persistedQuery")
            .and_then(|p| match p {
                async_graphql::Value::Object(fields) => fields.get("sha256Hash"),
                _ => None,
            })
            .and_then(|h| match h {
                async_graphql::Value::String(hash) => Some(hash.to_ascii_lowercase()),
                _ => None,
            });
        let hash = sent.unwrap_or_else(|| document_hash(&request.query));
        if let Ok(mut slot) = self.hash.lock() {
            *slot = Some(hash);
        }
        next.run(ctx, request).await.map_err(coded)
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let principal = ctx
            .data_opt::<Principal>()
            .cloned()
            .unwrap_or(Principal::Anonymous);
        if self.policy.binds(&principal) {
            let hash = self.hash.lock().ok().and_then(|h| h.clone());
            if !hash.is_some_and(|h| self.documents.contains(&h)) {
                return Err(super::admission::refusal(
                    "UNTRUSTED_DOCUMENT",
                    "this client may run only the server's trusted documents, and this is not one (send a trusted document's SHA-256 in extensions.persistedQuery.sha256Hash)",
                ));
            }
        }
        next.run(ctx, query, variables).await
    }
}

//! The executor: one request from who is asking to its response, with
//! admission, its turn among heavy operations, and panic isolation.

use super::request_data::{Batching, request_data};
use super::{
    Client, CostLedger, CostReport, QueryLimits, Transport, TrustPolicy, TrustedDocuments,
};
use super::{admission, budgets, callers, concurrency, consistency, cost, int_range, persisted};
use crate::error::{ErrorCode, Result};
use crate::graphql::connection::PageLimits;
use crate::graphql::schema::{AppSchema, builder, sdl};
use crate::store::Db;
use async_graphql::parser::types::OperationType;
use running::{Route, operation_type};

mod running;

/// The schema and the database: what executes a GraphQL request.
#[derive(Clone)]
pub struct Api {
    /// With the extensions: for WebSocket operations, persisted queries,
    /// dry runs and `--field-spans`.
    schema: AppSchema,
    /// Without any extension: what HTTP queries and mutations run on (see
    /// [`Api::execute`]).
    plain: AppSchema,
    admission: admission::Admission,
    concurrency: concurrency::Concurrency,
    page_limits: PageLimits,
    field_spans: bool,
    db: Db,
    databases: crate::store::replicas::Databases,
    live: crate::live::Live,
    trust: std::sync::Arc<persisted::Trust>,
    public_reads: bool,
    batch_delay: std::time::Duration,
    shared: Option<std::sync::Arc<crate::shared::Shared>>,
    /// Sign-in with the identity provider's tokens, when configured.
    jwt: Option<std::sync::Arc<crate::jwt::Verifier>>,
}

/// How the API behaves.
#[derive(Clone, Debug)]
pub struct ApiOptions {
    /// Clients without a key may read.
    pub public_reads: bool,
    /// How long WebSocket operations' loaders collect keys (see
    /// [`DEFAULT_BATCH_DELAY_MS`]).
    pub batch_delay: std::time::Duration,
    /// Trace a span for every field resolved (async-graphql's `Tracing`
    /// extension: detailed, and costly on wide queries).
    pub field_spans: bool,
    /// What one query may ask.
    pub limits: QueryLimits,
    /// The largest page and the most ids of `nodes(ids:)`.
    pub page_limits: PageLimits,
    /// Cost points per window for each kind of client; `None` turns rate
    /// limiting off.
    pub rate_limits: Option<RateLimits>,
    /// The documents trusted clients may run.
    pub trusted_documents: std::sync::Arc<TrustedDocuments>,
    /// Who besides keys created so may run only trusted documents.
    pub trust_policy: TrustPolicy,
    /// Cost points of HTTP operations executing at once (see
    /// [`concurrency`]).
    pub concurrent_points: u32,
    /// Redis, where servers share budgets and registered documents.
    pub shared: Option<std::sync::Arc<crate::shared::Shared>>,
    /// Sign-in with the identity provider's tokens, when configured.
    pub jwt: Option<std::sync::Arc<crate::jwt::Verifier>>,
    /// Where webhooks may be registered to.
    pub webhook_policy: crate::webhooks::target::Policy,
}

/// Rate-limit budgets and their window.
#[derive(Clone, Copy, Debug)]
pub struct RateLimits {
    /// Points per window for each kind of client.
    pub budgets: budgets::Budgets,
    /// How long a window lasts.
    pub window: std::time::Duration,
}

/// Who is calling, and from where.
#[derive(Clone, Copy, Debug)]
pub struct Caller<'a> {
    /// The `Authorization` header (or `connection_init` entry), if any.
    pub authorization: Option<&'a str>,
    /// Where the request came from, and how.
    pub client: Client,
    /// The `x-twinning-consistency` header, if sent.
    pub consistency: Option<&'a str>,
    /// Where a query reads, when the transport chose already (a cached
    /// GET's entity tag must come from the database that answers it).
    pub read: Option<&'a crate::store::replicas::Read>,
}

/// A response, with what its request cost (when it got as far as
/// admission).
pub struct Executed {
    /// What async-graphql answered (or the refusal).
    pub response: async_graphql::Response,
    /// What admission decided, when the request got that far.
    pub cost: Option<CostReport>,
    /// SQL statements it ran.
    pub statements: u64,
}

/// Why a request is refused before it runs: a code and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// What the client branches on.
    pub code: ErrorCode,
    /// What it reads.
    pub message: std::borrow::Cow<'static, str>,
}

/// A response that is one error with a code, for failures before execution.
fn error_response(refusal: Refusal) -> async_graphql::Response {
    async_graphql::Response::from_errors(vec![refusal.code.error(refusal.message)])
}

impl Api {
    /// The API over a database and its live updates.
    pub fn new(
        databases: crate::store::replicas::Databases,
        live: crate::live::Live,
        options: ApiOptions,
    ) -> Self {
        let db = databases.primary().clone();
        let index = cost::SchemaIndex::from_sdl(&sdl())
            .unwrap_or_else(|e| unreachable!("the schema's own SDL parses: {e}"));
        let ints = int_range::IntSlots::from_sdl(&sdl())
            .unwrap_or_else(|e| unreachable!("the schema's own SDL parses: {e}"));
        let admission = admission::Admission {
            limits: options.limits,
            index: std::sync::Arc::new(index),
            ints: std::sync::Arc::new(ints),
            limiter: options.rate_limits.map(|r| {
                std::sync::Arc::new(
                    budgets::RateLimiter::new(r.budgets, r.window).shared(options.shared.clone()),
                )
            }),
        };
        // In this order: the trust check sees the hash a client sent, APQ
        // turns a hash into a document, admission costs the document.
        let trust = std::sync::Arc::new(persisted::Trust {
            documents: options.trusted_documents.clone(),
            policy: options.trust_policy,
        });
        let store = persisted::DocumentStore::new(options.trusted_documents.clone());
        let registered = persisted::Registered {
            local: store.clone(),
            shared: options.shared.clone(),
        };
        // Both schemas hold the same data; only the extensions differ.
        let with_data = || {
            builder()
                .data(db.clone())
                .data(crate::graphql::PrimaryDb(db.clone()))
                .data(live.clone())
                .data(options.page_limits)
                .data(options.webhook_policy)
        };
        let plain = with_data().finish();
        let mut schema = with_data()
            .extension(persisted::TrustExtension(trust.clone(), registered))
            .extension(
                async_graphql::extensions::apollo_persisted_queries::ApolloPersistedQueries::new(
                    store,
                ),
            )
            .extension(admission.clone());
        if options.field_spans {
            schema = schema.extension(async_graphql::extensions::Tracing);
        }
        Self {
            schema: schema.finish(),
            plain,
            admission,
            concurrency: concurrency::Concurrency::new(
                options.concurrent_points,
                concurrency::heaviest_at_once(sea_orm::ConnectionTrait::get_database_backend(&db)),
            ),
            page_limits: options.page_limits,
            field_spans: options.field_spans,
            db,
            databases,
            live,
            trust,
            public_reads: options.public_reads,
            batch_delay: options.batch_delay,
            shared: options.shared,
            jwt: options.jwt,
        }
    }

    /// The executable schema (for subscriptions over WebSocket).
    pub fn schema(&self) -> &AppSchema {
        &self.schema
    }

    /// Cost points executing now, and operations waiting their turn.
    pub fn concurrency(&self) -> (u64, u64) {
        (self.concurrency.running(), self.concurrency.waiting())
    }

    /// Requests that went on without Redis (0 without one).
    pub fn shared_fallbacks(&self) -> u64 {
        self.shared.as_ref().map_or(0, |s| s.fallbacks())
    }

    /// The state of the data in `db`, which changes with every write (see
    /// [`crate::store::changes::data_version`]): what an HTTP cache's
    /// entity tag is made of.
    pub async fn data_version(&self, db: &Db) -> Option<(i64, i64)> {
        match crate::store::changes::data_version(db).await {
            Ok(version) => Some(version),
            Err(error) => {
                tracing::warn!(%error, "reading the data version");
                None
            }
        }
    }

    /// The primary database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The primary and its replicas: where reads go.
    pub fn databases(&self) -> &crate::store::replicas::Databases {
        &self.databases
    }

    /// This server's live updates.
    pub fn live(&self) -> &crate::live::Live {
        &self.live
    }

    /// Who sends `authorization` (an `Authorization` header value), or why
    /// they may not ask anything at all.
    pub async fn principal(
        &self,
        authorization: Option<&str>,
    ) -> Result<crate::domain::access::Principal, Refusal> {
        Ok(self.caller(authorization).await?.0)
    }

    /// Who sends `authorization`, and when their token expires (see
    /// [`callers::caller`]).
    pub async fn caller(
        &self,
        authorization: Option<&str>,
    ) -> Result<(crate::domain::access::Principal, Option<u64>), Refusal> {
        let sign_in = callers::SignIn {
            db: &self.db,
            jwt: self.jwt.as_deref(),
            public_reads: self.public_reads,
        };
        sign_in.caller(authorization).await
    }

    /// What every operation of a principal's WebSocket connection needs:
    /// its loaders and the principal.
    pub fn connection_data(
        &self,
        principal: crate::domain::access::Principal,
        client: Client,
    ) -> async_graphql::Data {
        request_data(
            &self.db,
            &Batching::Timed(self.batch_delay),
            principal,
            client,
        )
    }

    /// Executes one request with loaders of its own. It runs as a task of
    /// its own, so a panic fails this request only.
    pub async fn execute(
        &self,
        mut request: async_graphql::Request,
        caller: Caller<'_>,
    ) -> Executed {
        let principal = match self.principal(caller.authorization).await {
            Ok(principal) => principal,
            Err(refusal) => {
                return Executed {
                    response: error_response(refusal),
                    cost: None,
                    statements: 0,
                };
            }
        };
        if let Err(error) = self.trust.check(&principal, &request) {
            return Executed {
                response: async_graphql::Response::from_errors(vec![error]),
                cost: None,
                statements: 0,
            };
        }
        // Admission first: a refused request needs no loaders and no turn.
        let route = match self.route(&mut request, caller.client.transport) {
            Ok(route) => route,
            Err(errors) => {
                return Executed {
                    response: async_graphql::Response::from_errors(errors),
                    cost: None,
                    statements: 0,
                };
            }
        };
        let points = match route {
            // A persisted query is measured only once it is looked up.
            Route::Extensions => 1,
            Route::Plain(operation) => operation.map_or(1, |o| o.cost.points()),
        };
        if let Route::Plain(Some(operation)) = route {
            let span = tracing::Span::current();
            span.record("graphql.operation.type", operation_type(operation.ty));
            span.record("graphql.cost", i64::try_from(points).unwrap_or(i64::MAX));
        }
        let query = matches!(route, Route::Plain(Some(ref o)) if o.ty == OperationType::Query);
        let token = match consistency::token(&request, caller.consistency) {
            Ok(token) => token,
            Err(error) => {
                return Executed {
                    response: async_graphql::Response::from_errors(vec![error]),
                    cost: None,
                    statements: 0,
                };
            }
        };
        let read = consistency::read_for(&self.databases, query, caller.read, token).await;
        let retry = consistency::Retry::of(&request, &read);
        let ledger = CostLedger::default();
        let _running = self.concurrency.admit(points).await;
        let statements = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let run = (&principal, caller.client, &ledger, &statements);
        let mut response = self.run(request, route, &read, run).await;
        // A replica that fails under a query is taken out, and the primary
        // answers it: a query reads only, so running it again is safe.
        if let Some(again) = retry.and_then(|r| r.when_unavailable(&response)) {
            let primary = self.databases.failed(&read, "a query could not reach it");
            // The request is charged the statements of the run that
            // answers it, once: those that failed on the replica are not
            // its own (the server's total still counts them).
            statements.store(0, std::sync::atomic::Ordering::Relaxed);
            response = self.run(again, route, &primary, run).await;
        }
        if matches!(route, Route::Plain(Some(ref o)) if o.ty == OperationType::Mutation) {
            consistency::stamp(&mut response, &self.databases).await;
        }
        Executed {
            response,
            cost: ledger.report(),
            statements: statements.load(std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// Which schema runs an HTTP request, or the errors refusing it. Any extension makes async-graphql
    /// resolve every field through the extensions' chain (with a type
    /// lookup and allocations per field): about 12 % of Q2's CPU and a
    /// quarter of its memory. So queries and mutations run on the plain
    /// schema, with admission's steps run here; what needs an extension
    /// (persisted queries, dry runs, field spans, subscriptions) runs on the
    /// full one.
    fn route(
        &self,
        request: &mut async_graphql::Request,
        transport: Transport,
    ) -> Result<Route, Vec<async_graphql::ServerError>> {
        if self.field_spans || request.extensions.contains_key("persistedQuery") {
            return Ok(Route::Extensions);
        }
        let Some(operation) = self
            .admission
            .measure(request, Some(transport))
            .map_err(|error| vec![error])?
        else {
            return Ok(Route::Plain(None));
        };
        if operation.dry_run
            || operation.ty == async_graphql::parser::types::OperationType::Subscription
        {
            return Ok(Route::Extensions);
        }
        match self.admission.limit_errors(&operation, self.page_limits) {
            errors if errors.is_empty() => Ok(Route::Plain(Some(operation))),
            errors => Err(errors),
        }
    }
}

//! The GraphQL API: schema assembly, shared helpers, and one module per type.

mod admission;
mod batches;
pub(crate) mod city;
mod concurrency;
mod cost;
pub(crate) mod event;
mod filter;
mod history;
mod loader;
mod mutation;
mod node;
pub(crate) mod organization;
mod page;
pub(crate) mod partnership;
mod persisted;
pub(crate) mod protocol;
mod query;
mod rate_limit;
mod relations;
pub(crate) mod scalars;
mod search;
pub(crate) mod source;
mod stats;
mod subscription;
mod timeline;
pub(crate) mod topic;
pub(crate) mod visit;

use crate::error::Result;
use crate::store::Table;
use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Data, Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;

pub use admission::{Client, CostLedger, CostReport, QueryLimits, Transport, did_not_run};
pub use mutation::Mutation;
pub use page::PageLimits;
pub use persisted::{TrustPolicy, TrustedDocuments, document_hash};
pub use query::Query;
pub use subscription::Subscription;

/// The schema type served at `/graphql`.
pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// The schema without data: enough to print the SDL.
fn builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(Query::default(), Mutation::default(), Subscription)
}

/// How long a WebSocket operation's loader waits for more keys before it
/// runs its batch, unless configured (`--batch-delay-ms`); HTTP requests
/// need no delay (see [`batches`]). Long enough that every sibling field of
/// a level has registered its keys, so each level stays one statement, and
/// short next to a statement's own time. A busy machine can stall a thread
/// longer and split a level in two; a longer delay trades latency for
/// certainty.
pub const DEFAULT_BATCH_DELAY_MS: u64 = 5;

/// How a request's loaders run their batches.
#[derive(Clone)]
pub enum Batching {
    /// In the request's own task, as soon as it waits (HTTP requests, which
    /// [`Api::execute`] drives).
    InRequest(batches::Batches),
    /// In tasks of their own after collecting keys this long (WebSocket
    /// operations, which async-graphql drives).
    Timed(std::time::Duration),
}

impl Batching {
    /// A request's loader.
    fn loader<T: Send + Sync + 'static>(&self, loader: T) -> DataLoader<T> {
        match self {
            Batching::InRequest(batches) => {
                DataLoader::new(loader, batches.spawner()).delay(std::time::Duration::ZERO)
            }
            Batching::Timed(delay) => {
                // A batch runs in a task of its own; its statements still
                // count for the request.
                let spawn = |batch| tokio::spawn(crate::metrics::for_this_request(batch));
                DataLoader::new(loader, spawn).delay(*delay)
            }
        }
    }
}

/// Adds a loader per record type (rows by id or key, nested pages) and the
/// special ones to `data`.
macro_rules! add_loaders {
    ($data:expr, $db:expr, $batching:expr, [$($model:ty),+]) => {
        $(
            $data.insert($batching.loader(loader::Rows::<$model>::new($db.clone())));
            $data.insert($batching.loader(loader::Nested::<$model>::new($db.clone())));
        )+
        $data.insert($batching.loader(loader::Counts::new($db.clone())));
        $data.insert($batching.loader(loader::CityNames::new($db.clone())));
        $data.insert($batching.loader(loader::Parties::new($db.clone())));
    };
}

/// The loaders of one request (or one WebSocket connection: they keep no
/// cache, so they never serve stale rows) and who is asking.
fn request_data(
    db: &DatabaseConnection,
    batching: &Batching,
    principal: crate::auth::Principal,
    client: Client,
) -> Data {
    let mut data = Data::default();
    data.insert(principal);
    data.insert(client);
    add_loaders!(
        data,
        db,
        batching,
        [
            entity::city::Model,
            entity::partnership::Model,
            entity::visit::Model,
            entity::protocol::Model,
            entity::event::Model,
            entity::topic::Model,
            entity::organization::Model,
            entity::source::Model,
            entity::partnership_status_change::Model,
            crate::history::ChangeRow
        ]
    );
    data
}

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
    page_limits: page::PageLimits,
    field_spans: bool,
    db: DatabaseConnection,
    live: crate::live::Live,
    trust: std::sync::Arc<persisted::Trust>,
    public_reads: bool,
    batch_delay: std::time::Duration,
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
    pub page_limits: page::PageLimits,
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
}

/// Rate-limit budgets and their window.
#[derive(Clone, Copy, Debug)]
pub struct RateLimits {
    pub budgets: crate::rate_limit::Budgets,
    pub window: std::time::Duration,
}

/// Who is calling, and from where.
#[derive(Clone, Copy, Debug)]
pub struct Caller<'a> {
    /// The `Authorization` header (or `connection_init` entry), if any.
    pub authorization: Option<&'a str>,
    pub client: Client,
}

/// A response, with what its request cost (when it got as far as
/// admission).
pub struct Executed {
    pub response: async_graphql::Response,
    pub cost: Option<CostReport>,
    /// SQL statements it ran.
    pub statements: u64,
}

/// Why a request is refused before it runs: a code and a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: &'static str,
}

/// A response that is one error with a code, for failures before execution.
fn error_response(refusal: Refusal) -> async_graphql::Response {
    let mut error = async_graphql::ServerError::new(refusal.message, None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", refusal.code);
    error.extensions = Some(extensions);
    async_graphql::Response::from_errors(vec![error])
}

impl Api {
    /// The API over a database and its live updates.
    pub fn new(db: DatabaseConnection, live: crate::live::Live, options: ApiOptions) -> Self {
        let index = cost::SchemaIndex::from_sdl(&sdl())
            .unwrap_or_else(|e| unreachable!("the schema's own SDL parses: {e}"));
        let admission = admission::Admission {
            limits: options.limits,
            index: std::sync::Arc::new(index),
            limiter: options.rate_limits.map(|r| {
                std::sync::Arc::new(crate::rate_limit::RateLimiter::new(r.budgets, r.window))
            }),
        };
        // In this order: the trust check sees the hash a client sent, APQ
        // turns a hash into a document, admission costs the document.
        let trust = std::sync::Arc::new(persisted::Trust {
            documents: options.trusted_documents.clone(),
            policy: options.trust_policy,
        });
        let store = persisted::DocumentStore::new(options.trusted_documents.clone());
        let plain = builder()
            .data(db.clone())
            .data(live.clone())
            .data(options.page_limits)
            .finish();
        let mut schema = builder()
            .data(db.clone())
            .data(live.clone())
            .data(options.page_limits)
            .extension(persisted::TrustExtension(trust.clone()))
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
                concurrency::heaviest_at_once(db.get_database_backend()),
            ),
            page_limits: options.page_limits,
            field_spans: options.field_spans,
            db,
            live,
            trust,
            public_reads: options.public_reads,
            batch_delay: options.batch_delay,
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

    /// The database.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
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
    ) -> Result<crate::auth::Principal, Refusal> {
        let principal = match crate::auth::authenticate(&self.db, authorization).await {
            Ok(principal) => principal,
            Err(crate::auth::AuthError::InvalidKey) => {
                return Err(Refusal {
                    code: "UNAUTHENTICATED",
                    message: "the API key is not valid",
                });
            }
            Err(crate::auth::AuthError::Database(error)) => {
                tracing::warn!(%error, "checking an API key");
                let (code, message) = crate::error::database_failure(&error);
                return Err(Refusal { code, message });
            }
        };
        if principal == crate::auth::Principal::Anonymous && !self.public_reads {
            return Err(Refusal {
                code: "UNAUTHENTICATED",
                message: "this server needs an API key for every request (Authorization: Bearer <key>)",
            });
        }
        Ok(principal)
    }

    /// What every operation of a principal's WebSocket connection needs:
    /// its loaders and the principal.
    pub fn connection_data(&self, principal: crate::auth::Principal, client: Client) -> Data {
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
        let batches = batches::Batches::default();
        let address = caller.client.address;
        request.data = request_data(
            &self.db,
            &Batching::InRequest(batches.clone()),
            principal.clone(),
            caller.client,
        );
        let ledger = CostLedger::default();
        request.data.insert(ledger.clone());
        let _running = self.concurrency.admit(points).await;
        let statements = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let run = {
            let (admission, ledger) = (self.admission.clone(), ledger.clone());
            let (schema, plain) = (self.schema.clone(), self.plain.clone());
            async move {
                match route {
                    Route::Extensions => batches.drive(schema.execute(request)).await,
                    Route::Plain(operation) => {
                        let name = operation_name(&mut request);
                        admission
                            .charge_and_run(
                                (&principal, address),
                                operation,
                                name.as_deref(),
                                &ledger,
                                batches.drive(plain.execute(request)),
                            )
                            .await
                    }
                }
            }
        };
        let execution = crate::metrics::counting_statements(statements.clone(), run);
        let response = isolated(execution).await;
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

/// Which schema runs an admitted HTTP request (see [`Api::route`]).
#[derive(Clone, Copy)]
enum Route {
    /// The one with the extensions, which run admission themselves.
    Extensions,
    /// The plain one, after admission here.
    Plain(Option<cost::Operation>),
}

/// The name of the operation a request runs: the one it asks for, or that
/// of its document's only operation.
fn operation_name(request: &mut async_graphql::Request) -> Option<String> {
    if let Some(name) = &request.operation_name {
        return Some(name.clone());
    }
    let document = request.parsed_query().ok()?;
    match &document.operations {
        async_graphql::parser::types::DocumentOperations::Multiple(operations)
            if operations.len() == 1 =>
        {
            operations.keys().next().map(|name| name.to_string())
        }
        _ => None,
    }
}

/// Runs a request as a task of its own, so that a panic in a resolver fails
/// that request only, with `INTERNAL`; the server goes on serving.
async fn isolated(
    execution: impl std::future::Future<Output = async_graphql::Response> + Send + 'static,
) -> async_graphql::Response {
    match tokio::spawn(execution).await {
        Ok(response) => response,
        Err(error) => {
            tracing::error!(%error, "a request failed unexpectedly");
            error_response(Refusal {
                code: "INTERNAL",
                message: "internal error",
            })
        }
    }
}

/// The SDL of the schema, as committed in `schema.graphql`.
pub fn sdl() -> String {
    let options = async_graphql::SDLExportOptions::new()
        .sorted_fields()
        .sorted_enum_items();
    builder().finish().sdl_with_options(options)
}

/// The database of a request.
fn db<'a>(ctx: &Context<'a>) -> &'a DatabaseConnection {
    ctx.data_unchecked::<DatabaseConnection>()
}

/// A record by id, through its loader.
async fn by_id<M: Table>(ctx: &Context<'_>, id: i32) -> Result<Option<M>> {
    ctx.data_unchecked::<DataLoader<loader::Rows<M>>>()
        .load_one(id)
        .await
}

/// A record that must exist (a foreign key).
async fn referenced<M: Table>(ctx: &Context<'_>, id: i32) -> Result<M> {
    by_id(ctx, id).await?.ok_or_else(|| {
        crate::error::AppError::Database(std::sync::Arc::new(sea_orm::DbErr::RecordNotFound(
            format!("{} {id}", M::TABLE),
        )))
    })
}

/// A record by key, through its loader.
async fn by_key<M: Table>(ctx: &Context<'_>, key: String) -> Result<Option<M>> {
    ctx.data_unchecked::<DataLoader<loader::Rows<M>>>()
        .load_one(loader::Key(key))
        .await
}

#[cfg(test)]
mod tests {
    use super::isolated;

    #[tokio::test]
    async fn a_panicking_request_fails_alone_with_internal() {
        let panicked = isolated(async { panic!("a resolver's bug") }).await;
        let error = &panicked.errors[0];
        assert_eq!(error.message, "internal error");
        let code = error
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .cloned();
        assert_eq!(code, Some(async_graphql::Value::from("INTERNAL")));
        // The next request runs as usual.
        let next =
            isolated(async { async_graphql::Response::new(async_graphql::Value::from(1)) }).await;
        assert!(next.errors.is_empty());
        assert_eq!(next.data, async_graphql::Value::from(1));
    }
}

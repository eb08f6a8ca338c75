//! The GraphQL API: schema assembly, shared helpers, and one module per type.

pub(crate) mod city;
pub(crate) mod event;
mod filter;
mod history;
mod loader;
mod mutation;
mod node;
pub(crate) mod organization;
mod page;
pub(crate) mod partnership;
pub(crate) mod protocol;
mod query;
mod relations;
pub(crate) mod scalars;
mod search;
pub(crate) mod source;
mod stats;
mod timeline;
pub(crate) mod topic;
pub(crate) mod visit;

use crate::error::Result;
use crate::store::Table;
use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, EmptySubscription, Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;

pub use mutation::Mutation;
pub use query::Query;

/// The schema type served at `/graphql`.
pub type AppSchema = Schema<Query, Mutation, EmptySubscription>;

/// The schema without data: enough to print the SDL.
fn builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
}

/// How long a loader waits for more keys before it runs its batch, unless
/// configured (`--batch-delay-ms`): long enough that every sibling field of
/// a level has registered its keys, so each level stays one statement, and
/// short next to a statement's own time. A busy machine can stall a thread
/// longer and split a level in two; a longer delay trades latency for
/// certainty.
pub const DEFAULT_BATCH_DELAY_MS: u64 = 5;

/// A request's loader, batching for `delay`.
fn local<T: Send + Sync + 'static>(loader: T, delay: std::time::Duration) -> DataLoader<T> {
    DataLoader::new(loader, tokio::spawn).delay(delay)
}

/// Gives a request its loaders: a row loader and a nested-page loader per
/// record type, and the special ones.
macro_rules! with_loaders {
    ($request:expr, $db:expr, $delay:expr, [$($model:ty),+]) => {
        $request
            $(
                .data(local(loader::Rows::<$model>::new($db.clone()), $delay))
                .data(local(loader::Nested::<$model>::new($db.clone()), $delay))
            )+
            .data(local(loader::Counts::new($db.clone()), $delay))
            .data(local(loader::CityNames::new($db.clone()), $delay))
            .data(local(loader::Parties::new($db.clone()), $delay))
    };
}

/// The schema and the database: what executes a GraphQL request.
#[derive(Clone)]
pub struct Api {
    schema: AppSchema,
    db: DatabaseConnection,
    public_reads: bool,
    batch_delay: std::time::Duration,
}

/// A response that is one error with a code, for failures before execution.
fn error_response(code: &str, message: &str) -> async_graphql::Response {
    let mut error = async_graphql::ServerError::new(message, None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", code);
    error.extensions = Some(extensions);
    async_graphql::Response::from_errors(vec![error])
}

impl Api {
    /// The API over a database; `public_reads` lets clients without a key read.
    pub fn new(
        db: DatabaseConnection,
        public_reads: bool,
        batch_delay: std::time::Duration,
    ) -> Self {
        let schema = builder()
            .data(db.clone())
            .extension(async_graphql::extensions::Tracing)
            .finish();
        Self {
            schema,
            db,
            public_reads,
            batch_delay,
        }
    }

    /// Executes one request with loaders of its own. It runs as a task of
    /// its own, so a panic fails this request only.
    pub async fn execute(
        &self,
        request: async_graphql::Request,
        authorization: Option<&str>,
    ) -> async_graphql::Response {
        let principal = match crate::auth::authenticate(&self.db, authorization).await {
            Ok(principal) => principal,
            Err(crate::auth::AuthError::InvalidKey) => {
                return error_response("UNAUTHENTICATED", "the API key is not valid");
            }
            Err(crate::auth::AuthError::Database(error)) => {
                tracing::error!(%error, "checking an API key");
                return error_response("INTERNAL", "internal error");
            }
        };
        if principal == crate::auth::Principal::Anonymous && !self.public_reads {
            return error_response(
                "UNAUTHENTICATED",
                "this server needs an API key for every request (Authorization: Bearer <key>)",
            );
        }
        let request = request.data(principal);
        let request = with_loaders!(
            request,
            self.db,
            self.batch_delay,
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
                history::ChangeRow
            ]
        );
        let schema = self.schema.clone();
        match tokio::spawn(async move { schema.execute(request).await }).await {
            Ok(response) => response,
            Err(error) => {
                tracing::error!(%error, "a request failed unexpectedly");
                error_response("INTERNAL", "internal error")
            }
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

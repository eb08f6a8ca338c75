//! The schema: its roots, and the SDL committed in `schema.graphql`.

use super::{Mutation, Query, Subscription};
use async_graphql::{Schema, SchemaBuilder};

/// The schema type served at `/graphql`.
pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// The schema without data: enough to print the SDL.
pub(crate) fn builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(Query::default(), Mutation::default(), Subscription)
}

/// The SDL of the schema, as committed in `schema.graphql`.
pub fn sdl() -> String {
    let options = async_graphql::SDLExportOptions::new()
        .sorted_fields()
        .sorted_enum_items();
    builder().finish().sdl_with_options(options)
}

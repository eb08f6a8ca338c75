//! The schema: its roots, and the SDL committed in `schema.graphql`.

use super::connection::Connection;
use super::types::{
    change::Change, city::City, city_partnerships::CityPartnerships, event::Event,
    organization::Organization, partnership::Partnership, partnership::StatusChange,
    protocol::Protocol, search::SearchResult, source::Source, timeline::TimelineItem, topic::Topic,
    visit::Visit,
};
use super::{Mutation, Query, Subscription};
use async_graphql::{Schema, SchemaBuilder};

/// The schema type served at `/graphql`.
pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// The schema without data: enough to print the SDL.
pub(crate) fn builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    let builder = Schema::build(Query::default(), Mutation::default(), Subscription)
        .override_output_type_description::<async_graphql::ID>(
        "An opaque global id: a record's type and key, the same in every database.",
    );
    describe_connections(builder)
}

/// async-graphql's connection types carry no description of their own and
/// take none from their node type, so each is described here.
fn describe_connections(
    builder: SchemaBuilder<Query, Mutation, Subscription>,
) -> SchemaBuilder<Query, Mutation, Subscription> {
    builder
        .override_output_type_description::<Connection<Change>>("A page of recorded changes.")
        .override_output_type_description::<Connection<City>>("A page of cities.")
        .override_output_type_description::<Connection<Event>>("A page of events.")
        .override_output_type_description::<Connection<Organization>>("A page of organizations.")
        .override_output_type_description::<Connection<Partnership>>("A page of partnerships.")
        .override_output_type_description::<CityPartnerships>(
            "A page of a city's partnerships; each edge names the other city.",
        )
        .override_output_type_description::<Connection<Protocol>>("A page of protocols.")
        .override_output_type_description::<Connection<SearchResult>>("A page of search results.")
        .override_output_type_description::<Connection<Source>>("A page of sources.")
        .override_output_type_description::<Connection<StatusChange>>(
            "A page of a partnership's status history.",
        )
        .override_output_type_description::<Connection<TimelineItem>>(
            "A page of a partnership's timeline.",
        )
        .override_output_type_description::<Connection<Topic>>("A page of cooperation topics.")
        .override_output_type_description::<Connection<Visit>>("A page of visits.")
}

/// The SDL of the schema, as committed in `schema.graphql`.
pub fn sdl() -> String {
    let options = async_graphql::SDLExportOptions::new()
        .sorted_fields()
        .sorted_enum_items();
    builder().finish().sdl_with_options(options)
}

//! The query root: every query segment merged into one `Query` type.

use super::city::CityQuery;
use super::node::NodeQuery;

/// The read API.
#[derive(async_graphql::MergedObject, Default)]
pub struct Query(NodeQuery, CityQuery);

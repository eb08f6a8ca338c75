//! The query root: every query segment merged into one `Query` type.

use super::mutation::{KeyQuery, WebhookQuery};
use super::node::NodeQuery;
use super::pipeline::rate_limit::RateLimitQuery;
use super::types::change::ChangeQuery;
use super::types::city::CityQuery;
use super::types::event::EventQuery;
use super::types::feed::FeedQuery;
use super::types::organization::OrganizationQuery;
use super::types::partnership::PartnershipQuery;
use super::types::protocol::ProtocolQuery;
use super::types::search::SearchQuery;
use super::types::source::SourceQuery;
use super::types::stats::StatsQuery;
use super::types::topic::TopicQuery;
use super::types::visit::VisitQuery;

/// The read API.
#[derive(async_graphql::MergedObject, Default)]
pub struct Query(
    NodeQuery,
    CityQuery,
    PartnershipQuery,
    VisitQuery,
    ProtocolQuery,
    EventQuery,
    TopicQuery,
    OrganizationQuery,
    SourceQuery,
    SearchQuery,
    StatsQuery,
    ChangeQuery,
    FeedQuery,
    KeyQuery,
    WebhookQuery,
    RateLimitQuery,
);

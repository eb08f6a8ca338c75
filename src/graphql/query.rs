//! The query root: every query segment merged into one `Query` type.

use super::city::CityQuery;
use super::event::EventQuery;
use super::history::ChangeQuery;
use super::mutation::KeyQuery;
use super::node::NodeQuery;
use super::organization::OrganizationQuery;
use super::partnership::PartnershipQuery;
use super::protocol::ProtocolQuery;
use super::rate_limit::RateLimitQuery;
use super::search::SearchQuery;
use super::source::SourceQuery;
use super::stats::StatsQuery;
use super::topic::TopicQuery;
use super::visit::VisitQuery;

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
    KeyQuery,
    RateLimitQuery,
);

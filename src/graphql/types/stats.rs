//! `stats`: counts of partnerships by country, kind, status and year, and of
//! visits and protocols by topic (descendants included), each one GROUP BY.

use super::filter_input::matching;
use super::partnership::PartnershipFilter;
use super::protocol::ProtocolFilter;
use super::visit::VisitFilter;
use crate::error::Result;
use crate::graphql::db;
use crate::store::filters::Filter;
use crate::store::stats;
use async_graphql::{Context, InputObject, Object, SimpleObject};
use entity::{partnership, protocol, visit};

/// How many records share a value.
#[derive(SimpleObject)]
pub struct Count {
    /// The value: a country code, kind, status, year or topic key.
    pub key: String,
    /// How many records have it.
    pub count: i64,
}

/// Which records the statistics count.
#[derive(InputObject, Default)]
pub struct StatsFilter {
    /// Partnerships counted by the `partnerships…` fields.
    pub partnerships: Option<PartnershipFilter>,
    /// Visits counted by `visitsByTopic`.
    pub visits: Option<VisitFilter>,
    /// Protocols counted by `protocolsByTopic`.
    pub protocols: Option<ProtocolFilter>,
}

pub struct Stats {
    partnerships: Filter<partnership::Model>,
    visits: Filter<visit::Model>,
    protocols: Filter<protocol::Model>,
}

/// The API's shape of a store count.
fn count(count: stats::Count) -> Count {
    Count {
        key: count.key,
        count: count.count,
    }
}

/// Counts as the API returns them.
fn listed(counts: Vec<stats::Count>) -> Vec<Count> {
    counts.into_iter().map(count).collect()
}

/// Aggregates over the data; each field runs only when selected.
#[Object]
impl Stats {
    /// Partnerships per country of either city (a partnership between two
    /// countries counts once for each).
    async fn partnerships_by_country(&self, ctx: &Context<'_>) -> Result<Vec<Count>> {
        Ok(listed(
            stats::partnerships_by_country(db(ctx), &self.partnerships).await?,
        ))
    }
    /// Partnerships per kind.
    async fn partnerships_by_kind(&self, ctx: &Context<'_>) -> Result<Vec<Count>> {
        Ok(listed(
            stats::partnerships_by_kind(db(ctx), &self.partnerships).await?,
        ))
    }
    /// Partnerships per current status.
    async fn partnerships_by_status(&self, ctx: &Context<'_>) -> Result<Vec<Count>> {
        Ok(listed(
            stats::partnerships_by_status(db(ctx), &self.partnerships).await?,
        ))
    }
    /// Partnerships per year of establishment (those with a known date).
    async fn partnerships_by_year(&self, ctx: &Context<'_>) -> Result<Vec<Count>> {
        Ok(listed(
            stats::partnerships_by_year(db(ctx), &self.partnerships).await?,
        ))
    }
    /// Visits per topic, each topic including its descendants.
    async fn visits_by_topic(&self, ctx: &Context<'_>) -> Result<Vec<Count>> {
        Ok(listed(stats::visits_by_topic(db(ctx), &self.visits).await?))
    }
    /// Protocols per topic, each topic including its descendants.
    async fn protocols_by_topic(&self, ctx: &Context<'_>) -> Result<Vec<Count>> {
        Ok(listed(
            stats::protocols_by_topic(db(ctx), &self.protocols).await?,
        ))
    }
}

/// The `stats` query.
#[derive(Default)]
pub struct StatsQuery;

#[Object]
impl StatsQuery {
    /// Counts over partnerships, visits and protocols matching `filter`.
    async fn stats(
        &self,
        #[graphql(desc = "Only items matching this filter.")] filter: Option<StatsFilter>,
    ) -> Stats {
        let filter = filter.unwrap_or_default();
        Stats {
            partnerships: matching(filter.partnerships.as_ref()),
            visits: matching(filter.visits.as_ref()),
            protocols: matching(filter.protocols.as_ref()),
        }
    }
}

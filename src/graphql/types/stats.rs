//! `stats`: counts of partnerships by country, kind, status and year, and of
//! visits and protocols by topic (descendants included), each one GROUP BY.

use super::filter::condition;
use super::partnership::PartnershipFilter;
use super::protocol::ProtocolFilter;
use super::visit::VisitFilter;
use crate::error::Result;
use crate::graphql::db;
use crate::store::Sql;
use async_graphql::{Context, InputObject, Object, SimpleObject};
use sea_orm::ConnectionTrait;

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

/// Aggregates over the data; each field runs only when selected.
pub struct Stats {
    partnerships: Sql,
    visits: Sql,
    protocols: Sql,
}

/// Runs `SELECT key, count …` and reads the pairs.
async fn counts(ctx: &Context<'_>, sql: Sql) -> Result<Vec<Count>> {
    let db = db(ctx);
    let rows = db
        .query_all_raw(sql.statement(db.get_database_backend()))
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Count {
                key: row
                    .try_get_by_index::<Option<String>>(0)?
                    .unwrap_or_default(),
                count: row.try_get_by_index(1)?,
            })
        })
        .collect()
}

fn grouped(select: &str, from: &str, filter: &Sql) -> Sql {
    let mut sql = Sql::new(format!("SELECT {select} FROM {from} WHERE "));
    sql.append(filter).push(" GROUP BY 1 ORDER BY 2 DESC, 1");
    sql
}

/// Records of `table` (through `link`) per topic, each topic counting its
/// descendants' records too.
fn by_topic(table: &str, link: &str, column: &str, filter: &Sql) -> Sql {
    let mut sql = Sql::new(format!(
        "WITH RECURSIVE d(root, id) AS (SELECT id, id FROM topic UNION ALL SELECT d.root, c.id FROM topic c JOIN d ON c.parent_id = d.id) \
         SELECT r.key, COUNT(DISTINCT t.id) FROM d JOIN topic r ON r.id = d.root JOIN {link} l ON l.topic_id = d.id \
         JOIN {table} t ON t.id = l.{column} WHERE "
    ));
    sql.append(filter)
        .push(" GROUP BY r.key ORDER BY 2 DESC, 1");
    sql
}

#[Object]
impl Stats {
    /// Partnerships per country of either city (a partnership between two
    /// countries counts once for each).
    async fn partnerships_by_country(&self, ctx: &Context<'_>) -> Result<Vec<Count>> {
        counts(
            ctx,
            grouped(
                "c.country_code, COUNT(DISTINCT t.id)",
                "partnership t JOIN city c ON c.id IN (t.city_a_id, t.city_b_id)",
                &self.partnerships,
            ),
        )
        .await
    }
    /// Partnerships per kind.
    async fn partnerships_by_kind(&self, ctx: &Context<'_>) -> Result<Vec<Count>> {
        counts(
            ctx,
            grouped("t.kind, COUNT(*)", "partnership t", &self.partnerships),
        )
        .await
    }
    /// Partnerships per current status.
    async fn partnerships_by_status(&self, ctx: &Context<'_>) -> Result<Vec<Count>> {
        counts(
            ctx,
            grouped("t.status, COUNT(*)", "partnership t", &self.partnerships),
        )
        .await
    }
    /// Partnerships per year of establishment (those with a known date).
    async fn partnerships_by_year(&self, ctx: &Context<'_>) -> Result<Vec<Count>> {
        let mut filter = self.partnerships.clone();
        filter.push(" AND t.established_on IS NOT NULL");
        counts(
            ctx,
            grouped(
                "SUBSTR(t.established_on, 1, 4), COUNT(*)",
                "partnership t",
                &filter,
            ),
        )
        .await
    }
    /// Visits per topic, each topic including its descendants.
    async fn visits_by_topic(&self, ctx: &Context<'_>) -> Result<Vec<Count>> {
        counts(
            ctx,
            by_topic("visit", "visit_topic", "visit_id", &self.visits),
        )
        .await
    }
    /// Protocols per topic, each topic including its descendants.
    async fn protocols_by_topic(&self, ctx: &Context<'_>) -> Result<Vec<Count>> {
        counts(
            ctx,
            by_topic("protocol", "protocol_topic", "protocol_id", &self.protocols),
        )
        .await
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
            partnerships: condition(filter.partnerships.as_ref()),
            visits: condition(filter.visits.as_ref()),
            protocols: condition(filter.protocols.as_ref()),
        }
    }
}

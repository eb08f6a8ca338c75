//! `search(query:)`: ranked full-text search across names (every language
//! and script), titles, purposes, summaries and descriptions.

use super::city::City;
use super::event::Event;
use super::organization::Organization;
use super::partnership::Partnership;
use super::protocol::Protocol;
use super::source::Source;
use super::topic::Topic;
use super::visit::Visit;
use crate::error::{AppError, Result};
use crate::graphql::connection::{Connection, Cursor, PageArgs, Totals};
use crate::graphql::db;
use crate::graphql::node::{Find, Node, record};
use crate::store::search;
use async_graphql::connection::Edge;
use async_graphql::{Context, Enum, Object, Union};

/// A record that matched a search.
#[derive(Union)]
pub enum SearchResult {
    City(City),
    Partnership(Partnership),
    Visit(Visit),
    Protocol(Protocol),
    Event(Event),
    Topic(Topic),
    Organization(Organization),
    Source(Source),
}

/// The `search` query.
#[derive(Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Records matching every word of `query` (each as a word prefix, case
    /// and accents ignored, in any script: "Мурманск", "哈尔滨", "cerebral
    /// palsy"), best first: a match in a name or title ranks above one in a
    /// summary. `types` limits the kinds of record.
    async fn search(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Words to find; each must match the start of a word in the record.")]
        query: String,
        #[graphql(desc = "Only these kinds of record (all when absent).")] types: Option<
            Vec<SearchType>,
        >,
        #[graphql(desc = "The first n results (at most 100 by default; default 20).")]
        first: Option<i32>,
        #[graphql(desc = "Results after this cursor.")] after: Option<String>,
    ) -> Result<Connection<SearchResult>> {
        let window = PageArgs {
            first,
            after,
            ..PageArgs::default()
        }
        .window(ctx)?;
        crate::graphql::CostLedger::count_page(ctx);
        let after = match &window.after {
            Some(cursor) => Some(search_cursor(cursor)?),
            None => None,
        };
        let hits = search::search(
            db(ctx),
            &query,
            &types
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect::<Vec<_>>(),
            after,
            window.limit(),
        )
        .await?;
        let more = hits.len() > window.size;
        let mut connection = async_graphql::connection::Connection::with_additional_fields(
            window.after.is_some(),
            more,
            Totals::Unknown,
        );
        let hits: Vec<_> = hits.into_iter().take(window.size).collect();
        // All at once, so the loaders batch them: one statement per type.
        let records = futures_util::future::try_join_all(
            hits.iter()
                .map(|hit| record(ctx, hit.kind, Find::Id(hit.id))),
        )
        .await?;
        for (hit, record) in hits.iter().zip(records) {
            let cursor = Cursor(vec![
                hit.rank.into(),
                hit.kind.search_code().into(),
                hit.id.into(),
            ]);
            if let Some(result) = record {
                connection.edges.push(Edge::new(cursor, result.into()));
            }
        }
        Ok(connection)
    }
}

fn search_cursor(cursor: &[serde_json::Value]) -> Result<(f64, i16, i32)> {
    let malformed =
        || AppError::bad_input("the cursor is not a search cursor; restart from the first page");
    match cursor {
        [rank, kind, id] => Ok((
            rank.as_f64().ok_or_else(malformed)?,
            kind.as_i64()
                .and_then(|k| i16::try_from(k).ok())
                .ok_or_else(malformed)?,
            id.as_i64()
                .and_then(|i| i32::try_from(i).ok())
                .ok_or_else(malformed)?,
        )),
        _ => Err(malformed()),
    }
}

/// A found record as a search result.
impl From<Node> for SearchResult {
    fn from(node: Node) -> Self {
        match node {
            Node::City(city) => SearchResult::City(city),
            Node::Partnership(partnership) => SearchResult::Partnership(partnership),
            Node::Visit(visit) => SearchResult::Visit(visit),
            Node::Protocol(protocol) => SearchResult::Protocol(protocol),
            Node::Event(event) => SearchResult::Event(event),
            Node::Topic(topic) => SearchResult::Topic(topic),
            Node::Organization(organization) => SearchResult::Organization(organization),
            Node::Source(source) => SearchResult::Source(source),
        }
    }
}

/// The kinds of record in the index, with their stored codes.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::kinds::Kind")]
pub enum SearchType {
    /// Cities.
    City,
    /// Partnerships.
    Partnership,
    /// Visits.
    Visit,
    /// Protocols and agreements.
    Protocol,
    /// Events.
    Event,
    /// Cooperation topics.
    Topic,
    /// Organizations.
    Organization,
    /// Sources.
    Source,
}

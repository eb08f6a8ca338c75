//! `search(query:)`: records of every kind found by the words of their
//! names, titles, purposes, summaries and descriptions (any language and
//! script), ranked the same way on every database, each with the fields
//! that matched and a highlighted fragment of each.

use super::city::City;
use super::event::Event;
use super::organization::Organization;
use super::partnership::Partnership;
use super::protocol::Protocol;
use super::source::Source;
use super::topic::Topic;
use super::visit::Visit;
use crate::domain::kinds::Kind;
use crate::domain::search_text::{self, Fragment};
use crate::error::{AppError, Result};
use crate::graphql::connection::{Connection, Counter, Cursor, PageArgs, Totals};
use crate::graphql::db;
use crate::graphql::node::{Find, Node, record};
use crate::store::search::{self, Hit, Position};
use crate::store::search_texts;
use async_graphql::connection::Edge;
use async_graphql::{Context, Enum, ID, Interface, Object, SimpleObject};
use std::collections::HashMap;
use std::sync::Arc;

/// The most words a query may have.
const MAX_WORDS: usize = 16;

/// A record that search can find: every kind of record has these fields,
/// so one fragment on `SearchResult` renders any result.
// Each `field(…)` and `arg(…)` names its own type; the lint takes two
// equal `ty = …` in one attribute for a repetition.
#[allow(clippy::duplicated_attributes)]
#[derive(Interface)]
#[graphql(
    field(
        name = "id",
        ty = "ID",
        desc = "Opaque global id, stable across databases (built from type and key)."
    ),
    field(name = "key", ty = "String", desc = "Stable key, such as `murmansk`."),
    field(
        name = "title",
        ty = "String",
        desc = "A title to show the record by: the name of a city, event, topic or organization, the title of a protocol or source, \"Murmansk – Harbin\" for a partnership, \"Harbin → Murmansk, 2016-05-23\" for a visit."
    ),
    field(
        name = "sources",
        ty = "Connection<Source>",
        desc = "The sources the record cites (none for topics and sources).",
        arg(
            name = "after",
            ty = "Option<String>",
            desc = "Items after this cursor."
        ),
        arg(
            name = "before",
            ty = "Option<String>",
            desc = "Items before this cursor."
        ),
        arg(
            name = "first",
            ty = "Option<i32>",
            desc = "The first n items (at most 100 by default; default 20)."
        ),
        arg(
            name = "last",
            ty = "Option<i32>",
            desc = "The last n items (at most 100 by default)."
        )
    )
)]
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

/// A field of a result that holds words of the query.
#[derive(SimpleObject, Clone)]
pub struct TextMatch {
    /// The field of the result's type that matched, such as `name`,
    /// `nativeName`, `summary` or `cities` (a partnership's cities' names).
    field: String,
    /// A short piece of the field's text around the words found (the whole
    /// text when short).
    fragment: String,
    /// The words found in `fragment`, in order.
    highlights: Vec<TextMatchHighlight>,
}

/// A word of a fragment that matched the query. Positions count Unicode
/// characters (code points) from the start of the fragment.
#[derive(SimpleObject, Clone)]
pub struct TextMatchHighlight {
    /// The word as it stands in the text.
    text: String,
    /// Position of its first character.
    start: i32,
    /// Position just past its last character.
    end: i32,
}

/// What search says about one result beside the record itself.
#[derive(SimpleObject)]
pub struct SearchHit {
    /// The fields of the result that hold words of the query, naming fields
    /// (name, title, purpose) first. A word matches when it starts with a
    /// query word, ignoring case and accents.
    text_matches: Vec<TextMatch>,
}

/// The `search` query.
#[derive(Default)]
pub struct SearchQuery;

#[macros::paged]
#[Object]
impl SearchQuery {
    /// Records matching every word of `query` (each as the start of a word,
    /// case and accents ignored, in any script: "Мурманск", "哈尔滨",
    /// "cerebral palsy"), best first, in the same order on every database:
    /// whole words before word starts, names and titles before summaries
    /// and descriptions; then by kind (cities, partnerships, visits,
    /// protocols, events, topics, organizations, sources) and key.
    async fn search(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Words to find (at most 16); each must start a word of the record.")]
        query: String,
        #[graphql(desc = "Only these kinds of record (all when absent).")] types: Option<
            Vec<SearchType>,
        >,
        page: PageArgs,
    ) -> Result<SearchConnection> {
        let forms = search_text::query_forms(&query);
        if forms.len() > MAX_WORDS {
            return Err(AppError::bad_input(format!(
                "`query` must have at most {MAX_WORDS} words (got {})",
                forms.len()
            )));
        }
        let types: Vec<Kind> = types
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect();
        let window = page.window(ctx)?;
        crate::graphql::CostLedger::count_page(ctx);
        let store_window = search::Window {
            after: window.after.as_deref().map(position).transpose()?,
            before: window.before.as_deref().map(position).transpose()?,
            backwards: window.backwards,
            limit: window.limit(),
        };
        let mut hits = search::search(db(ctx), &forms, &types, &store_window).await?;
        let more = hits.len() > window.size;
        hits.truncate(window.size);
        if window.backwards {
            hits.reverse();
        }
        let (has_previous, has_next) = if window.backwards {
            (more, window.before.is_some())
        } else {
            (window.after.is_some(), more)
        };
        let forms = Arc::new(forms);
        let totals = Totals::Count(Arc::new(SearchCount {
            forms: forms.clone(),
            types,
        }));
        let mut connection =
            SearchConnection::with_additional_fields(has_previous, has_next, totals);
        let wants_matches = ctx
            .look_ahead()
            .field("edges")
            .field("textMatches")
            .exists();
        let mut matches = match wants_matches {
            true => text_matches(ctx, &hits, &forms).await?,
            false => HashMap::new(),
        };
        // All at once, so the loaders batch them: one statement per kind.
        let records = futures_util::future::try_join_all(
            hits.iter()
                .map(|hit| record(ctx, hit.kind, Find::Id(hit.id))),
        )
        .await?;
        for (hit, record) in hits.iter().zip(records) {
            let Some(record) = record else { continue };
            let cursor = Cursor(vec![
                hit.position.score.into(),
                hit.position.kind.into(),
                hit.position.key.clone().into(),
            ]);
            let text_matches = matches.remove(&(hit.kind, hit.id)).unwrap_or_default();
            connection.edges.push(Edge::with_additional_fields(
                cursor,
                record.into(),
                SearchHit { text_matches },
            ));
        }
        Ok(connection)
    }
}

/// The connection `search` returns: its edges carry the text matches.
type SearchConnection =
    async_graphql::connection::Connection<Cursor, SearchResult, Totals, SearchHit>;

/// `totalCount` of a search: its matches counted in one statement, when asked.
struct SearchCount {
    forms: Arc<Vec<String>>,
    types: Vec<Kind>,
}

#[async_trait::async_trait]
impl Counter for SearchCount {
    async fn count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(search::count(db(ctx), &self.forms, &self.types).await?)
    }
}

/// The position a search cursor holds: `[score, kind, key]`.
fn position(cursor: &[serde_json::Value]) -> Result<Position> {
    let malformed =
        || AppError::bad_input("the cursor is not a search cursor; restart from the first page");
    match cursor {
        [score, kind, key] => Ok(Position {
            score: score.as_i64().ok_or_else(malformed)?,
            kind: kind
                .as_i64()
                .and_then(|k| i16::try_from(k).ok())
                .ok_or_else(malformed)?,
            key: key.as_str().ok_or_else(malformed)?.to_owned(),
        }),
        _ => Err(malformed()),
    }
}

/// The text matches of each hit, from the same fields the index read: one
/// batch per kind of record on the page.
async fn text_matches(
    ctx: &Context<'_>,
    hits: &[Hit],
    forms: &[String],
) -> Result<HashMap<(Kind, i32), Vec<TextMatch>>> {
    let mut by_kind: HashMap<Kind, Vec<i32>> = HashMap::new();
    for hit in hits {
        by_kind.entry(hit.kind).or_default().push(hit.id);
    }
    let mut matches = HashMap::new();
    for (kind, ids) in by_kind {
        for indexed in search_texts::texts(db(ctx), kind, &ids).await? {
            let found = indexed
                .fields
                .iter()
                .filter_map(|(field, text)| {
                    search_text::fragment(text, forms).map(|f| text_match(field.name, f))
                })
                .collect();
            matches.insert((kind, indexed.id), found);
        }
    }
    Ok(matches)
}

fn text_match(field: &str, fragment: Fragment) -> TextMatch {
    let position = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    TextMatch {
        field: field.to_owned(),
        highlights: fragment
            .highlights
            .into_iter()
            .map(|h| TextMatchHighlight {
                text: h.text,
                start: position(h.start),
                end: position(h.end),
            })
            .collect(),
        fragment: fragment.text,
    }
}

/// `sources` of the kinds that cite none (topics, and sources themselves):
/// an empty connection, with its arguments checked as any other's.
pub fn uncited(ctx: &Context<'_>, page: PageArgs) -> Result<Connection<Source>> {
    page.window(ctx)?;
    Ok(Connection::with_additional_fields(
        false,
        false,
        Totals::Fixed(0),
    ))
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

/// A kind of record, to limit a search to.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::kinds::Kind")]
pub enum SearchType {
    /// Cities.
    City,
    /// Partnerships.
    Partnership,
    /// Visits.
    Visit,
    /// Protocols.
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

//! `Topic`: the tree of cooperation topics.

use super::event::Event;
use super::filter_input::{ToFilter, any_of, combinators, matching};
use super::partnership::{Partnership, PartnershipOrderBy};
use super::protocol::{Protocol, ProtocolOrderBy};
use super::source::Source;
use super::visit::{Visit, VisitFilter, VisitOrderBy};
use crate::error::Result;
use crate::graphql::connection::{Connection, PageArgs, nested_page, root_page};
use crate::graphql::{by_id, by_key};
use crate::store::filters::{self, Filter, topics};
use crate::store::orderings;
use crate::store::relations::*;
use async_graphql::{Context, InputObject, Object};
use entity::topic;

#[derive(Clone)]
pub struct Topic(pub topic::Model);

/// A cooperation topic, such as health care → rehabilitation.
#[macros::record(
    history = crate::store::relations::TOPIC_HISTORY,
    key = "Stable key, such as `rehabilitation`."
)]
#[Object]
impl Topic {
    /// Its title in lists and search results: its name.
    pub async fn title(&self) -> &str {
        &self.0.name
    }
    /// Topics are vocabulary and cite no sources: always empty (a field of
    /// `SearchResult`).
    pub async fn sources(&self, ctx: &Context<'_>, page: PageArgs) -> Result<Connection<Source>> {
        super::search::uncited(ctx, page)
    }
    /// Its name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What it covers.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// The broader topic.
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Topic>> {
        match self.0.parent_id {
            Some(id) => Ok(by_id::<topic::Model>(ctx, id).await?.map(Topic)),
            None => Ok(None),
        }
    }
    /// The broader topics, nearest first (a short list, not paged).
    async fn ancestors(&self, ctx: &Context<'_>) -> Result<Vec<Topic>> {
        let mut ancestors = Vec::new();
        let mut next = self.0.parent_id;
        // The tree has no cycles (import and writes refuse them); the bound
        // only guards against a corrupted database.
        while let Some(id) = next.filter(|_| ancestors.len() < 64) {
            let Some(parent) = by_id::<topic::Model>(ctx, id).await? else {
                break;
            };
            next = parent.parent_id;
            ancestors.push(Topic(parent));
        }
        Ok(ancestors)
    }
    /// The narrower topics one level down.
    async fn children(&self, ctx: &Context<'_>, page: PageArgs) -> Result<Connection<Topic>> {
        nested_page(
            ctx,
            self.0.id,
            &TOPIC_CHILDREN,
            Filter::everything(),
            orderings::topics::BY_NAME,
            page,
            Topic,
        )
        .await
    }
    /// All narrower topics, at any depth.
    async fn descendants(&self, ctx: &Context<'_>, page: PageArgs) -> Result<Connection<Topic>> {
        nested_page(
            ctx,
            self.0.id,
            &TOPIC_DESCENDANTS,
            Filter::everything(),
            orderings::topics::BY_NAME,
            page,
            Topic,
        )
        .await
    }
    /// Visits tagged with this topic or a descendant.
    async fn visits(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only items matching this filter.")] filter: Option<VisitFilter>,
        #[graphql(default, desc = "The order of the list.")] order_by: VisitOrderBy,
        page: PageArgs,
    ) -> Result<Connection<Visit>> {
        nested_page(
            ctx,
            self.0.id,
            &TOPIC_VISITS,
            matching(filter.as_ref()),
            order_by.ordering(),
            page,
            Visit,
        )
        .await
    }
    /// Partnerships tagged with this topic or a descendant.
    async fn partnerships(
        &self,
        ctx: &Context<'_>,
        page: PageArgs,
    ) -> Result<Connection<Partnership>> {
        nested_page(
            ctx,
            self.0.id,
            &TOPIC_PARTNERSHIPS,
            Filter::everything(),
            PartnershipOrderBy::Key.ordering(),
            page,
            Partnership,
        )
        .await
    }
    /// Protocols tagged with this topic or a descendant.
    async fn protocols(&self, ctx: &Context<'_>, page: PageArgs) -> Result<Connection<Protocol>> {
        nested_page(
            ctx,
            self.0.id,
            &TOPIC_PROTOCOLS,
            Filter::everything(),
            ProtocolOrderBy::Signed.ordering(),
            page,
            Protocol,
        )
        .await
    }
    /// Events tagged with this topic or a descendant.
    async fn events(&self, ctx: &Context<'_>, page: PageArgs) -> Result<Connection<Event>> {
        nested_page(
            ctx,
            self.0.id,
            &TOPIC_EVENTS,
            Filter::everything(),
            orderings::events::BY_START,
            page,
            Event,
        )
        .await
    }
}

/// Which topics to list.
#[derive(InputObject, Default)]
pub struct TopicFilter {
    /// One of these keys.
    pub keys: Option<Vec<String>>,
    /// Directly under one of the topics with these keys.
    pub parents: Option<Vec<String>>,
    /// Children of the topic with this key.
    #[graphql(
        deprecation = "Use `parents`: a filter on a field a record has one of takes a list."
    )]
    pub parent: Option<String>,
    /// Only top-level topics (true) or only subtopics (false).
    pub root: Option<bool>,
    /// All of these filters hold.
    pub and: Option<Vec<TopicFilter>>,
    /// At least one of these filters holds.
    pub or: Option<Vec<TopicFilter>>,
    /// This filter does not hold.
    pub not: Option<Box<TopicFilter>>,
}

impl ToFilter for TopicFilter {
    type Rows = topic::Model;

    fn predicates(&self, out: &mut Vec<Filter<Self::Rows>>) {
        if let Some(keys) = &self.keys {
            out.push(filters::keys(keys));
        }
        if let Some(key) = &self.parent {
            out.push(topics::parent(key));
        }
        if let Some(values) = &self.parents {
            out.push(any_of(values, topics::parent));
        }
        if let Some(root) = self.root {
            out.push(topics::root(root));
        }
    }
    combinators!();
}

/// Topic lookups.
#[derive(Default)]
pub struct TopicQuery;

#[macros::paged]
#[Object]
impl TopicQuery {
    /// The topic with this key, or null.
    async fn topic(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The stable key of the record.")] key: String,
    ) -> Result<Option<Topic>> {
        Ok(by_key::<topic::Model>(ctx, key).await?.map(Topic))
    }

    /// Topics by name, a page at a time.
    async fn topics(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only items matching this filter.")] filter: Option<TopicFilter>,
        page: PageArgs,
    ) -> Result<Connection<Topic>> {
        root_page(
            ctx,
            matching(filter.as_ref()),
            orderings::topics::BY_NAME,
            page,
            Topic,
        )
        .await
    }
}

//! `Partnership.timeline`: visits, protocols, events and status changes of
//! a partnership as one list in date order.

use super::event::Event;
use super::partnership::StatusChange;
use super::protocol::Protocol;
use super::visit::Visit;
use crate::error::Result;
use crate::graphql::connection::{Connection, Cursor, PageArgs, Totals, children};
use crate::store::filters::Filter;
use crate::store::orderings;
use crate::store::relations::{
    PARTNERSHIP_EVENTS, PARTNERSHIP_PROTOCOLS, PARTNERSHIP_STATUS_HISTORY, PARTNERSHIP_VISITS,
};
use async_graphql::connection::Edge;
use async_graphql::{Context, Union};
use entity::{event, partnership, partnership_status_change, protocol, visit};

/// One item of a partnership's timeline.
#[derive(Union)]
pub enum TimelineItem {
    Visit(Visit),
    Protocol(Protocol),
    Event(Event),
    StatusChange(StatusChange),
}

/// The most items of each kind a timeline merges.
const MAX_PER_KIND: usize = 1000;

/// The sort key of an item: first day, then kind (a status change after the
/// document that caused it on the same day), then key.
fn sort_key(item: &TimelineItem) -> (String, u8, String) {
    match item {
        TimelineItem::Event(e) => (e.0.start_date_start.to_string(), 0, e.0.key.clone()),
        TimelineItem::Visit(v) => (v.0.start_date_start.to_string(), 1, v.0.key.clone()),
        TimelineItem::Protocol(p) => (
            p.0.signed_on_start
                .map_or_else(|| "9999-12-31".to_owned(), |d| d.to_string()),
            2,
            p.0.key.clone(),
        ),
        TimelineItem::StatusChange(s) => (
            s.0.occurred_on_start
                .map_or_else(|| "9999-12-31".to_owned(), |d| d.to_string()),
            3,
            format!("{:010}", s.0.id),
        ),
    }
}

/// The timeline of one partnership, paged forwards. Each kind is fetched in
/// one batched statement; items are merged in memory (a partnership has
/// tens of items, not thousands; each kind is capped at 1,000).
pub async fn timeline(
    ctx: &Context<'_>,
    partnership: &partnership::Model,
    first: Option<i32>,
    after: Option<String>,
) -> Result<Connection<TimelineItem>> {
    let window = PageArgs {
        first,
        after,
        ..PageArgs::default()
    }
    .window(ctx)?;
    crate::graphql::CostLedger::count_page(ctx);
    let id = partnership.id;
    let mut items: Vec<TimelineItem> = Vec::new();
    let visits: Vec<visit::Model> = children(
        ctx,
        id,
        &PARTNERSHIP_VISITS,
        &Filter::everything(),
        orderings::visits::BY_KEY,
        MAX_PER_KIND,
    )
    .await?;
    items.extend(visits.into_iter().map(|v| TimelineItem::Visit(Visit(v))));
    let protocols: Vec<protocol::Model> = children(
        ctx,
        id,
        &PARTNERSHIP_PROTOCOLS,
        &Filter::everything(),
        orderings::protocols::BY_KEY,
        MAX_PER_KIND,
    )
    .await?;
    items.extend(
        protocols
            .into_iter()
            .map(|p| TimelineItem::Protocol(Protocol(p))),
    );
    let events: Vec<event::Model> = children(
        ctx,
        id,
        &PARTNERSHIP_EVENTS,
        &Filter::everything(),
        orderings::events::BY_KEY,
        MAX_PER_KIND,
    )
    .await?;
    items.extend(events.into_iter().map(|e| TimelineItem::Event(Event(e))));
    let steps: Vec<partnership_status_change::Model> = children(
        ctx,
        id,
        &PARTNERSHIP_STATUS_HISTORY,
        &Filter::everything(),
        orderings::status_changes::BY_ID,
        MAX_PER_KIND,
    )
    .await?;
    items.extend(
        steps
            .into_iter()
            .map(|s| TimelineItem::StatusChange(StatusChange(s))),
    );
    items.sort_by_cached_key(sort_key);

    let total = items.len();
    let start = match &window.after {
        Some(cursor) => {
            let after = cursor_key(cursor);
            items
                .iter()
                .position(|item| Some(sort_key(item)) > after)
                .unwrap_or(total)
        }
        None => 0,
    };
    let end = (start + window.size).min(total);
    let mut connection = async_graphql::connection::Connection::with_additional_fields(
        start > 0,
        end < total,
        Totals::Fixed(total as u64),
    );
    for item in items.into_iter().skip(start).take(end - start) {
        let (date, kind, key) = sort_key(&item);
        connection.edges.push(Edge::new(
            Cursor(vec![date.into(), kind.into(), key.into()]),
            item,
        ));
    }
    Ok(connection)
}

fn cursor_key(cursor: &[serde_json::Value]) -> Option<(String, u8, String)> {
    match cursor {
        [date, kind, key] => Some((
            date.as_str()?.to_owned(),
            u8::try_from(kind.as_u64()?).ok()?,
            key.as_str()?.to_owned(),
        )),
        _ => None,
    }
}

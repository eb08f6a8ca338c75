//! `Partnership.timeline`: visits, protocols, events and status changes of
//! a partnership as one list in date order.

use super::event::Event;
use super::partnership::StatusChange;
use super::protocol::Protocol;
use super::visit::Visit;
use crate::error::{AppError, Result};
use crate::graphql::connection::{Connection, Cursor, PageArgs, Totals, children};
use crate::store::filters::Filter;
use crate::store::orderings;
use crate::store::relations::{
    PARTNERSHIP_EVENTS, PARTNERSHIP_PROTOCOLS, PARTNERSHIP_STATUS_HISTORY, PARTNERSHIP_VISITS,
};
use async_graphql::connection::Edge;
use async_graphql::{Context, Union};
use chrono::NaiveDate as Date;
use entity::{event, partnership, partnership_status_change, protocol, visit};
use std::cmp::Reverse;

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

/// An item's place in the timeline: the first day its date covers, then
/// the coarser date first (a visit dated "2015" before one of 2015-01-01),
/// then kind (a status change after the document that caused it on the
/// same day), then key. Undated items come last.
type Position = (String, Reverse<String>, u8, String);

const UNDATED: &str = "9999-12-31";

fn position(item: &TimelineItem) -> Position {
    let span = |start: Option<Date>, end: Option<Date>| {
        let day = |d: Option<Date>| d.map_or_else(|| UNDATED.to_owned(), |d| d.to_string());
        (day(start), Reverse(day(end)))
    };
    let ((start, end), kind, key) = match item {
        TimelineItem::Event(e) => (
            span(Some(e.0.start_date_start), Some(e.0.start_date_end)),
            0,
            e.0.key.clone(),
        ),
        TimelineItem::Visit(v) => (
            span(Some(v.0.start_date_start), Some(v.0.start_date_end)),
            1,
            v.0.key.clone(),
        ),
        TimelineItem::Protocol(p) => (
            span(p.0.signed_on_start, p.0.signed_on_end),
            2,
            p.0.key.clone(),
        ),
        TimelineItem::StatusChange(s) => (
            span(s.0.occurred_on_start, s.0.occurred_on_end),
            3,
            format!("{:010}", s.0.id),
        ),
    };
    (start, end, kind, key)
}

/// The timeline of one partnership, a page at a time in either direction.
/// Each kind is fetched in one batched statement; items are merged in
/// memory (a partnership has tens of items, not thousands; each kind is
/// capped at 1,000).
pub async fn timeline(
    ctx: &Context<'_>,
    partnership: &partnership::Model,
    page: PageArgs,
) -> Result<Connection<TimelineItem>> {
    let window = page.window(ctx)?;
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
    let mut items: Vec<(Position, TimelineItem)> = items
        .into_iter()
        .map(|item| (position(&item), item))
        .collect();
    items.sort_by(|a, b| a.0.cmp(&b.0));

    let total = items.len();
    let after = cursor_position(window.after.as_deref(), "after")?;
    let before = cursor_position(window.before.as_deref(), "before")?;
    let low = after.map_or(0, |after| items.partition_point(|(p, _)| *p <= after));
    let high = before
        .map_or(total, |before| items.partition_point(|(p, _)| *p < before))
        .max(low);
    let (start, end) = if window.backwards {
        (high.saturating_sub(window.size).max(low), high)
    } else {
        (low, (low + window.size).min(high))
    };
    let mut connection = async_graphql::connection::Connection::with_additional_fields(
        start > 0,
        end < total,
        Totals::Fixed(total as u64),
    );
    for (position, item) in items.into_iter().skip(start).take(end - start) {
        let (day, Reverse(last_day), kind, key) = position;
        let cursor = Cursor(vec![day.into(), last_day.into(), kind.into(), key.into()]);
        connection.edges.push(Edge::new(cursor, item));
    }
    Ok(connection)
}

/// The position a cursor of this timeline holds; a cursor of another list
/// is refused, naming the argument.
fn cursor_position(
    cursor: Option<&[serde_json::Value]>,
    argument: &str,
) -> Result<Option<Position>> {
    let Some(cursor) = cursor else {
        return Ok(None);
    };
    let position = match cursor {
        [day, last_day, kind, key] => (|| {
            Some((
                day.as_str()?.to_owned(),
                Reverse(last_day.as_str()?.to_owned()),
                u8::try_from(kind.as_u64()?).ok()?,
                key.as_str()?.to_owned(),
            ))
        })(),
        _ => None,
    };
    position.map(Some).ok_or_else(|| {
        AppError::bad_input(format!("`{argument}` is not a cursor of this timeline"))
    })
}

//! `changeFeed`: the committed change sets after a cursor, in id order and
//! never past one still in flight, for partners who mirror the data
//! (readers; no admin rights).
//!
//! Each change carries the record's whole content as of its change set, as
//! interchange JSON (the shape of a record in `twinning export` and
//! `importDocument`), not a typed GraphQL object: a mirror applies it with
//! `importDocument` as it is, one format covers all eight kinds, and a
//! typed shape would have to follow every field the interchange format
//! gains. Who made a change and how (actor, scope, operation) is the
//! admins' `changes` history only.

use crate::domain::changes::{Action, apply, feed_cursor as cursor, parse_feed_cursor};
use crate::domain::kinds::Kind;
use crate::error::{AppError, Result};
use crate::graphql::connection::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use crate::store::feed::{self, FeedChange};
use crate::store::horizon;
use async_graphql::{Context, Json, Object, SimpleObject};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

/// The change set a feed cursor names.
fn decode(text: &str) -> Result<i32> {
    parse_feed_cursor(text)
        .ok_or_else(|| AppError::bad_input(format!("after: {text:?} is not a change feed cursor")))
}

/// A page of the change feed.
#[derive(SimpleObject)]
pub struct ChangeFeedConnection {
    /// The change sets, oldest first.
    nodes: Vec<FeedChangeSet>,
    /// Where to continue: the last change set's cursor, or `after` when
    /// there was none.
    end_cursor: String,
    /// Whether more change sets followed this page when it was read.
    has_next_page: bool,
}

/// One committed write: everything it changed, applied together.
#[derive(SimpleObject)]
pub struct FeedChangeSet {
    /// The position after this change set, for `changeFeed(after:)`.
    cursor: String,
    /// When it was committed.
    at: chrono::DateTime<chrono::Utc>,
    /// Its changes, in the order they were made.
    changes: Vec<FeedRecordChange>,
}

/// One record's change.
#[derive(SimpleObject)]
pub struct FeedRecordChange {
    /// The record's type, such as `City`.
    record_type: String,
    /// The record's key.
    record_key: String,
    /// Created, updated or deleted.
    action: Action,
    /// The record's whole content after this change set, as interchange
    /// JSON; null when deleted.
    record: Option<Json<Value>>,
}

#[derive(Default)]
pub struct FeedQuery;

#[Object]
impl FeedQuery {
    /// The change sets committed after `after`, in the order to apply them
    /// (one committing late is never passed over), with each record's
    /// content as of its change set: with an export (which names the
    /// cursor it was taken at), enough to keep a copy exact.
    async fn change_feed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A cursor from this feed or from an export; the beginning when null.")]
        after: Option<String>,
        #[graphql(desc = "How many change sets, at most 100 (20 when null).")] first: Option<i32>,
        #[graphql(desc = "Only changes to records of these types, such as `City`.")] types: Option<
            Vec<String>,
        >,
    ) -> Result<ChangeFeedConnection> {
        let after = after.as_deref().map(decode).transpose()?.unwrap_or(0);
        let first = match first {
            None => DEFAULT_PAGE_SIZE as u64,
            Some(n) if (1..=MAX_PAGE_SIZE as i32).contains(&n) => n as u64,
            Some(n) => {
                return Err(AppError::bad_input(format!(
                    "first: {n} is not between 1 and {MAX_PAGE_SIZE}"
                )));
            }
        };
        if let Some(unknown) = types
            .iter()
            .flatten()
            .find(|t| Kind::from_type_name(t).is_none())
        {
            return Err(AppError::bad_input(format!(
                "types: {unknown:?} is not a record type"
            )));
        }
        // The horizon first, then the reads: what they see below it is
        // final (see `crate::store::horizon`).
        let primary = crate::graphql::primary(ctx);
        let horizon = horizon::find_horizon(primary).await?;
        let db = horizon::settled_reader(primary, crate::graphql::db(ctx)).await?;
        let mut sets =
            feed::find_sets_after(db, after, horizon, types.as_deref(), first + 1).await?;
        let has_next_page = sets.len() as u64 > first;
        sets.truncate(first as usize);
        let (Some(oldest), Some(newest)) = (sets.first(), sets.last()) else {
            return Ok(ChangeFeedConnection {
                nodes: Vec::new(),
                end_cursor: cursor(after.into()),
                has_next_page,
            });
        };
        let wanted = |c: &FeedChange| types.as_ref().is_none_or(|t| t.contains(&c.record_type));
        let changes: Vec<FeedChange> = feed::find_changes_between(db, oldest.id, newest.id)
            .await?
            .into_iter()
            .filter(wanted)
            .collect();
        let record_types: BTreeSet<String> =
            changes.iter().map(|c| c.record_type.clone()).collect();
        let keys: BTreeSet<String> = changes.iter().map(|c| c.record_key.clone()).collect();
        let record_types: Vec<String> = record_types.into_iter().collect();
        let keys: Vec<String> = keys.into_iter().collect();
        let history = feed::find_histories(db, &record_types, &keys, newest.id).await?;
        let contents = fold(&history);
        let mut by_set: HashMap<i32, Vec<FeedRecordChange>> = HashMap::new();
        for change in changes {
            let Some(action) = Action::parse(&change.action) else {
                continue;
            };
            by_set
                .entry(change.change_set_id)
                .or_default()
                .push(FeedRecordChange {
                    record: contents.get(&change.id).cloned().flatten().map(Json),
                    record_type: change.record_type,
                    record_key: change.record_key,
                    action,
                });
        }
        let end_cursor = cursor(newest.id.into());
        let nodes = sets
            .into_iter()
            .map(|set| FeedChangeSet {
                cursor: cursor(set.id.into()),
                at: set.created_at,
                changes: by_set.remove(&set.id).unwrap_or_default(),
            })
            .collect();
        Ok(ChangeFeedConnection {
            nodes,
            end_cursor,
            has_next_page,
        })
    }
}

/// Each change's record content, by change id: the record's history folded
/// up to the last change of its change set (a change set may change a
/// record twice; the feed shows its state once the set is applied).
fn fold(history: &[FeedChange]) -> HashMap<i32, Option<Value>> {
    let mut current: HashMap<(&str, &str), Option<Value>> = HashMap::new();
    let mut by_change = HashMap::new();
    for change in history {
        let Some(action) = Action::parse(&change.action) else {
            continue;
        };
        let after = change
            .after
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok());
        let content = current
            .entry((&change.record_type, &change.record_key))
            .or_default();
        apply(content, action, after);
        by_change.insert(change.id, content.clone());
    }
    // A later change in the same set wins for every change of that record
    // in the set.
    let mut last_in_set: HashMap<(i32, &str, &str), i32> = HashMap::new();
    for change in history {
        last_in_set.insert(
            (
                change.change_set_id,
                &change.record_type,
                &change.record_key,
            ),
            change.id,
        );
    }
    history
        .iter()
        .map(|change| {
            let last = last_in_set[&(
                change.change_set_id,
                &*change.record_type,
                &*change.record_key,
            )];
            (change.id, by_change.get(&last).cloned().flatten())
        })
        .collect()
}

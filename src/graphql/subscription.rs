//! Subscriptions: committed changes as they happen, filtered on the server.
//! Every subscription reads the one broadcast of this server's
//! [`Live`](crate::live::Live) feed; one that falls too far behind gets a
//! `SUBSCRIBER_LAGGED` error and ends, so it can re-read and subscribe again.

use super::db;
use super::node::Node;
use super::types::change::Change;
use super::types::partnership::{Partnership, StatusChange};
use super::types::protocol::Protocol;
use super::types::timeline::TimelineItem;
use super::types::visit::Visit;
use crate::domain::access::Role;
use crate::domain::changes::Action;
use crate::domain::kinds::Kind;
use crate::error::{AppError, Result};
use crate::graphql::guards::RoleGuard;
use crate::live::{Live, LiveChange};
use crate::store::Db;
use crate::store::changes::ChangeRow;
use crate::store::rows::AnyRow;
use crate::store::{lookup, status_changes};
use async_graphql::{Context, Enum, Object, Subscription};
use entity::partnership_status_change as step;
use futures_util::Stream;
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;

/// The most keys a `recordChanged` filter may list.
const MAX_KEYS: usize = 100;

/// A kind of record, for filters.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
#[graphql(remote = "crate::domain::kinds::Kind")]
pub enum RecordType {
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

/// Whether the change's `after` names `field` (it changed).
fn changed(row: &ChangeRow, field: &str) -> bool {
    row.after
        .as_deref()
        .and_then(|after| serde_json::from_str::<serde_json::Value>(after).ok())
        .is_some_and(|after| after.get(field).is_some())
}

/// The committed changes this server hears of from now on, each passed
/// through `keep` (which may read the database); ends with an error when
/// the subscriber lags.
fn changes<T, F, Fut>(ctx: &Context<'_>, keep: F) -> impl Stream<Item = Result<T>> + use<T, F, Fut>
where
    T: Send + 'static,
    F: Fn(Arc<LiveChange>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Option<T>>> + Send,
{
    let receiver = ctx.data_unchecked::<Live>().changes();
    futures_util::stream::unfold(Some((receiver, keep)), |state| async move {
        let (mut receiver, keep) = state?;
        loop {
            match receiver.recv().await {
                Ok(row) => match keep(row).await {
                    Ok(Some(item)) => return Some((Ok(item), Some((receiver, keep)))),
                    Ok(None) => {}
                    Err(error) => return Some((Err(error), Some((receiver, keep)))),
                },
                Err(RecvError::Lagged(missed)) => {
                    let error = AppError::Lagged(missed);
                    return Some((Err(error), None));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    })
}

pub struct RecordChanged(Arc<LiveChange>);

/// A record created, updated or deleted.
#[Object]
impl RecordChanged {
    /// Created, updated or deleted.
    async fn action(&self) -> Option<Action> {
        self.0.action()
    }
    /// The record's type, such as `City`.
    async fn record_type(&self) -> &str {
        &self.0.record_type
    }
    /// The record's key.
    async fn record_key(&self) -> &str {
        &self.0.record_key
    }
    /// The record as it is now; null once deleted.
    async fn record(&self, ctx: &Context<'_>) -> Result<Option<Node>> {
        Ok(self.0.record(db(ctx)).await?.cloned().map(Node::from))
    }
    /// A consistency token at or after this change's commit (null on
    /// SQLite): sent back in an `x-twinning-consistency` header, a query
    /// reads the change from a replica that has it.
    async fn consistency(&self) -> Option<String> {
        self.0.consistency().map(|lsn| lsn.to_string())
    }
    /// The change itself, with the fields before and after (editors and
    /// admins, as `history`).
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn change(&self) -> Change {
        Change(self.0.row().clone())
    }
}

pub struct PartnershipChanged {
    row: Arc<LiveChange>,
    step: Option<step::Model>,
}

/// A partnership created, updated (a lifecycle step among others) or
/// deleted.
#[Object]
impl PartnershipChanged {
    /// Created, updated or deleted.
    async fn action(&self) -> Option<Action> {
        self.row.action()
    }
    /// The partnership's key.
    async fn partnership_key(&self) -> &str {
        &self.row.record_key
    }
    /// The partnership as it is now; null once deleted.
    async fn partnership(&self, ctx: &Context<'_>) -> Result<Option<Partnership>> {
        Ok(match self.row.record(db(ctx)).await? {
            Some(AnyRow::Partnership(p)) => Some(Partnership(p.clone())),
            _ => None,
        })
    }
    /// The lifecycle step this change recorded, if its status moved.
    async fn status_change(&self) -> Option<StatusChange> {
        self.step.clone().map(StatusChange)
    }
    /// A consistency token at or after this change's commit (null on
    /// SQLite), as `RecordChanged.consistency`.
    async fn consistency(&self) -> Option<String> {
        self.row.consistency().map(|lsn| lsn.to_string())
    }
    /// The change itself (editors and admins).
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn change(&self) -> Change {
        Change(self.row.row().clone())
    }
}

/// The id of the record of `kind` with `key`, or a `BAD_USER_INPUT` error
/// naming the argument.
async fn id_of(db: &Db, kind: Kind, key: &str, argument: &str) -> Result<i32> {
    lookup::find_id_by_key(db, kind, key)
        .await?
        .ok_or_else(|| AppError::bad_input(format!("`{argument}`: nothing has key {key:?}")))
}

#[derive(Default)]
pub struct Subscription;

/// Live updates: committed changes as they happen, over WebSocket.

#[Subscription]
impl Subscription {
    /// Records created, updated or deleted from now on, of the given types
    /// and keys (all when left out; at most 100 keys).
    async fn record_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only records of these types.")] types: Option<Vec<RecordType>>,
        #[graphql(desc = "Only records with these keys.")] keys: Option<Vec<String>>,
    ) -> Result<impl Stream<Item = Result<RecordChanged>> + use<>> {
        if keys.as_ref().is_some_and(|k| k.len() > MAX_KEYS) {
            return Err(AppError::bad_input(format!(
                "`keys` must list at most {MAX_KEYS} keys"
            )));
        }
        let types: Option<Vec<&'static str>> =
            types.map(|t| t.into_iter().map(|t| Kind::from(t).type_name()).collect());
        // With `record` selected, the stream waits for the shared read of
        // the record before it hands the change on. Otherwise every
        // subscriber's execution of the event (its extensions' and fields'
        // futures) would start at once and wait for that read, all of them
        // held together: about 9 kB a subscriber at the peak of a change's
        // fan-out (debug build). Waiting here holds only the stream's state,
        // and each execution then finishes in one go. A failed read is left
        // to the field, which reads again and reports the error as before.
        let record = ctx
            .look_ahead()
            .field("record")
            .exists()
            .then(|| db(ctx).clone());
        Ok(changes(ctx, move |row| {
            let wanted = types
                .as_ref()
                .is_none_or(|t| t.contains(&row.record_type.as_str()))
                && keys.as_ref().is_none_or(|k| k.contains(&row.record_key));
            let record = record.clone();
            async move {
                if !wanted {
                    return Ok(None);
                }
                if let Some(db) = &record {
                    let _ = row.record(db).await;
                }
                Ok(Some(RecordChanged(row)))
            }
        }))
    }

    /// Partnerships created, updated or deleted from now on, with the
    /// lifecycle step when the status moved; only those of `city` if given.
    async fn partnership_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A city's key.")] city: Option<String>,
    ) -> Result<impl Stream<Item = Result<PartnershipChanged>> + use<>> {
        let db = db(ctx).clone();
        let city_id = match &city {
            Some(key) => Some(id_of(&db, Kind::City, key, "city").await?),
            None => None,
        };
        Ok(changes(ctx, move |row| {
            let (db, city) = (db.clone(), city.clone());
            async move {
                if row.record_type != "Partnership" {
                    return Ok(None);
                }
                let stored = match row.record(&db).await? {
                    Some(AnyRow::Partnership(p)) => Some(p.clone()),
                    _ => None,
                };
                let involved = match (city_id, &stored, &city) {
                    (None, _, _) => true,
                    (Some(id), Some(p), _) => p.city_a_id == id || p.city_b_id == id,
                    // Deleted: its cities are in the change's `before`.
                    (Some(_), None, Some(key)) => row.before.as_deref().is_some_and(|before| {
                        serde_json::from_str::<serde_json::Value>(before)
                            .ok()
                            .and_then(|b| b.get("cities").cloned())
                            .and_then(|c| c.as_array().cloned())
                            .is_some_and(|cities| cities.iter().any(|c| c == key.as_str()))
                    }),
                    (Some(_), None, None) => false,
                };
                if !involved {
                    return Ok(None);
                }
                let step = match &stored {
                    Some(p) if changed(&row, "status") => {
                        status_changes::find_newest_recorded(&db, p.id).await?
                    }
                    _ => None,
                };
                Ok(Some(PartnershipChanged { row, step }))
            }
        }))
    }

    /// Items added to a partnership's timeline from now on: visits and
    /// protocols attached to it, and its lifecycle steps.
    async fn timeline_item_added(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The partnership's key.")] partnership: String,
    ) -> Result<impl Stream<Item = Result<TimelineItem>> + use<>> {
        let db = db(ctx).clone();
        let id = id_of(&db, Kind::Partnership, &partnership, "partnership").await?;
        Ok(changes(ctx, move |row| {
            let (db, partnership) = (db.clone(), partnership.clone());
            async move {
                let joined = row.action() == Some(Action::Created) || changed(&row, "partnership");
                Ok(match row.record_type.as_str() {
                    "Visit" | "Protocol" if joined => match row.record(&db).await? {
                        Some(AnyRow::Visit(v)) if v.partnership_id == Some(id) => {
                            Some(TimelineItem::Visit(Visit(v.clone())))
                        }
                        Some(AnyRow::Protocol(p)) if p.partnership_id == Some(id) => {
                            Some(TimelineItem::Protocol(Protocol(p.clone())))
                        }
                        _ => None,
                    },
                    "Partnership" if row.record_key == partnership && changed(&row, "status") => {
                        status_changes::find_newest_recorded(&db, id)
                            .await?
                            .map(|s| TimelineItem::StatusChange(StatusChange(s)))
                    }
                    _ => None,
                })
            }
        }))
    }
}

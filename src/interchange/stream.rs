//! Export in parts: the document [`super::to_json`] writes, byte for byte,
//! sent kind by kind to a channel instead of built whole, so that a large
//! database leaves the server as it is read (`GET /export`, `twinning
//! export`). The caller reads from one snapshot (a transaction) so the
//! parts agree with each other and with the cursor it reports.
//!
//! serde_json writes a document only whole; its pretty printer's indent
//! cannot start deeper than the top. So the frame (`{`, `"version"`, each
//! kind's array) is written here, and each record is pretty-printed alone
//! and indented by the two levels it sits at: a JSON string never holds a
//! raw newline, so indenting every line is exact.

use super::document::{self as doc, FORMAT_VERSION};
use super::export::{Related3, page};
use super::keys::{Keys, Kind};
use super::records::{self, Stored};
use crate::store::{city_names, horizon, lookup};
use sea_orm::{ConnectionTrait, DbErr};
use tokio::sync::mpsc::{self, Receiver, Sender};

/// Records per part sent (and per page read): a part is one write to the
/// client.
const RECORDS_PER_PART: usize = 200;

/// Why a streamed export stopped.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error("{0}")]
    Database(#[from] DbErr),
    /// The receiver went away (the client disconnected).
    #[error("the receiver is gone")]
    Closed,
}

/// A part of the document, or the error that ended it.
pub type Part = Result<String, DbErr>;

/// An export from one snapshot, under way: the data's version (the number
/// of change sets and the last one's id, see
/// [`crate::store::changes::data_version`]), the change set the feed
/// follows on from, and the document's parts.
pub struct Snapshot {
    pub version: (i64, i64),
    settled: i64,
    pub parts: Receiver<Part>,
}

impl Snapshot {
    /// The change feed's cursor at this snapshot: a mirror that imports
    /// the document follows the feed from here. Every change set up to it
    /// is in the document; under concurrent writers one after it may be
    /// too (it committed before the snapshot while one with a smaller id
    /// was still in flight), and applying it again changes nothing.
    pub fn cursor(&self) -> String {
        crate::domain::changes::feed_cursor(self.settled)
    }
}

/// Starts an export from one snapshot (a read-only repeatable-read
/// transaction on PostgreSQL, one read transaction on SQLite), held while
/// a task sends the parts; a database error mid-way is the last part.
/// Reads from `read`, or from `primary` when the replica `read` lacks a
/// change set its cursor must cover.
pub async fn start(primary: &crate::store::Db, read: &crate::store::Db) -> Result<Snapshot, DbErr> {
    let before = horizon::find_horizon(primary).await?;
    let db = horizon::settled_reader(primary, read).await?;
    let txn = crate::store::connection::begin_snapshot(db).await?;
    let version = crate::store::changes::data_version(&txn).await?;
    let settled = match settled(primary, &txn, before, version.1).await {
        Ok(settled) => settled,
        Err(error) => {
            let _ = txn.rollback().await;
            return Err(error);
        }
    };
    // A few parts ahead of the client at most: back-pressure holds the rest.
    let (sender, parts) = mpsc::channel(4);
    tokio::spawn(async move {
        match export_parts(&txn, &sender).await {
            Ok(()) => {}
            Err(StreamError::Closed) => {}
            Err(StreamError::Database(error)) => {
                let _ = sender.send(Err(error)).await;
            }
        }
        // Read-only: nothing to keep, and a failed rollback changes nothing.
        let _ = txn.rollback().await;
    });
    Ok(Snapshot {
        version,
        settled,
        parts,
    })
}

/// The last change set up to which the snapshot `txn` holds every one that
/// commits, its last change set being `last`: every id below the horizon
/// `before`, read before the snapshot, is in it (or rolled back). Above
/// that, ids settled by now (a second horizon) count as far as the first
/// one that committed after the snapshot was taken.
async fn settled(
    primary: &crate::store::Db,
    txn: &impl ConnectionTrait,
    before: i32,
    last: i64,
) -> Result<i64, DbErr> {
    use crate::store::changes::find_change_set_ids_after;
    if last < i64::from(before) {
        return Ok(last);
    }
    let after = horizon::find_horizon(primary).await?;
    let held: std::collections::HashSet<i32> = find_change_set_ids_after(txn, before - 1)
        .await?
        .into_iter()
        .collect();
    let late = find_change_set_ids_after(primary, before - 1)
        .await?
        .into_iter()
        .take_while(|id| *id < after)
        .find(|id| !held.contains(id))
        .unwrap_or(after);
    Ok(last.min(i64::from(late) - 1))
}

/// Sends the whole database as one document, in parts, to `parts`.
pub async fn export_parts(
    db: &impl ConnectionTrait,
    parts: &Sender<Part>,
) -> Result<(), StreamError> {
    let mut keys = Keys::default();
    for kind in Kind::ALL {
        keys.of_mut(kind)
            .insert_all(lookup::find_all_keys(db, kind).await?);
    }
    let names = city_names::find_city_names(db, None).await?;
    let histories = records::stored_histories(db, Kind::Partnership, None).await?;
    let related = (&keys, &names, &histories);
    send(parts, format!("{{\n  \"version\": {FORMAT_VERSION},")).await?;
    kind::<doc::Source>(db, related, "sources", parts, false).await?;
    kind::<doc::Topic>(db, related, "topics", parts, false).await?;
    kind::<doc::City>(db, related, "cities", parts, false).await?;
    kind::<doc::Organization>(db, related, "organizations", parts, false).await?;
    kind::<doc::Partnership>(db, related, "partnerships", parts, false).await?;
    kind::<doc::Event>(db, related, "events", parts, false).await?;
    kind::<doc::Visit>(db, related, "visits", parts, false).await?;
    kind::<doc::Protocol>(db, related, "protocols", parts, true).await?;
    send(parts, "\n}\n".to_owned()).await
}

async fn send(parts: &Sender<Part>, part: String) -> Result<(), StreamError> {
    parts.send(Ok(part)).await.map_err(|_| StreamError::Closed)
}

/// One kind's array, as `"name": [ … ]` with the comma that follows it
/// unless it is the `last`. Read a page of records at a time, in the
/// document's order, so that a kind is never held whole.
async fn kind<R: Stored>(
    db: &impl ConnectionTrait,
    related: Related3<'_>,
    name: &str,
    parts: &Sender<Part>,
    last: bool,
) -> Result<(), StreamError> {
    let keys = related.0.of(R::KIND).sorted_keys();
    let comma = if last { "" } else { "," };
    if keys.is_empty() {
        return send(parts, format!("\n  \"{name}\": []{comma}")).await;
    }
    send(parts, format!("\n  \"{name}\": [")).await?;
    for (page_index, keys) in keys.chunks(RECORDS_PER_PART).enumerate() {
        let records: Vec<R> = page(db, related, keys).await?;
        let mut part = String::new();
        for (index, record) in records.iter().enumerate() {
            if page_index > 0 || index > 0 {
                part.push(',');
            }
            let text = serde_json::to_string_pretty(record)
                .unwrap_or_else(|_| unreachable!("a document record always serializes"));
            for line in text.lines() {
                part.push_str("\n    ");
                part.push_str(line);
            }
        }
        send(parts, part).await?;
    }
    send(parts, format!("\n  ]{comma}")).await
}

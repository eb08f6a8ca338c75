//! The data every request carries: its loaders (which keep no cache, so
//! they never serve stale rows) and who is asking.

use super::Client;
use super::batches;
use crate::graphql::loader;
use crate::store::Db;
use async_graphql::Data;
use async_graphql::dataloader::DataLoader;

/// How long a WebSocket operation's loader waits for more keys before it
/// runs its batch, unless configured (`--batch-delay-ms`); HTTP requests
/// need no delay (see [`batches`]). Long enough that every sibling field of
/// a level has registered its keys, so each level stays one statement, and
/// short next to a statement's own time. A busy machine can stall a thread
/// longer and split a level in two; a longer delay trades latency for
/// certainty.
pub const DEFAULT_BATCH_DELAY_MS: u64 = 5;

/// How a request's loaders run their batches.
#[derive(Clone)]
pub enum Batching {
    /// In the request's own task, as soon as it waits (HTTP requests, which
    /// [`super::Api::execute`] drives).
    InRequest(batches::Batches),
    /// In tasks of their own after collecting keys this long (WebSocket
    /// operations, which async-graphql drives).
    Timed(std::time::Duration),
}

impl Batching {
    /// A request's loader.
    pub(crate) fn loader<T: Send + Sync + 'static>(&self, loader: T) -> DataLoader<T> {
        match self {
            Batching::InRequest(batches) => {
                DataLoader::new(loader, batches.spawner()).delay(std::time::Duration::ZERO)
            }
            Batching::Timed(delay) => {
                // A batch runs in a task of its own; its statements still
                // count for the request.
                let spawn = |batch| {
                    let batch = crate::metrics::for_this_request(batch);
                    tokio::spawn(tracing::Instrument::in_current_span(batch))
                };
                DataLoader::new(loader, spawn).delay(*delay)
            }
        }
    }
}

/// Adds the loaders of each record type (rows by id or key, nested pages,
/// nested counts) and the
/// special ones to `data`.
macro_rules! add_loaders {
    ($data:expr, $db:expr, $batching:expr, [$($model:ty),+]) => {
        $(
            $data.insert($batching.loader(loader::Rows::<$model>::new($db.clone())));
            $data.insert($batching.loader(loader::Nested::<$model>::new($db.clone())));
            $data.insert($batching.loader(loader::Counts::<$model>::new($db.clone())));
        )+
        $data.insert($batching.loader(loader::CityNames::new($db.clone())));
        $data.insert($batching.loader(loader::Parties::new($db.clone())));
    };
}

/// The loaders of one request (or one WebSocket connection: they keep no
/// cache, so they never serve stale rows) and who is asking.
pub(crate) fn request_data(
    db: &Db,
    batching: &Batching,
    principal: crate::domain::access::Principal,
    client: Client,
) -> Data {
    let mut data = Data::default();
    data.insert(principal);
    data.insert(client);
    add_loaders!(
        data,
        db,
        batching,
        [
            entity::city::Model,
            entity::partnership::Model,
            entity::visit::Model,
            entity::protocol::Model,
            entity::event::Model,
            entity::topic::Model,
            entity::organization::Model,
            entity::source::Model,
            entity::partnership_status_change::Model,
            crate::store::changes::ChangeRow
        ]
    );
    data
}

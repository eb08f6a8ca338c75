//! The data every request carries: its loaders (which keep no cache, so
//! they never serve stale rows) and who is asking.

use super::Client;
use super::batches;
use crate::graphql::loader;
use crate::store::Db;
use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Data};
use entity::city;
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

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

/// A request's loaders (or a WebSocket connection's), each made when a
/// resolver first asks for it. A connection keeps its data for as long as
/// it is open, and a subscription mostly loads nothing through a loader:
/// made up front, the 32 loaders and their entries in the data held about
/// 6.7 kB a connection (heaptrack, debug build), 67 MB at 10,000
/// subscribers.
pub(crate) struct Loaders {
    db: Db,
    batching: Batching,
    /// The loaders made so far, by type: a request uses a few of the 32, so
    /// a list searched in order.
    made: Mutex<Vec<(TypeId, Arc<dyn Any + Send + Sync>)>>,
}

impl Loaders {
    /// The request's loader of type `T`.
    fn get<T: loader::FromDb>(&self) -> Arc<DataLoader<T>> {
        let id = TypeId::of::<T>();
        let mut made = self.made.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(found) = made
            .iter()
            .find(|(made, _)| *made == id)
            .and_then(|(_, loader)| loader.clone().downcast::<DataLoader<T>>().ok())
        {
            return found;
        }
        let loader = Arc::new(self.batching.loader(T::from_db(self.db.clone())));
        made.push((id, loader.clone()));
        loader
    }
}

/// The request's loader of type `T`.
pub(crate) fn loader<T: loader::FromDb>(ctx: &Context<'_>) -> Arc<DataLoader<T>> {
    ctx.data_unchecked::<Loaders>().get()
}

/// The cities that a query's pages read in their own statements, by id,
/// for the fields that show them (`Partnership.cities`, `Visit.fromCity`,
/// …) to take instead of loading them again. Only a query run over HTTP
/// has them: it writes nothing and its data ends with it, so a city kept
/// here is as fresh as one its field would load. A WebSocket connection's
/// data outlives its operations, and a mutation's fields may change a city
/// after a page read it.
#[derive(Default)]
pub(crate) struct JoinedCities(Mutex<HashMap<i32, city::Model>>);

impl JoinedCities {
    /// Keeps `cities` for the rest of the query.
    pub(crate) fn keep(&self, cities: Vec<city::Model>) {
        if cities.is_empty() {
            return;
        }
        let mut kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        kept.extend(cities.into_iter().map(|city| (city.id, city)));
    }

    /// The city with `id`, if a page read it.
    pub(crate) fn get(&self, id: i32) -> Option<city::Model> {
        let kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        kept.get(&id).cloned()
    }
}

/// The query's [`JoinedCities`], if it keeps them.
pub(crate) fn joined_cities<'a>(ctx: &Context<'a>) -> Option<&'a JoinedCities> {
    ctx.data_opt::<JoinedCities>()
}

/// The data of one request (or one WebSocket connection: its loaders keep
/// no cache, so they never serve stale rows): who is asking and the
/// loaders.
pub(crate) fn request_data(
    db: &Db,
    batching: &Batching,
    principal: crate::domain::access::Principal,
    client: Client,
) -> Data {
    let mut data = Data::default();
    data.insert(principal);
    data.insert(client);
    data.insert(Loaders {
        db: db.clone(),
        batching: batching.clone(),
        made: Mutex::new(Vec::new()),
    });
    data
}

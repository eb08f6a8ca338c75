//! DataLoaders: every related record, every nested page and every nested
//! count is fetched in one statement per batch of parents (see
//! [`crate::store::nested`]), never one statement per parent. The loaders
//! only group the keys; the store runs the statements.

use crate::error::AppError;
use crate::store::Db;
use crate::store::Record;
use crate::store::filters::Filter;
use crate::store::nested::{self, PageRequest};
use crate::store::pages::PageRows;
use crate::store::relations::Relation;
use crate::store::{batched, city_names};
use async_graphql::dataloader::Loader;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::sync::Arc;
use tracing::Instrument;

/// One DataLoader batch's span, in the operation's: which loader, how many
/// keys. At DEBUG, off unless traces are exported.
fn batch_span<L>(keys: usize) -> tracing::Span {
    tracing::debug_span!(
        "graphql.loader_batch",
        graphql.loader = std::any::type_name::<L>(),
        graphql.loader.keys = i64::try_from(keys).unwrap_or(i64::MAX),
    )
}

/// A loader made on its first use in a request, from the request's database
/// ([`crate::graphql::pipeline::request_data::Loaders`]).
pub trait FromDb: Send + Sync + 'static {
    fn from_db(db: Db) -> Self;
}

/// Records of one table by id or key.
pub struct Rows<M> {
    db: Db,
    _model: PhantomData<fn() -> M>,
}

impl<M: Record> FromDb for Rows<M> {
    fn from_db(db: Db) -> Self {
        Self {
            db,
            _model: PhantomData,
        }
    }
}

/// A record's key, as a loader key distinct from its id.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Key(pub String);

impl<M: Record> Loader<i32> for Rows<M> {
    type Value = M;
    type Error = AppError;

    async fn load(&self, ids: &[i32]) -> Result<HashMap<i32, M>, AppError> {
        async { Ok(batched::by_ids(&self.db, ids).await?) }
            .instrument(batch_span::<Self>(ids.len()))
            .await
    }
}

impl<M: Record> Loader<Key> for Rows<M> {
    type Value = M;
    type Error = AppError;

    async fn load(&self, keys: &[Key]) -> Result<HashMap<Key, M>, AppError> {
        async {
            let keys: Vec<String> = keys.iter().map(|k| k.0.clone()).collect();
            Ok(batched::by_keys(&self.db, &keys)
                .await?
                .into_iter()
                .map(|(key, row)| (Key(key), row))
                .collect())
        }
        .instrument(batch_span::<Self>(keys.len()))
        .await
    }
}

/// Groups keys by the question they ask, so each distinct question runs
/// once for all its parents.
fn by_request<K: Clone, R: PartialEq>(
    keys: &[K],
    request: impl Fn(&K) -> (&Arc<R>, i32),
) -> Vec<(Arc<R>, Vec<i32>, Vec<K>)> {
    let mut groups: Vec<(Arc<R>, Vec<i32>, Vec<K>)> = Vec::new();
    for key in keys {
        let (asked, parent) = request(key);
        match groups
            .iter_mut()
            .find(|(r, _, _)| Arc::ptr_eq(r, asked) || **r == **asked)
        {
            Some((_, parents, group)) => {
                parents.push(parent);
                group.push(key.clone());
            }
            None => groups.push((asked.clone(), vec![parent], vec![key.clone()])),
        }
    }
    groups
}

/// One parent's page of a nested list.
pub struct NestedKey<M: 'static> {
    pub parent: i32,
    pub request: Arc<PageRequest<M>>,
}

impl<M> Clone for NestedKey<M> {
    fn clone(&self) -> Self {
        Self {
            parent: self.parent,
            request: self.request.clone(),
        }
    }
}

impl<M> PartialEq for NestedKey<M> {
    fn eq(&self, other: &Self) -> bool {
        self.parent == other.parent
            && (Arc::ptr_eq(&self.request, &other.request) || *self.request == *other.request)
    }
}
impl<M> Eq for NestedKey<M> {}
impl<M> Hash for NestedKey<M> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.parent.hash(state);
        self.request.shape_hash().hash(state);
    }
}

/// Nested pages of records of one table.
pub struct Nested<M> {
    db: Db,
    _model: PhantomData<fn() -> M>,
}

impl<M: Record> FromDb for Nested<M> {
    fn from_db(db: Db) -> Self {
        Self {
            db,
            _model: PhantomData,
        }
    }
}

/// A parent's page, shared: the DataLoader clones a value for each parent
/// that asked, and an `Arc` makes that clone free (the one parent takes the
/// rows out of it without copying them).
pub type Page<M> = Arc<PageRows<M>>;

impl<M: Record> Loader<NestedKey<M>> for Nested<M> {
    type Value = Page<M>;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[NestedKey<M>],
    ) -> Result<HashMap<NestedKey<M>, Page<M>>, AppError> {
        async {
            let mut pages = HashMap::with_capacity(keys.len());
            for (request, parents, group) in by_request(keys, |k| (&k.request, k.parent)) {
                let mut by_parent = nested::pages(&self.db, &request, &parents).await?;
                for key in group {
                    let page = by_parent.remove(&key.parent).unwrap_or_default();
                    pages.insert(key, Arc::new(page));
                }
            }
            Ok(pages)
        }
        .instrument(batch_span::<Self>(keys.len()))
        .await
    }
}

/// What a nested count asks: which children of a relation.
pub struct CountRequest<M> {
    pub relation: &'static Relation,
    pub filter: Filter<M>,
}

impl<M> PartialEq for CountRequest<M> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.relation, other.relation) && self.filter == other.filter
    }
}

/// The size of one parent's nested list, counted for all parents at once.
pub struct CountKey<M: 'static> {
    pub parent: i32,
    pub request: Arc<CountRequest<M>>,
}

impl<M> Clone for CountKey<M> {
    fn clone(&self) -> Self {
        Self {
            parent: self.parent,
            request: self.request.clone(),
        }
    }
}

impl<M> PartialEq for CountKey<M> {
    fn eq(&self, other: &Self) -> bool {
        self.parent == other.parent
            && (Arc::ptr_eq(&self.request, &other.request) || *self.request == *other.request)
    }
}
impl<M> Eq for CountKey<M> {}
impl<M> Hash for CountKey<M> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.parent.hash(state);
        std::ptr::from_ref(self.request.relation).hash(state);
    }
}

/// Counts of nested lists of records of one table.
pub struct Counts<M> {
    db: Db,
    _model: PhantomData<fn() -> M>,
}

impl<M: Record> FromDb for Counts<M> {
    fn from_db(db: Db) -> Self {
        Self {
            db,
            _model: PhantomData,
        }
    }
}

impl<M: Record> Loader<CountKey<M>> for Counts<M> {
    type Value = u64;
    type Error = AppError;

    async fn load(&self, keys: &[CountKey<M>]) -> Result<HashMap<CountKey<M>, u64>, AppError> {
        async {
            let mut counts = HashMap::with_capacity(keys.len());
            for (request, parents, group) in by_request(keys, |k| (&k.request, k.parent)) {
                let found =
                    nested::counts(&self.db, request.relation, &request.filter, &parents).await?;
                for key in group {
                    let count = found.get(&key.parent).copied().unwrap_or(0);
                    counts.insert(key, count);
                }
            }
            Ok(counts)
        }
        .instrument(batch_span::<Self>(keys.len()))
        .await
    }
}

/// The translations of a city, by city id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NamesOfCity(pub i32);

/// City translations.
pub struct CityNames {
    db: Db,
}

impl FromDb for CityNames {
    fn from_db(db: Db) -> Self {
        Self { db }
    }
}

impl Loader<NamesOfCity> for CityNames {
    /// Names by language tag.
    type Value = BTreeMap<String, String>;
    type Error = AppError;

    async fn load(
        &self,
        ids: &[NamesOfCity],
    ) -> Result<HashMap<NamesOfCity, BTreeMap<String, String>>, AppError> {
        async {
            let ids: Vec<i32> = ids.iter().map(|id| id.0).collect();
            Ok(city_names::find_city_names(&self.db, Some(&ids))
                .await?
                .into_iter()
                .map(|(city, names)| (NamesOfCity(city), names))
                .collect())
        }
        .instrument(batch_span::<Self>(ids.len()))
        .await
    }
}

/// The parties of a protocol, by protocol id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PartiesOf(pub i32);

/// Protocol parties, in signing order.
pub struct Parties {
    db: Db,
}

impl FromDb for Parties {
    fn from_db(db: Db) -> Self {
        Self { db }
    }
}

impl Loader<PartiesOf> for Parties {
    type Value = Vec<entity::city::Model>;
    type Error = AppError;

    async fn load(
        &self,
        ids: &[PartiesOf],
    ) -> Result<HashMap<PartiesOf, Vec<entity::city::Model>>, AppError> {
        async {
            let ids: Vec<i32> = ids.iter().map(|id| id.0).collect();
            Ok(batched::parties(&self.db, &ids)
                .await?
                .into_iter()
                .map(|(protocol, cities)| (PartiesOf(protocol), cities))
                .collect())
        }
        .instrument(batch_span::<Self>(ids.len()))
        .await
    }
}

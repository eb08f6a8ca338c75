//! What search reads of each kind of record: its naming and describing
//! fields, by their GraphQL names. The index stores their words; a search
//! result's `textMatches` are cut from the same text.

use super::batched::find_by_ids;
use super::city_names::find_city_names;
use crate::domain::kinds::Kind;
use crate::domain::search_text::words;
use entity::{city, event, organization, partnership, protocol, source, topic, visit};
use sea_orm::{ConnectionTrait, DbErr};
use std::collections::{BTreeMap, HashMap};

/// A field search reads: its name in the record's GraphQL type, and its
/// tier: 0 for what names the record (a name, a title, a visit's
/// purpose), 1 for what describes it. A word found in a lower tier ranks
/// higher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub tier: i16,
}

const fn naming(name: &'static str) -> Field {
    Field { name, tier: 0 }
}

const fn describing(name: &'static str) -> Field {
    Field { name, tier: 1 }
}

/// What search reads of one record: its id, key, and fields with their
/// text, in the order a client is shown matches (naming fields first).
pub struct Indexed {
    pub id: i32,
    pub key: String,
    pub fields: Vec<(Field, String)>,
}

impl Indexed {
    fn new(id: i32, key: String, fields: Vec<(Field, Option<String>)>) -> Self {
        let fields = fields
            .into_iter()
            .filter_map(|(field, text)| text.filter(|t| !t.is_empty()).map(|t| (field, t)))
            .collect();
        Indexed { id, key, fields }
    }

    /// Each distinct word form with the lowest tier it occurs in.
    pub(super) fn terms(&self) -> BTreeMap<String, i16> {
        let mut terms = BTreeMap::new();
        for (field, text) in &self.fields {
            for word in words(text) {
                let tier = terms.entry(word.form).or_insert(field.tier);
                *tier = Ord::min(*tier, field.tier);
            }
        }
        terms
    }
}

/// What search reads of each of the given records of one kind.
pub async fn texts(
    db: &impl ConnectionTrait,
    kind: Kind,
    ids: &[i32],
) -> Result<Vec<Indexed>, DbErr> {
    Ok(match kind {
        Kind::City => {
            let names = find_city_names(db, Some(ids)).await?;
            find_by_ids::<city::Model>(db, ids)
                .await?
                .into_iter()
                .map(|c| {
                    let translations = names.get(&c.id).map(join_values);
                    Indexed::new(
                        c.id,
                        c.key,
                        vec![
                            (naming("name"), Some(c.name)),
                            (naming("nativeName"), c.native_name),
                            (naming("translations"), translations),
                            (describing("region"), c.region),
                            (describing("countryCode"), Some(c.country_code)),
                        ],
                    )
                })
                .collect()
        }
        Kind::Partnership => partnership_texts(db, ids).await?,
        Kind::Visit => from_rows::<visit::Model>(db, ids).await?,
        Kind::Protocol => from_rows::<protocol::Model>(db, ids).await?,
        Kind::Event => from_rows::<event::Model>(db, ids).await?,
        Kind::Topic => from_rows::<topic::Model>(db, ids).await?,
        Kind::Organization => from_rows::<organization::Model>(db, ids).await?,
        Kind::Source => from_rows::<source::Model>(db, ids).await?,
    })
}

/// What search reads of the given records of a kind whose row holds all
/// of it.
async fn from_rows<M: super::Record + RowTexts>(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<Vec<Indexed>, DbErr> {
    Ok(find_by_ids::<M>(db, ids)
        .await?
        .into_iter()
        .filter_map(RowTexts::texts)
        .collect())
}

/// What search reads of a record, from its row alone: so that a record
/// just written is indexed without reading it back. `None` for the kinds
/// whose words are partly in other tables (a city's translations, a
/// partnership's city names).
pub trait RowTexts: Sized {
    fn texts(self) -> Option<Indexed> {
        None
    }
}

impl RowTexts for city::Model {}

impl RowTexts for partnership::Model {}

/// `RowTexts` of a kind whose row holds every field search reads: the row
/// (bound to the given name) and each field with its text.
macro_rules! row_texts {
    ($model:ty, |$row:ident| [$($field:expr),+ $(,)?]) => {
        impl RowTexts for $model {
            fn texts(self) -> Option<Indexed> {
                let $row = self;
                Some(Indexed::new($row.id, $row.key, vec![$($field),+]))
            }
        }
    };
}

row_texts!(visit::Model, |v| [
    (naming("purpose"), v.purpose),
    (describing("summary"), v.summary),
    (describing("headOfDelegation"), v.head_of_delegation),
]);
row_texts!(protocol::Model, |p| [
    (naming("title"), Some(p.title)),
    (describing("summary"), p.summary),
]);
row_texts!(event::Model, |e| [
    (naming("name"), Some(e.name)),
    (describing("description"), e.description),
]);
row_texts!(topic::Model, |t| [
    (naming("name"), Some(t.name)),
    (describing("description"), t.description),
]);
row_texts!(organization::Model, |o| [(naming("name"), Some(o.name))]);
row_texts!(source::Model, |s| [
    (naming("title"), Some(s.title)),
    (describing("publisher"), s.publisher),
]);

/// The present parts, separated by spaces.
fn join(parts: &[Option<&str>]) -> String {
    parts
        .iter()
        .flatten()
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A city's translations, separated by spaces.
fn join_values(names: &BTreeMap<String, String>) -> String {
    names
        .values()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

/// What search reads of partnerships: their cities' names (English and
/// native), and their notes.
async fn partnership_texts(db: &impl ConnectionTrait, ids: &[i32]) -> Result<Vec<Indexed>, DbErr> {
    let rows = find_by_ids::<partnership::Model>(db, ids).await?;
    let city_ids: Vec<i32> = rows
        .iter()
        .flat_map(|p| [p.city_a_id, p.city_b_id])
        .collect();
    let cities: HashMap<i32, city::Model> = find_by_ids::<city::Model>(db, &city_ids)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let city_name = |id: i32| {
        cities
            .get(&id)
            .map(|c| join(&[Some(&c.name), c.native_name.as_deref()]))
            .unwrap_or_default()
    };
    Ok(rows
        .into_iter()
        .map(|p| {
            let names = format!("{} – {}", city_name(p.city_a_id), city_name(p.city_b_id));
            Indexed::new(
                p.id,
                p.key,
                vec![
                    (naming("cities"), Some(names)),
                    (describing("notes"), p.notes),
                ],
            )
        })
        .collect())
}

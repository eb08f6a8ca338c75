//! Each kind of record, both ways: a document record into a row to write,
//! and a stored row (with its links) back into a document record. Export
//! uses the second; import uses both, to tell changed records from unchanged.
//! The statements that read and write the rows are in `store`. Over 400
//! lines: one impl per kind, kept side by side so that they stay alike.

use super::document as doc;
use super::keys::{Keys, Kind};
use crate::domain::partial_date::PartialDate;
use crate::store::city_names::CityNames;
use crate::store::links::{self, LinkMaps, LinkSpec};
use crate::store::search_texts::RowTexts;
use crate::store::status_changes;
use entity::{
    city, event, organization, partnership, partnership_status_change, protocol, source, topic,
    visit,
};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveModelTrait, EntityTrait};
use std::collections::HashMap;

/// What a stored row needs besides itself to become a document record.
pub struct Related<'a> {
    pub keys: &'a Keys,
    /// Link maps by link table name.
    pub links: &'a LinkMaps,
    /// City translations by city id.
    pub names: &'a CityNames,
    /// Status steps (with their sources) by partnership id, in history order.
    pub histories: &'a Histories,
}

/// Status steps and the ids of the sources each cites, by partnership id.
pub type Histories = HashMap<i32, Vec<(partnership_status_change::Model, Vec<i32>)>>;

/// The stored histories of the given records (or of all) when they are
/// partnerships; none for other kinds.
pub async fn stored_histories(
    db: &impl sea_orm::ConnectionTrait,
    kind: Kind,
    ids: Option<&[i32]>,
) -> Result<Histories, sea_orm::DbErr> {
    if kind != Kind::Partnership {
        return Ok(Histories::new());
    }
    Ok(histories(status_changes::find_histories(db, ids).await?))
}

/// Groups steps read in history order by partnership.
fn histories(steps: Vec<(partnership_status_change::Model, Vec<i32>)>) -> Histories {
    let mut by_partnership = Histories::new();
    for (step, sources) in steps {
        by_partnership
            .entry(step.partnership_id)
            .or_default()
            .push((step, sources));
    }
    by_partnership
}

impl Related<'_> {
    /// The keys a record links to through one link table: in stored order
    /// for ordered lists, sorted otherwise.
    fn list(&self, spec: &LinkSpec, owner: i32) -> Vec<String> {
        let targets = self.links.get(spec.table).and_then(|map| map.get(&owner));
        let map = self.keys.of(spec.target);
        let mut keys: Vec<String> = targets
            .into_iter()
            .flatten()
            .map(|id| map.key(*id).into_owned())
            .collect();
        if !spec.ordered {
            keys.sort_unstable();
        }
        keys
    }

    fn key(&self, kind: Kind, id: i32) -> String {
        self.keys.of(kind).key(id).into_owned()
    }

    fn optional_key(&self, kind: Kind, id: Option<i32>) -> Option<String> {
        id.map(|id| self.key(kind, id))
    }

    /// A partnership's stored history as the format writes it.
    fn status_history(&self, partnership_id: i32) -> Vec<doc::StatusStep> {
        let steps = self.histories.get(&partnership_id);
        steps
            .into_iter()
            .flatten()
            .map(|(step, sources)| {
                let mut sources: Vec<String> = sources
                    .iter()
                    .map(|id| self.key(Kind::Source, *id))
                    .collect();
                sources.sort_unstable();
                doc::StatusStep {
                    status: step.status.into(),
                    on: stored_date(step.occurred_on.as_deref()),
                    protocol: self.optional_key(Kind::Protocol, step.protocol_id),
                    city: self.optional_key(Kind::City, step.city_id),
                    note: step.note.clone(),
                    sources,
                }
            })
            .collect()
    }
}

/// A kind of document record and the table row it is stored as.
pub trait Stored: Clone + PartialEq + Send + Sync + serde::Serialize {
    type Entity: EntityTrait<
            Model: Send + Sync + RowTexts,
            ActiveModel: ActiveModelTrait<Entity = Self::Entity> + Send,
        >;
    const KIND: Kind;
    /// Its list fields stored in link tables, in the order of [`Stored::link_keys`].
    const LINKS: &'static [&'static LinkSpec];

    fn key(&self) -> &str;
    /// The keys of each list in [`Stored::LINKS`].
    fn link_keys(&self) -> Vec<&[String]>;
    /// The same lists, to change.
    fn link_lists_mut(&mut self) -> Vec<&mut Vec<String>>;
    /// The array of a document that holds this kind.
    fn array_mut(document: &mut doc::Document) -> &mut Vec<Self>;
    /// The row to write, with `id` and timestamps not set.
    fn to_row(&self, keys: &Keys) -> <Self::Entity as EntityTrait>::ActiveModel;
    /// The record a stored row stands for.
    fn from_row(row: &<Self::Entity as EntityTrait>::Model, related: &Related<'_>) -> Self;
    fn row_id(row: &<Self::Entity as EntityTrait>::Model) -> i32;
    fn row_key(row: &<Self::Entity as EntityTrait>::Model) -> &str;
    /// The records a row points at through its own columns (not link
    /// tables), so that one record can be read without every key.
    fn references(row: &<Self::Entity as EntityTrait>::Model) -> Vec<(Kind, Option<i32>)>;

    /// The record as export would write it: unordered lists sorted.
    fn normalized(&self) -> Self {
        let mut record = self.clone();
        record.sort_lists();
        record
    }
    fn sort_lists(&mut self);
    /// Leaves out of a stored record what a given record does not speak
    /// of, before the two are compared.
    fn compared_with(_stored: &mut Self, _given: &Self) {}
}

/// The three stored columns of a partial date.
type DateColumns<T> = (T, sea_orm::prelude::Date, sea_orm::prelude::Date);

fn date_columns(date: PartialDate) -> DateColumns<String> {
    (date.to_string(), date.start(), date.end())
}

fn optional_date_columns(
    date: Option<PartialDate>,
) -> (
    Option<String>,
    Option<sea_orm::prelude::Date>,
    Option<sea_orm::prelude::Date>,
) {
    match date {
        Some(date) => (Some(date.to_string()), Some(date.start()), Some(date.end())),
        None => (None, None, None),
    }
}

/// A stored date back as written. Stored text was validated on the way in.
fn stored_date(text: Option<&str>) -> Option<PartialDate> {
    text.and_then(|text| text.parse().ok())
}

fn sort(lists: &mut [&mut Vec<String>]) {
    for list in lists {
        list.sort_unstable();
    }
}

impl Stored for doc::Source {
    type Entity = source::Entity;
    const KIND: Kind = Kind::Source;
    const LINKS: &'static [&'static LinkSpec] = &[];

    fn key(&self) -> &str {
        &self.key
    }
    fn link_keys(&self) -> Vec<&[String]> {
        Vec::new()
    }
    fn link_lists_mut(&mut self) -> Vec<&mut Vec<String>> {
        Vec::new()
    }
    fn array_mut(document: &mut doc::Document) -> &mut Vec<Self> {
        &mut document.sources
    }
    fn to_row(&self, _: &Keys) -> source::ActiveModel {
        let (published_on, published_on_start, published_on_end) =
            optional_date_columns(self.published_on);
        source::ActiveModel {
            id: NotSet,
            key: Set(self.key.clone()),
            title: Set(self.title.clone()),
            url: Set(self.url.clone()),
            publisher: Set(self.publisher.clone()),
            published_on: Set(published_on),
            published_on_start: Set(published_on_start),
            published_on_end: Set(published_on_end),
            created_at: NotSet,
            updated_at: NotSet,
        }
    }
    fn from_row(row: &source::Model, _: &Related<'_>) -> Self {
        Self {
            key: row.key.clone(),
            title: row.title.clone(),
            url: row.url.clone(),
            publisher: row.publisher.clone(),
            published_on: stored_date(row.published_on.as_deref()),
        }
    }
    fn row_id(row: &source::Model) -> i32 {
        row.id
    }
    fn row_key(row: &source::Model) -> &str {
        &row.key
    }
    fn references(_: &source::Model) -> Vec<(Kind, Option<i32>)> {
        Vec::new()
    }
    fn sort_lists(&mut self) {}
}

impl Stored for doc::Topic {
    type Entity = topic::Entity;
    const KIND: Kind = Kind::Topic;
    const LINKS: &'static [&'static LinkSpec] = &[];

    fn key(&self) -> &str {
        &self.key
    }
    fn link_keys(&self) -> Vec<&[String]> {
        Vec::new()
    }
    fn link_lists_mut(&mut self) -> Vec<&mut Vec<String>> {
        Vec::new()
    }
    fn array_mut(document: &mut doc::Document) -> &mut Vec<Self> {
        &mut document.topics
    }
    fn to_row(&self, keys: &Keys) -> topic::ActiveModel {
        topic::ActiveModel {
            id: NotSet,
            key: Set(self.key.clone()),
            name: Set(self.name.clone()),
            // A parent new in this document may not have an id yet; import
            // sets the remaining parents once every topic is written.
            parent_id: Set(self
                .parent
                .as_deref()
                .and_then(|parent| keys.of(Kind::Topic).id(parent))),
            description: Set(self.description.clone()),
            created_at: NotSet,
            updated_at: NotSet,
        }
    }
    fn from_row(row: &topic::Model, related: &Related<'_>) -> Self {
        Self {
            key: row.key.clone(),
            name: row.name.clone(),
            parent: related.optional_key(Kind::Topic, row.parent_id),
            description: row.description.clone(),
        }
    }
    fn row_id(row: &topic::Model) -> i32 {
        row.id
    }
    fn row_key(row: &topic::Model) -> &str {
        &row.key
    }
    fn references(row: &topic::Model) -> Vec<(Kind, Option<i32>)> {
        vec![(Kind::Topic, row.parent_id)]
    }
    fn sort_lists(&mut self) {}
}

impl Stored for doc::City {
    type Entity = city::Entity;
    const KIND: Kind = Kind::City;
    const LINKS: &'static [&'static LinkSpec] = &[&links::CITY_SOURCES];

    fn key(&self) -> &str {
        &self.key
    }
    fn link_keys(&self) -> Vec<&[String]> {
        vec![&self.sources]
    }
    fn link_lists_mut(&mut self) -> Vec<&mut Vec<String>> {
        vec![&mut self.sources]
    }
    fn array_mut(document: &mut doc::Document) -> &mut Vec<Self> {
        &mut document.cities
    }
    fn to_row(&self, _: &Keys) -> city::ActiveModel {
        city::ActiveModel {
            id: NotSet,
            key: Set(self.key.clone()),
            name: Set(self.name.clone()),
            native_name: Set(self.native_name.clone()),
            country_code: Set(self.country_code.clone()),
            region: Set(self.region.clone()),
            population: Set(self.population),
            latitude: Set(self.latitude),
            longitude: Set(self.longitude),
            timezone: Set(self.timezone.clone()),
            wikidata_id: Set(self.wikidata_id.clone()),
            created_at: NotSet,
            updated_at: NotSet,
        }
    }
    fn from_row(row: &city::Model, related: &Related<'_>) -> Self {
        Self {
            key: row.key.clone(),
            name: row.name.clone(),
            native_name: row.native_name.clone(),
            names: related.names.get(&row.id).cloned().unwrap_or_default(),
            country_code: row.country_code.clone(),
            region: row.region.clone(),
            population: row.population,
            latitude: row.latitude,
            longitude: row.longitude,
            timezone: row.timezone.clone(),
            wikidata_id: row.wikidata_id.clone(),
            sources: related.list(&links::CITY_SOURCES, row.id),
        }
    }
    fn row_id(row: &city::Model) -> i32 {
        row.id
    }
    fn row_key(row: &city::Model) -> &str {
        &row.key
    }
    fn references(_: &city::Model) -> Vec<(Kind, Option<i32>)> {
        Vec::new()
    }
    fn sort_lists(&mut self) {
        sort(&mut [&mut self.sources]);
    }
}

impl Stored for doc::Organization {
    type Entity = organization::Entity;
    const KIND: Kind = Kind::Organization;
    const LINKS: &'static [&'static LinkSpec] = &[&links::ORGANIZATION_SOURCES];

    fn key(&self) -> &str {
        &self.key
    }
    fn link_keys(&self) -> Vec<&[String]> {
        vec![&self.sources]
    }
    fn link_lists_mut(&mut self) -> Vec<&mut Vec<String>> {
        vec![&mut self.sources]
    }
    fn array_mut(document: &mut doc::Document) -> &mut Vec<Self> {
        &mut document.organizations
    }
    fn to_row(&self, keys: &Keys) -> organization::ActiveModel {
        organization::ActiveModel {
            id: NotSet,
            key: Set(self.key.clone()),
            name: Set(self.name.clone()),
            kind: Set(self.kind.into()),
            city_id: Set(keys.id(Kind::City, &self.city)),
            created_at: NotSet,
            updated_at: NotSet,
        }
    }
    fn from_row(row: &organization::Model, related: &Related<'_>) -> Self {
        Self {
            key: row.key.clone(),
            name: row.name.clone(),
            kind: row.kind.into(),
            city: related.key(Kind::City, row.city_id),
            sources: related.list(&links::ORGANIZATION_SOURCES, row.id),
        }
    }
    fn row_id(row: &organization::Model) -> i32 {
        row.id
    }
    fn row_key(row: &organization::Model) -> &str {
        &row.key
    }
    fn references(row: &organization::Model) -> Vec<(Kind, Option<i32>)> {
        vec![(Kind::City, Some(row.city_id))]
    }
    fn sort_lists(&mut self) {
        sort(&mut [&mut self.sources]);
    }
}

impl Stored for doc::Partnership {
    type Entity = partnership::Entity;
    const KIND: Kind = Kind::Partnership;
    const LINKS: &'static [&'static LinkSpec] =
        &[&links::PARTNERSHIP_TOPICS, &links::PARTNERSHIP_SOURCES];

    fn key(&self) -> &str {
        &self.key
    }
    fn link_keys(&self) -> Vec<&[String]> {
        vec![&self.topics, &self.sources]
    }
    fn link_lists_mut(&mut self) -> Vec<&mut Vec<String>> {
        vec![&mut self.topics, &mut self.sources]
    }
    fn array_mut(document: &mut doc::Document) -> &mut Vec<Self> {
        &mut document.partnerships
    }
    fn to_row(&self, keys: &Keys) -> partnership::ActiveModel {
        let (proposed_on, proposed_on_start, proposed_on_end) =
            optional_date_columns(self.proposed_on);
        let (established_on, established_on_start, established_on_end) =
            optional_date_columns(self.established_on);
        let (ended_on, ended_on_start, ended_on_end) = optional_date_columns(self.ended_on);
        partnership::ActiveModel {
            id: NotSet,
            key: Set(self.key.clone()),
            city_a_id: Set(keys.id(Kind::City, &self.cities[0])),
            city_b_id: Set(keys.id(Kind::City, &self.cities[1])),
            kind: Set(self.kind.into()),
            status: Set(self.status.into()),
            proposed_on: Set(proposed_on),
            proposed_on_start: Set(proposed_on_start),
            proposed_on_end: Set(proposed_on_end),
            established_on: Set(established_on),
            established_on_start: Set(established_on_start),
            established_on_end: Set(established_on_end),
            ended_on: Set(ended_on),
            ended_on_start: Set(ended_on_start),
            ended_on_end: Set(ended_on_end),
            notes: Set(self.notes.clone()),
            created_at: NotSet,
            updated_at: NotSet,
        }
    }
    fn from_row(row: &partnership::Model, related: &Related<'_>) -> Self {
        Self {
            key: row.key.clone(),
            cities: vec![
                related.key(Kind::City, row.city_a_id),
                related.key(Kind::City, row.city_b_id),
            ],
            kind: row.kind.into(),
            status: row.status.into(),
            proposed_on: stored_date(row.proposed_on.as_deref()),
            established_on: stored_date(row.established_on.as_deref()),
            ended_on: stored_date(row.ended_on.as_deref()),
            status_history: Some(related.status_history(row.id)),
            notes: row.notes.clone(),
            topics: related.list(&links::PARTNERSHIP_TOPICS, row.id),
            sources: related.list(&links::PARTNERSHIP_SOURCES, row.id),
        }
    }
    fn row_id(row: &partnership::Model) -> i32 {
        row.id
    }
    fn row_key(row: &partnership::Model) -> &str {
        &row.key
    }
    fn references(row: &partnership::Model) -> Vec<(Kind, Option<i32>)> {
        vec![
            (Kind::City, Some(row.city_a_id)),
            (Kind::City, Some(row.city_b_id)),
        ]
    }
    fn sort_lists(&mut self) {
        sort(&mut [&mut self.topics, &mut self.sources]);
        for step in self.status_history.iter_mut().flatten() {
            step.sources.sort_unstable();
        }
    }
    fn compared_with(stored: &mut Self, given: &Self) {
        // A record without a history leaves the stored one to derivation.
        if given.status_history.is_none() {
            stored.status_history = None;
        }
    }
}

impl Stored for doc::Event {
    type Entity = event::Entity;
    const KIND: Kind = Kind::Event;
    const LINKS: &'static [&'static LinkSpec] = &[&links::EVENT_TOPICS, &links::EVENT_SOURCES];

    fn key(&self) -> &str {
        &self.key
    }
    fn link_keys(&self) -> Vec<&[String]> {
        vec![&self.topics, &self.sources]
    }
    fn link_lists_mut(&mut self) -> Vec<&mut Vec<String>> {
        vec![&mut self.topics, &mut self.sources]
    }
    fn array_mut(document: &mut doc::Document) -> &mut Vec<Self> {
        &mut document.events
    }
    fn to_row(&self, keys: &Keys) -> event::ActiveModel {
        let (start_date, start_date_start, start_date_end) = date_columns(self.start_date);
        let (end_date, end_date_start, end_date_end) = optional_date_columns(self.end_date);
        event::ActiveModel {
            id: NotSet,
            key: Set(self.key.clone()),
            name: Set(self.name.clone()),
            kind: Set(self.kind.into()),
            host_city_id: Set(keys.id(Kind::City, &self.host_city)),
            start_date: Set(start_date),
            start_date_start: Set(start_date_start),
            start_date_end: Set(start_date_end),
            end_date: Set(end_date),
            end_date_start: Set(end_date_start),
            end_date_end: Set(end_date_end),
            description: Set(self.description.clone()),
            created_at: NotSet,
            updated_at: NotSet,
        }
    }
    fn from_row(row: &event::Model, related: &Related<'_>) -> Self {
        Self {
            key: row.key.clone(),
            name: row.name.clone(),
            kind: row.kind.into(),
            host_city: related.key(Kind::City, row.host_city_id),
            start_date: stored_date(Some(&row.start_date))
                .unwrap_or_else(|| PartialDate::from_day(row.start_date_start)),
            end_date: stored_date(row.end_date.as_deref()),
            description: row.description.clone(),
            topics: related.list(&links::EVENT_TOPICS, row.id),
            sources: related.list(&links::EVENT_SOURCES, row.id),
        }
    }
    fn row_id(row: &event::Model) -> i32 {
        row.id
    }
    fn row_key(row: &event::Model) -> &str {
        &row.key
    }
    fn references(row: &event::Model) -> Vec<(Kind, Option<i32>)> {
        vec![(Kind::City, Some(row.host_city_id))]
    }
    fn sort_lists(&mut self) {
        sort(&mut [&mut self.topics, &mut self.sources]);
    }
}

impl Stored for doc::Visit {
    type Entity = visit::Entity;
    const KIND: Kind = Kind::Visit;
    const LINKS: &'static [&'static LinkSpec] = &[
        &links::VISIT_TOPICS,
        &links::VISIT_EVENTS,
        &links::VISIT_ORGANIZATIONS,
        &links::VISIT_SOURCES,
    ];

    fn key(&self) -> &str {
        &self.key
    }
    fn link_keys(&self) -> Vec<&[String]> {
        vec![
            &self.topics,
            &self.events,
            &self.organizations,
            &self.sources,
        ]
    }
    fn link_lists_mut(&mut self) -> Vec<&mut Vec<String>> {
        vec![
            &mut self.topics,
            &mut self.events,
            &mut self.organizations,
            &mut self.sources,
        ]
    }
    fn array_mut(document: &mut doc::Document) -> &mut Vec<Self> {
        &mut document.visits
    }
    fn to_row(&self, keys: &Keys) -> visit::ActiveModel {
        let (start_date, start_date_start, start_date_end) = date_columns(self.start_date);
        let (end_date, end_date_start, end_date_end) = optional_date_columns(self.end_date);
        visit::ActiveModel {
            id: NotSet,
            key: Set(self.key.clone()),
            from_city_id: Set(keys.id(Kind::City, &self.from_city)),
            to_city_id: Set(keys.id(Kind::City, &self.to_city)),
            start_date: Set(start_date),
            start_date_start: Set(start_date_start),
            start_date_end: Set(start_date_end),
            end_date: Set(end_date),
            end_date_start: Set(end_date_start),
            end_date_end: Set(end_date_end),
            partnership_id: Set(self
                .partnership
                .as_deref()
                .map(|key| keys.id(Kind::Partnership, key))),
            head_of_delegation: Set(self.head_of_delegation.clone()),
            purpose: Set(self.purpose.clone()),
            summary: Set(self.summary.clone()),
            created_at: NotSet,
            updated_at: NotSet,
        }
    }
    fn from_row(row: &visit::Model, related: &Related<'_>) -> Self {
        Self {
            key: row.key.clone(),
            from_city: related.key(Kind::City, row.from_city_id),
            to_city: related.key(Kind::City, row.to_city_id),
            start_date: stored_date(Some(&row.start_date))
                .unwrap_or_else(|| PartialDate::from_day(row.start_date_start)),
            end_date: stored_date(row.end_date.as_deref()),
            partnership: related.optional_key(Kind::Partnership, row.partnership_id),
            head_of_delegation: row.head_of_delegation.clone(),
            purpose: row.purpose.clone(),
            summary: row.summary.clone(),
            topics: related.list(&links::VISIT_TOPICS, row.id),
            events: related.list(&links::VISIT_EVENTS, row.id),
            organizations: related.list(&links::VISIT_ORGANIZATIONS, row.id),
            sources: related.list(&links::VISIT_SOURCES, row.id),
        }
    }
    fn row_id(row: &visit::Model) -> i32 {
        row.id
    }
    fn row_key(row: &visit::Model) -> &str {
        &row.key
    }
    fn references(row: &visit::Model) -> Vec<(Kind, Option<i32>)> {
        vec![
            (Kind::City, Some(row.from_city_id)),
            (Kind::City, Some(row.to_city_id)),
            (Kind::Partnership, row.partnership_id),
        ]
    }
    fn sort_lists(&mut self) {
        sort(&mut [
            &mut self.topics,
            &mut self.events,
            &mut self.organizations,
            &mut self.sources,
        ]);
    }
}

impl Stored for doc::Protocol {
    type Entity = protocol::Entity;
    const KIND: Kind = Kind::Protocol;
    const LINKS: &'static [&'static LinkSpec] = &[
        &links::PROTOCOL_PARTIES,
        &links::PROTOCOL_TOPICS,
        &links::PROTOCOL_SOURCES,
    ];

    fn key(&self) -> &str {
        &self.key
    }
    fn link_keys(&self) -> Vec<&[String]> {
        vec![&self.parties, &self.topics, &self.sources]
    }
    fn link_lists_mut(&mut self) -> Vec<&mut Vec<String>> {
        vec![&mut self.parties, &mut self.topics, &mut self.sources]
    }
    fn array_mut(document: &mut doc::Document) -> &mut Vec<Self> {
        &mut document.protocols
    }
    fn to_row(&self, keys: &Keys) -> protocol::ActiveModel {
        let (signed_on, signed_on_start, signed_on_end) = optional_date_columns(self.signed_on);
        protocol::ActiveModel {
            id: NotSet,
            key: Set(self.key.clone()),
            kind: Set(self.kind.into()),
            title: Set(self.title.clone()),
            signed_on: Set(signed_on),
            signed_on_start: Set(signed_on_start),
            signed_on_end: Set(signed_on_end),
            signed_in_id: Set(self
                .signed_in
                .as_deref()
                .map(|key| keys.id(Kind::City, key))),
            partnership_id: Set(self
                .partnership
                .as_deref()
                .map(|key| keys.id(Kind::Partnership, key))),
            visit_id: Set(self.visit.as_deref().map(|key| keys.id(Kind::Visit, key))),
            event_id: Set(self.event.as_deref().map(|key| keys.id(Kind::Event, key))),
            summary: Set(self.summary.clone()),
            created_at: NotSet,
            updated_at: NotSet,
        }
    }
    fn from_row(row: &protocol::Model, related: &Related<'_>) -> Self {
        Self {
            key: row.key.clone(),
            kind: row.kind.into(),
            title: row.title.clone(),
            signed_on: stored_date(row.signed_on.as_deref()),
            signed_in: related.optional_key(Kind::City, row.signed_in_id),
            parties: related.list(&links::PROTOCOL_PARTIES, row.id),
            partnership: related.optional_key(Kind::Partnership, row.partnership_id),
            visit: related.optional_key(Kind::Visit, row.visit_id),
            event: related.optional_key(Kind::Event, row.event_id),
            summary: row.summary.clone(),
            topics: related.list(&links::PROTOCOL_TOPICS, row.id),
            sources: related.list(&links::PROTOCOL_SOURCES, row.id),
        }
    }
    fn row_id(row: &protocol::Model) -> i32 {
        row.id
    }
    fn row_key(row: &protocol::Model) -> &str {
        &row.key
    }
    fn references(row: &protocol::Model) -> Vec<(Kind, Option<i32>)> {
        vec![
            (Kind::City, row.signed_in_id),
            (Kind::Partnership, row.partnership_id),
            (Kind::Visit, row.visit_id),
            (Kind::Event, row.event_id),
        ]
    }
    fn sort_lists(&mut self) {
        // Parties keep their order.
        sort(&mut [&mut self.topics, &mut self.sources]);
    }
}

//! The interchange document as Rust types: exactly the shape of
//! `interchange.schema.json`, shared with partner systems. Field order here is
//! the order the JSON Schema lists, which is the order export writes.

use crate::domain::partial_date::PartialDate;
use crate::domain::vocabulary::{
    EventKind, OrganizationKind, PartnershipKind, PartnershipStatus, ProtocolKind,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The only version of the format there is.
pub const FORMAT_VERSION: u8 = 1;

/// One document: any subset of the entities.
#[derive(Debug, Default, Serialize)]
pub struct Document {
    pub version: u8,
    pub sources: Vec<Source>,
    pub topics: Vec<Topic>,
    pub cities: Vec<City>,
    pub organizations: Vec<Organization>,
    pub partnerships: Vec<Partnership>,
    pub events: Vec<Event>,
    pub visits: Vec<Visit>,
    pub protocols: Vec<Protocol>,
    /// What parsing could not read, reported by import with the rest.
    #[serde(skip)]
    pub unread: super::parse::Unread,
}

/// Declares a record type of the format: camelCase fields, unknown fields
/// rejected, absent optional fields omitted on output. Each is also the
/// GraphQL input of its create and update mutations, so that partners send
/// the same shape over GraphQL as in files.
macro_rules! record {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty,)+ }) => {
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, async_graphql::InputObject)]
        #[serde(deny_unknown_fields, rename_all = "camelCase")]
        $(#[$meta])*
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)+
        }
    };
}

record!(
    /// Where a fact comes from.
    #[graphql(name = "SourceInput")]
    Source {
        /// Stable key of the source.
        key: String,
        /// Title of the publication.
        title: String,
        /// Where it can be read.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
        /// Who published it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        publisher: Option<String>,
        /// When it was published, as precisely as known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        published_on: Option<PartialDate>,
    }
);

record!(
    /// A cooperation topic; `parent` makes the tree.
    #[graphql(name = "TopicInput")]
    Topic {
        /// Stable key, such as `health-care`.
        key: String,
        /// Name of the topic.
        name: String,
        /// Key of the broader topic, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parent: Option<String>,
        /// A description.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
    }
);

record!(
    /// A city.
    #[graphql(name = "CityInput")]
    City {
        /// Stable key, such as `murmansk`: how other records refer to this one.
        key: String,
        /// Name in English.
        name: String,
        /// Name in the local language and script, such as `Мурманск`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        native_name: Option<String>,
        /// BCP 47 language tag → name.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        #[graphql(default)]
        names: BTreeMap<String, String>,
        /// ISO 3166-1 alpha-2 country code, such as `RU`.
        country_code: String,
        /// Region, province or state.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        region: Option<String>,
        /// Number of inhabitants.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        population: Option<i64>,
        /// Latitude in degrees (WGS 84).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        latitude: Option<f64>,
        /// Longitude in degrees (WGS 84).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        longitude: Option<f64>,
        /// IANA time zone, such as `Europe/Moscow`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timezone: Option<String>,
        /// Wikidata item, such as `Q1923`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        wikidata_id: Option<String>,
        /// Keys of the sources that report this record.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[graphql(default)]
        sources: Vec<String>,
    }
);

record!(
    /// An organization in a city.
    #[graphql(name = "OrganizationInput")]
    Organization {
        /// Stable key.
        key: String,
        /// Name of the organization.
        name: String,
        /// What kind of organization it is.
        kind: OrganizationKind,
        /// Key of its city.
        city: String,
        /// Keys of the sources that report this record.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[graphql(default)]
        sources: Vec<String>,
    }
);

record!(
    /// The relation between two cities.
    #[graphql(name = "PartnershipInput")]
    Partnership {
        /// Stable key, such as `murmansk-harbin`.
        key: String,
        /// Keys of the two cities.
        cities: Vec<String>,
        /// What kind of relation it is.
        kind: PartnershipKind,
        /// Where it stands in its lifecycle.
        status: PartnershipStatus,
        /// When it was first proposed, as precisely as known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        proposed_on: Option<PartialDate>,
        /// When it was established (the agreement signed), as precisely as known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        established_on: Option<PartialDate>,
        /// When it ended, as precisely as known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ended_on: Option<PartialDate>,
        /// The partnership's lifecycle as dated steps, oldest first: the
        /// record of fact when given (each step a legal transition, known
        /// dates never decreasing, the last step's status equal to
        /// `status`); when left out, derived from `status`, the stage dates
        /// and the signed protocols.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status_history: Option<Vec<StatusStep>>,
        /// Notes on the relation.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        notes: Option<String>,
        /// Keys of the cooperation topics it concerns.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[graphql(default)]
        topics: Vec<String>,
        /// Keys of the sources that report this record.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[graphql(default)]
        sources: Vec<String>,
    }
);

record!(
    /// One step of a partnership's status history.
    #[graphql(name = "StatusStepInput")]
    StatusStep {
        /// The status the partnership reached.
        status: PartnershipStatus,
        /// When the step was taken; left out when unknown.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        on: Option<PartialDate>,
        /// The key of the signed protocol that is the evidence for the step.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        protocol: Option<String>,
        /// The key of the side that took the step, when only one did (one
        /// council ending a twinning before the other).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        city: Option<String>,
        /// A note on the step.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
        /// The keys of the sources the step cites.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[graphql(default)]
        sources: Vec<String>,
    }
);

record!(
    /// A festival, exhibition, anniversary or forum.
    #[graphql(name = "EventInput")]
    Event {
        /// Stable key.
        key: String,
        /// Name of the event.
        name: String,
        /// What kind of event it is.
        kind: EventKind,
        /// Key of the host city.
        host_city: String,
        /// When it began, as precisely as known.
        start_date: PartialDate,
        /// When it ended, when it lasted longer than its start date says.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        end_date: Option<PartialDate>,
        /// A description.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
        /// Keys of the cooperation topics it concerns.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[graphql(default)]
        topics: Vec<String>,
        /// Keys of the sources that report this record.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[graphql(default)]
        sources: Vec<String>,
    }
);

record!(
    /// A delegation from one city to another.
    #[graphql(name = "VisitInput")]
    Visit {
        /// Stable key.
        key: String,
        /// Key of the city that sent the delegation.
        from_city: String,
        /// Key of the city visited.
        to_city: String,
        /// When the visit began, as precisely as known.
        start_date: PartialDate,
        /// When it ended, when it lasted longer than its start date says.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        end_date: Option<PartialDate>,
        /// Key of the partnership it belongs to.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        partnership: Option<String>,
        /// Who led the delegation.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        head_of_delegation: Option<String>,
        /// Why the delegation came.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        purpose: Option<String>,
        /// What was done, in a few sentences.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        summary: Option<String>,
        /// Keys of the cooperation topics it concerns.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[graphql(default)]
        topics: Vec<String>,
        /// Keys of the events the delegation attended.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[graphql(default)]
        events: Vec<String>,
        /// Keys of the organizations that took part.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[graphql(default)]
        organizations: Vec<String>,
        /// Keys of the sources that report this record.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[graphql(default)]
        sources: Vec<String>,
    }
);

record!(
    /// A signed document.
    #[graphql(name = "ProtocolInput")]
    Protocol {
        /// Stable key.
        key: String,
        /// What kind of document it is.
        kind: ProtocolKind,
        /// Title of the document.
        title: String,
        /// When it was signed, as precisely as known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signed_on: Option<PartialDate>,
        /// Key of the city where it was signed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signed_in: Option<String>,
        /// Keys of the cities that signed it.
        parties: Vec<String>,
        /// Key of the partnership it belongs to.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        partnership: Option<String>,
        /// Key of the visit during which it was signed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        visit: Option<String>,
        /// Key of the event at which it was signed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        event: Option<String>,
        /// What it provides, in a few sentences.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        summary: Option<String>,
        /// Keys of the cooperation topics it concerns.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[graphql(default)]
        topics: Vec<String>,
        /// Keys of the sources that report this record.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[graphql(default)]
        sources: Vec<String>,
    }
);

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
        key: String,
        title: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        publisher: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        published_on: Option<PartialDate>,
    }
);

record!(
    /// A cooperation topic; `parent` makes the tree.
    #[graphql(name = "TopicInput")]
    Topic {
        key: String,
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parent: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
    }
);

record!(
    /// A city.
    #[graphql(name = "CityInput")]
    City {
        key: String,
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        native_name: Option<String>,
        /// BCP 47 language tag → name.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        #[graphql(default)]
        names: BTreeMap<String, String>,
        country_code: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        region: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        population: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        latitude: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        longitude: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timezone: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        wikidata_id: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[graphql(default)]
        sources: Vec<String>,
    }
);

record!(
    /// An organization in a city.
    #[graphql(name = "OrganizationInput")]
    Organization {
        key: String,
        name: String,
        kind: OrganizationKind,
        city: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[graphql(default)]
        sources: Vec<String>,
    }
);

record!(
    /// The relation between two cities.
    #[graphql(name = "PartnershipInput")]
    Partnership {
        key: String,
        cities: Vec<String>,
        kind: PartnershipKind,
        status: PartnershipStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        proposed_on: Option<PartialDate>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        established_on: Option<PartialDate>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ended_on: Option<PartialDate>,
        /// The partnership's lifecycle as dated steps, oldest first: the
        /// record of fact when given (each step a legal transition, known
        /// dates never decreasing, the last step's status equal to
        /// `status`); when left out, derived from `status`, the stage dates
        /// and the signed protocols.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status_history: Option<Vec<StatusStep>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        notes: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[graphql(default)]
        topics: Vec<String>,
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
        key: String,
        name: String,
        kind: EventKind,
        host_city: String,
        start_date: PartialDate,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        end_date: Option<PartialDate>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[graphql(default)]
        topics: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[graphql(default)]
        sources: Vec<String>,
    }
);

record!(
    /// A delegation from one city to another.
    #[graphql(name = "VisitInput")]
    Visit {
        key: String,
        from_city: String,
        to_city: String,
        start_date: PartialDate,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        end_date: Option<PartialDate>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        partnership: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        head_of_delegation: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        purpose: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        summary: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[graphql(default)]
        topics: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[graphql(default)]
        events: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[graphql(default)]
        organizations: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[graphql(default)]
        sources: Vec<String>,
    }
);

record!(
    /// A signed document.
    #[graphql(name = "ProtocolInput")]
    Protocol {
        key: String,
        kind: ProtocolKind,
        title: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signed_on: Option<PartialDate>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signed_in: Option<String>,
        parties: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        partnership: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        visit: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        event: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        summary: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[graphql(default)]
        topics: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[graphql(default)]
        sources: Vec<String>,
    }
);

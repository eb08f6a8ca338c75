//! The closed vocabularies of the domain, as the API and the interchange
//! format spell them. Each mirrors the entity crate's enum of the same name,
//! which stores it: async-graphql's `remote` derives the conversions both
//! ways and fails to compile if the two lists ever differ, so the entities
//! stay free of GraphQL.

use async_graphql::Enum;
use serde::{Deserialize, Serialize};

/// What kind of tie binds two cities.
#[derive(
    Enum, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(remote = "entity::enums::PartnershipKind")]
pub enum PartnershipKind {
    /// Formal twinning by agreement.
    SisterCity,
    /// Friendship ties below twinning.
    Friendship,
    /// Regular contact without an agreement.
    Contact,
    /// A partnership limited to a project.
    Project,
    /// A cooperation agreement in given fields.
    Cooperation,
}

/// Where a partnership stands in its lifecycle: proposed → intent signed →
/// agreement signed → active → suspended ⇄ active → ended.
#[derive(
    Enum, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(remote = "entity::enums::PartnershipStatus")]
pub enum PartnershipStatus {
    /// Suggested by one side; nothing signed yet.
    Proposed,
    /// A protocol of intentions has been signed.
    IntentSigned,
    /// The agreement has been signed.
    AgreementSigned,
    /// The partnership is in force.
    Active,
    /// Paused by at least one side.
    Suspended,
    /// Terminated.
    Ended,
}

/// What kind of document a protocol is.
#[derive(
    Enum, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(remote = "entity::enums::ProtocolKind")]
pub enum ProtocolKind {
    /// A protocol of intentions.
    ProtocolOfIntentions,
    /// The twinning (sister city) agreement itself.
    TwinningAgreement,
    /// A memorandum of understanding.
    Memorandum,
    /// A cooperation agreement in given fields.
    CooperationAgreement,
    /// Any other signed document.
    Other,
}

/// What kind of event a city hosts.
#[derive(
    Enum, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(remote = "entity::enums::EventKind")]
pub enum EventKind {
    /// A festival.
    Festival,
    /// An exhibition or expo.
    Exhibition,
    /// An anniversary celebration.
    Anniversary,
    /// A forum or conference.
    Forum,
    /// Any other event, such as an online meeting.
    Other,
}

/// What kind of organization takes part in cooperation.
#[derive(
    Enum, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(remote = "entity::enums::OrganizationKind")]
pub enum OrganizationKind {
    /// A city or regional administration.
    Administration,
    /// A school or lyceum.
    School,
    /// A university.
    University,
    /// A hospital or clinic.
    Hospital,
    /// A company.
    Company,
    /// A museum, theatre or other cultural body.
    Cultural,
    /// Anything else.
    Other,
}

/// The value as spelled in the API, the interchange format and the database.
macro_rules! spelled {
    ($($name:ident),+) => {$(
        impl $name {
            pub fn as_str(self) -> &'static str {
                entity::enums::$name::from(self).as_str()
            }
        }
    )+};
}
spelled!(
    PartnershipKind,
    PartnershipStatus,
    ProtocolKind,
    EventKind,
    OrganizationKind
);

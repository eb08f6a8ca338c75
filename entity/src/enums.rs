//! The closed vocabularies of the domain, stored as the API spells them.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Declares a string-valued enum that is at once a database column type and
/// a serde type, each spelling its values the same way.
macro_rules! domain_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $value:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(30))")]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name {
            $($(#[$vmeta])* #[sea_orm(string_value = $value)] $variant,)+
        }

        impl $name {
            /// The value as spelled in the API, the interchange format and the database.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $value,)+ }
            }
        }
    };
}

domain_enum! {
    /// What kind of tie binds two cities.
    PartnershipKind {
        /// Formal twinning by agreement.
        SisterCity = "SISTER_CITY",
        /// Friendship ties below twinning.
        Friendship = "FRIENDSHIP",
        /// Regular contact without an agreement.
        Contact = "CONTACT",
        /// A partnership limited to a project.
        Project = "PROJECT",
        /// A cooperation agreement in given fields.
        Cooperation = "COOPERATION",
    }
}

domain_enum! {
    /// Where a partnership stands in its lifecycle: proposed → intent signed →
    /// agreement signed → active → suspended ⇄ active → ended.
    PartnershipStatus {
        /// Suggested by one side; nothing signed yet.
        Proposed = "PROPOSED",
        /// A protocol of intentions has been signed.
        IntentSigned = "INTENT_SIGNED",
        /// The agreement has been signed.
        AgreementSigned = "AGREEMENT_SIGNED",
        /// The partnership is in force.
        Active = "ACTIVE",
        /// Paused by at least one side.
        Suspended = "SUSPENDED",
        /// Terminated.
        Ended = "ENDED",
    }
}

domain_enum! {
    /// What kind of document a protocol is.
    ProtocolKind {
        /// A protocol of intentions.
        ProtocolOfIntentions = "PROTOCOL_OF_INTENTIONS",
        /// The twinning (sister city) agreement itself.
        TwinningAgreement = "TWINNING_AGREEMENT",
        /// A memorandum of understanding.
        Memorandum = "MEMORANDUM",
        /// A cooperation agreement in given fields.
        CooperationAgreement = "COOPERATION_AGREEMENT",
        /// Any other signed document.
        Other = "OTHER",
    }
}

domain_enum! {
    /// What kind of event a city hosts.
    EventKind {
        /// A festival.
        Festival = "FESTIVAL",
        /// An exhibition or expo.
        Exhibition = "EXHIBITION",
        /// An anniversary celebration.
        Anniversary = "ANNIVERSARY",
        /// A forum or conference.
        Forum = "FORUM",
        /// Any other event, such as an online meeting.
        Other = "OTHER",
    }
}

domain_enum! {
    /// What kind of organization takes part in cooperation.
    OrganizationKind {
        /// A city or regional administration.
        Administration = "ADMINISTRATION",
        /// A school or lyceum.
        School = "SCHOOL",
        /// A university.
        University = "UNIVERSITY",
        /// A hospital or clinic.
        Hospital = "HOSPITAL",
        /// A company.
        Company = "COMPANY",
        /// A museum, theatre or other cultural body.
        Cultural = "CULTURAL",
        /// Anything else.
        Other = "OTHER",
    }
}

//! The entities under their table names, for `use entity::prelude::*`.

pub use crate::city::Entity as City;
pub use crate::city_name::Entity as CityName;
pub use crate::event::Entity as Event;
pub use crate::organization::Entity as Organization;
pub use crate::partnership::Entity as Partnership;
pub use crate::partnership_status_change::Entity as PartnershipStatusChange;
pub use crate::protocol::Entity as Protocol;
pub use crate::protocol_party::Entity as ProtocolParty;
pub use crate::source::Entity as Source;
pub use crate::topic::Entity as Topic;
pub use crate::visit::Entity as Visit;

//! Predicates on organizations..

use super::*;

/// In the city with this key.
pub fn city(key: &str) -> Filter<organization::Model> {
    Filter::expr(refers_to(organization::Column::CityId, "city", key))
}

/// Of one of these kinds.
pub fn kinds(kinds: &[OrganizationKind]) -> Filter<organization::Model> {
    Filter::expr(t(organization::Column::Kind).is_in(kinds.iter().map(|k| k.as_str())))
}

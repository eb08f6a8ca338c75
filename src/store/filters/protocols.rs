//! Predicates on protocols..

use super::*;

/// Of one of these kinds.
pub fn kinds(kinds: &[ProtocolKind]) -> Filter<protocol::Model> {
    Filter::expr(t(protocol::Column::Kind).is_in(kinds.iter().map(|k| k.as_str())))
}

/// The city with this key is a party.
pub fn party(key: &str) -> Filter<protocol::Model> {
    linked_to("protocol_party", "protocol_id", "city_id", "city", key)
}

/// Signed within `span` (a known date whose span overlaps it).
pub fn signed(span: Span) -> Filter<protocol::Model> {
    span.contains_date("signed_on")
}

/// Belongs to the partnership with this key.
pub fn partnership(key: &str) -> Filter<protocol::Model> {
    Filter::expr(refers_to(
        protocol::Column::PartnershipId,
        "partnership",
        key,
    ))
}

/// Tagged with this topic or one below it.
pub fn topic(key: &str) -> Filter<protocol::Model> {
    tagged_with("protocol_topic", "protocol_id", key)
}

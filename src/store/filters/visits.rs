//! Predicates on visits..

use super::*;

/// Sent by the city with this key.
pub fn from_city(key: &str) -> Filter<visit::Model> {
    Filter::expr(refers_to(visit::Column::FromCityId, "city", key))
}

/// Received by the city with this key.
pub fn to_city(key: &str) -> Filter<visit::Model> {
    Filter::expr(refers_to(visit::Column::ToCityId, "city", key))
}

/// Sent or received by the city with this key.
pub fn city(key: &str) -> Filter<visit::Model> {
    Filter::any([from_city(key), to_city(key)])
}

/// Started within `span`.
pub fn started(span: Span) -> Filter<visit::Model> {
    span.overlaps_date("start_date")
}

/// Under way at some time within `span`.
pub fn during(span: Span) -> Filter<visit::Model> {
    span.overlaps_stay()
}

/// Tagged with this topic or one below it.
pub fn topic(key: &str) -> Filter<visit::Model> {
    tagged_with("visit_topic", "visit_id", key)
}

/// Attended the event with this key.
pub fn event(key: &str) -> Filter<visit::Model> {
    linked_to("visit_event", "visit_id", "event_id", "event", key)
}

/// Involved the organization with this key.
pub fn organization(key: &str) -> Filter<visit::Model> {
    linked_to(
        "visit_organization",
        "visit_id",
        "organization_id",
        "organization",
        key,
    )
}

/// Belongs to the partnership with this key.
pub fn partnership(key: &str) -> Filter<visit::Model> {
    Filter::expr(refers_to(visit::Column::PartnershipId, "partnership", key))
}

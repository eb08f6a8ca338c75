//! Predicates on events..

use super::*;

/// Hosted by the city with this key.
pub fn host_city(key: &str) -> Filter<event::Model> {
    Filter::expr(refers_to(event::Column::HostCityId, "city", key))
}

/// Of one of these kinds.
pub fn kinds(kinds: &[EventKind]) -> Filter<event::Model> {
    Filter::expr(t(event::Column::Kind).is_in(kinds.iter().map(|k| k.as_str())))
}

/// Under way at some time within `span`.
pub fn during(span: Span) -> Filter<event::Model> {
    span.overlaps_stay()
}

/// Tagged with this topic or one below it.
pub fn topic(key: &str) -> Filter<event::Model> {
    tagged_with("event_topic", "event_id", key)
}

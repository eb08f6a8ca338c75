//! Predicates on partnerships..

use super::*;

/// Either city is the one with this key.
pub fn city(key: &str) -> Filter<partnership::Model> {
    Filter::new(
        Condition::any()
            .add(refers_to(partnership::Column::CityAId, "city", key))
            .add(refers_to(partnership::Column::CityBId, "city", key)),
    )
}

/// Either city is in one of these countries.
pub fn country_codes(codes: &[String]) -> Filter<partnership::Model> {
    let cities = Query::select()
        .expr(Expr::val(1))
        .from_as(city::Entity, "c")
        .and_where(is_either_city(Expr::col(("c", city::Column::Id))))
        .and_where(Expr::col(("c", city::Column::CountryCode)).is_in(codes.iter().cloned()))
        .to_owned();
    Filter::expr(Expr::exists(cities))
}

/// Of one of these kinds.
pub fn kinds(kinds: &[PartnershipKind]) -> Filter<partnership::Model> {
    Filter::expr(t(partnership::Column::Kind).is_in(kinds.iter().map(|k| k.as_str())))
}

/// In one of these statuses.
pub fn statuses(statuses: &[PartnershipStatus]) -> Filter<partnership::Model> {
    Filter::expr(t(partnership::Column::Status).is_in(statuses.iter().map(|s| s.as_str())))
}

/// Established within `span` (a known date whose span overlaps it).
pub fn established(span: Span) -> Filter<partnership::Model> {
    span.contains_date("established_on")
}

/// Tagged with this topic or one below it.
pub fn topic(key: &str) -> Filter<partnership::Model> {
    tagged_with("partnership_topic", "partnership_id", key)
}

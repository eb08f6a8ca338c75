//! Predicates on cities..

use super::*;

/// In one of these countries.
pub fn country_codes(codes: &[String]) -> Filter<city::Model> {
    Filter::expr(t(city::Column::CountryCode).is_in(codes.iter().cloned()))
}

/// In this region.
pub fn region(region: &str) -> Filter<city::Model> {
    Filter::expr(t(city::Column::Region).eq(region))
}

/// Some name (English, native or a translation) starts with `prefix`,
/// ignoring case in any script.
pub fn name_starts_with(prefix: &str) -> Filter<city::Model> {
    let pattern = format!(
        "{}%",
        crate::store::search_index::like_escape(&crate::store::search_index::fold(prefix))
    );
    let names = Query::select()
        .expr(Expr::val(1))
        .from_as("city_search_name", "n")
        .and_where(Expr::col(("n", "city_id")).equals((T, "id")))
        .and_where(Expr::col(("n", "name_folded")).like(LikeExpr::new(pattern).escape('\\')))
        .to_owned();
    Filter::expr(Expr::exists(names))
}

/// Population in `[min, max]` (either end optional).
pub fn population(min: Option<i64>, max: Option<i64>) -> Filter<city::Model> {
    let population = || t(city::Column::Population);
    let mut condition = Condition::all();
    if let Some(min) = min {
        condition = condition.add(population().gte(min));
    }
    if let Some(max) = max {
        condition = condition.add(population().lte(max));
    }
    Filter::new(condition)
}

/// Within `radius_km` of a point. An equirectangular approximation:
/// plain arithmetic that both SQLite (which has no trigonometry) and
/// PostgreSQL can evaluate; within 0.5 % of the great-circle distance
/// for radii up to a few hundred km away from the poles and the
/// antimeridian.
pub fn near(latitude: f64, longitude: f64, radius_km: f64) -> Filter<city::Model> {
    let scale = latitude.to_radians().cos();
    let degrees = radius_km / crate::domain::geo::EARTH_RADIUS_KM.to_radians();
    let dlat = || t(city::Column::Latitude).sub(latitude);
    let dlon = || t(city::Column::Longitude).sub(longitude);
    let distance = dlat()
        .mul(dlat())
        .add(dlon().mul(dlon()).mul(scale * scale));
    Filter::expr(
        t(city::Column::Latitude)
            .is_not_null()
            .and(distance.lte(degrees * degrees)),
    )
}

/// At least one of the city's partnerships matches `filter`.
pub fn with_partnership(filter: Filter<partnership::Model>) -> Filter<city::Model> {
    let matching = Query::select()
        .column((T, partnership::Column::Id))
        .from_as(partnership::Entity, T)
        .cond_where(filter.condition)
        .to_owned();
    let own = Query::select()
        .expr(Expr::val(1))
        .from_as(partnership::Entity, "t2")
        .cond_where(
            Condition::any()
                .add(Expr::col(("t2", partnership::Column::CityAId)).equals((T, "id")))
                .add(Expr::col(("t2", partnership::Column::CityBId)).equals((T, "id"))),
        )
        .and_where(Expr::col(("t2", partnership::Column::Id)).in_subquery(matching))
        .to_owned();
    Filter::expr(Expr::exists(own))
}

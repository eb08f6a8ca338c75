//! `CityFilter`: which cities a list holds.

use super::filter_input::{IntRange, ToFilter, any_of, combinators};
use super::partnership::PartnershipFilter;
use crate::store::filters::{self, Filter, cities};
use async_graphql::InputObject;
use entity::city;

/// A circle on the map: cities within `radiusKm` of a point.
#[derive(InputObject, Clone)]
pub struct Near {
    /// Latitude of the centre, in degrees.
    pub latitude: f64,
    /// Longitude of the centre, in degrees.
    pub longitude: f64,
    /// Radius in km.
    pub radius_km: f64,
}

/// Relation filter: cities with at least one / no partnership matching.
#[derive(InputObject, Default)]
pub struct PartnershipRelation {
    /// At least one partnership matches.
    pub some: Option<PartnershipFilter>,
    /// No partnership matches.
    pub none: Option<PartnershipFilter>,
}

/// Which cities to list. All given fields must hold.
#[derive(InputObject, Default)]
pub struct CityFilter {
    /// One of these keys.
    pub keys: Option<Vec<String>>,
    /// In one of these countries (ISO 3166-1 alpha-2).
    pub country_codes: Option<Vec<String>>,
    /// In one of these regions.
    pub regions: Option<Vec<String>>,
    /// In this region.
    #[graphql(
        deprecation = "Use `regions`: a filter on a field a record has one of takes a list."
    )]
    pub region: Option<String>,
    /// Some name (English, native or a translation) starts with this text,
    /// ignoring case in any script: "мур" finds Мурманск.
    pub name_starts_with: Option<String>,
    /// Population in this range.
    pub population: Option<IntRange>,
    /// Within a distance of a point.
    pub near: Option<Near>,
    /// Partnerships of the city: `some` or `none` matching a filter (kind,
    /// status, the partner's country…).
    pub partnerships: Option<PartnershipRelation>,
    /// All of these filters hold.
    pub and: Option<Vec<CityFilter>>,
    /// At least one of these filters holds.
    pub or: Option<Vec<CityFilter>>,
    /// This filter does not hold.
    pub not: Option<Box<CityFilter>>,
}

impl ToFilter for CityFilter {
    type Rows = city::Model;

    fn predicates(&self, out: &mut Vec<Filter<Self::Rows>>) {
        if let Some(keys) = &self.keys {
            out.push(filters::keys(keys));
        }
        if let Some(codes) = &self.country_codes {
            out.push(cities::country_codes(codes));
        }
        if let Some(region) = &self.region {
            out.push(cities::region(region));
        }
        if let Some(values) = &self.regions {
            out.push(any_of(values, cities::region));
        }
        if let Some(prefix) = &self.name_starts_with {
            out.push(cities::name_starts_with(prefix));
        }
        if let Some(range) = &self.population {
            out.push(cities::population(range.min, range.max));
        }
        if let Some(near) = &self.near {
            out.push(cities::near(near.latitude, near.longitude, near.radius_km));
        }
        if let Some(relation) = &self.partnerships {
            if let Some(some) = &relation.some {
                out.push(cities::with_partnership(some.to_filter()));
            }
            if let Some(none) = &relation.none {
                out.push(!cities::with_partnership(none.to_filter()));
            }
        }
    }
    combinators!();
}

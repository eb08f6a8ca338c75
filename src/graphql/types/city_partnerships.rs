//! `City.partnerships`: a city's partnerships, each edge naming the other
//! city, so a client reading a city's list needs no `partner(of:)` with the
//! key it already gave.

use super::city::{City, city};
use super::partnership::Partnership;
use crate::error::Result;
use crate::graphql::connection::EdgeConnection;
use async_graphql::connection::{ConnectionNameType, EdgeNameType};
use async_graphql::{Context, Object, OutputType};
use entity::partnership;

/// The connection type of a city's partnerships.
pub type CityPartnerships =
    EdgeConnection<Partnership, Partner, CityPartnershipConnectionName, CityPartnershipEdgeName>;

/// Names the connection `CityPartnershipConnection`: its edges differ from
/// those of other partnership lists.
pub struct CityPartnershipConnectionName;

impl ConnectionNameType for CityPartnershipConnectionName {
    fn type_name<T: OutputType>() -> String {
        "CityPartnershipConnection".to_owned()
    }
}

/// Names the edges `CityPartnershipEdge`.
pub struct CityPartnershipEdgeName;

impl EdgeNameType for CityPartnershipEdgeName {
    fn type_name<T: OutputType>() -> String {
        "CityPartnershipEdge".to_owned()
    }
}

/// What an edge of a city's partnerships adds to cursor and node: the id of
/// the other city.
pub struct Partner(i32);

impl Partner {
    /// The other city of `row`, seen from the city `of`.
    pub fn of(of: i32, row: &partnership::Model) -> Self {
        Partner(if row.city_a_id == of {
            row.city_b_id
        } else {
            row.city_a_id
        })
    }
}

#[Object]
impl Partner {
    /// The other city of the partnership: the partner of the city whose
    /// list this is.
    async fn partner(&self, ctx: &Context<'_>) -> Result<City> {
        city(ctx, self.0).await
    }
}

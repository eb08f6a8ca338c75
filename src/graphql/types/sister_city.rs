//! `City.sisterCities`: a city's twinnings in force, numbered in order of
//! establishment, as city lists number them ("Harbin, the 11th").

use super::city::City;
use super::partnership::Partnership;
use crate::domain::partial_date::PartialDate;
use crate::domain::vocabulary::{PartnershipKind, PartnershipStatus};
use crate::error::Result;
use crate::graphql::connection::children;
use crate::store::filters::{Filter, partnerships};
use crate::store::orderings;
use crate::store::relations::CITY_PARTNERSHIPS;
use async_graphql::{Context, SimpleObject};
use entity::{city, partnership};

/// One of a city's sister cities, numbered in order of establishment.
#[derive(SimpleObject)]
pub struct SisterCity {
    /// 1 for the city's first sister city, counting ended twinnings too.
    /// Null when the establishment date is unknown.
    pub ordinal: Option<i32>,
    /// The sister city.
    pub city: City,
    /// The twinning itself.
    pub partnership: Partnership,
}

/// More twinnings than any city has (Bethlehem has 74).
const MAX_SISTER_CITIES: usize = 1000;

/// The sister cities of the city `id`: every twinning that came into force,
/// established by `as_of` (when given) and, unless `include_ended`, not
/// ended by then; numbered by establishment in the order of every list of
/// partial dates (the first day a date covers, the coarser date first when
/// two begin the same day), ties by the partner's key; undated ones last,
/// unnumbered.
pub async fn sister_cities(
    ctx: &Context<'_>,
    id: i32,
    as_of: Option<PartialDate>,
    include_ended: bool,
) -> Result<Vec<SisterCity>> {
    // Every twinning of the city that came into force (an intent to twin
    // is not yet a sister city), batched with every other city asked.
    let filter = Filter::all([
        partnerships::kinds(&[PartnershipKind::SisterCity]),
        partnerships::statuses(&[
            PartnershipStatus::Active,
            PartnershipStatus::Suspended,
            PartnershipStatus::Ended,
        ]),
    ]);
    let mut twinnings: Vec<partnership::Model> = children(
        ctx,
        id,
        &CITY_PARTNERSHIPS,
        &filter,
        orderings::partnerships::BY_KEY,
        MAX_SISTER_CITIES,
    )
    .await?;
    let as_of_end = as_of.map(|d| d.end());
    twinnings.retain(|p| match (as_of_end, p.established_on_end) {
        (Some(limit), Some(established)) => established <= limit,
        (Some(_), None) => false,
        (None, _) => true,
    });
    let mut partners = Vec::with_capacity(twinnings.len());
    for twinning in &twinnings {
        let partner = if twinning.city_a_id == id {
            twinning.city_b_id
        } else {
            twinning.city_a_id
        };
        partners.push(crate::graphql::referenced::<city::Model>(ctx, partner).await?);
    }
    let mut rows: Vec<(partnership::Model, city::Model)> =
        twinnings.into_iter().zip(partners).collect();
    rows.sort_by_key(|(twinning, partner)| {
        (
            twinning.established_on_start.is_none(),
            twinning.established_on_start,
            std::cmp::Reverse(twinning.established_on_end),
            partner.key.clone(),
        )
    });
    let mut sisters = Vec::new();
    for (index, (twinning, partner)) in rows.into_iter().enumerate() {
        let ordinal = twinning
            .established_on_start
            .map(|_| i32::try_from(index + 1).unwrap_or(i32::MAX));
        let ended = match (twinning.ended_on_start, as_of_end) {
            (Some(ended), Some(limit)) => ended <= limit,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if include_ended || !ended {
            sisters.push(SisterCity {
                ordinal,
                city: City(partner),
                partnership: Partnership(twinning),
            });
        }
    }
    Ok(sisters)
}

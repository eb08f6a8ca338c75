//! Filters: conditions on the rows of one record table, read as the row
//! alias `t`, which pages, nested pages, counts and statistics put in their
//! `WHERE`. The API's filter inputs are built from the typed predicates
//! here (one function per predicate) and the `all`/`any`/`not` combinators,
//! so no SQL is written anywhere else. `Filter<M>` says which table's rows
//! it reads: a visit filter cannot be given to a page of cities.

use crate::domain::partial_date::PartialDate;
use crate::domain::vocabulary::{
    EventKind, OrganizationKind, PartnershipKind, PartnershipStatus, ProtocolKind,
};
use entity::{city, event, organization, partnership, protocol, topic, visit};
use sea_orm::sea_query::{
    Alias, BinOper, Condition, Expr, ExprTrait, Func, IntoIden, LikeExpr, Query, SelectStatement,
    WithClause,
};
use std::marker::PhantomData;

pub(crate) use super::record::{T, t};

/// A condition on rows of `M`'s table (as `t`).
pub struct Filter<M> {
    condition: Condition,
    rows: PhantomData<fn() -> M>,
}

impl<M> Clone for Filter<M> {
    fn clone(&self) -> Self {
        Self::new(self.condition.clone())
    }
}

impl<M> std::fmt::Debug for Filter<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.condition.fmt(f)
    }
}

/// Rows the filter drops.
impl<M> std::ops::Not for Filter<M> {
    type Output = Self;

    fn not(self) -> Self {
        Self::new(self.condition.not())
    }
}

impl<M> PartialEq for Filter<M> {
    fn eq(&self, other: &Self) -> bool {
        self.condition == other.condition
    }
}

impl<M> Filter<M> {
    fn new(condition: Condition) -> Self {
        Self {
            condition,
            rows: PhantomData,
        }
    }

    fn expr(expr: Expr) -> Self {
        Self::new(Condition::all().add(expr))
    }

    /// Every row.
    pub fn everything() -> Self {
        Self::new(Condition::all())
    }

    /// Rows every filter keeps (every row when there are none).
    pub fn all(filters: impl IntoIterator<Item = Filter<M>>) -> Self {
        Self::new(
            filters
                .into_iter()
                .fold(Condition::all(), |all, filter| both(all, filter.condition)),
        )
    }

    /// Rows at least one filter keeps (no row when there are none).
    pub fn any(filters: impl IntoIterator<Item = Filter<M>>) -> Self {
        let mut condition = Condition::any();
        for filter in filters {
            condition = condition.add(filter.condition);
        }
        Self::new(condition)
    }

    /// The rows of `self` that `other` keeps too.
    pub fn and(self, other: Filter<M>) -> Self {
        Self::all([self, other])
    }

    /// The condition, for the statements of this module's siblings.
    pub(crate) fn condition(&self) -> Condition {
        self.condition.clone()
    }
}

/// `condition AND other`, leaving out an `other` that holds for every row,
/// so that statements carry no `TRUE` conditions.
pub(crate) fn both(condition: Condition, other: Condition) -> Condition {
    if other == Condition::all() {
        condition
    } else {
        condition.add(other)
    }
}

/// Rows whose key is one of `keys`.
pub fn keys<M>(keys: &[String]) -> Filter<M> {
    Filter::expr(t("key").is_in(keys.iter().cloned()))
}

/// The id of the row of `table` with this key (a scalar subquery, so that
/// a filter naming a record by key needs no statement of its own).
fn id_of(table: &'static str, key: &str) -> Expr {
    let id = Query::select()
        .column("id")
        .from(table)
        .and_where(Expr::col("key").eq(key))
        .to_owned();
    Expr::SubQuery(None, Box::new(id.into()))
}

/// `t.column` refers to the record of `table` with `key`.
fn refers_to(column: impl IntoIden, table: &'static str, key: &str) -> Expr {
    t(column).eq(id_of(table, key))
}

/// A span of days, both ends inclusive and optional: a record matches when
/// its own span overlaps it, so a visit dated "2015" matches June 2015.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    /// From the first day of this date.
    pub from: Option<PartialDate>,
    /// To the last day of this date.
    pub to: Option<PartialDate>,
}

impl Span {
    /// The record span from `start` to `end` overlaps this one.
    fn overlaps<M>(self, start: Expr, end: Expr) -> Filter<M> {
        let mut condition = Condition::all();
        if let Some(to) = self.to {
            condition = condition.add(start.lte(to.end()));
        }
        if let Some(from) = self.from {
            condition = condition.add(end.gte(from.start()));
        }
        Filter::new(condition)
    }

    /// The span of one stored partial date (`{column}_start` to
    /// `{column}_end`) overlaps this one. Such a span is at most a year
    /// long, so it also bounds the start from below: an index on the start
    /// then reads only the range instead of every earlier date.
    fn overlaps_date<M>(self, column: &'static str) -> Filter<M> {
        let start = || t(Alias::new(format!("{column}_start")));
        let end = t(Alias::new(format!("{column}_end")));
        let mut filter = self.overlaps(start(), end);
        if let Some(from) = self.from {
            let earliest = from
                .start()
                .checked_sub_months(chrono::Months::new(12))
                .unwrap_or(from.start());
            filter = filter.and(Filter::expr(start().gte(earliest)));
        }
        filter
    }

    /// Records with a known `{column}` date whose span overlaps this one.
    fn contains_date<M>(self, column: &'static str) -> Filter<M> {
        let known = t(Alias::new(format!("{column}_start"))).is_not_null();
        Filter::expr(known).and(self.overlaps_date(column))
    }

    /// A record from `start_date` to `end_date` (or within its start date's
    /// span when it has no end) overlaps this span.
    fn overlaps_stay<M>(self) -> Filter<M> {
        let end = Func::coalesce([t("end_date_end"), t("start_date_end")]).into();
        self.overlaps(t("start_date_start"), end)
    }
}

/// Records tagged, through the link table `link` and its record column
/// `column`, with a topic (by key) or one of its descendants.
///
/// The unary plus on `t.id` keeps SQLite from driving the query from the
/// tags (reading every tagged record, then sorting them all) instead of
/// walking the ordering's index and stopping once the page is full: Q3 of
/// the benchmark runs 3× faster. PostgreSQL plans it as before. sea-query
/// has no unary plus, hence the custom expression (quoted identifiers, as
/// both backends read them).
fn tagged_with<M>(link: &'static str, column: &'static str, topic_key: &str) -> Filter<M> {
    let tree = Query::select()
        .column("id")
        .from("d")
        .with_cte(topic_tree_from(
            Query::select()
                .column(topic::Column::Id)
                .from(topic::Entity)
                .and_where(Expr::col(topic::Column::Key).eq(topic_key))
                .to_owned(),
        ))
        .to_owned();
    let tagged = Query::select()
        .column(("l", column))
        .from_as(link, "l")
        .and_where(Expr::col(("l", "topic_id")).in_subquery(tree))
        .to_owned();
    Filter::expr(Expr::cust(r#"+"t"."id""#).in_subquery(tagged))
}

/// `WITH RECURSIVE d(id)`: the topics `roots` selects and all their
/// descendants.
fn topic_tree_from(roots: SelectStatement) -> WithClause {
    let children = Query::select()
        .column(("c", topic::Column::Id))
        .from_as(topic::Entity, "c")
        .inner_join(
            "d",
            Expr::col(("c", topic::Column::ParentId)).equals(("d", "id")),
        )
        .to_owned();
    let mut tree = roots;
    tree.union(sea_orm::sea_query::UnionType::All, children);
    let mut cte = sea_orm::sea_query::CommonTableExpression::new();
    cte.query(tree).table_name("d").column("id");
    WithClause::new().recursive(true).cte(cte).to_owned()
}

/// The rows of `M` whose id a link table pairs with the record of
/// `target_table` that has `key`.
fn linked_to<M>(
    link: &'static str,
    column: &'static str,
    target_column: &'static str,
    target_table: &'static str,
    key: &str,
) -> Filter<M> {
    let linked = Query::select()
        .column(("l", column))
        .from_as(link, "l")
        .inner_join(
            Alias::new(target_table),
            Expr::col((target_table, "id")).equals(("l", target_column)),
        )
        .and_where(Expr::col((target_table, "key")).eq(key))
        .to_owned();
    Filter::expr(t("id").in_subquery(linked))
}

/// Predicates on cities.
pub mod cities {
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
            crate::store::search::like_escape(&crate::store::search::fold(prefix))
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
}

/// `id IN (t.city_a_id, t.city_b_id)`: the id is one of a partnership's
/// two cities.
pub(crate) fn is_either_city(id: Expr) -> Expr {
    id.binary(
        BinOper::In,
        Expr::tuple([
            t(partnership::Column::CityAId),
            t(partnership::Column::CityBId),
        ]),
    )
}

/// Predicates on partnerships.
pub mod partnerships {
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
}

/// Predicates on visits.
pub mod visits {
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
}

/// Predicates on protocols.
pub mod protocols {
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
}

/// Predicates on events.
pub mod events {
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
}

/// Predicates on topics.
pub mod topics {
    use super::*;

    /// A direct child of the topic with this key.
    pub fn parent(key: &str) -> Filter<topic::Model> {
        Filter::expr(refers_to(topic::Column::ParentId, "topic", key))
    }

    /// A root of the tree (`true`) or below one (`false`).
    pub fn root(root: bool) -> Filter<topic::Model> {
        let parent = t(topic::Column::ParentId);
        Filter::expr(if root {
            parent.is_null()
        } else {
            parent.is_not_null()
        })
    }
}

/// Predicates on organizations.
pub mod organizations {
    use super::*;

    /// In the city with this key.
    pub fn city(key: &str) -> Filter<organization::Model> {
        Filter::expr(refers_to(organization::Column::CityId, "city", key))
    }

    /// Of one of these kinds.
    pub fn kinds(kinds: &[OrganizationKind]) -> Filter<organization::Model> {
        Filter::expr(t(organization::Column::Kind).is_in(kinds.iter().map(|k| k.as_str())))
    }
}

/// Predicates on sources.
pub mod sources {
    use super::*;

    /// Published by this publisher.
    pub fn publisher(publisher: &str) -> Filter<entity::source::Model> {
        Filter::expr(t(entity::source::Column::Publisher).eq(publisher))
    }
}

/// Predicates on the change history.
pub mod changes {
    use super::*;
    use crate::store::changes::ChangeRow;

    /// A text column of the history equals `value`.
    fn equals(column: &'static str, value: &str) -> Filter<ChangeRow> {
        Filter::expr(t(column).eq(value))
    }

    /// Changes to records of this GraphQL type.
    pub fn record_type(value: &str) -> Filter<ChangeRow> {
        equals("record_type", value)
    }

    /// Changes to the record with this key.
    pub fn record_key(value: &str) -> Filter<ChangeRow> {
        equals("record_key", value)
    }

    /// Changes made with this key name (or `cli`).
    pub fn actor(value: &str) -> Filter<ChangeRow> {
        equals("actor", value)
    }

    /// Changes made by this operation.
    pub fn operation(value: &str) -> Filter<ChangeRow> {
        equals("operation", value)
    }
}

//! The orderings lists can be read in, per kind of record. Each ends with a
//! unique key (the record key, or the id), so the order is total and a
//! position names one row. Nullable sort columns sort their NULLs as a
//! fallback value: last ascending, last descending.

use super::changes::ChangeRow;
use super::pages::{OrderKey, key};
use chrono::NaiveDate;
use entity::{
    city, event, organization, partnership, partnership_status_change, protocol, source, topic,
    visit,
};

/// The position value of a date.
fn date(day: NaiveDate) -> serde_json::Value {
    day.to_string().into()
}

/// The fallback of a missing date that sorts last going up.
const LATEST: &str = "9999-12-31";
/// The fallback of a missing date that sorts last going down.
const EARLIEST: &str = "0001-01-01";

/// The position value of a nullable date sorted with [`LATEST`].
fn latest(day: Option<NaiveDate>) -> serde_json::Value {
    day.map_or_else(|| LATEST.into(), date)
}

/// The position value of a nullable date sorted with [`EARLIEST`].
fn earliest(day: Option<NaiveDate>) -> serde_json::Value {
    day.map_or_else(|| EARLIEST.into(), date)
}

/// By key: the order of every list without one of its own.
macro_rules! by_key {
    ($model:ty) => {
        &[key!(Column("key"), Text, false, |m: &$model| m
            .key
            .clone()
            .into())]
    };
}

/// Orders of cities.
pub mod cities {
    use super::*;

    pub static BY_NAME: &[OrderKey<city::Model>] = &[
        key!(Column("name"), Text, false, |m| m.name.clone().into()),
        key!(Column("key"), Text, false, |m| m.key.clone().into()),
    ];
    pub static BY_KEY: &[OrderKey<city::Model>] = by_key!(city::Model);
    /// Largest first; unknown populations last.
    pub static BY_POPULATION_DESC: &[OrderKey<city::Model>] = &[
        key!(IntOr("population", -1), Int, true, |m| m
            .population
            .unwrap_or(-1)
            .into()),
        key!(Column("key"), Text, false, |m| m.key.clone().into()),
    ];
    pub static BY_COUNTRY: &[OrderKey<city::Model>] = &[
        key!(Column("country_code"), Text, false, |m| m
            .country_code
            .clone()
            .into()),
        key!(Column("name"), Text, false, |m| m.name.clone().into()),
        key!(Column("key"), Text, false, |m| m.key.clone().into()),
    ];
}

/// Orders of partnerships.
pub mod partnerships {
    use super::*;

    pub static BY_KEY: &[OrderKey<partnership::Model>] = by_key!(partnership::Model);
    /// Earliest established first; unknown dates last.
    pub static BY_ESTABLISHED: &[OrderKey<partnership::Model>] = &[
        key!(DateOr("established_on_start", LATEST), Date, false, |m| {
            latest(m.established_on_start)
        }),
        key!(Column("key"), Text, false, |m| m.key.clone().into()),
    ];
    /// Latest established first; unknown dates last.
    pub static BY_ESTABLISHED_DESC: &[OrderKey<partnership::Model>] = &[
        key!(DateOr("established_on_start", EARLIEST), Date, true, |m| {
            earliest(m.established_on_start)
        }),
        key!(Column("key"), Text, false, |m| m.key.clone().into()),
    ];
}

/// Orders of a partnership's status steps.
pub mod status_changes {
    use super::*;

    /// In date order; undated steps last, in the order they were recorded.
    pub static BY_DATE: &[OrderKey<partnership_status_change::Model>] = &[
        key!(DateOr("occurred_on_start", LATEST), Date, false, |m| {
            latest(m.occurred_on_start)
        }),
        key!(Column("id"), Int, false, |m| m.id.into()),
    ];
    /// In the history's own order (undated steps have no date to sort by).
    pub static BY_POSITION: &[OrderKey<partnership_status_change::Model>] = &[
        key!(Column("position"), Int, false, |m| m.position.into()),
        key!(Column("id"), Int, false, |m| m.id.into()),
    ];
    /// In the order they were recorded.
    pub static BY_ID: &[OrderKey<partnership_status_change::Model>] =
        &[key!(Column("id"), Int, false, |m| m.id.into())];
}

/// Orders of visits.
pub mod visits {
    use super::*;

    /// Earliest first; of two starting the same day, the one whose start
    /// is known less precisely (a longer span, so a later last day) first,
    /// as `VisitOrderBy.START_DATE` documents.
    pub static BY_START: &[OrderKey<visit::Model>] = &[
        key!(Column("start_date_start"), Date, false, |m| date(
            m.start_date_start
        )),
        key!(Column("start_date_end"), Date, true, |m| date(
            m.start_date_end
        )),
        key!(Column("key"), Text, false, |m| m.key.clone().into()),
    ];
    pub static BY_START_DESC: &[OrderKey<visit::Model>] = &[
        key!(Column("start_date_start"), Date, true, |m| date(
            m.start_date_start
        )),
        key!(Column("key"), Text, false, |m| m.key.clone().into()),
    ];
    pub static BY_KEY: &[OrderKey<visit::Model>] = by_key!(visit::Model);
}

/// Orders of protocols.
pub mod protocols {
    use super::*;

    /// Earliest signed first; unsigned last.
    pub static BY_SIGNED: &[OrderKey<protocol::Model>] = &[
        key!(DateOr("signed_on_start", LATEST), Date, false, |m| {
            latest(m.signed_on_start)
        }),
        key!(Column("key"), Text, false, |m| m.key.clone().into()),
    ];
    /// Latest signed first; unsigned last.
    pub static BY_SIGNED_DESC: &[OrderKey<protocol::Model>] = &[
        key!(DateOr("signed_on_start", EARLIEST), Date, true, |m| {
            earliest(m.signed_on_start)
        }),
        key!(Column("key"), Text, false, |m| m.key.clone().into()),
    ];
    pub static BY_KEY: &[OrderKey<protocol::Model>] = by_key!(protocol::Model);
}

/// Orders of events.
pub mod events {
    use super::*;

    pub static BY_START: &[OrderKey<event::Model>] = &[
        key!(Column("start_date_start"), Date, false, |m| date(
            m.start_date_start
        )),
        key!(Column("key"), Text, false, |m| m.key.clone().into()),
    ];
    pub static BY_START_DESC: &[OrderKey<event::Model>] = &[
        key!(Column("start_date_start"), Date, true, |m| date(
            m.start_date_start
        )),
        key!(Column("key"), Text, false, |m| m.key.clone().into()),
    ];
    pub static BY_KEY: &[OrderKey<event::Model>] = by_key!(event::Model);
}

/// Orders of topics.
pub mod topics {
    use super::*;

    pub static BY_NAME: &[OrderKey<topic::Model>] = &[
        key!(Column("name"), Text, false, |m| m.name.clone().into()),
        key!(Column("key"), Text, false, |m| m.key.clone().into()),
    ];
}

/// Orders of organizations.
pub mod organizations {
    use super::*;

    pub static BY_NAME: &[OrderKey<organization::Model>] = &[
        key!(Column("name"), Text, false, |m| m.name.clone().into()),
        key!(Column("key"), Text, false, |m| m.key.clone().into()),
    ];
}

/// Orders of sources.
pub mod sources {
    use super::*;

    pub static BY_KEY: &[OrderKey<source::Model>] = by_key!(source::Model);
}

/// Orders of the change history.
pub mod changes {
    use super::*;

    pub static NEWEST_FIRST: &[OrderKey<ChangeRow>] =
        &[key!(Column("id"), Int, true, |m| m.id.into())];
}

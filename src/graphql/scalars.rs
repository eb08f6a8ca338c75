//! Scalars and small value types shared by the object types.

use crate::domain::partial_date;
use async_graphql::SimpleObject;

pub use crate::domain::partial_date::PartialDate;

/// How much of a date is known.
#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "partial_date::Precision")]
pub enum Precision {
    /// Only the year.
    Year,
    /// The year and month.
    Month,
    /// The exact day.
    Day,
}

/// A partial date with its precision and the span of days it covers. Every
/// list ordered by a partial date orders it by `start`, the first day it
/// covers (on the same first day, the coarser date first).
#[derive(SimpleObject)]
pub struct DateSpan {
    /// The date as written.
    pub value: PartialDate,
    /// How much of it is known.
    pub precision: Precision,
    /// The first day it covers.
    pub start: chrono::NaiveDate,
    /// The last day it covers.
    pub end: chrono::NaiveDate,
}

impl DateSpan {
    /// The span of a date.
    pub fn of(date: PartialDate) -> Self {
        Self {
            value: date,
            precision: date.precision().into(),
            start: date.start(),
            end: date.end(),
        }
    }

    /// The span of a stored date column.
    pub fn stored(text: Option<&str>) -> Option<Self> {
        PartialDate::stored(text).map(Self::of)
    }
}

//! Scalars and small value types shared by the object types.

use crate::partial_date::{self, PartialDate as Date};
use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, SimpleObject, Value};

/// A calendar date known to the year ("2015"), the month ("2014-03") or the
/// day ("2016-05-23"), written exactly as in the interchange format. Filters
/// and ordering treat it as the span of days it covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartialDate(pub Date);

#[Scalar(name = "PartialDate")]
impl ScalarType for PartialDate {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => text
                .parse()
                .map(PartialDate)
                .map_err(InputValueError::custom),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

impl PartialDate {
    /// A stored date column back as a scalar (stored text was validated).
    pub fn stored(text: Option<&str>) -> Option<Self> {
        text.and_then(|t| t.parse().ok()).map(PartialDate)
    }
}

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

/// A partial date with its precision and the span of days it covers.
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
    /// The span of a stored date column.
    pub fn stored(text: Option<&str>) -> Option<Self> {
        PartialDate::stored(text).map(|date| Self {
            value: date,
            precision: date.0.precision().into(),
            start: date.0.start(),
            end: date.0.end(),
        })
    }
}

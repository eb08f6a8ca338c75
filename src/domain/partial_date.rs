//! Dates of reduced precision: "2015", "2014-03" or "2016-05-23".
//!
//! Sources often know a date only to the month or the year, and that
//! precision is part of the fact. A [`PartialDate`] keeps it, prints back
//! exactly as it was written, and covers a span of days (`start..=end`) so
//! that filters and ordering can treat "2015" as all of 2015.

use chrono::{Datelike, NaiveDate};
use std::{fmt, str::FromStr};

/// How much of a date is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Precision {
    /// Only the year: "2015".
    Year,
    /// The year and month: "2014-03".
    Month,
    /// The exact day: "2016-05-23".
    Day,
}

/// A calendar date known to the year, month or day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PartialDate {
    start: NaiveDate,
    precision: Precision,
}

/// Why a text is not a partial date; the message quotes the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a date (expected YYYY, YYYY-MM or YYYY-MM-DD)")]
pub struct InvalidDate(pub String);

impl PartialDate {
    /// How much of the date is known.
    pub fn precision(self) -> Precision {
        self.precision
    }

    /// The first day of the span the date covers.
    pub fn start(self) -> NaiveDate {
        self.start
    }

    /// The last day of the span the date covers.
    pub fn end(self) -> NaiveDate {
        let (year, month) = (self.start.year(), self.start.month());
        let last_day = |year, month| {
            let (next_year, next_month) = if month == 12 {
                (year + 1, 1)
            } else {
                (year, month + 1)
            };
            NaiveDate::from_ymd_opt(next_year, next_month, 1)
                .and_then(|first| first.pred_opt())
                .unwrap_or(self.start)
        };
        match self.precision {
            Precision::Day => self.start,
            Precision::Month => last_day(year, month),
            Precision::Year => last_day(year, 12),
        }
    }

    /// A day-precision date.
    pub fn from_day(day: NaiveDate) -> Self {
        Self {
            start: day,
            precision: Precision::Day,
        }
    }
}

impl FromStr for PartialDate {
    type Err = InvalidDate;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidDate(text.to_owned());
        let bytes = text.as_bytes();
        let digits = |range: std::ops::Range<usize>| -> Result<u32, InvalidDate> {
            let part = text.get(range).ok_or_else(invalid)?;
            if part.bytes().all(|b| b.is_ascii_digit()) {
                part.parse().map_err(|_| invalid())
            } else {
                Err(invalid())
            }
        };
        let dash_at = |i: usize| bytes.get(i) == Some(&b'-');
        let year = i32::try_from(digits(0..4)?).map_err(|_| invalid())?;
        let (month, day, precision) = match bytes.len() {
            4 => (1, 1, Precision::Year),
            7 if dash_at(4) => (digits(5..7)?, 1, Precision::Month),
            10 if dash_at(4) && dash_at(7) => (digits(5..7)?, digits(8..10)?, Precision::Day),
            _ => return Err(invalid()),
        };
        let start = NaiveDate::from_ymd_opt(year, month, day).ok_or_else(invalid)?;
        Ok(Self { start, precision })
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.start;
        match self.precision {
            Precision::Year => write!(f, "{:04}", d.year()),
            Precision::Month => write!(f, "{:04}-{:02}", d.year(), d.month()),
            Precision::Day => write!(f, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day()),
        }
    }
}

impl PartialDate {
    /// A date column as stored (text validated on the way in).
    pub fn stored(text: Option<&str>) -> Option<Self> {
        text.and_then(|t| t.parse().ok())
    }
}

/// In GraphQL: a calendar date known to the year ("2015"), the month
/// ("2014-03") or the day ("2016-05-23"), written exactly as in the
/// interchange format. Filters and ordering treat it as the span of days it
/// covers.
#[async_graphql::Scalar(name = "PartialDate")]
impl async_graphql::ScalarType for PartialDate {
    fn parse(value: async_graphql::Value) -> async_graphql::InputValueResult<Self> {
        match &value {
            async_graphql::Value::String(text) => {
                text.parse().map_err(async_graphql::InputValueError::custom)
            }
            _ => Err(async_graphql::InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> async_graphql::Value {
        async_graphql::Value::String(self.to_string())
    }
}

impl serde::Serialize for PartialDate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for PartialDate {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> PartialDate {
        text.parse().expect("valid date")
    }

    #[test]
    fn keeps_precision_and_prints_back_exactly() {
        for text in ["2015", "2014-03", "2016-05-23", "0999-12-31"] {
            assert_eq!(date(text).to_string(), text);
        }
        assert_eq!(date("2015").precision(), Precision::Year);
        assert_eq!(date("2014-03").precision(), Precision::Month);
    }

    #[test]
    fn covers_the_span_of_its_precision() {
        assert_eq!(date("2015").start().to_string(), "2015-01-01");
        assert_eq!(date("2015").end().to_string(), "2015-12-31");
        assert_eq!(date("2016-02").end().to_string(), "2016-02-29");
        assert_eq!(date("2015-02").end().to_string(), "2015-02-28");
        assert_eq!(date("2016-05-23").end(), date("2016-05-23").start());
    }

    #[test]
    fn rejects_what_is_not_a_calendar_date() {
        for text in [
            "2015-13-01",
            "2015-02-30",
            "15",
            "2015-1",
            "2015/01",
            "２０１５",
            "2015-01-01T00",
            "",
        ] {
            let err = text.parse::<PartialDate>().expect_err(text);
            assert!(err.to_string().contains("is not a date"), "{err}");
        }
    }
}

//! The pieces every `filter:` input shares: date spans, number ranges, and
//! the `and`/`or`/`not` combinators. Each input turns into a
//! [`Filter`] of the store's typed predicates.

use crate::graphql::scalars::PartialDate;
use crate::store::filters::{Filter, Span};
use async_graphql::InputObject;

/// A filter input: its own fields' predicates (all must hold), and the
/// `and`, `or` and `not` operands.
pub trait ToFilter: Sized {
    /// The rows it filters.
    type Rows;

    /// The predicates of this input's own fields.
    fn predicates(&self, out: &mut Vec<Filter<Self::Rows>>);

    /// The `and`, `or` and `not` operands.
    fn combinators(&self) -> (Option<&[Self]>, Option<&[Self]>, Option<&Self>);

    /// The whole filter: every row when nothing is asked.
    fn to_filter(&self) -> Filter<Self::Rows> {
        let mut parts = Vec::new();
        self.predicates(&mut parts);
        let (and, or, not) = self.combinators();
        parts.extend(and.into_iter().flatten().map(ToFilter::to_filter));
        if let Some(operands) = or {
            parts.push(Filter::any(operands.iter().map(ToFilter::to_filter)));
        }
        if let Some(operand) = not {
            parts.push(!operand.to_filter());
        }
        Filter::all(parts)
    }
}

/// The filter of an optional input: every row without one.
pub fn matching<F: ToFilter>(input: Option<&F>) -> Filter<F::Rows> {
    input.map_or_else(Filter::everything, ToFilter::to_filter)
}

/// A span of days between two partial dates, both ends inclusive and
/// optional: `{ from: "2015-06-01", to: "2015-06-30" }`. A record matches
/// when its own span overlaps it, so a visit dated "2015" matches June 2015.
#[derive(InputObject, Clone, Default)]
pub struct DateRange {
    /// From the first day of this date.
    pub from: Option<PartialDate>,
    /// To the last day of this date.
    pub to: Option<PartialDate>,
}

impl DateRange {
    /// The span it stands for.
    pub fn span(&self) -> Span {
        Span {
            from: self.from,
            to: self.to,
        }
    }
}

/// A range of integers, both ends inclusive and optional.
#[derive(InputObject, Clone, Default)]
pub struct IntRange {
    /// At least this.
    pub min: Option<i64>,
    /// At most this.
    pub max: Option<i64>,
}

/// Declares the `and`/`or`/`not` part of a filter's [`ToFilter`] impl.
macro_rules! combinators {
    () => {
        fn combinators(&self) -> (Option<&[Self]>, Option<&[Self]>, Option<&Self>) {
            (self.and.as_deref(), self.or.as_deref(), self.not.as_deref())
        }
    };
}
pub(crate) use combinators;

/// Rows `predicate` keeps for at least one of `values`: the list form of a
/// filter on a field a record has one of (no row for an empty list).
pub fn any_of<M>(values: &[String], predicate: impl Fn(&str) -> Filter<M>) -> Filter<M> {
    Filter::any(values.iter().map(|value| predicate(value)))
}

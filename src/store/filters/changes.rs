//! Predicates on the change history..

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

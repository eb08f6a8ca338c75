//! Predicates on sources..

use super::*;

/// Published by this publisher.
pub fn publisher(publisher: &str) -> Filter<entity::source::Model> {
    Filter::expr(t(entity::source::Column::Publisher).eq(publisher))
}

//! Predicates on topics..

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

//! What a write did to each record it touched: the unit of the change
//! history, of live updates and of their subscribers' filters.

use serde_json::{Map, Value};

/// What happened to a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, async_graphql::Enum)]
pub enum Action {
    /// The record was created.
    Created,
    /// Some of its fields changed.
    Updated,
    /// The record was deleted.
    Deleted,
}

impl Action {
    /// The action as stored, the inverse of [`Action::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        [Action::Created, Action::Updated, Action::Deleted]
            .into_iter()
            .find(|a| a.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Created => "CREATED",
            Action::Updated => "UPDATED",
            Action::Deleted => "DELETED",
        }
    }
}

/// One record's change: its type and key, and (for updates) only the
/// fields that changed, before and after, as interchange JSON.
#[derive(Clone, Debug)]
pub struct RecordChange {
    pub record_type: &'static str,
    pub key: String,
    pub action: Action,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl RecordChange {
    /// A change between two versions of a record, keeping only the fields
    /// that differ (absent fields count as null).
    pub fn between(
        record_type: &'static str,
        key: &str,
        before: Option<Value>,
        after: Option<Value>,
    ) -> Self {
        let action = match (&before, &after) {
            (None, _) => Action::Created,
            (_, None) => Action::Deleted,
            _ => Action::Updated,
        };
        let (before, after) = match (before, after) {
            (Some(Value::Object(old)), Some(Value::Object(new))) => {
                let mut changed_old = Map::new();
                let mut changed_new = Map::new();
                let fields: std::collections::BTreeSet<&String> =
                    old.keys().chain(new.keys()).collect();
                for field in fields {
                    let (a, b) = (
                        old.get(field).unwrap_or(&Value::Null),
                        new.get(field).unwrap_or(&Value::Null),
                    );
                    if a != b {
                        changed_old.insert(field.clone(), a.clone());
                        changed_new.insert(field.clone(), b.clone());
                    }
                }
                (
                    Some(Value::Object(changed_old)),
                    Some(Value::Object(changed_new)),
                )
            }
            other => other,
        };
        Self {
            record_type,
            key: key.to_owned(),
            action,
            before,
            after,
        }
    }
}

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

/// A record's content after one more change of its history: a creation
/// sets it, an update replaces the fields it names (a null field is an
/// absent one) and a deletion clears it. Folding a record's changes in
/// order gives its content as of the last one, which is how the change
/// feed shows a record without storing it whole at every change.
pub fn apply(content: &mut Option<Value>, action: Action, after: Option<Value>) {
    match (action, after) {
        (Action::Deleted, _) => *content = None,
        (Action::Created, after) => *content = after,
        (Action::Updated, Some(Value::Object(fields))) => {
            let record = content.get_or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(record) = record {
                for (field, value) in fields {
                    if value.is_null() {
                        record.remove(&field);
                    } else {
                        record.insert(field, value);
                    }
                }
            }
        }
        (Action::Updated, _) => {}
    }
}

/// The change feed's opaque cursor for the position after change set `id`
/// (base64url of `["feed", id]`): valid on every server of one database
/// and across restarts, since change-set ids follow commit order and are
/// never reused. Exports name the cursor they were taken at.
pub fn feed_cursor(id: i64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::json!(["feed", id]).to_string())
}

/// The change set a feed cursor names, the inverse of [`feed_cursor`].
pub fn parse_feed_cursor(text: &str) -> Option<i32> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .ok()?;
    match serde_json::from_slice::<Value>(&bytes).ok()? {
        Value::Array(parts) if parts.len() == 2 && parts[0] == "feed" => {
            i32::try_from(parts[1].as_i64()?).ok()
        }
        _ => None,
    }
}

//! Holding a scoped editor to its cities: every record a write touched, as
//! it was before and as it is now, must belong to a city of the scope
//! (`domain::scope` says which records belong to which cities). The check
//! runs on the write's own changes inside its transaction, before the
//! change set is recorded and the transaction commits, so that it sees
//! exactly what the write did — a cascade's deletions and detachments, an
//! import's every record, the partnerships a protocol's signing moved on —
//! and a refusal rolls all of it back.

use super::document::Document;
use super::export::one_as_json;
use super::import::ImportError;
use super::records::Stored;
use crate::domain::changes::{Action, RecordChange};
use crate::domain::kinds::Kind;
use crate::domain::scope::{Scope, refusal};
use sea_orm::{ConnectionTrait, DbErr};
use serde_json::Value;

/// Why `scope` may not make `changes`, naming the first record at fault;
/// `None` when every change is within it. `whose` names the caller
/// ("this key's").
pub async fn out_of_scope(
    db: &impl ConnectionTrait,
    scope: &Scope,
    whose: &str,
    changes: &[RecordChange],
) -> Result<Option<String>, DbErr> {
    for change in changes {
        let Some(kind) = Kind::from_type_name(change.record_type) else {
            return Ok(Some(format!(
                "{} {} is not a record a scoped editor may change",
                change.record_type, change.key
            )));
        };
        let (before, after) = whole(db, kind, change).await?;
        if let Some(reason) = refusal(
            scope,
            whose,
            (kind, &change.key),
            before.as_ref(),
            after.as_ref(),
        ) {
            return Ok(Some(reason));
        }
    }
    Ok(None)
}

/// The whole record before and after a change: an update keeps only the
/// fields that changed, so the rest comes from the record as it is now.
async fn whole(
    db: &impl ConnectionTrait,
    kind: Kind,
    change: &RecordChange,
) -> Result<(Option<Value>, Option<Value>), DbErr> {
    if change.action != Action::Updated {
        return Ok((change.before.clone(), change.after.clone()));
    }
    let now = one_as_json(db, kind, &change.key).await?;
    let mut before = now.clone().or_else(|| change.before.clone());
    if let (Some(Value::Object(whole)), Some(Value::Object(changed))) =
        (before.as_mut(), change.before.as_ref())
    {
        for (field, value) in changed {
            whole.insert(field.clone(), value.clone());
        }
    }
    Ok((before, now.or_else(|| change.after.clone())))
}

/// Why `scope` may not write `document`, naming its first record that
/// belongs to no city of the scope; checked before anything is written, so
/// that a document is refused whole even where it would leave a record as
/// it is. (What its records were before, and what a write does besides,
/// [`out_of_scope`] checks on the changes.)
pub fn document_out_of_scope(scope: &Scope, whose: &str, document: &Document) -> Option<String> {
    fn first<R: serde::Serialize + Stored>(
        records: &[R],
        check: &dyn Fn(Kind, &str, &Value) -> Option<String>,
    ) -> Option<String> {
        records.iter().find_map(|record| {
            let json = serde_json::to_value(record).ok()?;
            let key = json.get("key")?.as_str()?.to_owned();
            check(R::KIND, &key, &json)
        })
    }
    // Only kinds that belong to cities are listed below, so the record can
    // stand as the state checked ("involves"), not as a change to it.
    let check = |kind: Kind, key: &str, record: &Value| {
        refusal(scope, whose, (kind, key), Some(record), None)
    };
    first(&document.cities, &check)
        .or_else(|| first(&document.organizations, &check))
        .or_else(|| first(&document.partnerships, &check))
        .or_else(|| first(&document.events, &check))
        .or_else(|| first(&document.visits, &check))
        .or_else(|| first(&document.protocols, &check))
}

/// An import's scope and how messages name it, if it has one.
type ImportScope<'a> = Option<(&'a Scope, &'a str)>;

/// [`document_out_of_scope`] for an import.
pub(super) fn check_document(
    scope: ImportScope<'_>,
    document: &Document,
) -> Result<(), ImportError> {
    match scope.and_then(|(scope, whose)| document_out_of_scope(scope, whose, document)) {
        Some(reason) => Err(ImportError::OutOfScope(reason)),
        None => Ok(()),
    }
}

/// [`out_of_scope`] for an import.
pub(super) async fn check_changes(
    db: &impl ConnectionTrait,
    scope: ImportScope<'_>,
    changes: &[RecordChange],
) -> Result<(), ImportError> {
    let Some((scope, whose)) = scope else {
        return Ok(());
    };
    match out_of_scope(db, scope, whose, changes).await? {
        Some(reason) => Err(ImportError::OutOfScope(reason)),
        None => Ok(()),
    }
}

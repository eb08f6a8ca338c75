//! Scoped editors: the cities a caller may change, which cities each kind
//! of record belongs to, and why a change is refused. Pure rules over a
//! record's interchange JSON, so that the same check reads a document's
//! records, stored records and the history's snapshots alike.

use super::kinds::Kind;
use serde_json::Value;
use std::collections::BTreeSet;
use std::fmt;

/// The city keys a scoped caller may change records of. Never empty: a
/// caller without a scope is unscoped (see `Principal::scope`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope(BTreeSet<String>);

/// Why a scope could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("a scope names at least one city key")]
    Empty,
    #[error("{0:?} is not a city key (lowercase letters, digits and hyphens)")]
    NotAKey(String),
}

impl Scope {
    /// A scope of these city keys; each must look like a key.
    pub fn new<I, S>(keys: I) -> Result<Self, ScopeError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut set = BTreeSet::new();
        for key in keys {
            let key = key.as_ref().trim();
            if !is_key(key) {
                return Err(ScopeError::NotAKey(key.to_owned()));
            }
            set.insert(key.to_owned());
        }
        if set.is_empty() {
            return Err(ScopeError::Empty);
        }
        Ok(Self(set))
    }

    /// A scope as stored and as given on the command line: `murmansk,kirkenes`.
    pub fn parse(text: &str) -> Result<Self, ScopeError> {
        Self::new(text.split(',').filter(|k| !k.trim().is_empty()))
    }

    /// The city keys, in order.
    pub fn cities(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// Whether any of `cities` is in the scope.
    pub fn admits_any<'a>(&self, mut cities: impl Iterator<Item = &'a str>) -> bool {
        cities.any(|city| self.0.contains(city))
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<&str> = self.cities().collect();
        f.write_str(&keys.join(","))
    }
}

/// The shape of a record key (as the interchange format checks it), so that
/// a scope cannot name something no city could be called.
fn is_key(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 120
        && text.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Whom a record belongs to.
#[derive(Debug, PartialEq, Eq)]
pub enum Owners {
    /// Records of these cities (a city itself, an organization's city, a
    /// partnership's or a protocol's parties, a visit's ends, an event's
    /// host).
    Cities(Vec<String>),
    /// Shared reference data: topics and sources.
    Shared,
}

/// The cities a record (as interchange JSON) belongs to.
pub fn owners(kind: Kind, record: &Value) -> Owners {
    let text = |field: &str| record.get(field).and_then(Value::as_str).map(str::to_owned);
    let list = |field: &str| -> Vec<String> {
        record
            .get(field)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    match kind {
        Kind::Source | Kind::Topic => Owners::Shared,
        Kind::City => Owners::Cities(text("key").into_iter().collect()),
        Kind::Organization => Owners::Cities(text("city").into_iter().collect()),
        Kind::Partnership => Owners::Cities(list("cities")),
        Kind::Protocol => Owners::Cities(list("parties")),
        Kind::Visit => Owners::Cities(text("fromCity").into_iter().chain(text("toCity")).collect()),
        Kind::Event => Owners::Cities(text("hostCity").into_iter().collect()),
    }
}

/// Why `scope` may not make a change to the record of `kind` with `key`,
/// given its whole state before and after (`None`: it did not exist /
/// does not any more); `None` when it may. `whose` names the caller in the
/// message ("this key's", "this token's").
pub fn refusal(
    scope: &Scope,
    whose: &str,
    (kind, key): (Kind, &str),
    before: Option<&Value>,
    after: Option<&Value>,
) -> Option<String> {
    let name = kind.singular();
    let outside = |record: &Value| match owners(kind, record) {
        Owners::Cities(cities) => !scope.admits_any(cities.iter().map(String::as_str)),
        Owners::Shared => false,
    };
    if owners(kind, before.or(after)?) == Owners::Shared {
        return before.map(|_| {
            format!(
                "{name} {key} is shared reference data: only an unscoped editor may change or delete it"
            )
        });
    }
    if before.is_some_and(outside) {
        return Some(format!(
            "{name} {key} involves no city in {whose} scope ({scope})"
        ));
    }
    if after.is_some_and(outside) {
        return Some(format!(
            "{name} {key} would involve no city in {whose} scope ({scope})"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn murmansk() -> Scope {
        Scope::parse("murmansk, kirkenes").expect("a scope")
    }

    #[test]
    fn scopes_read_and_print_as_comma_separated_keys() {
        assert_eq!(murmansk().to_string(), "kirkenes,murmansk");
        assert_eq!(Scope::parse(" ,"), Err(ScopeError::Empty));
        assert_eq!(
            Scope::parse("murmansk,Harbin"),
            Err(ScopeError::NotAKey("Harbin".into()))
        );
    }

    #[test]
    fn either_end_of_a_visit_admits_it_and_a_move_out_of_scope_is_refused() {
        let scope = murmansk();
        let ours = json!({"key": "v", "fromCity": "harbin", "toCity": "murmansk"});
        let theirs = json!({"key": "v", "fromCity": "harbin", "toCity": "shenyang"});
        let visit = (Kind::Visit, "v");
        assert_eq!(
            refusal(&scope, "this key's", visit, None, Some(&ours)),
            None
        );
        assert_eq!(
            refusal(&scope, "this key's", visit, Some(&theirs), None).as_deref(),
            Some("visit v involves no city in this key's scope (kirkenes,murmansk)")
        );
        assert!(refusal(&scope, "this key's", visit, Some(&ours), Some(&theirs)).is_some());
        assert!(refusal(&scope, "this key's", visit, Some(&theirs), Some(&ours)).is_some());
    }

    #[test]
    fn shared_records_may_be_created_but_not_changed() {
        let topic = json!({"key": "t", "name": "T"});
        let scope = murmansk();
        assert_eq!(
            refusal(&scope, "x", (Kind::Topic, "t"), None, Some(&topic)),
            None
        );
        assert!(refusal(&scope, "x", (Kind::Topic, "t"), Some(&topic), Some(&topic)).is_some());
        assert!(refusal(&scope, "x", (Kind::Topic, "t"), Some(&topic), None).is_some());
    }
}

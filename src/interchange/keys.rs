//! Which database id each key stands for, per kind of record: the bridge
//! between the interchange format (keys) and the database (ids).

use std::borrow::Cow;
use std::collections::HashMap;

/// The kinds of record, each with its table and its array in a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Source,
    Topic,
    City,
    Organization,
    Partnership,
    Event,
    Visit,
    Protocol,
}

impl Kind {
    /// Every kind, in the order a document lists them (and import writes them).
    pub const ALL: [Kind; 8] = [
        Kind::Source,
        Kind::Topic,
        Kind::City,
        Kind::Organization,
        Kind::Partnership,
        Kind::Event,
        Kind::Visit,
        Kind::Protocol,
    ];

    /// The table that stores this kind.
    pub fn table(self) -> &'static str {
        match self {
            Kind::Source => "source",
            Kind::Topic => "topic",
            Kind::City => "city",
            Kind::Organization => "organization",
            Kind::Partnership => "partnership",
            Kind::Event => "event",
            Kind::Visit => "visit",
            Kind::Protocol => "protocol",
        }
    }

    /// The name of its array in a document (and in import reports).
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Source => "sources",
            Kind::Topic => "topics",
            Kind::City => "cities",
            Kind::Organization => "organizations",
            Kind::Partnership => "partnerships",
            Kind::Event => "events",
            Kind::Visit => "visits",
            Kind::Protocol => "protocols",
        }
    }

    /// The GraphQL type name of this kind, as in global ids and the history.
    pub fn type_name(self) -> &'static str {
        match self {
            Kind::Source => "Source",
            Kind::Topic => "Topic",
            Kind::City => "City",
            Kind::Organization => "Organization",
            Kind::Partnership => "Partnership",
            Kind::Event => "Event",
            Kind::Visit => "Visit",
            Kind::Protocol => "Protocol",
        }
    }

    /// The name of one record, for messages ("no city with key …").
    pub fn singular(self) -> &'static str {
        self.table()
    }
}

/// Keys and ids of one kind of record, both ways.
#[derive(Debug, Default)]
pub struct KeyMap {
    by_key: HashMap<String, i32>,
    by_id: HashMap<i32, String>,
}

impl KeyMap {
    /// Records that `key` is stored under `id`.
    pub fn insert(&mut self, id: i32, key: &str) {
        self.by_key.insert(key.to_owned(), id);
        self.by_id.insert(id, key.to_owned());
    }

    /// The id of a key, if known.
    pub fn id(&self, key: &str) -> Option<i32> {
        self.by_key.get(key).copied()
    }

    /// Whether the key is known.
    pub fn contains(&self, key: &str) -> bool {
        self.by_key.contains_key(key)
    }

    /// The key of an id. An id this map does not know (a record the document
    /// does not mention) shows as `#id`, which no key can equal, so that a
    /// record pointing at it compares as changed.
    pub fn key(&self, id: i32) -> Cow<'_, str> {
        match self.by_id.get(&id) {
            Some(key) => Cow::Borrowed(key),
            None => Cow::Owned(format!("#{id}")),
        }
    }
}

/// A [`KeyMap`] per kind.
#[derive(Debug, Default)]
pub struct Keys {
    maps: [KeyMap; 8],
}

impl Keys {
    /// The map of one kind.
    pub fn of(&self, kind: Kind) -> &KeyMap {
        &self.maps[kind as usize]
    }

    /// The map of one kind, to fill.
    pub fn of_mut(&mut self, kind: Kind) -> &mut KeyMap {
        &mut self.maps[kind as usize]
    }

    /// The id of a key that resolution guaranteed to exist.
    pub fn id(&self, kind: Kind, key: &str) -> i32 {
        // Import resolves every reference before writing, so a miss here is a
        // bug; 0 matches no row and makes the foreign key fail loudly.
        self.of(kind).id(key).unwrap_or(0)
    }
}

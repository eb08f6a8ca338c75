//! Which database id each key stands for, per kind of record: the bridge
//! between the interchange format (keys) and the database (ids).

use std::borrow::Cow;
use std::collections::HashMap;

pub use crate::domain::kinds::Kind;

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

    /// Records every `(id, key)` pair.
    pub fn insert_all(&mut self, pairs: impl IntoIterator<Item = (i32, String)>) {
        for (id, key) in pairs {
            self.by_key.insert(key.clone(), id);
            self.by_id.insert(id, key);
        }
    }

    /// The id of a key, if known.
    pub fn id(&self, key: &str) -> Option<i32> {
        self.by_key.get(key).copied()
    }

    /// Whether the key is known.
    pub fn contains(&self, key: &str) -> bool {
        self.by_key.contains_key(key)
    }

    /// Every key, in the order export writes records (Rust's string order,
    /// whatever the database's collation).
    pub fn sorted_keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self.by_key.keys().map(String::as_str).collect();
        keys.sort_unstable();
        keys
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

//! The kinds of record: the one list the table names, GraphQL type names,
//! search-index codes, interchange arrays and global ids all derive from.

/// A kind of record. The order is a document's (and import's): every kind
/// comes after the kinds its records refer to.
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

/// What each kind is called where.
struct Names {
    /// The table that stores it (and the name of one record in messages).
    table: &'static str,
    /// Its GraphQL type, as in global ids and the change history.
    type_name: &'static str,
    /// Its array in an interchange document (and in import reports).
    plural: &'static str,
    /// Its code in the search index; stored, so never renumbered.
    search_code: i16,
}

/// In the order of [`Kind`]'s variants.
const NAMES: [Names; 8] = [
    Names {
        table: "source",
        type_name: "Source",
        plural: "sources",
        search_code: 8,
    },
    Names {
        table: "topic",
        type_name: "Topic",
        plural: "topics",
        search_code: 6,
    },
    Names {
        table: "city",
        type_name: "City",
        plural: "cities",
        search_code: 1,
    },
    Names {
        table: "organization",
        type_name: "Organization",
        plural: "organizations",
        search_code: 7,
    },
    Names {
        table: "partnership",
        type_name: "Partnership",
        plural: "partnerships",
        search_code: 2,
    },
    Names {
        table: "event",
        type_name: "Event",
        plural: "events",
        search_code: 5,
    },
    Names {
        table: "visit",
        type_name: "Visit",
        plural: "visits",
        search_code: 3,
    },
    Names {
        table: "protocol",
        type_name: "Protocol",
        plural: "protocols",
        search_code: 4,
    },
];

impl Kind {
    /// Every kind, in document order.
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

    const fn names(self) -> &'static Names {
        &NAMES[self as usize]
    }

    /// The table that stores this kind.
    pub const fn table(self) -> &'static str {
        self.names().table
    }

    /// The name of its array in a document (and in import reports).
    pub const fn plural(self) -> &'static str {
        self.names().plural
    }

    /// The GraphQL type name of this kind, as in global ids and the history.
    pub const fn type_name(self) -> &'static str {
        self.names().type_name
    }

    /// The name of one record, for messages ("no city with key …").
    pub const fn singular(self) -> &'static str {
        self.table()
    }

    /// Its code in the search index.
    pub const fn search_code(self) -> i16 {
        self.names().search_code
    }

    /// The kind with this GraphQL type name.
    pub fn from_type_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.type_name() == name)
    }

    /// The kind stored in a table.
    pub fn from_table(table: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.table() == table)
    }

    /// The kind of a search-index code.
    pub fn from_search_code(code: i64) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| i64::from(k.search_code()) == code)
    }
}

#[cfg(test)]
mod tests {
    use super::Kind;

    #[test]
    fn every_name_and_code_finds_its_kind_again() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_type_name(kind.type_name()), Some(kind));
            assert_eq!(Kind::from_table(kind.table()), Some(kind));
            assert_eq!(
                Kind::from_search_code(kind.search_code().into()),
                Some(kind)
            );
        }
        let mut codes: Vec<i16> = Kind::ALL.iter().map(|k| k.search_code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Kind::ALL.len());
    }
}

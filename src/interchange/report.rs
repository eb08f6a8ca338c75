//! What an import did: counts per kind of record, and the change set.

use super::keys::Kind;
use std::fmt;

/// What an import did to one kind of record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// What an import did, per kind of record in document order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub counts: Vec<(Kind, Counts)>,
    /// The change set that records the import; none for a dry run or an
    /// import that changed nothing.
    pub change_set: Option<i32>,
    /// It wrote about as many records as were stored: its transaction
    /// counted the statistics anew, and once it has committed, PostgreSQL's
    /// planner should measure the tables again
    /// ([`crate::store::planner_statistics::refresh`]).
    pub bulk: bool,
}

impl ImportReport {
    /// The counts of one kind.
    pub fn of(&self, kind: Kind) -> Counts {
        self.counts
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, c)| *c)
            .unwrap_or_default()
    }

    /// Whether the import changed anything at all.
    pub fn changed_anything(&self) -> bool {
        self.counts.iter().any(|(_, c)| c.created + c.updated > 0)
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<14} {:>9} {:>9} {:>9}",
            "", "created", "updated", "unchanged"
        )?;
        for (kind, c) in &self.counts {
            writeln!(
                f,
                "{:<14} {:>9} {:>9} {:>9}",
                kind.plural(),
                c.created,
                c.updated,
                c.unchanged
            )?;
        }
        Ok(())
    }
}

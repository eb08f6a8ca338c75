//! What can be wrong with an interchange document, each problem with the
//! place it is at, so that a partner can fix a file in one pass.

use std::fmt;

/// At most this many problems are listed; the rest are counted.
pub const MAX_LISTED: usize = 100;

/// What kind of problem, as a stable code for programs (the GraphQL
/// `userErrors[].code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, async_graphql::Enum)]
pub enum ProblemCode {
    /// The text is not JSON.
    InvalidJson,
    /// A field the format does not have.
    UnknownField,
    /// A value of the wrong type or out of range, a malformed key or code.
    InvalidValue,
    /// A text longer than its field allows.
    TooLong,
    /// A date that is not a date, or an end before its start.
    InvalidDate,
    /// A reference to a record that does not exist.
    NotFound,
    /// A key used twice, or a record that already exists.
    DuplicateKey,
    /// A second partnership for the same pair of cities and kind.
    DuplicatePartnership,
    /// A topic that would become its own ancestor.
    Cycle,
    /// The record changed since the client read it.
    Conflict,
    /// A status change the partnership lifecycle does not allow.
    InvalidTransition,
    /// A record that others still refer to.
    HasDependents,
}

/// One problem at one place: `visits[3].toCity: no city with key "harbin-2"`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// What kind of problem.
    pub code: ProblemCode,
    /// Where: a path into the document (`protocols[0].signedOn`), or a line
    /// and column when the text is not JSON at all.
    pub path: String,
    /// What is wrong, quoting the offending value.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// The problems found in a document, capped at [`MAX_LISTED`].
#[derive(Debug, Default, Clone)]
pub struct Problems {
    listed: Vec<Problem>,
    total: usize,
}

impl Problems {
    /// Records a problem at `path`.
    pub fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.push_code(ProblemCode::InvalidValue, path, message);
    }

    /// Records a problem of a given kind at `path`.
    pub fn push_code(
        &mut self,
        code: ProblemCode,
        path: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.total += 1;
        if self.listed.len() < MAX_LISTED {
            self.listed.push(Problem {
                code,
                path: path.into(),
                message: message.into(),
            });
        }
    }

    /// Adds the problems of a later stage after these, each path and
    /// message passed through `place`; still capped, the rest counted.
    pub fn append(&mut self, later: Problems, place: impl Fn(&str) -> String) {
        let unlisted = later.total - later.listed.len();
        for problem in later.listed {
            self.push_code(problem.code, place(&problem.path), place(&problem.message));
        }
        self.total += unlisted;
    }

    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The problems listed, in document order.
    pub fn listed(&self) -> &[Problem] {
        &self.listed
    }

    /// How many problems there were, listed or not.
    pub fn total(&self) -> usize {
        self.total
    }

    /// `Ok(())` when empty, else the problems as an error.
    pub fn into_result(self) -> Result<(), Problems> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let noun = if self.total == 1 {
            "problem"
        } else {
            "problems"
        };
        write!(f, "{} {noun} in the document", self.total)?;
        for problem in &self.listed {
            write!(f, "\n  {problem}")?;
        }
        if self.total > self.listed.len() {
            write!(f, "\n  … and {} more", self.total - self.listed.len())?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

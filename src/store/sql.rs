//! A small SQL builder: text with `?` placeholders and the values bound to
//! them, turned into a backend's statement (`$1, $2…` on PostgreSQL).

use sea_orm::{DbBackend, Statement, Value};
use std::fmt::Write;

/// SQL text and its bound values.
#[derive(Clone, Debug, Default)]
pub struct Sql {
    text: String,
    values: Vec<Value>,
}

impl Sql {
    /// SQL text without values.
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            values: Vec::new(),
        }
    }

    /// Appends text.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.text.push('?');
        self.values.push(value.into());
        self
    }

    /// Appends `?, ?, …` bound to each value (`NULL` for an empty list, which
    /// makes `x IN (NULL)` match nothing, as an empty list should).
    pub fn bind_list<V: Into<Value>>(&mut self, values: impl IntoIterator<Item = V>) -> &mut Self {
        let mut first = true;
        for value in values {
            if !first {
                self.text.push_str(", ");
            }
            first = false;
            self.bind(value);
        }
        if first {
            self.text.push_str("NULL");
        }
        self
    }

    /// Appends another fragment with its values.
    pub fn append(&mut self, other: &Sql) -> &mut Self {
        self.text.push_str(&other.text);
        self.values.extend(other.values.iter().cloned());
        self
    }

    /// Whether no text was written.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Text and values as one string: equal for equal fragments, so loaders
    /// can batch requests that share a query.
    pub fn signature(&self) -> String {
        let mut signature = self.text.clone();
        for value in &self.values {
            let _ = write!(signature, "\u{1f}{value:?}");
        }
        signature
    }

    /// The statement for a backend.
    pub fn statement(&self, backend: DbBackend) -> Statement {
        let text = match backend {
            DbBackend::Postgres => {
                let mut numbered = String::with_capacity(self.text.len() + 2 * self.values.len());
                let mut n = 0;
                for c in self.text.chars() {
                    if c == '?' {
                        n += 1;
                        let _ = write!(numbered, "${n}");
                    } else {
                        numbered.push(c);
                    }
                }
                numbered
            }
            _ => self.text.clone(),
        };
        Statement::from_sql_and_values(backend, text, self.values.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres_only() {
        let mut sql = Sql::new("SELECT * FROM city t WHERE t.id IN (");
        sql.bind_list([1, 2]).push(") AND t.name = ").bind("Harbin");
        assert_eq!(
            sql.statement(DbBackend::Postgres).sql,
            "SELECT * FROM city t WHERE t.id IN ($1, $2) AND t.name = $3"
        );
        assert_eq!(
            sql.statement(DbBackend::Sqlite).sql,
            "SELECT * FROM city t WHERE t.id IN (?, ?) AND t.name = ?"
        );
        assert_eq!(
            Sql::new("x IN (")
                .bind_list(Vec::<i32>::new())
                .push(")")
                .signature(),
            "x IN (NULL)"
        );
    }
}

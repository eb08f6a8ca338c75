//! The interchange format (`interchange.schema.json`): parse, validate,
//! import as one transaction, export in a stable order.

mod countries;
pub mod document;
pub mod example;
mod export;
mod import;
pub mod keys;
mod parse;
mod problems;
pub(crate) mod records;
mod report;
mod resolve;
pub mod scope;
mod status_changes;
pub mod stream;
mod validate;

pub use document::Document;
pub use export::{export, one, one_as_json, to_json};
pub use import::{
    Counts, ImportError, ImportOptions, ImportReport, import, import_in, import_with,
};
pub use keys::Kind;
pub use parse::parse;
pub use problems::{Problem, ProblemCode, Problems};
pub use validate::is_valid_key;

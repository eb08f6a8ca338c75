//! The domain's own rules and vocabulary, free of storage and transport:
//! dates known to the year, month or day, who may do what, and what a write
//! did to a record, and how search reads text.

pub mod access;
pub mod changes;
pub mod geo;
pub mod kinds;
pub mod lifecycle;
pub mod partial_date;
pub mod scope;
pub mod search_text;
pub mod vocabulary;
pub mod webhooks;

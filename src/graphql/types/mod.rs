//! The schema's object types, one file each with its filter and order
//! inputs and its root lookups.

pub mod change;
pub mod city;
pub mod city_filter;
pub mod city_partnerships;
pub mod event;
pub mod feed;
pub mod filter_input;
pub mod organization;
pub mod partnership;
pub mod protocol;
pub mod search;
pub mod sister_city;
pub mod source;
pub mod stats;
pub mod timeline;
pub mod topic;
pub mod visit;

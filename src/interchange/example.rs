//! The founding example (the Murmansk–Harbin partnership, 2014–2026), built
//! into the binary so that a new server has something to show.

use crate::interchange::{self, ImportError, ImportReport, Kind};
use crate::store::Db;
use crate::store::lookup;

/// `data/founding.json`, the example in the interchange format.
pub const FOUNDING_DOCUMENT: &str = include_str!("../../data/founding.json");

/// Imports the founding example if the database holds no city yet; returns
/// the report when it did.
pub async fn load_into_empty(db: &Db) -> Result<Option<ImportReport>, ImportError> {
    if !lookup::is_empty(db, Kind::City).await? {
        return Ok(None);
    }
    let document = interchange::parse(FOUNDING_DOCUMENT).map_err(ImportError::Invalid)?;
    interchange::import(db, &document, &|_| {}).await.map(Some)
}

//! Reading a document from text: JSON syntax first, then each record on its
//! own, so that every malformed record is reported, not just the first.

use super::document::{Document, FORMAT_VERSION};
use super::problems::{ProblemCode, Problems};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

/// The top level of a document, with each record left as raw text.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDocument<'a> {
    version: Option<serde_json::Value>,
    #[serde(borrow, default)]
    sources: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    topics: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    cities: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    organizations: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    partnerships: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    events: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    visits: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    protocols: Vec<&'a RawValue>,
}

/// Parses a document, or lists every record that does not have the shape
/// the format requires (unknown fields, wrong types or enum values, dates
/// that are not dates).
pub fn parse(text: &str) -> Result<Document, Problems> {
    let mut problems = Problems::default();
    let raw: RawDocument = match serde_json::from_str(text) {
        Ok(raw) => raw,
        Err(err) => {
            let place = format!("line {} column {}", err.line(), err.column());
            let code = if err.is_syntax() || err.is_eof() {
                ProblemCode::InvalidJson
            } else {
                classify(&err.to_string())
            };
            problems.push_code(code, place, strip_position(&err.to_string()));
            return Err(problems);
        }
    };
    if let Some(version) = &raw.version
        && version.as_u64() != Some(u64::from(FORMAT_VERSION))
    {
        problems.push(
            "version",
            format!("{version} is not a supported version (expected {FORMAT_VERSION})"),
        );
    }
    let document = Document {
        version: FORMAT_VERSION,
        sources: records("sources", &raw.sources, &mut problems),
        topics: records("topics", &raw.topics, &mut problems),
        cities: records("cities", &raw.cities, &mut problems),
        organizations: records("organizations", &raw.organizations, &mut problems),
        partnerships: records("partnerships", &raw.partnerships, &mut problems),
        events: records("events", &raw.events, &mut problems),
        visits: records("visits", &raw.visits, &mut problems),
        protocols: records("protocols", &raw.protocols, &mut problems),
    };
    problems.into_result().map(|()| document)
}

/// Deserializes each record of one array, naming the path of any failure.
fn records<T: DeserializeOwned>(array: &str, raw: &[&RawValue], problems: &mut Problems) -> Vec<T> {
    let mut parsed = Vec::with_capacity(raw.len());
    for (index, record) in raw.iter().enumerate() {
        let mut deserializer = serde_json::Deserializer::from_str(record.get());
        match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
            Ok(value) => parsed.push(value),
            Err(err) => {
                let inner = err.path().to_string();
                let path = if inner == "." {
                    format!("{array}[{index}]")
                } else {
                    format!("{array}[{index}].{inner}")
                };
                let message = strip_position(&err.into_inner().to_string());
                problems.push_code(classify(&message), path, message);
            }
        }
    }
    parsed
}

/// The code of a serde error, by the kind of message serde writes.
fn classify(message: &str) -> ProblemCode {
    if message.starts_with("unknown field") {
        ProblemCode::UnknownField
    } else if message.contains("is not a date") {
        ProblemCode::InvalidDate
    } else {
        ProblemCode::InvalidValue
    }
}

/// serde_json appends " at line L column C" relative to the record; the path
/// already says where, so drop it.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

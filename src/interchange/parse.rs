//! Reading a document from text: JSON syntax first, then each record on its
//! own, so that every malformed record is reported, not just the first.
//! Only text that is not a JSON document at all stops here; the records that
//! do not have the format's shape are left out of the document and their
//! problems kept in it ([`Unread`]), so that import reports them together
//! with those of its later stages.

use super::document::{Document, FORMAT_VERSION};
use super::keys::Kind;
use super::problems::{ProblemCode, Problems};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use std::collections::{HashMap, HashSet};

/// What parsing could not read, so that import can report it along with
/// the problems it finds in the records that were read, each at its place.
#[derive(Debug, Default)]
pub struct Unread {
    /// The problems of the records left out (and of `version`).
    pub problems: Problems,
    /// Per array with records left out: the index in the text of each
    /// record read, so that later problems name the place in the text.
    positions: HashMap<&'static str, Vec<usize>>,
    /// The keys of the records left out: references to them are not
    /// reported as unknown.
    pub keys: HashMap<Kind, HashSet<String>>,
}

impl Unread {
    /// `text` with each `array[i]` of a record read turned into the index
    /// that record has in the text.
    pub fn place(&self, text: &str) -> String {
        let mut placed = text.to_owned();
        for (array, positions) in &self.positions {
            placed = renumber(&placed, array, positions);
        }
        placed
    }
}

/// Replaces the index in every top-level `array[i]` of `text` (not a
/// record's own list, such as `visits[0].events[1]`) with `positions[i]`.
fn renumber(text: &str, array: &str, positions: &[usize]) -> String {
    let opening = format!("{array}[");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(&opening) {
        let top_level = !out
            .chars()
            .chain(rest[..at].chars())
            .next_back()
            .is_some_and(|c| c == '.' || c.is_alphanumeric());
        let after = &rest[at + opening.len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let index: Option<usize> = after[..digits].parse().ok();
        out.push_str(&rest[..at + opening.len()]);
        match index.and_then(|i| positions.get(i)) {
            Some(position) if top_level && after[digits..].starts_with(']') => {
                out.push_str(&position.to_string());
            }
            _ => out.push_str(&after[..digits]),
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

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

/// Parses a document. Text that is not a JSON document is an error; each
/// record that does not have the shape the format requires (unknown fields,
/// wrong types or enum values, dates that are not dates) is left out and its
/// problem kept in [`Document::unread`].
pub fn parse(text: &str) -> Result<Document, Problems> {
    let mut problems = Problems::default();
    let mut unread = Unread::default();
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
    let (p, u) = (&mut problems, &mut unread);
    let mut document = Document {
        version: FORMAT_VERSION,
        sources: records(Kind::Source, &raw.sources, p, u),
        topics: records(Kind::Topic, &raw.topics, p, u),
        cities: records(Kind::City, &raw.cities, p, u),
        organizations: records(Kind::Organization, &raw.organizations, p, u),
        partnerships: records(Kind::Partnership, &raw.partnerships, p, u),
        events: records(Kind::Event, &raw.events, p, u),
        visits: records(Kind::Visit, &raw.visits, p, u),
        protocols: records(Kind::Protocol, &raw.protocols, p, u),
        unread: Unread::default(),
    };
    unread.problems = problems;
    document.unread = unread;
    Ok(document)
}

/// Deserializes each record of one array, naming the path of any failure.
fn records<T: DeserializeOwned>(
    kind: Kind,
    raw: &[&RawValue],
    problems: &mut Problems,
    unread: &mut Unread,
) -> Vec<T> {
    let array = kind.plural();
    let mut parsed = Vec::with_capacity(raw.len());
    let mut positions = Vec::with_capacity(raw.len());
    for (index, record) in raw.iter().enumerate() {
        let mut deserializer = serde_json::Deserializer::from_str(record.get());
        match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
            Ok(value) => {
                parsed.push(value);
                positions.push(index);
            }
            Err(err) => {
                if let Some(key) = key_of(record) {
                    unread.keys.entry(kind).or_default().insert(key);
                }
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
    if positions.len() < raw.len() {
        unread.positions.insert(array, positions);
    }
    parsed
}

/// The `key` of a record that could not be read, if it has one.
fn key_of(record: &RawValue) -> Option<String> {
    #[derive(Deserialize)]
    struct Keyed {
        key: String,
    }
    serde_json::from_str::<Keyed>(record.get())
        .ok()
        .map(|r| r.key)
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

#[cfg(test)]
mod tests {
    use super::renumber;

    #[test]
    fn only_top_level_places_are_renumbered() {
        assert_eq!(
            renumber("visits[1].events[1]: see events[1]", "events", &[0, 2]),
            "visits[1].events[1]: see events[2]"
        );
        assert_eq!(renumber("events[0].name", "events", &[3]), "events[3].name");
    }
}

//! Checks a parsed document on its own, before it meets the database: key
//! formats, value ranges, date order, duplicates, lists. References and the
//! topic tree are checked by `resolve`, which needs the database too.
//!
//! Over 400 lines: one checker over every field of every kind of record,
//! so that each rule is written once and names its place the same way.

use super::countries::is_country_code;
use super::document::{City, Document, Event, Partnership, Protocol, Source, StatusStep, Visit};
use super::problems::{ProblemCode, Problems};
use crate::domain::lifecycle::allowed;
use crate::domain::partial_date::PartialDate;
use std::collections::HashSet;

/// Longest key the format allows.
const KEY_MAX_LEN: usize = 120;

/// Longest name, title, region or other one-line text, in characters.
pub const LINE_MAX_CHARS: usize = 500;

/// Longest description, summary or note, in characters.
pub const TEXT_MAX_CHARS: usize = 20_000;

/// Runs every self-contained check, collecting all problems.
pub fn validate(document: &Document, problems: &mut Problems) {
    let mut check = Checker { problems };
    check.unique_keys("sources", document.sources.iter().map(|r| &r.key));
    check.unique_keys("topics", document.topics.iter().map(|r| &r.key));
    check.unique_keys("cities", document.cities.iter().map(|r| &r.key));
    check.unique_keys(
        "organizations",
        document.organizations.iter().map(|r| &r.key),
    );
    check.unique_keys("partnerships", document.partnerships.iter().map(|r| &r.key));
    check.unique_keys("events", document.events.iter().map(|r| &r.key));
    check.unique_keys("visits", document.visits.iter().map(|r| &r.key));
    check.unique_keys("protocols", document.protocols.iter().map(|r| &r.key));

    for (i, source) in document.sources.iter().enumerate() {
        check.source(&format!("sources[{i}]"), source);
    }
    for (i, topic) in document.topics.iter().enumerate() {
        let at = format!("topics[{i}]");
        check.non_empty(&at, "name", &topic.name);
        check.line(&at, "name", Some(&topic.name));
        check.text(&at, "description", topic.description.as_deref());
        check.optional_key(&at, "parent", topic.parent.as_deref());
        if topic.parent.as_deref() == Some(topic.key.as_str()) {
            check.problems.push(
                format!("{at}.parent"),
                format!("topic {:?} cannot be its own parent", topic.key),
            );
        }
    }
    for (i, city) in document.cities.iter().enumerate() {
        check.city(&format!("cities[{i}]"), city);
    }
    for (i, organization) in document.organizations.iter().enumerate() {
        let at = format!("organizations[{i}]");
        check.non_empty(&at, "name", &organization.name);
        check.line(&at, "name", Some(&organization.name));
        check.key(&format!("{at}.city"), &organization.city);
        check.key_list(&at, "sources", &organization.sources);
    }
    for (i, partnership) in document.partnerships.iter().enumerate() {
        check.partnership(&format!("partnerships[{i}]"), partnership);
    }
    for (i, event) in document.events.iter().enumerate() {
        check.event(&format!("events[{i}]"), event);
    }
    for (i, visit) in document.visits.iter().enumerate() {
        check.visit(&format!("visits[{i}]"), visit);
    }
    for (i, protocol) in document.protocols.iter().enumerate() {
        check.protocol(&format!("protocols[{i}]"), protocol);
    }
    check.partnership_pairs(&document.partnerships);
}

/// Whether `key` is a well-formed slug: lowercase ASCII words joined by `-`.
pub fn is_valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= KEY_MAX_LEN
        && key.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

struct Checker<'p> {
    problems: &'p mut Problems,
}

impl Checker<'_> {
    fn key(&mut self, at: &str, key: &str) {
        if !is_valid_key(key) {
            self.problems.push(
                at,
                format!("{key:?} is not a valid key (lowercase letters and digits in words joined by '-', at most {KEY_MAX_LEN} characters)"),
            );
        }
    }

    fn optional_key(&mut self, at: &str, field: &str, key: Option<&str>) {
        if let Some(key) = key {
            self.key(&format!("{at}.{field}"), key);
        }
    }

    fn unique_keys<'a>(&mut self, array: &str, keys: impl Iterator<Item = &'a String>) {
        let mut seen = HashSet::new();
        for (i, key) in keys.enumerate() {
            self.key(&format!("{array}[{i}].key"), key);
            if !seen.insert(key.as_str()) {
                self.problems.push_code(
                    ProblemCode::DuplicateKey,
                    format!("{array}[{i}].key"),
                    format!("duplicate key {key:?}: it appears earlier in {array}"),
                );
            }
        }
    }

    fn key_list(&mut self, at: &str, field: &str, keys: &[String]) {
        let mut seen = HashSet::new();
        for (i, key) in keys.iter().enumerate() {
            self.key(&format!("{at}.{field}[{i}]"), key);
            if !seen.insert(key.as_str()) {
                self.problems.push(
                    format!("{at}.{field}[{i}]"),
                    format!("{key:?} is listed twice"),
                );
            }
        }
    }

    /// A one-line text within [`LINE_MAX_CHARS`].
    fn line(&mut self, at: &str, field: &str, text: Option<&str>) {
        self.within(at, field, text, LINE_MAX_CHARS);
    }

    /// A longer text within [`TEXT_MAX_CHARS`].
    fn text(&mut self, at: &str, field: &str, text: Option<&str>) {
        self.within(at, field, text, TEXT_MAX_CHARS);
    }

    fn within(&mut self, at: &str, field: &str, text: Option<&str>, max: usize) {
        let Some(text) = text else { return };
        // Bytes bound characters from above: count only when it could matter.
        if text.len() > max && text.chars().count() > max {
            self.problems.push_code(
                ProblemCode::TooLong,
                format!("{at}.{field}"),
                format!(
                    "is {} characters long; at most {max} are allowed",
                    text.chars().count()
                ),
            );
        }
    }

    fn non_empty(&mut self, at: &str, field: &str, text: &str) {
        if text.trim().is_empty() {
            self.problems
                .push(format!("{at}.{field}"), "must not be empty");
        }
    }

    fn date_order(
        &mut self,
        at: &str,
        (start_field, start): (&str, PartialDate),
        (end_field, end): (&str, Option<PartialDate>),
    ) {
        if let Some(end) = end
            && end.end() < start.start()
        {
            self.problems.push_code(
                ProblemCode::InvalidDate,
                at,
                format!("{end_field} {end} is before {start_field} {start}"),
            );
        }
    }

    fn source(&mut self, at: &str, source: &Source) {
        self.non_empty(at, "title", &source.title);
        self.line(at, "title", Some(&source.title));
        self.line(at, "url", source.url.as_deref());
        self.line(at, "publisher", source.publisher.as_deref());
        if let Some(url) = &source.url
            && !is_absolute_uri(url)
        {
            self.problems.push(
                format!("{at}.url"),
                format!("{url:?} is not an absolute URI"),
            );
        }
    }

    fn city(&mut self, at: &str, city: &City) {
        self.non_empty(at, "name", &city.name);
        self.line(at, "name", Some(&city.name));
        self.line(at, "nativeName", city.native_name.as_deref());
        self.line(at, "region", city.region.as_deref());
        self.line(at, "timezone", city.timezone.as_deref());
        for (lang, name) in &city.names {
            self.line(&format!("{at}.names"), lang, Some(name));
        }
        if !is_country_code(&city.country_code) {
            self.problems.push(
                format!("{at}.countryCode"),
                format!(
                    "{:?} is not an ISO 3166-1 alpha-2 country code in use, such as \"RU\" or \"CN\"",
                    city.country_code
                ),
            );
        }
        if let Some(population) = city.population
            && population < 0
        {
            self.problems.push(
                format!("{at}.population"),
                format!("{population} is negative"),
            );
        }
        if let Some(latitude) = city.latitude
            && !(-90.0..=90.0).contains(&latitude)
        {
            self.problems.push(
                format!("{at}.latitude"),
                format!("{latitude} is outside -90..90"),
            );
        }
        if let Some(longitude) = city.longitude
            && !(-180.0..=180.0).contains(&longitude)
        {
            self.problems.push(
                format!("{at}.longitude"),
                format!("{longitude} is outside -180..180"),
            );
        }
        if let Some(id) = &city.wikidata_id
            && !(id.len() > 1 && id.starts_with('Q') && id[1..].bytes().all(|b| b.is_ascii_digit()))
        {
            self.problems.push(
                format!("{at}.wikidataId"),
                format!("{id:?} is not a Wikidata id (Q followed by digits)"),
            );
        }
        for lang in city.names.keys() {
            if lang.is_empty()
                || lang.len() > 35
                || !lang.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            {
                self.problems.push(
                    format!("{at}.names"),
                    format!("{lang:?} is not a BCP 47 language tag"),
                );
            }
        }
        self.key_list(at, "sources", &city.sources);
    }

    fn partnership(&mut self, at: &str, partnership: &Partnership) {
        match partnership.cities.as_slice() {
            [a, b] if a == b => self.problems.push(
                format!("{at}.cities"),
                format!("a partnership needs two distinct cities, got {a:?} twice"),
            ),
            [a, b] => {
                self.key(&format!("{at}.cities[0]"), a);
                self.key(&format!("{at}.cities[1]"), b);
            }
            other => self.problems.push(
                format!("{at}.cities"),
                format!("a partnership has exactly 2 cities, got {}", other.len()),
            ),
        }
        if let Some(established) = partnership.established_on {
            self.date_order(
                at,
                ("establishedOn", established),
                ("endedOn", partnership.ended_on),
            );
        }
        if let Some(proposed) = partnership.proposed_on {
            self.date_order(
                at,
                ("proposedOn", proposed),
                ("establishedOn", partnership.established_on),
            );
        }
        if let Some(history) = &partnership.status_history {
            self.status_history(at, partnership, history);
        }
        self.text(at, "notes", partnership.notes.as_deref());
        self.key_list(at, "topics", &partnership.topics);
        self.key_list(at, "sources", &partnership.sources);
    }

    /// A given history is the record of fact: legal steps, known dates in
    /// order, ending in the partnership's status.
    fn status_history(&mut self, at: &str, partnership: &Partnership, history: &[StatusStep]) {
        let Some(last) = history.last() else {
            self.problems.push(
                format!("{at}.statusHistory"),
                "has no step; leave it out to have the history derived",
            );
            return;
        };
        let mut previous: Option<(usize, &StatusStep)> = None;
        let mut dated: Option<(usize, PartialDate)> = None;
        for (i, step) in history.iter().enumerate() {
            let place = format!("{at}.statusHistory[{i}]");
            if let Some((j, before)) = previous
                && !allowed(before.status, step.status)
            {
                self.problems.push_code(
                    ProblemCode::InvalidTransition,
                    format!("{place}.status"),
                    format!(
                        "{} cannot follow {} (statusHistory[{j}])",
                        step.status.as_str(),
                        before.status.as_str()
                    ),
                );
            }
            if let Some(on) = step.on {
                if let Some((j, earlier)) = dated
                    && on.end() < earlier.start()
                {
                    self.problems.push_code(
                        ProblemCode::InvalidDate,
                        format!("{place}.on"),
                        format!("{on} is before {earlier} (statusHistory[{j}].on)"),
                    );
                }
                dated = Some((i, on));
            }
            self.optional_key(&place, "protocol", step.protocol.as_deref());
            if let Some(city) = &step.city {
                self.key(&format!("{place}.city"), city);
                if !partnership.cities.contains(city) {
                    self.problems.push(
                        format!("{place}.city"),
                        format!("{city:?} is not one of the partnership's cities"),
                    );
                }
            }
            self.text(&place, "note", step.note.as_deref());
            self.key_list(&place, "sources", &step.sources);
            previous = Some((i, step));
        }
        if last.status != partnership.status {
            self.problems.push(
                format!("{at}.status"),
                format!(
                    "{} is not the status the history ends in ({}, statusHistory[{}])",
                    partnership.status.as_str(),
                    last.status.as_str(),
                    history.len() - 1
                ),
            );
        }
    }

    fn event(&mut self, at: &str, event: &Event) {
        self.non_empty(at, "name", &event.name);
        self.line(at, "name", Some(&event.name));
        self.text(at, "description", event.description.as_deref());
        self.key(&format!("{at}.hostCity"), &event.host_city);
        self.date_order(
            at,
            ("startDate", event.start_date),
            ("endDate", event.end_date),
        );
        self.key_list(at, "topics", &event.topics);
        self.key_list(at, "sources", &event.sources);
    }

    fn visit(&mut self, at: &str, visit: &Visit) {
        self.key(&format!("{at}.fromCity"), &visit.from_city);
        self.key(&format!("{at}.toCity"), &visit.to_city);
        self.optional_key(at, "partnership", visit.partnership.as_deref());
        self.line(at, "headOfDelegation", visit.head_of_delegation.as_deref());
        self.text(at, "purpose", visit.purpose.as_deref());
        self.text(at, "summary", visit.summary.as_deref());
        self.date_order(
            at,
            ("startDate", visit.start_date),
            ("endDate", visit.end_date),
        );
        self.key_list(at, "topics", &visit.topics);
        self.key_list(at, "events", &visit.events);
        self.key_list(at, "organizations", &visit.organizations);
        self.key_list(at, "sources", &visit.sources);
    }

    fn protocol(&mut self, at: &str, protocol: &Protocol) {
        self.non_empty(at, "title", &protocol.title);
        self.line(at, "title", Some(&protocol.title));
        self.text(at, "summary", protocol.summary.as_deref());
        if protocol.parties.len() < 2 {
            self.problems.push(
                format!("{at}.parties"),
                format!(
                    "a protocol has at least 2 parties, got {}",
                    protocol.parties.len()
                ),
            );
        }
        self.key_list(at, "parties", &protocol.parties);
        self.optional_key(at, "signedIn", protocol.signed_in.as_deref());
        self.optional_key(at, "partnership", protocol.partnership.as_deref());
        self.optional_key(at, "visit", protocol.visit.as_deref());
        self.optional_key(at, "event", protocol.event.as_deref());
        self.key_list(at, "topics", &protocol.topics);
        self.key_list(at, "sources", &protocol.sources);
    }

    /// One partnership per unordered pair of cities and kind, within the file.
    fn partnership_pairs(&mut self, partnerships: &[Partnership]) {
        let mut seen = std::collections::HashMap::new();
        for (i, partnership) in partnerships.iter().enumerate() {
            let Some(pair) = unordered_pair(&partnership.cities) else {
                continue;
            };
            if let Some(first) = seen.insert((pair, partnership.kind), i) {
                self.problems.push_code(
                    ProblemCode::DuplicatePartnership,
                    format!("partnerships[{i}].cities"),
                    format!(
                        "{:?} and {:?} already have a {} partnership: partnerships[{first}]",
                        pair.0,
                        pair.1,
                        partnership.kind.as_str()
                    ),
                );
                seen.insert((pair, partnership.kind), first);
            }
        }
    }
}

/// The two cities of a partnership, smaller key first.
pub fn unordered_pair(cities: &[String]) -> Option<(&str, &str)> {
    match cities {
        [a, b] if a != b => Some(if a < b { (a, b) } else { (b, a) }),
        _ => None,
    }
}

/// A scheme followed by ':' and something: what JSON Schema's "uri" format
/// requires at the least.
fn is_absolute_uri(text: &str) -> bool {
    match text.split_once(':') {
        Some((scheme, rest)) => {
            !rest.is_empty()
                && !text.chars().any(char::is_whitespace)
                && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_lowercase_slugs() {
        for good in ["murmansk", "murmansk-harbin", "a1-2b", "x"] {
            assert!(is_valid_key(good), "{good}");
        }
        for bad in [
            "",
            "Murmansk",
            "murmansk--harbin",
            "-x",
            "x-",
            "x_y",
            "мурманск",
            &"a".repeat(121),
        ] {
            assert!(!is_valid_key(bad), "{bad}");
        }
    }

    #[test]
    fn uris_need_a_scheme() {
        assert!(is_absolute_uri("https://example.org/a"));
        assert!(is_absolute_uri("urn:isbn:123"));
        assert!(!is_absolute_uri("example.org"));
        assert!(!is_absolute_uri("https://exa mple.org"));
    }
}

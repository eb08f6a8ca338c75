//! The checks that need the database: every reference names a record in the
//! document or already stored, the topic tree stays a tree, and no two
//! partnerships share a pair of cities and a kind. Fills [`Keys`] with the
//! ids of every stored record the document mentions.

use super::document::Document;
use super::keys::{Keys, Kind};
use super::problems::{ProblemCode, Problems};
use super::validate::unordered_pair;
use crate::domain::vocabulary::PartnershipKind;
use crate::store::{lookup, partnership_pairs};
use sea_orm::{ConnectionTrait, DbErr};
use std::collections::{HashMap, HashSet};

/// One reference from a record to another, and where it is written.
struct Reference<'d> {
    target: Kind,
    key: &'d str,
    array: &'static str,
    index: usize,
    /// The step of a partnership's `statusHistory` it is in, if any.
    step: Option<usize>,
    field: &'static str,
    item: Option<usize>,
}

impl Reference<'_> {
    fn path(&self) -> String {
        let record = match self.step {
            Some(step) => format!("{}[{}].statusHistory[{step}]", self.array, self.index),
            None => format!("{}[{}]", self.array, self.index),
        };
        match self.item {
            Some(item) => format!("{record}.{}[{item}]", self.field),
            None => format!("{record}.{}", self.field),
        }
    }
}

/// Every reference in the document, in document order.
fn references(document: &Document) -> Vec<Reference<'_>> {
    let mut refs = Vec::new();
    macro_rules! single {
        ($array:literal, $index:expr, $field:literal, $target:ident, $key:expr) => {
            refs.push(Reference {
                target: Kind::$target,
                key: $key,
                array: $array,
                index: $index,
                step: None,
                field: $field,
                item: None,
            })
        };
    }
    macro_rules! list {
        ($array:literal, $index:expr, $field:literal, $target:ident, $keys:expr) => {
            for (item, key) in $keys.iter().enumerate() {
                refs.push(Reference {
                    target: Kind::$target,
                    key,
                    array: $array,
                    index: $index,
                    step: None,
                    field: $field,
                    item: Some(item),
                })
            }
        };
    }
    for (i, topic) in document.topics.iter().enumerate() {
        if let Some(parent) = &topic.parent {
            single!("topics", i, "parent", Topic, parent);
        }
    }
    for (i, city) in document.cities.iter().enumerate() {
        list!("cities", i, "sources", Source, city.sources);
    }
    for (i, organization) in document.organizations.iter().enumerate() {
        single!("organizations", i, "city", City, &organization.city);
        list!("organizations", i, "sources", Source, organization.sources);
    }
    for (i, partnership) in document.partnerships.iter().enumerate() {
        list!("partnerships", i, "cities", City, partnership.cities);
        list!("partnerships", i, "topics", Topic, partnership.topics);
        list!("partnerships", i, "sources", Source, partnership.sources);
        for (step, taken) in partnership.status_history.iter().flatten().enumerate() {
            let at = |target, key, field, item| Reference {
                target,
                key,
                array: "partnerships",
                index: i,
                step: Some(step),
                field,
                item,
            };
            if let Some(protocol) = &taken.protocol {
                refs.push(at(Kind::Protocol, protocol, "protocol", None));
            }
            if let Some(city) = &taken.city {
                refs.push(at(Kind::City, city, "city", None));
            }
            for (item, source) in taken.sources.iter().enumerate() {
                refs.push(at(Kind::Source, source, "sources", Some(item)));
            }
        }
    }
    for (i, event) in document.events.iter().enumerate() {
        single!("events", i, "hostCity", City, &event.host_city);
        list!("events", i, "topics", Topic, event.topics);
        list!("events", i, "sources", Source, event.sources);
    }
    for (i, visit) in document.visits.iter().enumerate() {
        single!("visits", i, "fromCity", City, &visit.from_city);
        single!("visits", i, "toCity", City, &visit.to_city);
        if let Some(partnership) = &visit.partnership {
            single!("visits", i, "partnership", Partnership, partnership);
        }
        list!("visits", i, "topics", Topic, visit.topics);
        list!("visits", i, "events", Event, visit.events);
        list!(
            "visits",
            i,
            "organizations",
            Organization,
            visit.organizations
        );
        list!("visits", i, "sources", Source, visit.sources);
    }
    for (i, protocol) in document.protocols.iter().enumerate() {
        if let Some(city) = &protocol.signed_in {
            single!("protocols", i, "signedIn", City, city);
        }
        list!("protocols", i, "parties", City, protocol.parties);
        if let Some(partnership) = &protocol.partnership {
            single!("protocols", i, "partnership", Partnership, partnership);
        }
        if let Some(visit) = &protocol.visit {
            single!("protocols", i, "visit", Visit, visit);
        }
        if let Some(event) = &protocol.event {
            single!("protocols", i, "event", Event, event);
        }
        list!("protocols", i, "topics", Topic, protocol.topics);
        list!("protocols", i, "sources", Source, protocol.sources);
    }
    refs
}

/// The keys each kind of record has in the document.
/// Records the document holds but could not read count as defined, so that
/// references to them are not reported as well.
fn defined(document: &Document) -> HashMap<Kind, HashSet<&str>> {
    fn keys<'d, T>(records: &'d [T], key: impl Fn(&'d T) -> &'d str) -> HashSet<&'d str> {
        records.iter().map(key).collect()
    }
    let mut defined = HashMap::from([
        (Kind::Source, keys(&document.sources, |r| &r.key)),
        (Kind::Topic, keys(&document.topics, |r| &r.key)),
        (Kind::City, keys(&document.cities, |r| &r.key)),
        (
            Kind::Organization,
            keys(&document.organizations, |r| &r.key),
        ),
        (Kind::Partnership, keys(&document.partnerships, |r| &r.key)),
        (Kind::Event, keys(&document.events, |r| &r.key)),
        (Kind::Visit, keys(&document.visits, |r| &r.key)),
        (Kind::Protocol, keys(&document.protocols, |r| &r.key)),
    ]);
    for (kind, unread) in &document.unread.keys {
        defined
            .entry(*kind)
            .or_default()
            .extend(unread.iter().map(String::as_str));
    }
    defined
}

/// Looks up the stored ids of the document's records and references, and
/// reports what cannot be resolved or would break the data's rules.
pub async fn resolve(
    db: &impl ConnectionTrait,
    document: &Document,
    keys: &mut Keys,
    problems: &mut Problems,
) -> Result<(), DbErr> {
    let defined = defined(document);
    let references = references(document);

    let mut wanted: HashMap<Kind, HashSet<&str>> = defined.clone();
    for reference in &references {
        wanted
            .entry(reference.target)
            .or_default()
            .insert(reference.key);
    }
    let lists: Vec<(Kind, Vec<&str>)> = Kind::ALL
        .into_iter()
        .map(|kind| {
            let mut list: Vec<&str> = wanted.get(&kind).into_iter().flatten().copied().collect();
            list.sort_unstable();
            (kind, list)
        })
        .collect();
    for (kind, id, key) in lookup::find_ids_by_kinds_and_keys(db, &lists).await? {
        keys.of_mut(kind).insert_all([(id, key)]);
    }

    for reference in &references {
        let in_document = defined
            .get(&reference.target)
            .is_some_and(|set| set.contains(reference.key));
        if !in_document && !keys.of(reference.target).contains(reference.key) {
            problems.push_code(
                ProblemCode::NotFound,
                reference.path(),
                format!(
                    "no {} with key {:?}",
                    reference.target.singular(),
                    reference.key
                ),
            );
        }
    }
    if !document.topics.is_empty() {
        check_topic_tree(db, document, problems).await?;
    }
    if !document.partnerships.is_empty() {
        check_partnership_pairs(db, document, problems).await?;
    }
    Ok(())
}

/// The topic tree after the import must have no cycles. Topics are few, so
/// the stored tree is read whole.
async fn check_topic_tree(
    db: &impl ConnectionTrait,
    document: &Document,
    problems: &mut Problems,
) -> Result<(), DbErr> {
    let mut parent: HashMap<String, String> =
        lookup::find_topic_parents(db).await?.into_iter().collect();
    for topic in &document.topics {
        match &topic.parent {
            Some(p) => parent.insert(topic.key.clone(), p.clone()),
            None => parent.remove(&topic.key),
        };
    }
    for (i, topic) in document.topics.iter().enumerate() {
        let mut chain = vec![topic.key.as_str()];
        let mut current = topic.key.as_str();
        while let Some(next) = parent.get(current) {
            chain.push(next);
            if next == &topic.key {
                problems.push_code(
                    ProblemCode::Cycle,
                    format!("topics[{i}].parent"),
                    format!(
                        "topic {:?} would become its own ancestor ({})",
                        topic.key,
                        chain.join(" → ")
                    ),
                );
                break;
            }
            if chain.len() > parent.len() + 1 {
                break; // a cycle further up, reported at its own topics
            }
            current = next;
        }
    }
    Ok(())
}

/// No stored partnership (that the document does not also rewrite) may have
/// the same pair of cities and kind as one in the document.
async fn check_partnership_pairs(
    db: &impl ConnectionTrait,
    document: &Document,
    problems: &mut Problems,
) -> Result<(), DbErr> {
    let rewritten: HashSet<&str> = document
        .partnerships
        .iter()
        .map(|p| p.key.as_str())
        .collect();
    let mut stored: HashMap<(String, String, PartnershipKind), String> = HashMap::new();
    for pair in partnership_pairs::find_all_pairs(db).await? {
        if rewritten.contains(pair.key.as_str()) {
            continue;
        }
        if let Some((x, y)) = unordered_pair(&pair.cities) {
            stored.insert((x.to_owned(), y.to_owned(), pair.kind), pair.key);
        }
    }
    for (i, partnership) in document.partnerships.iter().enumerate() {
        let Some((x, y)) = unordered_pair(&partnership.cities) else {
            continue;
        };
        if let Some(other) = stored.get(&(x.to_owned(), y.to_owned(), partnership.kind)) {
            problems.push_code(
                ProblemCode::DuplicatePartnership,
                format!("partnerships[{i}].cities"),
                format!(
                    "{x:?} and {y:?} already have a {} partnership: {other:?}",
                    partnership.kind.as_str()
                ),
            );
        }
    }
    Ok(())
}

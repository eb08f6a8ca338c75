//! `link` and `unlink`: add topics, organizations, events and sources to a
//! record's lists, or take them off, without sending the whole record. The
//! record is changed through the import like any update, so the same checks,
//! search index and history apply; every key is checked first, and one bad
//! key leaves the record untouched.

use super::UserError;
use super::create_update::{Write, check_and_lock, import_in};
use crate::domain::access::Role;
use crate::domain::changes::RecordChange;
use crate::error::Result;
use crate::graphql::db;
use crate::graphql::guards::RoleGuard;
use crate::graphql::node::{Node, decode_global_id, global_id, load};
use crate::interchange::document::{self as doc, Document};
use crate::interchange::records::Stored;
use crate::interchange::{Kind, ProblemCode};
use crate::store::Txn;
use crate::store::lookup;
use async_graphql::{Context, ID, InputObject, Object, OneofObject, SimpleObject};
use chrono::{DateTime, Utc};

/// A record, by global id or by its key under its type.
#[derive(OneofObject)]
pub enum RecordRef {
    /// The record's global id.
    Id(ID),
    /// A city's key.
    City(String),
    /// An organization's key.
    Organization(String),
    /// A partnership's key.
    Partnership(String),
    /// An event's key.
    Event(String),
    /// A visit's key.
    Visit(String),
    /// A protocol's key.
    Protocol(String),
}

/// What to add to, or take off, a record's lists. Lists a kind of record
/// does not have (a city has only `sources`) are refused.
#[derive(InputObject)]
pub struct LinkInput {
    /// The record whose lists change.
    pub record: RecordRef,
    /// Topic keys.
    #[graphql(default)]
    pub topics: Vec<String>,
    /// Organization keys (visits only).
    #[graphql(default)]
    pub organizations: Vec<String>,
    /// Event keys (visits only).
    #[graphql(default)]
    pub events: Vec<String>,
    /// Source keys.
    #[graphql(default)]
    pub sources: Vec<String>,
    /// The record's `updatedAt` as you read it: if it changed since, the
    /// change is refused with `CONFLICT`.
    pub expected_updated_at: Option<DateTime<Utc>>,
}

/// The result of `link` or `unlink`.
#[derive(SimpleObject)]
pub struct LinkPayload {
    /// The record after the change; null when refused.
    pub record: Option<Node>,
    /// Why it was refused, each with the input field at fault.
    pub user_errors: Vec<UserError>,
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Link,
    Unlink,
}

impl RecordRef {
    /// The kind and key named, or why they cannot be.
    fn resolve(&self) -> std::result::Result<(Kind, String), UserError> {
        let (kind, key) = match self {
            RecordRef::Id(id) => {
                let refused = |message: String| {
                    UserError::new(
                        &["input", "record", "id"],
                        ProblemCode::InvalidValue,
                        message,
                    )
                };
                let (type_name, key) = decode_global_id(id).map_err(|_| {
                    refused(format!("{:?} is not an id from this API", id.as_str()))
                })?;
                let kind = Kind::ALL
                    .into_iter()
                    .find(|k| k.type_name() == type_name)
                    .ok_or_else(|| refused(format!("{type_name} is not a kind of record")))?;
                (kind, key)
            }
            RecordRef::City(key) => (Kind::City, key.clone()),
            RecordRef::Organization(key) => (Kind::Organization, key.clone()),
            RecordRef::Partnership(key) => (Kind::Partnership, key.clone()),
            RecordRef::Event(key) => (Kind::Event, key.clone()),
            RecordRef::Visit(key) => (Kind::Visit, key.clone()),
            RecordRef::Protocol(key) => (Kind::Protocol, key.clone()),
        };
        Ok((kind, key))
    }
}

/// Applies the input's lists to the record of `R` with `key`; the changes,
/// or why nothing changed.
async fn change_lists<R: Stored>(
    txn: &Txn,
    key: &str,
    input: &LinkInput,
    mode: Mode,
) -> Result<std::result::Result<Vec<RecordChange>, Vec<UserError>>> {
    let write = Write::Update {
        expected_updated_at: input.expected_updated_at,
    };
    if let Some(error) = check_and_lock(txn, R::KIND, key, &write, &["input", "record"]).await? {
        return Ok(Err(vec![error]));
    }
    let Some(mut record) = crate::interchange::one::<R>(txn, key).await? else {
        return Ok(Err(Vec::new()));
    };
    let requested = [
        ("topics", Kind::Topic, &input.topics),
        ("organizations", Kind::Organization, &input.organizations),
        ("events", Kind::Event, &input.events),
        ("sources", Kind::Source, &input.sources),
    ];
    let mut errors = Vec::new();
    let mut lists = record.link_lists_mut();
    for (field, kind, keys) in requested {
        if keys.is_empty() {
            continue;
        }
        let Some(position) = R::LINKS.iter().position(|spec| spec.target == kind) else {
            let has: Vec<&str> = R::LINKS
                .iter()
                .filter(|spec| spec.target != Kind::City)
                .map(|spec| spec.target.plural())
                .collect();
            errors.push(UserError::new(
                &["input", field],
                ProblemCode::InvalidValue,
                format!(
                    "a {} has no {field}; it can link {}",
                    R::KIND.singular(),
                    if has.is_empty() {
                        "nothing".to_owned()
                    } else {
                        has.join(" and ")
                    }
                ),
            ));
            continue;
        };
        let list = &mut lists[position];
        let unknown = match mode {
            Mode::Link => lookup::find_missing_keys(txn, kind, keys).await?,
            Mode::Unlink => Vec::new(),
        };
        for (i, target) in keys.iter().enumerate() {
            let at = ["input", field, &i.to_string()];
            match mode {
                Mode::Link if unknown.contains(target) => errors.push(UserError::new(
                    &at,
                    ProblemCode::NotFound,
                    format!("no {} with key {target:?}", kind.singular()),
                )),
                Mode::Link if !list.contains(target) => list.push(target.clone()),
                Mode::Link => {}
                Mode::Unlink => match list.iter().position(|k| k == target) {
                    Some(index) => {
                        list.remove(index);
                    }
                    None => errors.push(UserError::new(
                        &at,
                        ProblemCode::NotFound,
                        format!(
                            "{target:?} is not among the {}'s {field}",
                            R::KIND.singular()
                        ),
                    )),
                },
            }
        }
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let mut document = Document::default();
    R::array_mut(&mut document).push(record);
    import_in(txn, &document, &["input"]).await
}

/// Runs `link` or `unlink` in one transaction.
async fn run(ctx: &Context<'_>, input: LinkInput, mode: Mode) -> Result<LinkPayload> {
    let refused = |user_errors| LinkPayload {
        record: None,
        user_errors,
    };
    let (kind, key) = match input.record.resolve() {
        Ok(found) => found,
        Err(error) => return Ok(refused(vec![error])),
    };
    let txn = crate::store::connection::begin_write(db(ctx)).await?;
    let outcome = match kind {
        Kind::City => change_lists::<doc::City>(&txn, &key, &input, mode).await?,
        Kind::Organization => change_lists::<doc::Organization>(&txn, &key, &input, mode).await?,
        Kind::Partnership => change_lists::<doc::Partnership>(&txn, &key, &input, mode).await?,
        Kind::Event => change_lists::<doc::Event>(&txn, &key, &input, mode).await?,
        Kind::Visit => change_lists::<doc::Visit>(&txn, &key, &input, mode).await?,
        Kind::Protocol => change_lists::<doc::Protocol>(&txn, &key, &input, mode).await?,
        Kind::Topic | Kind::Source => Err(vec![UserError::new(
            &["input", "record"],
            ProblemCode::InvalidValue,
            format!("a {} has no lists to link", kind.singular()),
        )]),
    };
    match outcome {
        Ok(changes) => {
            let operation = if mode == Mode::Link { "link" } else { "unlink" };
            super::commit(ctx, txn, operation, &changes).await?;
            let record = load(ctx, &global_id(kind.type_name(), &key)).await?;
            Ok(LinkPayload {
                record,
                user_errors: Vec::new(),
            })
        }
        Err(errors) => {
            txn.rollback().await?;
            Ok(refused(errors))
        }
    }
}

#[derive(Default)]
pub struct LinkMutation;

#[Object]
impl LinkMutation {
    /// Adds topics, organizations, events or sources to a record's lists
    /// (those already there stay). `NOT_FOUND` names each unknown key by its
    /// place in the input, and then nothing changes.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn link(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The record and the keys to add or take off.")] input: LinkInput,
    ) -> Result<LinkPayload> {
        run(ctx, input, Mode::Link).await
    }

    /// Takes topics, organizations, events or sources off a record's lists.
    /// `NOT_FOUND` names each key that is not on its list, and then nothing
    /// changes.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn unlink(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The record and the keys to add or take off.")] input: LinkInput,
    ) -> Result<LinkPayload> {
        run(ctx, input, Mode::Unlink).await
    }
}

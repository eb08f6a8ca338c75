//! `create<Type>` and `update<Type>` for every kind of record. The input is
//! the record in the interchange format (the shape partner systems already
//! send in files); an update replaces the whole record, so send every field
//! you want to keep. Both run the import's checks in one transaction.

use super::UserError;
use crate::domain::access::Role;
use crate::domain::changes::RecordChange;
use crate::error::Result;
use crate::graphql::guards::RoleGuard;
use crate::graphql::{by_key, db};
use crate::interchange::document::{self as doc, Document};
use crate::interchange::records::Stored;
use crate::interchange::{ImportError, Kind, Problem, ProblemCode};
use crate::store::Txn;
use crate::store::lookup;
use async_graphql::{Context, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

/// Whether a write creates a record or replaces one.
pub(super) enum Write {
    Create,
    Update {
        expected_updated_at: Option<DateTime<Utc>>,
    },
}

/// A problem of a one-record document, its path (`cities[0].countryCode`)
/// re-rooted at the mutation's input (`["input", "countryCode"]`).
fn user_error(root: &[&str], problem: &Problem) -> UserError {
    let inner = problem.path.split_once('.').map_or("", |(_, rest)| rest);
    let mut error = UserError::from_problem(
        "input",
        &Problem {
            path: inner.to_owned(),
            ..problem.clone()
        },
    );
    error.field = root
        .iter()
        .map(|s| (*s).to_owned())
        .chain(error.field.into_iter().skip(1).filter(|f| !f.is_empty()))
        .collect();
    error
}

/// Checks that the record of `kind` with `key` does (or, for a create,
/// does not) exist and has not changed since the client read it; on
/// PostgreSQL it also locks the row until the transaction ends, so that a
/// concurrent writer waits and then sees the new `updatedAt`. `root` is
/// where the input record sits.
pub(super) async fn check_and_lock(
    txn: &Txn,
    kind: Kind,
    key: &str,
    write: &Write,
    root: &[&str],
) -> Result<Option<UserError>> {
    let stored = lookup::find_updated_at_for_update(txn, kind, key).await?;
    let table = kind.singular();
    let key_field: Vec<&str> = root.iter().copied().chain(["key"]).collect();
    Ok(match (write, stored) {
        (Write::Create, Some(_)) => Some(UserError::new(
            &key_field,
            ProblemCode::DuplicateKey,
            format!("a {table} with key {key:?} already exists"),
        )),
        (Write::Update { .. }, None) => Some(UserError::new(
            &key_field,
            ProblemCode::NotFound,
            format!("no {table} with key {key:?}"),
        )),
        (
            Write::Update {
                expected_updated_at: Some(expected),
            },
            Some(current),
        ) if *expected != current => Some(UserError::new(
            &["input", "expectedUpdatedAt"],
            ProblemCode::Conflict,
            format!(
                "the {table} changed at {} after you read it; read it again and reapply your change",
                current.to_rfc3339()
            ),
        )),
        _ => None,
    })
}

/// Writes a document through the import inside `txn`: the changes it made,
/// or its problems as user errors under `root`.
pub(super) async fn import_in(
    txn: &Txn,
    document: &Document,
    root: &[&str],
) -> Result<std::result::Result<Vec<RecordChange>, Vec<UserError>>> {
    match crate::interchange::import_in(txn, document, &|_| {}).await {
        Ok((_, changes)) => Ok(Ok(changes)),
        Err(ImportError::Invalid(problems)) => Ok(Err(problems
            .listed()
            .iter()
            .map(|p| user_error(root, p))
            .collect())),
        Err(ImportError::Database(error)) => Err(error.into()),
        Err(ImportError::OutOfScope(reason)) => Err(crate::error::AppError::OutOfScope(reason)),
    }
}

/// Writes one record through the import in a transaction of its own.
async fn write(
    ctx: &Context<'_>,
    kind: Kind,
    key: &str,
    document: Document,
    write: Write,
    operation: &str,
    root: &[&str],
) -> Result<Vec<UserError>> {
    let principal = super::principal(ctx);
    if let Some(scope) = principal.scope() {
        let whose = principal.whose();
        if let Some(reason) =
            crate::interchange::scope::document_out_of_scope(scope, whose, &document)
        {
            return Err(crate::error::AppError::OutOfScope(reason));
        }
    }
    let txn = crate::store::connection::begin_write(db(ctx)).await?;
    if let Some(error) = check_and_lock(&txn, kind, key, &write, root).await? {
        txn.rollback().await?;
        return Ok(vec![error]);
    }
    match import_in(&txn, &document, root).await? {
        Ok(changes) => {
            super::commit(ctx, txn, operation, &changes).await?;
            Ok(Vec::new())
        }
        Err(errors) => {
            txn.rollback().await?;
            Ok(errors)
        }
    }
}

/// Declares the input of an update, the payload, and the two mutations of
/// one kind of record.
macro_rules! record_mutations {
    ($mutation:ident, $record:ty, $array:ident, $table:literal, $type_name:literal, $object:path, $model:path,
     $update_input:ident, $payload:ident, $field:ident, $create:ident, $update:ident) => {
        #[doc = concat!("Replaces a ", $table, ": the whole record, and the `updatedAt` you read.")]
        #[derive(InputObject)]
        pub struct $update_input {
            /// The record as it should be; its key names the record to replace.
            pub $field: $record,
            /// The record's `updatedAt` as you read it: if it changed since, the
            /// update is refused with `CONFLICT` instead of overwriting.
            pub expected_updated_at: Option<DateTime<Utc>>,
        }

        #[doc = concat!("The result of creating or updating a ", $table, ".")]
        #[derive(SimpleObject)]
        pub struct $payload {
            #[doc = concat!("The ", $table, " as stored; null when refused.")]
            pub $field: Option<$object>,
            /// Why it was refused, each with the input field at fault.
            pub user_errors: Vec<UserError>,
        }

        #[derive(Default)]
        pub struct $mutation;

        #[Object]
        impl $mutation {
            #[doc = concat!("Creates a ", $table, "; `DUPLICATE_KEY` if the key is taken.")]
            #[graphql(guard = "RoleGuard(Role::Editor)")]
            async fn $create(&self, ctx: &Context<'_>, #[graphql(desc = "The record, in the interchange format.")] input: $record) -> Result<$payload> {
                let key = input.key.clone();
                let document = Document { $array: vec![input], ..Document::default() };
                let errors = write(ctx, <$record as Stored>::KIND, &key, document, Write::Create, concat!("create", $type_name), &["input"]).await?;
                let $field = if errors.is_empty() { by_key::<$model>(ctx, key).await?.map($object) } else { None };
                Ok($payload { $field, user_errors: errors })
            }

            #[doc = concat!("Replaces a ", $table, " by key; `NOT_FOUND` if there is none, `CONFLICT` if it changed since `expectedUpdatedAt`.")]
            #[graphql(guard = "RoleGuard(Role::Editor)")]
            async fn $update(&self, ctx: &Context<'_>, #[graphql(desc = "The whole record, in the interchange format, and the `updatedAt` last read.")] input: $update_input) -> Result<$payload> {
                let key = input.$field.key.clone();
                let document = Document { $array: vec![input.$field], ..Document::default() };
                let write_kind = Write::Update { expected_updated_at: input.expected_updated_at };
                let errors = write(ctx, <$record as Stored>::KIND, &key, document, write_kind, concat!("update", $type_name), &["input", stringify!($field)]).await?;
                let $field = if errors.is_empty() { by_key::<$model>(ctx, key).await?.map($object) } else { None };
                Ok($payload { $field, user_errors: errors })
            }
        }
    };
}

use crate::graphql::types::{
    city, event, organization, partnership, protocol, source, topic, visit,
};

record_mutations!(
    CityMutation,
    doc::City,
    cities,
    "city",
    "City",
    city::City,
    entity::city::Model,
    UpdateCityInput,
    CityPayload,
    city,
    create_city,
    update_city
);
record_mutations!(
    PartnershipMutation,
    doc::Partnership,
    partnerships,
    "partnership",
    "Partnership",
    partnership::Partnership,
    entity::partnership::Model,
    UpdatePartnershipInput,
    PartnershipPayload,
    partnership,
    create_partnership,
    update_partnership
);
record_mutations!(
    VisitMutation,
    doc::Visit,
    visits,
    "visit",
    "Visit",
    visit::Visit,
    entity::visit::Model,
    UpdateVisitInput,
    VisitPayload,
    visit,
    create_visit,
    update_visit
);
record_mutations!(
    ProtocolMutation,
    doc::Protocol,
    protocols,
    "protocol",
    "Protocol",
    protocol::Protocol,
    entity::protocol::Model,
    UpdateProtocolInput,
    ProtocolPayload,
    protocol,
    create_protocol,
    update_protocol
);
record_mutations!(
    EventMutation,
    doc::Event,
    events,
    "event",
    "Event",
    event::Event,
    entity::event::Model,
    UpdateEventInput,
    EventPayload,
    event,
    create_event,
    update_event
);
record_mutations!(
    TopicMutation,
    doc::Topic,
    topics,
    "topic",
    "Topic",
    topic::Topic,
    entity::topic::Model,
    UpdateTopicInput,
    TopicPayload,
    topic,
    create_topic,
    update_topic
);
record_mutations!(
    OrganizationMutation,
    doc::Organization,
    organizations,
    "organization",
    "Organization",
    organization::Organization,
    entity::organization::Model,
    UpdateOrganizationInput,
    OrganizationPayload,
    organization,
    create_organization,
    update_organization
);
record_mutations!(
    SourceMutation,
    doc::Source,
    sources,
    "source",
    "Source",
    source::Source,
    entity::source::Model,
    UpdateSourceInput,
    SourcePayload,
    source,
    create_source,
    update_source
);

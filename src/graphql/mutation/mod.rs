//! The write API: every mutation takes one `input` and returns a payload
//! with the record and `userErrors`; validation problems are user errors,
//! while authentication and authorization failures are top-level errors.
//! Each mutation runs in one transaction and is recorded in the history.

mod actions;
mod advance;
mod api_keys;
mod create_update;
mod delete;
mod import;
mod link;
mod webhook_types;
mod webhooks;

pub use api_keys::KeyQuery;
pub use webhooks::WebhookQuery;

use crate::interchange::{Problem, ProblemCode};
use async_graphql::SimpleObject;

/// The write API.
#[derive(async_graphql::MergedObject, Default)]
pub struct Mutation(
    import::ImportMutation,
    advance::LifecycleMutation,
    actions::TimelineMutation,
    link::LinkMutation,
    create_update::CityMutation,
    create_update::PartnershipMutation,
    create_update::VisitMutation,
    create_update::ProtocolMutation,
    create_update::EventMutation,
    create_update::TopicMutation,
    create_update::OrganizationMutation,
    create_update::SourceMutation,
    delete::DeleteMutation,
    api_keys::KeyMutation,
    webhooks::WebhookMutation,
);

/// A problem with the input the client can fix.
#[derive(SimpleObject, Clone, Debug)]
pub struct UserError {
    /// The path to the input field at fault, such as `["input", "status"]`.
    pub field: Vec<String>,
    /// A stable code to branch on.
    pub code: ProblemCode,
    /// What is wrong, for people.
    pub message: String,
}

impl UserError {
    pub fn new(field: &[&str], code: ProblemCode, message: impl Into<String>) -> Self {
        Self {
            field: field.iter().map(|f| (*f).to_owned()).collect(),
            code,
            message: message.into(),
        }
    }

    /// An import problem, its document path (`visits[3].toCity`) split into
    /// segments under `root`.
    pub fn from_problem(root: &str, problem: &Problem) -> Self {
        let mut field = vec![root.to_owned()];
        for part in problem.path.split('.') {
            match part.split_once('[') {
                Some((name, rest)) => {
                    if !name.is_empty() {
                        field.push(name.to_owned());
                    }
                    field.extend(
                        rest.split('[')
                            .map(|index| index.trim_end_matches(']').to_owned()),
                    );
                }
                None => field.push(part.to_owned()),
            }
        }
        Self {
            field,
            code: problem.code,
            message: problem.message.clone(),
        }
    }
}

/// Records `changes` as one change set, commits, and tells this server's
/// live subscribers (other servers hear of it from the database). A scoped
/// editor's changes are checked against its scope first: a change outside
/// it is refused with `FORBIDDEN` and the whole write rolled back.
async fn commit(
    ctx: &async_graphql::Context<'_>,
    txn: crate::store::Txn,
    operation: &str,
    changes: &[crate::domain::changes::RecordChange],
) -> crate::error::Result<()> {
    let principal = principal(ctx);
    if let Some(scope) = principal.scope() {
        let whose = principal.whose();
        if let Some(reason) =
            crate::interchange::scope::out_of_scope(&txn, scope, whose, changes).await?
        {
            txn.rollback().await?;
            return Err(crate::error::AppError::OutOfScope(reason));
        }
    }
    let author = crate::store::changes::Author {
        actor: principal.actor(),
        scope: principal.scope(),
        operation,
    };
    let change_set = crate::store::changes::record(&txn, author, changes).await?;
    txn.commit().await?;
    if let Some(id) = change_set {
        ctx.data_unchecked::<crate::live::Live>()
            .committed(crate::store::notify::Signal::ChangeSet(id));
    }
    Ok(())
}

/// The principal of a request (the guard has already let it through).
fn principal(ctx: &async_graphql::Context<'_>) -> crate::domain::access::Principal {
    ctx.data_opt::<crate::domain::access::Principal>()
        .cloned()
        .unwrap_or(crate::domain::access::Principal::Anonymous)
}

//! `importDocument`: the CLI's import over HTTP, for partner systems.

use super::{UserError, principal};
use crate::domain::access::Role;
use crate::error::{AppError, Result};
use crate::graphql::db;
use crate::graphql::guards::RoleGuard;
use crate::interchange::{self, ImportError, ImportOptions};
use async_graphql::{Context, Json, Object, SimpleObject, Upload};

/// What an import did to one kind of record.
#[derive(SimpleObject)]
pub struct ImportCount {
    /// The document array, such as `cities`.
    pub entity: String,
    /// Records with a key the database did not hold.
    pub created: i32,
    /// Records whose stored content changed.
    pub updated: i32,
    /// Records already stored exactly as the document has them.
    pub unchanged: i32,
}

/// The result of `importDocument`: counts, or the problems (and then
/// nothing was written).
#[derive(SimpleObject)]
pub struct ImportDocumentPayload {
    /// Per kind of record, in document order; empty when there were problems.
    pub counts: Vec<ImportCount>,
    /// True when this was a dry run: nothing was kept.
    pub dry_run: bool,
    /// Every problem in the document (up to 100), each naming its place.
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct ImportMutation;

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The text of the document to import: given inline, or uploaded; exactly
/// one of the two.
fn document_text(
    ctx: &Context<'_>,
    document: Option<Json<serde_json::Value>>,
    file: Option<Upload>,
) -> Result<String> {
    match (document, file) {
        (Some(document), None) => Ok(document.0.to_string()),
        (None, Some(file)) => {
            let upload = file.value(ctx).map_err(|e| {
                AppError::bad_input(format!("`file`: the upload cannot be read: {e}"))
            })?;
            String::from_utf8(upload.content.into()).map_err(|e| {
                AppError::bad_input(format!(
                    "`file`: {:?} is not UTF-8 text: {e}",
                    upload.filename
                ))
            })
        }
        (Some(_), Some(_)) => Err(AppError::bad_input(
            "give the document once: `document` (inline JSON) or `file` (an upload), not both",
        )),
        (None, None) => Err(AppError::bad_input(
            "give the document to import: `document` (inline JSON) or `file` (an upload)",
        )),
    }
}

#[Object]
impl ImportMutation {
    /// Imports an interchange document (the format of `twinning import`):
    /// an upsert by key of every record, all or nothing, recorded as one
    /// change set. With `dryRun`, reports what it would do and keeps nothing.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn import_document(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The document, as in interchange.schema.json; or give it as `file` (one of the two)."
        )]
        document: Option<Json<serde_json::Value>>,
        #[graphql(
            desc = "The document as an uploaded JSON file (the GraphQL multipart request specification); or give it as `document` (one of the two)."
        )]
        file: Option<Upload>,
        #[graphql(desc = "Check and report without keeping anything (default false).")]
        dry_run: Option<bool>,
    ) -> Result<ImportDocumentPayload> {
        let dry_run = dry_run.unwrap_or(false);
        let text = document_text(ctx, document, file)?;
        let problems = match interchange::parse(&text) {
            Ok(parsed) => {
                let principal = principal(ctx);
                let options = ImportOptions {
                    actor: principal.actor(),
                    scope: principal.scope().map(|scope| (scope, principal.whose())),
                    operation: "importDocument",
                    dry_run,
                };
                match interchange::import_with(db(ctx), &parsed, &options, &|_| {}).await {
                    Ok(report) => {
                        if let Some(id) = report.change_set {
                            ctx.data_unchecked::<crate::live::Live>()
                                .committed(crate::store::notify::Signal::ChangeSet(id));
                        }
                        let counts = report
                            .counts
                            .iter()
                            .map(|(kind, c)| ImportCount {
                                entity: kind.plural().to_owned(),
                                created: count(c.created),
                                updated: count(c.updated),
                                unchanged: count(c.unchanged),
                            })
                            .collect();
                        return Ok(ImportDocumentPayload {
                            counts,
                            dry_run,
                            user_errors: Vec::new(),
                        });
                    }
                    Err(ImportError::Invalid(problems)) => problems,
                    Err(ImportError::Database(error)) => return Err(error.into()),
                    Err(ImportError::OutOfScope(reason)) => {
                        return Err(AppError::OutOfScope(reason));
                    }
                }
            }
            Err(problems) => problems,
        };
        let user_errors = problems
            .listed()
            .iter()
            .map(|p| UserError::from_problem("document", p))
            .collect();
        Ok(ImportDocumentPayload {
            counts: Vec::new(),
            dry_run,
            user_errors,
        })
    }
}

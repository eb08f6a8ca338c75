//! Limits on what one query may ask, checked after validation and before
//! anything runs. async-graphql measures every query's depth and field
//! count (fragments expanded, aliases counted); this extension refuses one
//! over a limit with a code that names the limit and a message with both
//! numbers, which async-graphql's own limits do not give.

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::{ServerError, ValidationResult};
use std::sync::Arc;

/// The limits of one server.
#[derive(Clone, Copy, Debug)]
pub struct QueryLimits {
    /// Deepest nesting of selections.
    pub max_depth: usize,
    /// Most fields selected, with fragments expanded and aliases counted.
    pub max_fields: usize,
}

impl ExtensionFactory for QueryLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

fn refusal(code: &str, message: String) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", code);
    error.extensions = Some(extensions);
    error
}

#[async_trait::async_trait]
impl Extension for QueryLimits {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        let mut errors = Vec::new();
        if result.depth > self.max_depth {
            errors.push(refusal(
                "DEPTH_LIMIT",
                format!(
                    "the query nests {} levels deep; at most {} are allowed",
                    result.depth, self.max_depth
                ),
            ));
        }
        if result.complexity > self.max_fields {
            errors.push(refusal(
                "FIELD_LIMIT",
                format!(
                    "the query selects {} fields (fragments expanded, aliases counted); at most {} are allowed",
                    result.complexity, self.max_fields
                ),
            ));
        }
        if errors.is_empty() {
            Ok(result)
        } else {
            Err(errors)
        }
    }
}

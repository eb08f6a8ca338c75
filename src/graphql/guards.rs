//! Guards on fields: who may resolve them.

use crate::domain::access::{Principal, Role};
use async_graphql::{Context, Guard};

/// Allows a field only to principals with at least `role`: anonymous
/// clients get `UNAUTHENTICATED`, too low a role gets `FORBIDDEN`.
pub struct RoleGuard(pub Role);

impl Guard for RoleGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let principal = ctx
            .data_opt::<Principal>()
            .cloned()
            .unwrap_or(Principal::Anonymous);
        match principal.role() {
            None => Err(crate::error::AppError::Unauthenticated.into()),
            Some(role) if role < self.0 => Err(crate::error::AppError::Forbidden(self.0).into()),
            Some(_) => Ok(()),
        }
    }
}

//! `rateLimit`: what this request costs and what is left of the caller's
//! rate-limit budget: the same numbers as `extensions.cost` and the
//! `X-RateLimit-*` headers, from the request's [`CostLedger`].

use super::admission::{CostLedger, reset_at};
use crate::error::{AppError, Result};
use async_graphql::{Context, Object, SimpleObject};

/// The `rateLimit` field of `Query`.
#[derive(Default)]
pub struct RateLimitQuery;

/// The cost of a request and the caller's budget after it.
#[derive(SimpleObject)]
pub struct RateLimit {
    /// Points this request is charged: `max(1, round(requests / 100))`,
    /// where requests counts the pages the query may fetch (each connection
    /// field once per node of the connections above it).
    cost: i32,
    /// Nodes the request may return: the page sizes along each path of
    /// connections multiplied, then summed.
    node_count: i32,
    /// Points per window; null when the caller's budget is unlimited.
    limit: Option<i32>,
    /// Points spent in this window, this request included.
    used: Option<i32>,
    /// Points left in this window.
    remaining: Option<i32>,
    /// When the window ends and the budget is whole again.
    reset_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn int(n: u64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

#[Object]
impl RateLimitQuery {
    /// What this request costs and what is left of the caller's budget.
    /// With `dryRun: true` nothing is charged and nothing else in the
    /// request runs (its other root fields are null): a way to learn what a
    /// query would cost before sending it.
    async fn rate_limit(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            name = "dryRun",
            default = false,
            desc = "Price the request only: charge nothing and run nothing else."
        )]
        _dry_run: bool,
    ) -> Result<RateLimit> {
        // The admission extension read `dryRun` from the query's text
        // before anything ran; this field only reports what it decided.
        let report = ctx
            .data_opt::<CostLedger>()
            .and_then(CostLedger::report)
            .ok_or_else(|| AppError::bad_input("the cost of this request is not known"))?;
        let budget = report.budget;
        Ok(RateLimit {
            cost: int(report.points()),
            node_count: int(report.requested.nodes),
            limit: budget.map(|b| int(b.limit)),
            used: budget.map(|b| int(b.used)),
            remaining: budget.map(|b| int(b.remaining)),
            reset_at: budget.as_ref().map(reset_at),
        })
    }
}

//! Admission: what happens to a request between its text and its
//! execution, as one async-graphql extension.
//!
//! - Parse and validation failures get a code (`GRAPHQL_PARSE_FAILED`,
//!   `GRAPHQL_VALIDATION_FAILED`) like every other error.
//! - A mutation sent with GET is refused (`METHOD_NOT_ALLOWED`): GET must be
//!   safe to repeat and to cache.
//! - The limits on depth, fields and nodes refuse an oversized query with a
//!   code naming the limit and a message with both numbers.
//! - The rate limiter charges the query's cost ([`super::cost`]) before it
//!   runs, or refuses it (`RATE_LIMITED`) without running anything.
//! - The response carries the cost in `extensions.cost`, and the request's
//!   [`CostLedger`] keeps it for the HTTP headers, the log line and the
//!   `rateLimit` field, so that all of them show the same numbers.
//!
//! Over 400 lines: one async-graphql extension, whose steps share the
//! request's measured operation and its ledger.

use super::cost::{Cost, MAX_NESTING, Operation, SchemaIndex, TooDeep};
use super::int_range::IntSlots;
use crate::domain::access::Principal;
use crate::error::ErrorCode;
use crate::graphql::connection::PageLimits;
use crate::graphql::pipeline::budgets::{Budget, RateLimiter, Subject, Verdict};
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextPrepareRequest,
    NextResolve, NextValidation, ResolveInfo,
};
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{
    Request, Response, ServerError, ServerResult, ValidationResult, Value, Variables,
};
use std::future::Future;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// The limits of one server.
#[derive(Clone, Copy, Debug)]
pub struct QueryLimits {
    /// Deepest nesting of selections.
    pub max_depth: usize,
    /// Most fields selected, with fragments expanded and aliases counted.
    pub max_fields: usize,
    /// Most nodes a query may return, by the cost formula.
    pub max_nodes: u64,
}

/// How a request reached the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// An HTTP POST.
    Post,
    /// An HTTP GET, which may only run queries.
    Get,
    /// An operation of a WebSocket connection.
    WebSocket,
}

/// The network side of a request, in its data.
#[derive(Clone, Copy, Debug)]
pub struct Client {
    /// The client's address, when the server knows it (anonymous budgets
    /// are kept per address).
    pub address: Option<IpAddr>,
    /// How the request came.
    pub transport: Transport,
}

/// What admission decided about one request.
#[derive(Clone, Debug, Default)]
pub struct CostReport {
    /// The operation's name, when it has one.
    pub operation: Option<String>,
    /// The cost computed from the query's text.
    pub requested: Cost,
    /// Connection pages the execution actually fetched.
    pub actual_requests: u64,
    /// The rate-limit budget after the charge; `None` when unlimited.
    pub budget: Option<Budget>,
    /// A `rateLimit(dryRun: true)` request: charged nothing, ran nothing else.
    pub dry_run: bool,
    /// Whether the rate limiter refused the request.
    pub refused: bool,
}

impl CostReport {
    /// The points the request was (or would be) charged.
    pub fn points(&self) -> u64 {
        self.requested.points()
    }

    /// The points its actual work would have cost.
    pub fn actual_points(&self) -> u64 {
        Cost::points_for(self.actual_requests)
    }

    /// `extensions.cost` of a response.
    fn to_value(&self) -> Value {
        let budget = self.budget;
        serde_json::json!({
            "requested": self.points(),
            "actual": self.actual_points(),
            "nodes": self.requested.nodes,
            "limit": budget.map(|b| b.limit),
            "remaining": budget.map(|b| b.remaining),
            // As the `DateTime` scalar writes it, so both read the same.
            "resetAt": budget.map(|b| reset_at(&b).to_rfc3339()),
        })
        .try_into()
        .unwrap_or(Value::Null)
    }
}

/// When a budget's window ends.
pub fn reset_at(budget: &Budget) -> chrono::DateTime<chrono::Utc> {
    i64::try_from(budget.reset_at)
        .ok()
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .unwrap_or_default()
}

/// The cost report of one request, shared between admission (which writes
/// it), the connections (which count the pages they fetch) and whoever reads
/// it afterwards.
#[derive(Clone, Debug, Default)]
pub struct CostLedger {
    report: Arc<Mutex<Option<CostReport>>>,
    pages: Arc<AtomicU64>,
}

impl CostLedger {
    /// The report, once admission has made one.
    pub fn report(&self) -> Option<CostReport> {
        let mut report = self.report.lock().ok().and_then(|slot| slot.clone())?;
        report.actual_requests = self.pages.load(Ordering::Relaxed);
        Some(report)
    }

    /// Counts a connection page fetched for the request behind `ctx`.
    pub fn count_page(ctx: &async_graphql::Context<'_>) {
        if let Some(ledger) = ctx.data_opt::<CostLedger>() {
            ledger.pages.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn record(&self, report: Option<CostReport>) {
        if let Ok(mut slot) = self.report.lock() {
            *slot = report;
        }
    }
}

/// Admission, over the schema's fields and the limiter (`None` when rate
/// limits are off). Its steps are plain functions: [`super::Api::execute`]
/// runs them itself for HTTP, and [`AdmissionOfOne`], an async-graphql
/// extension, runs them for WebSocket operations and dry runs.
#[derive(Clone)]
pub struct Admission {
    pub limits: QueryLimits,
    pub index: Arc<SchemaIndex>,
    pub ints: Arc<IntSlots>,
    pub limiter: Option<Arc<RateLimiter>>,
}

impl Admission {
    /// Parses `request` (the document stays in it for async-graphql) and
    /// measures it: the operation it runs, unless the document does not
    /// say which. async-graphql's own measures (its recursion-depth check
    /// among them) expand every fragment spread, so a fragment bomb would
    /// keep them busy for hours; this walk counts the same fields in time
    /// linear in the query's text, and refuses a query over the field limit
    /// first.
    pub fn measure(
        &self,
        request: &mut Request,
        transport: Option<Transport>,
    ) -> Result<Option<Operation>, ServerError> {
        let variables = std::mem::take(&mut request.variables);
        let operation_name = request.operation_name.take();
        let measured = request.parsed_query().map(|document| {
            let measure = self
                .index
                .measure(document, operation_name.as_deref(), &variables);
            // Only a document within the nesting limit is walked again.
            let out_of_range = measure
                .is_ok()
                .then(|| self.ints.first_out_of_range(document, &variables))
                .flatten();
            (measure, out_of_range)
        });
        request.variables = variables;
        request.operation_name = operation_name;
        let (measure, out_of_range) =
            measured.map_err(|e| ErrorCode::GraphqlParseFailed.fill(e))?;
        if let Some(invalid) = out_of_range {
            let error = ServerError::new(invalid.message, Some(invalid.pos));
            return Err(ErrorCode::GraphqlValidationFailed.fill(error));
        }
        let measure = measure.map_err(|TooDeep| {
                ErrorCode::DepthLimit.error(format!(
                    "the query nests selections and fragment spreads more than {MAX_NESTING} levels deep"
                ))
            })?;
        let max_fields = self.limits.max_fields as u64;
        if measure.fields > max_fields {
            return Err(ErrorCode::FieldLimit.error(format!(
                "the query selects {} fields (fragments expanded, aliases counted); at most {max_fields} are allowed",
                measure.fields
            )));
        }
        if measure
            .operation
            .is_some_and(|o| o.ty == OperationType::Mutation)
            && transport == Some(Transport::Get)
        {
            return Err(ErrorCode::MethodNotAllowed
                .error("a mutation must be sent with POST; GET may only run queries"));
        }
        Ok(measure.operation)
    }

    /// The limits `operation` exceeds, each as an error naming it.
    pub fn limit_errors(&self, operation: &Operation, pages: PageLimits) -> Vec<ServerError> {
        let limits = self.limits;
        let Operation {
            cost,
            largest_page,
            most_ids,
            ..
        } = *operation;
        let mut errors = Vec::new();
        if cost.depth > limits.max_depth as u64 {
            errors.push(ErrorCode::DepthLimit.error(format!(
                "the query nests {} levels deep; at most {} are allowed",
                cost.depth, limits.max_depth
            )));
        }
        if largest_page > pages.max_page_size as u64 {
            errors.push(ErrorCode::PageSizeLimit.error(format!(
                "a page asks for {largest_page} items (`first` or `last`); at most {} are allowed",
                pages.max_page_size
            )));
        }
        if most_ids > pages.max_ids as u64 {
            errors.push(ErrorCode::IdLimit.error(format!(
                "`nodes(ids:)` lists {most_ids} ids; at most {} are allowed",
                pages.max_ids
            )));
        }
        if cost.nodes > limits.max_nodes {
            errors.push(ErrorCode::NodeLimit.error(format!(
                "the query may return up to {} nodes (the page sizes along each path multiplied, then summed); at most {} are allowed",
                cost.nodes, limits.max_nodes
            )));
        }
        errors
    }

    /// Charges `cost` to the caller (for a dry run, only looks at the
    /// budget): the budget after, and the error refusing the request when
    /// its budget cannot pay.
    pub async fn charge(
        &self,
        principal: &Principal,
        address: Option<IpAddr>,
        cost: Cost,
        dry_run: bool,
    ) -> (Option<Budget>, Option<ServerError>) {
        let Some(limiter) = &self.limiter else {
            return (None, None);
        };
        let subject = Subject::of(principal, address);
        let verdict = if dry_run {
            limiter.peek(&subject, principal.role()).await
        } else {
            limiter
                .charge(&subject, principal.role(), cost.points())
                .await
        };
        match verdict {
            Verdict::Unlimited => (None, None),
            Verdict::Charged(budget) => (Some(budget), None),
            Verdict::TooCostly(budget) => {
                let message = format!(
                    "this request costs {} points, more than the whole budget of {} points per window; ask for smaller pages",
                    cost.points(),
                    budget.limit
                );
                (Some(budget), Some(ErrorCode::CostLimit.error(message)))
            }
            Verdict::Refused {
                budget,
                retry_after,
            } => {
                let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
                let mut error = ErrorCode::RateLimited.error(format!(
                    "this request costs {} points and {} of the {} points of this window are left; retry in {seconds} s",
                    cost.points(),
                    budget.remaining,
                    budget.limit
                ));
                if let Some(extensions) = error.extensions.as_mut() {
                    extensions.set("retryAfter", seconds);
                }
                (Some(budget), Some(error))
            }
        }
    }

    /// Charges a query or mutation and runs it with `run` unless refused:
    /// its response, with `extensions.cost`, and the ledger's report. A
    /// request async-graphql then refuses in validation did not run: it is
    /// refunded and reports no cost.
    pub async fn charge_and_run(
        &self,
        (principal, address): (&Principal, Option<IpAddr>),
        operation: Option<Operation>,
        operation_name: Option<&str>,
        ledger: &CostLedger,
        run: impl Future<Output = Response>,
    ) -> Response {
        let cost = operation.map(|o| o.cost).unwrap_or_default();
        let dry_run = operation.is_some_and(|o| o.dry_run);
        let (budget, refused) = self.charge(principal, address, cost, dry_run).await;
        ledger.record(Some(CostReport {
            operation: operation_name.map(str::to_owned),
            requested: cost,
            actual_requests: 0,
            budget,
            dry_run,
            refused: refused.is_some(),
        }));
        let mut response = match refused {
            Some(error) => {
                return Response::from_errors(vec![error]).extension("cost", self.cost_of(ledger));
            }
            None => run.await,
        };
        if did_not_run(&response) {
            if let (Some(limiter), false) = (&self.limiter, dry_run) {
                limiter
                    .refund(
                        &Subject::of(principal, address),
                        principal.role(),
                        cost.points(),
                    )
                    .await;
            }
            ledger.record(None);
            response.errors = std::mem::take(&mut response.errors)
                .into_iter()
                .map(|e| ErrorCode::GraphqlValidationFailed.fill(e))
                .collect();
            return response;
        }
        response.extension("cost", self.cost_of(ledger))
    }

    fn cost_of(&self, ledger: &CostLedger) -> Value {
        ledger.report().map_or(Value::Null, |r| r.to_value())
    }
}

/// Whether a response never ran: it failed before execution (its errors
/// have no path), so it has no `data` at all.
pub fn did_not_run(response: &Response) -> bool {
    response.data == Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

impl ExtensionFactory for Admission {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(AdmissionOfOne {
            admission: self.clone(),
            operation: OnceLock::new(),
        })
    }
}

/// Admission as an extension, for the operations async-graphql drives.
struct AdmissionOfOne {
    admission: Admission,
    /// The operation the request runs, as measured before async-graphql
    /// parsed it (unset when the document does not say which).
    operation: OnceLock<Operation>,
}

/// Who is calling, from an extension's view of the request's data.
fn caller(ctx: &ExtensionContext<'_>) -> (Principal, Option<IpAddr>) {
    let principal = ctx
        .data_opt::<Principal>()
        .cloned()
        .unwrap_or(Principal::Anonymous);
    (principal, ctx.data_opt::<Client>().and_then(|c| c.address))
}

#[async_trait::async_trait]
impl Extension for AdmissionOfOne {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let transport = ctx.data_opt::<Client>().map(|c| c.transport);
        if let Some(operation) = self.admission.measure(&mut request, transport)? {
            let _ = self.operation.set(operation);
        }
        // Over WebSocket, the data the resolvers see is the connection's:
        // each operation gets a ledger of its own.
        if transport == Some(Transport::WebSocket) {
            request.data.insert(CostLedger::default());
        }
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        next.run(ctx, query, variables)
            .await
            .map_err(|e| ErrorCode::GraphqlParseFailed.fill(e))
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|e| ErrorCode::GraphqlValidationFailed.fill(e))
                .collect::<Vec<_>>()
        })?;
        let Some(operation) = self.operation.get() else {
            // async-graphql refuses a document that does not say which
            // operation to run.
            return Ok(result);
        };
        let pages = ctx.data_opt::<PageLimits>().copied().unwrap_or_default();
        let mut errors = self.admission.limit_errors(operation, pages);
        if errors.is_empty() && operation.ty == OperationType::Subscription {
            // A subscription pays once, as it starts.
            let (principal, address) = caller(ctx);
            if let (_, Some(refused)) = self
                .admission
                .charge(&principal, address, operation.cost, false)
                .await
            {
                errors.push(refused);
            }
        }
        if errors.is_empty() {
            Ok(result)
        } else {
            Err(errors)
        }
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let operation = self.operation.get().copied();
        let ledger = ctx.data_opt::<CostLedger>().cloned().unwrap_or_default();
        if operation.is_some_and(|o| o.ty == OperationType::Subscription) {
            // Charged once, when it started (see `validation`); each event
            // executes again, and charging those would bill the
            // subscriber for the writes of others.
            return next.run(ctx, operation_name).await;
        }
        let (principal, address) = caller(ctx);
        self.admission
            .charge_and_run(
                (&principal, address),
                operation,
                operation_name,
                &ledger,
                next.run(ctx, operation_name),
            )
            .await
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if info.path_node.parent.is_none()
            && self.operation.get().is_some_and(|o| o.dry_run)
            && info.name != "rateLimit"
            && info.name != "__typename"
        {
            // A dry run runs nothing but `rateLimit`.
            return Ok(None);
        }
        next.run(ctx, info).await
    }
}

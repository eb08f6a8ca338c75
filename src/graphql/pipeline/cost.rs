//! What a query may cost, computed from its text before anything runs, the
//! way GitHub's GraphQL API does it:
//!
//! - A connection field (one taking `first`/`last`) asks for `first` (or
//!   `last`, or the default page of 20) nodes for each node of the
//!   connections above it. `nodes(ids:)` asks for one node per id.
//! - **nodes** = the sum, over every connection field of the query, of the
//!   product of the page sizes along its path (itself included);
//!   aliases and fragments count every time they appear.
//! - **requests** = the same sum without the field's own page size: how many
//!   pages the server may have to fetch, one per parent node.
//! - **points** = `max(1, round(requests / 100))`: what the request is
//!   charged against the rate-limit budget.
//!
//! A list of objects that is not a connection (a city's sister cities)
//! counts as a page of 100, the most a page may hold; the pairs the schema
//! guarantees (a partnership's two cities, a protocol's two parties) as 2.
//! Lists of scalars cost nothing of their own.
//!
//! Over 400 lines: the formula, its walk over a document's fragments and
//! aliases, and the schema index it reads are one piece, tested together.

use async_graphql::parser::types::{
    BaseType, ExecutableDocument, Field, OperationDefinition, OperationType, Selection,
    SelectionSet, ServiceDocument, Type, TypeDefinition, TypeKind, TypeSystemDefinition,
};
use async_graphql::{Name, Value, Variables};
use std::collections::HashMap;

use crate::graphql::connection::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

/// Lists of objects that hold exactly two: a partnership's cities and a
/// protocol's parties.
const PAIRS: [(&str, &str); 2] = [("Partnership", "cities"), ("Protocol", "parties")];

/// How deep a walk may nest selections and fragment spreads. Deeper
/// queries are refused (async-graphql refuses more than 32 levels anyway,
/// but only after walking them, recursively, itself).
pub const MAX_NESTING: usize = 64;

/// Requests per point: a request that may fetch up to 100 pages costs 1.
const REQUESTS_PER_POINT: u64 = 100;

/// The cost of one operation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cost {
    /// Nodes the operation may return.
    pub nodes: u64,
    /// Pages the server may fetch.
    pub requests: u64,
    /// Fields selected, with fragments expanded and aliases counted (the
    /// number async-graphql calls complexity).
    pub fields: u64,
    /// The deepest nesting of fields (fragments add none), as async-graphql
    /// measures depth.
    pub depth: u64,
}

impl Cost {
    /// Rate-limit points for this many page requests.
    pub fn points_for(requests: u64) -> u64 {
        (requests.saturating_add(REQUESTS_PER_POINT / 2) / REQUESTS_PER_POINT).max(1)
    }

    /// The points the operation is charged.
    pub fn points(&self) -> u64 {
        Self::points_for(self.requests)
    }

    /// `self` plus `other` repeated `times` times (once per node of a
    /// page); fields are counted once, whatever the page size.
    fn add(&mut self, other: Cost, times: u64) {
        self.nodes = self.nodes.saturating_add(other.nodes.saturating_mul(times));
        self.requests = self
            .requests
            .saturating_add(other.requests.saturating_mul(times));
        self.fields = self.fields.saturating_add(other.fields);
        self.depth = self.depth.max(other.depth);
    }
}

/// How a field grows the query: a connection multiplies what is under it by
/// its page size; a list of ids by their number; a list of objects by the
/// most it may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    Plain,
    Connection,
    ById,
    List(u64),
}

#[derive(Clone, Debug)]
struct FieldInfo {
    /// The named type the field returns (lists and non-null stripped).
    type_name: String,
    shape: Shape,
}

/// The fields of every object and interface type, from the schema's SDL:
/// what a walk over a query needs to know the type under each selection.
#[derive(Debug, Default)]
pub struct SchemaIndex {
    /// Each type's fields, by name.
    fields: HashMap<String, HashMap<String, FieldInfo>>,
}

fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => named(inner),
    }
}

/// What measuring a document found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Measure {
    /// Fields of all the document's operations, fragments expanded: the
    /// field limit applies to all of them, since async-graphql's own
    /// checks walk them all.
    pub fields: u64,
    /// The operation the request runs, when the document says which.
    pub operation: Option<Operation>,
}

/// The operation a request runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Operation {
    pub ty: OperationType,
    pub cost: Cost,
    /// It asks `rateLimit(dryRun: true)` at its root.
    pub dry_run: bool,
    /// The largest page it asks for (`first`/`last`).
    pub largest_page: u64,
    /// The most ids one `nodes(ids:)` of it lists.
    pub most_ids: u64,
}

/// A document nesting selections and spreads deeper than [`MAX_NESTING`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooDeep;

impl SchemaIndex {
    /// Indexes a schema from its SDL.
    pub fn from_sdl(sdl: &str) -> Result<Self, async_graphql::parser::Error> {
        let document: ServiceDocument = async_graphql::parser::parse_schema(sdl)?;
        let composite: std::collections::HashSet<String> = document
            .definitions
            .iter()
            .filter_map(|d| match d {
                TypeSystemDefinition::Type(ty) => match &ty.node.kind {
                    TypeKind::Object(_) | TypeKind::Interface(_) | TypeKind::Union(_) => {
                        Some(ty.node.name.node.to_string())
                    }
                    _ => None,
                },
                _ => None,
            })
            .collect();
        let mut fields: HashMap<String, HashMap<String, FieldInfo>> = HashMap::new();
        for definition in document.definitions {
            let TypeSystemDefinition::Type(ty) = definition else {
                continue;
            };
            let TypeDefinition { name, kind, .. } = ty.node;
            let list = match kind {
                TypeKind::Object(object) => object.fields,
                TypeKind::Interface(interface) => interface.fields,
                _ => continue,
            };
            for field in list {
                let field = field.node;
                let has = |arg: &str| field.arguments.iter().any(|a| a.node.name.node == arg);
                let type_name = named(&field.ty.node);
                let is_list = matches!(field.ty.node.base, BaseType::List(_));
                let shape = if has("first") || has("last") {
                    Shape::Connection
                } else if has("ids") {
                    Shape::ById
                } else if is_list
                    && composite.contains(type_name)
                    // A connection's `nodes` and `edges` are its page,
                    // already counted.
                    && !name.node.ends_with("Connection")
                {
                    let pair = PAIRS.contains(&(name.node.as_str(), field.name.node.as_str()));
                    Shape::List(if pair { 2 } else { MAX_PAGE_SIZE as u64 })
                } else {
                    Shape::Plain
                };
                fields.entry(name.node.to_string()).or_default().insert(
                    field.name.node.to_string(),
                    FieldInfo {
                        type_name: type_name.to_owned(),
                        shape,
                    },
                );
            }
        }
        Ok(Self { fields })
    }

    /// Measures a document: the fields of all its operations, and the
    /// cost of the one a request runs. Time and stack are linear in the
    /// document's text, however its fragments multiply.
    pub fn measure(
        &self,
        document: &ExecutableDocument,
        operation_name: Option<&str>,
        variables: &Variables,
    ) -> Result<Measure, TooDeep> {
        let operation = match select_operation(document, operation_name) {
            None => None,
            Some(operation) => {
                let mut walk = Walk::new(self, document, Some(operation), variables);
                let root = root_type(operation.ty);
                let cost = walk.selections(&operation.selection_set.node, root, 0)?;
                Some(Operation {
                    ty: operation.ty,
                    cost,
                    dry_run: walk.dry_run,
                    largest_page: walk.largest_page,
                    most_ids: walk.most_ids,
                })
            }
        };
        // Fields do not depend on variables. A document of one operation
        // has just counted them; otherwise one walk over every operation,
        // each fragment walked once for all of them.
        let fields = match operation {
            Some(op) if document.operations.iter().count() == 1 => op.cost.fields,
            _ => {
                let mut all = Walk::new(self, document, None, variables);
                let mut fields = 0u64;
                for (_, operation) in document.operations.iter() {
                    let root = root_type(operation.node.ty);
                    let cost = all.selections(&operation.node.selection_set.node, root, 0)?;
                    fields = fields.saturating_add(cost.fields);
                }
                fields
            }
        };
        Ok(Measure { fields, operation })
    }
}

fn root_type(ty: OperationType) -> &'static str {
    match ty {
        OperationType::Query => "Query",
        OperationType::Mutation => "Mutation",
        OperationType::Subscription => "Subscription",
    }
}

/// The operation a request names, or its only one.
pub fn select_operation<'a>(
    document: &'a ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<&'a OperationDefinition> {
    match operation_name {
        Some(name) => document
            .operations
            .iter()
            .find(|(n, _)| n.map(Name::as_str) == Some(name))
            .map(|(_, op)| &op.node),
        None => {
            let mut operations = document.operations.iter();
            let (_, only) = operations.next()?;
            operations.next().is_none().then_some(&only.node)
        }
    }
}

/// A walk over one operation. Every figure is linear in the number of
/// parent nodes, so a fragment is costed once, for one parent, and scaled
/// wherever it is spread: a fragment bomb (each fragment spreading the next
/// several times) costs time in the size of its text, not of its expansion.
struct Walk<'a> {
    index: &'a SchemaIndex,
    document: &'a ExecutableDocument,
    /// The operation whose variables (and their defaults) fill arguments;
    /// none when only fields are counted.
    operation: Option<&'a OperationDefinition>,
    variables: &'a Variables,
    /// Each fragment's cost, once known; `None` while it is being
    /// costed (a cycle is a validation error reported later; here it must
    /// only not loop).
    fragments: HashMap<&'a str, Option<Cost>>,
    /// The operation asks `rateLimit(dryRun: true)` at its root.
    dry_run: bool,
    largest_page: u64,
    most_ids: u64,
}

impl<'a> Walk<'a> {
    fn new(
        index: &'a SchemaIndex,
        document: &'a ExecutableDocument,
        operation: Option<&'a OperationDefinition>,
        variables: &'a Variables,
    ) -> Self {
        Self {
            index,
            document,
            operation,
            variables,
            fragments: HashMap::new(),
            dry_run: false,
            largest_page: 0,
            most_ids: 0,
        }
    }

    /// The cost of a selection set on `type_name`, for one parent node,
    /// `depth` levels (of selections and spreads) down.
    fn selections(
        &mut self,
        set: &'a SelectionSet,
        type_name: &str,
        depth: usize,
    ) -> Result<Cost, TooDeep> {
        if depth > MAX_NESTING {
            return Err(TooDeep);
        }
        let mut cost = Cost::default();
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    // Unknown fields and introspection: validation's
                    // business; their fields still count.
                    let index = self.index;
                    let info = index
                        .fields
                        .get(type_name)
                        .and_then(|fields| fields.get(field.name.node.as_str()));
                    if type_name == "Query"
                        && field.name.node == "rateLimit"
                        && self.argument(field, "dryRun") == Some(Value::Boolean(true))
                    {
                        self.dry_run = true;
                    }
                    let child_type = info.as_ref().map_or("", |i| i.type_name.as_str());
                    let children =
                        self.selections(&field.selection_set.node, child_type, depth + 1)?;
                    cost.depth = cost.depth.max(children.depth + 1);
                    let per_parent = match info.map(|i| i.shape) {
                        Some(Shape::Connection) => {
                            let size = self
                                .int_argument(field, "first")
                                .or_else(|| self.int_argument(field, "last"))
                                .unwrap_or(DEFAULT_PAGE_SIZE as u64);
                            self.largest_page = self.largest_page.max(size);
                            size
                        }
                        Some(Shape::ById) => {
                            let count = self.list_length(field, "ids");
                            self.most_ids = self.most_ids.max(count);
                            count
                        }
                        Some(Shape::List(size)) => size,
                        Some(Shape::Plain) | None => {
                            cost.fields = cost.fields.saturating_add(1);
                            cost.add(children, 1);
                            continue;
                        }
                    };
                    cost.add(
                        Cost {
                            nodes: per_parent,
                            requests: 1,
                            fields: 1,
                            depth: 0,
                        },
                        1,
                    );
                    cost.add(children, per_parent);
                }
                Selection::InlineFragment(fragment) => {
                    let fragment = &fragment.node;
                    let on = fragment
                        .type_condition
                        .as_ref()
                        .map_or(type_name, |c| c.node.on.node.as_str());
                    let inner = self.selections(&fragment.selection_set.node, on, depth + 1)?;
                    cost.add(inner, 1);
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    let inner = match self.fragments.get(name) {
                        Some(known) => known.unwrap_or_default(),
                        None => {
                            let Some(fragment) = self.document.fragments.get(name) else {
                                continue;
                            };
                            self.fragments.insert(name, None);
                            let on = fragment.node.type_condition.node.on.node.as_str();
                            let inner =
                                self.selections(&fragment.node.selection_set.node, on, depth + 1)?;
                            self.fragments.insert(name, Some(inner));
                            inner
                        }
                    };
                    cost.add(inner, 1);
                }
            }
        }
        Ok(cost)
    }

    /// An argument's value with variables (and their defaults) filled in.
    fn argument(&self, field: &Field, name: &str) -> Option<Value> {
        field
            .get_argument(name)?
            .node
            .clone()
            .into_const_with(|variable| {
                self.variables
                    .get(&variable)
                    .cloned()
                    .or_else(|| {
                        self.operation?
                            .variable_definitions
                            .iter()
                            .find(|d| d.node.name.node == variable)
                            .and_then(|d| d.node.default_value.as_ref())
                            .map(|v| v.node.clone())
                    })
                    .ok_or(())
            })
            .ok()
    }

    fn int_argument(&self, field: &Field, name: &str) -> Option<u64> {
        match self.argument(field, name)? {
            Value::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    fn list_length(&self, field: &Field, name: &str) -> u64 {
        match self.argument(field, name) {
            Some(Value::List(items)) => items.len() as u64,
            Some(Value::Null) | None => 0,
            Some(_) => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cost(query: &str, variables: serde_json::Value) -> Cost {
        let index = SchemaIndex::from_sdl(&crate::graphql::sdl()).expect("the SDL parses");
        let document = async_graphql::parser::parse_query(query).expect("the query parses");
        index
            .measure(&document, None, &Variables::from_json(variables))
            .expect("not too deep")
            .operation
            .expect("one operation")
            .cost
    }

    #[test]
    fn nested_pages_multiply_and_sum() {
        // 50 cities, 50 × 100 partnerships, 5,000 × 100 visits.
        let q = "{ cities(first: 50) { nodes { partnerships(first: 100) { nodes {
                   visits(first: 100) { nodes { key } } cities { key } } } } } }";
        let c = cost(q, serde_json::json!({}));
        // … and each partnership's two cities.
        assert_eq!(c.nodes, 50 + 5_000 + 500_000 + 10_000);
        assert_eq!(c.requests, 1 + 50 + 5_000 + 5_000);
        assert_eq!(c.points(), 101);
        // cities nodes partnerships nodes visits nodes key cities key
        assert_eq!(c.fields, 9);
        assert_eq!(c.depth, 7);
    }

    #[test]
    fn variables_defaults_aliases_and_fragments_count() {
        let q = "query($n: Int = 10, $m: Int) {
                   a: cities(first: $n) { nodes { ...P } }
                   b: cities(last: $m) { nodes { key } }
                   nodes(ids: [\"x\", \"y\"]) { ... on City { partnerships { nodes { key } } } }
                 }
                 fragment P on City { partnerships(first: 3) { totalCount } }";
        let c = cost(q, serde_json::json!({ "m": 5 }));
        // a: 10 + 10×3; b: 5; nodes: 2 + 2×20 (the default page).
        assert_eq!(c.nodes, 10 + 30 + 5 + 2 + 40);
        assert_eq!(c.requests, 1 + 10 + 1 + 1 + 2);
        assert_eq!(c.points(), 1);
        // Fragments add no depth: cities nodes (…P: partnerships totalCount).
        assert_eq!(c.depth, 4);
    }

    #[test]
    fn a_fragment_bomb_is_costed_without_expanding_it() {
        let mut q = String::from("{ cities(first: 2) { nodes { ...F0 } } }");
        for level in 0..30 {
            let next = format!("...F{} ", level + 1).repeat(4);
            q.push_str(&format!(" fragment F{level} on City {{ {next}}}"));
        }
        q.push_str(" fragment F30 on City { key }");
        let c = cost(&q, serde_json::json!({}));
        assert_eq!(c.fields, 2 + 4u64.pow(30));
    }
}

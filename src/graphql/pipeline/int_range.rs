//! GraphQL's `Int` is a signed 32-bit integer, and a literal outside that
//! range is invalid wherever it stands ("Values of Correct Type", §5.6.1 of
//! the specification). async-graphql's validation accepts any whole number
//! as an `Int` (its `is_valid` takes every `i64`) and narrows it only when
//! the field runs, so a literal under a field that never runs (its parent
//! is null) was accepted. This walk finds every `Int` literal of a document
//! by the types of the schema's arguments and input fields, before anything
//! runs, as admission's other measures do.

use async_graphql::parser::types::{
    BaseType, Directive, ExecutableDocument, OperationType, Selection, SelectionSet,
    ServiceDocument, Type, TypeKind, TypeSystemDefinition,
};
use async_graphql::{Pos, Positioned, Value, Variables};
use std::collections::HashMap;

/// A list of arguments as (name, position, literal), variables read as
/// null: only literals are checked here (a variable's value is checked
/// as async-graphql coerces it).
macro_rules! literals {
    ($arguments:expr) => {
        $arguments
            .iter()
            .map(|(name, value)| {
                let literal = value
                    .node
                    .clone()
                    .into_const_with(|_| Ok::<_, ()>(Value::Null))
                    .unwrap_or(Value::Null);
                (name.node.as_str(), value.pos, literal)
            })
            .collect::<Vec<_>>()
    };
}

/// Input types by name: a field's or directive's arguments, or an input
/// object's fields.
type Inputs = HashMap<String, Type>;

/// Where `Int` literals may stand in a schema, read from its SDL.
#[derive(Debug, Default)]
pub struct IntSlots {
    /// Each object and interface type's fields: their arguments and the
    /// named type each returns (to follow selections).
    fields: HashMap<String, HashMap<String, (Inputs, String)>>,
    /// Each input object's fields.
    inputs: HashMap<String, Inputs>,
    directives: HashMap<String, Inputs>,
}

/// An `Int` literal out of range: where it stands and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutOfRange {
    pub pos: Pos,
    pub message: String,
}

fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => named(inner),
    }
}

fn inputs<'a>(
    values: impl Iterator<Item = &'a async_graphql::parser::types::InputValueDefinition>,
) -> Inputs {
    values
        .map(|value| (value.name.node.to_string(), value.ty.node.clone()))
        .collect()
}

impl IntSlots {
    /// Indexes a schema from its SDL.
    pub fn from_sdl(sdl: &str) -> Result<Self, async_graphql::parser::Error> {
        let document: ServiceDocument = async_graphql::parser::parse_schema(sdl)?;
        let mut slots = Self::default();
        for definition in document.definitions {
            match definition {
                TypeSystemDefinition::Type(ty) => {
                    let name = ty.node.name.node.to_string();
                    let fields = match ty.node.kind {
                        TypeKind::Object(object) => object.fields,
                        TypeKind::Interface(interface) => interface.fields,
                        TypeKind::InputObject(input) => {
                            let fields = input.fields.iter().map(|f| &f.node);
                            slots.inputs.insert(name, inputs(fields));
                            continue;
                        }
                        _ => continue,
                    };
                    let fields = fields.into_iter().map(|field| {
                        let field = field.node;
                        let arguments = inputs(field.arguments.iter().map(|a| &a.node));
                        let returns = named(&field.ty.node).to_owned();
                        (field.name.node.to_string(), (arguments, returns))
                    });
                    slots.fields.insert(name, fields.collect());
                }
                TypeSystemDefinition::Directive(directive) => {
                    let arguments = directive.node.arguments.iter().map(|a| &a.node);
                    let name = directive.node.name.node.to_string();
                    slots.directives.insert(name, inputs(arguments));
                }
                TypeSystemDefinition::Schema(_) => {}
            }
        }
        Ok(slots)
    }

    /// The first `Int` outside 32 bits in `document`: a literal in any of
    /// its operations and fragments, a variable's default, or the value
    /// given for a variable.
    pub fn first_out_of_range(
        &self,
        document: &ExecutableDocument,
        variables: &Variables,
    ) -> Option<OutOfRange> {
        let mut found = None;
        for (_, operation) in document.operations.iter() {
            let operation = &operation.node;
            for definition in &operation.variable_definitions {
                let variable = &definition.node;
                let path = format!("${}", variable.name.node);
                let given = variables.get(&variable.name.node);
                if let Some(value) = given.or(variable.default_value.as_ref().map(|d| &d.node)) {
                    let value = Positioned::new(value.clone(), definition.pos);
                    self.value(&variable.var_type.node, &value, &path, &mut found);
                }
            }
            self.directives(&operation.directives, &mut found);
            let root = match operation.ty {
                OperationType::Query => "Query",
                OperationType::Mutation => "Mutation",
                OperationType::Subscription => "Subscription",
            };
            self.selections(root, &operation.selection_set.node, &mut found);
        }
        for fragment in document.fragments.values() {
            let fragment = &fragment.node;
            self.directives(&fragment.directives, &mut found);
            let on = fragment.type_condition.node.on.node.as_str();
            self.selections(on, &fragment.selection_set.node, &mut found);
        }
        found
    }

    /// Fragment spreads are not followed: every fragment is walked once
    /// on its own, under its type condition.
    fn selections(&self, parent: &str, set: &SelectionSet, found: &mut Option<OutOfRange>) {
        for selection in &set.items {
            if found.is_some() {
                return;
            }
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    self.directives(&field.directives, found);
                    let Some((arguments, returns)) = self
                        .fields
                        .get(parent)
                        .and_then(|fields| fields.get(field.name.node.as_str()))
                    else {
                        // Unknown fields are async-graphql's to report.
                        continue;
                    };
                    let given = literals!(field.arguments);
                    self.arguments(field.name.node.as_str(), arguments, &given, found);
                    self.selections(returns, &field.selection_set.node, found);
                }
                Selection::FragmentSpread(spread) => {
                    self.directives(&spread.node.directives, found);
                }
                Selection::InlineFragment(inline) => {
                    let inline = &inline.node;
                    self.directives(&inline.directives, found);
                    let on = inline
                        .type_condition
                        .as_ref()
                        .map_or(parent, |condition| condition.node.on.node.as_str());
                    self.selections(on, &inline.selection_set.node, found);
                }
            }
        }
    }

    fn directives(&self, directives: &[Positioned<Directive>], found: &mut Option<OutOfRange>) {
        for directive in directives {
            let directive = &directive.node;
            let name = directive.name.node.as_str();
            if let Some(arguments) = self.directives.get(name) {
                let owner = format!("@{name}");
                self.arguments(&owner, arguments, &literals!(directive.arguments), found);
            }
        }
    }

    fn arguments(
        &self,
        owner: &str,
        types: &Inputs,
        given: &[(&str, Pos, Value)],
        found: &mut Option<OutOfRange>,
    ) {
        for (name, pos, value) in given {
            if let Some(ty) = types.get(*name) {
                let path = format!("{owner}({name}:)");
                if found.is_none()
                    && let Some(message) = self.check(ty, value, &path)
                {
                    *found = Some(OutOfRange { pos: *pos, message });
                }
            }
        }
    }

    fn value(
        &self,
        ty: &Type,
        value: &Positioned<Value>,
        path: &str,
        found: &mut Option<OutOfRange>,
    ) {
        if found.is_none()
            && let Some(message) = self.check(ty, &value.node, path)
        {
            *found = Some(OutOfRange {
                pos: value.pos,
                message,
            });
        }
    }

    /// The message for the first `Int` out of range in `value`, given as
    /// `ty` at `path`.
    fn check(&self, ty: &Type, value: &Value, path: &str) -> Option<String> {
        match (&ty.base, value) {
            (BaseType::List(inner), Value::List(items)) => items
                .iter()
                .enumerate()
                .find_map(|(i, item)| self.check(inner, item, &format!("{path}[{i}]"))),
            // A single value stands for a list of one.
            (BaseType::List(inner), _) => self.check(inner, value, path),
            (BaseType::Named(name), Value::Number(number)) if name == "Int" => {
                let whole = number.is_i64() || number.is_u64();
                let fits = number.as_i64().is_some_and(|n| i32::try_from(n).is_ok());
                (whole && !fits).then(|| {
                    format!(
                        "{path}: {number} is not an `Int`, which is a signed 32-bit integer ({} to {})",
                        i32::MIN,
                        i32::MAX
                    )
                })
            }
            (BaseType::Named(name), Value::Object(fields)) => {
                let types = self.inputs.get(name.as_str())?;
                fields.iter().find_map(|(field, value)| {
                    let ty = types.get(field.as_str())?;
                    self.check(ty, value, &format!("{path}.{field}"))
                })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDL: &str = r#"
        type Query { a(n: Int, f: F): Query, b(ns: [Int!]): Int }
        input F { min: Int, inner: F }
    "#;

    fn first(query: &str) -> Option<String> {
        let slots = IntSlots::from_sdl(SDL).expect("SDL parses");
        let document = async_graphql::parser::parse_query(query).expect("query parses");
        slots
            .first_out_of_range(&document, &Variables::default())
            .map(|o| o.message)
    }

    #[test]
    fn int_literals_within_32_bits_pass() {
        assert_eq!(first("{ a(n: -2147483648) { b(ns: [2147483647]) } }"), None);
    }

    #[test]
    fn int_literals_outside_32_bits_are_found_wherever_they_stand() {
        let nested = first("{ a { a(n: -2147483649) { b } } }").expect("found");
        assert!(
            nested.starts_with("a(n:): -2147483649 is not an `Int`"),
            "{nested}"
        );
        let listed = first("{ a { b(ns: [1, 2147483648]) } }").expect("found");
        assert!(listed.starts_with("b(ns:)[1]: 2147483648"), "{listed}");
        let input = first("{ a(f: { inner: { min: 9999999999 } }) { b } }").expect("found");
        assert!(input.starts_with("a(f:).inner.min: 9999999999"), "{input}");
        let default = first("query ($n: Int = 4294967296) { a(n: $n) { b } }").expect("found");
        assert!(default.starts_with("$n: 4294967296"), "{default}");
        let fragment = first("{ ...F } fragment F on Query { a(n: 3000000000) { b } }");
        assert!(fragment.is_some());
    }
}

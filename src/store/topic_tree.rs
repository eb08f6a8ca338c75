//! The topic tree, walked in SQL: `WITH RECURSIVE d(root, id)` pairs each
//! root topic with itself and every topic below it, at any depth. Filters,
//! nested lists and statistics that count a topic's subtopics too read it.

use entity::topic;
use sea_orm::sea_query::{
    CommonTableExpression, Condition, Expr, ExprTrait, Query, SelectStatement, UnionType,
    WithClause,
};

/// `d(root, id)` for the topics matching `roots` (all topics when empty).
pub(crate) fn subtrees(roots: Condition) -> WithClause {
    let roots = Query::select()
        .columns([topic::Column::Id, topic::Column::Id])
        .from(topic::Entity)
        .cond_where(roots)
        .to_owned();
    let below = Query::select()
        .column(("d", "root"))
        .column(("c", topic::Column::Id))
        .from_as(topic::Entity, "c")
        .inner_join(
            "d",
            Expr::col(("c", topic::Column::ParentId)).equals(("d", "id")),
        )
        .to_owned();
    let mut tree = roots;
    tree.union(UnionType::All, below);
    let mut cte = CommonTableExpression::new();
    cte.query(tree).table_name("d").columns(["root", "id"]);
    WithClause::new().recursive(true).cte(cte).to_owned()
}

/// `SELECT root, id FROM d`: the pairs of [`subtrees`], as a subquery.
pub(crate) fn subtree_pairs(roots: Condition) -> SelectStatement {
    Query::select()
        .columns([("d", "root"), ("d", "id")])
        .from("d")
        .with_cte(subtrees(roots))
        .to_owned()
}

/// `SELECT id FROM d`: the topic with this key and every topic below it.
pub(crate) fn subtree_of(key: &str) -> SelectStatement {
    Query::select()
        .column("id")
        .from("d")
        .with_cte(subtrees(
            Condition::all().add(Expr::col(topic::Column::Key).eq(key)),
        ))
        .to_owned()
}

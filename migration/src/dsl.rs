//! Column and table shapes that every migration shares: the record header
//! (id, key, timestamps), partial dates, foreign keys and link tables.

use sea_orm_migration::{prelude::*, schema::*};

/// Longest key the interchange format allows.
pub(crate) const KEY_LEN: u32 = 120;

/// A table of records: an integer id for joins, a unique stable `key` for the
/// outside world, and `created_at`/`updated_at`. Callers add their columns
/// between, then finish with [`timestamps`].
pub(crate) fn record_table(name: &'static str) -> TableCreateStatement {
    Table::create()
        .table(name)
        .col(pk_auto("id"))
        .col(string_len_uniq("key", KEY_LEN))
        .to_owned()
}

/// `created_at` and `updated_at`, both UTC instants set by the application
/// (the defaults only cover rows written by hand).
pub(crate) fn timestamps(table: &mut TableCreateStatement) -> &mut TableCreateStatement {
    table
        .col(timestamp_with_time_zone_default_now("created_at"))
        .col(timestamp_with_time_zone_default_now("updated_at"))
}

/// A date of reduced precision is three columns: `<name>` keeps the text as
/// given ("2015", "2014-03", "2016-05-23") so it round-trips exactly, and
/// `<name>_start`/`<name>_end` hold the first and last day of the span it
/// covers, so that filters and ordering treat it as that span and can use an
/// index.
pub(crate) fn partial_date<'t>(
    table: &'t mut TableCreateStatement,
    name: &'static str,
    required: bool,
) -> &'t mut TableCreateStatement {
    let (start, end) = span_columns(name);
    if required {
        table
            .col(string_len(name, 10))
            .col(date(start))
            .col(date(end))
    } else {
        table
            .col(string_len_null(name, 10))
            .col(date_null(start))
            .col(date_null(end))
    }
}

/// The names of the two span columns of a partial date.
pub(crate) fn span_columns(name: &'static str) -> (String, String) {
    (format!("{name}_start"), format!("{name}_end"))
}

/// A foreign key from `table.column` to `target.id`.
pub(crate) fn foreign_key(
    table: &'static str,
    column: &str,
    target: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column.to_owned())
        .to(target, "id")
        .on_delete(on_delete)
        .on_update(ForeignKeyAction::Cascade)
        .to_owned()
}

/// The name [`index`] gives an index on these columns.
fn index_name(table: &str, columns: &[&str]) -> String {
    format!("ix_{table}_{}", columns.join("_"))
}

/// A non-unique index on some columns of a table, named after them.
pub(crate) fn index(table: &'static str, columns: &[&str]) -> IndexCreateStatement {
    let mut statement = Index::create();
    statement.name(index_name(table, columns)).table(table);
    for column in columns {
        statement.col(String::from(*column));
    }
    statement.to_owned()
}

/// Drops the index that [`index`] made on these columns.
pub(crate) fn drop_index(table: &'static str, columns: &[&str]) -> IndexDropStatement {
    Index::drop()
        .name(index_name(table, columns))
        .table(table)
        .to_owned()
}

/// Creates the indexes in order.
pub(crate) async fn create_indexes(
    manager: &SchemaManager<'_>,
    indexes: Vec<IndexCreateStatement>,
) -> Result<(), DbErr> {
    for index in indexes {
        manager.create_index(index).await?;
    }
    Ok(())
}

/// A many-to-many link from an owner record to a target record. The link rows
/// belong to the owner (they go when it goes); the target is protected (it
/// cannot be deleted while something links to it), so that deleting a topic,
/// event, organization, city or source in use is refused, not silently
/// unlinked.
pub(crate) async fn create_link_table(
    manager: &SchemaManager<'_>,
    name: &'static str,
    (owner_column, owner_table): (&'static str, &'static str),
    (target_column, target_table): (&'static str, &'static str),
) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(name)
                .col(integer(owner_column))
                .col(integer(target_column))
                .primary_key(Index::create().col(owner_column).col(target_column))
                .foreign_key(&mut foreign_key(
                    name,
                    owner_column,
                    owner_table,
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut foreign_key(
                    name,
                    target_column,
                    target_table,
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
    // The primary key serves lookups by owner; lookups by target need their own.
    manager.create_index(index(name, &[target_column])).await
}

/// Drops tables in order (dependents first).
pub(crate) async fn drop_tables(
    manager: &SchemaManager<'_>,
    tables: &[&'static str],
) -> Result<(), DbErr> {
    for table in tables {
        manager
            .drop_table(Table::drop().table(*table).to_owned())
            .await?;
    }
    Ok(())
}

//! The command line: `twinning serve | migrate | import | export | schema`.
//! Every option can also be set through the environment variable shown in
//! `--help`.

pub mod jwt;
pub mod run;
pub mod serve;
pub mod traces;

pub use serve::ServeArgs;

use crate::store::connection::{
    DEFAULT_DATABASE_URL, DEFAULT_SQLITE_MMAP_MIB, PoolSettings, default_max_connections,
};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Twinning: a GraphQL API for municipal partnership (twin city) data.
#[derive(Debug, Parser)]
#[command(name = "twinning", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Where the data lives.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://FILE?mode=rwc` (the file is created if missing)
    /// or `postgres://USER@HOST:PORT/DATABASE`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,
    /// Largest number of database connections to keep open [default: 16
    /// on PostgreSQL, 4 per CPU core on SQLite].
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", global = true)]
    pub database_max_connections: Option<u32>,
    /// On SQLite, how much of the database file to read through a memory
    /// map, in MiB; 0 to read every page with a system call instead (SQLite
    /// cannot recover from an I/O error on a mapped file: the process
    /// stops).
    #[arg(long, env = "SQLITE_MMAP_MIB", default_value_t = DEFAULT_SQLITE_MMAP_MIB, global = true)]
    pub sqlite_mmap_mib: u64,
}

impl DatabaseArgs {
    /// The pool's settings these options give, with the command-line tools'
    /// timeouts.
    pub fn pool_settings(&self) -> PoolSettings {
        PoolSettings {
            sqlite_mmap_mib: self.sqlite_mmap_mib,
            max_connections: self
                .database_max_connections
                .unwrap_or_else(|| default_max_connections(&self.database_url)),
            ..PoolSettings::for_url(&self.database_url)
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate the database, then serve the GraphQL API over HTTP until
    /// Ctrl-C or SIGTERM.
    Serve(Box<ServeArgs>),
    /// Apply, revert or inspect schema migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Import interchange documents (an upsert by key, all of a file or
    /// nothing). `-` reads standard input.
    Import {
        /// The documents to import, one transaction each.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Export every record as one interchange document.
    Export {
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        out: Option<PathBuf>,
        /// Write the change feed's cursor at the export's snapshot to this
        /// file (otherwise it goes to standard error as `feed cursor: …`):
        /// a mirror follows `changeFeed(after:)` from it.
        #[arg(long)]
        cursor_file: Option<PathBuf>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Print the GraphQL schema (SDL), the text of `schema.graphql`.
    Schema,
    /// Create, list and revoke API keys.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum KeysAction {
    /// Create a key and print it (shown this once; only its hash is stored).
    Create {
        /// A name for the key, such as the partner system that uses it.
        #[arg(long)]
        name: String,
        /// What the key may do.
        #[arg(long, value_enum)]
        role: crate::domain::access::Role,
        /// The key may run only the server's trusted documents
        /// (`serve --trusted-documents DIR`).
        #[arg(long)]
        trusted_documents_only: bool,
        /// Hold an editor key to these cities' records (city keys,
        /// comma-separated, such as `murmansk,kirkenes`).
        #[arg(long, value_parser = crate::domain::access::Scope::parse)]
        scope: Option<crate::domain::access::Scope>,
    },
    /// List keys (names, roles, state; never the keys themselves).
    List,
    /// Revoke a key by name: it stops working at once.
    Revoke {
        /// The key's name.
        name: String,
    },
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Revert the last applied migration (or `--steps N`).
    Down {
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    /// List applied and pending migrations.
    Status,
    /// Drop every table, then apply every migration.
    Fresh,
}

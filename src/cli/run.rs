//! What each CLI command does.

use crate::cli::{Cli, Command, DatabaseArgs, KeysAction, MigrateAction};
use crate::store::connection as db;
use crate::{app, graphql, interchange, telemetry};
use indicatif::{ProgressBar, ProgressStyle};
use migration::{Migrator, MigratorTrait};
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Runs a parsed command line; errors are printed for a person.
pub async fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Serve(args) => match telemetry::init(args.log_json, args.traces.otlp().as_ref()) {
            Ok(tracing) => {
                let served = serve(&args).await;
                tracing.shutdown().await;
                served
            }
            Err(message) => Err(message),
        },
        Command::Migrate { action, database } => migrate(action, &database).await,
        Command::Import { files, database } => import(&files, &database).await,
        Command::Export {
            out,
            cursor_file,
            database,
        } => export(out.as_deref(), cursor_file.as_deref(), &database).await,
        Command::Keys { action, database } => keys(action, &database).await,
        Command::Schema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

type CommandResult = Result<(), String>;

async fn serve(args: &crate::cli::ServeArgs) -> CommandResult {
    let application = app::Application::build(&args.config())
        .await
        .map_err(|e| e.to_string())?;
    application
        .run_until_stopped(app::shutdown_signal())
        .await
        .map_err(|e| e.to_string())
}

async fn connect(database: &DatabaseArgs) -> Result<crate::store::Db, String> {
    db::connect_with(&database.database_url, database.pool_settings())
        .await
        .map_err(|e| format!("cannot open the database {}: {e}", database.database_url))
}

async fn migrate(action: MigrateAction, database: &DatabaseArgs) -> CommandResult {
    let db = connect(database).await?;
    let result = match action {
        MigrateAction::Up => Migrator::up(db.untraced(), None).await,
        MigrateAction::Down { steps } => Migrator::down(db.untraced(), Some(steps)).await,
        MigrateAction::Fresh => Migrator::fresh(db.untraced()).await,
        MigrateAction::Status => {
            let applied = Migrator::get_applied_migrations(&db)
                .await
                .map_err(|e| e.to_string())?;
            let pending = Migrator::get_pending_migrations(&db)
                .await
                .map_err(|e| e.to_string())?;
            for migration in applied {
                println!("applied  {}", migration.name());
            }
            for migration in pending {
                println!("pending  {}", migration.name());
            }
            Ok(())
        }
    };
    result.map_err(|e| format!("migration failed: {e}"))
}

async fn import(files: &[PathBuf], database: &DatabaseArgs) -> CommandResult {
    let db = connect(database).await?;
    db::migrate(&db)
        .await
        .map_err(|e| format!("migration failed: {e}"))?;
    for file in files {
        let name = file.display();
        let text = read_input(file).map_err(|e| format!("cannot read {name}: {e}"))?;
        let document =
            interchange::parse(&text).map_err(|problems| format!("{name}: {problems}"))?;
        let total = document_size(&document);
        let bar = progress_bar(total);
        let report = interchange::import(&db, &document, &|done| bar.set_position(done as u64))
            .await
            .map_err(|e| format!("{name}: {e}\nnothing was imported from {name}"))?;
        bar.finish_and_clear();
        println!("{name}: imported");
        print!("{report}");
    }
    db::close_after_writes(db)
        .await
        .map_err(|e| format!("cannot close the database: {e}"))
}

/// How many records a document holds.
fn document_size(d: &interchange::Document) -> usize {
    d.sources.len()
        + d.topics.len()
        + d.cities.len()
        + d.organizations.len()
        + d.partnerships.len()
        + d.events.len()
        + d.visits.len()
        + d.protocols.len()
}

/// A progress bar on a terminal, nothing otherwise.
fn progress_bar(total: usize) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total as u64);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} records {elapsed}") {
        bar.set_style(style);
    }
    bar
}

fn read_input(path: &Path) -> std::io::Result<String> {
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        Ok(text)
    } else {
        std::fs::read_to_string(path)
    }
}

async fn export(
    out: Option<&Path>,
    cursor_file: Option<&Path>,
    database: &DatabaseArgs,
) -> CommandResult {
    let db = connect(database).await?;
    let failed = |e: sea_orm::DbErr| format!("export failed: {e}");
    let mut snapshot = interchange::stream::start(&db, &db).await.map_err(failed)?;
    let mut sink: Box<dyn Write> = match out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    while let Some(part) = snapshot.parts.recv().await {
        sink.write_all(part.map_err(failed)?.as_bytes())
            .map_err(|e| e.to_string())?;
    }
    sink.flush().map_err(|e| e.to_string())?;
    let cursor = snapshot.cursor();
    match cursor_file {
        Some(path) => std::fs::write(path, format!("{cursor}\n"))
            .map_err(|e| format!("cannot write {}: {e}", path.display())),
        None => {
            eprintln!("feed cursor: {cursor}");
            Ok(())
        }
    }
}

async fn keys(action: KeysAction, database: &DatabaseArgs) -> CommandResult {
    let db = connect(database).await?;
    db::migrate(&db)
        .await
        .map_err(|e| format!("migration failed: {e}"))?;
    match action {
        KeysAction::Create {
            name,
            role,
            trusted_documents_only,
            scope,
        } => {
            if scope.is_some() && role != crate::domain::access::Role::Editor {
                return Err(format!(
                    "--scope: only editor keys take a scope, not {} keys",
                    role.as_str()
                ));
            }
            let new = crate::store::api_keys::NewKey {
                name: &name,
                role,
                trusted_documents_only,
                scope: scope.as_ref(),
            };
            let key = crate::store::api_keys::create_key(&db, new).await?;
            eprintln!("created key {name:?} with role {role:?}; it is shown this once:");
            println!("{key}");
        }
        KeysAction::List => {
            for key in crate::store::api_keys::list_keys(&db)
                .await
                .map_err(|e| e.to_string())?
            {
                let state = match key.revoked_at {
                    Some(at) => format!("revoked {}", at.format("%Y-%m-%d %H:%M")),
                    None => "active".to_owned(),
                };
                let scope = key
                    .scope
                    .map(|cities| format!("  scope {cities}"))
                    .unwrap_or_default();
                println!(
                    "{:<30} {:<8} tw_{}_…  {state}{scope}",
                    key.name, key.role, key.prefix
                );
            }
        }
        KeysAction::Revoke { name } => {
            if !crate::store::api_keys::revoke_key(&db, &name)
                .await
                .map_err(|e| e.to_string())?
            {
                return Err(format!("no active key named {name:?}"));
            }
            println!("revoked {name:?}");
        }
    }
    Ok(())
}

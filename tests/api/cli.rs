//! The `twinning` binary itself: import from stdin, export to a file, and
//! the exit code and message of a bad import.

use crate::helpers::TestDb;
use std::io::Write;
use std::process::{Command, Stdio};

fn twinning(db: &TestDb, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_twinning"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run twinning");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write stdin");
    }
    drop(child.stdin.take());
    let output = child.wait_with_output().expect("twinning exits");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn import_from_stdin_then_export_to_a_file_round_trips() {
    let db = TestDb::new().await;
    let (ok, stdout, stderr) = twinning(
        &db,
        &["import", "-"],
        Some(twinning::interchange::example::FOUNDING_DOCUMENT),
    );
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("cities                21         0         0"),
        "{stdout}"
    );
    // SQLite: the import's pages are in the file, not left in its log for
    // the next process to read through first.
    if let Some(path) = db.url.strip_prefix("sqlite://") {
        let log = format!("{}-wal", path.trim_end_matches("?mode=rwc"));
        let left = std::fs::metadata(&log).map_or(0, |m| m.len());
        assert_eq!(left, 0, "{log} holds {left} bytes after the import");
    }

    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("export.json");
    let cursor = dir.path().join("cursor");
    let (ok, _, stderr) = twinning(
        &db,
        &[
            "export",
            "--out",
            out.to_str().expect("path"),
            "--cursor-file",
            cursor.to_str().expect("path"),
        ],
        None,
    );
    assert!(ok, "{stderr}");
    assert_eq!(
        std::fs::read_to_string(out).expect("exported file"),
        twinning::interchange::example::FOUNDING_DOCUMENT
    );
    // The import was the one change set: a mirror follows the feed after it.
    let cursor = std::fs::read_to_string(cursor).expect("cursor file");
    assert_eq!(
        twinning::domain::changes::parse_feed_cursor(cursor.trim()),
        Some(1)
    );
}

#[tokio::test]
async fn a_bad_file_fails_with_its_problems_and_imports_nothing() {
    let db = TestDb::new().await;
    let bad = r#"{"cities": [{"key": "ok", "name": "OK", "countryCode": "FI"}, {"key": "bad", "name": "Bad", "countryCode": "FI", "latitude": 95}]}"#;
    let (ok, _, stderr) = twinning(&db, &["import", "-"], Some(bad));
    assert!(!ok);
    assert!(
        stderr.contains("cities[1].latitude: 95 is outside -90..90"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was imported"), "{stderr}");

    let (ok, stdout, stderr) = twinning(&db, &["export"], None);
    assert!(ok);
    assert!(stdout.contains(r#""cities": []"#), "{stdout}");
    let empty = twinning::domain::changes::feed_cursor(0);
    assert!(
        stderr.contains(&format!("feed cursor: {empty}")),
        "{stderr}"
    );
}

#[test]
fn schema_prints_the_committed_sdl() {
    let output = Command::new(env!("CARGO_BIN_EXE_twinning"))
        .arg("schema")
        .output()
        .expect("run twinning schema");
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        twinning::graphql::sdl()
    );
}

#[tokio::test]
async fn keys_create_takes_a_scope_for_editors_and_list_shows_it() {
    let db = TestDb::new().await;
    let create = [
        "keys",
        "create",
        "--name",
        "murmansk-office",
        "--role",
        "editor",
    ];
    let (ok, stdout, stderr) = twinning(
        &db,
        &[&create[..], &["--scope", "murmansk,kirkenes"]].concat(),
        None,
    );
    assert!(ok, "{stderr}");
    assert!(stdout.trim().starts_with("tw_"), "{stdout}");
    let (ok, stdout, _) = twinning(&db, &["keys", "list"], None);
    assert!(ok);
    assert!(
        stdout.contains("murmansk-office") && stdout.contains("scope kirkenes,murmansk"),
        "{stdout}"
    );
    let (ok, _, stderr) = twinning(
        &db,
        &[
            "keys", "create", "--name", "a", "--role", "admin", "--scope", "murmansk",
        ],
        None,
    );
    assert!(!ok);
    assert!(
        stderr.contains("--scope: only editor keys take a scope, not admin keys"),
        "{stderr}"
    );
    let (ok, _, stderr) = twinning(
        &db,
        &[
            "keys", "create", "--name", "b", "--role", "editor", "--scope", "Murmansk",
        ],
        None,
    );
    assert!(!ok);
    assert!(
        stderr.contains("\"Murmansk\" is not a city key"),
        "{stderr}"
    );
}

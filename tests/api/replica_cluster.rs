//! A private PostgreSQL primary (`wal_level=replica`) with streaming
//! replicas made by `pg_basebackup -R`, each on a free port in a temporary
//! directory, all stopped when dropped. Tests of read replicas use it; so
//! does `bench/replicas.sh`, with the same steps in shell.

use crate::services::{as_postgres, free_port, installed, is_root, run};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// One server of the cluster.
struct Server {
    port: u16,
    data: PathBuf,
    running: bool,
}

/// A primary and its replicas.
pub struct Cluster {
    primary: Server,
    replicas: Vec<Server>,
    pg_ctl: PathBuf,
    dir: tempfile::TempDir,
}

impl Cluster {
    /// A primary and `replicas` streaming replicas, or `None` (skipping
    /// `test` with a loud message) when the server binaries are missing.
    pub fn start(test: &str, replicas: usize) -> Option<Self> {
        let initdb = installed("initdb", test)?;
        let pg_ctl = installed("pg_ctl", test)?;
        let basebackup = installed("pg_basebackup", test)?;
        let dir = tempfile::tempdir().expect("a temporary directory");
        if is_root() {
            run(Command::new("chown")
                .args(["-R", "postgres"])
                .arg(dir.path()));
        }
        let mut cluster = Cluster {
            primary: Server {
                port: free_port(),
                data: dir.path().join("primary"),
                running: false,
            },
            replicas: Vec::new(),
            pg_ctl,
            dir,
        };
        // initdb's pg_hba.conf trusts replication connections from
        // 127.0.0.1, which is all the replicas need.
        run(as_postgres(&initdb)
            .args(["--auth=trust", "-U", "postgres", "--no-sync", "-D"])
            .arg(&cluster.primary.data)
            .stdout(Stdio::null()));
        start(&cluster.pg_ctl, &cluster.dir, &mut cluster.primary);
        for i in 0..replicas {
            let mut replica = Server {
                port: free_port(),
                data: cluster.dir.path().join(format!("replica-{i}")),
                running: false,
            };
            run(as_postgres(&basebackup)
                .args(["-h", "127.0.0.1", "-U", "postgres", "-R", "-X", "stream"])
                .args(["--checkpoint=fast", "--no-sync", "-p"])
                .arg(cluster.primary.port.to_string())
                .arg("-D")
                .arg(&replica.data));
            start(&cluster.pg_ctl, &cluster.dir, &mut replica);
            cluster.replicas.push(replica);
        }
        Some(cluster)
    }

    /// The URL of the primary's `postgres` database.
    pub fn primary_url(&self) -> String {
        url(self.primary.port)
    }

    /// The URL of replica `i`'s `postgres` database.
    pub fn replica_url(&self, i: usize) -> String {
        url(self.replicas[i].port)
    }

    /// Stops replica `i` (fast: its sessions are ended).
    pub fn stop_replica(&mut self, i: usize) {
        stop(&self.pg_ctl, &mut self.replicas[i], "fast");
    }
}

fn url(port: u16) -> String {
    format!("postgres://postgres@127.0.0.1:{port}/postgres")
}

fn start(pg_ctl: &Path, dir: &tempfile::TempDir, server: &mut Server) {
    let options = format!(
        "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c wal_level=replica -c max_wal_senders=10 -c hot_standby=on -c hot_standby_feedback=on",
        server.port,
        dir.path().display()
    );
    run(as_postgres(pg_ctl)
        .arg("-D")
        .arg(&server.data)
        .args(["-w", "-t", "60", "-o", &options, "-l"])
        .arg(server.data.with_extension("log"))
        .arg("start")
        .stdout(Stdio::null()));
    server.running = true;
}

fn stop(pg_ctl: &Path, server: &mut Server, mode: &str) {
    if server.running {
        let _ = as_postgres(pg_ctl)
            .arg("-D")
            .arg(&server.data)
            .args(["-m", mode, "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        server.running = false;
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for replica in &mut self.replicas {
            stop(&self.pg_ctl, replica, "immediate");
        }
        stop(&self.pg_ctl, &mut self.primary, "immediate");
    }
}

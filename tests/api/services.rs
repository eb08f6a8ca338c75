//! Services a test starts for itself from the installed binaries: a private
//! PostgreSQL with TLS (`initdb`, `pg_ctl`), a private Redis
//! (`redis-server`), and certificates made with the `openssl` command. Each
//! is stopped when dropped. A test whose binary is missing skips with a loud
//! message; `.ci/run` installs them, so in CI nothing skips.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// The path of an installed program, or `None` after telling why the test
/// is skipped.
pub fn installed(program: &str, test: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .chain(["/usr/local/bin", "/usr/sbin", "/usr/bin"].map(PathBuf::from))
            // Debian keeps the PostgreSQL server's programs by version.
            .chain(
                std::fs::read_dir("/usr/lib/postgresql")
                    .into_iter()
                    .flatten()
                    .flatten()
                    .map(|version| version.path().join("bin")),
            )
            .map(|dir| dir.join(program))
            .find(|path| path.is_file())
    });
    if found.is_none() {
        eprintln!(
            "\n*** SKIPPED {test}: `{program}` is not installed (CI installs it; see .ci/run) ***\n"
        );
    }
    found
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

pub fn run(command: &mut Command) {
    let output = command.output().expect("the command starts");
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// `program` run as the `postgres` user when this process is root
/// (PostgreSQL refuses to run as root).
pub fn as_postgres(program: &Path) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

/// A certificate authority and a server certificate it signed for
/// `localhost` and `127.0.0.1`, in `dir`.
pub struct Certificates {
    pub ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
}

/// A new CA named `name` in `dir`: its certificate and key.
fn make_ca(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let (cert, key) = (
        dir.join(format!("{name}.crt")),
        dir.join(format!("{name}.key")),
    );
    run(Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
        .args(["-subj", &format!("/CN={name}")])
        .args(["-addext", "basicConstraints=critical,CA:TRUE"])
        .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert));
    (cert, key)
}

impl Certificates {
    pub fn new(dir: &Path) -> Self {
        let (ca, ca_key) = make_ca(dir, "test-ca");
        let server_key = dir.join("server.key");
        let csr = dir.join("server.csr");
        let server_cert = dir.join("server.crt");
        run(Command::new("openssl")
            .args(["req", "-new", "-newkey", "ec", "-pkeyopt"])
            .args([
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-subj",
                "/CN=localhost",
            ])
            .arg("-keyout")
            .arg(&server_key)
            .arg("-out")
            .arg(&csr));
        let extensions = dir.join("server.ext");
        std::fs::write(
            &extensions,
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .expect("write the extensions");
        run(Command::new("openssl")
            .args(["x509", "-req", "-days", "2", "-CAcreateserial"])
            .arg("-in")
            .arg(&csr)
            .arg("-CA")
            .arg(&ca)
            .arg("-CAkey")
            .arg(&ca_key)
            .arg("-extfile")
            .arg(&extensions)
            .arg("-out")
            .arg(&server_cert));
        Self {
            ca,
            server_cert,
            server_key,
        }
    }

    /// Another CA, which signed nothing here.
    pub fn unrelated_ca(dir: &Path) -> PathBuf {
        make_ca(dir, "other-ca").0
    }
}

/// A PostgreSQL server of the test's own, with `ssl=on`, stopped when
/// dropped.
pub struct PrivatePostgres {
    pub port: u16,
    pub certificates: Certificates,
    pub dir: tempfile::TempDir,
    pg_ctl: PathBuf,
    data: PathBuf,
}

impl PrivatePostgres {
    /// Starts one, or `None` (skipping `test`) when the server binaries or
    /// `openssl` are not installed.
    pub fn start(test: &str) -> Option<Self> {
        let initdb = installed("initdb", test)?;
        let pg_ctl = installed("pg_ctl", test)?;
        installed("openssl", test)?;
        let dir = tempfile::tempdir().expect("a temporary directory");
        let certificates = Certificates::new(dir.path());
        let data = dir.path().join("data");
        if is_root() {
            run(Command::new("chown")
                .args(["-R", "postgres"])
                .arg(dir.path()));
        }
        run(Command::new("chmod")
            .arg("600")
            .arg(&certificates.server_key));
        run(as_postgres(&initdb)
            .args(["--auth=trust", "-U", "postgres", "--no-sync", "-D"])
            .arg(&data)
            .stdout(Stdio::null()));
        let port = free_port();
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c ssl=on -c ssl_cert_file={} -c ssl_key_file={} -c fsync=off",
            dir.path().display(),
            certificates.server_cert.display(),
            certificates.server_key.display()
        );
        run(as_postgres(&pg_ctl)
            .arg("-D")
            .arg(&data)
            .args(["-w", "-t", "60", "-o", &options, "-l"])
            .arg(dir.path().join("log"))
            .arg("start")
            .stdout(Stdio::null()));
        Some(Self {
            port,
            certificates,
            dir,
            pg_ctl,
            data,
        })
    }

    /// A URL of its `postgres` database, with `query` (`sslmode=…`).
    pub fn url(&self, host: &str, query: &str) -> String {
        format!("postgres://postgres@{host}:{}/postgres?{query}", self.port)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = as_postgres(&self.pg_ctl)
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
/// A Redis server of the test's own on a free port, without persistence;
/// it can be stopped and started again on the same port.
pub struct PrivateRedis {
    pub port: u16,
    binary: PathBuf,
    child: Option<std::process::Child>,
}

impl PrivateRedis {
    /// Starts one, or `None` (skipping `test`) when `redis-server` is not
    /// installed.
    pub async fn start(test: &str) -> Option<Self> {
        let binary = installed("redis-server", test)?;
        let mut redis = Self {
            port: free_port(),
            binary,
            child: None,
        };
        redis.resume().await;
        Some(redis)
    }

    /// `redis://` URL of it.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts it again on its port, and waits until it accepts connections.
    pub async fn resume(&mut self) {
        let child = Command::new(&self.binary)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("redis-server did not start on port {}", self.port);
    }

    /// Stops it (its data is gone).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

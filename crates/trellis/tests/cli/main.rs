//! The `trellis` binary as operators run it: real processes, real exit codes, real output.
//! Each test starts from a clean `TRELLIS_*` environment and its own temporary data directory.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers may panic"
)]

mod attribute;
mod psi;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The binary with every `TRELLIS_*`, `RUST_LOG` variable removed, logging only warnings.
fn trellis() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trellis"));
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy();
        if k.starts_with("TRELLIS_") || k == "RUST_LOG" {
            cmd.env_remove(&*k);
        }
    }
    cmd.env("TRELLIS_LOG", "warn").stdin(Stdio::null());
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("the trellis binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn create_user(data_dir: &Path, email: &str, password_file: &Path) -> Output {
    run(trellis()
        .args([
            "admin",
            "create-user",
            "--email",
            email,
            "--name",
            "Ada Admin",
        ])
        .args(["--role", "vendor_admin", "--password-file"])
        .arg(password_file)
        .arg("--data-dir")
        .arg(data_dir))
}

#[test]
fn config_example_prints_a_toml_file_with_every_section() {
    let out = run(trellis().args(["config", "example"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let parsed: toml::Table = toml::from_str(&stdout(&out)).expect("valid TOML");
    for section in ["store", "service", "web", "jobs", "log"] {
        assert!(parsed.contains_key(section), "missing [{section}]");
    }
    assert_eq!(parsed["web"]["bind"].as_str(), Some("127.0.0.1:8080"));
}

#[test]
fn a_bad_environment_value_stops_start_up_with_exit_code_2_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(trellis()
        .args(["migrate", "--data-dir"])
        .arg(dir.path())
        .env("TRELLIS_WEB__BIND", "nonsense"));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: invalid configuration: web.bind: "),
        "{err}"
    );
    assert!(err.contains("TRELLIS_WEB__BIND"), "{err}");
    assert!(
        !dir.path().join("trellis.db").exists(),
        "nothing may happen before the configuration is valid"
    );
}

#[test]
fn an_unknown_key_in_the_config_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("trellis.toml");
    std::fs::write(&file, "[web]\nbind = \"127.0.0.1:8080\"\nbinds = \"x\"\n").unwrap();
    let out = run(trellis().arg("--config").arg(&file).arg("healthcheck"));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("web.binds: unknown setting"), "{err}");
    assert!(err.contains("trellis.toml"), "{err}");
}

#[test]
fn migrate_then_create_user_succeeds_once_per_address() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = run(trellis().arg("migrate").arg("--data-dir").arg(&data));
    assert!(out.status.success(), "{}", stderr(&out));

    let password = dir.path().join("password");
    std::fs::write(&password, "correct horse battery\n").unwrap();
    let out = create_user(&data, "ada@vendor.example", &password);
    assert!(out.status.success(), "{}", stderr(&out));
    let id = stdout(&out);
    assert_eq!(id.trim().len(), 36, "prints the user id: {id:?}");

    let out = create_user(&data, "ada@vendor.example", &password);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out).trim(),
        "error: email: a user with this e-mail address already exists"
    );

    let out = create_user(&data, "not-an-address", &password);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("error: email: "),
        "{}",
        stderr(&out)
    );
}

/// Kills the server when the test ends, pass or fail.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn healthcheck_passes_against_a_running_server_and_fails_against_a_closed_port() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let _server = Server(
        trellis()
            .args(["serve", "--bind", &bind, "--data-dir"])
            .arg(dir.path())
            .env("TRELLIS_JOBS__WORKERS", "0")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let url = format!("http://{bind}/");
    let deadline = Instant::now() + Duration::from_mins(1);
    loop {
        let out = run(trellis().args(["healthcheck", "--timeout", "2", "--url", &url]));
        if out.status.success() {
            assert!(stdout(&out).starts_with("healthy: "), "{}", stdout(&out));
            break;
        }
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(
            Instant::now() < deadline,
            "the server never became healthy: {}",
            stderr(&out)
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    let closed = format!("http://127.0.0.1:{}/", free_port());
    let out = run(trellis().args(["healthcheck", "--url", &closed]));
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("did not answer"), "{}", stderr(&out));
}

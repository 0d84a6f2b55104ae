//! The configuration of a Trellis process, composed from each crate's settings and loaded once
//! at start-up. This is the only module that reads the environment.
//!
//! Layers, later ones winning: the defaults in code → an optional TOML file (`--config` or
//! `TRELLIS_CONFIG`) → `TRELLIS_SECTION__KEY` environment variables, where `…_FILE` reads the
//! value from a file (Docker and Kubernetes secrets) → the few command-line flags. Every
//! layer is a figment provider named after its origin, so a bad value is reported with its key
//! and where it came from, on one line.

use std::ffi::OsString;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};

use figment::providers::{Format as _, Serialized, Toml};
use figment::value::{Dict, Map, Tag, Value};
use figment::{Figment, Metadata, Profile, Provider};
use serde::{Deserialize, Serialize};
use trellis_jobs::JobsConfig;
use trellis_service::ServiceConfig;
use trellis_store::StoreConfig;
use trellis_web::WebConfig;
use url::Url;

/// The commented example configuration printed by `trellis config example`.
pub(crate) const EXAMPLE: &str = include_str!("config/example.toml");

const ENV_PREFIX: &str = "TRELLIS_";
const CONFIG_VAR: &str = "TRELLIS_CONFIG";
/// Log filter variables, in order of precedence, before `log.level`.
const LOG_VARS: [&str; 2] = ["TRELLIS_LOG", "RUST_LOG"];

/// Everything a Trellis process can be told. Each section belongs to the crate that uses it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Config {
    /// Database (`trellis-store`).
    pub store: StoreConfig,
    /// Use-case settings (`trellis-service`).
    pub service: ServiceConfig,
    /// HTTP (`trellis-web`).
    pub web: WebConfig,
    /// Background jobs, SMTP (`trellis-jobs`).
    pub jobs: JobsConfig,
    /// Logging (this binary).
    pub log: LogConfig,
}

/// `[log]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct LogConfig {
    /// A tracing filter: `info`, or `warn,trellis_web=debug`. `TRELLIS_LOG`, then `RUST_LOG`,
    /// take precedence.
    pub level: String,
    /// `pretty` (for people) or `json` (one object per line, for log collectors).
    pub format: LogFormat,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            level: "info".into(),
            format: LogFormat::Pretty,
        }
    }
}

/// How log lines are written to standard error.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    #[default]
    Pretty,
    /// JSON objects.
    Json,
}

/// Values given as command-line flags.
#[derive(Clone, Debug, Default)]
pub(crate) struct Overrides {
    /// `--bind` → `web.bind`.
    pub bind: Option<SocketAddr>,
    /// `--database-url` → `store.url`.
    pub database_url: Option<String>,
    /// `--data-dir` → `store.data_dir`.
    pub data_dir: Option<PathBuf>,
}

/// A configuration that cannot be used; the process exits with status 2.
#[derive(Debug)]
pub(crate) struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration: {}", self.0)
    }
}

impl std::error::Error for ConfigError {}

/// Loads the configuration from the process environment, the file and the flags.
pub(crate) fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Config, ConfigError> {
    #[allow(
        clippy::disallowed_methods,
        reason = "the configuration module is the one place that reads the environment"
    )]
    let env: Vec<(OsString, OsString)> = std::env::vars_os().collect();
    let mut vars = Vec::new();
    for (k, v) in env {
        let Ok(k) = k.into_string() else { continue };
        if !(k.starts_with(ENV_PREFIX) || LOG_VARS.contains(&k.as_str())) {
            continue;
        }
        let v = v
            .into_string()
            .map_err(|_| ConfigError(format!("environment variable {k} is not valid UTF-8")))?;
        vars.push((k, v));
    }
    load_from(&vars, file, overrides)
}

/// [`load`] over an explicit environment, for tests.
pub(crate) fn load_from(
    env: &[(String, String)],
    file: Option<&Path>,
    overrides: &Overrides,
) -> Result<Config, ConfigError> {
    let var = |name: &str| {
        env.iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    };
    let mut layers = vec![Layer::defaults()?];
    let file = match file {
        Some(p) => Some((p.to_path_buf(), "--config")),
        None => var(CONFIG_VAR).map(|p| (PathBuf::from(p), CONFIG_VAR)),
    };
    if let Some((path, named_by)) = file {
        layers.push(Layer::toml_file(&path, named_by)?);
    }
    layers.extend(env_layers(env)?);
    layers.extend(flag_layers(overrides));

    let figment = layers
        .iter()
        .fold(Figment::new(), |f, layer| f.merge(layer.clone()));
    let mut config: Config = figment
        .extract_lossy()
        .map_err(|e| ConfigError(describe(e, &layers)))?;

    // Left at its default, the public URL follows the listening address, so `--bind` alone
    // gives working links (and `healthcheck` finds the server).
    if config.service.base_url == ServiceConfig::default().base_url {
        config.service.base_url = base_url_for(config.web.bind);
    }
    if let Some((name, filter)) = LOG_VARS
        .iter()
        .find_map(|name| var(name).map(|v| (*name, v)))
    {
        filter.clone_into(&mut config.log.level);
        check_log_filter(&config.log.level, &format!("environment variable {name}"))?;
    } else {
        let origin = layers
            .iter()
            .rev()
            .find(|l| l.defines("log.level"))
            .map_or("the defaults", |l| l.origin.as_str());
        check_log_filter(&config.log.level, origin)?;
    }
    Ok(config)
}

/// `http://ADDR/` for a listening address, with a wildcard address replaced by loopback so
/// that the URL can be opened.
pub(crate) fn base_url_for(addr: SocketAddr) -> Url {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let url = format!("http://{}/", SocketAddr::new(ip, addr.port()));
    Url::parse(&url).unwrap_or_else(|_| ServiceConfig::default().base_url)
}

impl Config {
    /// Whether `service.base_url` was derived from `web.bind` (it was left at its default), so
    /// that it follows the address actually bound (port 0 picks a free port).
    pub(crate) fn base_url_follows_bind(&self) -> bool {
        self.service.base_url == base_url_for(self.web.bind)
    }
}

fn check_log_filter(filter: &str, origin: &str) -> Result<(), ConfigError> {
    tracing_subscriber::EnvFilter::try_new(filter)
        .map(drop)
        .map_err(|e| ConfigError(format!("log.level: {e} (in {origin})")))
}

/// One source of settings, named for error messages.
#[derive(Clone, Debug)]
struct Layer {
    /// `file trellis.toml`, `environment variable TRELLIS_WEB__BIND`, `--bind`, …
    origin: String,
    values: Dict,
}

impl Layer {
    fn new(origin: impl Into<String>, key: &str, value: Value) -> Self {
        let values = figment::util::nest(key, value)
            .into_dict()
            .unwrap_or_default();
        Self {
            origin: origin.into(),
            values,
        }
    }

    fn defaults() -> Result<Self, ConfigError> {
        let values = Serialized::defaults(Config::default())
            .data()
            .map_err(|e| ConfigError(format!("the built-in defaults do not serialise: {e}")))?
            .remove(&Profile::Default)
            .unwrap_or_default();
        Ok(Self {
            origin: "the defaults".into(),
            values,
        })
    }

    fn toml_file(path: &Path, named_by: &str) -> Result<Self, ConfigError> {
        let shown = path.display();
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError(format!(
                "cannot read the configuration file {shown} (named by {named_by}): {e}"
            ))
        })?;
        // Parsed here first for an error with a line number on one line; figment's own TOML
        // error spans several lines.
        if let Err(e) = toml::from_str::<toml::Table>(&text) {
            let line = e
                .span()
                .map_or(0, |s| text[..s.start].lines().count().max(1));
            let message: Vec<&str> = e
                .message()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            return Err(ConfigError(format!(
                "{shown}, line {line}: {}",
                message.join(": ")
            )));
        }
        let values = Toml::string(&text)
            .data()
            .map_err(|e| ConfigError(format!("{shown}: {e}")))?
            .remove(&Profile::Default)
            .unwrap_or_default();
        Ok(Self {
            origin: format!("file {shown}"),
            values,
        })
    }

    /// Whether this layer sets the dotted `key`.
    fn defines(&self, key: &str) -> bool {
        Value::Dict(Tag::Default, self.values.clone())
            .find_ref(key)
            .is_some()
    }
}

impl Provider for Layer {
    fn metadata(&self) -> Metadata {
        Metadata::named(self.origin.clone())
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.values.clone()))
    }
}

/// `TRELLIS_WEB__BIND=…` sets `web.bind`; `TRELLIS_STORE__URL_FILE=/run/secrets/db` sets
/// `store.url` to the file's contents. Only names with a `__` are settings, so
/// `TRELLIS_CONFIG`, `TRELLIS_LOG` and test variables such as `TRELLIS_TEST_PG_URL` are not.
/// Empty values count as unset. Values stay strings; numbers and booleans are read from them
/// by the lossy extraction, so a numeric password stays a string.
///
/// One layer per variable (rather than figment's `Env` provider) so an error names the
/// variable, not just "environment variables".
fn env_layers(env: &[(String, String)]) -> Result<Vec<Layer>, ConfigError> {
    let mut vars: Vec<&(String, String)> = env
        .iter()
        .filter(|(k, v)| {
            k.strip_prefix(ENV_PREFIX)
                .is_some_and(|rest| rest.contains("__"))
                && !v.is_empty()
        })
        .collect();
    vars.sort();
    let mut layers = Vec::new();
    for (name, value) in vars {
        let setting = &name[ENV_PREFIX.len()..];
        if let Some(plain) = setting.strip_suffix("_FILE") {
            let key = env_key(plain);
            let direct = format!("{ENV_PREFIX}{plain}");
            if env.iter().any(|(k, v)| *k == direct && !v.is_empty()) {
                return Err(ConfigError(format!(
                    "{key}: both {direct} and {name} are set; set only one"
                )));
            }
            let contents = std::fs::read_to_string(value).map_err(|e| {
                ConfigError(format!("{key}: cannot read {value} (named by {name}): {e}"))
            })?;
            let secret = contents.trim_end_matches(['\n', '\r']).to_owned();
            layers.push(Layer::new(
                format!("file {value} (named by {name})"),
                &key,
                Value::from(secret),
            ));
        } else {
            layers.push(Layer::new(
                format!("environment variable {name}"),
                &env_key(setting),
                Value::from(value.clone()),
            ));
        }
    }
    Ok(layers)
}

/// `WEB__BIND` → `web.bind`.
fn env_key(setting: &str) -> String {
    setting.to_ascii_lowercase().replace("__", ".")
}

fn flag_layers(o: &Overrides) -> Vec<Layer> {
    let mut layers = Vec::new();
    if let Some(bind) = o.bind {
        layers.push(Layer::new(
            "--bind",
            "web.bind",
            Value::from(bind.to_string()),
        ));
    }
    if let Some(url) = &o.database_url {
        layers.push(Layer::new(
            "--database-url",
            "store.url",
            Value::from(url.clone()),
        ));
    }
    if let Some(dir) = &o.data_dir {
        let dir = dir.to_string_lossy().into_owned();
        layers.push(Layer::new("--data-dir", "store.data_dir", Value::from(dir)));
    }
    layers
}

/// One line for all of figment's errors: `web.bind: invalid socket address syntax (in
/// environment variable TRELLIS_WEB__BIND)`.
fn describe(errors: figment::Error, layers: &[Layer]) -> String {
    errors
        .into_iter()
        .map(|e| {
            let mut key = e.path.clone();
            let detail = match &e.kind {
                figment::error::Kind::UnknownField(field, expected) => {
                    if key.last() != Some(field) {
                        key.push(field.clone());
                    }
                    format!("unknown setting; expected one of {}", expected.join(", "))
                }
                figment::error::Kind::UnknownVariant(value, expected) => {
                    format!(
                        "unknown value {value:?}; expected one of {}",
                        expected.join(", ")
                    )
                }
                other => other.to_string(),
            };
            let key = key.join(".");
            let origin = layers
                .iter()
                .rev()
                .find(|l| !key.is_empty() && l.defines(&key))
                .map(|l| l.origin.clone())
                .or_else(|| e.metadata.as_ref().map(|m| m.name.to_string()));
            let origin = origin.map(|o| format!(" (in {o})")).unwrap_or_default();
            if key.is_empty() {
                format!("{detail}{origin}")
            } else {
                format!("{key}: {detail}{origin}")
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn env(vars: &[(&str, &str)]) -> Vec<(String, String)> {
        vars.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn json(c: &Config) -> serde_json::Value {
        serde_json::to_value(c).unwrap()
    }

    /// Dotted paths of every leaf, skipping nulls (unset optional settings).
    fn leaves(prefix: &str, v: &serde_json::Value, out: &mut BTreeSet<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    let p = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    leaves(&p, v, out);
                }
            }
            serde_json::Value::Null => {}
            _ => {
                out.insert(prefix.to_owned());
            }
        }
    }

    #[test]
    fn the_example_file_parses_into_exactly_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trellis.toml");
        std::fs::write(&path, EXAMPLE).unwrap();
        let loaded = load_from(&[], Some(&path), &Overrides::default()).unwrap();
        assert_eq!(json(&loaded), json(&Config::default()));
    }

    #[test]
    fn the_example_file_spells_out_every_setting() {
        let example: toml::Table = toml::from_str(EXAMPLE).unwrap();
        let mut in_example = BTreeSet::new();
        leaves("", &serde_json::to_value(example).unwrap(), &mut in_example);
        let mut in_defaults = BTreeSet::new();
        leaves("", &json(&Config::default()), &mut in_defaults);
        assert_eq!(in_example, in_defaults);
    }

    #[test]
    fn environment_variables_override_the_file_and_flags_override_both() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trellis.toml");
        std::fs::write(
            &path,
            "[web]\nbind = \"127.0.0.1:9000\"\n[jobs]\nworkers = 5\n",
        )
        .unwrap();
        let vars = env(&[
            ("TRELLIS_JOBS__WORKERS", "7"),
            ("TRELLIS_JOBS__SMTP__PORT", "2525"),
            ("TRELLIS_WEB__BIND", "127.0.0.1:9001"),
            ("TRELLIS_LOG", "debug"),
            ("TRELLIS_TEST_PG_URL", "postgres://ignored"),
        ]);
        let c = load_from(&vars, Some(&path), &Overrides::default()).unwrap();
        assert_eq!(c.jobs.workers, 7);
        assert_eq!(c.jobs.smtp.port, 2525);
        assert_eq!(c.web.bind.port(), 9001);
        assert_eq!(c.log.level, "debug");
        assert_eq!(c.service.base_url.as_str(), "http://127.0.0.1:9001/");
        let flags = Overrides {
            bind: Some("0.0.0.0:9002".parse().unwrap()),
            ..Overrides::default()
        };
        let c = load_from(&vars, Some(&path), &flags).unwrap();
        assert_eq!(c.web.bind.port(), 9002);
        assert_eq!(c.service.base_url.as_str(), "http://127.0.0.1:9002/");
    }

    #[test]
    fn an_explicit_base_url_is_kept() {
        let vars = env(&[("TRELLIS_SERVICE__BASE_URL", "https://prm.example.com/")]);
        let flags = Overrides {
            bind: Some("0.0.0.0:9002".parse().unwrap()),
            ..Overrides::default()
        };
        let c = load_from(&vars, None, &flags).unwrap();
        assert_eq!(c.service.base_url.as_str(), "https://prm.example.com/");
        assert!(!c.base_url_follows_bind());

        // The example file spells out the default base URL; it still follows --bind.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trellis.toml");
        std::fs::write(&path, EXAMPLE).unwrap();
        let c = load_from(&[], Some(&path), &flags).unwrap();
        assert_eq!(c.service.base_url.as_str(), "http://127.0.0.1:9002/");
        assert!(c.base_url_follows_bind());
    }

    #[test]
    fn secrets_are_read_from_files() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("db");
        std::fs::write(&secret, "postgres://trellis:s3cret@db/trellis\n").unwrap();
        let pw = dir.path().join("smtp");
        std::fs::write(&pw, "123456\n").unwrap();
        let vars = env(&[
            ("TRELLIS_STORE__URL_FILE", secret.to_str().unwrap()),
            ("TRELLIS_JOBS__SMTP__PASSWORD_FILE", pw.to_str().unwrap()),
        ]);
        let c = load_from(&vars, None, &Overrides::default()).unwrap();
        assert_eq!(
            c.store.url.unwrap().expose(),
            "postgres://trellis:s3cret@db/trellis"
        );
        assert!(c.jobs.smtp.password.is_some());

        let both = env(&[
            ("TRELLIS_STORE__URL_FILE", secret.to_str().unwrap()),
            ("TRELLIS_STORE__URL", "sqlite://x.db"),
        ]);
        let e = load_from(&both, None, &Overrides::default()).unwrap_err();
        assert!(e.0.contains("set only one"), "{e}");
        let missing = env(&[("TRELLIS_STORE__URL_FILE", "/nonexistent/trellis-secret")]);
        let e = load_from(&missing, None, &Overrides::default()).unwrap_err();
        assert!(
            e.0.starts_with("store.url: cannot read /nonexistent"),
            "{e}"
        );
    }

    #[test]
    fn a_bad_value_is_reported_with_its_key_and_origin() {
        let vars = env(&[("TRELLIS_WEB__BIND", "nonsense")]);
        let e = load_from(&vars, None, &Overrides::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid configuration: web.bind: invalid socket address syntax \
             (in environment variable TRELLIS_WEB__BIND)"
        );
        let flags = Overrides {
            database_url: Some("mysql://db".into()),
            ..Overrides::default()
        };
        let e = load_from(&[], None, &flags).unwrap_err();
        assert!(
            e.0.starts_with("store.url: unsupported database URL"),
            "{e}"
        );
        assert!(e.0.ends_with("(in --database-url)"), "{e}");
        let vars = env(&[("TRELLIS_LOG", "info,=[")]);
        let e = load_from(&vars, None, &Overrides::default()).unwrap_err();
        assert!(e.0.starts_with("log.level: "), "{e}");
    }

    #[test]
    fn unknown_settings_are_rejected_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trellis.toml");
        std::fs::write(&path, "[web]\nbindd = \"127.0.0.1:9000\"\n").unwrap();
        let e = load_from(&[], Some(&path), &Overrides::default()).unwrap_err();
        assert!(e.0.starts_with("web.bindd: unknown setting"), "{e}");
        assert!(
            e.0.contains(&format!("(in file {})", path.display())),
            "{e}"
        );
        let vars = env(&[("TRELLIS_JOBS__SMTP__HOTS", "mail")]);
        let e = load_from(&vars, None, &Overrides::default()).unwrap_err();
        assert!(
            e.0.contains("jobs.smtp.hots: unknown setting")
                && e.0
                    .contains("(in environment variable TRELLIS_JOBS__SMTP__HOTS)"),
            "{e}"
        );
    }

    #[test]
    fn a_named_file_must_exist_and_parse() {
        let e = load_from(
            &[],
            Some(Path::new("/nonexistent/trellis.toml")),
            &Overrides::default(),
        )
        .unwrap_err();
        assert!(e.0.contains("named by --config"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trellis.toml");
        std::fs::write(&path, "[web]\n\nbind = \n").unwrap();
        let vars = env(&[("TRELLIS_CONFIG", path.to_str().unwrap())]);
        let e = load_from(&vars, None, &Overrides::default()).unwrap_err();
        assert!(e.0.contains(", line 3: "), "{e}");
        assert!(!e.0.contains('\n'), "{e}");
    }
}

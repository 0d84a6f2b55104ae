//! Worker settings (`[jobs]` in the configuration file): how many workers, how often they poll,
//! how long a claimed job is leased, and where e-mail and webhooks go. Parsing only; the
//! checks that need other crates (the sender's mailbox) run when the runner is built.

use std::time::Duration;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// Settings of the job runtime.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobsConfig {
    /// Worker loops started by `Runner::run`; 0 runs none (a web-only process).
    pub workers: usize,
    /// Whether this process's idle workers enqueue the recurring jobs (daily tier evaluation,
    /// hourly onboarding reminders). Safe on every instance: exactly one wins each run.
    pub schedules: bool,
    /// Longest sleep of an idle worker; new jobs are noticed within this time.
    #[serde(with = "humantime_serde")]
    pub poll_interval: Duration,
    /// How long a claimed job stays locked to its worker; must outlast any handler.
    #[serde(with = "humantime_serde")]
    pub lease: Duration,
    /// Time allowed for one webhook request, response body included.
    #[serde(with = "humantime_serde")]
    pub webhook_timeout: Duration,
    /// Deliver webhooks to loopback, private, link-local and other non-public addresses.
    /// Off by default, so that whoever can add an endpoint cannot make the server call
    /// internal services or a cloud metadata endpoint; turn on for on-premises receivers.
    pub webhook_allow_private_targets: bool,
    /// The outgoing mail server.
    pub smtp: SmtpConfig,
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self {
            workers: 2,
            schedules: true,
            poll_interval: Duration::from_secs(1),
            lease: Duration::from_mins(1),
            webhook_timeout: Duration::from_secs(10),
            webhook_allow_private_targets: false,
            smtp: SmtpConfig::default(),
        }
    }
}

/// How the SMTP connection is secured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    /// Plain text (a local relay or a test sink).
    #[default]
    None,
    /// Plain connection upgraded with STARTTLS, which is required (usually port 587).
    Starttls,
    /// TLS from the first byte (usually port 465).
    Tls,
}

/// The outgoing mail server (`[jobs.smtp]`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    /// Send e-mail at all. Off, messages are written to the log (at info level) instead and
    /// the jobs complete: for demos and trials without a mail server.
    pub enabled: bool,
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Transport security.
    pub security: SmtpSecurity,
    /// User name for SMTP AUTH; set together with `password`.
    pub username: Option<String>,
    /// Password for SMTP AUTH; never written back out.
    #[serde(skip_serializing)]
    pub password: Option<SecretString>,
    /// The `From` of every message, e.g. `Trellis <no-reply@example.com>`.
    pub from: String,
    /// Time allowed for connecting and for each SMTP command.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            host: "127.0.0.1".into(),
            port: 25,
            security: SmtpSecurity::None,
            username: None,
            password: None,
            from: "Trellis <no-reply@trellis.localhost>".into(),
            timeout: Duration::from_secs(10),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_section_gives_the_defaults() {
        let c: JobsConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(c.workers, 2);
        assert_eq!(c.poll_interval, Duration::from_secs(1));
        assert_eq!(c.smtp.port, 25);
        assert_eq!(c.smtp.security, SmtpSecurity::None);
    }

    #[test]
    fn durations_are_human_and_unknown_keys_are_rejected() {
        let c: JobsConfig = serde_json::from_str(
            r#"{"lease": "2m", "smtp": {"security": "starttls", "timeout": "500ms"}}"#,
        )
        .unwrap();
        assert_eq!(c.lease, Duration::from_mins(2));
        assert_eq!(c.smtp.security, SmtpSecurity::Starttls);
        assert_eq!(c.smtp.timeout, Duration::from_millis(500));
        let err = serde_json::from_str::<JobsConfig>(r#"{"smtp": {"hots": "x"}}"#).unwrap_err();
        assert!(err.to_string().contains("hots"), "{err}");
    }

    #[test]
    fn the_password_is_never_serialised() {
        let c = JobsConfig {
            smtp: SmtpConfig {
                password: Some(SecretString::from("hunter2")),
                ..SmtpConfig::default()
            },
            ..JobsConfig::default()
        };
        let out = serde_json::to_string(&c).unwrap();
        assert!(!out.contains("hunter2"));
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}

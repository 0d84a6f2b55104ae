//! The `email.send` handler: turns a queued [`EmailMessage`] into a plain-text message and
//! hands it to the configured SMTP server. It owns the SMTP transport and the wording of SMTP
//! failures (which operators read in the dead-letter list); it never touches the database.

use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};
use secrecy::ExposeSecret as _;
use serde_json::Value;
use trellis_service::platform::email::EmailMessage;

use crate::config::{SmtpConfig, SmtpSecurity};
use crate::runtime::describe_duration;

/// Sends e-mail over one SMTP server.
#[derive(Debug)]
pub(crate) struct Mailer {
    /// When off, messages are logged instead of sent.
    enabled: bool,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// `host:port`, for error messages.
    server: String,
    timeout: Duration,
}

impl Mailer {
    /// Checks the settings and builds the transport (no connection is made yet).
    pub(crate) fn new(c: &SmtpConfig) -> anyhow::Result<Self> {
        let from: Mailbox = c.from.parse().map_err(|e| {
            anyhow!(
                "jobs.smtp.from: {:?} is not a mailbox such as \"Trellis <no-reply@example.com>\" \
                 ({e})",
                c.from
            )
        })?;
        if c.host.trim().is_empty() {
            bail!("jobs.smtp.host must not be empty");
        }
        if c.timeout.is_zero() {
            bail!("jobs.smtp.timeout must be longer than zero");
        }
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(c.host.as_str())
            .port(c.port)
            .timeout(Some(c.timeout));
        builder = match c.security {
            SmtpSecurity::None => builder.tls(Tls::None),
            SmtpSecurity::Starttls => builder.tls(Tls::Required(tls_parameters(&c.host)?)),
            SmtpSecurity::Tls => builder.tls(Tls::Wrapper(tls_parameters(&c.host)?)),
        };
        builder = match (&c.username, &c.password) {
            (Some(user), Some(password)) => builder.credentials(Credentials::new(
                user.clone(),
                password.expose_secret().to_owned(),
            )),
            (None, None) => builder,
            (Some(_), None) => {
                bail!("jobs.smtp.password is required when jobs.smtp.username is set")
            }
            (None, Some(_)) => {
                bail!("jobs.smtp.username is required when jobs.smtp.password is set")
            }
        };
        Ok(Self {
            enabled: c.enabled,
            transport: builder.build(),
            from,
            server: format!("{}:{}", c.host, c.port),
            timeout: c.timeout,
        })
    }

    /// Handles one `email.send` job.
    pub(crate) async fn handle(&self, payload: &Value) -> anyhow::Result<()> {
        let msg: EmailMessage = serde_json::from_value(payload.clone())
            .context("the payload is not an email.send message")?;
        let to: Mailbox = msg
            .to
            .parse()
            .with_context(|| format!("{:?} is not an e-mail address", msg.to))?;
        if !self.enabled {
            // Like a console mail backend: the whole message, links included, so a trial user
            // can still follow an invitation. Only ever used without a real mail server.
            tracing::info!(to = %msg.to, subject = %msg.subject, body = %msg.body, "e-mail delivery is off (jobs.smtp.enabled = false); message logged, not sent");
            return Ok(());
        }
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(msg.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(msg.body)
            .context("building the message")?;
        // lettre's own timeout covers only the connection; a server that stalls mid-dialogue
        // would hold the job (and its lease) forever without this outer bound.
        match tokio::time::timeout(self.timeout, self.transport.send(message)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(anyhow!(self.describe(&e))),
            Err(_) => bail!(
                "SMTP to {} timed out after {}",
                self.server,
                describe_duration(self.timeout)
            ),
        }
    }

    /// One readable line: `SMTP 550 from host:port: mailbox unavailable`.
    fn describe(&self, e: &lettre::transport::smtp::Error) -> String {
        let detail = std::error::Error::source(e).map(ToString::to_string);
        if let Some(code) = e.status() {
            let detail = detail.unwrap_or_default();
            let detail = detail.trim();
            return if detail.is_empty() {
                format!("SMTP {code} from {}", self.server)
            } else {
                format!("SMTP {code} from {}: {detail}", self.server)
            };
        }
        if e.is_timeout() {
            return format!(
                "SMTP to {} timed out after {}",
                self.server,
                describe_duration(self.timeout)
            );
        }
        let tls = if e.is_tls() { " (TLS)" } else { "" };
        format!(
            "SMTP to {} failed{tls}: {}",
            self.server,
            detail.unwrap_or_else(|| e.to_string())
        )
    }
}

fn tls_parameters(host: &str) -> anyhow::Result<TlsParameters> {
    TlsParameters::new(host.to_owned())
        .with_context(|| format!("jobs.smtp.host: cannot use TLS with {host:?}"))
}

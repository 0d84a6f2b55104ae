//! The `webhook.deliver` handler: one signed POST of one event to one endpoint. It owns the
//! HTTP client and records every attempt, success or not, through the service layer; the body,
//! signature and endpoint state come from `Services::prepare_delivery`, never from SQL here.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow};
use reqwest::header::CONTENT_TYPE;
use serde::Deserialize;
use trellis_domain::{EventId, WebhookEndpointId};
use trellis_service::Services;
use trellis_service::platform::jobs::Job;
use trellis_service::platform::webhooks::{Delivery, DeliveryOutcome};
use url::Host;

use crate::runtime::describe_duration;

/// `User-Agent` of every delivery.
const AGENT: &str = "Trellis-Webhooks/1";
/// Characters of the response body kept with the attempt.
const EXCERPT_CHARS: usize = 500;
/// Bytes of the response body read at most (enough for the excerpt in any UTF-8 text).
const EXCERPT_BYTES: usize = EXCERPT_CHARS * 4;

/// The payload of a `webhook.deliver` job.
#[derive(Debug, Deserialize)]
struct Args {
    endpoint_id: WebhookEndpointId,
    event_id: EventId,
}

/// Delivers webhooks over HTTP.
#[derive(Debug)]
pub(crate) struct Deliverer {
    client: reqwest::Client,
    timeout: Duration,
    allow_private: bool,
}

impl Deliverer {
    /// A client with the delivery timeout that never follows redirects: a 3xx is a failed
    /// delivery, so a moved endpoint shows up in the console instead of being followed blindly.
    /// Unless `allow_private`, names are resolved by [`PublicOnly`], so the address checked
    /// is the address connected to (no DNS-rebinding window).
    pub(crate) fn new(timeout: Duration, allow_private: bool) -> anyhow::Result<Self> {
        if timeout.is_zero() {
            anyhow::bail!("jobs.webhook_timeout must be longer than zero");
        }
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(AGENT);
        if !allow_private {
            builder = builder.dns_resolver(std::sync::Arc::new(PublicOnly));
        }
        let client = builder
            .build()
            .context("building the webhook HTTP client")?;
        Ok(Self {
            client,
            timeout,
            allow_private,
        })
    }

    /// Handles one `webhook.deliver` job. The attempt is recorded whatever happens; a non-2xx
    /// answer or a transport error is returned as an error so the job is retried.
    pub(crate) async fn handle(&self, services: &Services, job: &Job) -> anyhow::Result<()> {
        let args: Args = serde_json::from_value(job.payload.clone())
            .context("the payload is not a webhook.deliver request")?;
        let Some(delivery) = services
            .prepare_delivery(args.endpoint_id, args.event_id)
            .await
            .with_context(|| format!("preparing the delivery of event {}", args.event_id))?
        else {
            tracing::info!(
                webhook.endpoint_id = %args.endpoint_id,
                event.id = %args.event_id,
                "endpoint deleted or disabled; delivery dropped"
            );
            return Ok(());
        };
        let outcome = self.post(&delivery).await;
        services
            .record_delivery(&delivery, job.attempts, &outcome)
            .await
            .context("recording the delivery attempt")?;
        if outcome.succeeded() {
            return Ok(());
        }
        Err(match (&outcome.error, outcome.status_code) {
            (Some(error), _) => anyhow!("{error}"),
            (None, Some(status)) => anyhow!("HTTP {status} from {}", delivery.url),
            (None, None) => anyhow!("no response from {}", delivery.url),
        })
    }

    async fn post(&self, d: &Delivery) -> DeliveryOutcome {
        let started = Instant::now();
        // Literal IP hosts never reach the resolver, so they are checked here.
        let literal = reqwest::Url::parse(&d.url)
            .ok()
            .and_then(|u| match u.host() {
                Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
                Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
                _ => None,
            });
        if let Some(ip) = literal.filter(|ip| !self.allow_private && !is_public(*ip)) {
            return DeliveryOutcome {
                status_code: None,
                error: Some(format!("refused to deliver to {ip}: {PRIVATE_HINT}")),
                response_excerpt: None,
                duration_ms: 0,
            };
        }
        let sent = self
            .client
            .post(&d.url)
            .header(CONTENT_TYPE, "application/json")
            .header("webhook-id", d.event_id.to_string())
            .header("webhook-timestamp", d.timestamp.to_string())
            .header("webhook-signature", &d.signature)
            .body(d.body.clone())
            .send()
            .await;
        let (status_code, error, response_excerpt) = match sent {
            Ok(mut response) => {
                let status = response.status().as_u16();
                let excerpt = read_excerpt(&mut response).await;
                (Some(status), None, excerpt)
            }
            Err(e) => (None, Some(self.describe(&d.url, &e)), None),
        };
        DeliveryOutcome {
            status_code,
            error,
            response_excerpt,
            duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        }
    }

    /// One readable line for a request that got no response.
    fn describe(&self, url: &str, e: &reqwest::Error) -> String {
        if e.is_timeout() {
            return format!(
                "timed out after {} waiting for {url}",
                describe_duration(self.timeout)
            );
        }
        // reqwest's own message is generic ("error sending request"); the cause is in the
        // source chain (connection refused, DNS failure, TLS).
        let mut cause = String::new();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            cause = s.to_string();
            source = s.source();
        }
        let what = if e.is_connect() {
            "could not connect to"
        } else {
            "request failed to"
        };
        if cause.is_empty() {
            format!("{what} {url}: {e}")
        } else {
            format!("{what} {url}: {cause}")
        }
    }
}

/// The start of the response body, if it can be read within the client's timeout. Only a
/// bounded prefix is read, so a huge or endless response costs nothing.
async fn read_excerpt(response: &mut reqwest::Response) -> Option<String> {
    let mut buf = Vec::new();
    while buf.len() < EXCERPT_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => buf.extend_from_slice(&chunk),
            // A body cut short still tells the operator something.
            Ok(None) | Err(_) => break,
        }
    }
    buf.truncate(EXCERPT_BYTES);
    let text: String = String::from_utf8_lossy(&buf)
        .chars()
        .take(EXCERPT_CHARS)
        .collect();
    (!text.is_empty()).then_some(text)
}

const PRIVATE_HINT: &str = "the address is not public; set jobs.webhook_allow_private_targets = \
                            true to deliver to internal receivers";

/// A resolver that drops every non-public address and fails when none is left.
#[derive(Debug)]
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = all.into_iter().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(format!("{host} resolves to no public address: {PRIVATE_HINT}").into());
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Whether an address is on the public internet (not loopback, private, link-local, shared,
/// documentation, multicast or unspecified).
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || (a == 100 && (64..128).contains(&b))
                || a == 0)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_public;

    #[test]
    fn only_public_addresses_are_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "1.1.1.1", "2606:4700::1111"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }
}

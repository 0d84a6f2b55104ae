//! `trellis healthcheck`: asks a running server for `GET /api/v1/health`, for container health
//! checks and CI. Exit 0 on 200, 1 otherwise, with a one-line reason.

use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use url::Url;

use crate::config::Config;

/// `trellis healthcheck`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The server's base URL (a full …/api/v1/health URL works too) [default: service.base_url,
    /// which follows web.bind]
    #[arg(long, value_name = "URL")]
    pub url: Option<Url>,
    /// Seconds to wait for the answer.
    #[arg(long, value_name = "SECONDS", default_value_t = 5,
        value_parser = clap::value_parser!(u64).range(1..=300))]
    pub timeout: u64,
}

/// Checks the server; an error means "unhealthy".
pub(crate) async fn run(args: &Args, config: &Config) -> anyhow::Result<()> {
    let url = health_url(args.url.as_ref().unwrap_or(&config.service.base_url))?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(args.timeout))
        .build()
        .context("building the HTTP client")?;
    let response = client
        .get(url.clone())
        .send()
        .await
        .map_err(|e| anyhow!("{url} did not answer: {}", root_cause(&e)))?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    if status != reqwest::StatusCode::OK {
        let excerpt: String = body.chars().take(200).collect();
        bail!("{url} answered {status}: {}", excerpt.trim());
    }
    let health: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    let field = |k: &str| {
        health
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("?")
            .to_owned()
    };
    println!(
        "healthy: {url} answered {status} (database {}, version {})",
        field("database"),
        field("version")
    );
    Ok(())
}

/// `http://host:8080/` → `http://host:8080/api/v1/health`; a health URL is kept as it is.
fn health_url(base: &Url) -> anyhow::Result<Url> {
    if base.path().ends_with("/api/v1/health") {
        return Ok(base.clone());
    }
    let mut base = base.clone();
    if !base.path().ends_with('/') {
        let path = format!("{}/", base.path());
        base.set_path(&path);
    }
    base.join("api/v1/health")
        .with_context(|| format!("{base} cannot be a base URL"))
}

/// The innermost error, which says what actually happened ("Connection refused").
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_health_path_is_appended_to_a_base_url() {
        let u = |s: &str| health_url(&Url::parse(s).unwrap()).unwrap().to_string();
        assert_eq!(
            u("http://127.0.0.1:8080/"),
            "http://127.0.0.1:8080/api/v1/health"
        );
        assert_eq!(
            u("https://prm.example.com/trellis"),
            "https://prm.example.com/trellis/api/v1/health"
        );
        assert_eq!(u("http://h/api/v1/health"), "http://h/api/v1/health");
    }
}

//! One signed request, retried with exponential backoff, its response checked.

use reqwest::Method;
use reqwest::header::HeaderMap;

use super::Peer;
use crate::auth;
use crate::connections::Secret;
use crate::{Error, Result, b64};

/// Why one try failed: worth another try, or not.
enum Failure {
    Retry(String, Option<Error>),
    Fatal(Error),
}

/// An error's whole chain, as reqwest's top-level message alone hides the cause.
pub(crate) fn describe(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}

/// The `detail` of a problem+json body, else the body as text.
pub(crate) fn detail(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("detail").and_then(|d| d.as_str()).map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(200).collect())
}

/// Checks a response's signature and timestamp against the request's nonce.
pub(crate) fn verify_response(
    secret: &Secret,
    nonce: &str,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    now_ms: i64,
) -> Result<()> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(ts), Some(sig)) = (get(auth::TIMESTAMP), get(auth::SIGNATURE)) else {
        return Err(Error::ResponseAuth("it is not signed"));
    };
    let ts: i64 = ts
        .parse()
        .map_err(|_| Error::ResponseAuth("its timestamp is not a number"))?;
    if !auth::verify(secret, &auth::response_input(nonce, status, ts, body), sig) {
        return Err(Error::ResponseAuth("bad signature"));
    }
    if !auth::fresh(ts, now_ms) {
        return Err(Error::ResponseAuth(
            "its timestamp is more than 5 minutes from our clock",
        ));
    }
    Ok(())
}

impl Peer {
    /// Sends a signed request to `path` (relative to the server's base URL) until it succeeds,
    /// fails for good, or the tries run out; returns the verified body.
    pub(crate) async fn call(
        &mut self,
        method: Method,
        path: &str,
        body: Vec<u8>,
    ) -> Result<Vec<u8>> {
        let url = self
            .base
            .join(path)
            .map_err(|e| Error::Internal(e.to_string()))?;
        let mut delay = self.config.backoff;
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.once(&method, &url, &body).await {
                Ok(reply) => return Ok(reply),
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Retry(last, give_up)) => {
                    if attempt >= self.config.attempts.max(1) {
                        return Err(give_up.unwrap_or(Error::Unreachable {
                            attempts: attempt,
                            last,
                        }));
                    }
                    tracing::debug!(%url, attempt, error = %last, "PSI: retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(self.config.max_backoff);
                }
            }
        }
    }

    async fn once(
        &mut self,
        method: &Method,
        url: &reqwest::Url,
        body: &[u8],
    ) -> Result<Vec<u8>, Failure> {
        let mut nonce = [0u8; 16];
        rand_core::RngCore::fill_bytes(&mut self.rng, &mut nonce);
        let nonce = b64(&nonce);
        let ts = self.clock.now_ms();
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        let input = auth::request_input(
            method.as_str(),
            &path,
            &self.connection.id,
            ts,
            &nonce,
            body,
        );
        let signature = auth::sign(&self.connection.secret, &input);
        let sent = self
            .http
            .request(method.clone(), url.clone())
            .header(auth::CONNECTION, &self.connection.id)
            .header(auth::TIMESTAMP, ts.to_string())
            .header(auth::NONCE, &nonce)
            .header(auth::SIGNATURE, signature)
            .header("content-type", "application/octet-stream")
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| Failure::Retry(describe(&e), None))?;
        let status = sent.status().as_u16();
        let headers = sent.headers().clone();
        let reply = sent
            .bytes()
            .await
            .map_err(|e| Failure::Retry(describe(&e), None))?
            .to_vec();
        let signed = headers.contains_key(auth::SIGNATURE);
        if !signed {
            // A proxy's or a gateway's error, or the server refusing to verify us.
            return Err(match status {
                401 => Failure::Fatal(Error::Unauthenticated(detail(&reply))),
                404 => Failure::Fatal(Error::Refused {
                    status,
                    detail: "nothing there: is the URL the PSI server's base URL?".to_owned(),
                }),
                500..=599 => Failure::Retry(format!("HTTP {status}"), None),
                _ => Failure::Fatal(Error::ResponseAuth("it is not signed")),
            });
        }
        verify_response(
            &self.connection.secret,
            &nonce,
            status,
            &headers,
            &reply,
            self.clock.now_ms(),
        )
        .map_err(Failure::Fatal)?;
        match status {
            200..=299 => Ok(reply),
            404 => Err(Failure::Fatal(Error::SessionGone)),
            503 => Err(Failure::Retry(
                "the server is busy".to_owned(),
                Some(Error::Busy),
            )),
            500..=599 => Err(Failure::Retry(
                format!("HTTP {status}: {}", detail(&reply)),
                None,
            )),
            _ => Err(Failure::Fatal(Error::Refused {
                status,
                detail: detail(&reply),
            })),
        }
    }
}

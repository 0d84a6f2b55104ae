//! The server's refusals, through the router without a network.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt as _;

use super::{FixedInput, PsiServer, ServerConfig};
use crate::auth;
use crate::connections::{Connection, ConnectionStore, MemoryStore, Secret};
use crate::input::SideInput;
use crate::manifest::Manifest;
use crate::{Clock as _, ManualClock};

const SESSION: &str = "00112233445566778899aabbccddeeff";

async fn server(max_sessions: usize) -> (axum::Router, ManualClock) {
    let store = Arc::new(MemoryStore::default());
    store
        .add_connection(Connection {
            id: "c0ffee".to_owned(),
            secret: Secret::from_bytes([5; 32]),
            created_ms: 0,
            peer_url: None,
        })
        .await
        .unwrap();
    let clock = ManualClock::new(1_000_000);
    let router = PsiServer::new(
        store,
        Arc::new(FixedInput(Arc::new(SideInput::default()))),
        Arc::new(clock.clone()),
        [1; 32],
    )
    .with_config(ServerConfig {
        max_sessions,
        session_ttl: Duration::from_mins(1),
        ..ServerConfig::default()
    })
    .router();
    (router, clock)
}

/// A request signed as connection `c0ffee` would, at `ts`, with `nonce`.
fn signed(method: &str, path: &str, body: &[u8], ts: i64, nonce: &str) -> Request<Body> {
    let input = auth::request_input(method, path, "c0ffee", ts, nonce, body);
    let sig = auth::sign(&Secret::from_bytes([5; 32]), &input);
    Request::builder()
        .method(method)
        .uri(path)
        .header(auth::CONNECTION, "c0ffee")
        .header(auth::TIMESTAMP, ts.to_string())
        .header(auth::NONCE, nonce)
        .header(auth::SIGNATURE, sig)
        .body(Body::from(body.to_vec()))
        .unwrap()
}

fn manifest() -> Vec<u8> {
    serde_json::to_vec(&Manifest::of(&SideInput::default())).unwrap()
}

async fn status(router: &axum::Router, req: Request<Body>) -> StatusCode {
    router.clone().oneshot(req).await.unwrap().status()
}

#[tokio::test]
async fn a_bad_signature_is_refused_and_changes_nothing() {
    let (router, clock) = server(8).await;
    let now = clock.now_ms();
    let path = format!("/sessions/{SESSION}");
    let mut req = signed("PUT", &path, &manifest(), now, "n1");
    *req.body_mut() = Body::from(b"{}".to_vec());
    assert_eq!(status(&router, req).await, StatusCode::UNAUTHORIZED);
    // Nothing was opened, and the nonce was not used up.
    let missing = format!("/sessions/{SESSION}/runs/0/missing");
    let req = signed("GET", &missing, b"", now, "n2");
    assert_eq!(status(&router, req).await, StatusCode::NOT_FOUND);
    let req = signed("PUT", &path, &manifest(), now, "n1");
    let response = router.clone().oneshot(req).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // The answer is signed, bound to the request's nonce.
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let secret = Secret::from_bytes([5; 32]);
    crate::client::requests_for_tests::verify(&secret, "n1", 200, &headers, &body, now).unwrap();
    assert!(
        crate::client::requests_for_tests::verify(&secret, "n2", 200, &headers, &body, now)
            .is_err()
    );
}

#[tokio::test]
async fn replayed_stale_unsigned_and_foreign_requests_are_refused() {
    let (router, clock) = server(8).await;
    let now = clock.now_ms();
    let path = format!("/sessions/{SESSION}");
    assert_eq!(
        status(&router, signed("PUT", &path, &manifest(), now, "a")).await,
        StatusCode::OK
    );
    assert_eq!(
        status(&router, signed("PUT", &path, &manifest(), now, "a")).await,
        StatusCode::UNAUTHORIZED
    );
    let stale = now - auth::WINDOW_MS - 1;
    assert_eq!(
        status(&router, signed("PUT", &path, &manifest(), stale, "b")).await,
        StatusCode::UNAUTHORIZED
    );
    let mut foreign = signed("PUT", &path, &manifest(), now, "c");
    foreign
        .headers_mut()
        .insert(auth::CONNECTION, "beef".parse().unwrap());
    assert_eq!(status(&router, foreign).await, StatusCode::UNAUTHORIZED);
    let unsigned = Request::builder()
        .method("PUT")
        .uri(&path)
        .body(Body::from(manifest()))
        .unwrap();
    assert_eq!(status(&router, unsigned).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sessions_are_limited_and_idle_out() {
    let (router, clock) = server(1).await;
    let put = |id: &str, nonce: &str, now: i64| {
        signed("PUT", &format!("/sessions/{id}"), &manifest(), now, nonce)
    };
    let other = "ffeeddccbbaa99887766554433221100";
    let now = clock.now_ms();
    assert_eq!(
        status(&router, put(SESSION, "1", now)).await,
        StatusCode::OK
    );
    assert_eq!(
        status(&router, put(other, "2", now)).await,
        StatusCode::SERVICE_UNAVAILABLE
    );
    clock.advance(Duration::from_secs(61));
    let now = clock.now_ms();
    let missing = format!("/sessions/{SESSION}/runs/0/missing");
    assert_eq!(
        status(&router, signed("GET", &missing, b"", now, "3")).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(status(&router, put(other, "4", now)).await, StatusCode::OK);
}

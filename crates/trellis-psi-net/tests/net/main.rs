//! Two parties on loopback: real HTTPS with a self-signed certificate pinned by the client,
//! a proxy that drops connections, and the file exchange; every outcome is checked against
//! `reference::outcome`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    reason = "tests"
)]

mod proxy;
mod sides;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng as _;
use tokio::net::TcpListener;
use trellis_psi_net::connections::{ConnectionStore, MemoryStore, new_invitation};
use trellis_psi_net::server::{FixedInput, Mapped};
use trellis_psi_net::{
    ClientConfig, Error, ManualClock, Outcome, Peer, PsiServer, ServerConfig, SideInput, client,
    exchange, reference,
};

use crate::sides::random_side;

/// 2026-01-01, as the tests' clock.
const T0: i64 = 1_767_225_600_000;

struct Running {
    url: String,
    cert: Option<Vec<u8>>,
    store: Arc<MemoryStore>,
    clock: ManualClock,
    mapped: Arc<Mutex<Vec<Mapped>>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A server for `input` on 127.0.0.1, over TLS with a fresh self-signed certificate or plain
/// HTTP; `wrap` may put a layer around the router.
async fn start(input: SideInput, tls: bool, wrap: fn(Router) -> Router) -> Running {
    let store = Arc::new(MemoryStore::default());
    let clock = ManualClock::new(T0);
    let mapped = Arc::new(Mutex::new(Vec::new()));
    let sink = mapped.clone();
    let server = PsiServer::new(
        store.clone(),
        Arc::new(FixedInput(Arc::new(input))),
        Arc::new(clock.clone()),
        [7; 32],
    )
    .with_config(ServerConfig {
        chunk_size: 6,
        ..ServerConfig::default()
    })
    .on_mapped(move |m| sink.lock().unwrap().push(m));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (config, cert, url) = if tls {
        let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let cert = ck.cert.pem();
        let config = trellis_psi_net::tls::server_config(
            cert.as_bytes(),
            ck.signing_key.serialize_pem().as_bytes(),
        )
        .unwrap();
        let url = format!("https://localhost:{}/", addr.port());
        (Some(config), Some(cert.into_bytes()), url)
    } else {
        (None, None, format!("http://{addr}/"))
    };
    let router = wrap(server.router());
    let task = tokio::spawn(trellis_psi_net::tls::serve(listener, router, config));
    Running {
        url,
        cert,
        store,
        clock,
        mapped,
        task,
    }
}

fn config(cert: Option<Vec<u8>>) -> ClientConfig {
    ClientConfig {
        chunk_size: 5,
        batch: 3,
        attempts: 12,
        backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(50),
        timeout: Duration::from_secs(20),
        peer_cert_pem: cert,
        insecure_http: false,
    }
}

/// Invites, redeems and returns a peer for `url` (which may be a proxy in front of `s`).
async fn connect(s: &Running, url: &str) -> Peer {
    let (token, invitation) = new_invitation(
        &mut ChaCha20Rng::seed_from_u64(3),
        s.clock_now(),
        Duration::from_hours(1),
    );
    s.store.add_invitation(invitation).await.unwrap();
    let c = config(s.cert.clone());
    let connection = client::redeem(url, &token, &c, &s.clock, [8; 32])
        .await
        .unwrap();
    Peer::new(connection, c, Arc::new(s.clock.clone()), [9; 32]).unwrap()
}

impl Running {
    fn clock_now(&self) -> i64 {
        use trellis_psi_net::Clock as _;
        self.clock.now_ms()
    }

    /// The server side's outcome of its last mapping.
    fn last(&self) -> Outcome {
        self.mapped.lock().unwrap().last().unwrap().outcome.clone()
    }
}

async fn map(peer: &mut Peer, input: &SideInput) -> Result<Outcome, Error> {
    peer.map(input, &mut |_| {}).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_parties_over_https_learn_exactly_what_the_reference_computes() {
    for seed in 0..3 {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let (a, b) = (random_side(&mut rng, 60), random_side(&mut rng, 70));
        let server = start(b.clone(), true, |r| r).await;
        let mut peer = connect(&server, &server.url).await;
        let got = map(&mut peer, &a).await.unwrap();
        assert!(!got.stats.runs.is_empty());
        assert!(
            got.stats
                .runs
                .iter()
                .all(|r| r.bytes_sent > 0 && r.bytes_received > 0)
        );
        let want = reference::outcome(&a, &b);
        assert!(
            !want.overlaps.is_empty() && !want.matrix.is_empty(),
            "seed {seed}"
        );
        assert_eq!(got.without_stats(), want, "seed {seed}");
        assert_eq!(server.last().without_stats(), reference::outcome(&b, &a));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_way_sharing_teaches_only_the_side_shared_with() {
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let (mut a, b) = (random_side(&mut rng, 40), random_side(&mut rng, 40));
    a.share = trellis_psi_net::Share::default();
    let server = start(b.clone(), false, |r| r).await;
    let mut peer = connect(&server, &server.url).await;
    let got = map(&mut peer, &a).await.unwrap();
    assert_eq!(got.stats.runs.len(), 2);
    assert_eq!(got.without_stats(), reference::outcome(&a, &b));
    let theirs = server.last();
    assert_eq!(theirs.clone().without_stats(), Outcome::default());
    assert!(
        theirs
            .stats
            .runs
            .iter()
            .all(|r| r.run.sender() == trellis_psi_net::Party::Responder)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapping_where_nobody_shares_runs_nothing() {
    let mut rng = ChaCha20Rng::seed_from_u64(12);
    let (mut a, mut b) = (random_side(&mut rng, 20), random_side(&mut rng, 20));
    a.share = trellis_psi_net::Share::default();
    b.share = trellis_psi_net::Share::default();
    let server = start(b, false, |r| r).await;
    let mut peer = connect(&server, &server.url).await;
    let got = map(&mut peer, &a).await.unwrap();
    assert_eq!(got, Outcome::default());
    assert_eq!(server.last(), Outcome::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_works_once_and_not_after_it_expires() {
    let server = start(SideInput::default(), true, |r| r).await;
    let c = config(server.cert.clone());
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let (token, inv) = new_invitation(&mut rng, T0, Duration::from_mins(1));
    server.store.add_invitation(inv).await.unwrap();
    client::redeem(&server.url, &token, &c, &server.clock, [1; 32])
        .await
        .unwrap();
    let again = client::redeem(&server.url, &token, &c, &server.clock, [2; 32]).await;
    assert!(
        matches!(&again, Err(Error::Refused { status: 403, detail }) if detail.contains("already used")),
        "{again:?}"
    );
    let (late, inv) = new_invitation(&mut rng, T0, Duration::from_mins(1));
    server.store.add_invitation(inv).await.unwrap();
    server.clock.advance(Duration::from_secs(61));
    let expired = client::redeem(&server.url, &late, &c, &server.clock, [3; 32]).await;
    assert!(
        matches!(&expired, Err(Error::Refused { status: 403, detail }) if detail.contains("expired")),
        "{expired:?}"
    );
    let (unknown, _) = new_invitation(&mut rng, T0, Duration::from_mins(1));
    let refused = client::redeem(&server.url, &unknown, &c, &server.clock, [4; 32]).await;
    assert!(
        matches!(&refused, Err(Error::Refused { status: 403, detail }) if detail.contains("not valid")),
        "{refused:?}"
    );
    // Without the pinned certificate the self-signed server is not trusted.
    let untrusted = client::redeem(&server.url, &late, &config(None), &server.clock, [5; 32]).await;
    assert!(
        matches!(untrusted, Err(Error::Unreachable { .. })),
        "{untrusted:?}"
    );
    let plain = client::redeem(
        "http://192.0.2.1/",
        &late,
        &config(None),
        &server.clock,
        [5; 32],
    )
    .await;
    assert!(matches!(plain, Err(Error::InsecureUrl(_))), "{plain:?}");
}

/// Flips the last byte of every mapping response after the server signed it.
fn tamper(router: Router) -> Router {
    router.layer(axum::middleware::map_response(
        |response: axum::response::Response| async move {
            let (parts, body) = response.into_parts();
            let mut bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap()
                .to_vec();
            if parts.headers.contains_key("trellis-psi-signature")
                && parts.status.is_success()
                && bytes.len() > 200
                && let Some(last) = bytes.last_mut()
            {
                *last ^= 1;
            }
            axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
        },
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_altered_on_the_way_is_refused() {
    let mut rng = ChaCha20Rng::seed_from_u64(13);
    let (a, b) = (random_side(&mut rng, 20), random_side(&mut rng, 20));
    let server = start(b, false, tamper).await;
    let mut peer = connect(&server, &server.url).await;
    let err = map(&mut peer, &a).await.unwrap_err();
    assert!(matches!(err, Error::ResponseAuth("bad signature")), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapping_resumes_through_dropped_and_cut_connections() {
    let mut rng = ChaCha20Rng::seed_from_u64(14);
    let (a, b) = (random_side(&mut rng, 50), random_side(&mut rng, 50));
    let server = start(b.clone(), true, |r| r).await;
    let target = server
        .url
        .trim_start_matches("https://localhost:")
        .trim_end_matches('/');
    let proxy = proxy::Proxy::start(format!("127.0.0.1:{target}")).await;
    let url = format!("https://localhost:{}/", proxy.port);
    let mut peer = connect(&server, &url).await;
    let got = map(&mut peer, &a).await.unwrap();
    assert_eq!(got.without_stats(), reference::outcome(&a, &b));
    assert_eq!(server.last().without_stats(), reference::outcome(&b, &a));
    assert!(
        proxy.dropped() >= 3,
        "the proxy dropped {}",
        proxy.dropped()
    );
}

#[test]
fn the_file_exchange_gives_both_sides_the_reference_outcome() {
    for seed in 20..22 {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let (a, b) = (random_side(&mut rng, 50), random_side(&mut rng, 60));
        let mut request = Vec::new();
        let state_a = exchange::request(&a, 7, [1; 32], &mut request).unwrap();
        let mut response = Vec::new();
        let responded =
            exchange::respond(&b, &mut request.as_slice(), 7, [2; 32], &mut response).unwrap();
        let state_b = responded.state.unwrap();
        let mut reply = Vec::new();
        let done_a = exchange::finish(&a, &state_a, &mut response.as_slice(), &mut reply).unwrap();
        assert_eq!(done_a.outcome.without_stats(), reference::outcome(&a, &b));
        assert!(!done_a.reply_runs.is_empty());
        let done_b =
            exchange::finish(&b, &state_b, &mut reply.as_slice(), &mut std::io::sink()).unwrap();
        assert_eq!(done_b.outcome.without_stats(), reference::outcome(&b, &a));
        assert!(done_b.reply_runs.is_empty());

        // A state file round-trips; a changed input, a wrong file or a damaged one is refused.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.state");
        state_a.save(&path).unwrap();
        let loaded = exchange::State::load(&path).unwrap();
        let again =
            exchange::finish(&a, &loaded, &mut response.as_slice(), &mut Vec::new()).unwrap();
        assert_eq!(again.outcome.without_stats(), reference::outcome(&a, &b));
        let mut changed = a.clone();
        changed.accounts.pop();
        let err = exchange::finish(&changed, &loaded, &mut response.as_slice(), &mut Vec::new())
            .unwrap_err();
        assert!(err.to_string().contains("changed"), "{err}");
        let err =
            exchange::finish(&a, &loaded, &mut request.as_slice(), &mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("expected a response"), "{err}");
        let mut damaged = response.clone();
        let n = damaged.len();
        damaged[n - 40] ^= 1;
        assert!(exchange::finish(&a, &loaded, &mut damaged.as_slice(), &mut Vec::new()).is_err());
        let err =
            exchange::finish(&a, &loaded, &mut &response[..n - 10], &mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("cut short"), "{err}");
    }
}

//! `webhook.deliver`: signed deliveries to a real HTTP receiver, filters, recorded attempts,
//! retries with a stable `webhook-id`, replay, and deliveries to endpoints that went away.

use std::time::Duration;

use tokio::net::TcpListener;
use trellis_domain::{EventId, WebhookEndpointId};
use trellis_jobs::JobsConfig;
use trellis_service::Actor;
use trellis_service::platform::PageRequest;
use trellis_service::platform::webhooks::{Attempt, EndpointInput, EndpointWithSecret, sign};
use trellis_testkit::hooks::{HookSink, ReceivedHook};

use super::{Harness, START, jobs_config, runner};

async fn endpoint(h: &Harness, url: String) -> EndpointWithSecret {
    h.services
        .create_webhook(
            &Actor::System,
            &EndpointInput {
                url,
                description: "integration test".into(),
                event_filter: vec!["user.*".into()],
                enabled: true,
            },
        )
        .await
        .unwrap()
}

async fn attempts(h: &Harness, id: WebhookEndpointId) -> Vec<Attempt> {
    h.services
        .list_webhook_attempts(&Actor::System, id, &PageRequest::default())
        .await
        .unwrap()
        .items
}

/// Checks the Standard Webhooks headers of `hook` against the endpoint's secret.
fn assert_signed(hook: &ReceivedHook, secret: &str) {
    let id = hook.header("webhook-id").unwrap();
    let ts: i64 = hook.header("webhook-timestamp").unwrap().parse().unwrap();
    let expected = sign(secret, id, ts, &hook.body).unwrap();
    assert_eq!(hook.header("webhook-signature"), Some(expected.as_str()));
}

#[tokio::test]
async fn matching_events_are_delivered_once_signed_with_the_endpoint_secret() {
    let h = Harness::new().await;
    let sink = HookSink::start().await.unwrap();
    let ep = endpoint(&h, sink.url("/hooks/trellis")).await;
    h.vendor().await; // org.created: filtered out by user.*
    let user = h.invite("ada@example.com").await; // user.invited: delivered

    // The invitation e-mail and the one matching delivery.
    assert_eq!(h.runner.run_until_idle().await.unwrap(), 2);

    let hooks = sink.requests();
    assert_eq!(hooks.len(), 1, "{hooks:#?}");
    let hook = &hooks[0];
    assert_eq!(hook.method, "POST");
    assert_eq!(hook.path, "/hooks/trellis");
    assert_eq!(hook.header("content-type"), Some("application/json"));
    assert_eq!(hook.header("user-agent"), Some("Trellis-Webhooks/1"));
    assert_eq!(
        hook.header("webhook-timestamp"),
        Some(START.seconds().to_string().as_str())
    );
    assert_signed(hook, &ep.secret);
    let body = hook.json().unwrap();
    assert_eq!(body["type"], "user.invited");
    assert_eq!(body["id"].as_str(), hook.header("webhook-id"));
    assert_eq!(body["object"]["id"], user.id.to_string());
    assert_eq!(body["data"]["email"], "ada@example.com");

    let recorded = attempts(&h, ep.endpoint.id).await;
    assert_eq!(recorded.len(), 1);
    let a = &recorded[0];
    assert!(a.succeeded);
    assert_eq!(a.attempt, 1);
    assert_eq!(a.status_code, Some(200));
    assert_eq!(a.event_type, "user.invited");
    assert_eq!(a.event_id.to_string(), hook.header("webhook-id").unwrap());
    assert_eq!(
        a.response_excerpt.as_deref(),
        Some("hook sink answered 200")
    );
    assert_eq!(a.error, None);
    assert_eq!(h.services.job_counts(&Actor::System).await.unwrap(), (0, 0));
}

#[tokio::test]
async fn a_failed_delivery_is_recorded_and_retried_after_backoff_with_the_same_id() {
    let h = Harness::new().await;
    let sink = HookSink::start().await.unwrap();
    sink.set_status(500);
    let url = sink.url("/hooks/flaky");
    let ep = endpoint(&h, url.clone()).await;
    h.vendor().await;
    h.invite("ada@example.com").await;

    assert_eq!(h.runner.run_until_idle().await.unwrap(), 2);
    assert_eq!(sink.requests().len(), 1);
    let recorded = attempts(&h, ep.endpoint.id).await;
    assert_eq!(recorded.len(), 1);
    assert!(!recorded[0].succeeded);
    assert_eq!(recorded[0].status_code, Some(500));
    assert_eq!(recorded[0].attempt, 1);
    assert_eq!(
        recorded[0].response_excerpt.as_deref(),
        Some("hook sink answered 500")
    );
    let queued = h.jobs("queued").await;
    assert_eq!(queued.len(), 1);
    assert_eq!(
        queued[0].last_error.as_deref(),
        Some(format!("HTTP 500 from {url}").as_str())
    );

    // Not retried before the backoff (at least 5 s for the first retry).
    assert_eq!(h.runner.run_until_idle().await.unwrap(), 0);
    h.clock.advance(Duration::from_millis(4_900));
    assert_eq!(h.runner.run_until_idle().await.unwrap(), 0);
    assert_eq!(sink.requests().len(), 1);

    sink.set_status(200);
    h.clock.advance(Duration::from_secs(6));
    assert_eq!(h.runner.run_until_idle().await.unwrap(), 1);
    let hooks = sink.requests();
    assert_eq!(hooks.len(), 2);
    let event_id = hooks[0].header("webhook-id").unwrap();
    assert_eq!(hooks[1].header("webhook-id"), Some(event_id));
    assert_ne!(
        hooks[0].header("webhook-timestamp"),
        hooks[1].header("webhook-timestamp"),
        "each attempt is signed at its own time"
    );
    assert_signed(&hooks[0], &ep.secret);
    assert_signed(&hooks[1], &ep.secret);
    let recorded = attempts(&h, ep.endpoint.id).await;
    assert_eq!(recorded.len(), 2);
    assert!(recorded[0].succeeded, "newest first: {recorded:#?}");
    assert_eq!(recorded[0].attempt, 2);
    assert_eq!(h.services.job_counts(&Actor::System).await.unwrap(), (0, 0));

    // A replay delivers the same event again, as a fresh job.
    let event_id: EventId = event_id.parse().unwrap();
    h.services
        .replay_webhook(&Actor::System, ep.endpoint.id, event_id)
        .await
        .unwrap();
    assert_eq!(h.runner.run_until_idle().await.unwrap(), 1);
    let hooks = sink.requests();
    assert_eq!(hooks.len(), 3);
    assert_eq!(
        hooks[2].header("webhook-id"),
        Some(event_id.to_string().as_str())
    );
    assert_eq!(hooks[2].body, hooks[0].body);
    assert_signed(&hooks[2], &ep.secret);
    let recorded = attempts(&h, ep.endpoint.id).await;
    assert_eq!(recorded.len(), 3);
    assert!(recorded[0].succeeded);
    assert_eq!(recorded[0].attempt, 1);
}

#[tokio::test]
async fn an_endpoint_that_does_not_answer_in_time_is_recorded_as_timed_out() {
    let h = Harness::new().await;
    // Accepts connections and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks/silent", silent.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((conn, _)) = silent.accept().await {
            open.push(conn);
        }
    });
    let ep = endpoint(&h, url.clone()).await;
    h.vendor().await;
    h.invite("ada@example.com").await;
    let impatient = runner(
        &h.services,
        &JobsConfig {
            webhook_timeout: Duration::from_millis(300),
            ..jobs_config(h.smtp.port())
        },
    );

    assert_eq!(impatient.run_until_idle().await.unwrap(), 2);

    let recorded = attempts(&h, ep.endpoint.id).await;
    assert_eq!(recorded.len(), 1);
    assert!(!recorded[0].succeeded);
    assert_eq!(recorded[0].status_code, None);
    let expected = format!("timed out after 300 ms waiting for {url}");
    assert_eq!(recorded[0].error.as_deref(), Some(expected.as_str()));
    assert!(recorded[0].duration_ms >= 300);
    let queued = h.jobs("queued").await;
    assert_eq!(queued[0].last_error.as_deref(), Some(expected.as_str()));
    held.abort();
}

#[tokio::test]
async fn a_delivery_to_a_deleted_endpoint_ends_quietly() {
    let h = Harness::new().await;
    let sink = HookSink::start().await.unwrap();
    let ep = endpoint(&h, sink.url("/hooks/gone")).await;
    h.vendor().await;
    h.invite("ada@example.com").await;
    h.services
        .delete_webhook(&Actor::System, ep.endpoint.id)
        .await
        .unwrap();

    assert_eq!(h.runner.run_until_idle().await.unwrap(), 2);

    assert!(sink.requests().is_empty());
    assert_eq!(h.services.job_counts(&Actor::System).await.unwrap(), (0, 0));
}

#[tokio::test]
async fn by_default_webhooks_are_never_delivered_to_loopback_or_private_addresses() {
    let h = Harness::new().await;
    h.vendor().await;
    let sink = HookSink::start().await.unwrap();
    let ep = endpoint(&h, sink.url("/in")).await;
    h.invite("ada@example.com").await;
    let guarded = runner(
        &h.services,
        &JobsConfig {
            webhook_allow_private_targets: false,
            ..jobs_config(h.smtp.port())
        },
    );
    guarded.run_until_idle().await.unwrap();
    assert!(sink.requests().is_empty(), "a loopback receiver was called");
    let error = attempts(&h, ep.endpoint.id).await[0].error.clone().unwrap();
    assert!(error.contains("webhook_allow_private_targets"), "{error}");
}

//! `email.send`: invitations reach a real SMTP server; failures retry, dead-letter and resume.

use std::time::Duration;

use tokio_util::sync::CancellationToken;
use trellis_service::{Actor, ServiceConfig};

use super::{Harness, START, closed_port, jobs_config, runner};

#[tokio::test]
async fn inviting_a_user_emails_one_invitation_link_over_smtp() {
    let h = Harness::new().await;
    h.vendor().await;
    h.invite("ada@example.com").await;

    assert_eq!(h.runner.run_until_idle().await.unwrap(), 1);

    let mails = h.smtp.messages();
    assert_eq!(mails.len(), 1, "{mails:#?}");
    let mail = &mails[0];
    assert_eq!(mail.to, vec!["ada@example.com".to_owned()]);
    assert_eq!(mail.from, "no-reply@trellis.localhost");
    assert_eq!(mail.subject(), "You are invited to Vendor on Trellis");
    let body = mail.body();
    assert!(body.contains("Hello Ada Lovelace"), "{body}");
    assert!(
        body.contains("http://127.0.0.1:8080/invitations/inv_"),
        "{body}"
    );
    assert!(
        mail.header("From")
            .unwrap()
            .contains("Trellis <no-reply@trellis.localhost>")
    );
    assert_eq!(h.services.job_counts(&Actor::System).await.unwrap(), (0, 0));
}

#[tokio::test]
async fn a_rejected_recipient_is_reported_with_the_smtp_code_and_retried() {
    let h = Harness::new().await;
    h.vendor().await;
    h.smtp.reject_recipients(true);
    h.invite("ada@example.com").await;

    assert_eq!(h.runner.run_until_idle().await.unwrap(), 1);

    let queued = h.jobs("queued").await;
    assert_eq!(queued.len(), 1);
    assert_eq!(
        queued[0].last_error.as_deref(),
        Some(
            format!(
                "SMTP 550 from 127.0.0.1:{}: Mailbox unavailable",
                h.smtp.port()
            )
            .as_str()
        )
    );
    assert!(h.smtp.messages().is_empty());

    h.smtp.reject_recipients(false);
    h.clock.advance(Duration::from_secs(11));
    assert_eq!(h.runner.run_until_idle().await.unwrap(), 1);
    assert_eq!(h.smtp.messages().len(), 1);
}

#[tokio::test]
async fn an_unreachable_smtp_server_means_backoff_then_dead_letter_then_manual_retry() {
    let h = Harness::with_config(ServiceConfig {
        job_max_attempts: 2,
        ..ServiceConfig::default()
    })
    .await;
    let port = closed_port();
    let broken = runner(&h.services, &jobs_config(port));
    h.vendor().await;
    h.invite("ada@example.com").await;

    // First attempt fails and is rescheduled 5-10 s later (10 s backoff with equal jitter).
    assert_eq!(broken.run_until_idle().await.unwrap(), 1);
    let queued = h.jobs("queued").await;
    assert_eq!(queued.len(), 1);
    let job = &queued[0];
    assert_eq!(job.attempts, 1);
    let error = job.last_error.as_deref().unwrap();
    assert!(
        error.starts_with(&format!("SMTP to 127.0.0.1:{port} failed: ")),
        "{error}"
    );
    assert!(error.to_lowercase().contains("refused"), "{error}");
    let delay = job.run_at.millis() - START.millis();
    assert!((5_000..=10_000).contains(&delay), "retry in {delay} ms");

    // Not before the backoff.
    assert_eq!(broken.run_until_idle().await.unwrap(), 0);
    h.clock.advance(Duration::from_millis(4_900));
    assert_eq!(broken.run_until_idle().await.unwrap(), 0);

    // The second and last attempt buries it.
    h.clock.advance(Duration::from_secs(6));
    assert_eq!(broken.run_until_idle().await.unwrap(), 1);
    assert!(h.jobs("queued").await.is_empty());
    let dead = h.jobs("dead").await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].attempts, 2);
    assert!(
        dead[0]
            .last_error
            .as_deref()
            .unwrap()
            .starts_with(&format!("SMTP to 127.0.0.1:{port} failed: "))
    );
    assert_eq!(broken.run_until_idle().await.unwrap(), 0);

    // An operator retries it once the mail server is back.
    let retried = h
        .services
        .retry_job(&Actor::System, dead[0].id)
        .await
        .unwrap();
    assert_eq!(retried.status, "queued");
    assert_eq!(retried.attempts, 0);
    assert_eq!(h.runner.run_until_idle().await.unwrap(), 1);
    assert_eq!(h.smtp.messages().len(), 1);
    assert_eq!(h.services.job_counts(&Actor::System).await.unwrap(), (0, 0));
}

#[tokio::test]
async fn worker_loops_send_queued_mail_and_stop_promptly_on_cancel() {
    let h = Harness::new().await;
    h.vendor().await;
    let config = trellis_jobs::JobsConfig {
        workers: 2,
        poll_interval: Duration::from_millis(50),
        ..jobs_config(h.smtp.port())
    };
    let cancel = CancellationToken::new();
    let workers = tokio::spawn(runner(&h.services, &config).run(cancel.clone()));

    h.invite("ada@example.com").await;
    h.invite("grace@example.com").await;
    let mails = h.smtp.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(mails.len(), 2, "{mails:#?}");

    cancel.cancel();
    tokio::time::timeout(Duration::from_secs(2), workers)
        .await
        .expect("the workers stop within 2 s of cancellation")
        .unwrap();
    assert_eq!(h.services.job_counts(&Actor::System).await.unwrap(), (0, 0));
}

use trellis_store::Json;
use trellis_store::platform::jobs;
use trellis_store::testing::TestDb;
use uuid::Uuid;

fn job(run_at: i64) -> jobs::JobRow {
    jobs::JobRow {
        id: Uuid::now_v7(),
        kind: "email.send".into(),
        payload: Json(serde_json::json!({"to": "a@example.com"})),
        status: "queued".into(),
        run_at,
        attempts: 0,
        max_attempts: 3,
        locked_by: None,
        locked_until: None,
        last_error: None,
        created_at: 0,
        updated_at: 0,
    }
}

async fn claim(t: &TestDb, worker: &str, now: i64) -> Option<jobs::JobRow> {
    let mut tx = t.db().begin().await.unwrap();
    let j = jobs::claim(&mut tx.exec(), worker, now, now + 1_000)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    j
}

#[tokio::test]
async fn a_claimed_job_is_invisible_until_its_lease_expires() {
    let t = TestDb::create().await.unwrap();
    let mut tx = t.db().begin().await.unwrap();
    let j = job(100);
    jobs::insert(&mut tx.exec(), &j).await.unwrap();
    tx.commit().await.unwrap();

    assert!(claim(&t, "w1", 99).await.is_none(), "not due yet");
    let got = claim(&t, "w1", 100).await.unwrap();
    assert_eq!((got.id, got.attempts), (j.id, 1));
    assert!(claim(&t, "w2", 500).await.is_none(), "leased to w1");
    let again = claim(&t, "w2", 1_101).await.unwrap();
    assert_eq!(
        (again.locked_by.as_deref(), again.attempts),
        (Some("w2"), 2)
    );

    // w1's lease is gone: it can no longer complete the job.
    let mut tx = t.db().begin().await.unwrap();
    assert!(!jobs::complete(&mut tx.exec(), j.id, "w1").await.unwrap());
    assert!(jobs::complete(&mut tx.exec(), j.id, "w2").await.unwrap());
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn concurrent_claimers_never_get_the_same_job() {
    let t = TestDb::create().await.unwrap();
    let mut tx = t.db().begin().await.unwrap();
    for i in 0..20 {
        jobs::insert(&mut tx.exec(), &job(i)).await.unwrap();
    }
    tx.commit().await.unwrap();
    let mut handles = Vec::new();
    for w in 0..4 {
        let db = t.db().clone();
        handles.push(tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                let mut tx = db.begin().await.unwrap();
                let j = jobs::claim(&mut tx.exec(), &format!("w{w}"), 100, 10_000)
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
                match j {
                    Some(j) => got.push(j.id),
                    None => break got,
                }
            }
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await.unwrap());
    }
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!((n, all.len()), (20, 20));
}

#[tokio::test]
async fn failed_jobs_retry_later_then_go_dead_and_can_be_resurrected() {
    let t = TestDb::create().await.unwrap();
    let mut tx = t.db().begin().await.unwrap();
    let j = job(0);
    jobs::insert(&mut tx.exec(), &j).await.unwrap();
    tx.commit().await.unwrap();

    claim(&t, "w", 0).await.unwrap();
    let mut tx = t.db().begin().await.unwrap();
    assert!(
        jobs::retry_later(&mut tx.exec(), j.id, "w", 5_000, "timeout", 1)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    assert!(claim(&t, "w", 4_999).await.is_none());
    claim(&t, "w", 5_000).await.unwrap();
    let mut tx = t.db().begin().await.unwrap();
    assert!(
        jobs::bury(&mut tx.exec(), j.id, "w", "gave up", 6)
            .await
            .unwrap()
    );
    assert_eq!(jobs::counts(&mut tx.exec()).await.unwrap(), (0, 1));
    let dead = jobs::list(&mut tx.exec(), "dead", None, 10).await.unwrap();
    assert_eq!(dead.items[0].last_error.as_deref(), Some("gave up"));
    tx.commit().await.unwrap();
    assert!(
        claim(&t, "w", 1_000_000).await.is_none(),
        "dead jobs are never claimed"
    );

    let mut tx = t.db().begin().await.unwrap();
    assert!(jobs::resurrect(&mut tx.exec(), j.id, 7).await.unwrap());
    assert!(!jobs::resurrect(&mut tx.exec(), j.id, 7).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(claim(&t, "w", 7).await.unwrap().attempts, 1);
}

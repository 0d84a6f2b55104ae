//! A TCP proxy that cuts connections: some at once, the others after a budget of bytes from
//! the server, so requests are lost before and after the server has done their work.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// Server-to-client bytes each new connection may carry, in turn (0: closed at once). The first
/// is whole: an invitation is redeemed once, without retries.
const BUDGETS: [usize; 5] = [20_000, 0, 6_000, 3_000, 15_000];

pub(crate) struct Proxy {
    pub(crate) port: u16,
    dropped: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    pub(crate) async fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let dropped = Arc::new(AtomicUsize::new(0));
        let count = dropped.clone();
        let task = tokio::spawn(async move {
            for n in 0.. {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let budget = BUDGETS[n % BUDGETS.len()];
                if budget == 0 {
                    count.fetch_add(1, Ordering::SeqCst);
                    drop(client);
                    continue;
                }
                let target = target.clone();
                let count = count.clone();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(&target).await else {
                        return;
                    };
                    let (mut cr, mut cw) = client.into_split();
                    let (mut sr, mut sw) = server.into_split();
                    let up = tokio::spawn(async move {
                        let _ = tokio::io::copy(&mut cr, &mut sw).await;
                    });
                    let mut left = budget;
                    let mut buf = vec![0u8; 4096];
                    while let Ok(k) = sr.read(&mut buf).await {
                        if k == 0 {
                            break;
                        }
                        let k = k.min(left);
                        if cw.write_all(&buf[..k]).await.is_err() {
                            break;
                        }
                        left -= k;
                        if left == 0 {
                            count.fetch_add(1, Ordering::SeqCst);
                            break;
                        }
                    }
                    up.abort();
                });
            }
        });
        Self {
            port,
            dropped,
            task,
        }
    }

    pub(crate) fn dropped(&self) -> usize {
        self.dropped.load(Ordering::SeqCst)
    }
}

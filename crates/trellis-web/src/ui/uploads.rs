//! Uploaded files that wait for a second request: a CSV import is uploaded, its column mapping
//! is shown for checking, and only the confirmation starts the import.
//!
//! Why files on disk between the two requests: a browser cannot send a chosen file again
//! without the person picking it again, a file of hundreds of megabytes does not belong in a
//! hidden form field or the database, and keeping it in memory would hold it for as long as
//! someone looks at the preview. So the upload goes to a file named by a random token (256
//! bits, shown only on the uploader's preview page) and the uploader's user id, in a directory
//! private to this process (`0700`, random name, under the OS temp dir), which is removed when
//! the server stops. The confirmation reads the file, and it is deleted as soon as the import
//! has started; uploads nobody confirms are swept after a day. Like the live progress board,
//! a pending upload lives in the process that took it: behind a load balancer, the
//! confirmation needs the same instance (sticky sessions), or it asks for the file again.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tempfile::TempDir;
use tokio::io::AsyncWriteExt as _;
use tokio::sync::OnceCell;
use trellis_domain::UserId;

/// How long an unconfirmed upload is kept.
const KEEP: Duration = Duration::from_hours(24);

/// The pending uploads of this process.
#[derive(Debug, Default)]
pub(crate) struct Uploads {
    dir: OnceCell<TempDir>,
}

/// A new upload being written.
#[derive(Debug)]
pub(crate) struct NewUpload {
    /// Names the upload in the confirmation form.
    pub(crate) token: String,
    path: PathBuf,
    file: tokio::fs::File,
    /// Bytes written so far.
    pub(crate) size: usize,
}

impl NewUpload {
    /// Appends a chunk.
    pub(crate) async fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        self.size += chunk.len();
        self.file.write_all(chunk).await
    }

    /// Finishes writing and returns the token.
    pub(crate) async fn finish(mut self) -> io::Result<String> {
        self.file.flush().await?;
        Ok(self.token)
    }

    /// Deletes the partial file (too large, or not what was asked for).
    pub(crate) async fn discard(self) {
        drop(self.file);
        let _ = tokio::fs::remove_file(&self.path).await;
    }
}

impl Uploads {
    async fn dir(&self) -> io::Result<&Path> {
        let dir = self
            .dir
            .get_or_try_init(|| async {
                tempfile::Builder::new()
                    .prefix("trellis-uploads-")
                    .tempdir()
            })
            .await?;
        Ok(dir.path())
    }

    /// Starts a new upload of `owner`, and sweeps the expired ones.
    pub(crate) async fn create(&self, owner: UserId) -> io::Result<NewUpload> {
        let dir = self.dir().await?;
        let token = trellis_service::secrets::new_token("");
        let path = dir.join(file_name(owner, &token));
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await?;
        sweep(dir, &path).await;
        Ok(NewUpload {
            token,
            path,
            file,
            size: 0,
        })
    }

    /// The bytes of `owner`'s upload `token`, `None` when there is no such upload (never
    /// made, someone else's, already imported, or expired).
    pub(crate) async fn read(&self, owner: UserId, token: &str) -> io::Result<Option<Vec<u8>>> {
        let Some(path) = self.path(owner, token).await? else {
            return Ok(None);
        };
        match tokio::fs::read(&path).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Deletes `owner`'s upload `token`.
    pub(crate) async fn remove(&self, owner: UserId, token: &str) {
        if let Ok(Some(path)) = self.path(owner, token).await {
            let _ = tokio::fs::remove_file(path).await;
        }
    }

    async fn path(&self, owner: UserId, token: &str) -> io::Result<Option<PathBuf>> {
        // Tokens are base64url: anything else (a path, a dot) never names a file.
        let valid = token.len() == 43
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            return Ok(None);
        }
        Ok(Some(self.dir().await?.join(file_name(owner, token))))
    }
}

fn file_name(owner: UserId, token: &str) -> String {
    format!("{owner}-{token}.csv")
}

/// Deletes uploads older than [`KEEP`]. Their age is measured against the file just created,
/// so the filesystem's own clock is the only clock involved.
async fn sweep(dir: &Path, fresh: &Path) {
    let Ok(now) = tokio::fs::metadata(fresh).await.and_then(|m| m.modified()) else {
        return;
    };
    let Ok(mut entries) = tokio::fs::read_dir(dir).await else {
        return;
    };
    while let Ok(Some(entry)) = entries.next_entry().await {
        let expired = entry
            .metadata()
            .await
            .and_then(|m| m.modified())
            .is_ok_and(|at| now.duration_since(at).is_ok_and(|age| age > KEEP));
        if expired {
            let _ = tokio::fs::remove_file(entry.path()).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_upload_is_read_back_only_by_its_owner_and_token() {
        let uploads = Uploads::default();
        let (owner, other) = (UserId::new(), UserId::new());
        let mut up = uploads.create(owner).await.unwrap();
        up.write(b"Name\nAcme\n").await.unwrap();
        let token = up.finish().await.unwrap();
        assert_eq!(
            uploads.read(owner, &token).await.unwrap().as_deref(),
            Some(&b"Name\nAcme\n"[..])
        );
        assert_eq!(uploads.read(other, &token).await.unwrap(), None);
        assert_eq!(uploads.read(owner, "../../etc/passwd").await.unwrap(), None);
        uploads.remove(owner, &token).await;
        assert_eq!(uploads.read(owner, &token).await.unwrap(), None);
    }
}

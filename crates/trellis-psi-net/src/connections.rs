//! Invitations and connections, and where they are kept.
//!
//! The server's operator makes a one-time **invitation**: a token of 32 random bytes
//! (base64url) that is shown once and stored only as a hash, with an expiry. The client redeems
//! it once; both sides then derive the same per-connection **secret** from the token and two
//! nonces (see `client::redeem`), which signs every later request and response. A
//! [`ConnectionStore`] keeps them: [`DirStore`] in a state directory for the standalone CLI
//! (files 0600, in a 0700 directory), [`MemoryStore`] for tests; the Trellis server keeps
//! them in its database behind the same trait (trellis-service, `mapping::private`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use hmac::{Hmac, Mac as _};
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::{BoxFuture, Error, Result, b64, hex, unb64};

/// A 32-byte secret (a connection's key). Zeroised on drop; never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
pub struct Secret([u8; 32]);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Secret {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub fn random<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut s = [0u8; 32];
        rng.fill_bytes(&mut s);
        Self(s)
    }

    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }

    fn to_text(&self) -> Zeroizing<String> {
        Zeroizing::new(b64(&self.0))
    }

    fn from_text(s: &str) -> Option<Self> {
        let v = Zeroizing::new(unb64(s)?);
        Some(Self(<[u8; 32]>::try_from(v.as_slice()).ok()?))
    }
}

/// A pending invitation as stored: the token's hash, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub hash: [u8; 32],
    pub created_ms: i64,
    pub expires_ms: i64,
    pub redeemed_ms: Option<i64>,
}

/// An established connection, on either side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// Chosen by the server at redemption: lower-case hex.
    pub id: String,
    pub secret: Secret,
    pub created_ms: i64,
    /// On the client: the server's base URL.
    pub peer_url: Option<String>,
}

/// The hash an invitation is stored and looked up by.
pub fn token_hash(token: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"trellis-psi invitation v1");
    h.update(token);
    h.finalize().into()
}

/// Parses a token as printed (base64url of 32 bytes).
pub(crate) fn parse_token(token: &str) -> Result<Zeroizing<[u8; 32]>> {
    let bytes = Zeroizing::new(unb64(token).ok_or(Error::UnknownInvitation)?);
    Ok(Zeroizing::new(
        <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| Error::UnknownInvitation)?,
    ))
}

/// A new invitation: the token to hand to the peer (shown once) and what to store.
pub fn new_invitation<R: RngCore + CryptoRng>(
    rng: &mut R,
    now_ms: i64,
    expires_in: Duration,
) -> (Zeroizing<String>, Invitation) {
    let mut token = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(token.as_mut());
    let invitation = Invitation {
        hash: token_hash(&token),
        created_ms: now_ms,
        expires_ms: now_ms.saturating_add(crate::clock::ms(expires_in)),
        redeemed_ms: None,
    };
    (Zeroizing::new(b64(token.as_ref())), invitation)
}

/// The connection secret both sides derive at redemption: HMAC-SHA256 keyed by the token over
/// the connection id and both sides' nonces. Only the token's holders can compute it, and it
/// never travels.
pub(crate) fn derive_secret(
    token: &[u8; 32],
    connection: &str,
    client_nonce: &[u8],
    server_nonce: &[u8],
) -> Secret {
    let mut m = <Hmac<Sha256> as hmac::Mac>::new_from_slice(token)
        .unwrap_or_else(|_| unreachable!("HMAC accepts a 32-byte key"));
    m.update(b"trellis-psi connection v1");
    for part in [connection.as_bytes(), client_nonce, server_nonce] {
        m.update(&(part.len() as u64).to_be_bytes());
        m.update(part);
    }
    Secret(m.finalize().into_bytes().into())
}

/// Whether an id is one we could have made (and is safe as a file name).
fn is_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Checks an invitation for redemption at `now`.
fn redeemable(inv: Option<&Invitation>, now_ms: i64) -> Result<()> {
    match inv {
        None => Err(Error::UnknownInvitation),
        Some(i) if i.redeemed_ms.is_some() => Err(Error::InvitationUsed),
        Some(i) if now_ms >= i.expires_ms => Err(Error::InvitationExpired),
        Some(_) => Ok(()),
    }
}

/// Where invitations and connections are kept. Async, so a database can back it.
pub trait ConnectionStore: Send + Sync + std::fmt::Debug {
    fn add_invitation(&self, invitation: Invitation) -> BoxFuture<'_, Result<()>>;
    /// Redeems the invitation whose token hashes to `hash` and keeps `connection`, as one step:
    /// refuses an unknown, used or expired invitation (and then keeps nothing).
    fn redeem(
        &self,
        hash: [u8; 32],
        now_ms: i64,
        connection: Connection,
    ) -> BoxFuture<'_, Result<()>>;
    fn add_connection(&self, connection: Connection) -> BoxFuture<'_, Result<()>>;
    fn connection<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<Connection>>>;
}

/// Everything in memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<MemoryTables>,
}

impl MemoryStore {
    fn with<T>(&self, f: impl FnOnce(&mut MemoryTables) -> T) -> Result<T> {
        let mut g = self
            .inner
            .lock()
            .map_err(|_| Error::Internal("the store's lock is poisoned".to_owned()))?;
        Ok(f(&mut g))
    }
}

type MemoryTables = (HashMap<[u8; 32], Invitation>, HashMap<String, Connection>);

impl ConnectionStore for MemoryStore {
    fn add_invitation(&self, invitation: Invitation) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.with(|t| {
                t.0.insert(invitation.hash, invitation);
            })
        })
    }

    fn redeem(
        &self,
        hash: [u8; 32],
        now_ms: i64,
        connection: Connection,
    ) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.with(|t| {
                redeemable(t.0.get(&hash), now_ms)?;
                if let Some(i) = t.0.get_mut(&hash) {
                    i.redeemed_ms = Some(now_ms);
                }
                t.1.insert(connection.id.clone(), connection);
                Ok(())
            })?
        })
    }

    fn add_connection(&self, connection: Connection) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.with(|t| {
                t.1.insert(connection.id.clone(), connection);
            })
        })
    }

    fn connection<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<Connection>>> {
        Box::pin(async move { self.with(|t| t.1.get(id).cloned()) })
    }
}

/// Files in a state directory: `invitations/<hash>.json`, `connections/<id>.json`, each 0600
/// in 0700 directories, written to a temporary file and renamed so none is ever half-written.
#[derive(Debug)]
pub struct DirStore {
    dir: PathBuf,
    /// Redemption reads, checks and writes: one at a time in this process.
    lock: Mutex<()>,
}

#[derive(Serialize, Deserialize)]
#[expect(
    clippy::struct_field_names,
    reason = "instants in Unix milliseconds, named as in `Invitation`"
)]
struct InvitationFile {
    created_ms: i64,
    expires_ms: i64,
    redeemed_ms: Option<i64>,
}

#[derive(Serialize, Deserialize)]
struct ConnectionFile {
    id: String,
    secret: String,
    created_ms: i64,
    peer_url: Option<String>,
}

impl DirStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            lock: Mutex::new(()),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn invitation_path(&self, hash: &[u8; 32]) -> PathBuf {
        self.dir
            .join("invitations")
            .join(format!("{}.json", hex(hash)))
    }

    fn connection_path(&self, id: &str) -> PathBuf {
        self.dir.join("connections").join(format!("{id}.json"))
    }

    fn read_invitation(&self, hash: &[u8; 32]) -> Result<Option<Invitation>> {
        let path = self.invitation_path(hash);
        let Some(bytes) = read_optional(&path)? else {
            return Ok(None);
        };
        let f: InvitationFile = serde_json::from_slice(&bytes).map_err(|e| Error::Io {
            path: path.clone(),
            source: std::io::Error::other(e),
        })?;
        Ok(Some(Invitation {
            hash: *hash,
            created_ms: f.created_ms,
            expires_ms: f.expires_ms,
            redeemed_ms: f.redeemed_ms,
        }))
    }

    fn write_invitation(&self, i: &Invitation) -> Result<()> {
        let f = InvitationFile {
            created_ms: i.created_ms,
            expires_ms: i.expires_ms,
            redeemed_ms: i.redeemed_ms,
        };
        write_private(&self.invitation_path(&i.hash), &to_json(&f)?)
    }

    fn write_connection(&self, c: &Connection) -> Result<()> {
        if !is_id(&c.id) {
            return Err(Error::Input(format!("{:?} is not a connection id", c.id)));
        }
        let f = ConnectionFile {
            id: c.id.clone(),
            secret: c.secret.to_text().to_string(),
            created_ms: c.created_ms,
            peer_url: c.peer_url.clone(),
        };
        let json = Zeroizing::new(to_json(&f)?);
        let mut f = f;
        f.secret.zeroize();
        write_private(&self.connection_path(&c.id), &json)
    }

    fn read_connection(&self, id: &str) -> Result<Option<Connection>> {
        if !is_id(id) {
            return Ok(None);
        }
        let path = self.connection_path(id);
        let Some(bytes) = read_optional(&path)? else {
            return Ok(None);
        };
        let bytes = Zeroizing::new(bytes);
        let bad = |m: &str| Error::Io {
            path: path.clone(),
            source: std::io::Error::other(m.to_owned()),
        };
        let mut f: ConnectionFile =
            serde_json::from_slice(&bytes).map_err(|e| bad(&e.to_string()))?;
        let secret = Secret::from_text(&f.secret).ok_or_else(|| bad("the secret is damaged"))?;
        f.secret.zeroize();
        Ok(Some(Connection {
            id: f.id,
            secret,
            created_ms: f.created_ms,
            peer_url: f.peer_url,
        }))
    }

    fn locked<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let _g = self
            .lock
            .lock()
            .map_err(|_| Error::Internal("the store's lock is poisoned".to_owned()))?;
        f()
    }
}

impl ConnectionStore for DirStore {
    fn add_invitation(&self, invitation: Invitation) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move { self.locked(|| self.write_invitation(&invitation)) })
    }

    fn redeem(
        &self,
        hash: [u8; 32],
        now_ms: i64,
        connection: Connection,
    ) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.locked(|| {
                let mut inv = self.read_invitation(&hash)?;
                redeemable(inv.as_ref(), now_ms)?;
                if let Some(i) = inv.as_mut() {
                    i.redeemed_ms = Some(now_ms);
                    self.write_invitation(i)?;
                }
                self.write_connection(&connection)
            })
        })
    }

    fn add_connection(&self, connection: Connection) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move { self.locked(|| self.write_connection(&connection)) })
    }

    fn connection<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<Connection>>> {
        Box::pin(async move { self.read_connection(id) })
    }
}

fn to_json<T: Serialize>(v: &T) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(v).map_err(|e| Error::Internal(e.to_string()))
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Writes a file only its owner can read, creating its directory (0700) if needed: through a
/// temporary file renamed into place.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    let io = |p: &Path| {
        let p = p.to_owned();
        move |source| Error::Io { path: p, source }
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
        b.create(parent).map_err(io(parent))?;
    }
    let tmp = path.with_extension("tmp");
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let mut f = o.open(&tmp).map_err(io(&tmp))?;
    f.write_all(bytes).map_err(io(&tmp))?;
    f.sync_all().map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

#[cfg(test)]
mod tests {
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng as _;

    use super::*;

    async fn story(store: &dyn ConnectionStore) {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let (token, inv) = new_invitation(&mut rng, 1_000, Duration::from_mins(1));
        store.add_invitation(inv).await.unwrap();
        let hash = token_hash(&parse_token(&token).unwrap());
        let conn = |id: &str| Connection {
            id: id.to_owned(),
            secret: Secret::from_bytes([9; 32]),
            created_ms: 2_000,
            peer_url: None,
        };
        assert!(matches!(
            store.redeem(hash, 61_000, conn("aa")).await,
            Err(Error::InvitationExpired)
        ));
        assert!(store.connection("aa").await.unwrap().is_none());
        store.redeem(hash, 2_000, conn("ab")).await.unwrap();
        assert!(matches!(
            store.redeem(hash, 2_001, conn("ac")).await,
            Err(Error::InvitationUsed)
        ));
        assert!(matches!(
            store.redeem([0; 32], 2_001, conn("ad")).await,
            Err(Error::UnknownInvitation)
        ));
        assert_eq!(store.connection("ab").await.unwrap(), Some(conn("ab")));
        assert_eq!(store.connection("../x").await.unwrap(), None);
    }

    #[tokio::test]
    async fn invitations_redeem_once_before_they_expire_in_memory_and_on_disk() {
        story(&MemoryStore::default()).await;
        let dir = tempfile::tempdir().unwrap();
        let store = DirStore::new(dir.path().join("state"));
        story(&store).await;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let file = store.connection_path("ab");
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let text = std::fs::read_to_string(
                dir.path()
                    .join("state/invitations")
                    .read_dir()
                    .unwrap()
                    .next()
                    .unwrap()
                    .unwrap()
                    .path(),
            )
            .unwrap();
            assert!(text.contains("redeemed_ms"));
        }
    }

    #[test]
    fn both_sides_derive_the_same_secret_from_the_token() {
        let a = derive_secret(&[1; 32], "c", b"x", b"y");
        assert_eq!(a, derive_secret(&[1; 32], "c", b"x", b"y"));
        assert_ne!(a, derive_secret(&[1; 32], "c", b"x", b"z"));
        assert_ne!(a, derive_secret(&[2; 32], "c", b"x", b"y"));
    }
}

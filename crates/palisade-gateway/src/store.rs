//! State that must survive a restart (pairing requests and approvals, device
//! records, node-command approvals) in an embedded SQLite database, WAL mode.
//! Every check-and-write is one `BEGIN IMMEDIATE` transaction under one
//! connection lock, so concurrent requests cannot race past a cap or reuse
//! a single-use approval.

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("state store: {message}")]
#[diagnostic(code("palisade::store"))]
pub struct StoreError {
    message: String,
    /// Another connection holds the lock this one needed.
    busy: bool,
}

impl StoreError {
    pub fn other(message: impl Into<String>) -> Self {
        StoreError { message: message.into(), busy: false }
    }

    pub fn is_busy(&self) -> bool {
        self.busy
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode::{DatabaseBusy, DatabaseLocked};
        let busy = matches!(e.sqlite_error_code(), Some(DatabaseBusy | DatabaseLocked));
        StoreError { message: e.to_string(), busy }
    }
}

/// Milliseconds since the Unix epoch: the clock persisted state is kept in.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn at(t: u64) -> i64 {
    i64::try_from(t).unwrap_or(i64::MAX)
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS pairing_pending (
  channel TEXT NOT NULL, account TEXT NOT NULL, sender TEXT NOT NULL,
  code TEXT NOT NULL, created_ms INTEGER NOT NULL,
  PRIMARY KEY (channel, account, sender));
CREATE UNIQUE INDEX IF NOT EXISTS pairing_code ON pairing_pending (channel, code);
CREATE TABLE IF NOT EXISTS pairing_approved (
  channel TEXT NOT NULL, account TEXT NOT NULL, sender TEXT NOT NULL, approved_ms INTEGER NOT NULL,
  PRIMARY KEY (channel, account, sender));
CREATE TABLE IF NOT EXISTS devices (
  device_id TEXT PRIMARY KEY, public_key TEXT NOT NULL, token_digest TEXT NOT NULL, connected_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sandboxes (
  name TEXT PRIMARY KEY, scope TEXT NOT NULL, last_used_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS credentials (
  id TEXT PRIMARY KEY, role TEXT NOT NULL, digest TEXT NOT NULL UNIQUE, agents TEXT NOT NULL,
  device_id TEXT, created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL, revoked_ms INTEGER,
  epoch TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS node_approvals (
  request_id TEXT PRIMARY KEY, command_digest TEXT NOT NULL, approved_ms INTEGER NOT NULL);
";

/// A minted credential as stored (the token itself never is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRow {
    pub id: String,
    pub role: String,
    /// Hex SHA-256 of the token.
    pub digest: String,
    pub agents: Vec<String>,
    pub device_id: Option<String>,
    pub created_ms: u64,
    pub expires_ms: u64,
    pub revoked_ms: Option<u64>,
    pub epoch: String,
}

/// (channel, account, sender), lowercased.
pub type Peer = (String, String, String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    CapReached,
    AlreadyPending,
    AlreadyApproved,
    UnknownCode,
    Expired,
    NoApproval,
    ApprovalMismatch,
    /// Another live request on the channel has this code; the caller draws again.
    CodeTaken,
}

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Refusal::CapReached => "this channel has the maximum number of pending pairing requests (all accounts together)",
            Refusal::AlreadyPending => "this sender already has a pending pairing request",
            Refusal::AlreadyApproved => "this sender is already paired",
            Refusal::UnknownCode => "no pending pairing request has this code on this channel",
            Refusal::Expired => "the request expired before it was approved or used",
            Refusal::NoApproval => "no approval exists for this request id",
            Refusal::ApprovalMismatch => "the approval for this request id was given for a different command",
            Refusal::CodeTaken => "a pairing code collided; try again",
        }
    }
}

#[derive(Debug)]
pub struct Store {
    conn: Mutex<Connection>,
}

impl Store {
    /// Opens (creating) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::other(format!("{}: {e}", dir.display())))?;
        }
        Self::setup(Connection::open(path)?)
    }

    pub fn in_memory() -> Result<Self, StoreError> {
        Self::setup(Connection::open_in_memory()?)
    }

    fn setup(conn: Connection) -> Result<Self, StoreError> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        Ok(Store { conn: Mutex::new(conn) })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // SQLite rolls back an unfinished transaction; the connection stays usable.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    // ---- pairing ---------------------------------------------------------

    /// Stores `code` for `peer` unless a rule forbids it: the steps of
    /// [`pairing_steps`] back to back under the connection lock.
    pub fn pairing_request(&self, peer: &Peer, code: &str, now: u64, ttl: Duration, cap: usize) -> Result<Result<(), Refusal>, StoreError> {
        let conn = self.lock();
        let attempt = PairingAttempt { peer, code, now, ttl, cap };
        for step in pairing_steps() {
            if let Err(refusal) = attempt.run(&conn, step)? {
                return Ok(Err(refusal));
            }
        }
        Ok(Ok(()))
    }

    /// Consumes a code; expiry is checked at this moment.
    pub fn pairing_approve(&self, channel: &str, code: &str, now: u64, ttl: Duration) -> Result<Result<Peer, Refusal>, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let row: Option<(String, String, i64)> = tx
            .query_row("SELECT account, sender, created_ms FROM pairing_pending WHERE channel=?1 AND code=?2", params![channel, code], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        let Some((account, sender, created)) = row else { return Ok(Err(Refusal::UnknownCode)) };
        tx.execute("DELETE FROM pairing_pending WHERE channel=?1 AND code=?2", params![channel, code])?;
        #[cfg(feature = "seams")]
        let created = if palisade::seams::active(palisade::seams::Bug::PairingNoExpiry) { at(now) } else { created };
        if at(now) - created >= ms(ttl) {
            tx.commit()?;
            return Ok(Err(Refusal::Expired));
        }
        tx.execute(
            "INSERT OR REPLACE INTO pairing_approved (channel, account, sender, approved_ms) VALUES (?1, ?2, ?3, ?4)",
            params![channel, account, sender, at(now)],
        )?;
        tx.commit()?;
        Ok(Ok((channel.to_string(), account, sender)))
    }

    /// Every pending row, expired ones not yet swept included: (peer, code, created ms).
    pub fn pairing_rows(&self) -> Result<Vec<(Peer, String, u64)>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare("SELECT channel, account, sender, code, created_ms FROM pairing_pending ORDER BY channel, account, sender")?;
        let rows = stmt.query_map([], |r| {
            Ok(((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?), r.get::<_, String>(3)?, r.get::<_, i64>(4)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (peer, code, created) = row?;
            out.push((peer, code, u64::try_from(created).unwrap_or(0)));
        }
        Ok(out)
    }

    pub fn pairing_is_approved(&self, peer: &Peer) -> Result<bool, StoreError> {
        let conn = self.lock();
        let (channel, account, sender) = peer;
        let found: Option<i64> = conn
            .query_row("SELECT 1 FROM pairing_approved WHERE channel=?1 AND account=?2 AND sender=?3", params![channel, account, sender], |r| {
                r.get(0)
            })
            .optional()?;
        Ok(found.is_some())
    }

    /// Live pending requests with their codes and milliseconds left, and approvals.
    #[allow(clippy::type_complexity)]
    pub fn pairing_snapshot(&self, now: u64, ttl: Duration) -> Result<(Vec<(Peer, String, u64)>, Vec<Peer>), StoreError> {
        let conn = self.lock();
        let mut pending = Vec::new();
        let mut stmt =
            conn.prepare("SELECT channel, account, sender, code, created_ms FROM pairing_pending WHERE created_ms > ?1 ORDER BY created_ms")?;
        let rows = stmt.query_map(params![at(now) - ms(ttl)], |r| {
            Ok(((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?), r.get::<_, String>(3)?, r.get::<_, i64>(4)?))
        })?;
        for row in rows {
            let (peer, code, created) = row?;
            let left = (created + ms(ttl) - at(now)).max(0);
            pending.push((peer, code, u64::try_from(left).unwrap_or(0)));
        }
        let mut approved = Vec::new();
        let mut stmt = conn.prepare("SELECT channel, account, sender FROM pairing_approved ORDER BY channel, account, sender")?;
        for row in stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))? {
            approved.push(row?);
        }
        Ok((pending, approved))
    }

    // ---- devices -----------------------------------------------------------

    pub fn device_connect(&self, device_id: &str, public_key: &str, token_digest: &str, now: u64) -> Result<(), StoreError> {
        self.lock().execute(
            "INSERT OR REPLACE INTO devices (device_id, public_key, token_digest, connected_ms) VALUES (?1, ?2, ?3, ?4)",
            params![device_id, public_key, token_digest, at(now)],
        )?;
        Ok(())
    }

    /// The device whose token hashes to `token_digest`, if any.
    pub fn device_by_token(&self, token_digest: &str) -> Result<Option<String>, StoreError> {
        Ok(self.lock().query_row("SELECT device_id FROM devices WHERE token_digest=?1", params![token_digest], |r| r.get(0)).optional()?)
    }

    /// Forgets a device; its credentials are revoked through [`Store::credential_revoke`].
    pub fn device_forget(&self, device_id: &str) -> Result<bool, StoreError> {
        Ok(self.lock().execute("DELETE FROM devices WHERE device_id=?1", params![device_id])? > 0)
    }

    /// Paired devices as (device id, public key, connected at).
    pub fn devices(&self) -> Result<Vec<(String, String, u64)>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare("SELECT device_id, public_key, connected_ms FROM devices ORDER BY device_id")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0))))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    // ---- credentials ----------------------------------------------------------

    pub fn credential_insert(&self, c: &CredentialRow) -> Result<(), StoreError> {
        let agents = serde_json::to_string(&c.agents).map_err(|e| StoreError::other(e.to_string()))?;
        self.lock().execute(
            "INSERT INTO credentials (id, role, digest, agents, device_id, created_ms, expires_ms, revoked_ms, epoch) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8)",
            params![c.id, c.role, c.digest, agents, c.device_id, at(c.created_ms), at(c.expires_ms), c.epoch],
        )?;
        Ok(())
    }

    /// Every credential ever minted, revoked and expired ones included.
    pub fn credentials(&self) -> Result<Vec<CredentialRow>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare(
            "SELECT id, role, digest, agents, device_id, created_ms, expires_ms, revoked_ms, epoch FROM credentials ORDER BY created_ms, id",
        )?;
        let rows = stmt.query_map([], |r| {
            let agents: String = r.get(3)?;
            let time = |i: usize| r.get::<_, i64>(i).map(|t| u64::try_from(t).unwrap_or(0));
            Ok(CredentialRow {
                id: r.get(0)?,
                role: r.get(1)?,
                digest: r.get(2)?,
                // A row this code did not write grants nothing.
                agents: serde_json::from_str(&agents).unwrap_or_default(),
                device_id: r.get(4)?,
                created_ms: time(5)?,
                expires_ms: time(6)?,
                revoked_ms: r.get::<_, Option<i64>>(7)?.map(|t| u64::try_from(t).unwrap_or(0)),
                epoch: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Marks credentials revoked: the one with `id`, and every one of `device_id`.
    pub fn credential_revoke(&self, id: Option<&str>, device_id: Option<&str>, now: u64) -> Result<usize, StoreError> {
        Ok(self.lock().execute(
            "UPDATE credentials SET revoked_ms=?3 WHERE revoked_ms IS NULL AND (id=?1 OR (?2 IS NOT NULL AND device_id=?2))",
            params![id, device_id, at(now)],
        )?)
    }

    // ---- sandboxes ------------------------------------------------------------

    pub fn sandbox_used(&self, name: &str, scope: &str, now: u64) -> Result<(), StoreError> {
        self.lock().execute("INSERT OR REPLACE INTO sandboxes (name, scope, last_used_ms) VALUES (?1, ?2, ?3)", params![name, scope, at(now)])?;
        Ok(())
    }

    pub fn sandbox_last_used(&self, name: &str) -> Result<Option<u64>, StoreError> {
        let t: Option<i64> = self.lock().query_row("SELECT last_used_ms FROM sandboxes WHERE name=?1", params![name], |r| r.get(0)).optional()?;
        Ok(t.and_then(|t| u64::try_from(t).ok()))
    }

    pub fn sandbox_forget(&self, name: &str) -> Result<(), StoreError> {
        self.lock().execute("DELETE FROM sandboxes WHERE name=?1", params![name])?;
        Ok(())
    }

    /// The claim-2 model's injected bug: any approval of the command will do.
    #[cfg(feature = "seams")]
    fn node_consume_any_request(&self, command_digest: &str) -> Result<Result<(), Refusal>, StoreError> {
        let conn = self.lock();
        let id: Option<String> = conn
            .query_row("SELECT request_id FROM node_approvals WHERE command_digest=?1 LIMIT 1", params![command_digest], |r| r.get(0))
            .optional()?;
        let Some(id) = id else { return Ok(Err(Refusal::NoApproval)) };
        conn.execute("DELETE FROM node_approvals WHERE request_id=?1", params![id])?;
        Ok(Ok(()))
    }

    // ---- node commands ------------------------------------------------------

    pub fn node_approve(&self, request_id: &str, command_digest: &str, now: u64) -> Result<(), StoreError> {
        self.lock().execute(
            "INSERT OR REPLACE INTO node_approvals (request_id, command_digest, approved_ms) VALUES (?1, ?2, ?3)",
            params![request_id, command_digest, at(now)],
        )?;
        Ok(())
    }

    /// Live approvals as (request id, command digest), ordered.
    pub fn node_approvals(&self) -> Result<Vec<(String, String)>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare("SELECT request_id, command_digest FROM node_approvals ORDER BY request_id, command_digest")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Consumes the approval of `request_id` if it was given for this
    /// command (the digest also binds agent and session) within `ttl`; an
    /// expired approval is deleted and refused.
    pub fn node_consume(&self, request_id: &str, command_digest: &str, now: u64, ttl: Duration) -> Result<Result<(), Refusal>, StoreError> {
        #[cfg(feature = "seams")]
        if palisade::seams::active(palisade::seams::Bug::NodeAnyRequest) {
            return self.node_consume_any_request(command_digest);
        }
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let row: Option<(String, i64)> = tx
            .query_row("SELECT command_digest, approved_ms FROM node_approvals WHERE request_id=?1", params![request_id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        match row {
            None => Ok(Err(Refusal::NoApproval)),
            Some((_, approved)) if at(now).saturating_sub(approved) >= ms(ttl) => {
                tx.execute("DELETE FROM node_approvals WHERE request_id=?1", params![request_id])?;
                tx.commit()?;
                Ok(Err(Refusal::Expired))
            }
            Some((d, _)) if d != command_digest => Ok(Err(Refusal::ApprovalMismatch)),
            Some(_) => {
                tx.execute("DELETE FROM node_approvals WHERE request_id=?1", params![request_id])?;
                tx.commit()?;
                Ok(Ok(()))
            }
        }
    }
}

// ---- pairing request steps ------------------------------------------------

/// One step of a pairing request. [`Store::pairing_request`] runs them in
/// the order [`pairing_steps`] gives, back to back; the formal model of
/// claim 4 (`models/src/pairing_cap.rs`) runs the same steps one at a time
/// for two workers on two connections, to show that racing requests never
/// pass the cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PairingStep {
    /// `BEGIN IMMEDIATE`: takes the database's write lock, or fails busy.
    Begin,
    /// Sweeps expired requests, then refuses an approved or pending sender,
    /// a full channel account, or a code already in use.
    Check,
    Insert,
    Commit,
}

/// The order of the steps: the check runs inside the write transaction, so
/// no other request can commit between the count and the insert.
pub fn pairing_steps() -> [PairingStep; 4] {
    use PairingStep::{Begin, Check, Commit, Insert};
    #[cfg(feature = "seams")]
    if palisade::seams::active(palisade::seams::Bug::PairingCheckOutsideTx) {
        return [Check, Begin, Insert, Commit];
    }
    [Begin, Check, Insert, Commit]
}

/// The arguments of one pairing request.
#[derive(Debug, Clone, Copy)]
pub struct PairingAttempt<'a> {
    pub peer: &'a Peer,
    pub code: &'a str,
    pub now: u64,
    pub ttl: Duration,
    pub cap: usize,
}

impl PairingAttempt<'_> {
    /// Runs `step`; after a refusal or an error nothing stays open: the
    /// transaction, if any, is rolled back.
    fn run(&self, conn: &Connection, step: PairingStep) -> Result<Result<(), Refusal>, StoreError> {
        let outcome = self.run_step(conn, step);
        if !matches!(outcome, Ok(Ok(()))) && !conn.is_autocommit() {
            conn.execute_batch("ROLLBACK")?;
        }
        outcome
    }

    fn run_step(&self, conn: &Connection, step: PairingStep) -> Result<Result<(), Refusal>, StoreError> {
        let (channel, account, sender) = self.peer;
        match step {
            PairingStep::Begin => conn.execute_batch("BEGIN IMMEDIATE")?,
            PairingStep::Check => {
                conn.execute("DELETE FROM pairing_pending WHERE created_ms <= ?1", params![at(self.now) - ms(self.ttl)])?;
                let one = |sql: &str, args: &[&dyn rusqlite::ToSql]| conn.query_row(sql, args, |r| r.get::<_, i64>(0)).optional();
                if one("SELECT 1 FROM pairing_approved WHERE channel=?1 AND account=?2 AND sender=?3", params![channel, account, sender])?.is_some() {
                    return Ok(Err(Refusal::AlreadyApproved));
                }
                if one("SELECT 1 FROM pairing_pending WHERE channel=?1 AND account=?2 AND sender=?3", params![channel, account, sender])?.is_some() {
                    return Ok(Err(Refusal::AlreadyPending));
                }
                // Per channel, all accounts together: the account is the client's word, so a
                // per-account cap would let made-up accounts multiply it.
                let live = one("SELECT COUNT(*) FROM pairing_pending WHERE channel=?1", params![channel])?;
                if usize::try_from(live.unwrap_or(0)).unwrap_or(usize::MAX) >= self.cap {
                    return Ok(Err(Refusal::CapReached));
                }
                if one("SELECT 1 FROM pairing_pending WHERE channel=?1 AND code=?2", params![channel, self.code])?.is_some() {
                    return Ok(Err(Refusal::CodeTaken));
                }
            }
            PairingStep::Insert => {
                conn.execute(
                    "INSERT INTO pairing_pending (channel, account, sender, code, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![channel, account, sender, self.code, at(self.now)],
                )?;
            }
            PairingStep::Commit => conn.execute_batch("COMMIT")?,
        }
        Ok(Ok(()))
    }
}

/// A second handle on a store's database that runs pairing steps one at a
/// time, for the formal model of claim 4. It never waits for a lock: a
/// `Begin` while another handle holds the write lock fails at once.
#[cfg(feature = "seams")]
#[derive(Debug)]
pub struct StepConnection(Connection);

#[cfg(feature = "seams")]
impl StepConnection {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::ZERO)?;
        Ok(StepConnection(conn))
    }

    pub fn run(&self, attempt: &PairingAttempt<'_>, step: PairingStep) -> Result<Result<(), Refusal>, StoreError> {
        attempt.run(&self.0, step)
    }

    /// Pending requests of a channel (all accounts) as this handle sees
    /// them: committed ones, and its own uncommitted insert if it has one.
    pub fn live_pending(&self, channel: &str) -> Result<usize, StoreError> {
        let n: i64 = self.0.query_row("SELECT COUNT(*) FROM pairing_pending WHERE channel=?1", params![channel], |r| r.get(0))?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_survives_reopening() {
        let path = std::env::temp_dir().join(format!("palisade-store-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let peer = ("telegram".to_string(), "default".to_string(), "9".to_string());
        {
            let store = Store::open(&path).unwrap();
            store.pairing_request(&peer, "ABCDEFGH", 1_000, Duration::from_secs(60), 3).unwrap().unwrap();
            store.node_approve("req-1", "d1", 1_000).unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.pairing_approve("telegram", "ABCDEFGH", 2_000, Duration::from_secs(60)).unwrap(), Ok(peer.clone()));
        assert!(store.pairing_is_approved(&peer).unwrap());
        let ttl = Duration::from_secs(60);
        assert_eq!(store.node_consume("req-1", "other", 2_000, ttl).unwrap(), Err(Refusal::ApprovalMismatch));
        assert_eq!(store.node_consume("req-2", "d1", 2_000, ttl).unwrap(), Err(Refusal::NoApproval));
        assert_eq!(store.node_consume("req-1", "d1", 2_000, ttl).unwrap(), Ok(()));
        assert_eq!(store.node_consume("req-1", "d1", 2_000, ttl).unwrap(), Err(Refusal::NoApproval), "single use");
        store.node_approve("req-3", "d3", 10_000).unwrap();
        assert_eq!(store.node_consume("req-3", "d3", 70_000, ttl).unwrap(), Err(Refusal::Expired), "approvals expire");
        assert_eq!(store.node_consume("req-3", "d3", 10_001, ttl).unwrap(), Err(Refusal::NoApproval), "and are gone");
        let _ = std::fs::remove_file(&path);
    }
}

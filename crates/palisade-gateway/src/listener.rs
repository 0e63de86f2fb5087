//! The accept loop, on TCP or a Unix socket ([`Listen`]): every connection
//! is bounded before any byte of it is authenticated. At most
//! [`MAX_CONNECTIONS`] are open at once and at most
//! [`MAX_CONNECTIONS_PER_ADDRESS`] from one client ([`ClientKey`]: an
//! address, IPv6 by /64, or a local user); a connection over either cap is
//! closed as soon as it is accepted. On a Unix socket the kernel names the
//! peer's user (`SO_PEERCRED`), and a connection from a user not allowed
//! is closed before a byte is read. A request
//! head must arrive within [`HEADER_TIMEOUT`], and an idle keep-alive
//! connection is closed after the same time (hyper's header-read timer runs
//! while it waits for the next head). Bodies have their own deadline
//! ([`super::BODY_TIMEOUT`]).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::Semaphore;

pub const MAX_CONNECTIONS: usize = 512;
pub const MAX_CONNECTIONS_PER_ADDRESS: usize = 128;
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the gateway listens: `ADDR:PORT`, or `unix:PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listen {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

impl std::str::FromStr for Listen {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        if let Some(path) = text.strip_prefix("unix:") {
            if path.is_empty() {
                return Err("`unix:` needs a path, e.g. unix:/run/palisade/gateway.sock".into());
            }
            return Ok(Listen::Unix(PathBuf::from(path)));
        }
        text.parse().map(Listen::Tcp).map_err(|_| format!("`{text}` is neither ADDR:PORT (127.0.0.1:7777) nor unix:PATH"))
    }
}

impl std::fmt::Display for Listen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Listen::Tcp(addr) => write!(f, "http://{addr}"),
            Listen::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

/// Who is on the other end of a connection, as the kernel says: the TCP
/// peer address, or the user and process of a Unix-socket peer. Handlers
/// get it as a request extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    Tcp(SocketAddr),
    Unix { uid: u32, pid: Option<i32> },
}

/// The key a client is counted under, for connections and failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientKey {
    Ip(IpAddr),
    /// A local user on the Unix socket: all of its processes are one client.
    Uid(u32),
}

impl From<IpAddr> for ClientKey {
    fn from(ip: IpAddr) -> Self {
        ClientKey::Ip(ip)
    }
}

impl std::fmt::Display for ClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientKey::Ip(ip) => write!(f, "{ip}"),
            ClientKey::Uid(uid) => write!(f, "unix:uid={uid}"),
        }
    }
}

impl Peer {
    /// Connections are counted per address (IPv6 by /64) or per user.
    pub fn connection_key(self) -> ClientKey {
        match self {
            Peer::Tcp(addr) => ClientKey::Ip(address_key(addr.ip())),
            Peer::Unix { uid, .. } => ClientKey::Uid(uid),
        }
    }

    /// Failed attempts are counted per [`failure_key`] or per user.
    pub fn failure_key(self) -> ClientKey {
        match self {
            Peer::Tcp(addr) => ClientKey::Ip(failure_key(addr.ip())),
            Peer::Unix { uid, .. } => ClientKey::Uid(uid),
        }
    }

    /// How the audit log names the client.
    pub fn audit_name(self) -> String {
        match self {
            Peer::Tcp(addr) => address_key(addr.ip()).to_string(),
            Peer::Unix { uid, pid: Some(pid) } => format!("unix:uid={uid},pid={pid}"),
            Peer::Unix { uid, pid: None } => format!("unix:uid={uid}"),
        }
    }
}

/// A bound listener, ready to serve.
#[derive(Debug)]
pub enum Bound {
    Tcp(TcpListener),
    /// The socket, its path (removed when the gateway stops) and the users
    /// allowed to connect.
    Unix {
        listener: UnixListener,
        socket: SocketFile,
        allowed: Vec<u32>,
    },
}

/// The socket's path on disk, removed when dropped.
#[derive(Debug)]
pub struct SocketFile(PathBuf);

impl Drop for SocketFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl Bound {
    /// Where it listens, as `Listen` (a TCP port 0 resolved).
    pub fn local(&self) -> std::io::Result<Listen> {
        match self {
            Bound::Tcp(l) => l.local_addr().map(Listen::Tcp),
            Bound::Unix { socket, .. } => Ok(Listen::Unix(socket.0.clone())),
        }
    }
}

/// Binds `listen`. A Unix socket is made readable and writable by the
/// gateway's user only (0600) unless other users are allowed, and every
/// connection's peer is checked against `allowed` plus the gateway's own
/// user either way. A stale socket file (nobody answers on it) is replaced;
/// a live one, or anything that is not a socket, is an error and left as
/// it is.
pub async fn bind(listen: &Listen, allowed: &[u32]) -> std::io::Result<Bound> {
    match listen {
        Listen::Tcp(addr) => TcpListener::bind(addr).await.map(Bound::Tcp),
        Listen::Unix(path) => {
            clear_stale_socket(path).await?;
            let listener = UnixListener::bind(path)?;
            let socket = SocketFile(path.clone());
            let mode = if allowed.is_empty() { 0o600 } else { 0o666 };
            rustix::fs::chmod(path, rustix::fs::Mode::from_raw_mode(mode))?;
            let mut allowed = allowed.to_vec();
            allowed.push(rustix::process::geteuid().as_raw());
            Ok(Bound::Unix { listener, socket, allowed })
        }
    }
}

async fn clear_stale_socket(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::FileTypeExt;
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if !meta.file_type().is_socket() {
        return Err(std::io::Error::new(std::io::ErrorKind::AlreadyExists, "the path exists and is not a socket; it is left alone"));
    }
    match tokio::net::UnixStream::connect(path).await {
        Ok(_) => Err(std::io::Error::new(std::io::ErrorKind::AddrInUse, "another process is listening on this socket")),
        Err(_) => std::fs::remove_file(path),
    }
}

/// The key connections and failures are counted under: an IPv4 address
/// (IPv4-mapped IPv6 included), or the /64 of an IPv6 address, since one
/// host usually holds a whole /64.
pub fn address_key(peer: IpAddr) -> IpAddr {
    match peer {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        ip => ip,
    }
}

/// The key failed attempts are counted under: one for every loopback
/// address (a local process can send from any of 127.0.0.0/8 and `::1`),
/// an IPv4 address's /24 as an IPv6 address's /64, since a client that
/// holds one address usually holds its neighbours.
pub fn failure_key(peer: IpAddr) -> IpAddr {
    let loopback = match peer {
        IpAddr::V6(v6) => v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
        IpAddr::V4(v4) => v4.is_loopback(),
    };
    if loopback {
        return IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
    }
    match address_key(peer) {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            IpAddr::V4(std::net::Ipv4Addr::new(a, b, c, 0))
        }
        v6 => v6,
    }
}

/// Open connections per address; an entry goes when its last connection does.
#[derive(Debug, Default)]
struct PerAddress(Mutex<HashMap<ClientKey, usize>>);

struct AddressSlot {
    table: Arc<PerAddress>,
    key: ClientKey,
}

impl PerAddress {
    fn take(table: &Arc<PerAddress>, key: ClientKey) -> Option<AddressSlot> {
        let mut open = table.0.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(key).or_insert(0);
        if *count >= MAX_CONNECTIONS_PER_ADDRESS {
            return None;
        }
        *count += 1;
        Some(AddressSlot { table: Arc::clone(table), key })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut open = self.table.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// Raises the soft limit on open files to the hard one, so the caps above,
/// not the descriptor table, are what a flood meets.
pub fn raise_file_limit() {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let limit = getrlimit(Resource::Nofile);
    if limit.current < limit.maximum {
        let _ = setrlimit(Resource::Nofile, rustix::process::Rlimit { current: limit.maximum, maximum: limit.maximum });
    }
}

/// Serves `router` on `bound` until `shutdown` completes.
pub async fn serve(bound: Bound, router: Router, shutdown: impl std::future::Future<Output = ()>) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let per_address = Arc::new(PerAddress::default());
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = accept(&bound) => accepted,
            () = &mut shutdown => return,
        };
        let (stream, peer) = match accepted {
            Ok(Some(accepted)) => accepted,
            // A peer that may not connect: already closed.
            Ok(None) => continue,
            Err(e) => {
                // Out of descriptors or a reset before accept: wait a little, never spin.
                eprintln!("warning: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Over a cap: the connection is closed at once (dropped).
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else { continue };
        let Some(address_slot) = PerAddress::take(&per_address, peer.connection_key()) else { continue };
        let router = router.clone();
        tokio::spawn(async move {
            let _held = (slot, address_slot);
            match stream {
                Stream::Tcp(s) => serve_connection(s, peer, router).await,
                Stream::Unix(s) => serve_connection(s, peer, router).await,
            }
        });
    }
}

enum Stream {
    Tcp(tokio::net::TcpStream),
    Unix(tokio::net::UnixStream),
}

/// The next connection and its peer; `None` for a Unix peer whose user is
/// not allowed (or whose credentials cannot be read), closed unread.
async fn accept(bound: &Bound) -> std::io::Result<Option<(Stream, Peer)>> {
    match bound {
        Bound::Tcp(listener) => listener.accept().await.map(|(s, addr)| Some((Stream::Tcp(s), Peer::Tcp(addr)))),
        Bound::Unix { listener, allowed, .. } => {
            let (stream, _) = listener.accept().await?;
            let Ok(cred) = stream.peer_cred() else { return Ok(None) };
            if !allowed.contains(&cred.uid()) {
                return Ok(None);
            }
            Ok(Some((Stream::Unix(stream), Peer::Unix { uid: cred.uid(), pid: cred.pid() })))
        }
    }
}

async fn serve_connection<S: AsyncRead + AsyncWrite + Unpin + Send + 'static>(stream: S, peer: Peer, router: Router) {
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(peer);
        let mut router = router.clone();
        async move { tower_service::Service::call(&mut router, request).await }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT).keep_alive(true);
    // A client that goes away mid-request is not an error worth a line.
    let _ = builder.serve_connection(TokioIo::new(stream), service).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_counts_by_its_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(c));
        assert_eq!(address_key("::ffff:10.0.0.1".parse().unwrap()), "10.0.0.1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn an_address_holds_at_most_its_cap_and_gives_slots_back() {
        let table = Arc::new(PerAddress::default());
        let key = ClientKey::Ip("127.0.0.1".parse().unwrap());
        let slots: Vec<_> = (0..MAX_CONNECTIONS_PER_ADDRESS).map(|_| PerAddress::take(&table, key).unwrap()).collect();
        assert!(PerAddress::take(&table, key).is_none());
        assert!(PerAddress::take(&table, ClientKey::Ip("127.0.0.2".parse().unwrap())).is_some());
        assert!(PerAddress::take(&table, ClientKey::Uid(1000)).is_some());
        drop(slots);
        let again = PerAddress::take(&table, key);
        assert!(again.is_some());
        assert_eq!(table.0.lock().unwrap().len(), 1, "entries of closed addresses are removed");
        drop(again);
        assert!(table.0.lock().unwrap().is_empty());
    }
}

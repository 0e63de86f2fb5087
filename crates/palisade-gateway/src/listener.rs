//! The accept loop: every connection is bounded before any byte of it is
//! authenticated. At most [`MAX_CONNECTIONS`] are open at once and at most
//! [`MAX_CONNECTIONS_PER_ADDRESS`] from one client address (IPv6 by /64); a
//! connection over either cap is closed as soon as it is accepted. A request
//! head must arrive within [`HEADER_TIMEOUT`], and an idle keep-alive
//! connection is closed after the same time (hyper's header-read timer runs
//! while it waits for the next head). Bodies have their own deadline
//! ([`super::BODY_TIMEOUT`]).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

pub const MAX_CONNECTIONS: usize = 512;
pub const MAX_CONNECTIONS_PER_ADDRESS: usize = 128;
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

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
struct PerAddress(Mutex<HashMap<IpAddr, usize>>);

struct AddressSlot {
    table: Arc<PerAddress>,
    key: IpAddr,
}

impl PerAddress {
    fn take(table: &Arc<PerAddress>, key: IpAddr) -> Option<AddressSlot> {
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

/// Serves `router` on `listener` until `shutdown` completes.
pub async fn serve(listener: TcpListener, router: Router, shutdown: impl std::future::Future<Output = ()>) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let per_address = Arc::new(PerAddress::default());
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => return,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of descriptors or a reset before accept: wait a little, never spin.
                eprintln!("warning: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Over a cap: the connection is closed at once (dropped).
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else { continue };
        let Some(address_slot) = PerAddress::take(&per_address, address_key(peer.ip())) else { continue };
        let router = router.clone();
        tokio::spawn(async move {
            let _held = (slot, address_slot);
            let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                let mut router = router.clone();
                async move { tower_service::Service::call(&mut router, request).await }
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT).keep_alive(true);
            // A client that goes away mid-request is not an error worth a line.
            let _ = builder.serve_connection(TokioIo::new(stream), service).await;
        });
    }
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
        let key: IpAddr = "127.0.0.1".parse().unwrap();
        let slots: Vec<_> = (0..MAX_CONNECTIONS_PER_ADDRESS).map(|_| PerAddress::take(&table, key).unwrap()).collect();
        assert!(PerAddress::take(&table, key).is_none());
        assert!(PerAddress::take(&table, "127.0.0.2".parse().unwrap()).is_some());
        drop(slots);
        let again = PerAddress::take(&table, key);
        assert!(again.is_some());
        assert_eq!(table.0.lock().unwrap().len(), 1, "entries of closed addresses are removed");
        drop(again);
        assert!(table.0.lock().unwrap().is_empty());
    }
}

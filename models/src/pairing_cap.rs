//! Claim 4, the pairing cap under racing requests, as a stateright model
//! mirroring `tla/PairingCap.tla`. Two workers each run one pairing request
//! for a new sender, one store step at a time (`PairingStep`, in the order
//! `pairing_steps` gives), on two real SQLite connections to one WAL
//! database: a `Begin` while the other connection holds the write lock
//! fails busy, and that is what keeps the step from being taken.
//!
//! Each step rebuilds the database the state describes: the committed
//! requests, then for each worker what its connection holds (an open write
//! transaction, an uncommitted insert), by running its earlier steps again;
//! then it runs the worker's next step and reads the committed count back.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use palisade::seams::{with_bug, Bug};
use palisade_gateway::store::{pairing_steps, PairingAttempt, PairingStep, Peer, StepConnection, Store};
use stateright::{Model, Property};

pub const WORKERS: usize = 2;
pub const CAPS: [u8; 2] = [1, 2];
const TTL: Duration = Duration::from_secs(3600);

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct Worker {
    /// 1-based index of the next step, as the spec's `pc`.
    pub pc: u8,
    pub refused: bool,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct State {
    pub cap: u8,
    /// Committed pending requests of the channel account, read from the database.
    pub committed: u8,
    pub workers: [Worker; WORKERS],
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum Action {
    /// Worker `i` runs its next step.
    Step(usize),
}

#[derive(Clone, Debug)]
pub struct PairingCapModel {
    pub bug: Bug,
}

pub fn worker_peer(i: usize) -> Peer {
    ("telegram".into(), "default".into(), format!("new{i}"))
}

pub fn worker_code(i: usize) -> String {
    format!("NEWCODE{i}")
}

/// A database file of its own for every step, on tmpfs where there is one.
fn scratch_path() -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = if std::path::Path::new("/dev/shm").is_dir() { PathBuf::from("/dev/shm") } else { std::env::temp_dir() };
    dir.join(format!("palisade-pairing-cap-{}-{n}.db", std::process::id()))
}

fn remove_database(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
}

/// The steps a worker has completed, in order.
fn done_steps(order: &[PairingStep; 4], worker: Worker) -> impl Iterator<Item = PairingStep> + '_ {
    order.iter().copied().take(usize::from(worker.pc.saturating_sub(1)))
}

/// Runs worker `w`'s next step on a database rebuilt from `state`; the
/// worker's new state and the committed count read back, or `None` when
/// the step cannot be taken (the other connection holds the lock).
fn step(state: &State, w: usize) -> Option<(Worker, u8)> {
    let order = pairing_steps();
    let worker = *state.workers.get(w)?;
    let next = *order.get(usize::from(worker.pc).checked_sub(1)?)?;
    let path = scratch_path();
    let result = (|| {
        let store = Store::open(&path).ok()?;
        for i in 0..state.committed {
            let peer = ("telegram".to_string(), "default".to_string(), format!("old{i}"));
            store.pairing_request(&peer, &format!("OLDCODE{i}"), 0, TTL, usize::MAX).ok()?.ok()?;
        }
        drop(store);
        let peers: Vec<Peer> = (0..WORKERS).map(worker_peer).collect();
        let codes: Vec<String> = (0..WORKERS).map(worker_code).collect();
        let cap = usize::from(state.cap);
        let attempt = |i: usize| Some(PairingAttempt { peer: peers.get(i)?, code: codes.get(i)?, now: 0, ttl: TTL, cap });
        let connections: Vec<StepConnection> = (0..WORKERS).map(|_| StepConnection::open(&path)).collect::<Result<_, _>>().ok()?;
        // What each connection holds: its transaction and its insert. A
        // check only reads, a refused worker rolled back, a commit is in
        // `committed` already.
        for (i, (other, connection)) in state.workers.iter().zip(&connections).enumerate() {
            if other.refused {
                continue;
            }
            let committed_already = done_steps(&order, *other).any(|s| s == PairingStep::Commit);
            for s in done_steps(&order, *other).filter(|s| matches!(s, PairingStep::Begin | PairingStep::Insert)) {
                if !committed_already {
                    connection.run(&attempt(i)?, s).ok()?.ok()?;
                }
            }
        }
        let outcome = connections.get(w)?.run(&attempt(w)?, next);
        let after = match outcome {
            Ok(Ok(())) => Worker { pc: worker.pc + 1, refused: false },
            Ok(Err(_refusal)) => Worker { pc: worker.pc, refused: true },
            // Busy: the other worker holds the write lock; no step.
            Err(_) => return None,
        };
        drop(connections);
        let reader = StepConnection::open(&path).ok()?;
        let committed = reader.live_pending("telegram").ok()?;
        Some((after, u8::try_from(committed).ok()?))
    })();
    remove_database(&path);
    result
}

impl Model for PairingCapModel {
    type State = State;
    type Action = Action;

    fn init_states(&self) -> Vec<State> {
        let idle = Worker { pc: 1, refused: false };
        CAPS.iter().flat_map(|&cap| (0..=cap).map(move |committed| State { cap, committed, workers: [idle; WORKERS] })).collect()
    }

    fn actions(&self, state: &State, actions: &mut Vec<Action>) {
        for (i, worker) in state.workers.iter().enumerate() {
            if !worker.refused && usize::from(worker.pc) <= pairing_steps().len() {
                actions.push(Action::Step(i));
            }
        }
    }

    fn next_state(&self, state: &State, action: Action) -> Option<State> {
        let Action::Step(w) = action;
        let (worker, committed) = with_bug(self.bug, || step(state, w))?;
        let mut next = state.clone();
        *next.workers.get_mut(w)? = worker;
        next.committed = committed;
        Some(next)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![Property::always("CapHolds", |_, s: &State| s.committed <= s.cap)]
    }
}

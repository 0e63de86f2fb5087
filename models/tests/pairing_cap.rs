//! Claim 4 end to end: equal state counts with TLA+, the negative trace
//! commits two racing requests past the cap, and replaying the same worker
//! moves on the real store with the seam off keeps the cap.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::time::Duration;

use palisade::seams::Bug;
use palisade_gateway::store::{pairing_steps, PairingAttempt, Refusal, StepConnection, Store};
use palisade_models::pairing_cap::{worker_code, worker_peer, Action, PairingCapModel, WORKERS};
use palisade_models::verify::{counterexample, positive_states, tla_negative_violates};

#[test]
fn pairing_cap_claim_end_to_end() {
    assert_eq!(positive_states("PairingCap"), Ok(58));
    tla_negative_violates("PairingCap_BugCheckOutsideTx", "CapHolds").unwrap();

    let path = counterexample(PairingCapModel { bug: Bug::PairingCheckOutsideTx }, "CapHolds").unwrap();
    let first = path.clone().into_states().first().cloned().unwrap();
    let last = path.last_state().clone();
    // The bug's shape: both workers got through, one request too many.
    assert_eq!(last.committed, last.cap + 1, "{last:?}");
    assert!(last.workers.iter().all(|w| !w.refused), "{last:?}");
    assert_eq!(first.committed + 2, last.committed, "both racing requests committed");

    // Replay the same worker moves on the real store, seam off: the same
    // connections, the real step order; a move that finds the write lock
    // taken waits, and every worker then runs to its end.
    let dir = std::env::temp_dir().join(format!("palisade-cap-replay-{}", std::process::id()));
    let db = dir.join("state.db");
    let store = Store::open(&db).unwrap();
    let ttl = Duration::from_secs(3600);
    for i in 0..first.committed {
        let peer = ("telegram".to_string(), "default".to_string(), format!("old{i}"));
        store.pairing_request(&peer, &format!("OLDCODE{i}"), 0, ttl, usize::MAX).unwrap().unwrap();
    }
    let connections: Vec<StepConnection> = (0..WORKERS).map(|_| StepConnection::open(&db).unwrap()).collect();
    let peers: Vec<_> = (0..WORKERS).map(worker_peer).collect();
    let codes: Vec<_> = (0..WORKERS).map(worker_code).collect();
    let cap = usize::from(first.cap);
    let order = pairing_steps();
    let mut next = [0usize; WORKERS];
    let mut outcome: [Option<Result<(), Refusal>>; WORKERS] = [None; WORKERS];
    let mut busy = 0;
    let mut advance = |w: usize, busy: &mut usize| -> bool {
        let Some(step) = order.get(next[w]).copied() else { return false };
        if outcome[w].is_some() {
            return false;
        }
        let attempt = PairingAttempt { peer: &peers[w], code: &codes[w], now: 0, ttl, cap };
        match connections[w].run(&attempt, step) {
            Ok(Ok(())) => {
                next[w] += 1;
                if next[w] == order.len() {
                    outcome[w] = Some(Ok(()));
                }
                true
            }
            Ok(Err(refusal)) => {
                outcome[w] = Some(Err(refusal));
                true
            }
            Err(e) if e.is_busy() => {
                *busy += 1;
                false
            }
            Err(e) => panic!("{e}"),
        }
    };
    for action in path.into_actions() {
        let Action::Step(w) = action;
        advance(w, &mut busy);
    }
    // Drain: each worker to its end (a refused one has rolled back by
    // dropping its transaction with the connection below).
    while (0..WORKERS).any(|w| advance(w, &mut busy)) {}
    drop(connections);
    assert!(busy >= 1, "a racing begin must find the write lock taken");
    assert!(outcome.contains(&Some(Err(Refusal::CapReached))), "{outcome:?}");
    assert_eq!(StepConnection::open(&db).unwrap().live_pending("telegram").unwrap(), cap);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

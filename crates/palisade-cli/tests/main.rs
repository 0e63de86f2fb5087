//! The `palisade` binary end to end: the CLI, and the gateway it serves
//! (a real process, a real dockerd), attacks included. One test binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod cli;
mod gateway;
mod gateway_attacks;
mod gateway_attacks_round2;
mod gateway_paths;
mod readme;
mod unix_socket;

use std::path::PathBuf;

/// The repository's root: examples, corpus and README live there.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

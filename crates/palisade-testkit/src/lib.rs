//! Test support shared by Palisade's tests, benches and fuzz targets (not
//! published): one home for each, instead of files included by `#[path]`.
//!
//! - [`reference`](mod@reference): generated tool policies and a plain reference
//!   interpreter of the layer rules (ARCHITECTURE.md, Decision semantics),
//!   written from the generated structure rather than from the compiler;
//!   the property tests and the differential fuzz target compare the engine
//!   with it.
//! - [`bench_policy`]: the layered policy the benches decide, with its
//!   request stream; `cedar` (feature `cedar`) renders it as Cedar for the
//!   peer bench.
//! - [`round_trip`]: the printer's contract, checked by the fuzz targets
//!   whose inputs compile.
#![forbid(unsafe_code)]
// Test support: a failed expectation is a panic with the evidence.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

pub mod bench_policy;
#[cfg(feature = "cedar")]
pub mod cedar;
pub mod oracle;
pub mod reference;
pub mod round_trip;
pub mod shell_gen;

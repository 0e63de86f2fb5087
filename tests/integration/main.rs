//! One integration-test binary (as ripgrep does), one module per surface.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod alloc;
mod corpus;
mod ingress_properties;
mod limits;
mod malformed;
mod openclaw;
mod path_oracle;
mod peers;
mod properties;
mod shell;
mod shell_attacks;
mod shell_oracle;
mod tidy;

use std::path::{Path, PathBuf};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn load(path: &Path) -> palisade::Policy {
    match palisade::Policy::load(path) {
        Ok(p) => p,
        Err(e) => panic!("{}: {e:?}", path.display()),
    }
}

//! Test seams for the formal models (feature `seams`, off by default): the
//! models in `models/` inject a known bug into the *real* compiler through
//! these switches and check that their properties catch it. Without the
//! feature none of this is compiled.

use std::sync::atomic::{AtomicU8, Ordering};

/// A bug the models can inject into the layer fold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum FoldBug {
    None = 0,
    /// Allow lists are unioned across layers instead of intersected.
    AllowUnion = 1,
    /// A later layer's explicit allow re-grants what an earlier layer denied.
    DenyOverride = 2,
}

static FOLD_BUG: AtomicU8 = AtomicU8::new(0);

/// Process-wide: callers must not compile concurrently with different bugs.
pub fn set_fold_bug(bug: FoldBug) {
    FOLD_BUG.store(bug as u8, Ordering::SeqCst);
}

pub fn fold_bug() -> FoldBug {
    match FOLD_BUG.load(Ordering::SeqCst) {
        1 => FoldBug::AllowUnion,
        2 => FoldBug::DenyOverride,
        _ => FoldBug::None,
    }
}

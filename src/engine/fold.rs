//! The layer semantics of ARCHITECTURE.md's Decision semantics on one 64-tool word: a tool passes a layer
//! when no deny entry names it and the allow list is absent or names it (or
//! the ask list does); a context admits what passes every layer, and asks
//! for what some layer asks for. The compiler folds every context
//! through this function, and the claim-7 model checks this same function,
//! so the model and the engine cannot drift apart.

/// One layer, restricted to one word of interned tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LayerWord {
    /// The tools its allow list names, or `None` when it has none.
    pub allow: Option<u64>,
    /// The tools its ask list names: admitted by the layer, with approval.
    pub ask: u64,
    /// The tools its deny list names.
    pub deny: u64,
}

impl LayerWord {
    /// The tools this layer lets through, asking or not: its allow list
    /// (or every tool when it has none) and its ask list, minus its deny list.
    pub fn admits(&self) -> u64 {
        self.allow.map_or(u64::MAX, |a| a | self.ask) & !self.deny
    }
}

/// What passes every layer in order, starting from `all`.
pub fn fold_word(all: u64, layers: &[LayerWord]) -> u64 {
    #[cfg(feature = "seams")]
    if let Some(bits) = seam_fold_word(all, layers) {
        return bits;
    }
    layers.iter().fold(all, |bits, l| bits & l.admits())
}

/// The tools some layer asks for. A tool that passes every layer is `allow`
/// when it is not in this set and `ask` when it is: no layer can lower
/// another's `ask`, as none can lower another's `deny`.
pub fn fold_ask(layers: &[LayerWord]) -> u64 {
    layers.iter().fold(0, |bits, l| bits | l.ask)
}

/// The fold with a bug the models injected (feature `seams`).
#[cfg(feature = "seams")]
fn seam_fold_word(all: u64, layers: &[LayerWord]) -> Option<u64> {
    use crate::seams::{bug, Bug};
    match bug() {
        Bug::FoldAllowUnion => {
            let not_denied = layers.iter().fold(all, |bits, l| bits & !l.deny);
            let allows: Vec<u64> = layers.iter().filter_map(|l| l.allow.map(|a| a | l.ask)).collect();
            Some(if allows.is_empty() { not_denied } else { not_denied & allows.iter().fold(0, |a, b| a | b) })
        }
        Bug::FoldDenyOverride => Some(layers.iter().enumerate().fold(all, |bits, (i, l)| {
            let pass = l.admits();
            let regrant = if i > 0 && l.allow.is_some() { pass & all } else { 0 };
            (bits & pass) | regrant
        })),
        _ => None,
    }
}

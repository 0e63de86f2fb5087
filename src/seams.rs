//! Test seams for the formal models (feature `seams`, off by default): the
//! models in `models/` inject a known bug into the *real* code through this
//! one switch and check that their properties catch it. Without the feature
//! none of this is compiled.

use std::sync::atomic::{AtomicU8, Ordering};

/// A bug the models can inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Bug {
    None = 0,
    /// Claim 7: allow lists are unioned across layers instead of intersected.
    FoldAllowUnion = 1,
    /// Claim 7: a later layer's explicit allow re-grants what an earlier layer denied.
    FoldDenyOverride = 2,
    /// Claim 1: the validator forgets the bind when auth is `none`.
    NoBindCheck = 3,
    /// Claim 2: the store finds a node approval by command, whatever its request id.
    NodeAnyRequest = 4,
    /// Claim 3: approving a pairing code forgets to check its age.
    PairingNoExpiry = 5,
    /// Claim 8: container names are the slug alone, without the hash.
    SlugOnlyNames = 6,
    /// Claim 6: per_account_channel_peer keys leave the account out.
    KeyWithoutAccount = 7,
    /// Claim 5: any control command skips mention gating, authorised or not.
    AnyCommandBypass = 8,
    /// Claim 4: a pairing request counts the live requests before taking
    /// the write lock, so two racing requests can both pass the cap.
    PairingCheckOutsideTx = 9,
    /// Claim 9: every read of the policy during a request goes to the slot
    /// again instead of the request's view, so a reload can split a request.
    ReloadRereads = 10,
    /// Claim 10: a device credential is allowed on every endpoint, operator
    /// actions included.
    DeviceEverywhere = 11,
    /// Claim 11: the first binding in policy order that matches routes the
    /// message, whatever its precedence tier.
    RouteFirstMatch = 12,
    /// Claim 12: fields left out of a request are decided as the most
    /// convenient value: no session is an ordinary one, no sender matches no
    /// sender entry, `owner` without a sender is an owner; a message without
    /// `mentioned` cannot be checked for mentions, and a group message
    /// without a chat id gets the `*` group entry.
    ConvenientDefaults = 13,
    /// Claim 13: context fields a client sends with a tool call (agent,
    /// session, sender, owner) override the handle's.
    ClientOverridesHandle = 14,
    /// Claim 14: identity links are applied under `dm_scope main` too, so a
    /// linked identity leaves the main session every DM shares.
    LinkUnderMain = 15,
    /// Claim 14: a linked identity's key leaves the account out under
    /// `per_account_channel_peer`, so links join accounts the scope separates.
    LinkAcrossAccounts = 16,
    /// Claim 15: an exec layer decides a command by its first segment alone.
    FirstSegmentOnly = 17,
    /// Claim 15: the lexer does not end a segment at `&&`, so `a && b` is
    /// one segment of `a`'s program.
    JoinAndAnd = 18,
    /// Claim 15: the lexer does not read quotes inside `${...}`, so the
    /// first `}` ends it even inside quotes.
    NoQuotesInBraces = 19,
    /// Claim 16: a handle's sealed context is trusted as minted; a reload
    /// that no longer grants it is not noticed.
    TrustSealedContext = 20,
    /// Claim 1: a Unix socket that other users may open is treated like
    /// one of the gateway's own user, so `auth none` is accepted on it.
    SocketOthersTrusted = 21,
    /// Claim 17: paths are matched as written, `.` and `..` taken as
    /// components rather than resolved.
    PathsNotNormalised = 22,
    /// Claim 17: a deny (or ask) rule matches only paths of its own anchor,
    /// so an absolute spelling passes a rule written for home.
    DenyOnlyOwnAnchor = 23,
}

const ALL: [Bug; 24] = [
    Bug::None,
    Bug::FoldAllowUnion,
    Bug::FoldDenyOverride,
    Bug::NoBindCheck,
    Bug::NodeAnyRequest,
    Bug::PairingNoExpiry,
    Bug::SlugOnlyNames,
    Bug::KeyWithoutAccount,
    Bug::AnyCommandBypass,
    Bug::PairingCheckOutsideTx,
    Bug::ReloadRereads,
    Bug::DeviceEverywhere,
    Bug::RouteFirstMatch,
    Bug::ConvenientDefaults,
    Bug::ClientOverridesHandle,
    Bug::LinkUnderMain,
    Bug::LinkAcrossAccounts,
    Bug::FirstSegmentOnly,
    Bug::JoinAndAnd,
    Bug::NoQuotesInBraces,
    Bug::TrustSealedContext,
    Bug::SocketOthersTrusted,
    Bug::PathsNotNormalised,
    Bug::DenyOnlyOwnAnchor,
];

static BUG: AtomicU8 = AtomicU8::new(0);

/// Process-wide: callers must not run the affected code concurrently with
/// different bugs.
pub fn set_bug(bug: Bug) {
    BUG.store(bug as u8, Ordering::SeqCst);
}

/// Runs `f` with `bug` injected, and switches it off again afterwards.
pub fn with_bug<T>(bug: Bug, f: impl FnOnce() -> T) -> T {
    set_bug(bug);
    let out = f();
    set_bug(Bug::None);
    out
}

pub fn bug() -> Bug {
    let n = BUG.load(Ordering::SeqCst);
    ALL.into_iter().find(|b| *b as u8 == n).unwrap_or(Bug::None)
}

pub fn active(bug: Bug) -> bool {
    self::bug() == bug
}

//! The vocabulary: closed sets of values that the policy language names and
//! the compiled engine, the wire format and the gateway read (sandbox mode,
//! scope and workspace access, chat kind, DM and group policy, DM and session
//! scope, gateway auth mode). The AST reuses these types, so the engine and
//! the gateway can use them without knowing the AST.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SandboxMode {
    Off,
    NonMain,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SandboxScope {
    Session,
    Agent,
    Shared,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum WorkspaceAccess {
    #[serde(rename = "none")]
    None,
    #[serde(rename = "ro")]
    ReadOnly,
    #[serde(rename = "rw")]
    ReadWrite,
}

/// Names of a closed set of values, shared by both front ends: the DSL
/// writes `per_channel_peer`, OpenClaw JSON `per-channel-peer`; both parse.
pub trait Named: Sized + Copy + 'static {
    const NAMES: &'static [(&'static str, Self)];
    fn from_name(name: &str) -> Option<Self> {
        let name = name.trim().to_ascii_lowercase().replace('-', "_");
        Self::NAMES.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }
    fn name(self) -> &'static str
    where
        Self: PartialEq,
    {
        Self::NAMES.iter().find(|(_, v)| *v == self).map_or("?", |(n, _)| *n)
    }
    fn choices() -> String {
        Self::NAMES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DmPolicy {
    Pairing,
    Allowlist,
    Open,
    Disabled,
}

impl Named for DmPolicy {
    const NAMES: &'static [(&'static str, Self)] =
        &[("pairing", Self::Pairing), ("allowlist", Self::Allowlist), ("open", Self::Open), ("disabled", Self::Disabled)];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupPolicy {
    Allowlist,
    Open,
    Disabled,
}

impl Named for GroupPolicy {
    const NAMES: &'static [(&'static str, Self)] = &[("allowlist", Self::Allowlist), ("open", Self::Open), ("disabled", Self::Disabled)];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DmScope {
    Main,
    PerPeer,
    PerChannelPeer,
    PerAccountChannelPeer,
}

impl Named for DmScope {
    const NAMES: &'static [(&'static str, Self)] = &[
        ("main", Self::Main),
        ("per_peer", Self::PerPeer),
        ("per_channel_peer", Self::PerChannelPeer),
        ("per_account_channel_peer", Self::PerAccountChannelPeer),
    ];
}

/// OpenClaw's `session.scope`: `per_sender` keys follow the dm scope and
/// give every group its own session; `global` puts everything an agent
/// hears into one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionScope {
    PerSender,
    Global,
}

impl Named for SessionScope {
    const NAMES: &'static [(&'static str, Self)] = &[("per_sender", Self::PerSender), ("global", Self::Global)];
}

/// What kind of chat a peer is: a direct chat, a group, or a room/channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatKind {
    Direct,
    Group,
    Channel,
}

impl Named for ChatKind {
    const NAMES: &'static [(&'static str, Self)] =
        &[("direct", Self::Direct), ("dm", Self::Direct), ("group", Self::Group), ("channel", Self::Channel)];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMode {
    None,
    Token,
    Password,
}

impl Named for AuthMode {
    const NAMES: &'static [(&'static str, Self)] = &[("none", Self::None), ("token", Self::Token), ("password", Self::Password)];
}

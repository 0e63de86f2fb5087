//! The vocabulary: closed sets of values that the policy language names and
//! the compiled engine, the wire format and the gateway read (sandbox mode,
//! scope and workspace access, chat kind, DM and group policy, DM and session
//! scope, gateway auth mode). The AST reuses these types, so the engine and
//! the gateway can use them without knowing the AST.

/// Which sessions run their tool calls in a sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SandboxMode {
    /// Tool calls run on the host.
    Off,
    /// Every session but the agent's main one runs sandboxed.
    NonMain,
    /// Every session runs sandboxed.
    All,
}

/// How many sessions share one sandbox container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SandboxScope {
    /// One container per session.
    Session,
    /// One container per agent, shared by its sessions.
    Agent,
    /// One container shared by every agent and session with the same sandbox settings.
    Shared,
}

/// How a sandbox sees the agent's workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum WorkspaceAccess {
    /// No workspace: a private scratch directory.
    #[serde(rename = "none")]
    None,
    /// The agent's workspace, mounted read-only.
    #[serde(rename = "ro")]
    ReadOnly,
    /// The agent's workspace, mounted read-write. Host runs of the same
    /// agent get a directory of their own, so a sandbox cannot plant what
    /// the host runs.
    #[serde(rename = "rw")]
    ReadWrite,
    /// As `rw`, and host runs of the same agent work in that same
    /// directory: the operator's explicit choice (`workspace
    /// shared_with_host`), warned about at compile time. `HOME` of a host
    /// run still lies outside it.
    #[serde(rename = "shared_with_host")]
    SharedWithHost,
}

impl WorkspaceAccess {
    /// The sandbox may write the workspace.
    pub fn writable(self) -> bool {
        matches!(self, WorkspaceAccess::ReadWrite | WorkspaceAccess::SharedWithHost)
    }
}

/// Names of a closed set of values, shared by both front ends: the DSL
/// writes `per_channel_peer`, OpenClaw JSON `per-channel-peer`; both parse.
pub trait Named: Sized + Copy + 'static {
    /// Every accepted spelling (snake case) and its value; the first
    /// spelling of a value is its canonical name.
    const NAMES: &'static [(&'static str, Self)];
    /// The value of a name in either spelling, case-insensitively.
    fn from_name(name: &str) -> Option<Self> {
        let name = name.trim().to_ascii_lowercase().replace('-', "_");
        Self::NAMES.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }
    /// The canonical name of a value.
    fn name(self) -> &'static str
    where
        Self: PartialEq,
    {
        Self::NAMES.iter().find(|(_, v)| *v == self).map_or("?", |(n, _)| *n)
    }
    /// Every accepted name, for error messages.
    fn choices() -> String {
        Self::NAMES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
    }
}

/// Who may reach an agent by direct message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DmPolicy {
    /// Unknown senders get a pairing code; approved ones are admitted.
    Pairing,
    /// Only listed senders are admitted.
    Allowlist,
    /// Every sender is admitted.
    Open,
    /// Direct messages are dropped.
    Disabled,
}

impl Named for DmPolicy {
    const NAMES: &'static [(&'static str, Self)] =
        &[("pairing", Self::Pairing), ("allowlist", Self::Allowlist), ("open", Self::Open), ("disabled", Self::Disabled)];
}

/// Which groups may reach an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupPolicy {
    /// Only listed groups (and senders) are admitted.
    Allowlist,
    /// Every group is admitted, subject to mention gating.
    Open,
    /// Group messages are dropped.
    Disabled,
}

impl Named for GroupPolicy {
    const NAMES: &'static [(&'static str, Self)] = &[("allowlist", Self::Allowlist), ("open", Self::Open), ("disabled", Self::Disabled)];
}

/// How direct chats map to sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DmScope {
    /// Every direct chat shares the agent's main session.
    Main,
    /// One session per sender, across channels.
    PerPeer,
    /// One session per channel and sender.
    PerChannelPeer,
    /// One session per account, channel and sender.
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
    /// Keys follow the DM scope; every group has its own session.
    PerSender,
    /// One session for everything the agent hears.
    Global,
}

impl Named for SessionScope {
    const NAMES: &'static [(&'static str, Self)] = &[("per_sender", Self::PerSender), ("global", Self::Global)];
}

/// What kind of chat a peer is: a direct chat, a group, or a room/channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatKind {
    /// A one-to-one chat.
    Direct,
    /// A group chat.
    Group,
    /// A room or channel.
    Channel,
}

impl Named for ChatKind {
    const NAMES: &'static [(&'static str, Self)] =
        &[("direct", Self::Direct), ("dm", Self::Direct), ("group", Self::Group), ("channel", Self::Channel)];
}

/// How clients authenticate to the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMode {
    /// No authentication: refused on any non-loopback bind.
    None,
    /// A bearer token.
    Token,
    /// A password.
    Password,
}

impl Named for AuthMode {
    const NAMES: &'static [(&'static str, Self)] = &[("none", Self::None), ("token", Self::Token), ("password", Self::Password)];
}

/// A tool decision. Ordered by strictness: `Allow < Ask < Deny`, so the
/// outcome over several layers (or command segments) is their maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ToolOutcome {
    /// The call may run.
    Allow,
    /// A person must approve this call before it runs.
    Ask,
    /// The call may not run.
    Deny,
}

impl ToolOutcome {
    /// `allow`, `ask` or `deny`, as the DSL and the JSON wire format spell it.
    pub fn name(self) -> &'static str {
        match self {
            ToolOutcome::Allow => "allow",
            ToolOutcome::Ask => "ask",
            ToolOutcome::Deny => "deny",
        }
    }

    /// 0, 1 or 2 in strictness order: an outcome as a number, for the
    /// bindings to hand across a language boundary without a string.
    pub fn code(self) -> u8 {
        match self {
            ToolOutcome::Allow => 0,
            ToolOutcome::Ask => 1,
            ToolOutcome::Deny => 2,
        }
    }
}

/// What a file call does to a path, as path rules name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathOp {
    /// `read`: the `read` tool.
    Read,
    /// `write`: `write`, `edit` and every path `apply_patch` touches.
    Write,
}

impl PathOp {
    /// Every operation.
    pub const ALL: [PathOp; 2] = [PathOp::Read, PathOp::Write];

    /// `read` or `write`, as the DSL spells it.
    pub fn name(self) -> &'static str {
        match self {
            PathOp::Read => "read",
            PathOp::Write => "write",
        }
    }

    /// The operation a DSL word names.
    pub fn from_name(name: &str) -> Option<PathOp> {
        PathOp::ALL.into_iter().find(|op| op.name() == name)
    }

    /// Its bit in a set of operations.
    pub fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// One value per outcome a rule can give: what a block allows, asks about
/// and denies. The one home of the allow/ask/deny triple, from the syntax
/// tree through compiled layers to their indexes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ByOutcome<T> {
    /// What `allow` says.
    pub allow: T,
    /// What `ask` says.
    pub ask: T,
    /// What `deny` says.
    pub deny: T,
}

impl<T> ByOutcome<T> {
    /// The value for `outcome`.
    pub fn get(&self, outcome: ToolOutcome) -> &T {
        match outcome {
            ToolOutcome::Allow => &self.allow,
            ToolOutcome::Ask => &self.ask,
            ToolOutcome::Deny => &self.deny,
        }
    }

    /// The value for `outcome`, to change.
    pub fn get_mut(&mut self, outcome: ToolOutcome) -> &mut T {
        match outcome {
            ToolOutcome::Allow => &mut self.allow,
            ToolOutcome::Ask => &mut self.ask,
            ToolOutcome::Deny => &mut self.deny,
        }
    }

    /// Each outcome with its value, in strictness order (allow, ask, deny).
    pub fn iter(&self) -> impl Iterator<Item = (ToolOutcome, &T)> {
        [(ToolOutcome::Allow, &self.allow), (ToolOutcome::Ask, &self.ask), (ToolOutcome::Deny, &self.deny)].into_iter()
    }

    /// The same triple with `f` applied to each value.
    pub fn map<U>(self, mut f: impl FnMut(ToolOutcome, T) -> U) -> ByOutcome<U> {
        ByOutcome { allow: f(ToolOutcome::Allow, self.allow), ask: f(ToolOutcome::Ask, self.ask), deny: f(ToolOutcome::Deny, self.deny) }
    }
}

impl Named for ToolOutcome {
    const NAMES: &'static [(&'static str, Self)] = &[("allow", Self::Allow), ("ask", Self::Ask), ("deny", Self::Deny)];
}

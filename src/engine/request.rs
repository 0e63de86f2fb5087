//! Requests and their resolution into a [`Context`]. Allocation-free for
//! ASCII names up to 128 bytes: lowercasing goes through a stack buffer.

use super::{Context, Engine, OWNER, SANDBOXED, SUBAGENT};
use crate::vocab::SandboxMode;

/// A tool request. Only `agent` and `tool` are required; the rest is set
/// with the `with_*` methods. Every field left out is decided as its least
/// privileged value, never as the most convenient one: no provider is as
/// strict as any provider the policy names; no session could be any session
/// but the agent's main one, so the sub-agent layers and every group entry
/// apply (and it is sandboxed under `non-main`); no sender is as strict as
/// any sender entry, and never an owner where the policy lists owners; not
/// an owner; no argument is as strict as any value of it. A session key of
/// the sub-agent form (`agent:<id>:subagent:<n>`) makes the call a
/// sub-agent's whatever `subagent` says, and `subagent: true` only ever
/// takes away.
///
/// ```
/// use palisade::{Args, ToolRequest};
/// let request = ToolRequest::new("coder", "exec")
///     .with_session("agent:coder:main")
///     .with_args(Args::pairs(&[("command", "git status"), ("cwd", "src")]));
/// assert_eq!(request.args().text("command"), Some("git status"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ToolRequest<'a> {
    agent: &'a str,
    tool: &'a str,
    provider: Option<&'a str>,
    session: Option<&'a str>,
    subagent: bool,
    owner: bool,
    sender: Option<&'a str>,
    args: Args<'a>,
}

impl<'a> ToolRequest<'a> {
    /// A request with every optional field left out (fail closed: as strict as any value of each).
    pub fn new(agent: &'a str, tool: &'a str) -> Self {
        ToolRequest { agent, tool, provider: None, session: None, subagent: false, owner: false, sender: None, args: Args::NONE }
    }

    /// `provider` or `provider/model`.
    pub fn with_provider(self, provider: impl OptionalText<'a>) -> Self {
        ToolRequest { provider: provider.text(), ..self }
    }

    /// The session key; left out, it could be any session.
    pub fn with_session(self, session: impl OptionalText<'a>) -> Self {
        ToolRequest { session: session.text(), ..self }
    }

    /// The caller is a sub-agent; only ever takes away.
    pub fn with_subagent(self, subagent: bool) -> Self {
        ToolRequest { subagent, ..self }
    }

    /// The sender is an owner (with a sender listed in `owners`, where the policy lists any).
    pub fn with_owner(self, owner: bool) -> Self {
        ToolRequest { owner, ..self }
    }

    /// `channel:id`, e.g. `telegram:123`.
    pub fn with_sender(self, sender: impl OptionalText<'a>) -> Self {
        ToolRequest { sender: sender.text(), ..self }
    }

    /// The call's arguments (replacing any given before).
    pub fn with_args(self, args: Args<'a>) -> Self {
        ToolRequest { args, ..self }
    }

    /// The same request running `command` (for `exec`): its only argument.
    pub fn with_command(self, command: &'a str) -> Self {
        ToolRequest { args: Args::command(command), ..self }
    }

    /// The agent making the call (case-insensitive).
    pub fn agent(&self) -> &'a str {
        self.agent
    }

    /// The tool's name (case-insensitive, aliases applied).
    pub fn tool(&self) -> &'a str {
        self.tool
    }

    /// The provider, if given.
    pub fn provider(&self) -> Option<&'a str> {
        self.provider
    }

    /// The session key, if given.
    pub fn session(&self) -> Option<&'a str> {
        self.session
    }

    /// Whether the caller says it is a sub-agent.
    pub fn subagent(&self) -> bool {
        self.subagent
    }

    /// Whether the caller says the sender is an owner.
    pub fn owner(&self) -> bool {
        self.owner
    }

    /// The sender, if given.
    pub fn sender(&self) -> Option<&'a str> {
        self.sender
    }

    /// The call's arguments.
    pub fn args(&self) -> Args<'a> {
        self.args
    }

    /// For `exec`: the command line, when `args.command` is a string. Left
    /// out (or not a string), the call is decided as an opaque command
    /// wherever command rules apply.
    pub fn command(&self) -> Option<&'a str> {
        self.args.text("command")
    }
}

/// Text a request field may be given as: `&str`, `&String`, or an
/// `Option<&str>` (`None` leaves the field out).
pub trait OptionalText<'a> {
    /// The text, if any.
    fn text(self) -> Option<&'a str>;
}

impl<'a> OptionalText<'a> for &'a str {
    fn text(self) -> Option<&'a str> {
        Some(self)
    }
}

impl<'a> OptionalText<'a> for &'a String {
    fn text(self) -> Option<&'a str> {
        Some(self.as_str())
    }
}

impl<'a> OptionalText<'a> for Option<&'a str> {
    fn text(self) -> Option<&'a str> {
        self
    }
}

/// A view of a call's arguments, by name: an open set, as the wire format's
/// `args` object is. Each kind of argument rule reads the names it knows
/// (`command` and `cwd` for `exec`); a value that is not text reads as
/// [`Arg::Other`], which every rule decides as strictly as any text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Args<'a>(ArgsRepr<'a>);

#[derive(Debug, Clone, Copy, PartialEq)]
enum ArgsRepr<'a> {
    None,
    Named { command: Option<&'a str>, cwd: Option<&'a str>, path: Option<&'a str> },
    Pairs(&'a [(&'a str, &'a str)]),
    Json(&'a serde_json::Map<String, serde_json::Value>),
}

/// One argument as a rule reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg<'a> {
    /// Not given.
    Missing,
    /// Given as text.
    Text(&'a str),
    /// Given, but not as text (a number, a list, an object, null).
    Other,
}

impl<'a> Args<'a> {
    /// No arguments.
    pub const NONE: Args<'static> = Args(ArgsRepr::None);

    /// Only `command` (what [`ToolRequest::with_command`] gives).
    pub fn command(command: &'a str) -> Self {
        Args::exec(Some(command), None)
    }

    /// `exec`'s `command` and `cwd`, each when given.
    pub fn exec(command: Option<&'a str>, cwd: Option<&'a str>) -> Self {
        Args::named(command, cwd, None)
    }

    /// The arguments the bindings take by name: `command` and `cwd` (for
    /// `exec`) and `path` (for the file tools), each when given.
    pub fn named(command: Option<&'a str>, cwd: Option<&'a str>, path: Option<&'a str>) -> Self {
        Args(ArgsRepr::Named { command, cwd, path })
    }

    /// Named text arguments; the first of a repeated name counts.
    pub fn pairs(pairs: &'a [(&'a str, &'a str)]) -> Self {
        Args(ArgsRepr::Pairs(pairs))
    }

    /// A JSON object, as the wire format and the bindings carry it.
    pub fn json(object: &'a serde_json::Map<String, serde_json::Value>) -> Self {
        Args(ArgsRepr::Json(object))
    }

    /// The argument `name`.
    pub fn get(&self, name: &str) -> Arg<'a> {
        match self.0 {
            ArgsRepr::None => Arg::Missing,
            ArgsRepr::Named { command, cwd, path } => {
                let value = match name {
                    "command" => command,
                    "cwd" => cwd,
                    "path" => path,
                    _ => None,
                };
                value.map_or(Arg::Missing, Arg::Text)
            }
            ArgsRepr::Pairs(pairs) => pairs.iter().find(|(n, _)| *n == name).map_or(Arg::Missing, |(_, v)| Arg::Text(v)),
            ArgsRepr::Json(object) => match object.get(name) {
                None => Arg::Missing,
                Some(serde_json::Value::String(text)) => Arg::Text(text),
                Some(_) => Arg::Other,
            },
        }
    }

    /// Whether it holds no argument at all (what [`ToolRequest::new`] starts with).
    pub fn is_none(&self) -> bool {
        match self.0 {
            ArgsRepr::None => true,
            ArgsRepr::Named { command, cwd, path } => command.is_none() && cwd.is_none() && path.is_none(),
            ArgsRepr::Pairs(pairs) => pairs.is_empty(),
            ArgsRepr::Json(object) => object.is_empty(),
        }
    }

    /// The argument `name` when it is text.
    pub fn text(&self, name: &str) -> Option<&'a str> {
        match self.get(name) {
            Arg::Text(text) => Some(text),
            Arg::Missing | Arg::Other => None,
        }
    }
}

impl Default for Args<'_> {
    fn default() -> Self {
        Args(ArgsRepr::None)
    }
}

/// A request the engine cannot decide; it is denied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum RequestError {
    /// The policy defines no such agent.
    #[error("unknown agent `{0}`")]
    #[diagnostic(code("palisade::unknown-agent"), help("the policy defines the agents that `palisade tools` lists"))]
    UnknownAgent(String),
}

const STACK: usize = 128;

/// Runs `f` on the ASCII-lowercased `s` without allocating when `s` is short
/// ASCII; otherwise on a Unicode-lowercased copy.
#[inline]
pub(crate) fn with_lowercase<R>(s: &str, f: impl FnOnce(&str) -> R) -> R {
    let bytes = s.as_bytes();
    if !bytes.iter().any(|b| b.is_ascii_uppercase() || !b.is_ascii()) {
        return f(s);
    }
    if bytes.len() <= STACK && bytes.is_ascii() {
        let mut buf = [0u8; STACK];
        if let Some(dst) = buf.get_mut(..bytes.len()) {
            dst.copy_from_slice(bytes);
            dst.make_ascii_lowercase();
            if let Ok(lower) = std::str::from_utf8(dst) {
                return f(lower);
            }
        }
    }
    f(&s.to_lowercase())
}

impl Engine {
    /// Resolves the context of a request: which bitset decides it.
    pub fn context(&self, request: &ToolRequest<'_>) -> Result<Context, RequestError> {
        let agent_index = with_lowercase(request.agent().trim(), |a| self.agent_index.get(a).copied())
            .ok_or_else(|| RequestError::UnknownAgent(request.agent().to_string()))?;
        let agent = self.agents.get(agent_index as usize).ok_or_else(|| RequestError::UnknownAgent(request.agent().to_string()))?;
        let provider = match request.provider() {
            Some(p) => self.provider_class(p.trim()),
            None => self.any_provider_class() as u32,
        };
        let convenient = crate::seam!(ConvenientDefaults);
        // No session could be a sub-agent's: its layers apply.
        let subagent = request.subagent() || request.session().map_or(!convenient, is_subagent_key);
        let sender = match request.sender() {
            Some(s) => with_lowercase(s.trim(), |s| self.sender_index.get(s).copied().unwrap_or(0)),
            None if convenient => 0,
            None => self.any_sender_class() as u32,
        };

        let mut flags = 0;
        if subagent {
            flags |= SUBAGENT;
        }
        if self.is_owner(request, convenient) {
            flags |= OWNER;
        }
        let sandboxed = match agent.sandbox.mode {
            SandboxMode::Off => false,
            SandboxMode::All => true,
            // A sub-agent never runs in the main session, whatever key it claims;
            // a request without a session is not in it either.
            SandboxMode::NonMain => subagent || !request.session().is_some_and(|s| s.eq_ignore_ascii_case(&agent.main_key)),
        };
        if sandboxed {
            flags |= SANDBOXED;
        }
        let group = match request.session() {
            Some(s) => with_lowercase(s.trim(), |s| self.group_class(s)),
            None if convenient => 0,
            // No session could be any group's: every group entry applies.
            None => self.any_group_class() as u32,
        };
        Ok(self.context_at(agent_index, provider, sender, group, flags))
    }

    /// The main session key of an agent (`agent:<id>:main`), if it exists.
    pub fn main_session(&self, agent: &str) -> Option<&str> {
        let index = with_lowercase(agent.trim(), |a| self.agent_index.get(a).copied())?;
        self.agents.get(index as usize).map(|a| a.main_key.as_str())
    }

    /// The group class of a session key `agent:<id>:<channel>:group:<gid>`
    /// (or `:channel:<gid>`, with `:thread:`/`:topic:` pairs after it): the
    /// group's own entry, else the channel's `*` entry, else none. Key
    /// components are escaped, so splitting on `:` is exact.
    fn group_class(&self, key: &str) -> u32 {
        let mut parts = key_parts(key);
        let (Some("agent"), Some(_), Some(channel), Some("group" | "channel"), Some(gid)) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return 0;
        };
        // The rest must be `thread`/`topic` pairs, or this is not a group key
        // (a DM key of an account named `group` has other parts).
        let mut rest = parts;
        loop {
            match (rest.next(), rest.next()) {
                (None, _) => break,
                (Some("thread" | "topic"), Some(_)) => {}
                _ => return 0,
            }
        }
        let Some(groups) = self.group_index.get(channel) else { return 0 };
        groups.get(gid).or_else(|| groups.get("*")).copied().unwrap_or(0)
    }

    /// The most specific provider class: `provider/model` when the policy names
    /// it, else `provider`, else none (0).
    fn provider_class(&self, provider: &str) -> u32 {
        with_lowercase(provider, |p| {
            if let Some(class) = self.provider_index.get(p) {
                return *class;
            }
            let head = p.split('/').next().unwrap_or(p);
            self.provider_index.get(head).copied().unwrap_or(0)
        })
    }

    /// Whether `sender` (`channel:id`) is listed in `owners`. A policy that
    /// lists no owners has none: the gateway then never marks a sender an owner.
    pub fn is_owner_sender(&self, sender: &str) -> bool {
        !self.owners.is_empty() && with_lowercase(sender.trim(), |s| self.owners.contains(s))
    }

    /// A request is from an owner when it says so and, if the policy lists
    /// owners, it names a sender that is listed (no sender: not an owner).
    fn is_owner(&self, request: &ToolRequest<'_>, convenient: bool) -> bool {
        if !request.owner() {
            return false;
        }
        if self.owners.is_empty() {
            return true;
        }
        match request.sender() {
            Some(sender) => with_lowercase(sender.trim(), |s| self.owners.contains(s)),
            None => convenient,
        }
    }
}

/// The `:`-separated components of a session key. A closure, not a `char`
/// pattern: keys are short, and a `char` pattern starts a `memchr` search
/// for each component (about 350 instructions of a decision on
/// `agent:a:main`, measured with callgrind).
#[allow(clippy::manual_pattern_char_comparison)]
fn key_parts(key: &str) -> std::str::Split<'_, impl FnMut(char) -> bool> {
    key.split(|c: char| c == ':')
}

/// `agent:<id>:subagent:<n>`: the session of a sub-agent (ids are escaped,
/// so the third component is the key's kind).
pub fn is_subagent_key(session: &str) -> bool {
    let mut parts = key_parts(session.trim());
    matches!((parts.next(), parts.next(), parts.next()), (Some(a), Some(_), Some(k)) if a.eq_ignore_ascii_case("agent") && k.eq_ignore_ascii_case("subagent"))
}

#[cfg(test)]
mod tests {
    use super::with_lowercase;

    #[test]
    fn lowercases_without_changing_meaning() {
        assert_eq!(with_lowercase("ExEc", str::to_string), "exec");
        assert_eq!(with_lowercase("exec", str::to_string), "exec");
        assert_eq!(with_lowercase("ÄB", str::to_string), "äb");
        let long = "A".repeat(300);
        assert_eq!(with_lowercase(&long, str::to_string), "a".repeat(300));
    }
}

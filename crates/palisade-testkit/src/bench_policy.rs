//! The layered tool policy the benches use, described once and rendered
//! twice: as Palisade DSL and as Cedar policies (permit everything, then one
//! `forbid` per layer). `tests/integration/peers.rs` checks that both give
//! the same decision on every request of the stream, so the peer bench
//! compares equal work.

use palisade::unstable::builtins;

/// One agent of the policy: the seed's three, then generated ones.
#[derive(Debug, Clone)]
pub struct AgentShape {
    pub id: String,
    pub name: String,
    /// `off`, `non-main` or `all`.
    pub mode: &'static str,
    pub workspace_ro: bool,
    /// The agent's own profile; `None` inherits the global one.
    pub profile: Option<&'static str>,
    pub allow: Option<Vec<String>>,
    pub deny: Vec<String>,
    /// `provider "anthropic" { deny web_fetch }`.
    pub anthropic_denies_web_fetch: bool,
    /// The agent's sandbox tool policy allow list.
    pub sandbox_allow: Option<Vec<String>>,
    pub subagent_deny: Vec<String>,
}

fn names(list: &str) -> Vec<String> {
    list.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

/// The seed's three agents (`main` full trust and unsandboxed; `family`
/// sandboxed per agent, read only; `public` sandboxed per session,
/// sessions_send only) and `generated` more in the shape of real deployments.
/// `plugin_tools` extra tools (`plugin0`...) are declared and half of them
/// allowed to the generated agents, to grow the tool table.
pub fn agents(generated: usize, plugin_tools: usize) -> Vec<AgentShape> {
    let plugins: Vec<String> = (0..plugin_tools).step_by(2).map(|i| format!("plugin{i}")).collect();
    let mut out = vec![
        AgentShape {
            id: "main".into(),
            name: "Main".into(),
            mode: "off",
            workspace_ro: false,
            profile: Some("full"),
            allow: None,
            deny: Vec::new(),
            anthropic_denies_web_fetch: false,
            sandbox_allow: None,
            subagent_deny: Vec::new(),
        },
        AgentShape {
            id: "family".into(),
            name: "Family".into(),
            mode: "all",
            workspace_ro: true,
            profile: None,
            allow: Some(names("read")),
            deny: Vec::new(),
            anthropic_denies_web_fetch: false,
            sandbox_allow: None,
            subagent_deny: Vec::new(),
        },
        AgentShape {
            id: "public".into(),
            name: "Public".into(),
            mode: "all",
            workspace_ro: false,
            profile: None,
            allow: Some(names("sessions_send")),
            deny: Vec::new(),
            anthropic_denies_web_fetch: false,
            sandbox_allow: None,
            subagent_deny: Vec::new(),
        },
    ];
    for i in 0..generated {
        let (allow, deny) = match i % 4 {
            0 => ("group:fs, group:runtime, web_search", "process"),
            1 => ("group:research, sessions_send", "write"),
            2 => ("read, write, edit, exec, memory_get", "apply_patch"),
            _ => ("group:sessions, group:memory, image", "sessions_spawn"),
        };
        let mut allow = names(allow);
        allow.extend(plugins.iter().cloned());
        out.push(AgentShape {
            id: format!("agent{i}"),
            name: format!("Agent {i}"),
            mode: ["non-main", "all"][i % 2],
            workspace_ro: true,
            profile: None,
            allow: Some(allow),
            deny: names(deny),
            anthropic_denies_web_fetch: true,
            sandbox_allow: Some(names("read, exec, web_search, image, sessions_send")),
            subagent_deny: names("exec"),
        });
    }
    out
}

const GLOBAL_PROFILE: &str = "coding";
const GLOBAL_ALSO_ALLOW: &str = "group:web";
const GLOBAL_DENY: &str = "group:nodes";
const USER_GROUP: (&str, &str) = ("research", "web_search, web_fetch, read");

/// The policy as Palisade DSL.
pub fn palisade_policy(agents: &[AgentShape], plugin_tools: usize) -> String {
    let mut out = String::new();
    if plugin_tools > 0 {
        let list: Vec<String> = (0..plugin_tools).map(|i| format!("plugin{i}")).collect();
        out += &format!("plugin_tools {}\n", list.join(", "));
    }
    out += &format!(
        "group {} = [{}]\n\
         tools {{ profile {GLOBAL_PROFILE}  also_allow {GLOBAL_ALSO_ALLOW}  deny {GLOBAL_DENY}\n\
           provider \"openai\" {{ deny exec }}  provider \"openai/gpt-5-mini\" {{ profile minimal }}\n\
           subagents {{ deny browser }} }}\n\
         sandbox defaults {{ mode non-main scope session workspace none docker {{ memory 1g pids 256 }} }}\n",
        USER_GROUP.0, USER_GROUP.1
    );
    for a in agents {
        let mut tools = String::new();
        if let Some(p) = a.profile {
            tools += &format!(" profile {p}");
        }
        if let Some(allow) = &a.allow {
            tools += &format!(" allow {}", allow.join(", "));
        }
        if !a.deny.is_empty() {
            tools += &format!("  deny {}", a.deny.join(", "));
        }
        if a.anthropic_denies_web_fetch {
            tools += "\n    provider \"anthropic\" { deny web_fetch }";
        }
        if let Some(allow) = &a.sandbox_allow {
            tools += &format!("\n    sandbox {{ allow {} }}", allow.join(", "));
        }
        if !a.subagent_deny.is_empty() {
            tools += &format!("\n    subagents {{ deny {} }}", a.subagent_deny.join(", "));
        }
        let workspace = if a.workspace_ro { " workspace ro" } else { "" };
        let default = if a.id == "main" { " default" } else { "" };
        out += &format!("agent {} \"{}\" {{{default}\n  sandbox {}{workspace}\n  tools {{{tools} }}\n}}\n", a.id, a.name, a.mode);
    }
    out
}

/// Tool names a list of names and groups stands for.
fn expand(list: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for entry in list {
        match entry.strip_prefix("group:") {
            Some(g) if g == USER_GROUP.0 => out.extend(names(USER_GROUP.1)),
            Some(g) => out.extend(builtins::group(g).expect("a built-in group").iter().map(|s| s.to_string())),
            None => out.push(entry.clone()),
        }
    }
    out
}

fn cedar_set(tools: &[String]) -> String {
    let items: Vec<String> = tools.iter().map(|t| format!("Tool::\"{t}\"")).collect();
    format!("[{}]", items.join(", "))
}

fn strs(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// The same layers as Cedar policies: permit everything, one `forbid` per
/// layer, each with the condition under which the layer applies. Provider
/// entries apply to their family (`openai`, `openai/...`) unless a more
/// specific entry exists, as in Palisade; a request without a provider
/// meets every provider entry.
pub fn cedar_policies(agents: &[AgentShape]) -> String {
    // A request without a provider ("") is decided as strictly as any: every provider entry applies.
    let openai = r#"(context.provider == "" || ((context.provider == "openai" || context.provider like "openai/*") && context.provider != "openai/gpt-5-mini"))"#;
    let mini = r#"(context.provider == "" || context.provider == "openai/gpt-5-mini")"#;
    let anthropic = r#"(context.provider == "" || context.provider == "anthropic" || context.provider like "anthropic/*")"#;
    let minimal = expand(&strs(builtins::profile("minimal").flatten().expect("minimal lists tools")));
    let mut out = String::from("permit(principal, action, resource);\n");
    out += &format!("forbid(principal, action, resource) when {{ resource in {} }};\n", cedar_set(&expand(&names(GLOBAL_DENY))));
    out += &format!("forbid(principal, action, resource) when {{ {openai} && resource == Tool::\"exec\" }};\n");
    out += &format!(
        "forbid(principal, action, resource) when {{ context.subagent && resource in {} }};\n",
        cedar_set(&expand(&strs(builtins::SUBAGENT_DENY)))
    );
    out += "forbid(principal, action, resource) when { context.subagent && resource == Tool::\"browser\" };\n";
    out += &format!("forbid(principal, action, resource) when {{ !context.owner && resource in {} }};\n", cedar_set(&strs(builtins::OWNER_ONLY)));
    for a in agents {
        let who = format!("principal == Agent::\"{}\"", a.id);
        // Profile: the agent's own, else the global one with its also_allow.
        let profile = match a.profile {
            Some(p) => builtins::profile(p).expect("a built-in profile").map(|tools| expand(&strs(tools))),
            None => {
                let mut tools = expand(&strs(builtins::profile(GLOBAL_PROFILE).flatten().expect("coding lists tools")));
                tools.extend(expand(&names(GLOBAL_ALSO_ALLOW)));
                Some(tools)
            }
        };
        if let Some(tools) = profile {
            out += &format!("forbid({who}, action, resource) unless {{ resource in {} }};\n", cedar_set(&tools));
        }
        // The provider profile (openai/gpt-5-mini: minimal) replaces nothing: it is one more layer.
        out += &format!("forbid({who}, action, resource) when {{ {mini} }} unless {{ resource in {} }};\n", cedar_set(&minimal));
        if let Some(allow) = &a.allow {
            out += &format!("forbid({who}, action, resource) unless {{ resource in {} }};\n", cedar_set(&expand(allow)));
        }
        if !a.deny.is_empty() {
            out += &format!("forbid({who}, action, resource) when {{ resource in {} }};\n", cedar_set(&expand(&a.deny)));
        }
        if a.anthropic_denies_web_fetch {
            out += &format!("forbid({who}, action, resource) when {{ {anthropic} && resource == Tool::\"web_fetch\" }};\n");
        }
        let sandboxed = match a.mode {
            "all" => Some("true"),
            "non-main" => Some("(context.subagent || !context.main_session)"),
            _ => None,
        };
        if let Some(sandboxed) = sandboxed {
            let allow = a.sandbox_allow.clone().unwrap_or_else(|| strs(builtins::DEFAULT_SANDBOX_ALLOW));
            out += &format!("forbid({who}, action, resource) when {{ {sandboxed} }} unless {{ resource in {} }};\n", cedar_set(&expand(&allow)));
            out += &format!(
                "forbid({who}, action, resource) when {{ {sandboxed} && resource in {} }};\n",
                cedar_set(&expand(&strs(builtins::DEFAULT_SANDBOX_DENY)))
            );
            if a.workspace_ro {
                out += &format!(
                    "forbid({who}, action, resource) when {{ {sandboxed} && resource in {} }};\n",
                    cedar_set(&strs(builtins::WORKSPACE_WRITE_TOOLS))
                );
            }
        }
        if !a.subagent_deny.is_empty() {
            out += &format!("forbid({who}, action, resource) when {{ context.subagent && resource in {} }};\n", cedar_set(&expand(&a.subagent_deny)));
        }
    }
    out
}

/// One request of the stream, in the terms both engines take.
#[derive(Debug, Clone)]
pub struct StreamRequest {
    pub agent: String,
    pub tool: &'static str,
    pub provider: Option<&'static str>,
    pub main_session: bool,
    pub subagent: bool,
    pub owner: bool,
}

impl StreamRequest {
    pub fn session(&self) -> String {
        if self.main_session {
            format!("agent:{}:main", self.agent)
        } else {
            format!("agent:{}:telegram:direct:someone", self.agent)
        }
    }
}

pub const STREAM_TOOLS: &[&str] = &[
    "read",
    "write",
    "edit",
    "exec",
    "process",
    "web_search",
    "web_fetch",
    "browser",
    "sessions_send",
    "sessions_spawn",
    "memory_get",
    "image",
    "cron",
    "nodes",
    "apply_patch",
    "session_status",
];
pub const STREAM_PROVIDERS: &[Option<&str>] =
    &[None, Some("openai"), Some("openai/gpt-5"), Some("openai/gpt-5-mini"), Some("anthropic/claude-4"), Some("google/gemini")];

/// Every agent x tool x provider x (main session, other session, sub-agent,
/// non-owner): a stream that visits every layer's condition.
pub fn stream(agents: &[AgentShape]) -> Vec<StreamRequest> {
    let mut out = Vec::new();
    for a in agents {
        for tool in STREAM_TOOLS {
            for provider in STREAM_PROVIDERS {
                for (main_session, subagent, owner) in [(true, false, true), (false, false, true), (false, true, true), (true, false, false)] {
                    out.push(StreamRequest { agent: a.id.clone(), tool, provider: *provider, main_session, subagent, owner });
                }
            }
        }
    }
    out
}

//! The OpenClaw JSON front end: both agent forms, warnings with JSON paths,
//! and `import` output that compiles to the same decisions.

use palisade::{Policy, ToolRequest};

const TOOLS: &[&str] = &[
    "read",
    "write",
    "edit",
    "apply_patch",
    "exec",
    "process",
    "web_search",
    "web_fetch",
    "browser",
    "canvas",
    "nodes",
    "cron",
    "gateway",
    "message",
    "image",
    "sessions_list",
    "sessions_send",
    "sessions_spawn",
    "session_status",
    "memory_get",
    "agents_list",
    "jira_search",
];

/// Every agent x tool x context decided by both policies must agree.
fn assert_same_decisions(a: &Policy, b: &Policy) {
    let agents: Vec<String> = a.engine().agent_ids().map(String::from).collect();
    assert_eq!(agents, b.engine().agent_ids().map(String::from).collect::<Vec<_>>());
    let mut compared = 0;
    for agent in &agents {
        let other_session = format!("agent:{agent}:direct:someone");
        let group_session = format!("agent:{agent}:telegram:group:-100");
        for tool in TOOLS {
            for provider in [None, Some("openai"), Some("openai/gpt-5-mini"), Some("anthropic/claude")] {
                for session in [None, Some(other_session.as_str()), Some(group_session.as_str())] {
                    for (subagent, owner) in [(false, true), (true, true), (false, false)] {
                        let r = ToolRequest::new(agent, tool).with_provider(provider).with_session(session).with_subagent(subagent).with_owner(owner);
                        assert_eq!(a.engine().decide(&r), b.engine().decide(&r), "{r:?}");
                        compared += 1;
                    }
                }
            }
        }
    }
    assert!(compared > 500);
}

/// Every gate and route decision over the ids the policy names (and some
/// it does not) must agree, reason and session key included.
fn assert_same_ingress(a: &Policy, b: &Policy) {
    use palisade::ChatKind;
    use palisade::Inbound;
    let ast = a.ast();
    let mut ids: Vec<String> = vec!["stranger".into(), "-999".into()];
    for c in &ast.channels {
        for list in [&c.allow_from, &c.group_allow_from, &c.command_allow_from].into_iter().flatten() {
            ids.extend(list.entries.iter().map(|e| e.value.clone()));
        }
        ids.extend(c.groups.iter().map(|g| g.id.value.clone()));
    }
    ids.extend(ast.bindings.iter().filter_map(|b| b.peer.as_ref().map(|(_, id)| id.value.clone())));
    let mut channels: Vec<String> = ast.channels.iter().map(|c| c.name.value.clone()).collect();
    channels.push("nostr".into());
    let mut compared = 0;
    for channel in &channels {
        for chat in [ChatKind::Direct, ChatKind::Group, ChatKind::Channel] {
            for id in &ids {
                for sender in &ids {
                    for (text, mentioned, command) in [("hi", None, false), ("@palbot hi <@42>", None, false), ("/reset", Some(false), true)] {
                        let mut m = Inbound::group(channel, id, sender, text);
                        m.chat = chat;
                        m.mentioned = mentioned;
                        m.command = command;
                        m.guild = Some("g1");
                        let (ga, gb) = (a.engine().gate(&m), b.engine().gate(&m));
                        assert_eq!((ga.outcome, ga.reason), (gb.outcome, gb.reason), "{m:?}");
                        let ra = a.engine().route(&m).map(|r| (r.agent.to_string(), r.session_key, r.matched_by.to_string()));
                        let rb = b.engine().route(&m).map(|r| (r.agent.to_string(), r.session_key, r.matched_by.to_string()));
                        assert_eq!(ra, rb, "{m:?}");
                        compared += 1;
                    }
                }
            }
        }
    }
    assert!(compared >= 72, "{compared}");
}

fn import_roundtrip(path: &std::path::Path) {
    let text = std::fs::read_to_string(path).unwrap();
    let json = Policy::from_openclaw_json("config.json", &text).unwrap();
    let dsl_text = palisade::unstable::to_dsl(json.ast(), json.warnings());
    let dsl = Policy::from_dsl("imported.pal", &dsl_text).unwrap_or_else(|e| panic!("{dsl_text}\n{e:?}"));
    assert_same_decisions(&json, &dsl);
    assert_same_ingress(&json, &dsl);
}

#[test]
fn import_prints_dsl_with_the_same_decisions() {
    import_roundtrip(&crate::root().join("examples/openclaw.json"));
    import_roundtrip(&crate::root().join("tests/corpus/openclaw/policy.json"));
    import_roundtrip(&crate::root().join("tests/corpus/openclaw-ingress/policy.json"));
}

#[test]
fn entries_form_equals_list_form() {
    let list = r#"{ "agents": { "defaults": { "sandbox": { "mode": "non-main" } },
        "list": [ { "id": "main", "default": true }, { "id": "ops", "tools": { "deny": ["exec"], "byProvider": { "openai": { "deny": ["read"] } } } } ] } }"#;
    let entries = r#"{ "agents": { "defaults": { "sandbox": { "mode": "non-main" } },
        "entries": { "main": { "default": true }, "ops": { "tools": { "deny": ["exec"], "byProvider": { "openai": { "deny": ["read"] } } } } } } }"#;
    let a = Policy::from_openclaw_json("list.json", list).unwrap();
    let b = Policy::from_openclaw_json("entries.json", entries).unwrap();
    assert_same_decisions(&a, &b);
    assert!(!b.engine().decide(&ToolRequest::new("ops", "exec")));
}

#[test]
fn unknown_keys_are_warnings_with_their_path() {
    let text = r#"{ "tools": { "profile": "coding", "exec": { "timeoutSec": 5 }, "sandbox": { "tools": { "allow": ["read"] }, "prune": {} } },
        "agents": { "list": [ { "id": "main", "workspace": "~/w", "sandbox": { "mode": "all", "docker": { "setupCommand": "x" } } } ] },
        "channels": { "telegram": { "dmPolicy": "pairing", "streamMode": "partial" } }, "session": { "reset": {} },
        "gateway": { "port": 18789, "tailscale": {} }, "whatever": 1 }"#;
    let policy = Policy::from_openclaw_json("c.json", text).unwrap();
    let messages: Vec<String> = policy.warnings().iter().map(|w| w.message.clone()).collect();
    for path in [
        "$.tools.exec.timeoutSec",
        "$.tools.sandbox.prune",
        "$.agents.list[0].workspace",
        "$.agents.list[0].sandbox.docker.setupCommand",
        "$.channels.telegram.streamMode",
        "$.session.reset",
        "$.gateway.tailscale",
        "$.whatever",
    ] {
        assert!(messages.iter().any(|m| m.contains(&format!("`{path}`"))), "no warning for {path}: {messages:#?}");
    }
    for w in policy.warnings() {
        assert!(w.location.line >= 1 && &*w.location.file == "c.json");
    }
}

#[test]
fn openclaw_defaults_to_no_sandbox_and_says_so() {
    let policy = Policy::from_openclaw_json("c.json", r#"{ "agents": { "list": [ { "id": "main" } ] } }"#).unwrap();
    assert!(policy.warnings().iter().any(|w| w.code == "palisade::sandbox-off"));
    let r = ToolRequest::new("main", "browser").with_session("agent:main:direct:x");
    assert!(policy.engine().decide(&r));
}

#[test]
fn unknown_json_tools_become_plugins_but_typos_fail() {
    let ok = Policy::from_openclaw_json("c.json", r#"{ "tools": { "deny": ["jira_delete"] } }"#).unwrap();
    assert!(ok.warnings().iter().any(|w| w.code == "palisade::plugin-tool"));
    assert!(!ok.engine().decide(&ToolRequest::new("main", "jira_delete")));
    assert!(Policy::from_openclaw_json("c.json", r#"{ "tools": { "deny": ["brwser"] } }"#).is_err());
}

#[test]
fn gateway_settings_import_without_their_literal_secret() {
    let text = r#"{ "gateway": { "bind": "custom", "customBindHost": "192.168.1.10", "port": 18800,
        "auth": { "mode": "token", "token": "do-not-import-me", "rateLimit": { "maxAttempts": 5, "windowMs": 60000, "lockoutMs": 120000 } } },
        "agents": { "defaults": { "sandbox": { "mode": "all", "docker": { "memory": "256m", "pidsLimit": 64 } } } } }"#;
    let policy = Policy::from_openclaw_json("gw.json", text).unwrap();
    let g = policy.gateway();
    assert_eq!(g.bind.ip().to_string(), "192.168.1.10");
    assert_eq!(g.port, 18800);
    assert_eq!(g.auth.mode, palisade::AuthMode::Token);
    assert_eq!(g.auth.secret, Some(palisade::SecretRef::Env("PALISADE_GATEWAY_TOKEN".into())));
    assert_eq!((g.rate_limit.attempts, g.rate_limit.window.as_secs(), g.rate_limit.lockout.as_secs()), (5, 60, 120));
    assert!(policy.warnings().iter().any(|w| w.code == "palisade::literal-secret" && w.message.contains("$.gateway.auth.token")));
    let dsl = palisade::unstable::to_dsl(policy.ast(), policy.warnings());
    assert!(!dsl.contains("do-not-import-me"), "{dsl}");
    let again = Policy::from_dsl("gw.pal", &dsl).unwrap();
    assert_eq!(again.gateway().rate_limit, g.rate_limit);
    let docker = &policy.engine().sandbox("main").unwrap().docker;
    assert_eq!((docker.memory_bytes, docker.pids), (256 << 20, 64));
}

/// What cannot be imported exactly is a warning in the file that says it,
/// and the printed DSL decides every command the same way.
#[test]
fn exec_settings_and_approvals_warn_where_they_are_read_more_strictly() {
    let dir = crate::root().join("tests/corpus/openclaw-exec");
    let config = std::fs::read_to_string(dir.join("policy.json")).unwrap();
    let approvals = std::fs::read_to_string(dir.join("exec-approvals.json")).unwrap();
    let policy = Policy::from_openclaw_json_with_approvals("policy.json", &config, "exec-approvals.json", &approvals).unwrap();
    let warned = |file: &str, text: &str| policy.warnings().iter().any(|w| &*w.location.file == file && w.message.contains(text));
    assert!(warned("exec-approvals.json", "`~/Projects/**/bin/rg` is not imported"));
    assert!(warned("exec-approvals.json", "`/opt/homebrew/bin/*` is not imported: Palisade matches a program by one exact path"));
    assert!(warned("exec-approvals.json", "`python3` is not imported: OpenClaw ignores basename-only entries too"));
    assert!(warned("exec-approvals.json", "agent `ops`: `askFallback` is not imported"));
    assert!(warned("policy.json", "safe bins are imported without arguments"));
    assert!(warned("policy.json", "`$.tools.exec.timeoutSec` ignored"));
    let printed = palisade::unstable::to_dsl(policy.ast(), policy.warnings());
    let reread = Policy::from_dsl("printed.pal", &printed).unwrap();
    for (agent, command) in [("main", "/usr/bin/git log"), ("main", "head -n 1"), ("ops", "/usr/bin/make"), ("locked", "ls"), ("careful", "head")] {
        let request = ToolRequest::new(agent, "exec").with_session("agent:x:main").with_command(command);
        assert_eq!(policy.engine().decide_outcome(&request), reread.engine().decide_outcome(&request), "{agent}: {command}");
    }
    // An approvals file must be JSON; its errors cite it.
    let error = Policy::from_openclaw_json_with_approvals("policy.json", &config, "exec-approvals.json", "{ nope").unwrap_err();
    assert!(error.errors().all(|d| &*d.location.file == "exec-approvals.json"), "{error:?}");
    assert!(error.errors().count() >= 1);
}

/// Found by the differential against openclaw@2026.2.26: an agent's own
/// `alsoAllow` replaces the global one, as its own profile replaces the global
/// profile, even when it is empty. Palisade added both, so the agent below
/// could `read` although OpenClaw gives it only the messaging tools.
#[test]
fn an_agents_also_allow_replaces_the_global_one() {
    let json = r#"{
      "tools": { "profile": "messaging", "alsoAllow": ["group:fs"] },
      "agents": { "list": [
        { "id": "quiet", "tools": { "alsoAllow": [] } },
        { "id": "web", "tools": { "alsoAllow": ["web_search"] } },
        { "id": "plain" }
      ] }
    }"#;
    let policy = Policy::from_openclaw_json("also.json", json).unwrap();
    let allows = |agent: &str, tool: &str| policy.engine().decide(&ToolRequest::new(agent, tool));
    assert!(allows("plain", "read"), "no alsoAllow of its own: the global one applies");
    assert!(!allows("quiet", "read"), "an empty alsoAllow of its own replaces the global one");
    assert!(!allows("web", "read"));
    assert!(allows("web", "web_search"));
    assert!(allows("web", "message"), "the profile itself still applies");
    let dsl = "tools { profile messaging also_allow group:fs }\nagent quiet { tools { also_allow web_search } }\nagent plain { default }\n";
    let policy = Policy::from_dsl("also.pal", dsl).unwrap();
    assert!(!policy.engine().decide(&ToolRequest::new("quiet", "read")), "the DSL means the same");
    assert!(policy.engine().decide(&ToolRequest::new("plain", "read")));
}

/// Per-topic settings may restrict (a topic's `enabled: false`, `allowFrom`,
/// `requireMention`), and Palisade cannot say them per topic: refused, with
/// the JSON path, rather than dropped. A group's own `groupPolicy: "open"`
/// is read more strictly, with a warning.
#[test]
fn group_settings_palisade_cannot_keep_are_refused_or_read_more_strictly() {
    let topics = r#"{ "channels": { "telegram": { "groupAllowFrom": ["1"], "groups": { "-100": { "topics": { "7": { "enabled": false } } } } } } }"#;
    let error = Policy::from_openclaw_json("topics.json", topics).unwrap_err();
    assert!(error.diagnostics.iter().any(|d| d.message.contains("channels.telegram.groups.-100.topics")), "{error:?}");
    let open = r#"{ "channels": { "telegram": { "groupAllowFrom": ["1"], "groups": { "-100": { "groupPolicy": "open" } } } } }"#;
    let policy = Policy::from_openclaw_json("open.json", open).unwrap();
    assert!(policy.warnings().iter().any(|w| w.message.contains("groups.-100.groupPolicy") && w.message.contains("stricter")));
    let gate = |sender: &str| policy.engine().gate(&palisade::Inbound::group("telegram", "-100", sender, "hi")).outcome;
    assert_eq!(gate("2"), palisade::IngressOutcome::Drop, "the channel's allowlist still applies");
}

/// Palisade's built-ins are the seed's (OpenClaw 2026.2). A configuration
/// written for a later release names `image` `view_image` and `cron`
/// `automations`: the import says so, and a deny list that names the later
/// tool denies the seed's too, so what was meant to be denied stays denied.
#[test]
fn later_release_tool_names_are_said_and_denied_as_meant() {
    let json = r#"{ "tools": { "deny": ["view_image"], "allow": ["read", "automations"] }, "agents": { "list": [{ "id": "main" }] } }"#;
    let policy = Policy::from_openclaw_json("later.json", json).unwrap();
    let said: Vec<&str> = policy.warnings().iter().map(|w| w.message.as_str()).collect();
    assert!(said.iter().any(|m| m.contains("`view_image` is what OpenClaw releases after 2026.2 call `image`")), "{said:?}");
    assert!(said.iter().any(|m| m.contains("`automations`")), "{said:?}");
    let allows = |tool: &str| policy.engine().decide(&ToolRequest::new("main", tool).with_owner(true));
    assert!(!allows("image"), "denied under its later name, denied");
    assert!(!allows("view_image"));
    assert!(!allows("cron"), "allowed under its later name only: cron itself is not granted");
    assert!(allows("read"));
}

/// OpenClaw keeps text commands and who may run them at the top level,
/// keyed by provider (`*` for the rest); a channel takes its provider's list.
#[test]
fn top_level_commands_decide_who_may_run_commands_per_provider() {
    let json = r#"{
      "channels": {
        "telegram": { "groupPolicy": "open", "groups": { "*": { "requireMention": false } } },
        "imessage": { "groupPolicy": "open", "groups": { "*": { "requireMention": false } } }
      },
      "commands": { "text": true, "allowFrom": { "telegram": ["1"], "*": ["2"] } }
    }"#;
    let policy = Policy::from_openclaw_json("commands.json", json).unwrap();
    let gate = |channel: &str, sender: &str| {
        let mut message = palisade::Inbound::group(channel, "g", sender, "/status");
        message.command = true;
        policy.engine().gate(&message).outcome
    };
    use palisade::IngressOutcome::{Accept, Drop};
    assert_eq!((gate("telegram", "1"), gate("telegram", "2")), (Accept, Drop), "telegram's own list");
    assert_eq!((gate("imessage", "2"), gate("imessage", "1")), (Accept, Drop), "the `*` list for the rest");
}

/// Slack disables a channel entry that sets neither `enabled` nor `allow`
/// when its `*` entry is disabled (`resolveSlackChannelConfig` reads
/// `enabled`, `allow`, then the `*` entry's): found by `slack.test.js`,
/// where Palisade admitted messages to such a channel.
#[test]
fn a_slack_channel_without_its_own_flag_is_disabled_with_the_star_entry() {
    let json = r#"{ "channels": { "slack": { "groupPolicy": "allowlist", "channels": {
        "C1": { "requireMention": false },
        "C2": { "requireMention": false, "enabled": true },
        "*": { "enabled": false }
    } } } }"#;
    let policy = Policy::from_openclaw_json("slack.json", json).unwrap();
    let gate = |channel: &str| policy.engine().gate(&palisade::Inbound::group("slack", channel, "U1", "hi")).outcome;
    use palisade::IngressOutcome::{Accept, Drop};
    assert_eq!(gate("C1"), Drop, "C1 takes the `*` entry's `enabled: false`");
    assert_eq!(gate("C2"), Accept, "C2's own `enabled: true` wins");
    assert_eq!(gate("C3"), Drop);
}

/// WhatsApp lets only its owners (`allowFrom`) skip mention gating with a
/// control command (`applyGroupGating`); a sender who is only on the group
/// sender list is not one: found by `whatsapp.test.js`, where Palisade let
/// such a command through an unmentioned group message.
#[test]
fn only_whatsapp_owners_skip_mention_gating_with_a_command() {
    let json = r#"{ "channels": { "whatsapp": {
        "allowFrom": ["+15550002"], "groupPolicy": "allowlist", "groupAllowFrom": ["+15550002", "+15550003"],
        "groups": { "111@g.us": { "requireMention": true } }
    } } }"#;
    let policy = Policy::from_openclaw_json("whatsapp.json", json).unwrap();
    let gate = |sender: &str| {
        let mut message = palisade::Inbound::group("whatsapp", "111@g.us", sender, "/status");
        message.command = true;
        message.mentioned = Some(false);
        policy.engine().gate(&message).outcome
    };
    use palisade::IngressOutcome::{Accept, Drop};
    assert_eq!(gate("+15550002"), Accept, "the owner's command skips mention gating");
    assert_eq!(gate("+15550003"), Drop, "a group sender who is no owner does not");
}

/// `commands.useAccessGroups: false` lets every sender's command through in
/// OpenClaw's handlers; Palisade keeps commands to the authorised senders
/// and says so.
#[test]
fn use_access_groups_off_is_read_more_strictly_and_said() {
    let json = r#"{ "channels": { "telegram": { "groupPolicy": "open", "groups": { "*": { "requireMention": true } } } },
                   "commands": { "useAccessGroups": false, "allowFrom": { "telegram": ["1"] } } }"#;
    let policy = Policy::from_openclaw_json("access.json", json).unwrap();
    assert!(policy.warnings().iter().any(|w| w.message.contains("commands.useAccessGroups") && w.message.contains("stricter")));
    let mut message = palisade::Inbound::group("telegram", "g", "2", "/status");
    message.command = true;
    message.mentioned = Some(false);
    assert_eq!(policy.engine().gate(&message).outcome, palisade::IngressOutcome::Drop);
}

/// Discord under `groupPolicy: "open"` with no `guilds` admits every guild
/// channel, but a group DM (no guild) only with `dm.groupEnabled`, off by
/// default: found by `discord.test.js`, where Palisade admitted group DMs.
#[test]
fn discord_open_admits_guild_channels_not_group_dms() {
    let json = r#"{ "channels": { "discord": { "groupPolicy": "open" } } }"#;
    let policy = Policy::from_openclaw_json("discord.json", json).unwrap();
    let gate = |guild: Option<&str>| {
        let mut message = palisade::Inbound::group("discord", "c1", "7", "hi");
        message.guild = guild;
        message.mentioned = Some(true);
        policy.engine().gate(&message).outcome
    };
    use palisade::IngressOutcome::{Accept, Drop};
    assert_eq!(gate(Some("100")), Accept, "any guild's channel");
    assert_eq!(gate(None), Drop, "a group DM");
}

/// Settings the import cannot keep exactly are read more strictly and
/// said: Slack's channel-wide `requireMention: false` with no channel
/// entries, and Discord's `dm` (group DMs and the legacy DM policy).
#[test]
fn channel_settings_read_more_strictly_are_said() {
    let json = r#"{ "channels": {
        "slack": { "groupPolicy": "open", "requireMention": false },
        "discord": { "groupPolicy": "open", "dm": { "groupEnabled": true } }
    } }"#;
    let policy = Policy::from_openclaw_json("strict.json", json).unwrap();
    let said: Vec<&str> = policy.warnings().iter().map(|w| w.message.as_str()).collect();
    assert!(said.iter().any(|m| m.contains("channels.slack.requireMention") && m.contains("stricter")), "{said:?}");
    assert!(said.iter().any(|m| m.contains("channels.discord.dm") && m.contains("stricter")), "{said:?}");
    let mut slack = palisade::Inbound::group("slack", "C1", "U1", "hi");
    slack.mentioned = Some(false);
    assert_eq!(policy.engine().gate(&slack).outcome, palisade::IngressOutcome::Drop, "mention gating stays on");
    let mut group_dm = palisade::Inbound::group("discord", "c1", "7", "hi");
    group_dm.mentioned = Some(true);
    assert_eq!(policy.engine().gate(&group_dm).outcome, palisade::IngressOutcome::Drop, "a group DM is dropped");
}

//! Properties of the gate and the router on random policies and messages:
//! session isolation, link sharing, mention gating, routes to real agents.

use palisade::ChatKind;
use palisade::Policy;
use palisade::{Inbound, IngressOutcome};
use std::collections::HashMap;

use proptest::prelude::*;

const CHANNELS: &[&str] = &["telegram", "discord", "slack"];
const ACCOUNTS: &[Option<&str>] = &[None, Some("default"), Some("biz"), Some("Biz")];
/// Ids chosen to collide if keys were built carelessly: case, `:` and `%`.
const IDS: &[&str] = &["1", "2", "A", "a", "x:y", "x", "y", "x%3ay", "-100", "-100:thread:5", "5", "%"];
const AGENTS: &[&str] = &["main", "family", "work"];
const SCOPES: &[&str] = &["main", "per_peer", "per_channel_peer", "per_account_channel_peer"];
const PATTERNS: &[&str] = &["@bot\\b", "hey bot", "^!ping"];
const WORDS: &[&str] = &["hi", "@bot", "@botty", "hey", "bot", "HEY BOT", "!ping", "status", "/reset"];

#[derive(Debug, Clone)]
struct GenRouting {
    scope: usize,
    /// Identity links: canonical name -> (channel, id) members; each identity at most once.
    links: Vec<Vec<(usize, usize)>>,
    bindings: Vec<GenBinding>,
}

/// Channel, account (`*` or `biz`), peer (kind, id), agent.
type GenBinding = (usize, Option<usize>, Option<(usize, usize)>, usize);

fn routing() -> impl Strategy<Value = GenRouting> {
    let identities = proptest::sample::subsequence((0..CHANNELS.len()).flat_map(|c| (0..IDS.len()).map(move |i| (c, i))).collect::<Vec<_>>(), 0..8);
    (
        0..SCOPES.len(),
        identities,
        proptest::collection::vec(1usize..4, 0..3),
        proptest::collection::vec(
            (0..CHANNELS.len(), proptest::option::of(0..2usize), proptest::option::of((0..3usize, 0..IDS.len())), 0..AGENTS.len()),
            0..6,
        ),
    )
        .prop_map(|(scope, identities, sizes, bindings)| {
            // Split the distinct identities into links of the given sizes.
            let mut seen = Vec::new();
            let identities: Vec<(usize, usize)> = identities
                .into_iter()
                .filter(|(c, i)| {
                    let key = (*c, IDS[*i].to_lowercase());
                    let fresh = !seen.contains(&key);
                    seen.push(key);
                    fresh
                })
                .collect();
            let mut links = Vec::new();
            let mut rest = identities.as_slice();
            for size in sizes {
                if rest.len() < size {
                    break;
                }
                let (link, tail) = rest.split_at(size);
                links.push(link.to_vec());
                rest = tail;
            }
            GenRouting { scope, links, bindings }
        })
}

fn quoted(id: &str) -> String {
    format!("\"{id}\"")
}

fn render_routing(r: &GenRouting) -> String {
    let mut out = String::from("agent main { default sandbox off }\nagent family { sandbox all }\nagent work { sandbox non-main }\n");
    out += &format!("sessions {{ dm_scope {}\n", SCOPES[r.scope]);
    for (n, link) in r.links.iter().enumerate() {
        let members: Vec<String> = link.iter().map(|(c, i)| quoted(&format!("{}:{}", CHANNELS[*c], IDS[*i]))).collect();
        out += &format!("  link person{n} = {}\n", members.join(", "));
    }
    out += "}\nroute {\n";
    for (channel, account, peer, agent) in &r.bindings {
        out += CHANNELS[*channel];
        if let Some(a) = account {
            out += if *a == 0 { " account *" } else { " account \"biz\"" };
        }
        if let Some((kind, id)) = peer {
            out += &format!(" peer {} {}", ["direct", "group", "channel"][*kind], quoted(IDS[*id]));
        }
        out += &format!(" -> {}\n", AGENTS[*agent]);
    }
    out + "}\n"
}

fn compile(text: &str) -> Policy {
    match Policy::from_dsl("random.pal", text) {
        Ok(p) => p,
        Err(e) => panic!("generated policy does not compile: {e:?}\n{text}"),
    }
}

/// The canonical identity of a DM sender, as the reference sees it.
fn canonical(r: &GenRouting, channel: usize, id: &str) -> String {
    for (n, link) in r.links.iter().enumerate() {
        if link.iter().any(|(c, i)| *c == channel && IDS[*i].eq_ignore_ascii_case(id)) {
            return format!("link:person{n}");
        }
    }
    format!("peer:{}", id.to_lowercase())
}

#[derive(Debug, Clone, PartialEq)]
struct Msg {
    channel: usize,
    account: usize,
    chat: ChatKind,
    id: usize,
    thread: Option<usize>,
}

fn msg() -> impl Strategy<Value = Msg> {
    (
        0..CHANNELS.len(),
        0..ACCOUNTS.len(),
        prop_oneof![Just(ChatKind::Direct), Just(ChatKind::Group), Just(ChatKind::Channel)],
        0..IDS.len(),
        proptest::option::of(0..IDS.len()),
    )
        .prop_map(|(channel, account, chat, id, thread)| Msg { channel, account, chat, id, thread })
}

/// Threads drawn from a few ids, the one with a `:` included.
const THREADS: &[Option<usize>] = &[None, Some(10), Some(6), Some(4)];

fn universe() -> impl Iterator<Item = Msg> {
    (0..CHANNELS.len()).flat_map(|channel| {
        (0..ACCOUNTS.len()).flat_map(move |account| {
            [ChatKind::Direct, ChatKind::Group, ChatKind::Channel].into_iter().flat_map(move |chat| {
                (0..IDS.len()).flat_map(move |id| {
                    THREADS.iter().filter(move |t| chat != ChatKind::Direct || t.is_none()).map(move |thread| Msg {
                        channel,
                        account,
                        chat,
                        id,
                        thread: *thread,
                    })
                })
            })
        })
    })
}

fn inbound(m: &Msg) -> Inbound<'static> {
    let mut i = Inbound::direct(CHANNELS[m.channel], IDS[m.id], "hi");
    i.account = ACCOUNTS[m.account];
    if m.chat != ChatKind::Direct {
        i.chat = m.chat;
        i.chat_id = IDS[m.id];
        i.sender = "someone";
        i.thread = m.thread.map(|t| IDS[t]);
    }
    i
}

/// What a conversation is, for the reference: two messages belong to one
/// session exactly when their conversation identities are equal.
fn conversation(r: &GenRouting, m: &Msg) -> String {
    let account = ACCOUNTS[m.account].unwrap_or("default").to_lowercase();
    match m.chat {
        ChatKind::Direct => {
            let who = canonical(r, m.channel, IDS[m.id]);
            match SCOPES[r.scope] {
                "main" => "main".into(),
                "per_peer" => format!("dm|{who}"),
                "per_channel_peer" => format!("dm|{}|{who}", m.channel),
                _ => format!("dm|{}|{account}|{who}", m.channel),
            }
        }
        kind => format!("{kind:?}|{}|{}|{:?}", m.channel, IDS[m.id].to_lowercase(), m.thread.map(|t| IDS[t].to_lowercase())),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Keys are equal exactly when the conversations are: distinct unlinked
    /// peers never share under an isolating scope, linked ones always do.
    /// Checked over every message of a small universe, not random pairs, so
    /// that rare collisions (`-100:thread:5` vs `-100` + thread `5`) are met.
    #[test]
    fn session_keys_isolate_and_links_share(r in routing()) {
        let policy = compile(&render_routing(&r));
        let engine = policy.engine();
        for agent in AGENTS {
            let mut by_key: HashMap<String, (String, Msg)> = HashMap::new();
            let mut by_conversation: HashMap<String, String> = HashMap::new();
            for m in universe() {
                let key = engine.session_key_for(agent, &inbound(&m));
                let conv = conversation(&r, &m);
                if let Some((other, first)) = by_key.get(&key) {
                    prop_assert_eq!(other, &conv, "key {} shared by {:?} and {:?}", key, first, m);
                }
                if let Some(other_key) = by_conversation.get(&conv) {
                    prop_assert_eq!(other_key, &key, "conversation {} got two keys", conv);
                }
                by_key.insert(key.clone(), (conv.clone(), m));
                by_conversation.insert(conv, key);
            }
        }
    }

    /// Every member of a link shares one DM session of an agent under per_peer.
    #[test]
    fn linked_identities_share_under_per_peer(mut r in routing()) {
        r.scope = 1;
        let policy = compile(&render_routing(&r));
        let engine = policy.engine();
        for link in &r.links {
            let keys: Vec<String> = link
                .iter()
                .map(|(c, i)| engine.session_key_for("main", &Inbound::direct(CHANNELS[*c], IDS[*i], "hi")))
                .collect();
            prop_assert!(keys.windows(2).all(|w| w[0] == w[1]), "{:?}", keys);
        }
    }

    /// Route never names an agent the policy does not define.
    #[test]
    fn route_returns_a_defined_agent(r in routing(), m in msg()) {
        let policy = compile(&render_routing(&r));
        let route = policy.engine().route(&inbound(&m)).unwrap();
        prop_assert!(AGENTS.contains(&route.agent));
        let prefix = format!("agent:{}:", route.agent);
        prop_assert!(route.session_key.starts_with(&prefix), "{}", route.session_key);
    }
}

#[derive(Debug, Clone)]
struct GenChannel {
    group_policy: usize,
    listed: Vec<(usize, Option<bool>)>,
    star: Option<Option<bool>>,
    group_allow: Option<Vec<usize>>,
    allow_from: Option<Vec<usize>>,
    patterns: Vec<usize>,
    text_commands: Option<bool>,
    command_allow: Option<Vec<usize>>,
}

fn gen_channel() -> impl Strategy<Value = GenChannel> {
    let ids = || proptest::option::of(proptest::collection::vec(0..IDS.len(), 0..3));
    (
        0..3usize,
        proptest::collection::vec((0..IDS.len(), proptest::option::of(any::<bool>())), 0..3),
        proptest::option::of(proptest::option::of(any::<bool>())),
        ids(),
        ids(),
        proptest::sample::subsequence((0..PATTERNS.len()).collect::<Vec<_>>(), 0..3),
        proptest::option::of(any::<bool>()),
        ids(),
    )
        .prop_map(|(group_policy, listed, star, group_allow, allow_from, patterns, text_commands, command_allow)| GenChannel {
            group_policy,
            listed,
            star,
            group_allow,
            allow_from,
            patterns,
            text_commands,
            command_allow,
        })
}

fn render_channel(c: &GenChannel) -> String {
    let ids = |l: &[usize]| if l.is_empty() { "\"nobody\"".to_string() } else { l.iter().map(|i| quoted(IDS[*i])).collect::<Vec<_>>().join(", ") };
    let mention = |m: &Option<bool>| match m {
        None => "",
        Some(true) => " require_mention",
        Some(false) => " no_mention",
    };
    let mut out = String::from("agent main {}\nchannel telegram {\n  dm allowlist\n");
    out += &format!("  groups {} {{\n", ["allowlist", "open", "disabled"][c.group_policy]);
    let mut seen = Vec::new();
    for (id, m) in &c.listed {
        if !seen.contains(&IDS[*id].to_lowercase()) {
            seen.push(IDS[*id].to_lowercase());
            out += &format!("    group {}{}\n", quoted(IDS[*id]), mention(m));
        }
    }
    if let Some(m) = &c.star {
        out += &format!("    group \"*\"{}\n", mention(m));
    }
    out += "  }\n";
    if let Some(l) = &c.group_allow {
        out += &format!("  group_allow_from {}\n", ids(l));
    }
    if let Some(l) = &c.allow_from {
        out += &format!("  allow_from {}\n", ids(l));
    }
    if !c.patterns.is_empty() {
        out += &format!("  mention_patterns {}\n", c.patterns.iter().map(|p| format!("{:?}", PATTERNS[*p])).collect::<Vec<_>>().join(", "));
    }
    if c.text_commands.is_some() || c.command_allow.is_some() {
        out += "  commands {";
        if let Some(t) = c.text_commands {
            out += if t { " text on" } else { " text off" };
        }
        if let Some(l) = &c.command_allow {
            out += &format!(" allow_from {}", ids(l));
        }
        out += " }\n";
    }
    out + "}\n"
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// A group message without a mention, under require-mention with
    /// detectable mentions and no authorised command, is never accepted.
    #[test]
    fn no_mention_bypass_without_an_authorised_command(
        c in gen_channel(),
        chat_id in 0..IDS.len(),
        sender in 0..IDS.len(),
        words in proptest::collection::vec(0..WORDS.len(), 0..4),
        native in proptest::option::of(any::<bool>()),
        command in any::<bool>(),
    ) {
        let policy = compile(&render_channel(&c));
        let text: Vec<&str> = words.iter().map(|w| WORDS[*w]).collect();
        let text = text.join(" ");
        let mut message = Inbound::group("telegram", IDS[chat_id], IDS[sender], &text);
        message.mentioned = native;
        message.command = command;
        let decision = policy.engine().gate(&message);
        if decision.outcome != IngressOutcome::Accept {
            return Ok(());
        }
        // The reference: which rule applies, can mentions be seen, was there one?
        let own = c.listed.iter().find(|(id, _)| IDS[*id].eq_ignore_ascii_case(IDS[chat_id])).map(|(_, m)| *m);
        // A listed group that leaves mention gating unsaid takes the `*` entry's.
        let require = match (own, c.star) {
            (Some(Some(m)), _) => m,
            (Some(None), star) => star.flatten().unwrap_or(true),
            (None, star) => star.is_none_or(|m| m.unwrap_or(true)),
        };
        let regexes: Vec<regex::Regex> = c.patterns.iter().map(|p| regex::RegexBuilder::new(PATTERNS[*p]).case_insensitive(true).build().unwrap()).collect();
        let detectable = native.is_some() || !regexes.is_empty();
        let mentioned = native == Some(true) || regexes.iter().any(|r| r.is_match(&text));
        let authorised_list = c.command_allow.as_ref().or(c.group_allow.as_ref()).or(c.allow_from.as_ref());
        let authorised = authorised_list.is_some_and(|l| l.iter().any(|i| IDS[*i].eq_ignore_ascii_case(IDS[sender])));
        let command_ok = command && c.text_commands.unwrap_or(true) && authorised;
        prop_assert!(
            !require || !detectable || mentioned || command_ok,
            "accepted without mention: {} ({:?})\n{}", decision.reason, message, render_channel(&c)
        );
        prop_assert!(c.group_policy != 2, "disabled groups accepted a message");
    }
}

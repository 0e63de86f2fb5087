//! Text -> owned AST. `grammar/palisade.pest` gives the parse tree; `lower`
//! turns it into [`ast::Policy`] at once and reports what the grammar alone
//! cannot (a statement in the wrong block, a setting given twice).

#[doc(hidden)]
pub mod ast;
pub mod blocks;
#[doc(hidden)]
pub mod limits;
mod lower;

use std::sync::Arc;

use pest::Parser as _;

use crate::diagnostic::Code;
use crate::diagnostic::{Diagnostic, PolicyError, Sink};
use crate::source::{SourceFile, Span};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/palisade.pest"]
pub(crate) struct PalisadeParser;

/// Parses one policy file into the AST. Syntax errors stop at the first one
/// (the grammar cannot resynchronise); lowering errors all come out at once.
pub fn parse(source: Arc<SourceFile>) -> Result<(ast::Policy, Vec<Diagnostic>), PolicyError> {
    limits::check(&source)?;
    // A byte-order mark (as Notepad writes) opens the file: read it as
    // three spaces, so every offset stays the file's own.
    let bom_free;
    let text = match source.text.strip_prefix('\u{feff}') {
        Some(rest) => {
            bom_free = format!("   {rest}");
            bom_free.as_str()
        }
        None => &source.text,
    };
    let pairs = match PalisadeParser::parse(Rule::policy, text) {
        Ok(pairs) => pairs,
        Err(error) => return Err(PolicyError { diagnostics: vec![syntax_error(&source, text, &error)] }),
    };
    let mut sink = Sink::default();
    let policy = lower::lower(pairs, Arc::clone(&source), &mut sink);
    sink.finish(policy)
}

/// The error at the first place `text` (`source`'s text as parsed) fails.
fn syntax_error(source: &SourceFile, text: &str, error: &pest::error::Error<Rule>) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let at = match error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let found = found_token(text, at);
    let span = Span::new(at, at + found.len().max(usize::from(at < text.len())));
    let shown = shown_token(found);
    let positives = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        ErrorVariant::CustomError { message } => return Diagnostic::error(Code::Syntax, source, span, message.clone()).with_label("here"),
    };
    let tokens = expected_tokens(text, at);
    // What may come here: the literal keywords and punctuation the grammar
    // tried, then what only a rule names (a name, a string).
    let mut expected: Vec<String> = tokens.iter().map(|t| format!("`{t}`")).collect();
    for rule in positives {
        let described = describe(rule);
        if !described.starts_with('`') && !described.is_empty() && !expected.iter().any(|e| e == described) {
            expected.push(described.to_string());
        }
    }
    expected.dedup();

    if unclosed_string(text, at) {
        return Diagnostic::error(Code::Syntax, source, Span::new(at, at + 1), "this string is not closed before the end of the line")
            .with_label("the string starts here")
            .with_help("end it with `\"` on the same line (a `\"` inside a string is written `\\\"`)");
    }
    if let Some(open) = unclosed_brace(text, at).filter(|_| tokens.iter().any(|t| t == "}")) {
        let ends_file = found.is_empty();
        let starts_item = TOP_LEVEL.contains(&found) && text.get(..at).is_some_and(|t| t.ends_with('\n') || t.is_empty());
        if ends_file || starts_item {
            let opened = source.location(Span::new(open, open + 1));
            let block = block_name(text, open);
            let message = if ends_file {
                format!("the file ends inside `{block}`: its `{{` at {}:{} is never closed", opened.line, opened.col)
            } else {
                format!("expected `}}` to close `{block}` (opened at {}:{}), found {shown}", opened.line, opened.col)
            };
            return Diagnostic::error(Code::Syntax, source, span, message)
                .with_label(if ends_file { "the file ends here" } else { "a new item begins here" })
                .with_related(Span::new(open, open + 1), "this `{` is never closed")
                .with_help(format!("add `}}` where `{block}` should end"));
        }
    }
    let message = match expected.as_slice() {
        [] => format!("unexpected {shown}"),
        [one] => format!("expected {one}, found {shown}"),
        [rest @ .., last] => format!("expected {} or {last}, found {shown}", rest.join(", ")),
    };
    let mut diagnostic = Diagnostic::error(Code::Syntax, source, span, message).with_label("here");
    let word: String = found.chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '=' | '>')).collect();
    let help = if matches!(word.as_str(), "=>" | "=" | "=>>") && tokens.iter().any(|t| t == "->") {
        Some("a binding points to its agent with `->`".to_string())
    } else if found.starts_with('\u{feff}') {
        Some("the file begins with a byte-order mark (U+FEFF, as some editors write); save it as UTF-8 without one".to_string())
    } else if found.chars().any(char::is_control) {
        Some("the file holds a control character here; remove it".to_string())
    } else {
        crate::diagnostic::suggest(&word, tokens.iter().map(String::as_str).filter(|t| t.chars().all(|c| c.is_ascii_alphabetic() || c == '_')))
            .map(|s| format!("did you mean `{s}`?"))
    };
    if let Some(help) = help {
        diagnostic = diagnostic.with_help(help);
    }
    diagnostic
}

/// Keywords that begin an item at the top of a policy.
const TOP_LEVEL: &[&str] = &["agent", "tools", "group", "plugin_tools", "owners", "sandbox", "channel", "sessions", "route", "gateway", "test"];

/// The literal tokens the grammar would accept at `at`, where the parse failed.
/// Parsed a second time with pest's error detail on, which the happy path
/// never pays for.
fn expected_tokens(text: &str, at: usize) -> Vec<String> {
    pest::set_error_detail(true);
    let attempt = PalisadeParser::parse(Rule::policy, text);
    pest::set_error_detail(false);
    let Some(attempts) = attempt.err().and_then(|e| e.parse_attempts()) else { return Vec::new() };
    // Inside an atomic rule (a duration's unit) the attempts reach past
    // where the error is reported; those tokens would mislead there.
    if attempts.max_position != at {
        return Vec::new();
    }
    attempts
        .expected_tokens()
        .iter()
        .map(ToString::to_string)
        // `/` starts a comment; ranges (`\t..\r`) are whitespace; neither is worth naming.
        .filter(|t| t != "/" && !t.contains("..") && t != "BUILTIN_RULE")
        .collect()
}

/// Whether `at` begins a string that the line does not close.
fn unclosed_string(text: &str, at: usize) -> bool {
    let Some(rest) = text.get(at..).and_then(|r| r.strip_prefix('"')) else { return false };
    let line = rest.split('\n').next().unwrap_or("");
    let mut escaped = false;
    for c in line.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return false,
            _ => {}
        }
    }
    true
}

/// The innermost `{` still open at `at`, skipping strings and comments.
fn unclosed_brace(text: &str, at: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut open = Vec::new();
    let mut i = 0;
    while i < at.min(bytes.len()) {
        match bytes.get(i) {
            Some(b'"') => {
                i += 1;
                while let Some(&b) = bytes.get(i) {
                    match b {
                        b'\\' => i += 1,
                        b'"' | b'\n' => break,
                        _ => {}
                    }
                    i += 1;
                }
            }
            Some(b'/') if bytes.get(i + 1) == Some(&b'/') => {
                while bytes.get(i).is_some_and(|b| *b != b'\n') {
                    i += 1;
                }
            }
            Some(b'/') if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < bytes.len() && !(bytes.get(i) == Some(&b'*') && bytes.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 1;
            }
            Some(b'{') => open.push(i),
            Some(b'}') => {
                open.pop();
            }
            _ => {}
        }
        i += 1;
    }
    open.pop()
}

/// The words before a block's `{` on its line (`agent main`, `tools`).
fn block_name(text: &str, open: usize) -> String {
    let before = text.get(..open).unwrap_or("");
    let line = before.rsplit('\n').next().unwrap_or("");
    // The last statement on the line: after the previous `{` or `}`.
    let tail = line.rsplit(['{', '}']).next().unwrap_or(line).trim();
    let words: Vec<&str> = tail.split_whitespace().take(3).collect();
    if words.is_empty() {
        "this block".to_string()
    } else {
        words.join(" ")
    }
}

/// A found token as a message shows it: control characters escaped, a
/// byte-order mark named.
fn shown_token(found: &str) -> String {
    if found.is_empty() {
        return "end of file".to_string();
    }
    if found.starts_with('\u{feff}') {
        return "a byte-order mark (U+FEFF)".to_string();
    }
    if found.chars().any(char::is_control) {
        return format!("`{}`", found.escape_debug());
    }
    format!("`{found}`")
}

fn found_token(text: &str, at: usize) -> &str {
    let rest = text.get(at..).unwrap_or("");
    let end = rest
        .char_indices()
        .find(|(i, c)| c.is_whitespace() || (*i > 0 && matches!(c, '{' | '}' | '[' | ']' | ',' | '"')))
        .map_or(rest.len(), |(i, _)| if i == 0 { rest.chars().next().map_or(0, char::len_utf8) } else { i });
    rest.get(..end.min(40)).unwrap_or("")
}

fn describe(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "end of file",
        Rule::group_def => "`group`",
        Rule::plugin_tools => "`plugin_tools`",
        Rule::owners => "`owners`",
        Rule::tools_block => "`tools`",
        Rule::sandbox_defaults | Rule::agent_sandbox | Rule::sandbox_rules => "`sandbox`",
        Rule::agent_def => "`agent`",
        Rule::test_def => "`test`",
        Rule::tool_list | Rule::tool_ref | Rule::tool_word => "a tool name",
        Rule::group_ref => "a group (`group:name`)",
        Rule::rules_body => "`{`",
        Rule::profile_stmt => "`profile`",
        Rule::allow_stmt => "`allow`",
        Rule::also_allow_stmt => "`also_allow`",
        Rule::deny_stmt => "`deny`",
        Rule::provider_rules | Rule::provider_mod => "`provider`",
        Rule::subagents_rules => "`subagents`",
        Rule::sender_rules | Rule::sender_mod => "`sender`",
        Rule::kw_defaults => "`defaults`",
        Rule::sandbox_body => "sandbox settings",
        Rule::mode_setting | Rule::mode_value => "a sandbox mode (off, non-main, all)",
        Rule::scope_setting => "`scope`",
        Rule::workspace_setting => "`workspace`",
        Rule::docker_block => "`docker`",
        Rule::docker_setting | Rule::docker_key => {
            "a docker setting (image, network, read_only_root, cap_drop, memory, pids, cpus, user, bind, prefix, no_new_privileges, init)"
        }
        Rule::atom => "a value",
        Rule::default_flag => "`default`",
        Rule::expectation | Rule::verdict => "`allow` or `deny`",
        Rule::kw_tool => "`tool`",
        Rule::kw_for => "`for`",
        Rule::session_mod => "`session`",
        Rule::subagent_mod => "`subagent`",
        Rule::non_owner_mod => "`non_owner`",
        Rule::channel_def => "`channel`",
        Rule::dm_stmt => "`dm`",
        Rule::allow_from_stmt => "`allow_from`",
        Rule::group_allow_from_stmt => "`group_allow_from`",
        Rule::groups_block => "`groups`",
        Rule::group_entry => "`group`",
        Rule::guild_entry => "`guild`",
        Rule::roles_stmt => "`roles`",
        Rule::require_mention => "`require_mention`",
        Rule::no_mention => "`no_mention`",
        Rule::group_disabled => "`disabled`",
        Rule::mention_stmt => "`mention_patterns`",
        Rule::commands_block => "`commands`",
        Rule::text_commands => "`text`",
        Rule::on_off => "`on` or `off`",
        Rule::sessions_def => "`sessions`",
        Rule::dm_scope_stmt => "`dm_scope`",
        Rule::link_stmt => "`link`",
        Rule::route_def => "`route`",
        Rule::binding => "a binding (`CHANNEL ... -> AGENT`)",
        Rule::account_match => "`account`",
        Rule::peer_match => "`peer`",
        Rule::peer_kind => "a peer kind (direct, group, channel)",
        Rule::guild_match => "`guild`",
        Rule::team_match => "`team`",
        Rule::roles_match => "`roles`",
        Rule::star => "`*`",
        Rule::gateway_def => "`gateway`",
        Rule::bind_stmt => "`bind`",
        Rule::port_stmt => "`port`",
        Rule::auth_stmt => "`auth`",
        Rule::kw_from => "`from`",
        Rule::env_source => "`env`",
        Rule::file_source => "`file`",
        Rule::rate_limit_stmt => "`rate_limit`",
        Rule::kw_per => "`per`",
        Rule::kw_lockout => "`lockout`",
        Rule::number => "a number",
        Rule::pairing_stmt => "`pairing`",
        Rule::skew_stmt => "`device_skew`",
        Rule::pairing_ttl => "`ttl`",
        Rule::pairing_cap => "`max_pending`",
        Rule::duration => "a duration (`30s`, `1m`, `2h`)",
        Rule::ident => "a name",
        Rule::key | Rule::bare_key | Rule::key_list => "a key (a name or a string)",
        Rule::string | Rule::string_inner => "a string",
        Rule::ask_stmt => "`ask`",
        Rule::exec_rules => "`exec`",
        // A rule with no words of its own: its literal tokens say it.
        _ => "",
    }
}

//! Text -> owned AST. `grammar/palisade.pest` gives the parse tree; `lower`
//! turns it into [`ast::Policy`] at once and reports what the grammar alone
//! cannot (a statement in the wrong block, a setting given twice).

#[doc(hidden)]
pub mod ast;
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
    let pairs = match PalisadeParser::parse(Rule::policy, &source.text) {
        Ok(pairs) => pairs,
        Err(error) => return Err(PolicyError { diagnostics: vec![syntax_error(&source, &error)] }),
    };
    let mut sink = Sink::default();
    let policy = lower::lower(pairs, Arc::clone(&source), &mut sink);
    sink.finish(policy)
}

fn syntax_error(source: &SourceFile, error: &pest::error::Error<Rule>) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let at = match error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let found = found_token(&source.text, at);
    let span = Span::new(at, at + found.len().max(usize::from(at < source.text.len())));
    let message = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            let mut expected: Vec<&str> = positives.iter().map(|r| describe(*r)).collect();
            expected.sort_unstable();
            expected.dedup();
            let found = if found.is_empty() { "end of file".to_string() } else { format!("`{found}`") };
            match expected.as_slice() {
                [] => format!("unexpected {found}"),
                [one] => format!("expected {one}, found {found}"),
                [rest @ .., last] => format!("expected {} or {last}, found {found}", rest.join(", ")),
            }
        }
        ErrorVariant::CustomError { message } => message.clone(),
    };
    Diagnostic::error(Code::Syntax, source, span, message).with_label("here")
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
        _ => "something else",
    }
}

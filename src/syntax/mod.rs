//! Text -> owned AST. `grammar/palisade.pest` gives the parse tree; `lower`
//! turns it into [`ast::Policy`] at once and reports what the grammar alone
//! cannot (a statement in the wrong block, a setting given twice).

pub mod ast;
mod lower;

use std::sync::Arc;

use pest::Parser as _;

use crate::diagnostic::{Diagnostic, PolicyError, Sink};
use crate::source::{SourceFile, Span};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/palisade.pest"]
pub(crate) struct PalisadeParser;

/// Parses one policy file into the AST. Syntax errors stop at the first one
/// (the grammar cannot resynchronise); lowering errors all come out at once.
pub fn parse(source: Arc<SourceFile>) -> Result<(ast::Policy, Vec<Diagnostic>), PolicyError> {
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
    Diagnostic::error("palisade::syntax", source, span, message).with_label("here")
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
        Rule::group_def | Rule::kw_group => "`group`",
        Rule::plugin_tools | Rule::kw_plugin_tools => "`plugin_tools`",
        Rule::owners | Rule::kw_owners => "`owners`",
        Rule::tools_block | Rule::kw_tools => "`tools`",
        Rule::sandbox_defaults | Rule::agent_sandbox | Rule::sandbox_rules | Rule::kw_sandbox => "`sandbox`",
        Rule::agent_def | Rule::kw_agent => "`agent`",
        Rule::test_def | Rule::kw_test => "`test`",
        Rule::tool_list | Rule::tool_ref | Rule::tool_word => "a tool name",
        Rule::group_ref => "a group (`group:name`)",
        Rule::rules_body => "`{`",
        Rule::profile_stmt | Rule::kw_profile => "`profile`",
        Rule::allow_stmt | Rule::kw_allow => "`allow`",
        Rule::also_allow_stmt | Rule::kw_also_allow => "`also_allow`",
        Rule::deny_stmt | Rule::kw_deny => "`deny`",
        Rule::provider_rules | Rule::provider_mod | Rule::kw_provider => "`provider`",
        Rule::subagents_rules | Rule::kw_subagents => "`subagents`",
        Rule::sender_rules | Rule::sender_mod | Rule::kw_sender => "`sender`",
        Rule::kw_defaults => "`defaults`",
        Rule::sandbox_body => "sandbox settings",
        Rule::mode_setting | Rule::mode_value | Rule::kw_mode => "a sandbox mode (off, non-main, all)",
        Rule::scope_setting | Rule::kw_scope => "`scope`",
        Rule::workspace_setting | Rule::kw_workspace => "`workspace`",
        Rule::docker_block | Rule::kw_docker => "`docker`",
        Rule::docker_setting | Rule::docker_key => {
            "a docker setting (image, network, read_only_root, cap_drop, memory, pids, cpus, user, bind, prefix, no_new_privileges, init)"
        }
        Rule::atom => "a value",
        Rule::default_flag | Rule::kw_default => "`default`",
        Rule::expectation | Rule::verdict => "`allow` or `deny`",
        Rule::kw_tool => "`tool`",
        Rule::kw_for => "`for`",
        Rule::session_mod | Rule::kw_session => "`session`",
        Rule::subagent_mod | Rule::kw_subagent => "`subagent`",
        Rule::non_owner_mod | Rule::kw_non_owner => "`non_owner`",
        Rule::channel_def | Rule::kw_channel => "`channel`",
        Rule::dm_stmt | Rule::kw_dm => "`dm`",
        Rule::allow_from_stmt | Rule::kw_allow_from => "`allow_from`",
        Rule::group_allow_from_stmt | Rule::kw_group_allow_from => "`group_allow_from`",
        Rule::groups_block | Rule::kw_groups => "`groups`",
        Rule::group_entry => "`group`",
        Rule::require_mention | Rule::kw_require_mention => "`require_mention`",
        Rule::no_mention | Rule::kw_no_mention => "`no_mention`",
        Rule::mention_stmt | Rule::kw_mention_patterns => "`mention_patterns`",
        Rule::commands_block | Rule::kw_commands => "`commands`",
        Rule::text_commands | Rule::kw_text => "`text`",
        Rule::on_off => "`on` or `off`",
        Rule::sessions_def | Rule::kw_sessions => "`sessions`",
        Rule::dm_scope_stmt | Rule::kw_dm_scope => "`dm_scope`",
        Rule::link_stmt | Rule::kw_link => "`link`",
        Rule::route_def | Rule::kw_route => "`route`",
        Rule::binding => "a binding (`CHANNEL ... -> AGENT`)",
        Rule::account_match | Rule::kw_account => "`account`",
        Rule::peer_match | Rule::kw_peer => "`peer`",
        Rule::peer_kind => "a peer kind (direct, group, channel)",
        Rule::guild_match | Rule::kw_guild => "`guild`",
        Rule::team_match | Rule::kw_team => "`team`",
        Rule::roles_match | Rule::kw_roles => "`roles`",
        Rule::star => "`*`",
        Rule::gateway_def | Rule::kw_gateway => "`gateway`",
        Rule::bind_stmt | Rule::kw_bind => "`bind`",
        Rule::port_stmt | Rule::kw_port => "`port`",
        Rule::auth_stmt | Rule::kw_auth => "`auth`",
        Rule::kw_from => "`from`",
        Rule::env_source | Rule::kw_env => "`env`",
        Rule::file_source | Rule::kw_file => "`file`",
        Rule::rate_limit_stmt | Rule::kw_rate_limit => "`rate_limit`",
        Rule::kw_per => "`per`",
        Rule::kw_lockout => "`lockout`",
        Rule::number => "a number",
        Rule::pairing_stmt | Rule::kw_pairing => "`pairing`",
        Rule::skew_stmt | Rule::kw_device_skew => "`device_skew`",
        Rule::pairing_ttl | Rule::kw_ttl => "`ttl`",
        Rule::pairing_cap | Rule::kw_max_pending => "`max_pending`",
        Rule::duration => "a duration (`30s`, `1m`, `2h`)",
        Rule::ident => "a name",
        Rule::key | Rule::bare_key | Rule::key_list => "a key (a name or a string)",
        Rule::string | Rule::string_inner => "a string",
        _ => "something else",
    }
}


//! `palisade check | decide | explain | tools | import`.

/// `println!` that ends the process quietly when stdout is closed (a pipe
/// into `head`), instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {{
        let mut stdout = std::io::stdout().lock();
        if writeln!(stdout, $($arg)*).is_err() {
            std::process::exit(0);
        }
    }};
}

mod request;

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use palisade::Code;
use palisade::{Diagnostic, LoadError, Policy};

#[derive(Parser)]
#[command(name = "palisade", version, about = "Policy engine for AI-agent runtimes")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Validate policies (.pal DSL or OpenClaw .json) and run their `test` blocks.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Decide requests: one JSON decision per request.
    Decide {
        file: PathBuf,
        /// One request as JSON.
        #[arg(long, conflicts_with = "requests", required_unless_present = "requests")]
        request: Option<String>,
        /// A JSONL file of requests, one per line (`-` for stdin).
        #[arg(long)]
        requests: Option<PathBuf>,
    },
    /// Explain a decision: every layer in order, what it did and why.
    Explain {
        file: PathBuf,
        #[arg(long)]
        request: String,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// List the tools an agent may call in a context.
    Tools {
        file: PathBuf,
        #[arg(long)]
        agent: String,
        #[arg(long)]
        provider: Option<String>,
        #[arg(long)]
        session: Option<String>,
        #[arg(long)]
        sender: Option<String>,
        #[arg(long)]
        subagent: bool,
        /// Decide as an owner (left out: not an owner, as every request).
        #[arg(long)]
        owner: bool,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Print the DSL equivalent of an OpenClaw JSON configuration.
    Import { file: PathBuf },
    /// Check the bundled example policy and decide a few requests with it.
    Demo,
    /// Run the gateway: authenticated HTTP API, decisions, Docker sandboxes.
    /// SIGHUP re-reads the policy file (refused whole if it does not compile
    /// or changes the gateway block).
    #[cfg(feature = "gateway")]
    Gateway {
        /// The policy (.pal or OpenClaw .json).
        #[arg(long)]
        policy: PathBuf,
        /// ADDR:PORT to listen on, overriding the policy's bind and port.
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
        /// Where workspaces and scratch directories live.
        #[arg(long, default_value = ".palisade")]
        state_dir: PathBuf,
        /// Seconds a tool run may take before it is killed.
        #[arg(long, default_value_t = 30)]
        timeout: u64,
        /// Remove containers unused this long (`30m`, `1h`).
        #[arg(long, default_value = "1h", value_parser = duration)]
        prune_idle: std::time::Duration,
        /// Remove containers older than this.
        #[arg(long, default_value = "24h", value_parser = duration)]
        prune_max_age: std::time::Duration,
        /// The most live sandbox containers; a call that needs another gets 503.
        #[arg(long, default_value_t = palisade_gateway::sandbox::MAX_CONTAINERS)]
        max_sandboxes: usize,
        /// The most live sandbox containers of one agent.
        #[arg(long, default_value_t = palisade_gateway::sandbox::MAX_CONTAINERS_PER_AGENT)]
        max_sandboxes_per_agent: usize,
    },
    /// Operate on the Docker sandboxes.
    #[cfg(feature = "gateway")]
    Sandbox {
        #[command(subcommand)]
        command: SandboxCommand,
    },
}

#[cfg(feature = "gateway")]
#[derive(Subcommand)]
enum SandboxCommand {
    /// Build the minimal sandbox image from a static busybox (no registry needed).
    Image {
        #[arg(long, default_value = "palisade-sandbox:latest")]
        name: String,
        #[arg(long)]
        busybox: Option<PathBuf>,
    },
    /// List the containers the gateway made, with their scope keys.
    List,
    /// Show where an agent's call would run: scope key, container, workspace, settings.
    Explain {
        #[arg(long)]
        policy: PathBuf,
        #[arg(long)]
        agent: String,
        #[arg(long)]
        session: Option<String>,
        #[arg(long, default_value = ".palisade")]
        state_dir: PathBuf,
    },
    /// Remove containers so that their next use recreates them.
    Recreate {
        /// Container names (from `sandbox list`); `--all` for every one.
        names: Vec<String>,
        #[arg(long)]
        all: bool,
    },
    /// Remove idle or old containers now.
    Prune {
        #[arg(long, default_value = "1h", value_parser = duration)]
        idle: std::time::Duration,
        #[arg(long, default_value = "24h", value_parser = duration)]
        max_age: std::time::Duration,
        #[arg(long, default_value = ".palisade")]
        state_dir: PathBuf,
        /// Only containers whose name starts with this.
        #[arg(long, default_value = "")]
        prefix: String,
    },
}

#[cfg(feature = "gateway")]
fn duration(text: &str) -> Result<std::time::Duration, String> {
    palisade::unstable::settings::parse_duration(text).ok_or_else(|| format!("`{text}` is not a duration (30s, 5m, 1h, 1d)"))
}

/// The bundled example, so that `palisade demo` works with no files at all.
const DEMO_POLICY: &str = include_str!("../../../../examples/multi-agent.pal");
const DEMO_REQUESTS: &[&str] = &[
    r#"{"kind":"tool","agent":"main","tool":"exec","provider":"anthropic"}"#,
    r#"{"kind":"tool","agent":"main","tool":"exec","provider":"openai/gpt-5"}"#,
    r#"{"kind":"tool","agent":"main","tool":"exec"}"#,
    r#"{"kind":"tool","agent":"main","tool":"cron","owner":true,"sender":"telegram:999"}"#,
    r#"{"kind":"tool","agent":"main","tool":"cron","provider":"anthropic"}"#,
    r#"{"kind":"tool","agent":"family","tool":"read"}"#,
    r#"{"kind":"tool","agent":"family","tool":"exec","provider":"anthropic"}"#,
    r#"{"kind":"tool","agent":"public","tool":"sessions_send","session":"agent:public:telegram:direct:42"}"#,
    r#"{"kind":"tool","agent":"public","tool":"web_fetch"}"#,
    r#"{"kind":"tool","agent":"main","tool":"sessions_spawn","subagent":true}"#,
    r#"{"kind":"ingress","channel":"telegram","chat":"direct","sender":"999","text":"hello?"}"#,
    r#"{"kind":"ingress","channel":"telegram","chat":"group","chat_id":"-1001","sender":"333","text":"what's the plan"}"#,
    r#"{"kind":"ingress","channel":"telegram","chat":"group","chat_id":"-1001","sender":"333","text":"hey bot, what's the plan"}"#,
    r#"{"kind":"route","channel":"telegram","chat":"direct","sender":"333"}"#,
    r#"{"kind":"route","channel":"discord","chat":"direct","sender":"222"}"#,
];

fn demo() -> ExitCode {
    let policy = match Policy::from_dsl("examples/multi-agent.pal", DEMO_POLICY) {
        Ok(p) => p,
        Err(error) => {
            print_diagnostics(&error.diagnostics);
            return ExitCode::from(1);
        }
    };
    let tests: usize = policy.ast().tests.iter().map(|t| t.expectations.len()).sum();
    outln!("bundled policy examples/multi-agent.pal: {} agents, {tests} test expectations pass", policy.engine().agent_ids().count());
    outln!();
    for text in DEMO_REQUESTS {
        outln!("$ palisade explain examples/multi-agent.pal --request '{text}'");
        if explain(&policy, text, Format::Text) != ExitCode::SUCCESS {
            return ExitCode::from(2);
        }
        outln!();
    }
    ExitCode::SUCCESS
}

#[cfg(feature = "gateway")]
fn runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => Some(rt),
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            None
        }
    }
}

#[cfg(feature = "gateway")]
fn gateway(policy: &Policy, options: palisade_gateway::GatewayOptions) -> ExitCode {
    let Some(rt) = runtime() else { return ExitCode::from(2) };
    let served = rt.block_on(palisade_gateway::serve(policy.clone(), options, |addr| {
        outln!("palisade gateway listening on http://{addr}");
    }));
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", render(&e));
            ExitCode::from(2)
        }
    }
}

#[cfg(feature = "gateway")]
fn sandbox(command: SandboxCommand) -> ExitCode {
    use palisade_gateway::sandbox::Sandboxes;
    if let SandboxCommand::Explain { policy, agent, session, state_dir } = &command {
        return with_policy(policy, |policy| sandbox_explain(policy, agent, session.as_deref(), state_dir));
    }
    let Some(rt) = runtime() else { return ExitCode::from(2) };
    rt.block_on(async {
        let sandboxes = match Sandboxes::connect(PathBuf::from(".palisade"), std::time::Duration::from_secs(30)).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{}", render(&e));
                return ExitCode::from(2);
            }
        };
        match command {
            SandboxCommand::Image { name, busybox } => {
                let busybox = busybox.or_else(|| ["/bin/busybox", "/usr/bin/busybox"].iter().map(PathBuf::from).find(|p| p.exists()));
                let Some(busybox) = busybox else {
                    eprintln!("error: no busybox found; install busybox-static or pass --busybox PATH");
                    return ExitCode::from(2);
                };
                match sandboxes.build_image(&name, &busybox).await {
                    Ok(()) => {
                        outln!("built {name} from {}", busybox.display());
                        ExitCode::SUCCESS
                    }
                    Err(e) => {
                        eprintln!("{}", render(&e));
                        ExitCode::from(2)
                    }
                }
            }
            SandboxCommand::Explain { .. } => ExitCode::from(2),
            SandboxCommand::Recreate { names, all } => {
                let names = if all {
                    match sandboxes.list().await {
                        Ok(list) => list.into_iter().map(|(name, _)| name).collect(),
                        Err(e) => {
                            eprintln!("{}", render(&e));
                            return ExitCode::from(2);
                        }
                    }
                } else {
                    names
                };
                for name in names {
                    if let Err(e) = sandboxes.remove(&name).await {
                        eprintln!("{}", render(&e));
                        return ExitCode::from(2);
                    }
                    outln!("removed {name}; its next use recreates it");
                }
                ExitCode::SUCCESS
            }
            SandboxCommand::Prune { idle, max_age, state_dir, prefix } => {
                let sandboxes = sandboxes.with_state_dir(state_dir.clone());
                let store = match palisade_gateway::store::Store::open(&state_dir.join("palisade.db")) {
                    Ok(s) => s,
                    Err(e) => {
                        eprintln!("{}", render(&e));
                        return ExitCode::from(2);
                    }
                };
                match sandboxes.prune(&store, &prefix, idle, max_age, palisade_gateway::store::now_ms()).await {
                    Ok(removed) => {
                        for name in &removed {
                            outln!("pruned {name}");
                        }
                        outln!("{} container(s) pruned", removed.len());
                        ExitCode::SUCCESS
                    }
                    Err(e) => {
                        eprintln!("{}", render(&e));
                        ExitCode::from(2)
                    }
                }
            }
            SandboxCommand::List => match sandboxes.list().await {
                Ok(list) => {
                    for (name, scope) in list {
                        outln!("{name}\t{scope}");
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("{}", render(&e));
                    ExitCode::from(2)
                }
            },
        }
    })
}

#[cfg(feature = "gateway")]
fn sandbox_explain(policy: &Policy, agent: &str, session: Option<&str>, state_dir: &Path) -> ExitCode {
    use palisade_gateway::sandbox;
    let engine = policy.engine();
    let Some(config) = engine.sandbox(agent) else {
        eprintln!("error: unknown agent `{agent}`");
        return ExitCode::from(2);
    };
    let agent = agent.trim().to_lowercase();
    let session = session.map_or_else(|| palisade::main_session_key(&agent), str::to_string);
    let request = palisade::ToolRequest { session: Some(&session), ..palisade::ToolRequest::new(&agent, "") };
    let sandboxed = engine.context(&request).map(|c| c.sandboxed()).unwrap_or(true);
    outln!("agent {agent}, session {session}: sandbox mode {:?}, {}", config.mode, if sandboxed { "runs sandboxed" } else { "runs on the host" });
    if !sandboxed {
        outln!("  workspace {}", sandbox::agent_workspace(state_dir, &agent).display());
        return ExitCode::SUCCESS;
    }
    let placement = sandbox::placement(config, state_dir, &agent, &session);
    outln!("  scope {:?}, scope key {}", config.scope, placement.scope_key);
    outln!("  container {}", placement.container);
    match &placement.workspace {
        Some(dir) => outln!("  workspace {} at /workspace ({})", dir.display(), if placement.read_only { "read-only" } else { "read-write" }),
        None => outln!("  workspace: a private tmpfs at /workspace ({} at most), gone with the container", palisade_gateway::sandbox::SCRATCH_SIZE),
    }
    match sandbox::container_body(config, &placement) {
        Ok(body) => match serde_json::to_string_pretty(&body) {
            Ok(text) => outln!("{text}"),
            Err(e) => eprintln!("error: {e}"),
        },
        Err(e) => {
            eprintln!("{}", render(&e));
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}

/// Exit codes: 0 ok, 1 policy invalid or a test failed, 2 bad usage or request.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { files, format } => check(&files, format),
        #[cfg(feature = "gateway")]
        Command::Gateway { policy, listen, state_dir, timeout, prune_idle, prune_max_age, max_sandboxes, max_sandboxes_per_agent } => {
            let policy_path = Some(policy.clone());
            with_policy(&policy, |policy| {
                let timeout = std::time::Duration::from_secs(timeout.max(1));
                let options = palisade_gateway::GatewayOptions {
                    listen,
                    state_dir,
                    timeout,
                    prune_idle,
                    prune_max_age,
                    policy_path,
                    max_sandboxes,
                    max_sandboxes_per_agent,
                };
                gateway(policy, options)
            })
        }
        #[cfg(feature = "gateway")]
        Command::Sandbox { command } => sandbox(command),
        Command::Decide { file, request, requests } => with_policy(&file, |policy| decide(policy, request, requests)),
        Command::Explain { file, request, format } => with_policy(&file, |policy| explain(policy, &request, format)),
        Command::Tools { file, agent, provider, session, sender, subagent, owner, format } => with_policy(&file, |policy| {
            let request = palisade::ToolRequest {
                agent: &agent,
                tool: "",
                provider: provider.as_deref(),
                session: session.as_deref(),
                subagent,
                owner,
                sender: sender.as_deref(),
            };
            tools(policy, &request, format)
        }),
        Command::Import { file } => import(&file),
        Command::Demo => demo(),
    }
}

fn render(diagnostic: &dyn miette::Diagnostic) -> String {
    let theme = if std::io::stderr().is_terminal() { miette::GraphicalTheme::unicode() } else { miette::GraphicalTheme::unicode_nocolor() };
    let handler = miette::GraphicalReportHandler::new_themed(theme).with_context_lines(1);
    let mut out = String::new();
    match handler.render_report(&mut out, diagnostic) {
        Ok(()) => out,
        Err(_) => diagnostic.to_string(),
    }
}

fn print_diagnostics(diagnostics: &[Diagnostic]) {
    let mut err = std::io::stderr().lock();
    for d in diagnostics {
        let _ = writeln!(err, "{}", render(d));
    }
}

fn load(path: &Path) -> Result<Policy, LoadError> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map_err(|source| LoadError::Io { path: "-".into(), source })?;
        return Ok(Policy::from_dsl("<stdin>", &text)?);
    }
    Policy::load(path)
}

/// Loads a policy for a command that needs a valid one; diagnostics go to stderr.
fn with_policy(path: &Path, run: impl FnOnce(&Policy) -> ExitCode) -> ExitCode {
    match load(path) {
        Ok(policy) => {
            print_diagnostics(policy.warnings());
            run(&policy)
        }
        Err(LoadError::Policy(error)) => {
            print_diagnostics(&error.diagnostics);
            eprintln!("{error}");
            ExitCode::from(1)
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}

fn check(files: &[PathBuf], format: Format) -> ExitCode {
    let mut failed = false;
    let mut json = Vec::new();
    for file in files {
        let (diagnostics, summary) = match load(file) {
            Ok(policy) => {
                let engine = policy.engine();
                let tests: usize = policy.ast().tests.iter().map(|t| t.expectations.len()).sum();
                let summary = format!(
                    "ok: {} ({} agents, {} tools, {tests} test expectations passed, {} warnings)",
                    file.display(),
                    engine.agent_ids().count(),
                    engine.tool_names().len(),
                    policy.warnings().len()
                );
                (policy.warnings().to_vec(), Some(summary))
            }
            Err(LoadError::Policy(error)) => {
                failed = true;
                (error.diagnostics, None)
            }
            Err(error) => {
                failed = true;
                if format == Format::Json {
                    json.push(serde_json::json!({"file": file.display().to_string(), "severity": "error",
                        "code": Code::Io, "message": error.to_string()}));
                } else {
                    eprintln!("error: {error}");
                }
                continue;
            }
        };
        match format {
            Format::Json => json.extend(diagnostics.iter().map(Diagnostic::to_json)),
            Format::Text => {
                print_diagnostics(&diagnostics);
                match summary {
                    Some(s) => outln!("{s}"),
                    None => {
                        let errors = diagnostics.iter().filter(|d| d.is_error()).count();
                        eprintln!("{}: {errors} error(s)", file.display());
                    }
                }
            }
        }
    }
    if format == Format::Json {
        let out = serde_json::json!({"ok": !failed, "diagnostics": json});
        outln!("{out}");
    }
    ExitCode::from(u8::from(failed))
}

fn decide(policy: &Policy, request: Option<String>, requests: Option<PathBuf>) -> ExitCode {
    let engine = policy.engine();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if let Some(text) = request {
        return match request::parse(&text) {
            Ok(req) => {
                let _ = writeln!(out, "{}", request::decision_json(engine, &req));
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: bad request: {e}");
                ExitCode::from(2)
            }
        };
    }
    let Some(path) = requests else { return ExitCode::from(2) };
    let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        match std::fs::File::open(&path) {
            Ok(f) => Box::new(std::io::BufReader::new(f)),
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
    };
    let mut bad = 0usize;
    for (index, line) in request::bounded_lines(reader).enumerate() {
        let line_no = index + 1;
        let result = line.map_err(|e| e.to_string()).and_then(|l| if l.trim().is_empty() { Ok(None) } else { request::parse(&l).map(Some) });
        match result {
            Ok(None) => {}
            Ok(Some(req)) => {
                let _ = writeln!(out, "{}", request::decision_json(engine, &req));
            }
            Err(e) => {
                bad += 1;
                let message = format!("{}:{line_no}: bad request: {e}", path.display());
                eprintln!("error: {message}");
                // Keep one output line per request so callers can zip them.
                let _ = writeln!(out, "{}", serde_json::json!({"error": message, "line": line_no}));
            }
        }
    }
    let _ = out.flush();
    if bad > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

fn explain(policy: &Policy, text: &str, format: Format) -> ExitCode {
    let req = match request::parse(text) {
        Ok(req) => req,
        Err(e) => {
            eprintln!("error: bad request: {e}");
            return ExitCode::from(2);
        }
    };
    let req = match req {
        request::AnyRequest::Tool(req) => req,
        other => return explain_inbound(policy.engine(), &other, format),
    };
    let explanation = policy.engine().explain(&req.as_request());
    match format {
        Format::Json => match serde_json::to_string(&palisade::wire::ExplanationJson::from(&explanation)) {
            Ok(s) => outln!("{s}"),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
        Format::Text => {
            let verdict = if explanation.allowed { "ALLOW" } else { "DENY" };
            outln!("{verdict} {} for {}: {}", explanation.tool, req.agent.to_lowercase(), explanation.reason);
            if let Some(at) = &explanation.at {
                outln!("  decided at {at}");
            }
            for (i, layer) in explanation.layers.iter().enumerate() {
                let mark = match layer.outcome {
                    palisade::Outcome::Pass => "pass",
                    palisade::Outcome::Denied => "DENY",
                    palisade::Outcome::NotAllowed => "MISS",
                };
                let at = layer.at.as_deref().map(|a| format!("  [{a}]")).unwrap_or_default();
                outln!("  {:>2}. {mark:<4} {:<40} {}{at}", i + 1, layer.name, layer.why);
            }
            if explanation.layers.is_empty() {
                outln!("  (no layer ran)");
            }
        }
    }
    ExitCode::SUCCESS
}

/// Ingress and route decisions: the decision, then the rule that gave it.
fn explain_inbound(engine: &palisade::Engine, req: &request::AnyRequest, format: Format) -> ExitCode {
    let json = request::decision_json(engine, req);
    if let Format::Json = format {
        outln!("{json}");
        return ExitCode::SUCCESS;
    }
    let field = |k: &str| json.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
    let at = json.get("at").and_then(|v| v.as_str()).map(|a| format!("\n  decided at {a}")).unwrap_or_default();
    match req {
        request::AnyRequest::Ingress(_) => outln!("{}: {}{at}", field("outcome").to_uppercase(), field("reason")),
        _ if json.get("error").is_some() => {
            eprintln!("error: {}", field("error"));
            return ExitCode::from(2);
        }
        _ => {
            let sandboxed = json.get("sandboxed").and_then(serde_json::Value::as_bool).unwrap_or(false);
            outln!("ROUTE to agent {} by {}", field("agent"), field("matched_by"));
            outln!("  session {}{}{at}", field("session_key"), if sandboxed { " (sandboxed)" } else { "" });
        }
    }
    ExitCode::SUCCESS
}

fn tools(policy: &Policy, request: &palisade::ToolRequest<'_>, format: Format) -> ExitCode {
    let engine = policy.engine();
    let context = match engine.context(request) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let tools = engine.effective_tools(context);
    match format {
        Format::Json => outln!(
            "{}",
            serde_json::json!({"agent": request.agent, "sandboxed": context.sandboxed(), "subagent": context.subagent(),
                "owner": context.owner(), "tools": tools})
        ),
        Format::Text => {
            outln!(
                "# agent {} ({}sandboxed{}{})",
                request.agent.to_lowercase(),
                if context.sandboxed() { "" } else { "not " },
                if context.subagent() { ", sub-agent" } else { "" },
                if context.owner() { "" } else { ", non-owner" }
            );
            for tool in tools {
                outln!("{tool}");
            }
        }
    }
    ExitCode::SUCCESS
}

fn import(path: &Path) -> ExitCode {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    let source = std::sync::Arc::new(palisade::SourceFile::new(path.display().to_string(), text));
    match palisade::unstable::lower_openclaw(source) {
        Ok((ast, warnings)) => {
            print_diagnostics(&warnings);
            // Refuse to print a policy that would not compile.
            if let Err(error) = palisade::unstable::compile(&ast) {
                print_diagnostics(&error.diagnostics);
                eprintln!("{error}");
                return ExitCode::from(1);
            }
            let printed = palisade::unstable::to_dsl(&ast, &warnings);
            // The printer is tested to round-trip; should it ever fail to, no
            // half-right policy reaches the operator.
            if let Err(error) = Policy::from_dsl(&format!("{} (printed)", path.display()), &printed) {
                print_diagnostics(&error.diagnostics);
                eprintln!("error: the printed DSL does not compile; this is a bug in `palisade import`, please report it");
                return ExitCode::from(1);
            }
            print!("{printed}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            print_diagnostics(&error.diagnostics);
            eprintln!("{error}");
            ExitCode::from(1)
        }
    }
}

//! `palisade check | decide | explain | tools | import | demo | gateway | sandbox`:
//! one file per subcommand, each returning `Result<(), Failure>`; `main`
//! reports a failure and picks the exit code in one place.

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

mod check;
mod decide;
mod demo;
mod explain;
#[cfg(feature = "gateway")]
mod gateway;
mod import;
mod request;
#[cfg(feature = "gateway")]
mod sandbox;
mod tools;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use palisade::{Diagnostic, LoadError, Policy, PolicyError};

#[cfg(feature = "gateway")]
use gateway::duration;
#[cfg(feature = "gateway")]
use sandbox::SandboxCommand;

/// `palisade --version`: the version, the commit and the build date.
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("PALISADE_COMMIT"), ", built ", env!("PALISADE_BUILD_DATE"), ")");

const EXAMPLES: &str = "\
Examples:
  palisade check examples/multi-agent.pal
  palisade decide examples/multi-agent.pal --request '{\"kind\":\"tool\",\"agent\":\"family\",\"tool\":\"exec\"}'
  palisade explain examples/commands.pal --request '{\"kind\":\"tool\",\"agent\":\"coder\",\"tool\":\"exec\",\"args\":{\"command\":\"git status\"}}'
  palisade tools examples/multi-agent.pal --agent main --provider openai/gpt-5
  palisade import examples/openclaw.json > policy.pal

Requests (JSON; a field left out is its least privileged value):
  tool     {\"kind\":\"tool\",\"agent\":A,\"tool\":T,\"provider\"?,\"session\"?,\"sender\"?,\"owner\"?,\"subagent\"?,\"args\"?:{\"command\",\"cwd\"}}
  ingress  {\"kind\":\"ingress\",\"channel\":C,\"sender\":S,\"chat\"?,\"chat_id\"?,\"text\"?,\"mentioned\"?,...}
  route    {\"kind\":\"route\",\"channel\":C,\"sender\":S,\"chat\"?,\"chat_id\"?,\"account\"?,...}

Exit codes: 0 done (a deny is a decision), 1 a policy is invalid or a test failed, 2 usage or I/O.";

#[derive(Parser)]
#[command(name = "palisade", version = VERSION, about = "Policy engine for AI-agent runtimes", after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// OpenClaw's exec-approvals file (`~/.openclaw/exec-approvals.json`),
    /// read with an OpenClaw .json configuration into `exec` blocks.
    #[arg(long, global = true, value_name = "FILE")]
    exec_approvals: Option<PathBuf>,
    /// Colour in diagnostics: `auto` colours a terminal unless `NO_COLOR`
    /// is set (or `TERM=dumb`); `always` and `never` decide alone.
    #[arg(long, global = true, value_enum, default_value = "auto")]
    color: ColorChoice,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Whether diagnostics are coloured, decided once from `--color`.
static COLOR: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn use_color(choice: ColorChoice) -> bool {
    let set = |var: &str| std::env::var_os(var).is_some_and(|v| !v.is_empty());
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::io::stderr().is_terminal() && !set("NO_COLOR") && std::env::var_os("TERM").is_none_or(|t| t != "dumb"),
    }
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
        /// Policies to check: .pal (the DSL) or OpenClaw .json; `-` reads DSL from stdin.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Also say what the gateway would warn about when serving it: the
        /// tools a policy allows that the gateway does not run.
        #[arg(long)]
        gateway: bool,
    },
    /// Decide requests: one JSON decision per request.
    Decide {
        /// The policy: .pal or OpenClaw .json.
        file: PathBuf,
        /// One request as JSON (shapes: `palisade --help`).
        #[arg(long, conflicts_with = "requests", required_unless_present = "requests")]
        request: Option<String>,
        /// A JSONL file of requests, one per line (`-` for stdin).
        #[arg(long)]
        requests: Option<PathBuf>,
    },
    /// Explain a decision: every layer in order, what it did and why.
    Explain {
        /// The policy: .pal or OpenClaw .json.
        file: PathBuf,
        /// One tool request as JSON.
        #[arg(long)]
        request: String,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// List the tools an agent may call in a context.
    Tools {
        /// The policy: .pal or OpenClaw .json.
        file: PathBuf,
        /// The agent's id (`agent ID { ... }`).
        #[arg(long)]
        agent: String,
        /// The model the agent runs, `provider/model` (left out: as strict as any provider).
        #[arg(long)]
        provider: Option<String>,
        /// The session key, e.g. `agent:main:main` (left out: as strict as any session).
        #[arg(long)]
        session: Option<String>,
        /// The sender, `channel:id` (left out: as strict as any sender, never an owner).
        #[arg(long)]
        sender: Option<String>,
        /// Decide as a sub-agent.
        #[arg(long)]
        subagent: bool,
        /// Decide as an owner (left out: not an owner, as every request).
        #[arg(long)]
        owner: bool,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Print the DSL equivalent of an OpenClaw JSON configuration.
    Import {
        /// OpenClaw's configuration (`~/.openclaw/openclaw.json`).
        file: PathBuf,
        /// Write the policy to this file instead of stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Leave out the list of ignored keys (the warnings that change a decision still show).
        #[arg(short, long)]
        quiet: bool,
    },
    /// Check the bundled example policy and decide a few requests with it.
    Demo,
    /// Print a shell completion script (e.g. `palisade completions bash > /etc/bash_completion.d/palisade`).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page, roff (e.g. `palisade man > palisade.1; man ./palisade.1`).
    Man,
    /// Run the gateway: authenticated HTTP API, decisions, Docker sandboxes.
    /// SIGHUP re-reads the policy file (refused whole if it does not compile
    /// or changes the gateway block).
    #[cfg(feature = "gateway")]
    Gateway {
        /// The policy (.pal or OpenClaw .json).
        #[arg(long)]
        policy: PathBuf,
        /// Where to listen, overriding the policy's bind and port:
        /// ADDR:PORT, or unix:PATH for a Unix socket that only this user
        /// may open (see --socket-allow-uid).
        #[arg(long, value_name = "ADDR:PORT|unix:PATH")]
        listen: Option<palisade_gateway::Listen>,
        /// A further user id that may connect to the Unix socket (checked
        /// on each connection with the kernel's peer credentials);
        /// repeatable. Requires an `auth` other than `none`.
        #[arg(long = "socket-allow-uid", value_name = "UID")]
        socket_allow_uids: Vec<u32>,
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
        /// Bytes the audit files in the state directory may hold together;
        /// past seven eighths of it only tool runs are served (503
        /// `audit_full`) until segments are archived out of it.
        #[arg(long, default_value_t = palisade_gateway::audit::DEFAULT_BUDGET)]
        audit_budget: u64,
        /// Size at which `audit.jsonl` is renamed to a segment
        /// (`audit.jsonl.<ms>`) and a new one begins; never deleted.
        #[arg(long, default_value_t = palisade_gateway::audit::DEFAULT_SEGMENT)]
        audit_segment: u64,
    },
    /// Operate on the Docker sandboxes.
    #[cfg(feature = "gateway")]
    Sandbox {
        #[command(subcommand)]
        command: SandboxCommand,
    },
}

/// Why a subcommand failed. Exit codes (README, "Exit codes"): 1 a policy
/// is invalid or a test failed, 2 bad usage, a bad request, a file that
/// cannot be read, or an operation that failed.
pub(crate) enum Failure {
    /// A policy with errors: its diagnostics, then `summary`.
    Policy { diagnostics: Vec<Diagnostic>, summary: String },
    /// `check` found problems and printed them.
    Invalid,
    /// `error: <message>`.
    Usage(String),
    /// An error that carries a diagnostic of its own (gateway, Docker).
    Rendered(String),
    /// Some request lines were bad; each was reported next to its output line.
    BadRequests,
    /// A file could not be read; already reported.
    Reported,
}

impl From<PolicyError> for Failure {
    fn from(error: PolicyError) -> Self {
        let summary = error.to_string();
        Failure::Policy { diagnostics: error.diagnostics, summary }
    }
}

impl Failure {
    /// An error with a diagnostic, rendered as miette renders it.
    pub(crate) fn rendered(error: &dyn miette::Diagnostic) -> Self {
        Failure::Rendered(render(error))
    }

    fn report(self) -> ExitCode {
        match self {
            Failure::Policy { diagnostics, summary } => {
                print_diagnostics(&diagnostics);
                eprintln!("{summary}");
                ExitCode::from(1)
            }
            Failure::Invalid => ExitCode::from(1),
            Failure::Usage(message) => {
                eprintln!("error: {message}");
                ExitCode::from(2)
            }
            Failure::Rendered(text) => {
                eprintln!("{text}");
                ExitCode::from(2)
            }
            Failure::BadRequests | Failure::Reported => ExitCode::from(2),
        }
    }
}

/// Exit codes: 0 ok, 1 policy invalid or a test failed, 2 bad usage or request.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    COLOR.store(use_color(cli.color), std::sync::atomic::Ordering::Relaxed);
    match run(cli.command, cli.exec_approvals.as_deref()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}

fn run(command: Command, approvals: Option<&Path>) -> Result<(), Failure> {
    let loaded = |path: &Path| loaded(path, approvals);
    match command {
        Command::Check { files, format, gateway } => check::run(&files, format, approvals, gateway),
        #[cfg(feature = "gateway")]
        Command::Gateway {
            policy,
            listen,
            socket_allow_uids,
            state_dir,
            timeout,
            prune_idle,
            prune_max_age,
            max_sandboxes,
            max_sandboxes_per_agent,
            audit_budget,
            audit_segment,
        } => {
            if !socket_allow_uids.is_empty() && !matches!(listen, Some(palisade_gateway::Listen::Unix(_))) {
                return Err(Failure::Usage("--socket-allow-uid applies to a Unix socket: add --listen unix:PATH".into()));
            }
            let options = palisade_gateway::GatewayOptions {
                listen,
                socket_allow_uids,
                state_dir,
                timeout: std::time::Duration::from_secs(timeout.max(1)),
                prune_idle,
                prune_max_age,
                policy_path: Some(policy.clone()),
                max_sandboxes,
                max_sandboxes_per_agent,
                audit_budget,
                audit_segment,
            };
            gateway::run(&loaded(&policy)?, options)
        }
        #[cfg(feature = "gateway")]
        Command::Sandbox { command } => sandbox::run(command),
        Command::Decide { file, request, requests } => decide::run(&loaded(&file)?, request, requests),
        Command::Explain { file, request, format } => explain::run(&loaded(&file)?, &request, format),
        Command::Tools { file, agent, provider, session, sender, subagent, owner, format } => {
            let request = palisade::ToolRequest::new(&agent, "")
                .with_provider(provider.as_deref())
                .with_session(session.as_deref())
                .with_subagent(subagent)
                .with_owner(owner)
                .with_sender(sender.as_deref());
            tools::run(&loaded(&file)?, &request, format)
        }
        Command::Import { file, output, quiet } => import::run(&file, approvals, output.as_deref(), quiet),
        Command::Demo => demo::run(),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut command, "palisade", &mut out);
            outln!("{}", String::from_utf8_lossy(&out).trim_end());
            Ok(())
        }
        Command::Man => {
            let mut out = Vec::new();
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command())
                .render(&mut out)
                .map_err(|e| Failure::Usage(format!("cannot render the manual page: {e}")))?;
            outln!("{}", String::from_utf8_lossy(&out).trim_end());
            Ok(())
        }
    }
}

fn render(diagnostic: &dyn miette::Diagnostic) -> String {
    let color = COLOR.load(std::sync::atomic::Ordering::Relaxed);
    let theme = if color { miette::GraphicalTheme::unicode() } else { miette::GraphicalTheme::unicode_nocolor() };
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

/// Reads a policy file (`-`: DSL on stdin), with the exec-approvals file
/// when one is given (an OpenClaw .json configuration only).
fn load(path: &Path, approvals: Option<&Path>) -> Result<Policy, LoadError> {
    let _progress = Progress::start(path);
    load_quietly(path, approvals)
}

/// A line on a terminal's stderr when loading takes over a second (a 4 MB
/// policy takes seconds), and how long it took once it is done.
struct Progress {
    done: Option<std::sync::mpsc::Sender<()>>,
    shown: Option<std::thread::JoinHandle<bool>>,
    started: std::time::Instant,
}

impl Progress {
    const AFTER: std::time::Duration = std::time::Duration::from_secs(1);

    fn start(path: &Path) -> Progress {
        let started = std::time::Instant::now();
        if !std::io::stderr().is_terminal() {
            return Progress { done: None, shown: None, started };
        }
        let (done, wait) = std::sync::mpsc::channel::<()>();
        let what = match std::fs::metadata(path) {
            Ok(meta) if path.as_os_str() != "-" => format!("{} ({:.1} MB)", path.display(), meta.len() as f64 / 1e6),
            _ => "the policy on stdin".to_string(),
        };
        let shown = std::thread::spawn(move || {
            if wait.recv_timeout(Self::AFTER) != Err(std::sync::mpsc::RecvTimeoutError::Timeout) {
                return false;
            }
            eprintln!("palisade: reading and compiling {what}...");
            true
        });
        Progress { done: Some(done), shown: Some(shown), started }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        drop(self.done.take());
        if self.shown.take().is_some_and(|t| t.join().unwrap_or(false)) {
            eprintln!("palisade: done in {:.1} s", self.started.elapsed().as_secs_f64());
        }
    }
}

fn load_quietly(path: &Path, approvals: Option<&Path>) -> Result<Policy, LoadError> {
    if let Some(approvals) = approvals {
        let read = |p: &Path| std::fs::read_to_string(p).map_err(|source| LoadError::Io { path: p.display().to_string(), source });
        if !palisade::unstable::is_json(path) {
            let message = format!("{}: `--exec-approvals` goes with an OpenClaw .json configuration", path.display());
            return Err(LoadError::Io {
                path: approvals.display().to_string(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidInput, message),
            });
        }
        let (config, approved) = (read(path)?, read(approvals)?);
        return Ok(Policy::from_openclaw_json_with_approvals(&path.display().to_string(), &config, &approvals.display().to_string(), &approved)?);
    }
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map_err(|source| LoadError::Io { path: "-".into(), source })?;
        return Ok(Policy::from_dsl("<stdin>", &text)?);
    }
    Policy::load(path)
}

/// Loads a policy for a command that needs a valid one; its warnings go to stderr.
fn loaded(path: &Path, approvals: Option<&Path>) -> Result<Policy, Failure> {
    match load(path, approvals) {
        Ok(policy) => {
            print_diagnostics(policy.warnings());
            Ok(policy)
        }
        Err(LoadError::Policy(error)) => Err(error.into()),
        Err(error) => Err(Failure::Usage(error.to_string())),
    }
}

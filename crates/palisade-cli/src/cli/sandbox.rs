//! `palisade sandbox`: build the image, list, explain, recreate and prune containers.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Subcommand;
use palisade::Policy;
use palisade_gateway::sandbox::{self, Sandboxes};

use super::gateway::{duration, runtime};
use super::Failure;

#[derive(Subcommand)]
pub(super) enum SandboxCommand {
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

pub(super) fn run(command: SandboxCommand) -> Result<(), Failure> {
    if let SandboxCommand::Explain { policy, agent, session, state_dir } = &command {
        return explain(&super::loaded(policy, None)?, agent, session.as_deref(), state_dir);
    }
    let rt = runtime()?;
    rt.block_on(async {
        let sandboxes =
            Sandboxes::connect(PathBuf::from(".palisade"), std::time::Duration::from_secs(30)).await.map_err(|e| Failure::rendered(&e))?;
        match command {
            SandboxCommand::Image { name, busybox } => {
                let busybox = busybox.or_else(|| ["/bin/busybox", "/usr/bin/busybox"].iter().map(PathBuf::from).find(|p| p.exists()));
                let Some(busybox) = busybox else {
                    return Err(Failure::Usage("no busybox found; install busybox-static or pass --busybox PATH".into()));
                };
                sandboxes.build_image(&name, &busybox).await.map_err(|e| Failure::rendered(&e))?;
                outln!("built {name} from {}", busybox.display());
            }
            SandboxCommand::Explain { .. } => {}
            SandboxCommand::Recreate { names, all } => {
                let names =
                    if all { sandboxes.list().await.map_err(|e| Failure::rendered(&e))?.into_iter().map(|(name, _)| name).collect() } else { names };
                for name in names {
                    sandboxes.remove(&name).await.map_err(|e| Failure::rendered(&e))?;
                    outln!("removed {name}; its next use recreates it");
                }
            }
            SandboxCommand::Prune { idle, max_age, state_dir, prefix } => {
                let sandboxes = sandboxes.with_state_dir(state_dir.clone());
                let store = palisade_gateway::store::Store::open(&state_dir.join("palisade.db")).map_err(|e| Failure::rendered(&e))?;
                let removed =
                    sandboxes.prune(&store, &prefix, idle, max_age, palisade_gateway::store::now_ms()).await.map_err(|e| Failure::rendered(&e))?;
                for name in &removed {
                    outln!("pruned {name}");
                }
                outln!("{} container(s) pruned", removed.len());
            }
            SandboxCommand::List => {
                for (name, scope) in sandboxes.list().await.map_err(|e| Failure::rendered(&e))? {
                    outln!("{name}\t{scope}");
                }
            }
        }
        Ok(())
    })
}

/// A sandbox mode as a policy writes it (`non-main`, not `NonMain`).
fn mode_name(mode: palisade::SandboxMode) -> &'static str {
    match mode {
        palisade::SandboxMode::Off => "off",
        palisade::SandboxMode::NonMain => "non-main",
        palisade::SandboxMode::All => "all",
    }
}

fn scope_name(scope: palisade::SandboxScope) -> &'static str {
    match scope {
        palisade::SandboxScope::Session => "session",
        palisade::SandboxScope::Agent => "agent",
        palisade::SandboxScope::Shared => "shared",
    }
}

/// Where an agent's call would run: scope key, container, workspace, settings.
fn explain(policy: &Policy, agent: &str, session: Option<&str>, state_dir: &Path) -> Result<(), Failure> {
    let engine = policy.engine();
    let config = engine.sandbox(agent).ok_or_else(|| Failure::Usage(format!("unknown agent `{agent}`")))?;
    let agent = agent.trim().to_lowercase();
    let session = session.map_or_else(|| palisade::main_session_key(&agent), str::to_string);
    let request = palisade::ToolRequest::new(&agent, "").with_session(&session);
    let sandboxed = engine.context(&request).map(|c| c.sandboxed()).unwrap_or(true);
    outln!(
        "agent {agent}, session {session}: sandbox mode {}, {}",
        mode_name(config.mode),
        if sandboxed { "runs sandboxed" } else { "runs on the host" }
    );
    if !sandboxed {
        let dirs = sandbox::host_dirs(config, state_dir, &agent);
        outln!("  working directory {}", dirs.cwd.display());
        outln!("  HOME {}", dirs.home.display());
        return Ok(());
    }
    let placement = sandbox::placement(config, state_dir, &agent, &session);
    outln!("  scope {}, scope key {}", scope_name(config.scope), placement.scope_key);
    outln!("  container {}", placement.container);
    match &placement.workspace {
        Some(dir) => outln!("  workspace {} at /workspace ({})", dir.display(), if placement.read_only { "read-only" } else { "read-write" }),
        None => outln!("  workspace: a private tmpfs at /workspace ({} at most), gone with the container", sandbox::SCRATCH_SIZE),
    }
    let body = sandbox::container_body(config, &placement).map_err(|e| Failure::rendered(&e))?;
    let text = serde_json::to_string_pretty(&body).map_err(|e| Failure::Usage(e.to_string()))?;
    outln!("{text}");
    Ok(())
}

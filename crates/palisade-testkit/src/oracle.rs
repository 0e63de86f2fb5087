//! The shell as the oracle of exec command rules (BRIEF section 6b): a
//! command runs under a real shell (bash, dash, busybox ash) inside a
//! throwaway `bwrap` sandbox (no network, read-only root, its own PID
//! namespace) whose PATH holds stub programs that log their argv and exit 0;
//! then what ran is compared with the segments Palisade judged.
//!
//! What is real in the sandbox and what is a stub:
//! - Every name the batch's commands spell is a stub (`#!/oracle/dash`,
//!   an interpreter outside PATH), so the shell's own lookup decides what
//!   runs, and a stub logs the path it was run by and its arguments.
//! - The shells (`bash`, `sh` = dash, `dash`, `zsh`, `ksh`, `busybox sh`)
//!   and the programs that run a program from their arguments and are safe
//!   to run for real (`env`, `nice`, `nohup`, `timeout`, `stdbuf`, `setsid`,
//!   `xargs`, `find`, `ionice`, `chrt`, `taskset`, `flock`) are the real
//!   binaries, so that what they run is their reading, not Palisade's.
//!   `busybox` runs its `sh`/`ash` applets for real and logs the others as
//!   a stub would (their effects are real otherwise).
//! - Builtins run no program, so they are not seen; a builtin that runs
//!   commands (`eval`, `.`, `trap`, `command`) runs them through the stubs.
//!
//! Stdin is `/dev/null`, the working directory `/work` holds two files,
//! every variable is unset but `PATH` and `HOME`, and each command has two
//! seconds.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use palisade::unstable::shell::{Opaque, Segment, Word};

/// A shell a command is given to, as `SHELL -c COMMAND`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Shell {
    /// GNU bash (Debian's 5.2).
    Bash,
    /// The Debian Almquist shell, Debian's `/bin/sh`.
    Dash,
    /// busybox ash, from Debian's dynamic `busybox` package (its static
    /// build runs its applets before PATH, which no stub would see).
    BusyboxAsh,
}

impl Shell {
    /// Every shell the oracle knows.
    pub const ALL: [Shell; 3] = [Shell::Bash, Shell::Dash, Shell::BusyboxAsh];

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Shell::Bash => "bash",
            Shell::Dash => "dash",
            Shell::BusyboxAsh => "busybox-ash",
        }
    }

    fn argv(self) -> &'static [&'static str] {
        match self {
            Shell::Bash => &["/oracle/bash", "-c"],
            Shell::Dash => &["/oracle/dash", "-c"],
            Shell::BusyboxAsh => &["/oracle/busybox", "sh", "-c"],
        }
    }
}

/// One program the shell ran: the path it was run by and its arguments.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Run {
    /// The path the program was run by (`/usr/bin/rm`).
    pub path: String,
    /// Its arguments, `argv[1..]`.
    pub args: Vec<String>,
}

impl Run {
    /// The program's last path component (`rm` for `/usr/bin/rm`).
    pub fn program(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }

    /// The run as one shell command, every word single-quoted: what the
    /// engine decides when it is given exactly this argv.
    pub fn command(&self) -> String {
        std::iter::once(self.program()).chain(self.args.iter().map(String::as_str)).map(quote).collect::<Vec<_>>().join(" ")
    }
}

fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', "'\\''"))
}

/// Programs that run for real in the sandbox (each runs a program from its
/// arguments, and none writes outside the sandbox's writable log folder).
const REAL_PROGRAMS: &[&str] =
    &["env", "nice", "nohup", "timeout", "stdbuf", "setsid", "xargs", "find", "ionice", "chrt", "taskset", "flock", "time"];

/// Real shells in the sandbox, by the name a command uses and the host
/// binary (Debian's `ash` is dash).
const REAL_SHELLS: &[(&str, &str)] = &[("bash", "bash"), ("sh", "dash"), ("dash", "dash"), ("ash", "dash"), ("zsh", "zsh"), ("ksh", "ksh")];

/// Names that always have a stub, beside those a batch's commands spell.
const BASE_STUBS: &[&str] = &[
    "rm",
    "ls",
    "cat",
    "echo",
    "printf",
    "git",
    "curl",
    "wget",
    "python",
    "python3",
    "python3.12",
    "node",
    "nodejs",
    "perl",
    "ruby",
    "sudo",
    "doas",
    "su",
    "ssh",
    "watch",
    "parallel",
    "script",
    "chroot",
    "unshare",
    "nsenter",
    "true",
    "false",
    "test",
    "[",
    "kill",
    "sleep",
    "grep",
    "sed",
    "awk",
    "make",
    "cargo",
    "npm",
    "id",
    "whoami",
    "touch",
    "mkdir",
    "cp",
    "mv",
    "chmod",
    "tee",
    "head",
    "tail",
    "sort",
    "wc",
    "cut",
    "tr",
    "date",
];

/// The sandbox's fixed parts, made once.
pub struct Oracle {
    dir: PathBuf,
    bwrap: PathBuf,
    shells: Vec<Shell>,
}

/// Why the oracle cannot run here.
#[derive(Debug)]
pub struct Unavailable(pub String);

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

impl Oracle {
    /// Finds `bwrap` and the shells and lays out the sandbox's folders.
    /// busybox ash is Debian's dynamic build: `PALISADE_ORACLE_BUSYBOX`
    /// names it (`.ci/run` extracts it from the `busybox` package).
    pub fn new() -> Result<Oracle, Unavailable> {
        let bwrap = which("bwrap").ok_or_else(|| Unavailable("bwrap (Debian package bubblewrap) is not installed".into()))?;
        let dir = std::env::temp_dir().join(format!("palisade-oracle-{}-{}", std::process::id(), next_id()));
        let oracle = dir.join("oracle");
        let real = dir.join("real");
        std::fs::create_dir_all(&oracle).map_err(|e| Unavailable(format!("{}: {e}", oracle.display())))?;
        std::fs::create_dir_all(&real).map_err(|e| Unavailable(format!("{}: {e}", real.display())))?;
        let copy = |from: &Path, to: &Path| {
            std::fs::copy(from, to).map(|_| ()).map_err(|e| Unavailable(format!("{} -> {}: {e}", from.display(), to.display())))
        };
        let mut shells = Vec::new();
        for (name, shell) in
            [("bash", Some(Shell::Bash)), ("dash", Some(Shell::Dash)), ("zsh", None), ("ksh", None), ("timeout", None), ("sleep", None)]
        {
            let found = which(name).ok_or_else(|| Unavailable(format!("{name} is not installed")))?;
            copy(&found, &oracle.join(name))?;
            shells.extend(shell);
        }
        for name in REAL_PROGRAMS {
            if let Some(found) = which(name) {
                copy(&found, &real.join(name))?;
            }
        }
        for (name, host) in REAL_SHELLS {
            copy(&oracle.join(host), &real.join(name))?;
        }
        if let Some(busybox) = std::env::var_os("PALISADE_ORACLE_BUSYBOX").map(PathBuf::from).filter(|p| p.is_file()) {
            copy(&busybox, &oracle.join("busybox"))?;
            shells.push(Shell::BusyboxAsh);
        }
        write_executable(&real.join("busybox"), BUSYBOX_STUB)?;
        write_executable(&dir.join("stub"), STUB)?;
        write_executable(&oracle.join("runner"), RUNNER)?;
        let work = dir.join("work");
        std::fs::create_dir_all(&work).map_err(|e| Unavailable(e.to_string()))?;
        for file in ["a.txt", "b.txt"] {
            std::fs::write(work.join(file), "x\n").map_err(|e| Unavailable(e.to_string()))?;
        }
        Ok(Oracle { dir, bwrap, shells })
    }

    /// The shells this machine can run (bash and dash always; busybox ash
    /// when `PALISADE_ORACLE_BUSYBOX` names it).
    pub fn shells(&self) -> &[Shell] {
        &self.shells
    }

    /// Runs each command under `shell` and returns, per command, every
    /// program that ran (sorted). A command that kills the sandbox is run
    /// again once in a new one, then reported in `lost`.
    pub fn run(&self, shell: Shell, commands: &[String]) -> Result<Outcome, Unavailable> {
        let mut session = self.session(shell)?;
        let mut runs = Vec::with_capacity(commands.len());
        let mut lost = Vec::new();
        for (i, command) in commands.iter().enumerate() {
            match session.run(command) {
                Ok(found) => runs.push(found),
                Err(_) => {
                    session = self.session(shell)?;
                    match session.run(command) {
                        Ok(found) => runs.push(found),
                        Err(_) => {
                            lost.push(i);
                            runs.push(Vec::new());
                            session = self.session(shell)?;
                        }
                    }
                }
            }
        }
        Ok(Outcome { runs, lost })
    }

    /// A sandbox that runs commands under `shell` one at a time, as they
    /// come (the fuzz target keeps one per shell).
    pub fn session(&self, shell: Shell) -> Result<Session, Unavailable> {
        let batch = self.dir.join(format!("session-{}", next_id()));
        let (cmds, log, stubs) = (batch.join("cmds"), batch.join("log"), batch.join("bin"));
        for d in [&cmds, &log, &stubs] {
            std::fs::create_dir_all(d).map_err(|e| Unavailable(e.to_string()))?;
        }
        let real = self.dir.join("real");
        for entry in std::fs::read_dir(&real).map_err(|e| Unavailable(e.to_string()))?.flatten() {
            std::fs::hard_link(entry.path(), stubs.join(entry.file_name())).map_err(|e| Unavailable(e.to_string()))?;
        }
        let mut session = Session { dir: batch, stub: self.dir.join("stub"), stubs: BTreeSet::new(), next: 0, child: None, shell };
        session.add_stubs(BASE_STUBS.iter().copied())?;
        let mut bwrap = Command::new(&self.bwrap);
        bwrap.args(["--ro-bind", "/usr/lib", "/usr/lib", "--ro-bind", "/usr/lib64", "/usr/lib64", "--ro-bind-try", "/usr/libexec", "/usr/libexec"]);
        bwrap.args([
            "--symlink",
            "usr/lib",
            "/lib",
            "--symlink",
            "usr/lib64",
            "/lib64",
            "--symlink",
            "usr/bin",
            "/bin",
            "--symlink",
            "usr/bin",
            "/sbin",
        ]);
        bwrap.arg("--ro-bind").arg(&stubs).arg("/usr/bin").args(["--symlink", "bin", "/usr/sbin", "--dir", "/usr/local/bin"]);
        bwrap.arg("--ro-bind").arg(self.dir.join("oracle")).arg("/oracle");
        bwrap.arg("--ro-bind").arg(self.dir.join("work")).arg("/work");
        bwrap.arg("--ro-bind").arg(&cmds).arg("/cmds").arg("--bind").arg(&log).arg("/log");
        bwrap.args(["--proc", "/proc", "--dev", "/dev", "--dir", "/tmp", "--remount-ro", "/", "--unshare-all", "--die-with-parent", "--new-session"]);
        bwrap.args(["--clearenv", "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin", "--setenv", "HOME", "/work", "--chdir", "/work"]);
        bwrap.arg("/oracle/bash").arg("/oracle/runner").args(shell.argv());
        let mut child =
            bwrap.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().map_err(|e| Unavailable(format!("bwrap: {e}")))?;
        let stdin = child.stdin.take().ok_or_else(|| Unavailable("bwrap: no stdin".into()))?;
        let stdout = std::io::BufReader::new(child.stdout.take().ok_or_else(|| Unavailable("bwrap: no stdout".into()))?);
        session.child = Some((child, stdin, stdout));
        // The first command proves the sandbox starts.
        session.run("true").map_err(|e| Unavailable(format!("the sandbox does not start: {e}")))?;
        Ok(session)
    }
}

/// One running sandbox: commands go in one at a time.
pub struct Session {
    dir: PathBuf,
    stub: PathBuf,
    stubs: BTreeSet<String>,
    next: u64,
    child: Option<(std::process::Child, std::process::ChildStdin, std::io::BufReader<std::process::ChildStdout>)>,
    shell: Shell,
}

impl Session {
    /// The shell it runs commands under.
    pub fn shell(&self) -> Shell {
        self.shell
    }

    fn add_stubs<'n>(&mut self, names: impl Iterator<Item = &'n str>) -> Result<(), Unavailable> {
        for name in names {
            if !is_stub_name(name) || self.stubs.contains(name) {
                continue;
            }
            let target = self.dir.join("bin").join(name);
            if !target.exists() {
                std::fs::hard_link(&self.stub, &target).map_err(|e| Unavailable(format!("{}: {e}", target.display())))?;
            }
            self.stubs.insert(name.to_string());
        }
        Ok(())
    }

    /// Runs one command; every program it ran, sorted. An error means the
    /// sandbox died (the command killed it): start a new session.
    pub fn run(&mut self, command: &str) -> Result<Vec<Run>, String> {
        use std::io::{BufRead, Write};
        self.add_stubs(command.split(|c: char| !(c.is_ascii_alphanumeric() || "_.+-[".contains(c)))).map_err(|e| e.0)?;
        let index = self.next;
        self.next += 1;
        std::fs::write(self.dir.join("cmds").join(index.to_string()), command).map_err(|e| e.to_string())?;
        let Some((_, stdin, stdout)) = self.child.as_mut() else { return Err("no sandbox".into()) };
        writeln!(stdin, "{index}").and_then(|()| stdin.flush()).map_err(|e| format!("the sandbox is gone: {e}"))?;
        let mut line = String::new();
        stdout.read_line(&mut line).map_err(|e| e.to_string())?;
        if line.trim() != index.to_string() {
            return Err(format!("the sandbox is gone (it said {line:?})"));
        }
        let mut runs = Vec::new();
        let log = self.dir.join("log");
        let prefix = format!("{index}.");
        for entry in std::fs::read_dir(&log).map_err(|e| e.to_string())?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(pid) = name.strip_prefix(&prefix) else { continue };
            if !pid.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let bytes = std::fs::read(entry.path()).map_err(|e| e.to_string())?;
            let _ = std::fs::remove_file(entry.path());
            let mut words = bytes.split(|b| *b == 0).map(|w| String::from_utf8_lossy(w).into_owned()).collect::<Vec<_>>();
            words.pop(); // after the last NUL
            if let Some((path, args)) = words.split_first() {
                runs.push(Run { path: path.clone(), args: args.to_vec() });
            }
        }
        let _ = std::fs::remove_file(self.dir.join("cmds").join(index.to_string()));
        runs.sort();
        Ok(runs)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some((mut child, stdin, _)) = self.child.take() {
            drop(stdin);
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Drop for Oracle {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What a batch gave: the runs per command, and the commands that killed
/// the runner twice (none ran to the end).
#[derive(Debug)]
pub struct Outcome {
    /// Per command, the programs that ran, sorted.
    pub runs: Vec<Vec<Run>>,
    /// Indexes of commands the sandbox could not finish.
    pub lost: Vec<usize>,
}

fn next_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

fn is_stub_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 64 && name != "." && name != ".." && !name.starts_with('-')
}

fn write_executable(path: &Path, text: &str) -> Result<(), Unavailable> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).map_err(|e| Unavailable(format!("{}: {e}", path.display())))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).map_err(|e| Unavailable(e.to_string()))
}

/// A stub program: logs the path it was run by and its arguments, each
/// NUL-terminated, into the running command's log (one file per process),
/// whatever the command did to the environment.
const STUB: &str = "#!/oracle/dash\nread i < /log/current\nprintf '%s\\0' \"$0\" \"$@\" > \"/log/$i.$$\"\n";

/// `busybox`: its shells run for real, every other applet is a stub.
const BUSYBOX_STUB: &str = "#!/oracle/dash\ncase \"$1\" in sh|ash) exec /oracle/busybox \"$@\";; esac\nread i < /log/current\nprintf '%s\\0' \"$0\" \"$@\" > \"/log/$i.$$\"\n";

/// Reads command numbers on stdin; runs `/cmds/N` under the shell given
/// as arguments with a timeout, waits briefly for what it left in the
/// background, kills the rest, and answers the number on stdout.
const RUNNER: &str = r#"
while read -r i; do
  printf '%s' "$i" > /log/current
  command=$(< "/cmds/$i")
  /oracle/timeout -s KILL 2 "$@" "$command" </dev/null >/dev/null 2>&1
  for ((t = 0; t < 25; t++)); do
    others=0
    for p in /proc/[0-9]*; do
      p=${p#/proc/}
      [[ $p == "$$" || $p == 1 ]] || others=1
    done
    ((others)) || break
    /oracle/sleep 0.02
  done
  kill -9 -1 2>/dev/null
  printf '%s\n' "$i"
done
"#;

/// Why a run is not accounted for by Palisade's segments: `None` when some
/// segment accounts for it.
///
/// A run is accounted for by a segment whose words may be its argv (its
/// program by last component when the segment names a bare program, by
/// path when it names one; unknown words stand for any text, an unquoted
/// one for any number of words), or by an opaque segment whose reason
/// hides which commands run (a builtin that runs text, a shell on unknown
/// text, options of a wrapper, text that does not parse, limits).
pub fn unaccounted<'r>(segments: &[Segment], runs: &'r [Run]) -> Vec<&'r Run> {
    runs.iter().filter(|run| !segments.iter().any(|s| accounts_for(s, &applet(run)))).collect()
}

/// `busybox rm x` (the stub logs it so) is the applet `rm x`, as busybox
/// runs it; Palisade reads it so too.
fn applet(run: &Run) -> Run {
    match (run.program(), run.args.split_first()) {
        ("busybox" | "toybox", Some((applet, rest))) if !applet.starts_with('-') => Run { path: format!("/usr/bin/{applet}"), args: rest.to_vec() },
        _ => run.clone(),
    }
}

fn accounts_for(segment: &Segment, run: &Run) -> bool {
    if segment.opaque.is_some_and(Opaque::hides_commands) {
        return true;
    }
    let Some((program, args)) = segment.words.split_first() else { return false };
    let program_ok = match program {
        Word::Known(name) if name.contains('/') => name.as_str() == run.path,
        Word::Known(name) => name.as_str() == run.program() && run.path.starts_with("/usr/bin/"),
        Word::Unknown { .. } => true,
    };
    program_ok && words_may_be(args, &run.args)
}

/// Some value of the unknown words gives exactly `args`.
fn words_may_be(words: &[Word], args: &[String]) -> bool {
    match words.split_first() {
        None => args.is_empty(),
        Some((Word::Known(text), rest)) => args.split_first().is_some_and(|(a, more)| a == text.as_str() && words_may_be(rest, more)),
        Some((Word::Unknown { split: false }, rest)) => args.split_first().is_some_and(|(_, more)| words_may_be(rest, more)),
        Some((Word::Unknown { split: true }, rest)) => (0..=args.len()).any(|n| words_may_be(rest, &args[n..])),
    }
}

/// The agents whose decisions the oracle compares: an allow list and a
/// deny list.
pub const POLICY: &str = r#"
agent allowlist {
  tools { allow exec  exec { allow "echo *", "ls *", "git status", "cat *", "grep *", "nice *" } }
}
agent denylist {
  tools { allow exec  exec { deny "rm *", "curl *", "python3 -c *", "sudo *" } }
}
"#;

/// Checks one command against what the shell ran: every run accounted for
/// by a segment, and under each agent of [`POLICY`], a command Palisade
/// allows runs nothing that the agent would not be allowed to run given
/// that argv alone. Each counterexample is one line.
pub struct Checker {
    policy: palisade::Policy,
}

impl Default for Checker {
    fn default() -> Self {
        Checker::new()
    }
}

impl Checker {
    /// The checker with [`POLICY`].
    pub fn new() -> Checker {
        Checker { policy: palisade::Policy::from_dsl("oracle.pal", POLICY).expect("the oracle policy compiles") }
    }

    fn exec(&self, agent: &str, command: &str) -> palisade::ToolOutcome {
        self.policy.engine().decide_outcome(&palisade::ToolRequest::new(agent, "exec").with_command(command))
    }

    /// The counterexamples `runs` make of `command` under `shell`.
    pub fn check(&self, shell: Shell, command: &str, runs: &[Run]) -> Vec<String> {
        let show = |runs: &[&Run]| runs.iter().map(|r| format!("[{}]", r.command())).collect::<Vec<_>>().join(", ");
        let mut found = Vec::new();
        let segments = palisade::unstable::shell::parse(command);
        let missing = unaccounted(&segments, runs);
        if !missing.is_empty() {
            found.push(format!("{}: {command:?} ran {} that no segment accounts for; segments {segments:?}", shell.name(), show(&missing)));
        }
        for agent in ["allowlist", "denylist"] {
            if self.exec(agent, command) != palisade::ToolOutcome::Allow {
                continue;
            }
            let refused: Vec<&Run> = runs.iter().filter(|run| self.exec(agent, &run.command()) != palisade::ToolOutcome::Allow).collect();
            if !refused.is_empty() {
                found.push(format!("{}: {command:?} is allowed for {agent} but ran {}, which {agent} does not allow", shell.name(), show(&refused)));
            }
        }
        found
    }
}

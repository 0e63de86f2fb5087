//! `palisade import`: the DSL equivalent of an OpenClaw JSON configuration.

use std::io::Write;
use std::path::Path;

use palisade::Policy;

use super::{print_diagnostics, Failure};

pub(super) fn run(path: &Path, approvals: Option<&Path>, output: Option<&Path>, quiet: bool) -> Result<(), Failure> {
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| Failure::Usage(format!("cannot read {}: {e}", p.display())));
    let source = std::sync::Arc::new(palisade::SourceFile::new(path.display().to_string(), read(path)?));
    let approvals = match approvals {
        Some(p) => Some(std::sync::Arc::new(palisade::SourceFile::new(p.display().to_string(), read(p)?))),
        None => None,
    };
    let (ast, warnings) = palisade::unstable::lower_openclaw_with_approvals(source, approvals)?;
    report(&warnings, quiet);
    // Refuse to print a policy that would not compile.
    palisade::unstable::compile(&ast)?;
    let printed = palisade::unstable::to_dsl(&ast, &warnings);
    // The printer is tested to round-trip; should it ever fail to, no
    // half-right policy reaches the operator.
    if let Err(error) = Policy::from_dsl(&format!("{} (printed)", path.display()), &printed) {
        return Err(Failure::Policy {
            diagnostics: error.diagnostics,
            summary: "error: the printed DSL does not compile; this is a bug in `palisade import`, please report it".into(),
        });
    }
    match output {
        None => outln!("{}", printed.trim_end()),
        Some(file) => {
            // Written beside the target, then renamed: never a half-written policy.
            let partial = file.with_extension("pal.partial");
            let written = std::fs::write(&partial, &printed).and_then(|()| std::fs::rename(&partial, file));
            if let Err(e) = written {
                let _ = std::fs::remove_file(&partial);
                return Err(Failure::Usage(format!("cannot write {}: {e}", file.display())));
            }
            eprintln!("wrote {}", file.display());
        }
    }
    Ok(())
}

/// The warnings that change a decision first, in full; then the keys that
/// were ignored, one line each (only their count with `--quiet`).
fn report(warnings: &[palisade::Diagnostic], quiet: bool) {
    let (ignored, decisive): (Vec<_>, Vec<_>) = warnings.iter().cloned().partition(|d| d.code == palisade::Code::IgnoredKey);
    if !decisive.is_empty() {
        eprintln!("{} warning(s) that change a decision:\n", decisive.len());
        print_diagnostics(&decisive);
    }
    if ignored.is_empty() {
        return;
    }
    if quiet {
        eprintln!("{} key(s) ignored: they decide nothing Palisade decides (drop --quiet to list them)", ignored.len());
        return;
    }
    eprintln!("{} key(s) ignored: they decide nothing Palisade decides:", ignored.len());
    for d in &ignored {
        eprintln!("  {}: {}", d.location, d.message);
    }
}

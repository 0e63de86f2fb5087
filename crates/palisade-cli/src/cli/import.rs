//! `palisade import`: the DSL equivalent of an OpenClaw JSON configuration.

use std::path::Path;

use palisade::Policy;

use super::{print_diagnostics, Failure};

pub(super) fn run(path: &Path, approvals: Option<&Path>) -> Result<(), Failure> {
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| Failure::Usage(format!("cannot read {}: {e}", p.display())));
    let source = std::sync::Arc::new(palisade::SourceFile::new(path.display().to_string(), read(path)?));
    let approvals = match approvals {
        Some(p) => Some(std::sync::Arc::new(palisade::SourceFile::new(p.display().to_string(), read(p)?))),
        None => None,
    };
    let (ast, warnings) = palisade::unstable::lower_openclaw_with_approvals(source, approvals)?;
    print_diagnostics(&warnings);
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
    print!("{printed}");
    Ok(())
}

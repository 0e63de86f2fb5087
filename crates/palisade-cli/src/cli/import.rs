//! `palisade import`: the DSL equivalent of an OpenClaw JSON configuration.

use std::path::Path;

use palisade::Policy;

use super::{print_diagnostics, Failure};

pub(super) fn run(path: &Path) -> Result<(), Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))?;
    let source = std::sync::Arc::new(palisade::SourceFile::new(path.display().to_string(), text));
    let (ast, warnings) = palisade::unstable::lower_openclaw(source)?;
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

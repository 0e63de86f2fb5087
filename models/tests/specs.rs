//! Every spec and configuration in `tla/` is in the verify table: a spec
//! nobody runs proves nothing.

use palisade_models::verify::{tla_dir, CLAIMS};

#[test]
fn every_spec_in_tla_is_in_the_table() {
    let named: Vec<&str> =
        CLAIMS.iter().flat_map(|c| c.variants.iter()).filter_map(|v| v.spec).flat_map(|(spec, cfg)| [Some(spec), cfg]).flatten().collect();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(tla_dir()).unwrap() {
        let path = entry.unwrap().path();
        let Some(ext) = path.extension().and_then(|e| e.to_str()) else { continue };
        if ext != "tla" && ext != "cfg" {
            continue;
        }
        let stem = path.file_stem().unwrap().to_str().unwrap().to_string();
        if !named.contains(&stem.as_str()) {
            missing.push(path.display().to_string());
        }
    }
    assert!(missing.is_empty(), "not in verify::CLAIMS: {missing:?}");
}

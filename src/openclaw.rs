pub fn lower(source: std::sync::Arc<crate::SourceFile>) -> Result<(crate::ast::Policy, Vec<crate::Diagnostic>), crate::PolicyError> { let _ = source; todo!() }

//! The JSON Schema of generator manifests, for editors and CI validators.
//!
//! In: nothing. Out: the schema kept in the repository at `schema/secretgenerator.json`
//! (embedded, so `secretgen schema` prints exactly that file) and the URL that
//! `create --generator` names in its `# yaml-language-server: $schema=…` line.

/// `schema/secretgenerator.json`, byte for byte.
pub const SCHEMA: &str = include_str!("../../../../schema/secretgenerator.json");

/// Where editors fetch the schema from: the schema's own `$id`.
pub(crate) const SCHEMA_URL: &str =
    "https://raw.githubusercontent.com/secretgen-dev/secretgen/main/schema/secretgenerator.json";

/// The first line of a manifest that editors (yaml-language-server) validate against the
/// schema.
pub fn modeline() -> String {
    format!("# yaml-language-server: $schema={SCHEMA_URL}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_is_the_schemas_id() {
        let schema: serde_json::Value = serde_json::from_str(SCHEMA).unwrap();
        assert_eq!(schema["$id"], SCHEMA_URL);
    }
}

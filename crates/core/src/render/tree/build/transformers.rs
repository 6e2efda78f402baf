//! A kustomization's `transformers`: kustomize's builtin transformer configs
//! (`apiVersion: builtin`), run after the level's own transformers as kustomize runs them.
//! The patch and replacement configs are applied by the same code as the `patches` and
//! `replacements` fields; the image and replica configs change no Secret and are passed
//! over; any other config or plugin may change Secrets and is refused.

use super::*;

/// The builtin transformers that change no Secret (images, replica counts).
const LEAVE_SECRETS_ALONE: &[&str] = &["ImageTagTransformer", "ReplicaCountTransformer"];

impl Build<'_> {
    /// The level's `transformers` entries, in order.
    pub(super) fn run_transformers(
        &mut self,
        dir: &Path,
        k: &Kustomization,
        ra: &mut Vec<Res>,
        others: &mut Vec<Res>,
    ) -> Result<()> {
        let kfile = k.file();
        for entry in &k.transformers {
            let at = Loc::at(kfile, entry.mark);
            let Some(text) = entry.as_str() else {
                self.refuse(at, "`transformers` entry that is not a string".into())?;
                continue;
            };
            let docs = if text.contains('\n') {
                yaml::parse_stream(text).map_err(|e| syntax(kfile, e))?
            } else {
                let path = dir.join(clean(text));
                if !path.is_file() {
                    self.refuse(
                        at,
                        format!("`transformers` entry `{text}`: a transformer config or plugin that is not a file may change Secrets"),
                    )?;
                    continue;
                }
                self.restrict(dir, &path, &at, "transformers")?;
                self.files.push(canonical_file(&path));
                let text = manifest::read_text(&path)?;
                yaml::parse_stream(&text).map_err(|e| syntax(&path, e))?
            };
            for doc in docs.iter().filter(|d| !d.is_null()) {
                self.run_transformer(dir, kfile, doc, &at, ra, others)?;
            }
        }
        Ok(())
    }

    fn run_transformer(
        &mut self,
        dir: &Path,
        kfile: &Path,
        doc: &yaml::Node,
        at: &Loc,
        ra: &mut Vec<Res>,
        others: &mut Vec<Res>,
    ) -> Result<()> {
        let kind = doc.get("kind").and_then(str_of).unwrap_or("?");
        let builtin = doc.get("apiVersion").and_then(str_of) == Some("builtin");
        match (builtin, kind) {
            // `path`/`patch`, `target` and `options`: a `patches` entry's fields.
            (true, "PatchTransformer") => self.patch_entry(ra, others, dir, kfile, doc, false),
            (true, "PatchStrategicMergeTransformer") => {
                let mut texts = Vec::new();
                for node in doc.get("paths").and_then(|p| p.as_seq()).unwrap_or(&[]) {
                    if let Some(p) = node.as_str() {
                        texts.push(self.patch_text(dir, kfile, p, node.mark)?);
                    }
                }
                if let Some(inline) = doc.get("patches").and_then(str_of) {
                    texts.push((inline.to_string(), kfile.to_path_buf(), doc.mark));
                }
                for (text, file, mark) in texts {
                    for d in parse_patch(&file, &text, mark)? {
                        let loc = Loc::at(&file, mark);
                        if !smp_by_id_other(others, &d, &loc) {
                            smp_by_id(ra, &d, &loc, Allow::default())?;
                        }
                    }
                }
                Ok(())
            }
            (true, "ReplacementTransformer") => {
                let entries = doc
                    .get("replacements")
                    .and_then(|r| r.as_seq())
                    .unwrap_or(&[])
                    .to_vec();
                self.replace_entries(kfile, &entries, ra, others)
            }
            (true, k) if LEAVE_SECRETS_ALONE.contains(&k) => Ok(()),
            _ => self.refuse(
                at.clone(),
                format!("`transformers` entry of kind `{kind}`: a transformer config or plugin may change Secrets"),
            ),
        }
    }
}

//! What a tree build does not apply and that may change a Secret: refused, or a warning
//! under `--accept-unapplied`; and the load restrictor on the files a kustomization names.

use super::*;

pub(super) fn is_remote(s: &str) -> bool {
    s.contains("://")
        || s.starts_with("git@")
        || s.starts_with("github.com/")
        || s.starts_with("gitlab.com/")
        || s.starts_with("bitbucket.org/")
        || s.contains(".git?")
        || s.contains("?ref=")
}

impl Build<'_> {
    pub(super) fn refuse(&mut self, loc: Loc, message: String) -> Result<()> {
        if self.accept_unapplied {
            self.warnings.push(Warning {
                loc,
                message: format!("{message} (accepted by --accept-unapplied)"),
            });
            return Ok(());
        }
        Err(BuildError::new(loc, Rule::Unapplied(message)).into())
    }

    /// What secretgen does not apply and that may change a Secret.
    pub(super) fn refusals(&mut self, k: &Kustomization) -> Result<()> {
        let at = |m: Mark| Loc::at(k.file(), m);
        for field in ["helmCharts", "helmChartInflationGenerator"] {
            if let Some(set) = k.non_empty(field) {
                self.refuse(
                    at(set.value),
                    format!("`{field}`: a Helm chart may render Secrets"),
                )?;
            }
        }
        for entry in &k.generators {
            for d in &entry.foreign {
                // KSOPS configs are generators of the tree (see `ksops`), when the use case
                // gives the build their runner.
                if self.plugin.is_some_and(|p| p.runs(d)) {
                    continue;
                }
                let kind = d.get("kind").and_then(str_of).unwrap_or("?");
                self.refuse(
                    at(entry.mark),
                    format!(
                        "`generators` entry of kind `{kind}`: a generator plugin may make Secrets"
                    ),
                )?;
            }
        }
        Ok(())
    }

    /// The run's load restrictor on a file a kustomization names (`resources`, patches).
    pub(super) fn restrict(
        &self,
        dir: &Path,
        path: &Path,
        loc: &Loc,
        field: &'static str,
    ) -> Result<()> {
        use crate::kustomize::restrict::Refused;
        match self.settings.load_restrictor.check(dir, path) {
            Ok(()) => Ok(()),
            Err(Refused::Outside(_)) => {
                Err(
                    crate::kustomize::Error::outside_directory(loc.clone(), field, path, dir)
                        .into(),
                )
            }
            Err(Refused::Unresolved(e)) => Err(Error::io(path, "cannot resolve", e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_entries() {
        for remote in [
            "https://example.com/base",
            "git@github.com:o/r.git",
            "github.com/o/r/base?ref=v1",
            "x.git?ref=main",
        ] {
            assert!(is_remote(remote), "{remote}");
        }
        for local in ["../base", "base/secret.yaml", "github-com/base"] {
            assert!(!is_remote(local), "{local}");
        }
    }
}

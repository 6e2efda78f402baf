//! The tree of a git revision, for `diff --base REV`.
//!
//! In: a revision, read in the directory secretgen runs in (the top of a repository or any
//! folder inside it), and the paths a user names there. Out: a [`BaseTree`], the revision's
//! files written out in a temporary directory (removed when it is dropped), where each named
//! path is found as the revision has it; and whatever a read of those files reports (errors,
//! warnings) relabelled with the path as the repository names it, `REV:path/in/repo`, never
//! the temporary directory.
//!
//! How: through a temporary index. `git read-tree` fills an index file of our own (in the
//! temporary directory, by `GIT_INDEX_FILE`) with the revision's tree, and
//! `git checkout-index --all --prefix=DIR/` writes its files under the temporary directory:
//! symbolic links as links, executable bits as recorded, attributes and filters applied as a
//! checkout applies them. Nothing of the repository changes: not its index, not its working
//! tree, not its list of worktrees, and no lock of it is taken, so a run beside another git
//! command does not collide with it, and a run interrupted at any point leaves nothing in the
//! repository to clean up. (`git worktree add --detach` would register a worktree under
//! `.git/worktrees` that must be removed again, also after Ctrl-C; unpacking `git archive`
//! needs a tar reader.)

use std::ffi::OsStr;
use std::path::{Component, Path, PathBuf};

use super::Error;
use crate::gate::process::{self, ProcessError, Spec, Stderr};
use crate::place::PathView;

/// Runs `git -C dir ARGS…` (with `index` as its index file, when given) through the runner of
/// processes and returns what it printed. Its stderr is kept (bounded) for the message: git
/// speaks of revisions and paths of the repository, which are relabelled before they are
/// shown.
fn git<S: AsRef<OsStr>>(dir: &Path, args: &[S], index: Option<&Path>) -> Result<Vec<u8>, Error> {
    let mut spec = Spec::new("`git`", "git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stderr(Stderr::Capture);
    if let Some(index) = index {
        spec = spec.env("GIT_INDEX_FILE", index);
    }
    let out = process::output(spec).map_err(|e| match e {
        ProcessError::NotRun { reason, .. } => Error::GitNotRun(std::io::Error::other(reason)),
        other => Error::Git {
            args: args
                .iter()
                .map(|a| a.as_ref().to_string_lossy())
                .collect::<Vec<_>>()
                .join(" "),
            stderr: other.to_string(),
        },
    })?;
    if !out.status.success() {
        return Err(Error::Git {
            args: args
                .iter()
                .map(|a| a.as_ref().to_string_lossy())
                .collect::<Vec<_>>()
                .join(" "),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(out.stdout.to_vec())
}

/// The text git printed, without its line break.
fn line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim().to_string()
}

/// A revision's files in a temporary directory.
#[derive(Debug)]
pub struct BaseTree {
    rev: String,
    /// The top of the repository, as git prints it.
    top: String,
    /// The directory secretgen runs in, relative to `top` (`src/`, or empty).
    prefix: String,
    /// Where the revision's top is written (inside `_dir`).
    root: PathBuf,
    /// Holds the index file and `root`; removed on drop.
    _dir: tempfile::TempDir,
}

impl BaseTree {
    /// Writes out the tree of `rev` (a branch, a tag, a commit, `HEAD~1`...) of the repository
    /// the current directory is in.
    pub fn checkout(rev: &str) -> Result<BaseTree, Error> {
        Self::checkout_in(Path::new("."), rev)
    }

    /// [`BaseTree::checkout`] for the repository `here` is in (paths to [`BaseTree::locate`]
    /// are still relative to the current directory).
    fn checkout_in(here: &Path, rev: &str) -> Result<BaseTree, Error> {
        let top = line(&git(here, &["rev-parse", "--show-toplevel"], None)?);
        let prefix = line(&git(here, &["rev-parse", "--show-prefix"], None)?);
        let dir = tempfile::tempdir().map_err(Error::TempDir)?;
        // A ref is never taken for an option, and is read as the tree it names.
        if rev.starts_with('-') {
            return Err(Error::NotARevision(rev.to_string()));
        }
        let tree_id = git(
            here,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{rev}^{{tree}}"),
            ],
            None,
        )
        .map_err(|_| Error::UnknownRevision(rev.to_string()))?;
        let tree_id = line(&tree_id);
        // Canonical, so that a path any reader canonicalizes still starts with it.
        let base = crate::gate::resolve::real_dir(dir.path()).map_err(Error::TempDir)?;
        let root = base.join("tree");
        let index = base.join("index");
        let out = BaseTree {
            rev: rev.to_string(),
            top,
            prefix,
            root,
            _dir: dir,
        };
        let top = PathBuf::from(&out.top);
        let unpack = |e: Error| {
            let reason = match e {
                Error::Git { stderr, .. } => stderr,
                other => other.to_string(),
            };
            Error::Unpack {
                rev: out.rev.clone(),
                reason: out.relabel_git_text(&reason),
            }
        };
        // The revision's tree, sparse-checkout patterns or not: all of it.
        git(
            &top,
            &["read-tree", "--no-sparse-checkout", &tree_id],
            Some(&index),
        )
        .map_err(unpack)?;
        let mut prefix_arg = std::ffi::OsString::from("--prefix=");
        prefix_arg.push(out.root.as_os_str());
        prefix_arg.push("/");
        // Links as links, whatever `core.symlinks` says (as an archive unpacks them).
        let args: [&OsStr; 5] = [
            OsStr::new("-c"),
            OsStr::new("core.symlinks=true"),
            OsStr::new("checkout-index"),
            OsStr::new("--all"),
            &prefix_arg,
        ];
        git(&top, &args, Some(&index)).map_err(unpack)?;
        // The files are there: the index has done its work.
        let _ = std::fs::remove_file(&index);
        Ok(out)
    }

    /// Where `p`, a path as named in the directory secretgen runs in, is in the revision:
    /// `None` when the revision does not have it (then the working tree must). An absolute
    /// path must be inside the repository.
    pub fn locate(&self, p: &Path) -> Result<Option<PathBuf>, Error> {
        let in_base = if p.is_absolute() {
            let real = crate::gate::resolve::real_path;
            let rel = real(p)
                .ok()
                .and_then(|a| {
                    let top = real(Path::new(&self.top)).ok()?;
                    a.strip_prefix(top).ok().map(Path::to_path_buf)
                })
                .ok_or_else(|| Error::OutsideRepository {
                    path: p.to_path_buf(),
                    top: self.top.clone(),
                })?;
            self.root.join(rel)
        } else {
            self.root.join(&self.prefix).join(p)
        };
        if in_base.exists() {
            return Ok(Some(in_base));
        }
        if !p.exists() {
            return Err(Error::InNeither {
                path: p.to_path_buf(),
                rev: self.rev.clone(),
            });
        }
        Ok(None)
    }

    /// A path as the repository names it, `REV:dir/file.yaml`, for one in the temporary
    /// directory; any other path as it is.
    pub(crate) fn shown(&self, path: &Path) -> PathBuf {
        let Ok(rel) = path.strip_prefix(&self.root) else {
            return path.to_path_buf();
        };
        // `src/./a/../b.yaml` → `src/b.yaml`: the name a user would look for.
        let mut parts: Vec<&OsStr> = Vec::new();
        for c in rel.components() {
            match c {
                Component::Normal(n) => parts.push(n),
                Component::ParentDir => {
                    parts.pop();
                }
                _ => {}
            }
        }
        let mut shown = std::ffi::OsString::from(format!("{}:", self.rev));
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                shown.push("/");
            }
            shown.push(part);
        }
        PathBuf::from(shown)
    }

    /// git's own words (its stderr, which names files it could not write) with every mention
    /// of the temporary directory replaced by `REV:`. Only text secretgen did not write is
    /// rewritten so: secretgen's errors hold paths, relabelled through [`PathView`].
    fn relabel_git_text(&self, text: &str) -> String {
        let root = self.root.to_string_lossy();
        text.replace(&format!("{root}/"), &format!("{}:", self.rev))
            .replace(root.as_ref(), &format!("{}:", self.rev))
    }

    /// A warning from reading the revision, naming the path in the repository.
    pub fn relabel_warning(&self, w: &crate::error::Warning) -> crate::error::Warning {
        crate::error::Warning {
            loc: w.loc.clone().relabel(self),
            message: w.message.clone(),
        }
    }

    /// An error from reading the revision, naming the path in the repository: every path it
    /// holds is shown through [`BaseTree::shown`]; its words are kept as they are.
    pub fn relabel_error(&self, e: crate::error::Error) -> crate::error::Error {
        e.relabel(self)
    }
}

impl PathView for BaseTree {
    fn show(&self, path: &Path) -> PathBuf {
        self.shown(path)
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)]
mod tests {
    use super::*;

    fn fake(rev: &str) -> BaseTree {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("tree");
        BaseTree {
            rev: rev.into(),
            top: "/repo".into(),
            prefix: String::new(),
            root,
            _dir: dir,
        }
    }

    fn run(dir: &Path, args: &[&str]) {
        let o = std::process::Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@t")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@t")
            .output()
            .unwrap();
        assert!(o.status.success(), "git {args:?}: {}", line(&o.stderr));
    }

    /// Links stay links, executable files stay executable, and the repository (its index,
    /// its working tree, its worktrees) is as it was.
    #[cfg(unix)]
    #[test]
    fn writes_the_revision_out_without_touching_the_repository() {
        use std::os::unix::fs::PermissionsExt;
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        run(d, &["init", "-q"]);
        std::fs::create_dir(d.join("sub")).unwrap();
        std::fs::write(d.join("sub/a.txt"), "one").unwrap();
        std::os::unix::fs::symlink("a.txt", d.join("sub/link")).unwrap();
        std::fs::write(d.join("run.sh"), "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(d.join("run.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
        run(d, &["add", "."]);
        run(d, &["commit", "-qm", "one"]);
        std::fs::write(d.join("sub/a.txt"), "two").unwrap();
        run(d, &["add", "sub/a.txt"]);
        let index = std::fs::read(d.join(".git/index")).unwrap();
        let b = BaseTree::checkout_in(&d.join("sub"), "HEAD").unwrap();
        assert_eq!(b.prefix, "sub/");
        assert_eq!(
            std::fs::read_to_string(b.root.join("sub/a.txt")).unwrap(),
            "one"
        );
        let link = b.root.join("sub/link");
        assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_link(&link).unwrap(), Path::new("a.txt"));
        let mode = std::fs::metadata(b.root.join("run.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111, "{mode:o}");
        assert!(!b._dir.path().join("index").exists());
        assert_eq!(std::fs::read(d.join(".git/index")).unwrap(), index);
        assert_eq!(std::fs::read_to_string(d.join("sub/a.txt")).unwrap(), "two");
        assert!(!d.join(".git/worktrees").exists());
        let tmp = b._dir.path().to_path_buf();
        drop(b);
        assert!(!tmp.exists());
        // A revision that is not one, and one that would read as an option.
        let e = BaseTree::checkout_in(d, "nope").unwrap_err();
        assert_eq!(
            e.to_string(),
            "`nope` is not a revision of this git repository"
        );
        let e = BaseTree::checkout_in(d, "--output=x").unwrap_err();
        assert_eq!(e.to_string(), "`--output=x` is not a git revision");
    }

    #[test]
    fn paths_in_the_temporary_directory_are_shown_as_in_the_repository() {
        let b = fake("HEAD~1");
        assert_eq!(
            b.shown(&b.root.join("src/./a/../gen.yaml")),
            PathBuf::from("HEAD~1:src/gen.yaml")
        );
        assert_eq!(
            b.shown(Path::new("src/gen.yaml")),
            Path::new("src/gen.yaml")
        );
        let msg = format!("file `{}` not found", b.root.join("src/x.txt").display());
        assert_eq!(
            b.relabel_git_text(&msg),
            "file `HEAD~1:src/x.txt` not found"
        );
        let e = crate::error::Error::many(vec![
            crate::kustomize::Error::rule(
                crate::error::Loc::file(b.root.join("k.yaml")),
                crate::kustomize::rule::Rule::OneDocument,
            )
            .into(),
            crate::error::Error::io(
                &b.root.join("d/f"),
                "cannot read",
                std::io::Error::from(std::io::ErrorKind::NotFound),
            ),
        ]);
        let shown = b.relabel_error(e).to_string();
        assert!(!shown.contains(&*b.root.to_string_lossy()), "{shown}");
        assert!(
            shown.starts_with("HEAD~1:k.yaml: a kustomization holds one YAML document\n"),
            "{shown}"
        );
        assert!(shown.contains("HEAD~1:d/f: cannot read"), "{shown}");
    }

    /// Only the paths an error holds are relabelled: a path of the base tree held by a
    /// typed reason is, words that merely contain the temporary directory's name are not.
    #[test]
    fn only_held_paths_are_relabelled_never_text() {
        let b = fake("HEAD");
        let root = b.root.display().to_string();
        let in_words = format!("`{root}/x` is named in the words");
        let e = crate::error::Error::many(vec![
            crate::kustomize::Error::rule(
                crate::error::Loc::file(b.root.join("k.yaml")),
                crate::kustomize::rule::Rule::GeneratorsEntryIsItself(in_words.clone()),
            )
            .into(),
            crate::kustomize::Error::outside_directory(
                crate::error::Loc::file(b.root.join("o/kustomization.yaml")),
                "patches",
                &b.root.join("p.yaml"),
                &b.root.join("o"),
            )
            .into(),
            crate::error::Error::Crypt {
                loc: crate::error::Loc::file(b.root.join("s.yaml")),
                reason: crate::error::CryptReason::NotUtf8,
            },
            crate::error::Error::Age {
                loc: crate::error::Loc::file(b.root.join("g.yaml")),
                source: Box::new(crate::age::CryptError::Payload {
                    file: b.root.join("a.age"),
                }),
            },
        ]);
        let shown = b.relabel_error(e).to_string();
        let lines: Vec<&str> = shown.split("\nerror: ").collect();
        assert_eq!(
            lines[0],
            format!(
                "HEAD:k.yaml: `generators` entry `{in_words}` is this kustomization itself (kustomize refuses it)"
            )
        );
        assert_eq!(
            lines[1],
            "HEAD:o/kustomization.yaml: `patches` file `HEAD:p.yaml` is outside the kustomization's directory `HEAD:o` (kustomize's load restrictor; --load-restrictor LoadRestrictionsNone lifts it)"
        );
        assert_eq!(
            lines[2],
            "HEAD:s.yaml: `HEAD:s.yaml`: the decrypted resource is not UTF-8"
        );
        assert_eq!(
            lines[3],
            "HEAD:g.yaml: `HEAD:a.age`: the age payload failed authentication (payload failure): the file is truncated or was altered"
        );
        // A warning: its place relabelled, its words as they are.
        let w = b.relabel_warning(&crate::error::Warning {
            loc: crate::error::Loc::file(b.root.join("w.yaml")),
            message: in_words.clone(),
        });
        assert_eq!(w.to_string(), format!("HEAD:w.yaml: {in_words}"));
    }
}

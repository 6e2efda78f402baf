//! Renders every build of the real-world corpus (`testdata/realworld`: public repositories
//! pinned in `repos.tsv`, fetched from the Go module proxy by `fetch.sh`, which
//! `tests/setup.sh` runs) with `secretgen render`, one trial per build, named
//! `realworld::<repo>/<build directory>`:
//! - stdout must be byte-identical to `expected/<repo>/<dir with / as __>.yaml`, the Secret
//!   documents kustomize v5.8.2 printed (recorded by `record.sh`);
//! - a build listed in `known-differences.tsv` must still differ (a listed build that starts
//!   matching fails, so that the list is kept honest);
//! - a corpus that is not downloaded fails every trial, naming `bash tests/setup.sh`.
//!
//! `testdata/realworld/score.sh` prints the same comparison as a score.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use libtest_mimic::{Failed, Trial};

use crate::common::{describe, secretgen, text};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/realworld")
}

/// Where fetch.sh extracts the trees: `SECRETGEN_REALWORLD`, else `.tools/realworld`.
fn fetched_dir() -> PathBuf {
    match std::env::var_os("SECRETGEN_REALWORLD") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/realworld"),
    }
}

/// The rows of a tab-separated list, without comments and blank lines.
fn rows(file: &str) -> Vec<Vec<String>> {
    let path = corpus_dir().join(file);
    let body = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    body.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

/// One build of builds.tsv.
struct Build {
    repo: String,
    dir: String,
    flags: Vec<String>,
    /// What fetch.sh writes into the tree's `.fetched` for the pinned version.
    stamp: String,
    /// The cause class, when known-differences.tsv lists the build.
    known: Option<String>,
}

impl Build {
    fn name(&self) -> String {
        format!("{}/{}", self.repo, self.dir)
    }

    fn expected(&self) -> PathBuf {
        corpus_dir()
            .join("expected")
            .join(&self.repo)
            .join(format!("{}.yaml", self.dir.replace('/', "__")))
    }

    fn tree(&self) -> PathBuf {
        fetched_dir().join("trees").join(&self.repo)
    }
}

fn builds() -> Vec<Build> {
    let stamps: BTreeMap<String, String> = rows("repos.tsv")
        .into_iter()
        .map(|r| {
            assert_eq!(r.len(), 8, "repos.tsv: 8 columns in {r:?}");
            (r[0].clone(), format!("{}@{} {} {}", r[1], r[2], r[4], r[7]))
        })
        .collect();
    let mut known: BTreeMap<String, String> = rows("known-differences.tsv")
        .into_iter()
        .map(|r| {
            assert_eq!(
                r.len(),
                2,
                "known-differences.tsv: build and cause in {r:?}"
            );
            (r[0].clone(), r[1].clone())
        })
        .collect();
    let list: Vec<Build> = rows("builds.tsv")
        .into_iter()
        .map(|r| {
            assert_eq!(r.len(), 3, "builds.tsv: 3 columns in {r:?}");
            let stamp = stamps
                .get(&r[0])
                .unwrap_or_else(|| panic!("builds.tsv: {} is not in repos.tsv", r[0]))
                .clone();
            let flags = match r[2].as_str() {
                "-" => Vec::new(),
                f => f.split_whitespace().map(str::to_string).collect(),
            };
            let name = format!("{}/{}", r[0], r[1]);
            Build {
                repo: r[0].clone(),
                dir: r[1].clone(),
                flags,
                stamp,
                known: known.remove(&name),
            }
        })
        .collect();
    assert!(
        known.is_empty(),
        "known-differences.tsv lists builds that builds.tsv does not: {:?}",
        known.keys().collect::<Vec<_>>()
    );
    list
}

/// The tree of `build` as fetch.sh left it, or why it cannot be used.
fn fetched_tree(build: &Build) -> Result<PathBuf, Failed> {
    let tree = build.tree();
    let stamp = std::fs::read_to_string(tree.join(".fetched")).map_err(|_| {
        format!(
            "the real-world corpus is not downloaded ({} is missing): run `bash tests/setup.sh`",
            tree.display()
        )
    })?;
    if stamp.trim_end() != build.stamp {
        return Err(format!(
            "{} was fetched from another version ({}; repos.tsv pins {}): run `bash tests/setup.sh`",
            tree.display(),
            stamp.trim_end(),
            build.stamp
        )
        .into());
    }
    Ok(tree)
}

fn render(tree: &Path, build: &Build) -> Output {
    secretgen()
        .arg("render")
        .args(&build.flags)
        .arg(tree.join(&build.dir))
        .output()
        .expect("run secretgen")
}

fn check(build: &Build) -> Result<(), Failed> {
    let expected_path = build.expected();
    let expected = std::fs::read_to_string(&expected_path).map_err(|e| {
        format!(
            "{}: {e} (run testdata/realworld/record.sh)",
            expected_path.display()
        )
    })?;
    if expected.is_empty() {
        return Err(format!(
            "{} is empty: every build has a Secret",
            expected_path.display()
        )
        .into());
    }
    let tree = fetched_tree(build)?;
    let out = render(&tree, build);
    let got = text(&out.stdout);
    let same = out.status.code() == Some(0) && got == expected;
    match (&build.known, same) {
        (None, true) => Ok(()),
        (Some(cause), true) => Err(format!(
            "listed in testdata/realworld/known-differences.tsv ({cause}) but now matches \
             kustomize: remove its line"
        )
        .into()),
        (Some(_), false) => Ok(()),
        (None, false) if out.status.code() != Some(0) => {
            Err(format!("expected success like kustomize v5.8.2\n{}", describe(&out)).into())
        }
        (None, false) => {
            let diff = similar::TextDiff::from_lines(&expected, &got)
                .unified_diff()
                .header("kustomize v5.8.2", "secretgen")
                .to_string();
            Err(format!("output differs from kustomize v5.8.2:\n{diff}").into())
        }
    }
}

/// Every expected file belongs to a listed build (a build dropped from builds.tsv leaves
/// none behind).
fn check_no_stray_expected(names: Vec<PathBuf>) -> Result<(), Failed> {
    let mut stray = Vec::new();
    let root = corpus_dir().join("expected");
    for repo in crate::common::case_paths(&root, Path::is_dir) {
        for file in crate::common::case_paths(&repo, Path::is_file) {
            if !names.contains(&file) {
                stray.push(file.strip_prefix(&root).unwrap().display().to_string());
            }
        }
    }
    if stray.is_empty() {
        Ok(())
    } else {
        Err(format!("expected files of no build in builds.tsv: {stray:?} (run record.sh)").into())
    }
}

pub fn trials() -> Vec<Trial> {
    let builds = builds();
    let expected: Vec<PathBuf> = builds.iter().map(Build::expected).collect();
    let mut trials = vec![trial!("expected-files-match-builds", move || {
        check_no_stray_expected(expected)
    })];
    for build in builds {
        trials.push(trial!(build.name(), move || check(&build)));
    }
    trials
}

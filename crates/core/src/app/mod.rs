//! The use cases: one entry per command, over the one [`Session`] of a run.
//!
//! In: a [`Session`] (settings, keyring, load restrictor, plugin root, where diagnostics go)
//! and what the command names (paths, a ResourceList, a config). Out: what the command
//! prints or writes, as data: Secrets, YAML documents, findings, a diff report. Nothing here
//! parses a command line, prints to stdout or exits: the binary's `cli` does that, so that a
//! library user can do what the binary does, and every mode gets every setting.
//!
//! - [`render`] / [`render_stream`]: `secretgen render` (and the rendering `diff` and
//!   `hash` share), KSOPS configs among the paths included in kustomize's order;
//! - [`check`]: `secretgen check` (each tree built once, for its Secrets and its checks), and
//!   [`check::require_encrypted`], the plaintext gate;
//! - [`diff`]: `secretgen diff`, either side rendered YAML, a `render -o` directory or a tree;
//! - [`hash`]: `secretgen hash`;
//! - [`encrypt`]: `render --encrypt sops`, each Secret a SOPS file for the cluster to decrypt;
//! - [`plugin`]: the exec plugin, the KRM function, and the `ksops` name's exec plugin, KRM
//!   function and `migrate ksops`.

pub mod age_record;
pub mod check;
pub mod create;
pub mod diff;
pub mod encrypt;
pub mod plugin;
pub mod sops;
pub mod sops_keys;

use std::path::PathBuf;
use std::sync::Arc;

use zeroize::Zeroizing;

use crate::error::{Error, Result, Warning};
use crate::render::tree::{self, Rendered};
pub use crate::render::{Given, Said, Session};
use crate::secret::Secret;
use crate::yaml::emit;

/// The builds the paths of a command name: the KSOPS configs among and under them, and the
/// plan of the rest (trees and flat units). A PATH that holds a kustomization is that one
/// build unless the session says `--all`.
#[derive(Debug, Default)]
pub struct Plan {
    /// What secretgen renders itself.
    pub tree: tree::Plan,
    /// KSOPS configs no kustomization of the plan lists, run as KSOPS runs them.
    pub ksops: Vec<PathBuf>,
    /// The paths as builds: a directory that is one build replaced by its kustomization.
    pub named: Vec<PathBuf>,
}

/// The paths named, `.` when none is.
fn or_here(paths: &[PathBuf]) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths.to_vec()
    }
}

/// Plans the builds of `paths` (`.` when empty), reading each named kustomization once.
pub fn plan(session: &Session, paths: &[PathBuf]) -> Result<Plan> {
    let mut named = Vec::new();
    for p in or_here(paths) {
        let one = if session.all {
            None
        } else {
            tree::one_build(&p, &session.kustomizations)?
        };
        named.push(one.unwrap_or(p));
    }
    let (mut configs, rest) = crate::ksops::render::find(&named);
    let tree = if rest.is_empty() {
        tree::Plan::default()
    } else {
        tree::plan_in(&rest, Arc::clone(&session.kustomizations))?
    };
    // A KSOPS config a kustomization lists is a generator of that kustomization's tree.
    if !configs.is_empty() {
        let listed = tree::listed_generator_files(&tree);
        let real = crate::gate::resolve::real_path;
        configs.retain(|c| !real(c).is_ok_and(|c| listed.contains(&c)));
    }
    Ok(Plan {
        tree,
        ksops: configs,
        named,
    })
}

/// A long run's progress, told per generator (the command line draws a bar from it).
pub trait Progress: Sync {
    /// The run renders this many generators.
    fn start(&self, _generators: u64) {}
    /// One more is rendered.
    fn tick(&self) {}
    /// Rendering is over (before anything is said).
    fn finish(&self) {}
}

/// No progress shown.
pub struct Quiet;

impl Progress for Quiet {}

/// Renders a plan, saying nothing: the Secrets of every build and KSOPS config, sorted
/// together in kustomize's order, each with the sub-directory `render -o` puts it under.
pub fn build(session: &Session, plan: &Plan, progress: &dyn Progress) -> Result<Rendered> {
    progress.start(generator_count(&plan.tree.units));
    let r = tree::render(
        &plan.tree,
        &session.settings,
        &session.keys,
        session.accept_unapplied,
        Some(&crate::ksops::TreeGenerators),
        &|| progress.tick(),
    );
    progress.finish();
    let mut r = r?;
    if plan.ksops.is_empty() {
        return Ok(r);
    }
    // KSOPS' Secrets go to the top of `-o DIR`, in kustomize's order with the others.
    let extra = ksops_secrets(session, &plan.ksops)?;
    let subdirs = std::mem::take(&mut r.subdirs)
        .into_iter()
        .chain(std::iter::repeat(PathBuf::new()));
    let mut placed: Vec<(Secret, PathBuf)> = std::mem::take(&mut r.out.secrets)
        .into_iter()
        .zip(subdirs)
        .collect();
    placed.extend(extra.into_iter().map(|s| (s, PathBuf::new())));
    // `secret::sort_secrets`' order, stable, keeping each Secret's place.
    placed.sort_by_cached_key(|(s, _)| s.sort_key());
    (r.out.secrets, r.subdirs) = placed.into_iter().unzip();
    // A directory that holds KSOPS configs has something to render.
    r.empty
        .retain(|d| !plan.ksops.iter().any(|c| c.starts_with(d)));
    Ok(r)
}

/// The Secrets of KSOPS configs, in kustomize's order; the errors of all of them together.
fn ksops_secrets(session: &Session, configs: &[PathBuf]) -> Result<Vec<Secret>> {
    let mut secrets = Vec::new();
    let mut errors = Vec::new();
    for c in configs {
        match crate::ksops::render::secrets(c, &session.keys) {
            Ok(list) => secrets.extend(list),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(Error::many(errors));
    }
    crate::secret::sort_secrets(&mut secrets);
    Ok(secrets)
}

/// Renders `paths` (plan and build), with the warnings and the "no Secrets" note said
/// through the session.
pub fn render(session: &Session, paths: &[PathBuf], progress: &dyn Progress) -> Result<Rendered> {
    let r = build(session, &plan(session, paths)?, progress)?;
    say_rendered(session, &r, &r.out.warnings);
    Ok(r)
}

/// Says a build's `warnings` (its own, or relabelled) and, when trees were read but made no
/// Secret, that nothing was rendered.
pub(crate) fn say_rendered(session: &Session, r: &Rendered, warnings: &[Warning]) {
    session.say(Said::Warnings(warnings));
    if r.out.secrets.is_empty() && r.read > 0 {
        session.say(Said::NoSecrets { read: r.read });
    }
}

pub use crate::secret::seal::{Scope as SealScope, SealCert};

/// The controller's certificate that `render --seal` names, read through the read gate.
pub fn seal_cert(path: &std::path::Path) -> Result<SealCert> {
    use crate::gate::read::{self, Origin};
    let pem = read::file(path, Origin::Input, 1 << 20)?;
    Ok(SealCert::from_pem(path, &pem)?)
}

/// `render --seal` to stdout: every rendered Secret as the SealedSecret document that
/// `kubeseal --cert` would make of it, `---` between them.
pub fn render_sealed(
    session: &Session,
    paths: &[PathBuf],
    progress: &dyn Progress,
    cert: &SealCert,
    scope: Option<SealScope>,
) -> Result<Vec<u8>> {
    let r = render(session, paths, progress)?;
    refuse_empty(&r.empty)?;
    let mut text = Vec::new();
    for (i, s) in r.out.secrets.iter().enumerate() {
        if i > 0 {
            text.extend_from_slice(b"---\n");
        }
        let node = crate::secret::seal::seal(s, cert, scope)?;
        emit::write_document(&node, &mut text);
    }
    Ok(text)
}

/// `render` of a named directory that holds no kustomization and no generator manifest is an
/// error: exit 0 with nothing printed would pass for a render of no Secret.
pub fn refuse_empty(empty: &[PathBuf]) -> Result<()> {
    match empty.first() {
        None => Ok(()),
        Some(dir) => Err(Error::Usage(format!(
            "nothing to render under {}: it holds no kustomization and no SecretGenerator manifest",
            dir.display()
        ))),
    }
}

/// The YAML stream of a render to stdout, one document at a time.
pub enum Stream {
    /// Whole builds (trees, KSOPS configs): each Secret printed when written out.
    Secrets(Vec<Secret>),
    /// Flat units only: each Secret printed as soon as it was rendered, then dropped (peak
    /// memory near the size of the output).
    Documents(Vec<Zeroizing<Vec<u8>>>),
}

/// From this many documents on, a stream is dropped (and zeroed) on every core; below, in
/// turn: starting threads would cost more (a plugin call prints one).
const PARALLEL_DROP: usize = 64;

impl Stream {
    /// Writes the stream, `---` between documents, then drops it: what it holds is zeroed
    /// on every core.
    pub fn write_to(self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        use rayon::prelude::*;
        match self {
            Stream::Secrets(secrets) => {
                crate::secret::write_yaml(&secrets, &mut |doc| out.write_all(doc))?;
                if secrets.len() >= PARALLEL_DROP {
                    secrets.into_par_iter().for_each(drop);
                }
            }
            Stream::Documents(docs) => {
                write_documents(out, &docs)?;
                // Each text wiped whole with memset (`secret::wipe`), not a byte at a time.
                let wipe = |mut doc: Zeroizing<Vec<u8>>| {
                    crate::secret::wipe(&mut std::mem::take(&mut *doc))
                };
                if docs.len() >= PARALLEL_DROP {
                    docs.into_par_iter().for_each(wipe);
                } else {
                    docs.into_iter().for_each(wipe);
                }
            }
        }
        out.flush()
    }

    /// How many documents it holds.
    pub fn len(&self) -> usize {
        match self {
            Stream::Secrets(s) => s.len(),
            Stream::Documents(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How many bytes of documents one write gathers. A pipe holds 64 KiB: its reader takes one
/// batch while the next is written, where one write of a whole stream would fill the pipe
/// and then wait for the reader at every 64 KiB, the two taking turns.
const WRITE_BATCH: usize = 32 * 1024;

/// The documents with `---` between them, in writes of about [`WRITE_BATCH`] bytes (a write
/// for each document and another for each separator were 2,000 system calls for 1,000
/// generators).
fn write_documents(
    out: &mut dyn std::io::Write,
    docs: &[Zeroizing<Vec<u8>>],
) -> std::io::Result<()> {
    use std::io::{ErrorKind, IoSlice};
    let mut pieces = Vec::with_capacity(docs.len() * 2);
    for (i, doc) in docs.iter().enumerate() {
        if i > 0 {
            pieces.push(IoSlice::new(b"---\n"));
        }
        if !doc.is_empty() {
            pieces.push(IoSlice::new(doc));
        }
    }
    let mut rest = &mut pieces[..];
    while let Some(first) = rest.first() {
        // The first piece whatever its size, then as many as fit.
        let (mut n, mut size) = (1, first.len());
        while n < rest.len() && size + rest[n].len() <= WRITE_BATCH {
            size += rest[n].len();
            n += 1;
        }
        let (mut batch, after) = rest.split_at_mut(n);
        while !batch.is_empty() {
            match out.write_vectored(batch) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => IoSlice::advance_slices(&mut batch, n),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        rest = after;
    }
    Ok(())
}

/// `secretgen render` to stdout: the stream to print, with the warnings and notes said
/// through the session.
pub fn render_stream(
    session: &Session,
    paths: &[PathBuf],
    progress: &dyn Progress,
) -> Result<Stream> {
    if session.settings.redact {
        // Redacted: whole, then printed with every value replaced.
        let r = render(session, paths, progress)?;
        refuse_empty(&r.empty)?;
        let text = crate::secret::to_yaml_redacted(&r.out.secrets);
        return Ok(Stream::Documents(vec![Zeroizing::new(text)]));
    }
    // One plan for the run, whichever way it renders.
    let plan = plan(session, paths)?;
    let p = &plan.tree;
    if !plan.ksops.is_empty() || !p.trees.is_empty() || (p.units.is_empty() && p.kustomizations > 0)
    {
        // Trees are whole builds: rendered, then printed together in kustomize's order.
        let r = build(session, &plan, progress)?;
        say_rendered(session, &r, &r.out.warnings);
        refuse_empty(&r.empty)?;
        return Ok(Stream::Secrets(r.out.secrets));
    }
    refuse_empty(&p.empty)?;
    progress.start(generator_count(&p.units));
    let rendered = crate::render::render_units_to_documents(
        &p.units,
        &session.settings,
        &session.keys,
        &|| progress.tick(),
    );
    progress.finish();
    let (docs, warnings) = rendered?;
    session.say(Said::Warnings(&warnings));
    if docs.is_empty() && p.kustomizations > 0 {
        // As with -o and for trees: kustomizations were read, and none made a Secret.
        session.say(Said::NoSecrets {
            read: p.kustomizations,
        });
    }
    Ok(Stream::Documents(docs))
}

/// The number of generators of a plan's flat units (the length of a progress bar).
pub fn generator_count(units: &[crate::kustomize::manifest::Unit]) -> u64 {
    units.iter().map(|u| u.generators.len() as u64).sum()
}

/// `secretgen hash`: each Secret's hash variant and name suffix, with `explain` the JSON
/// hashed (values as sizes), as the text to print.
pub fn hash(session: &Session, paths: &[PathBuf], explain: bool) -> Result<String> {
    let out = render(session, paths, &Quiet)?.out;
    let mut text = String::new();
    for s in &out.secrets {
        let ns = s
            .namespace
            .as_deref()
            .map(|n| format!("{n}/"))
            .unwrap_or_default();
        match &s.hash {
            None => text.push_str(&format!(
                "{ns}{}: no suffix (disableNameSuffixHash), from {}\n",
                s.name, s.origin
            )),
            Some((variant, suffix)) => {
                text.push_str(&format!("{ns}{}: from {}\n", s.name, s.origin));
                text.push_str(&format!("  variant: {variant}\n"));
                if explain {
                    let json = s.hash_json(*variant, true);
                    text.push_str(&format!("  json:    {}\n", String::from_utf8_lossy(&json)));
                }
                text.push_str(&format!(
                    "  suffix:  {suffix} (first 10 hex digits of SHA-256 of the real JSON, 0→g 1→h 3→k a→m e→t)\n"
                ));
            }
        }
    }
    Ok(text)
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests make fixtures directly
mod tests {
    use std::path::Path;
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A session over no variable, and what it says, as text.
    fn session(vars: &[(&str, &Path)]) -> (Session, Arc<Mutex<Vec<String>>>) {
        let vars: Vec<(String, std::ffi::OsString)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.as_os_str().to_owned()))
            .collect();
        let said = Arc::new(Mutex::new(Vec::new()));
        let log = said.clone();
        let s = Session::with_env(
            Given::default(),
            &|k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()),
            |_| {},
        )
        .unwrap()
        .with_said(move |w| {
            let line = match w {
                Said::Warnings(w) => w.iter().map(|w| format!("warning: {w}")).collect(),
                Said::NoSecrets { read } => vec![format!("no Secrets: {read}")],
            };
            log.lock().unwrap().extend(line);
        });
        (s, said)
    }

    fn write(dir: &Path, files: &[(&str, &str)]) {
        for (name, text) in files {
            let p = dir.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
    }

    const KUSTOMIZATION: &str = "secretGenerator:\n- name: db\n  literals: [user=admin]\n- name: api\n  namespace: ns\n  literals: [token=t]\n";

    #[test]
    fn render_and_render_stream_give_the_secrets_in_kustomizes_order() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), &[("kustomization.yaml", KUSTOMIZATION)]);
        let (s, _) = session(&[]);
        let paths = [t.path().to_path_buf()];
        let r = render(&s, &paths, &Quiet).unwrap();
        let names: Vec<&str> = r.out.secrets.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names.len(), 2);
        assert!(
            names[0].starts_with("api-") && names[1].starts_with("db-"),
            "{names:?}"
        );
        let stream = render_stream(&s, &paths, &Quiet).unwrap();
        assert_eq!(stream.len(), 2);
        let mut printed = Vec::new();
        stream.write_to(&mut printed).unwrap();
        assert_eq!(printed, crate::secret::to_yaml(&r.out.secrets).to_vec());
    }

    /// The progress of a render is told its generators, each tick, and its end.
    #[test]
    fn render_tells_its_progress() {
        #[derive(Default)]
        struct Count(Mutex<(u64, u64, bool)>);
        impl Progress for Count {
            fn start(&self, n: u64) {
                self.0.lock().unwrap().0 = n;
            }
            fn tick(&self) {
                self.0.lock().unwrap().1 += 1;
            }
            fn finish(&self) {
                self.0.lock().unwrap().2 = true;
            }
        }
        let t = tempfile::tempdir().unwrap();
        write(t.path(), &[("kustomization.yaml", KUSTOMIZATION)]);
        let (s, _) = session(&[]);
        let count = Count::default();
        render_stream(&s, &[t.path().to_path_buf()], &count).unwrap();
        assert_eq!(*count.0.lock().unwrap(), (2, 2, true));
    }

    #[test]
    fn a_directory_with_nothing_to_render_is_refused_and_an_empty_build_said() {
        let t = tempfile::tempdir().unwrap();
        write(
            t.path(),
            &[
                ("empty/README", "nothing here\n"),
                ("none/kustomization.yaml", "resources: []\n"),
            ],
        );
        let (s, said) = session(&[]);
        let e = render_stream(&s, &[t.path().join("empty")], &Quiet)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("nothing to render under"), "{e}");
        let out = render_stream(&s, &[t.path().join("none")], &Quiet).unwrap();
        assert!(out.is_empty());
        assert_eq!(*said.lock().unwrap(), ["no Secrets: 1"]);
    }

    #[test]
    fn check_finds_a_broken_reference_and_passes_a_good_one() {
        let t = tempfile::tempdir().unwrap();
        let pod = |secret: &str| {
            format!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  containers:\n  - name: c\n    image: i\n    envFrom:\n    - secretRef: {{name: {secret}}}\n"
            )
        };
        write(
            t.path(),
            &[
                (
                    "good/kustomization.yaml",
                    "resources: [pod.yaml]\nsecretGenerator:\n- name: db\n  literals: [k=v]\n",
                ),
                ("good/pod.yaml", &pod("db")),
                (
                    "bad/kustomization.yaml",
                    "resources: [pod.yaml]\nsecretGenerator:\n- name: db\n  literals: [k=v]\n",
                ),
                ("bad/pod.yaml", &pod("dbx")),
            ],
        );
        let (s, _) = session(&[]);
        let good = check::check(&s, &[t.path().join("good")], false).unwrap();
        assert!(good.findings.is_empty(), "{:?}", good.findings);
        assert_eq!(good.secrets, 1);
        let bad = check::check(&s, &[t.path().join("bad")], false).unwrap();
        assert_eq!(bad.findings.len(), 1, "{:?}", bad.findings);
        assert!(bad.findings[0].to_string().contains("dbx"));
    }

    #[test]
    fn the_plaintext_gate_names_plain_inputs() {
        let t = tempfile::tempdir().unwrap();
        write(
            t.path(),
            &[(
                "kustomization.yaml",
                "secretGenerator:\n- name: db\n  files: [pass.txt]\n",
            )],
        );
        write(t.path(), &[("pass.txt", "hunter2\n")]);
        let (s, _) = session(&[]);
        let allow = crate::review::policy::AllowList::new(&[]).unwrap();
        let gate = check::require_encrypted(&s, &[t.path().to_path_buf()], &allow).unwrap();
        assert_eq!(gate.generators, 1);
        assert_eq!(gate.found.len(), 1);
        let f = gate.found[0].to_string();
        assert!(f.contains("pass.txt") && !f.contains("hunter2"), "{f}");
    }

    #[test]
    fn diff_of_two_trees_and_hash_of_one() {
        let t = tempfile::tempdir().unwrap();
        write(
            t.path(),
            &[
                ("old/kustomization.yaml", KUSTOMIZATION),
                (
                    "new/kustomization.yaml",
                    &KUSTOMIZATION.replace("user=admin", "user=root"),
                ),
            ],
        );
        let (s, _) = session(&[]);
        let same = diff::two(&s, &t.path().join("old"), &t.path().join("old")).unwrap();
        assert!(same.is_empty());
        let changed = diff::two(&s, &t.path().join("old"), &t.path().join("new")).unwrap();
        assert!(!changed.is_empty());
        let text = crate::review::diff::to_text(
            &changed,
            crate::review::diff::Style {
                color: false,
                show_values: false,
            },
        );
        assert!(text.contains("db") && !text.contains("root"), "{text}");
        let h = hash(&s, &[t.path().join("old")], true).unwrap();
        assert!(h.contains("ns/api-") && h.contains("variant:"), "{h}");
        assert!(h.contains("json:") && !h.contains("admin"), "{h}");
    }

    #[test]
    fn the_exec_plugin_and_the_krm_function_run_over_the_session() {
        let t = tempfile::tempdir().unwrap();
        let config = "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: s\nfiles: [k.txt]\n";
        write(t.path(), &[("gen.yaml", config), ("k.txt", "v")]);
        // kustomize runs the plugin from the kustomization's directory.
        let (s, _) = session(&[("KUSTOMIZE_PLUGIN_CONFIG_ROOT", t.path())]);
        let out = plugin::exec(&s, &t.path().join("gen.yaml")).unwrap();
        let out = String::from_utf8(out.to_vec()).unwrap();
        assert!(
            out.contains("name: s\n") && out.contains("needs-hash"),
            "{out}"
        );
        let list = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n  apiVersion: secretgen.dev/v1\n  kind: SecretGenerator\n  metadata:\n    name: s\n  literals: [k=v]\n";
        let answer = plugin::function(&s, list);
        assert!(answer.error.is_none());
        let out = String::from_utf8(answer.stdout.to_vec()).unwrap();
        assert!(
            out.contains("- apiVersion: v1\n  data:\n    k: dg==\n"),
            "{out}"
        );
        let answer = plugin::function(&s, "kind: ConfigMap\n");
        assert!(answer.error.is_some());
        assert!(String::from_utf8_lossy(&answer.stdout).contains("results:"));
    }

    /// A writer that takes at most `most` bytes a call, is interrupted every third call, and
    /// records how much each call was offered.
    struct Slow {
        got: Vec<u8>,
        most: usize,
        calls: usize,
        offered: Vec<usize>,
    }

    impl std::io::Write for Slow {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.write_vectored(&[std::io::IoSlice::new(buf)])
        }
        fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
            self.calls += 1;
            if self.calls.is_multiple_of(3) {
                return Err(std::io::ErrorKind::Interrupted.into());
            }
            self.offered.push(bufs.iter().map(|b| b.len()).sum());
            let mut taken = 0;
            for b in bufs {
                let n = b.len().min(self.most - taken);
                self.got.extend_from_slice(&b[..n]);
                taken += n;
                if taken == self.most {
                    break;
                }
            }
            Ok(taken)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Documents are written whole, `---` between them (an empty one too), whatever each
    /// write takes and however often it is interrupted; a write gathers documents up to
    /// [`WRITE_BATCH`] bytes and no more unless one document alone is larger; a writer that
    /// takes nothing is an error, not a loop.
    #[test]
    fn documents_are_written_whole_in_batches() {
        let doc = |n: usize, b: u8| Zeroizing::new(vec![b; n]);
        let cases: Vec<Vec<Zeroizing<Vec<u8>>>> = vec![
            vec![],
            vec![doc(10, b'a')],
            vec![doc(3, b'a'), doc(0, b'b'), doc(5, b'c')],
            (0..40)
                .map(|i| doc(1000 + i * 97, b'a' + i as u8 % 26))
                .collect(),
            vec![doc(10, b'x'), doc(3 * WRITE_BATCH, b'y'), doc(10, b'z')],
        ];
        for docs in cases {
            let want = docs.iter().map(|d| d.as_slice()).collect::<Vec<_>>().join(
                &b"---
"[..],
            );
            for most in [1, 7, 4096, usize::MAX] {
                let mut out = Slow {
                    got: Vec::new(),
                    most,
                    calls: 0,
                    offered: Vec::new(),
                };
                write_documents(&mut out, &docs).unwrap();
                assert_eq!(
                    out.got,
                    want,
                    "{} documents, {most} bytes a write",
                    docs.len()
                );
                if most == usize::MAX {
                    let largest = docs.iter().map(|d| d.len()).max().unwrap_or(0);
                    let bound = WRITE_BATCH.max(largest + 4);
                    assert!(out.offered.iter().all(|&n| n <= bound), "{:?}", out.offered);
                    if want.len() > 2 * WRITE_BATCH && largest < WRITE_BATCH / 2 {
                        assert!(out.offered.len() < docs.len(), "{:?}", out.offered);
                    }
                }
            }
        }
        struct Full;
        impl std::io::Write for Full {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Ok(0)
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let e = write_documents(&mut Full, &[doc(5, b'a')]).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::WriteZero);
    }
}

//! The KRM function: in, a `ResourceList` on stdin whose `functionConfig` is the generator;
//! out, the same list with the Secrets appended to `items`, every input item passed through
//! as text (comments and field order kept), or the errors as `results`. Under kustomize (a
//! functionConfig that declares `config.kubernetes.io/function`) the Secrets are marked
//! `needs-hash` as for the exec plugin; under kpt they carry their final names.

use std::path::{Path, PathBuf};

use super::list;
use crate::error::{Error, Loc, Result, Warning};
use crate::kustomize::manifest::{self, Unit};
use crate::render::{self, Decrypt, Mode, Settings};
use crate::yaml;
use crate::yaml::emit;

/// The KRM function: the ResourceList to print, and the error its `results` hold, if any
/// (for the caller to print on stderr too: kustomize shows stderr and drops `results`).
pub fn function(
    input: &str,
    root: &Path,
    settings: &Settings,
    keys: &dyn Decrypt,
) -> (Vec<u8>, Option<Error>, Vec<Warning>) {
    let stdin = Path::new("<stdin>");
    match function_inner(input, stdin, root, settings, keys) {
        Ok((out, warnings)) => (out, None, warnings),
        Err(e) => (error_list(input, &e), Some(e), Vec::new()),
    }
}

/// Whether `input` is a KRM `ResourceList`: the test that chooses KRM mode for a bare
/// `secretgen` reading stdin.
pub fn is_resource_list(input: &str) -> bool {
    yaml::parse_stream(input).is_ok_and(|docs| docs.first().is_some_and(list::is_list))
}

fn function_inner(
    input: &str,
    stdin: &Path,
    root: &Path,
    settings: &Settings,
    keys: &dyn Decrypt,
) -> Result<(Vec<u8>, Vec<Warning>)> {
    let docs = list::read(input)?;
    let list = &docs[0];
    if let Some(items) = list.get("items")
        && !items.is_null()
        && items.as_seq().is_none()
    {
        return Err(super::Error::ItemsNotAList {
            loc: Loc::at(stdin, items.mark),
            found: items.kind_name(),
        }
        .into());
    }
    let config = list
        .get("functionConfig")
        .filter(|c| !c.is_null())
        .ok_or_else(|| super::Error::NoFunctionConfig {
            loc: Loc::at(stdin, list.mark),
        })?;
    let config_file = annotation(config, "config.kubernetes.io/path")
        .or_else(|| annotation(config, "internal.config.kubernetes.io/path"))
        .map(|p| root.join(p))
        .unwrap_or_else(|| PathBuf::from("<functionConfig>"));
    let unit: Unit = match config_on_disk(list, config, root) {
        // kpt passes its own rewrite of the file (annotations added): positions in it are
        // not the file's. The file itself, where it holds just this generator, is read
        // instead, so that an error points at the user's line.
        Some((file, text)) => manifest::read_generator_file(&file, &text, root, true)?,
        None => {
            let config_text = slice(input, config.mark.start, config.mark.end);
            let mut unit =
                manifest::read_generator_file(&config_file, &dedent(config_text), root, true)?;
            // Positions inside the functionConfig are relative to its own text.
            unit.file = config_file.clone();
            unit
        }
    };
    let under_kustomize = run_by_kustomize(config);
    let settings = Settings {
        mode: if under_kustomize {
            Mode::Plugin
        } else {
            Mode::Render
        },
        ..settings.clone()
    };
    let mut out = render::render_units(std::slice::from_ref(&unit), &settings, keys)?;
    // Under kpt the Secrets land in the package: each is marked with its generator, so that
    // the next run replaces it (kpt then deletes its file) instead of adding a second one.
    let mut ours = Vec::new();
    if !under_kustomize {
        for s in &mut out.secrets {
            let id = generated_by(s.namespace.as_deref(), &s.base_name);
            s.annotations.insert(GENERATED_BY.into(), id.clone());
            ours.push(id);
        }
    }

    let split = split_items(input, list);
    let mut w = match &split {
        Some(split) => {
            let mut w = list::Writer::after(&input[..split.prefix_end]);
            for (item, text) in split.items.iter().zip(&split.texts) {
                if !is_local_config_generator(item) && !is_generated_by(item, &ours) {
                    w.text(text);
                }
            }
            w
        }
        None => list::Writer::new(false),
    };
    let indent = split
        .as_ref()
        .map(|s| s.indent.as_str())
        .unwrap_or_default();
    for s in &out.secrets {
        let mut doc = Vec::new();
        if settings.redact {
            // Under kustomize, named from what it is given: the markers carry the real hash.
            emit::write_document(&s.to_redacted_node(under_kustomize), &mut doc);
        } else {
            emit::write_document(&s.to_node(), &mut doc);
        }
        w.item(&String::from_utf8_lossy(&doc), indent);
    }
    if let Some(split) = &split {
        w.rest(&input[split.suffix_start..]);
    }
    Ok((w.finish().into_bytes(), out.warnings))
}

/// The block sequence `items` of a ResourceList, cut into each item's own text (from the
/// line of its `-` to the next item's), so items pass through byte for byte.
struct Items<'a> {
    items: &'a [yaml::Node],
    texts: Vec<&'a str>,
    /// Where the first item's line starts, and where the text after the list starts.
    prefix_end: usize,
    suffix_start: usize,
    /// The indentation of the `-`s, for appended items.
    indent: String,
}

fn split_items<'a>(input: &'a str, list: &'a yaml::Node) -> Option<Items<'a>> {
    let node = list.get("items")?;
    let items = node.as_seq().filter(|s| !s.is_empty())?;
    let first = dash_line(input, byte_at(input, items[0].mark.start), None);
    let col = input[first..].len() - input[first..].trim_start_matches(' ').len();
    if !input[first + col..].starts_with('-') {
        return None; // a flow sequence
    }
    let seq_end = line_start(input, byte_at(input, node.mark.end)).max(first);
    let starts: Vec<usize> = items
        .iter()
        .map(|item| dash_line(input, byte_at(input, item.mark.start), Some(col)))
        .collect();
    let texts = (0..items.len())
        .map(|i| {
            let end = starts.get(i + 1).copied().unwrap_or(seq_end);
            &input[starts[i]..end.max(starts[i])]
        })
        .collect();
    Some(Items {
        items,
        texts,
        prefix_end: first,
        suffix_start: seq_end,
        indent: " ".repeat(col),
    })
}

/// kustomize runs a generator as a KRM function when its config declares the function in
/// `config.kubernetes.io/function` (or the older `config.k8s.io/function`), and then treats
/// the output as it treats an exec plugin's: it adds the name suffix to the resources marked
/// `needs-hash` and rewrites references to them. kpt takes the function from its command
/// line or Kptfile and does neither, so there the Secrets come with their final names.
fn run_by_kustomize(config: &yaml::Node) -> bool {
    ["config.kubernetes.io/function", "config.k8s.io/function"]
        .iter()
        .any(|key| annotation(config, key).is_some())
}

/// The annotation that marks a Secret this function generated in a kpt package, with the
const GENERATED_BY: &str = "secretgen.dev/generated-by";

fn generated_by(namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_string(),
    }
}

/// A Secret that an earlier run of one of these generators left in the package.
fn is_generated_by(item: &yaml::Node, ours: &[String]) -> bool {
    item.get("kind").and_then(|k| k.as_str()) == Some("Secret")
        && annotation(item, GENERATED_BY).is_some_and(|id| ours.iter().any(|o| o == id))
}

fn annotation<'a>(node: &'a yaml::Node, key: &str) -> Option<&'a str> {
    node.get("metadata")?.get("annotations")?.get(key)?.as_str()
}

/// A generator config in `items` that says it is local config is consumed, not passed on,
/// unless it is a file of the package (kpt marks those with a path annotation): kpt deletes
/// the file of every item a function drops, and the user's generator must not go with it.
fn is_local_config_generator(item: &yaml::Node) -> bool {
    manifest::generator_format(item).is_some()
        && annotation(item, "config.kubernetes.io/local-config") == Some("true")
        && annotation(item, "internal.config.kubernetes.io/path").is_none()
        && annotation(item, "config.kubernetes.io/path").is_none()
}

/// The text of a block node, moved left so that it parses on its own.
fn dedent(text: &str) -> String {
    let indent = text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches(' ').len())
        .min()
        .unwrap_or(0);
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.lines().enumerate() {
        if i == 0 {
            out.push_str(line);
        } else {
            out.push_str(line.get(indent..).unwrap_or(line.trim_start_matches(' ')));
        }
        out.push('\n');
    }
    out
}

/// The byte offset of a character index (the parser counts characters).
fn byte_at(text: &str, char_index: usize) -> usize {
    if text.is_ascii() {
        return char_index.min(text.len());
    }
    text.char_indices()
        .nth(char_index)
        .map_or(text.len(), |(b, _)| b)
}

fn slice(text: &str, start: usize, end: usize) -> &str {
    &text[byte_at(text, start)..byte_at(text, end)]
}

/// The start of the line holding the `-` that introduces the sequence item at `byte` (an
/// item may begin on a later line, after a comment). With `col`, the dash must sit there.
fn dash_line(text: &str, byte: usize, col: Option<usize>) -> usize {
    let mut start = line_start(text, byte);
    loop {
        let line = &text[start..];
        let dash = line.len() - line.trim_start_matches(' ').len();
        if line[dash..].starts_with('-') && col.is_none_or(|c| c == dash) {
            return start;
        }
        if start == 0 {
            return line_start(text, byte);
        }
        start = line_start(text, start - 1);
    }
}

fn line_start(text: &str, byte: usize) -> usize {
    text[..byte].rfind('\n').map_or(0, |i| i + 1)
}

/// A ResourceList that passes the input items through and reports the error.
pub(crate) fn error_list(input: &str, e: &Error) -> Vec<u8> {
    let docs = yaml::parse_stream(input).unwrap_or_default();
    let config_file = docs.first().and_then(config_file_of_item);
    let mut w = match docs.first().and_then(|list| split_items(input, list)) {
        Some(split) => {
            // Everything up to the first item as it came (comments included).
            let mut w = list::Writer::after(&input[..split.prefix_end]);
            for text in split.texts {
                w.text(text);
            }
            w
        }
        None => list::Writer::new(true),
    };
    w.results(e, &|err| {
        let loc = error_loc(err)?;
        // kpt's --fn-config arrives without its path; the package file it came from is
        // the item of the same generator, which kpt does annotate.
        Some(
            match (&config_file, loc.file == Path::new("<functionConfig>")) {
                (Some(f), true) => f.clone(),
                _ => loc.file.display().to_string(),
            },
        )
    });
    w.finish().into_bytes()
}

/// The file the functionConfig came from, and its text, when the host names it (on the config
/// or on the item of the same generator) and it holds that one document and nothing else.
fn config_on_disk(
    list: &yaml::Node,
    config: &yaml::Node,
    root: &Path,
) -> Option<(PathBuf, String)> {
    let rel = annotation(config, "config.kubernetes.io/path")
        .or_else(|| annotation(config, "internal.config.kubernetes.io/path"))
        .map(str::to_string)
        .or_else(|| config_file_of_item(list))?;
    let file = if root == Path::new(".") {
        PathBuf::from(rel)
    } else {
        root.join(rel)
    };
    let text = manifest::read_text(&file).ok()?;
    let docs = yaml::parse_stream(&text).ok()?;
    let [doc] = docs.as_slice() else {
        return None;
    };
    let field = |n: &yaml::Node, k: &str| n.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let name = |n: &yaml::Node| n.get("metadata").and_then(|m| field(m, "name"));
    let same = field(doc, "apiVersion") == field(config, "apiVersion")
        && field(doc, "kind") == field(config, "kind")
        && name(doc) == name(config);
    same.then_some((file, text))
}

/// The package file of the item that is the functionConfig's generator (same apiVersion,
/// kind and name), when the host annotated the item with its path.
fn config_file_of_item(list: &yaml::Node) -> Option<String> {
    let config = list.get("functionConfig")?;
    let id = |n: &yaml::Node| {
        (
            n.get("apiVersion")
                .and_then(|v| v.as_str())
                .map(str::to_string),
            n.get("kind").and_then(|v| v.as_str()).map(str::to_string),
            n.get("metadata")
                .and_then(|m| m.get("name"))
                .and_then(|v| v.as_str())
                .map(str::to_string),
        )
    };
    let want = id(config);
    list.get("items")?.as_seq()?.iter().find_map(|item| {
        if id(item) != want {
            return None;
        }
        annotation(item, "config.kubernetes.io/path")
            .or_else(|| annotation(item, "internal.config.kubernetes.io/path"))
            .map(str::to_string)
    })
}

fn error_loc(e: &Error) -> Option<&Loc> {
    match e {
        Error::Yaml(e) => Some(e.loc()),
        Error::Kustomize(e) => e.loc(),
        Error::Secret(e) => Some(e.loc()),
        Error::Crypt { loc, .. } | Error::Sops { loc, .. } | Error::Age { loc, .. } => Some(loc),
        Error::Layer(e) => e.loc(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::render::NoKeys;

    const GEN: &str = "  apiVersion: secretgen.dev/v1\n  kind: SecretGenerator\n  metadata:\n    name: s\n    annotations:\n      config.kubernetes.io/local-config: \"true\"\n  literals:\n  - k=v\n";

    #[test]
    fn a_list_it_cannot_run_is_placed_on_stdin_in_the_results() {
        for (input, said) in [
            (
                "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n",
                "<stdin>:1:1: the ResourceList has no functionConfig: pass the generator with --fn-config",
            ),
            (
                "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: {a: 1}\n",
                "<stdin>:3:8: the ResourceList's `items` must be a list, found a mapping (its items would be lost)",
            ),
        ] {
            let (out, error, _) = function(input, Path::new("."), &Settings::default(), &NoKeys);
            let error = error.expect("refused").to_string();
            assert_eq!(error, said);
            let out = String::from_utf8(out).unwrap();
            assert!(out.contains("    path: <stdin>\n"), "{out}");
        }
    }

    #[test]
    fn appends_secrets_and_passes_items_through() {
        let input = format!(
            "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- # first\n  kind: ConfigMap\n  metadata: {{name: c}}   # odd spacing kept\n  data:\n    z: 1\n    a: 2\n-{}functionConfig:\n{GEN}",
            &GEN[1..]
        );
        let (out, error, _) = function(&input, Path::new("."), &Settings::default(), &NoKeys);
        let out = String::from_utf8(out).unwrap();
        assert!(error.is_none(), "{out}");
        assert_eq!(
            out,
            format!(
                "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- # first\n  kind: ConfigMap\n  metadata: {{name: c}}   # odd spacing kept\n  data:\n    z: 1\n    a: 2\n- apiVersion: v1\n  data:\n    k: dg==\n  kind: Secret\n  metadata:\n    annotations:\n      secretgen.dev/generated-by: s\n    name: s-ftgtgc4t9f\n  type: Opaque\nfunctionConfig:\n{GEN}"
            )
        );
    }

    #[test]
    fn under_kustomize_secrets_are_marked_for_its_suffix() {
        // kustomize sends the config that declares the function as functionConfig and item.
        let config = GEN.replace(
            "      config.kubernetes.io/local-config: \"true\"\n",
            "      config.kubernetes.io/function: |\n        exec:\n          path: secretgen\n      config.kubernetes.io/local-config: \"true\"\n",
        );
        let config = config.replace("  - k=v\n", "  - k=v\n  behavior: merge\n");
        let input = format!(
            "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n-{}functionConfig:\n{config}",
            &config[1..]
        );
        let (out, error, _) = function(&input, Path::new("."), &Settings::default(), &NoKeys);
        let out = String::from_utf8(out).unwrap();
        assert!(error.is_none(), "{out}");
        assert_eq!(
            out,
            format!(
                "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  data:\n    k: dg==\n  kind: Secret\n  metadata:\n    annotations:\n      kustomize.config.k8s.io/behavior: merge\n      kustomize.config.k8s.io/needs-hash: \"true\"\n    name: s\n  type: Opaque\nfunctionConfig:\n{config}"
            )
        );
    }

    #[test]
    fn errors_become_results() {
        let input = format!(
            "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- kind: A\nfunctionConfig:\n{}  files:\n  - missing.txt\n",
            GEN
        );
        let root = std::env::temp_dir();
        let (out, error, _) = function(&input, &root, &Settings::default(), &NoKeys);
        let out = String::from_utf8(out).unwrap();
        assert!(error.is_some_and(|e| e.to_string().contains("cannot read `missing.txt`")));
        assert!(out.starts_with("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- kind: A\nresults:\n- file:\n"), "{out}");
        assert!(out.contains("severity: error"));
        assert!(out.contains("cannot read `missing.txt`"), "{out}");
    }
}

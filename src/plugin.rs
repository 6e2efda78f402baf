//! Running inside kustomize and kpt.
//!
//! Legacy exec plugin: in, the path of kustomize's copy of a generator config, with the
//! kustomization root as the working directory; out, the Secrets as a YAML stream under their
//! plain names, marked `needs-hash` so that kustomize suffixes them and rewrites references.
//! KRM function: in, a `ResourceList` on stdin whose `functionConfig` is the generator; out,
//! the same list with the Secrets appended to `items`, every input item passed through as
//! text (comments and field order kept), or the errors as `results`.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use crate::emit::{self, Node};
use crate::error::{Error, Loc, Result, Warning};
use crate::manifest::{self, Unit};
use crate::render::{self, Decrypt, Mode, Settings};
use crate::yaml::{self, Value};

/// The directory kustomize runs an exec plugin from (its working directory, also in
/// `KUSTOMIZE_PLUGIN_CONFIG_ROOT`).
pub fn plugin_root() -> PathBuf {
    std::env::var_os("KUSTOMIZE_PLUGIN_CONFIG_ROOT")
        .map(PathBuf::from)
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The exec plugin: renders the generator config at `config` with file paths resolved from
/// `root`, and returns the YAML stream to print.
pub fn exec(
    config: &Path,
    root: &Path,
    settings: &Settings,
    keys: &dyn Decrypt,
) -> Result<(Vec<u8>, Vec<Warning>)> {
    let text = manifest::read_text(config)?;
    let unit = manifest::read_generator_file(config, &text, root, true)?;
    let settings = Settings {
        mode: Mode::Plugin,
        ..settings.clone()
    };
    let out = render::render_units(std::slice::from_ref(&unit), &settings, keys)?;
    Ok((render::to_yaml(&out.secrets).to_vec(), out.warnings))
}

/// The KRM function: the ResourceList to print, and whether it holds an error result.
pub fn function(
    input: &str,
    root: &Path,
    settings: &Settings,
    keys: &dyn Decrypt,
) -> (Vec<u8>, bool, Vec<Warning>) {
    let stdin = Path::new("<stdin>");
    match function_inner(input, stdin, root, settings, keys) {
        Ok((out, warnings)) => (out, false, warnings),
        Err(e) => (error_list(input, &e), true, Vec::new()),
    }
}

fn function_inner(
    input: &str,
    stdin: &Path,
    root: &Path,
    settings: &Settings,
    keys: &dyn Decrypt,
) -> Result<(Vec<u8>, Vec<Warning>)> {
    let docs = yaml::parse_stream(input).map_err(|e| Error::Syntax {
        loc: Loc::at(stdin, e.mark),
        message: e.message,
    })?;
    let list = docs
        .first()
        .filter(|d| d.get("kind").and_then(|k| k.as_str()) == Some("ResourceList"))
        .ok_or_else(|| {
            Error::manifest(
                Loc::file(stdin),
                "expected a ResourceList (kind: ResourceList) on stdin",
            )
        })?;
    let config = list
        .get("functionConfig")
        .filter(|c| !c.is_null())
        .ok_or_else(|| {
            Error::manifest(
                Loc::at(stdin, list.mark),
                "the ResourceList has no functionConfig: pass the generator with --fn-config",
            )
        })?;
    let config_file = annotation(config, "config.kubernetes.io/path")
        .or_else(|| annotation(config, "internal.config.kubernetes.io/path"))
        .map(|p| root.join(p))
        .unwrap_or_else(|| PathBuf::from("<functionConfig>"));
    let config_text = slice(input, config.mark.start, config.mark.end);
    let mut unit: Unit =
        manifest::read_generator_file(&config_file, &dedent(config_text), root, true)?;
    // Positions inside the functionConfig are relative to its own text.
    unit.file = config_file.clone();
    let settings = Settings {
        mode: Mode::Render,
        ..settings.clone()
    };
    let out = render::render_units(std::slice::from_ref(&unit), &settings, keys)?;

    let items = list.get("items").and_then(|i| i.as_seq()).unwrap_or(&[]);
    let mut kept: Vec<&str> = Vec::new();
    let mut indent = String::new();
    let mut prefix_end = None;
    let mut suffix_start = None;
    if let Some(items_node) = list
        .get("items")
        .filter(|n| n.as_seq().is_some_and(|s| !s.is_empty()))
    {
        let first = line_start(input, byte_at(input, items[0].mark.start));
        prefix_end = Some(first);
        let seq_end = line_start(input, byte_at(input, items_node.mark.end));
        suffix_start = Some(seq_end.max(first));
        indent = input[first..].chars().take_while(|c| *c == ' ').collect();
        for (i, item) in items.iter().enumerate() {
            let start = line_start(input, byte_at(input, item.mark.start));
            let end = match items.get(i + 1) {
                Some(next) => line_start(input, byte_at(input, next.mark.start)),
                None => seq_end.max(start),
            };
            if is_local_config_generator(item) {
                continue;
            }
            kept.push(&input[start..end]);
        }
    }
    let mut generated = Vec::new();
    for s in &out.secrets {
        let mut doc = Vec::new();
        emit::write_document(&s.to_node(), &mut doc);
        as_sequence_item(&String::from_utf8_lossy(&doc), &indent, &mut generated);
    }
    let mut result = String::new();
    match (prefix_end, suffix_start) {
        (Some(p), Some(s)) => {
            result.push_str(&input[..p]);
            for k in kept {
                result.push_str(k);
                if !k.ends_with('\n') {
                    result.push('\n');
                }
            }
            result.push_str(&generated.join(""));
            result.push_str(&input[s..]);
        }
        _ => {
            result.push_str("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n");
            result.push_str(&generated.join(""));
        }
    }
    Ok((result.into_bytes(), out.warnings))
}

fn annotation<'a>(node: &'a yaml::Node, key: &str) -> Option<&'a str> {
    node.get("metadata")?.get("annotations")?.get(key)?.as_str()
}

/// A generator config in `items` that says it is local config is consumed, not passed on.
fn is_local_config_generator(item: &yaml::Node) -> bool {
    manifest::generator_format(item).is_some()
        && annotation(item, "config.kubernetes.io/local-config") == Some("true")
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

fn as_sequence_item(doc: &str, indent: &str, out: &mut Vec<String>) {
    let mut s = String::with_capacity(doc.len() + 64);
    for (i, line) in doc.lines().enumerate() {
        if line.is_empty() {
            s.push('\n');
            continue;
        }
        s.push_str(indent);
        s.push_str(if i == 0 { "- " } else { "  " });
        s.push_str(line);
        s.push('\n');
    }
    out.push(s);
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

fn line_start(text: &str, byte: usize) -> usize {
    text[..byte].rfind('\n').map_or(0, |i| i + 1)
}

/// A ResourceList that passes the input items through and reports the error.
fn error_list(input: &str, e: &Error) -> Vec<u8> {
    let mut results = Vec::new();
    let errors: Vec<&Error> = match e {
        Error::Many(list) => list.iter().collect(),
        other => vec![other],
    };
    for err in errors {
        let mut fields: Vec<(Cow<'_, str>, Node<'_>)> = vec![
            ("message".into(), Node::Str(err.to_string().into())),
            ("severity".into(), Node::Str("error".into())),
        ];
        if let Some(loc) = error_loc(err) {
            fields.push((
                "file".into(),
                Node::Map(vec![(
                    "path".into(),
                    Node::Str(loc.file.display().to_string().into()),
                )]),
            ));
        }
        results.push(Node::Map(fields));
    }
    let items = yaml::parse_stream(input)
        .ok()
        .and_then(|d| d.into_iter().next())
        .and_then(|l| {
            let items = l.get("items")?;
            matches!(items.value, Value::Seq(_))
                .then(|| slice(input, items.mark.start, items.mark.end).to_string())
        });
    let mut out = String::from("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n");
    match items {
        Some(text) if !text.trim().is_empty() && !text.trim_start().starts_with('[') => {
            out.push_str("items:\n");
            let first_indent = text.len() - text.trim_start_matches(' ').len();
            let _ = first_indent;
            for line in text.trim_end().lines() {
                out.push_str(line);
                out.push('\n');
            }
        }
        _ => out.push_str("items: []\n"),
    }
    let mut doc = Vec::new();
    emit::write_document(
        &Node::Map(vec![("results".into(), Node::Seq(results))]),
        &mut doc,
    );
    out.push_str(&String::from_utf8_lossy(&doc));
    out.into_bytes()
}

fn error_loc(e: &Error) -> Option<&Loc> {
    match e {
        Error::Syntax { loc, .. }
        | Error::Manifest { loc, .. }
        | Error::Source { loc, .. }
        | Error::Invalid { loc, .. }
        | Error::Crypt { loc, .. } => Some(loc),
        _ => None,
    }
}

/// Where kustomize looks for plugins: `$KUSTOMIZE_PLUGIN_HOME`, else
/// `$XDG_CONFIG_HOME/kustomize/plugin`, else `~/.config/kustomize/plugin`. The flag says
/// whether kustomize finds it without being told (`KUSTOMIZE_PLUGIN_HOME` unset).
pub fn default_plugin_home() -> Option<(PathBuf, bool)> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(h) = var("KUSTOMIZE_PLUGIN_HOME") {
        return Some((h, true));
    }
    if let Some(x) = var("XDG_CONFIG_HOME") {
        return Some((x.join("kustomize/plugin"), true));
    }
    var("HOME").map(|h| (h.join(".config/kustomize/plugin"), true))
}

/// The plugin's place under a plugin home.
pub const PLUGIN_PATH: &str = "secretgen.dev/v1/secretgenerator/SecretGenerator";

/// Installs the plugin under `home` as a symlink to `exe` (the binary recognises the name
/// `SecretGenerator`, so kustomize starts it with no shell in between). Replaces an older
/// installation atomically.
pub fn install(home: &Path, exe: &Path) -> Result<PathBuf> {
    let target = home.join(PLUGIN_PATH);
    let dir = target.parent().unwrap_or(home);
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "cannot create", e))?;
    let tmp = dir.join(".SecretGenerator.tmp");
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(exe, &tmp)
        .map_err(|e| Error::io(&tmp, "cannot create symlink", e))?;
    std::fs::rename(&tmp, &target).map_err(|e| Error::io(&target, "cannot install", e))?;
    Ok(target)
}

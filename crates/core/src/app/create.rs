//! The `kubectl create secret` forms.
//!
//! In: the arguments of `generic`, `tls`, `docker-registry` (and the `basic-auth` and
//! `ssh-auth` forms kubectl lacks). Out: the Secret exactly as
//! `kubectl create secret … --dry-run=client -o yaml` prints it (one-line base64,
//! `creationTimestamp: null`, no `type` for `generic` without `--type`, kubectl's hash with
//! `--append-hash`), or the secretgen.dev/v1 manifest that produces it. Parses as kubectl
//! does: no quote stripping, directories expanded, env-file keys validated.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use crate::error::{Error, Loc, Result};
use crate::gate::read::{self as reader, Origin as ReadOrigin, ReadFailure};
use crate::kustomize::gojson;
use crate::kustomize::hash::HashVariant;
use crate::kustomize::source;
use crate::place::io_reason;
use crate::render::MAX_SECRET_BYTES;
use crate::secret::validate;
use crate::secret::{Entry, Key, Secret, SecretBytes, SecretString, base64_plain};
use crate::yaml::emit::{self, Node};

/// A Secret built from flags, and the flags that built it.
///
/// The Secret is the one model, printed as kubectl prints it; beside it only what the model
/// has no place for: `--append-hash` (applied when printed) and the arguments each key came
/// from (for `--generator`, which names them instead of the values).
#[derive(Debug)]
pub struct Request {
    pub(crate) secret: Secret,
    pub append_hash: bool,
    /// Where each key came from, for `--generator`.
    pub(crate) origins: Vec<Origin>,
}

/// A source as the generator manifest would name it.
#[derive(Debug, Clone)]
pub(crate) enum Origin {
    Literal(String),
    File(String),
    Env(String),
}

/// A `create` form's arguments that cannot make a Secret. The texts are kubectl's where
/// kubectl has the case; none holds a value.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// A key kubectl refuses.
    #[error("{0}")]
    Key(#[source] validate::Violation),
    #[error("cannot add key `{0}`: another key by that name already exists")]
    DuplicateKey(Key),
    #[error("invalid --from-literal: expected key=value with a key")]
    Literal,
    /// A `--from-file` argument that is not `[key=]path`.
    #[error("--from-file={spec}: {reason}")]
    FileSpec { spec: String, reason: String },
    #[error("--from-file={0}: cannot give a key name for a directory path")]
    KeyForDirectory(String),
    /// A file that cannot be read, with the I/O reason.
    #[error("error reading {path}: {reason}")]
    Read { path: String, reason: String },
    /// A file of a directory that is not a regular file or too large.
    #[error("{0}")]
    Unreadable(String),
    #[error("key and cert must be specified (--cert and --key)")]
    TlsNeedsBoth,
    /// A certificate and key that do not make a pair.
    #[error("{cert}, {key}: {violation}")]
    TlsPair {
        cert: String,
        key: String,
        #[source]
        violation: validate::Violation,
    },
    #[error(
        "--generator needs the values in files (--from-file): a generator manifest in a repository should not hold credentials typed on the command line; write them to a file and encrypt it with `secretgen age encrypt`"
    )]
    GeneratorNeedsFiles,
    #[error(
        "either --from-file or the combination of --docker-username, --docker-password and --docker-server is required"
    )]
    DockerNeedsCredentials,
    #[error("basic-auth needs --username or --password-file (or both)")]
    BasicAuthNeedsInput,
    /// An env file kustomize's parser refuses (`at`: the file).
    #[error("{at}: {error}")]
    EnvFile {
        at: Loc,
        #[source]
        error: source::SourceError,
    },
    /// The key of an env file's line (`at`) that is no environment variable name: `shape`
    /// describes it (`describe_hidden`), never shows it.
    #[error(
        "{at}: the key on this line is not a valid environment variable name (letters, digits, `_`, `-`, `.`; not starting with a digit); it is {shape} (not shown: text from inside a file is never printed)"
    )]
    EnvVarName { at: Loc, shape: String },
    /// The key of an env file's line (`at`) that is no Secret key, described.
    #[error("{at}: {reason}")]
    HiddenKey {
        at: Loc,
        #[source]
        reason: validate::HiddenKey,
    },
    /// The key of an env file's line (`at`) that an earlier key already took.
    #[error(
        "{at}: cannot add the key of this line (not shown: text from inside a file is never printed): another key by that name already exists"
    )]
    HiddenKeyTwice { at: Loc },
}

/// Into the top-level error as the use cases' own.
/// Only an env file's errors name a file (and its line): that place is shown through `view`.
impl crate::error::LayerError for CreateError {
    fn relabel(
        self: Box<Self>,
        view: &dyn crate::place::PathView,
    ) -> Box<dyn crate::error::LayerError> {
        Box::new(match *self {
            CreateError::EnvFile { at, error } => CreateError::EnvFile {
                at: at.relabel(view),
                error,
            },
            CreateError::EnvVarName { at, shape } => CreateError::EnvVarName {
                at: at.relabel(view),
                shape,
            },
            CreateError::HiddenKey { at, reason } => CreateError::HiddenKey {
                at: at.relabel(view),
                reason,
            },
            CreateError::HiddenKeyTwice { at } => CreateError::HiddenKeyTwice {
                at: at.relabel(view),
            },
            other => other,
        })
    }

    fn loc(&self) -> Option<&Loc> {
        match self {
            CreateError::EnvFile { at, .. }
            | CreateError::EnvVarName { at, .. }
            | CreateError::HiddenKey { at, .. }
            | CreateError::HiddenKeyTwice { at } => Some(at),
            _ => None,
        }
    }
}

impl Request {
    pub fn new(name: &str, namespace: Option<String>) -> Self {
        let mut secret = Secret::new(name.to_string(), namespace, Loc::file(""));
        secret.kubectl_output = true;
        Request {
            secret,
            append_hash: false,
            origins: Vec::new(),
        }
    }

    /// `--type`, if given (kubectl prints and hashes only a given type).
    pub fn set_type(&mut self, type_: Option<String>) {
        self.secret.explicit_type = type_.is_some();
        self.secret.type_ = type_.unwrap_or_else(|| "Opaque".into());
    }

    fn put(&mut self, key: Key, value: SecretBytes, origin: Loc) {
        let entry = Entry {
            value,
            base64: SecretString::default(),
            origin,
            encrypted: false,
            to_substitute: false,
        };
        self.secret.data.insert(key, entry);
    }

    fn insert(&mut self, key: String, value: SecretBytes) -> Result<()> {
        let key = Key::from(key);
        key.check().map_err(CreateError::Key)?;
        if self.secret.data.contains_key(&key) {
            return Err(CreateError::DuplicateKey(key).into());
        }
        self.put(key, value, Loc::file(""));
        Ok(())
    }

    /// A key read from inside a file: the same rules, and messages that never show it.
    fn insert_hidden(&mut self, key: String, value: SecretBytes, at: Loc) -> Result<()> {
        validate::check_hidden_key(&key).map_err(|reason| CreateError::HiddenKey {
            at: at.clone(),
            reason,
        })?;
        if self.secret.data.contains_key(key.as_str()) {
            return Err(CreateError::HiddenKeyTwice { at }.into());
        }
        self.put(key.into(), value, at);
        Ok(())
    }

    /// `--from-literal=key=value`: split at the first `=`, nothing unquoted.
    pub fn literal(&mut self, spec: &str) -> Result<()> {
        let (k, v) = spec
            .split_once('=')
            .filter(|(k, _)| !k.is_empty())
            .ok_or(CreateError::Literal)?;
        self.insert(k.to_string(), SecretBytes::from_slice(v.as_bytes()))?;
        self.origins.push(Origin::Literal(spec.to_string()));
        Ok(())
    }

    /// `--from-file=[key=]path`: a file, or a directory's regular files in name order
    /// (sub-directories and symlinks skipped).
    pub fn file(&mut self, spec: &str) -> Result<()> {
        let (key, path) = source::parse_file_source(spec).map_err(|e| CreateError::FileSpec {
            spec: spec.to_string(),
            reason: e.to_string(),
        })?;
        let p = Path::new(path);
        let meta = std::fs::metadata(p).map_err(|e| CreateError::Read {
            path: path.to_string(),
            reason: io_reason(&e),
        })?;
        if meta.is_dir() {
            if key.is_some() {
                return Err(CreateError::KeyForDirectory(spec.to_string()).into());
            }
            let names = reader::dir_files(p).map_err(|e| Error::io(p, "cannot list", e))?;
            for n in names {
                let shown = p.join(&n).display().to_string();
                let mut bytes = reader::dir_file(p, &n, MAX_SECRET_BYTES).map_err(|f| match f {
                    ReadFailure::Io(e) => CreateError::Read {
                        path: shown.clone(),
                        reason: io_reason(&e),
                    },
                    f => CreateError::Unreadable(f.describe(&shown)),
                })?;
                let bytes = SecretBytes::new(std::mem::take(&mut *bytes));
                self.insert(n.to_string_lossy().into_owned(), bytes)?;
            }
        } else {
            let key = key
                .map(str::to_string)
                .unwrap_or_else(|| source::path_base(path));
            let bytes = read(p)?;
            self.insert(key, bytes)?;
        }
        self.origins.push(Origin::File(spec.to_string()));
        Ok(())
    }

    /// `--from-env-file=path`: kustomize's env parsing plus kubectl's key check, and a line
    /// without `=` taking its value from the process environment.
    pub fn env_file(&mut self, path: &str) -> Result<()> {
        let bytes = read(Path::new(path))?;
        let pairs = source::parse_env(bytes.expose()).map_err(|error| CreateError::EnvFile {
            at: Loc::file(path),
            error,
        })?;
        for p in pairs {
            let at = Loc::at(
                path,
                crate::yaml::Mark {
                    line: p.line,
                    col: 1,
                    ..Default::default()
                },
            );
            if !crate::review::check::is_env_var_name(&p.key) {
                let shape = validate::describe_hidden(&p.key, |c| {
                    c.is_ascii_alphanumeric() || "-._".contains(c)
                });
                return Err(CreateError::EnvVarName { at, shape }.into());
            }
            let value = if p.has_equals {
                p.value
            } else {
                SecretBytes::from_slice(std::env::var(&p.key).unwrap_or_default().as_bytes())
            };
            self.insert_hidden(p.key, value, at)?;
        }
        self.origins.push(Origin::Env(path.to_string()));
        Ok(())
    }

    /// The Secret as kubectl prints it (its name suffixed with kubectl's hash under
    /// `--append-hash`).
    pub fn into_yaml(mut self) -> Vec<u8> {
        if self.append_hash {
            let suffix = self.secret.hash_suffix(HashVariant::Kubectl);
            self.secret.name = format!("{}-{suffix}", self.secret.base_name);
            self.secret.hash = Some((HashVariant::Kubectl, suffix));
        }
        let mut out = Vec::new();
        emit::write_document(&self.secret.to_node(), &mut out);
        out
    }

    /// The secretgen.dev/v1 manifest that renders the same data (files referenced, not
    /// inlined). `hash: kubectl` when `--append-hash` was asked for, so the name matches.
    pub fn to_generator(&self) -> Result<Vec<u8>> {
        let mut meta: Vec<(Cow<'_, str>, Node<'_>)> =
            vec![("name".into(), Node::Str(self.secret.name.as_str().into()))];
        if let Some(ns) = &self.secret.namespace {
            meta.push(("namespace".into(), Node::Str(ns.as_str().into())));
        }
        let mut top: Vec<(Cow<'_, str>, Node<'_>)> = vec![
            ("apiVersion".into(), Node::Str("secretgen.dev/v1".into())),
            ("kind".into(), Node::Str("SecretGenerator".into())),
            ("metadata".into(), Node::Map(meta)),
        ];
        if self.secret.explicit_type {
            top.push(("type".into(), Node::Str(self.secret.type_.as_str().into())));
        }
        let pick = |f: fn(&Origin) -> Option<&String>| -> Vec<Node<'_>> {
            self.origins
                .iter()
                .filter_map(f)
                .map(|s| Node::Str(s.as_str().into()))
                .collect()
        };
        let literals = pick(|o| {
            if let Origin::Literal(s) = o {
                Some(s)
            } else {
                None
            }
        });
        let files = pick(|o| {
            if let Origin::File(s) = o {
                Some(s)
            } else {
                None
            }
        });
        let envs = pick(|o| {
            if let Origin::Env(s) = o {
                Some(s)
            } else {
                None
            }
        });
        if self.origins.is_empty() && !self.secret.data.is_empty() {
            return Err(CreateError::GeneratorNeedsFiles.into());
        }
        for (field, items) in [("literals", literals), ("files", files), ("envs", envs)] {
            if !items.is_empty() {
                top.push((field.into(), Node::Seq(items)));
            }
        }
        // kubectl's printing, so the rendered Secret is byte for byte kubectl's.
        top.push(("output".into(), Node::Str("kubectl".into())));
        if self.append_hash {
            top.push(("hash".into(), Node::Str("kubectl".into())));
        } else {
            top.push((
                "options".into(),
                Node::Map(vec![("disableNameSuffixHash".into(), Node::Bool(true))]),
            ));
        }
        // Editors that read the modeline (yaml-language-server) check the manifest as it is
        // edited; kustomize and secretgen read it as a comment.
        let mut out = crate::kustomize::schema::modeline().into_bytes();
        emit::write_document(&Node::Map(top), &mut out);
        Ok(out)
    }
}

/// A file named on the command line (a pipe is fine, a device is not), at most what a
/// Secret can hold.
fn read(path: &Path) -> Result<SecretBytes> {
    let shown = path.display().to_string();
    let mut bytes = reader::file(path, ReadOrigin::Argument, MAX_SECRET_BYTES).map_err(|e| {
        match e.failure {
            ReadFailure::Io(e) => CreateError::Read {
                path: shown,
                reason: io_reason(&e),
            },
            // A pipe is fine here: say what was refused as a command-line path.
            f @ (ReadFailure::NotRegular(_) | ReadFailure::TimedOut(_)) => {
                CreateError::Unreadable(format!("`{shown}` {f}"))
            }
            f => CreateError::Unreadable(f.describe(&shown)),
        }
    })?;
    Ok(SecretBytes::new(std::mem::take(&mut *bytes)))
}

/// `create tls`: the pair must match (Go's `tls.X509KeyPair`).
pub fn tls(req: &mut Request, cert: Option<&Path>, key: Option<&Path>) -> Result<()> {
    let (Some(cert), Some(key)) = (cert, key) else {
        return Err(CreateError::TlsNeedsBoth.into());
    };
    let c = read(cert)?;
    let k = read(key)?;
    validate::check_tls_pair(c.expose(), k.expose()).map_err(|violation| CreateError::TlsPair {
        cert: cert.display().to_string(),
        key: key.display().to_string(),
        violation,
    })?;
    req.set_type(Some("kubernetes.io/tls".into()));
    req.insert("tls.crt".into(), c)?;
    req.insert("tls.key".into(), k)?;
    req.origins
        .push(Origin::File(format!("tls.crt={}", cert.display())));
    req.origins
        .push(Origin::File(format!("tls.key={}", key.display())));
    Ok(())
}

/// Docker registry credentials.
pub struct Docker<'a> {
    pub server: &'a str,
    pub username: Option<&'a str>,
    pub password: Option<&'a str>,
    pub email: Option<&'a str>,
    pub from_file: Vec<PathBuf>,
}

/// `create docker-registry`: `.dockerconfigjson` from the credentials, or a file copied
/// verbatim (whatever key is given, as kubectl does).
pub fn docker_registry(req: &mut Request, d: &Docker<'_>) -> Result<()> {
    req.set_type(Some("kubernetes.io/dockerconfigjson".into()));
    if let Some(spec) = d.from_file.first() {
        let spec = spec.to_string_lossy();
        let (_, path) = source::parse_file_source(&spec).map_err(|e| CreateError::FileSpec {
            spec: spec.to_string(),
            reason: e.to_string(),
        })?;
        let bytes = read(Path::new(path))?;
        req.insert(".dockerconfigjson".into(), bytes)?;
        req.origins
            .push(Origin::File(format!(".dockerconfigjson={path}")));
        return Ok(());
    }
    let (Some(user), Some(pass)) = (d.username, d.password) else {
        return Err(CreateError::DockerNeedsCredentials.into());
    };
    let auth = base64_plain(format!("{user}:{pass}").as_bytes());
    let mut json = Vec::new();
    json.extend_from_slice(b"{\"auths\":{");
    gojson::write_go_string(&mut json, d.server.as_bytes());
    json.extend_from_slice(b":{\"username\":");
    gojson::write_go_string(&mut json, user.as_bytes());
    json.extend_from_slice(b",\"password\":");
    gojson::write_go_string(&mut json, pass.as_bytes());
    if let Some(email) = d.email.filter(|e| !e.is_empty()) {
        json.extend_from_slice(b",\"email\":");
        gojson::write_go_string(&mut json, email.as_bytes());
    }
    json.extend_from_slice(b",\"auth\":");
    gojson::write_go_string(&mut json, auth.as_bytes());
    json.extend_from_slice(b"}}}");
    req.insert(".dockerconfigjson".into(), SecretBytes::new(json))?;
    Ok(())
}

/// `create basic-auth`: `username` and/or `password` (from files, or literals).
pub fn basic_auth(
    req: &mut Request,
    username: Option<&str>,
    password_file: Option<&Path>,
) -> Result<()> {
    if username.is_none() && password_file.is_none() {
        return Err(CreateError::BasicAuthNeedsInput.into());
    }
    req.set_type(Some("kubernetes.io/basic-auth".into()));
    if let Some(u) = username {
        req.literal(&format!("username={u}"))?;
    }
    if let Some(p) = password_file {
        req.file(&format!("password={}", p.display()))?;
    }
    Ok(())
}

/// `create ssh-auth`: `ssh-privatekey` from a file.
pub fn ssh_auth(req: &mut Request, key_file: &Path) -> Result<()> {
    req.set_type(Some("kubernetes.io/ssh-auth".into()));
    req.file(&format!("ssh-privatekey={}", key_file.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::error::TestRev as Rev;

    #[test]
    fn an_env_line_is_placed_through_the_view_and_its_key_never_shown() {
        let at = Loc::at(
            "tmp/a.env",
            crate::yaml::Mark {
                line: 3,
                col: 1,
                ..Default::default()
            },
        );
        let e: Error = CreateError::HiddenKeyTwice { at: at.clone() }.into();
        assert_eq!(
            e.relabel(&Rev).to_string(),
            "REV:a.env:3:1: cannot add the key of this line (not shown: text from inside a file is never printed): another key by that name already exists"
        );
        let e: Error = CreateError::EnvFile {
            at: Loc::file("tmp/a.env"),
            error: source::SourceError::EnvInvalidUtf8 { line: 3 },
        }
        .into();
        assert_eq!(
            e.relabel(&Rev).to_string(),
            "REV:a.env: line 3 is not valid UTF-8 (env files are text)"
        );
    }
}

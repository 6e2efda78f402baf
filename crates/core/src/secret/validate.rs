//! The rules the Kubernetes API server applies to a Secret, checked at build time.
//!
//! In: a [`SecretView`] of a finished Secret. Out: every [`Violation`] (keys, name,
//! namespace, labels, annotations, size, the built-in types' required keys, TLS key/certificate
//! match, bootstrap tokens, Kuma) and [`Warning`]s. kustomize checks none of this; failing in
//! CI beats failing in the cluster. Messages name keys, labels and types, never a value.

use std::collections::BTreeMap;
use std::fmt;

use crate::gate::shown::Text;

/// What is validated: the Secret as it will be printed.
pub(crate) struct SecretView<'a> {
    /// The final name, including any hash suffix.
    pub(crate) name: &'a str,
    /// The name before the hash suffix.
    pub(crate) base_name: &'a str,
    pub(crate) namespace: Option<&'a str>,
    pub(crate) type_: &'a str,
    pub(crate) labels: &'a BTreeMap<String, String>,
    pub(crate) annotations: &'a BTreeMap<String, String>,
    /// Key and decoded bytes.
    pub(crate) data: &'a [(&'a str, &'a [u8])],
    pub(crate) has_hash_suffix: bool,
}

impl SecretView<'_> {
    fn get(&self, key: &str) -> Option<&[u8]> {
        self.data.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
}

/// What a violation is about, so the caller can point at the line that causes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Subject<'a> {
    Key(&'a str),
    Label(&'a str),
    Annotation(&'a str),
    Type,
    Name,
    Namespace,
    Secret,
}

/// A rule broken. `Display` states the rule in one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    #[error("key {} is not a valid Secret key ({reason})", Text::plain(key))]
    Key { key: String, reason: &'static str },
    #[error(
        "name `{}` is not a valid Secret name ({reason})",
        crate::yaml::printable(name)
    )]
    Name { name: String, reason: String },
    #[error(
        "namespace `{}` is not a valid namespace ({reason})",
        crate::yaml::printable(namespace)
    )]
    Namespace {
        namespace: String,
        reason: &'static str,
    },
    #[error("label key `{}` is invalid ({reason})", crate::yaml::printable(key))]
    LabelKey { key: String, reason: String },
    #[error(
        "label `{key}` has an invalid value `{}` ({reason})",
        crate::yaml::printable(value)
    )]
    LabelValue {
        key: String,
        value: String,
        reason: &'static str,
    },
    #[error(
        "annotation key `{}` is invalid ({reason})",
        crate::yaml::printable(key)
    )]
    AnnotationKey { key: String, reason: String },
    #[error("annotations total {size} bytes; the API server allows at most 262144 (256 KiB)")]
    AnnotationsTooLarge { size: usize },
    #[error("data totals {size} bytes; a Secret holds at most 1048576 bytes (1 MiB)")]
    TooLarge { size: usize },
    #[error("type `{type_}` needs {needs}")]
    TypeNeeds { type_: String, needs: String },
    #[error("type `{type_}`: key `{key}` must hold JSON ({reason})")]
    NotJson {
        type_: String,
        key: String,
        reason: String,
    },
    #[error("type `kubernetes.io/tls`: `{key}`: {reason}")]
    Tls { key: &'static str, reason: String },
    #[error("type `bootstrap.kubernetes.io/token`: {reason}")]
    Bootstrap {
        subject: BootstrapPart,
        reason: String,
    },
    #[error(
        "type `system.kuma.io/global-secret` must not carry the `kuma.io/mesh` label (global secrets belong to no mesh)"
    )]
    KumaGlobalWithMesh,
}

/// Which part of a bootstrap token a violation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BootstrapPart {
    TokenId,
    TokenSecret,
    Name,
    Namespace,
}

impl Violation {
    /// The rule broken, as [`Display`](std::fmt::Display) states it, but with a key that
    /// `decrypted` says came out of a decryption described instead of quoted.
    pub(crate) fn shown(&self, decrypted: impl Fn(&str) -> bool) -> String {
        match self {
            Violation::Key { key, reason } if decrypted(key) => format!(
                "key {} is not a valid Secret key ({reason})",
                Text::decrypted(key)
            ),
            v => v.to_string(),
        }
    }

    /// What the violation is about.
    pub(crate) fn subject(&self) -> Subject<'_> {
        match self {
            Violation::Key { key, .. } | Violation::NotJson { key, .. } => Subject::Key(key),
            Violation::Name { .. } => Subject::Name,
            Violation::Namespace { .. } => Subject::Namespace,
            Violation::LabelKey { key, .. } | Violation::LabelValue { key, .. } => {
                Subject::Label(key)
            }
            Violation::AnnotationKey { key, .. } => Subject::Annotation(key),
            Violation::AnnotationsTooLarge { .. } | Violation::TooLarge { .. } => Subject::Secret,
            Violation::TypeNeeds { .. } => Subject::Type,
            Violation::Tls { key, .. } => Subject::Key(key),
            Violation::Bootstrap { subject, .. } => match subject {
                BootstrapPart::TokenId => Subject::Key("token-id"),
                BootstrapPart::TokenSecret => Subject::Key("token-secret"),
                BootstrapPart::Name => Subject::Name,
                BootstrapPart::Namespace => Subject::Namespace,
            },
            Violation::KumaGlobalWithMesh => Subject::Label("kuma.io/mesh"),
        }
    }
}

/// Something worth knowing that does not fail the render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Warning(pub String);

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The API server's limit on a Secret's data (`corev1.MaxSecretSize`).
pub(crate) const MAX_DATA: usize = 1024 * 1024;
const MAX_ANNOTATIONS: usize = 256 * 1024;

/// `IsConfigMapKey`: `[-._a-zA-Z0-9]+`, at most 253 characters, not `.` or `..`, not
/// starting with `..`.
pub(crate) fn check_key(key: &str) -> Result<(), Violation> {
    let bad = |reason| {
        Err(Violation::Key {
            key: key.to_string(),
            reason,
        })
    };
    if key.is_empty() {
        return bad("it is empty");
    }
    if key.len() > 253 {
        return bad("longer than 253 characters");
    }
    if !key
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    {
        return bad("allowed: letters, digits, `-`, `_`, `.`");
    }
    if key == "." || key == ".." {
        return bad("`.` and `..` are not allowed");
    }
    if key.starts_with("..") {
        return bad("it must not start with `..`");
    }
    Ok(())
}

/// A key read from inside a file (an env file's line) checked without ever showing it: the
/// message says which rule it breaks and describes the key by its length and its first
/// character outside the allowed set (position, code point, class), never by its text.
pub(crate) fn check_hidden_key(key: &str) -> Result<(), HiddenKey> {
    match check_key(key) {
        Ok(()) => Ok(()),
        Err(Violation::Key { reason, .. }) => Err(HiddenKey::Key {
            reason,
            shape: describe_hidden(key, is_key_char),
        }),
        Err(other) => Err(HiddenKey::Other(other)),
    }
}

/// A key from inside a file that breaks a rule, described without its text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HiddenKey {
    /// `shape` is [`describe_hidden`]'s description: length and first bad character.
    #[error(
        "the key on this line is not a valid Secret key ({reason}); it is {shape} (not shown: text from inside a file is never printed)"
    )]
    Key { reason: &'static str, shape: String },
    #[error(transparent)]
    Other(Violation),
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// The description of text that must not be shown lives with the rule that decides it.
pub(crate) use crate::gate::shown::describe_hidden;

use crate::gate::outpath::{is_dns_label, is_dns_subdomain};

/// A Secret's name: a DNS subdomain.
pub(crate) fn check_name(name: &str) -> Result<(), Violation> {
    let reason = if name.len() > 253 {
        format!("{} characters, at most 253 allowed", name.len())
    } else if !is_dns_subdomain(name) {
        "it must be a DNS subdomain: lower-case letters, digits, `-` and `.`, starting and ending with a letter or digit".to_string()
    } else {
        return Ok(());
    };
    Err(Violation::Name {
        name: name.to_string(),
        reason,
    })
}

/// `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`, at most 63.
fn is_qualified_part(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"-_.".contains(c))
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
}

/// `IsQualifiedName`: `[prefix/]name`, prefix a DNS subdomain, name 1–63 characters of
/// `[-A-Za-z0-9_.]` starting and ending alphanumeric.
fn qualified_name_problem(k: &str) -> Option<String> {
    let (prefix, name) = match k.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, k),
    };
    if name.contains('/') {
        return Some("at most one `/` separating a DNS-subdomain prefix from the name".into());
    }
    if let Some(p) = prefix
        && !is_dns_subdomain(p)
    {
        return Some(format!(
            "prefix `{p}` must be a DNS subdomain (lower-case letters, digits, `-`, `.`)"
        ));
    }
    if !is_qualified_part(name) {
        return Some("the name part must be 1–63 characters of letters, digits, `-`, `_`, `.`, starting and ending with a letter or digit".into());
    }
    None
}

pub(crate) fn check_label_key(k: &str) -> Result<(), Violation> {
    match qualified_name_problem(k) {
        None => Ok(()),
        Some(reason) => Err(Violation::LabelKey {
            key: k.to_string(),
            reason,
        }),
    }
}

/// `IsValidLabelValue`: empty, or a qualified name part (at most 63 characters).
pub(crate) fn check_label_value(k: &str, v: &str) -> Result<(), Violation> {
    if v.is_empty() || is_qualified_part(v) {
        return Ok(());
    }
    Err(Violation::LabelValue {
        key: k.to_string(),
        value: v.to_string(),
        reason: "label values are empty or at most 63 letters, digits, `-`, `_`, `.`, starting and ending with a letter or digit",
    })
}

/// Annotation keys: qualified names, the prefix compared in lower case as the API server does.
pub(crate) fn check_annotation_key(k: &str) -> Result<(), Violation> {
    match qualified_name_problem(&k.to_lowercase()) {
        None => Ok(()),
        Some(reason) => Err(Violation::AnnotationKey {
            key: k.to_string(),
            reason,
        }),
    }
}

/// Everything on a whole Secret: all violations, then the warnings.
pub(crate) fn check_secret(s: &SecretView<'_>) -> (Vec<Violation>, Vec<Warning>) {
    let mut v = Vec::new();
    let mut w = Vec::new();
    for (k, _) in s.data {
        if let Err(e) = check_key(k) {
            v.push(e);
        }
    }
    // A name or namespace holding an envsubst placeholder is printed as written, for the
    // pipeline to substitute; it is judged with the placeholder standing for a letter.
    let placeholder = |part: &str, text: &str| {
        Warning(format!(
            "{part} `{}` holds an envsubst placeholder: it must be substituted before the Secret reaches the API server (`render -o` refuses it)",
            crate::yaml::printable(text)
        ))
    };
    if crate::gate::outpath::has_placeholder(s.name)
        && check_name(&crate::gate::outpath::substituted(s.name)).is_ok()
    {
        w.push(placeholder("name", s.name));
    } else if let Err(e) = check_name(s.name) {
        v.push(e);
    }
    if let Some(ns) = s.namespace
        && crate::gate::outpath::has_placeholder(ns)
        && is_dns_label(&crate::gate::outpath::substituted(ns))
    {
        w.push(placeholder("namespace", ns));
    } else if let Some(ns) = s.namespace
        && !is_dns_label(ns)
    {
        v.push(Violation::Namespace {
            namespace: ns.to_string(),
            reason: "a namespace is a DNS label: at most 63 lower-case letters, digits and `-`, starting and ending with a letter or digit",
        });
    }
    for (k, val) in s.labels {
        if let Err(e) = check_label_key(k) {
            v.push(e);
        } else if let Err(e) = check_label_value(k, val) {
            v.push(e);
        }
    }
    let mut annotation_bytes = 0;
    for (k, val) in s.annotations {
        annotation_bytes += k.len() + val.len();
        if let Err(e) = check_annotation_key(k) {
            v.push(e);
        }
    }
    if annotation_bytes > MAX_ANNOTATIONS {
        v.push(Violation::AnnotationsTooLarge {
            size: annotation_bytes,
        });
    }
    let size: usize = s.data.iter().map(|(_, d)| d.len()).sum();
    if size > MAX_DATA {
        v.push(Violation::TooLarge { size });
    }
    check_type(s, &mut v, &mut w);
    (v, w)
}

fn needs(s: &SecretView<'_>, what: &str) -> Violation {
    Violation::TypeNeeds {
        type_: s.type_.to_string(),
        needs: what.to_string(),
    }
}

fn check_json(s: &SecretView<'_>, key: &str, v: &mut Vec<Violation>) {
    match s.get(key) {
        None => v.push(needs(s, &format!("the key `{key}`"))),
        Some(bytes) => {
            if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
                // serde_json's syntax messages name a line and column, never the content.
                v.push(Violation::NotJson {
                    type_: s.type_.to_string(),
                    key: key.to_string(),
                    reason: e.to_string(),
                });
            } else if let Some(found) = json_not_object(bytes) {
                // The API server decodes it into a Go map: only an object (or `null`) fits.
                v.push(Violation::NotJson {
                    type_: s.type_.to_string(),
                    key: key.to_string(),
                    reason: format!(
                        "a JSON object is required, found {found}; the API server rejects it"
                    ),
                });
            }
        }
    }
}

/// What valid JSON `bytes` holds when it is not an object (or `null`, which Go's
/// `json.Unmarshal` into a map accepts), by kind only.
fn json_not_object(bytes: &[u8]) -> Option<&'static str> {
    let first = bytes
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))?;
    match first {
        b'{' | b'n' => None,
        b'[' => Some("an array"),
        b'"' => Some("a string"),
        b't' | b'f' => Some("a boolean"),
        _ => Some("a number"),
    }
}

fn check_type(s: &SecretView<'_>, v: &mut Vec<Violation>, w: &mut Vec<Warning>) {
    match s.type_ {
        "kubernetes.io/tls" => {
            let (crt, key) = (s.get("tls.crt"), s.get("tls.key"));
            match (crt, key) {
                (Some(c), Some(k)) => {
                    if let Err(e) = check_tls_pair(c, k) {
                        v.push(e);
                    }
                }
                _ => v.push(needs(s, "the keys `tls.crt` and `tls.key`")),
            }
        }
        "kubernetes.io/basic-auth"
            if s.get("username").is_none() && s.get("password").is_none() =>
        {
            v.push(needs(s, "the key `username` or `password`"));
        }
        "kubernetes.io/ssh-auth" if s.get("ssh-privatekey").is_none() => {
            v.push(needs(s, "the key `ssh-privatekey`"));
        }
        "kubernetes.io/dockerconfigjson" => check_json(s, ".dockerconfigjson", v),
        "kubernetes.io/dockercfg" => check_json(s, ".dockercfg", v),
        "kubernetes.io/service-account-token"
            if s.annotations
                .get("kubernetes.io/service-account.name")
                .is_none_or(|n| n.is_empty()) =>
        {
            v.push(needs(
                s,
                "the annotation `kubernetes.io/service-account.name`",
            ));
        }
        "bootstrap.kubernetes.io/token" => check_bootstrap(s, v),
        "system.kuma.io/secret" | "system.kuma.io/global-secret" => {
            if s.get("value").is_none() {
                v.push(needs(s, "the key `value`"));
            }
            let mesh = s.labels.contains_key("kuma.io/mesh");
            if s.type_ == "system.kuma.io/global-secret" && mesh {
                v.push(Violation::KumaGlobalWithMesh);
            }
            if s.type_ == "system.kuma.io/secret" && !mesh {
                w.push(Warning(
                    "type `system.kuma.io/secret` without the `kuma.io/mesh` label belongs to the `default` mesh".into(),
                ));
            }
            if s.has_hash_suffix {
                w.push(Warning(
                    "Kuma refers to its secrets by plain name, which kustomize cannot rewrite: set `disableNameSuffixHash: true` unless the hashed name is used".into(),
                ));
            }
        }
        _ => {}
    }
}

fn check_bootstrap(s: &SecretView<'_>, v: &mut Vec<Violation>) {
    let part = |p: Option<&[u8]>, len: usize| -> Option<String> {
        let b = p?;
        (b.len() == len
            && b.iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
        .then(|| String::from_utf8_lossy(b).into_owned())
    };
    let id = part(s.get("token-id"), 6);
    if id.is_none() {
        v.push(Violation::Bootstrap {
            subject: BootstrapPart::TokenId,
            reason: "`token-id` must be 6 characters of `[a-z0-9]`".into(),
        });
    }
    if part(s.get("token-secret"), 16).is_none() {
        v.push(Violation::Bootstrap {
            subject: BootstrapPart::TokenSecret,
            reason: "`token-secret` must be 16 characters of `[a-z0-9]`".into(),
        });
    }
    if let Some(id) = id {
        let want = format!("bootstrap-token-{id}");
        // The token-id is a value read from a source: the rule is stated, the id not shown.
        if s.has_hash_suffix {
            v.push(Violation::Bootstrap {
                subject: BootstrapPart::Name,
                reason: "the name must be exactly `bootstrap-token-` followed by the value of `token-id`: set `disableNameSuffixHash: true`".into(),
            });
        } else if s.base_name != want {
            v.push(Violation::Bootstrap {
                subject: BootstrapPart::Name,
                reason: format!(
                    "the name must be `bootstrap-token-` followed by the value of `token-id`, not `{}`",
                    s.base_name
                ),
            });
        }
    }
    if s.namespace != Some("kube-system") {
        v.push(Violation::Bootstrap {
            subject: BootstrapPart::Namespace,
            reason: "bootstrap tokens live in the namespace `kube-system`".into(),
        });
    }
}

/// What Go's `tls.X509KeyPair` checks: the first certificate in `tls.crt` and the first
/// private key in `tls.key` parse, and the key is the certificate's (RSA, ECDSA P-256 and
/// P-384, Ed25519; PKCS#1, SEC1 or PKCS#8).
pub(crate) fn check_tls_pair(cert_pem: &[u8], key_pem: &[u8]) -> Result<(), Violation> {
    crate::secret::tls::matches(cert_pem, key_pem)
        .map_err(|(key, reason)| Violation::Tls { key, reason })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view<'a>(
        name: &'a str,
        type_: &'a str,
        data: &'a [(&'a str, &'a [u8])],
        labels: &'a BTreeMap<String, String>,
    ) -> SecretView<'a> {
        SecretView {
            name,
            base_name: name,
            namespace: None,
            type_,
            labels,
            annotations: labels,
            data,
            has_hash_suffix: false,
        }
    }

    #[test]
    fn keys() {
        for k in ["a", "A.b-c_d", ".dot", "a..b", "-"] {
            assert!(check_key(k).is_ok(), "{k}");
        }
        for k in [
            "",
            ".",
            "..",
            "..x",
            "my key",
            "a/b",
            "ü",
            "a<b",
            "~tilde",
            "<<",
            "\u{feff}S",
        ] {
            assert!(check_key(k).is_err(), "{k}");
        }
        assert!(check_key(&"k".repeat(253)).is_ok());
        assert!(check_key(&"k".repeat(254)).is_err());
        assert_eq!(
            check_key("my key").unwrap_err().to_string(),
            "key `my key` is not a valid Secret key (allowed: letters, digits, `-`, `_`, `.`)"
        );
    }

    #[test]
    fn names_and_labels() {
        assert!(check_name("db-user-pass-gd995d5t92").is_ok());
        assert!(check_name("B-ftgtgc4t9f").is_err());
        assert!(check_name("My_Secret.Name").is_err());
        assert!(check_name(&"a".repeat(253)).is_ok());
        assert!(check_name(&"a".repeat(254)).is_err());
        assert!(check_label_key("app.kubernetes.io/name").is_ok());
        assert!(check_label_key("Team").is_ok());
        assert!(check_label_key("UPPER.example/x").is_err());
        assert!(check_label_key("a/b/c").is_err());
        assert!(check_label_key(&"k".repeat(64)).is_err());
        assert!(check_annotation_key("Example.COM/x").is_ok());
        assert!(check_label_value("k", "").is_ok());
        assert!(check_label_value("k", &"v".repeat(63)).is_ok());
        assert!(check_label_value("k", &"v".repeat(64)).is_err());
        assert!(check_label_value("k", "has space").is_err());
    }

    #[test]
    fn size_limit() {
        let empty = BTreeMap::new();
        let big = vec![0u8; MAX_DATA];
        let data = [("a", big.as_slice())];
        assert!(
            check_secret(&view("s", "Opaque", &data, &empty))
                .0
                .is_empty()
        );
        let data = [("a", big.as_slice()), ("b", b"x".as_slice())];
        let (v, _) = check_secret(&view("s", "Opaque", &data, &empty));
        assert_eq!(v, [Violation::TooLarge { size: MAX_DATA + 1 }]);
    }

    #[test]
    fn type_rules() {
        let empty = BTreeMap::new();
        let check = |t: &str, data: &[(&str, &[u8])]| check_secret(&view("s", t, data, &empty)).0;
        assert_eq!(check("kubernetes.io/basic-auth", &[]).len(), 1);
        assert!(check("kubernetes.io/basic-auth", &[("password", b"p")]).is_empty());
        assert_eq!(check("kubernetes.io/ssh-auth", &[]).len(), 1);
        assert!(
            check(
                "kubernetes.io/dockerconfigjson",
                &[(".dockerconfigjson", b"{\"auths\":{}}")]
            )
            .is_empty()
        );
        let v = check(
            "kubernetes.io/dockerconfigjson",
            &[(".dockerconfigjson", b"CANARY not json")],
        );
        assert_eq!(v.len(), 1);
        assert!(!v[0].to_string().contains("CANARY"), "{}", v[0]);
        for not_object in [
            &b"[]"[..],
            b" [{\"auths\":{}}]",
            b"\"CANARY\"",
            b"1",
            b"true",
        ] {
            for (t, k) in [
                ("kubernetes.io/dockerconfigjson", ".dockerconfigjson"),
                ("kubernetes.io/dockercfg", ".dockercfg"),
            ] {
                let v = check(t, &[(k, not_object)]);
                assert_eq!(v.len(), 1, "{not_object:?}");
                assert!(v[0].to_string().contains("JSON object is required"));
                assert!(!v[0].to_string().contains("CANARY"), "{}", v[0]);
            }
        }
        assert!(check("kubernetes.io/dockercfg", &[(".dockercfg", b"null")]).is_empty());
        assert_eq!(check("kubernetes.io/dockercfg", &[]).len(), 1);
        assert_eq!(check("kubernetes.io/service-account-token", &[]).len(), 1);
        assert_eq!(check("kubernetes.io/tls", &[("tls.crt", b"x")]).len(), 1);
        assert!(check("example.com/anything goes", &[]).is_empty());
    }

    #[test]
    fn bootstrap_tokens() {
        let empty = BTreeMap::new();
        let data: [(&str, &[u8]); 2] = [
            ("token-id", b"abcdef"),
            ("token-secret", b"0123456789abcdef"),
        ];
        let mut s = view(
            "bootstrap-token-abcdef",
            "bootstrap.kubernetes.io/token",
            &data,
            &empty,
        );
        s.namespace = Some("kube-system");
        assert!(check_secret(&s).0.is_empty());
        s.has_hash_suffix = true;
        assert_eq!(check_secret(&s).0.len(), 1);
        s.has_hash_suffix = false;
        s.namespace = None;
        assert_eq!(check_secret(&s).0.len(), 1);
        let bad: [(&str, &[u8]); 2] = [
            ("token-id", b"ABCDEF"),
            ("token-secret", b"CANARYCANARY0000"),
        ];
        let s = view("x", "bootstrap.kubernetes.io/token", &bad, &empty);
        let v = check_secret(&s).0;
        assert_eq!(v.len(), 3, "{v:?}");
        assert!(v.iter().all(|e| !e.to_string().contains("CANARY")));
    }

    #[test]
    fn kuma() {
        let mut labels = BTreeMap::new();
        let data: [(&str, &[u8]); 1] = [("value", b"x")];
        let (v, w) = check_secret(&view("k", "system.kuma.io/secret", &data, &labels));
        assert!(v.is_empty());
        assert_eq!(w.len(), 1);
        labels.insert("kuma.io/mesh".to_string(), "default".to_string());
        let (v, _) = check_secret(&view("k", "system.kuma.io/global-secret", &data, &labels));
        assert_eq!(v, [Violation::KumaGlobalWithMesh]);
        let (v, _) = check_secret(&view("k", "system.kuma.io/secret", &[], &labels));
        assert_eq!(v.len(), 1);
    }
}

//! `vars` (deprecated in kustomize v5, still applied): each level names a field of one of
//! its resources; after the whole build (names hashed), `$(NAME)` in the fields kustomize's
//! `varReference` lists is replaced by that field's value. Of a Secret, kustomize's default
//! list holds its labels and annotations.

use super::replace::Sel;
use super::*;

/// A var a level declared, with the id of the resource it names there.
#[derive(Clone, Debug)]
pub(super) struct Var {
    pub(super) name: String,
    /// The (kind, effective namespace, name) of its resource at the level that declared it.
    pub(super) id: (String, String, String),
    pub(super) field: String,
    pub(super) loc: Loc,
}

impl Build<'_> {
    /// kustomize's `MergeVars`, after a level's transformers: each var of `k` names one of
    /// the resources built so far (by any id it had), at most one.
    pub(super) fn merge_vars(
        &self,
        k: &Kustomization,
        ra: &[Res],
        others: &[Res],
        vars: &mut Vec<Var>,
    ) -> Result<()> {
        for v in &k.vars {
            let loc = Loc::at(k.file(), v.mark);
            let err = |rule: Rule| -> Error { BuildError::new(loc.clone(), rule).into() };
            let text = |n: Option<&yaml::Node>, f: &str| {
                n.and_then(|n| n.get(f))
                    .and_then(str_of)
                    .unwrap_or("")
                    .to_string()
            };
            let name = text(Some(v), "name");
            let objref = v.get("objref");
            let kind = text(objref, "kind");
            let obj_name = text(objref, "name");
            let ns = text(objref, "namespace");
            let api = text(objref, "apiVersion");
            let field = match text(v.get("fieldref"), "fieldPath") {
                f if f.is_empty() => "metadata.name".to_string(),
                f => f,
            };
            if vars.iter().any(|o| o.name == name) {
                return Err(err(Rule::VarTwice(name)));
            }
            // A var's objref selects as a replacement's source does (kustomize's
            // `IsSelectedBy`): `apiVersion` split into group and version.
            let (group, version) = match api.rsplit_once('/') {
                Some((g, v)) => (g.to_string(), v.to_string()),
                None => (String::new(), api.clone()),
            };
            let sel = Sel {
                group,
                version,
                kind: kind.clone(),
                name: obj_name,
                namespace: ns,
                ..Sel::default()
            };
            let picks = |r: &Res| sel.picks_source(r);
            let found: Vec<&Res> = ra.iter().chain(others).filter(|r| picks(r)).collect();
            if found.len() > 1 {
                return Err(err(Rule::VarAmbiguous(name)));
            }
            // None found: the var stays unbound, refused when it is resolved.
            let id = found
                .first()
                .map(|r| {
                    let (ns, n) = r.cur();
                    (kind.clone(), ns, n)
                })
                .unwrap_or_default();
            vars.push(Var {
                name,
                id,
                field,
                loc,
            });
        }
        Ok(())
    }
}

/// kustomize's `MergeSet`: a base's vars join the level's, none declared twice.
pub(super) fn merge_var_sets(into: &mut Vec<Var>, new: Vec<Var>) -> Result<()> {
    for v in new {
        if into.iter().any(|o| o.name == v.name) {
            return Err(BuildError::new(v.loc.clone(), Rule::VarTwice(v.name)).into());
        }
        into.push(v);
    }
    Ok(())
}

/// Whether a resource has had the id a var names.
fn holds(r: &Res, id: &(String, String, String)) -> bool {
    !id.2.is_empty()
        && as_str(get(&r.node, "kind")) == Some(id.0.as_str())
        && r.any_id(&(id.1.clone(), id.2.clone()))
}

/// kustomize's `ResolveVars` on the finished Secrets: each var's value read from its
/// resource as the build leaves it (a Secret with its hashed name, from `finished`), then
/// `$(NAME)` replaced in every Secret's labels and annotations.
pub(super) fn resolve_vars(
    vars: &[Var],
    res: &[Res],
    finished: &mut [Secret],
    others: &[Res],
) -> Result<()> {
    if vars.is_empty() {
        return Ok(());
    }
    let mut values = BTreeMap::new();
    let mut decrypted = BTreeMap::new();
    for v in vars {
        let err = |rule: Rule| -> Error { BuildError::new(v.loc.clone(), rule).into() };
        let path = slice_indexes(split_path(&v.field));
        let at = res.iter().position(|r| holds(r, &v.id));
        let node = match at {
            Some(i) => finished[i].passthrough.as_ref(),
            None => others.iter().find(|r| holds(r, &v.id)).map(|r| &*r.node),
        };
        let Some(node) = node else {
            return Err(err(Rule::VarUnbound(v.name.clone())));
        };
        let value = lookup(node, &path)
            .filter(|n| !matches!(n, Node::Map(_) | Node::Seq(_) | Node::Null))
            .and_then(scalar_text)
            .ok_or_else(|| err(Rule::VarFieldMissing(v.name.clone())))?;
        let from_secret_data = v.id.0 == "Secret" && !v.field.starts_with("metadata");
        let from_decrypted = at.is_some_and(|i| {
            finished[i].meta == Provenance::Decrypted
                || finished[i].data.values().any(|e| e.encrypted)
        }) && from_secret_data;
        values.insert(v.name.clone(), value);
        decrypted.insert(v.name.clone(), from_decrypted);
    }
    for s in finished.iter_mut() {
        let Some(node) = s.passthrough.as_mut() else {
            continue;
        };
        let mut took_decrypted = false;
        for field in ["labels", "annotations"] {
            let Some(Node::Map(m)) =
                patch::get_mut(node, "metadata").and_then(|m| patch::get_mut(m, field))
            else {
                continue;
            };
            for (k, v) in m.iter_mut() {
                let Node::Str(text) = v else { continue };
                let (out, used) = expand(text, &values);
                if used.iter().any(|u| decrypted.get(u) == Some(&true)) {
                    took_decrypted = true;
                }
                if out != *text {
                    let target = if field == "labels" {
                        &mut s.labels
                    } else {
                        &mut s.annotations
                    };
                    target.insert(k.to_string(), out.clone());
                    *v = Node::Str(Cow::Owned(out));
                }
            }
        }
        if took_decrypted {
            s.meta = Provenance::Decrypted;
        }
    }
    Ok(())
}

/// kustomize's `convertSliceIndex`: `containers[0]` is the field `containers`, then `0`.
fn slice_indexes(parts: Vec<String>) -> Vec<String> {
    let mut out = Vec::new();
    for p in parts {
        let split = p
            .strip_suffix(']')
            .and_then(|s| s.rsplit_once('['))
            .filter(|(_, i)| !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit()));
        match split {
            Some((field, i)) => {
                if !field.is_empty() {
                    out.push(field.to_string());
                }
                out.push(i.to_string());
            }
            None => out.push(p),
        }
    }
    out
}

/// kustomize's `DoReplacements`: `$(NAME)` replaced when `NAME` has a value, `$$` read as
/// `$`, anything else kept. With the names replaced.
fn expand(input: &str, values: &BTreeMap<String, String>) -> (String, Vec<String>) {
    let b = input.as_bytes();
    let mut out = String::new();
    let mut used = Vec::new();
    let mut checkpoint = 0;
    let mut cursor = 0;
    while cursor < b.len() {
        if b[cursor] == b'$' && cursor + 1 < b.len() {
            out.push_str(&input[checkpoint..cursor]);
            let rest = &input[cursor + 1..];
            let advance = match rest.as_bytes()[0] {
                b'$' => {
                    out.push('$');
                    1
                }
                b'(' => match rest.find(')') {
                    Some(end) => {
                        let name = &rest[1..end];
                        match values.get(name) {
                            Some(v) => {
                                out.push_str(v);
                                used.push(name.to_string());
                            }
                            None => {
                                out.push_str("$(");
                                out.push_str(name);
                                out.push(')');
                            }
                        }
                        end + 1
                    }
                    None => {
                        out.push_str("$(");
                        1
                    }
                },
                _ => {
                    // `$` and the next character (whole, not one byte of it).
                    let c = rest.chars().next().unwrap_or_default();
                    out.push('$');
                    out.push(c);
                    c.len_utf8()
                }
            };
            cursor += advance;
            checkpoint = cursor + 1;
        }
        cursor += 1;
    }
    out.push_str(input.get(checkpoint..).unwrap_or(""));
    (out, used)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansion_as_kustomize_does_it() {
        let values: BTreeMap<String, String> =
            [("A".to_string(), "x".to_string())].into_iter().collect();
        for (input, want) in [
            ("$(A)", "x"),
            ("a$(A)b$(A)", "axbx"),
            ("$(B)", "$(B)"),
            ("$$(A)", "$(A)"),
            ("$(A", "$(A"),
            ("$x$", "$x$"),
            ("é$é", "é$é"),
        ] {
            assert_eq!(expand(input, &values).0, want, "{input}");
        }
    }
}

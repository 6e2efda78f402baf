//! Patches: `patchesStrategicMerge`, `patches` (strategic-merge or JSON 6902, with a
//! `target` or by the patch's own id) and `patchesJson6902`, each read under the load
//! restrictor and applied to the Secrets kustomize's `Select` chooses.

use super::*;

pub(super) fn parse_patch(file: &Path, text: &str, base: Mark) -> Result<Vec<Node<'static>>> {
    let docs = yaml::parse_stream(text).map_err(|mut e| {
        if base != Mark::default() {
            e.mark = base;
        }
        e.in_file(file)
    })?;
    Ok(docs
        .iter()
        .filter(|d| !d.is_null())
        .map(render::to_emit)
        .collect())
}

pub(super) fn json_ops(doc: Option<&Node<'static>>, loc: &Loc) -> Result<Vec<patch::Op>> {
    let Some(Node::Seq(items)) = doc else {
        return Err(BuildError::new(loc.clone(), Rule::JsonPatchNotList).into());
    };
    let mut ops = Vec::new();
    for item in items {
        let field = |k: &str| as_str(get(item, k)).map(str::to_string);
        let (Some(op), Some(path)) = (field("op"), field("path")) else {
            return Err(BuildError::new(loc.clone(), Rule::JsonPatchOpIncomplete).into());
        };
        ops.push(patch::Op {
            op,
            path,
            from: field("from"),
            value: get(item, "value").cloned(),
        });
    }
    Ok(ops)
}

/// kustomize's `Select` for Secrets: kind/version/group, then name and namespace as
/// anchored regular expressions against the original or the current id, then selectors.
pub(super) fn select(ra: &[Res], target: &yaml::Node, loc: &Loc) -> Result<Vec<usize>> {
    let field = |k: &str| target.get(k).and_then(str_of).unwrap_or("");
    let kind = field("kind");
    let version = field("version");
    let group = field("group");
    let bad = |e: patch::Error| BuildError::new(loc.clone(), Rule::PatchTarget(e));
    let name = patch::pattern(field("name")).map_err(bad)?;
    let ns = patch::pattern(field("namespace")).map_err(bad)?;
    let mut out = Vec::new();
    for (i, r) in ra.iter().enumerate() {
        let api = as_str(get(&r.node, "apiVersion")).unwrap_or("");
        let (g, v) = api.rsplit_once('/').unwrap_or(("", api));
        let k = as_str(get(&r.node, "kind")).unwrap_or("");
        if (!kind.is_empty() && kind != k)
            || (!version.is_empty() && version != v)
            || (!group.is_empty() && group != g)
        {
            continue;
        }
        let (org, cur) = (r.org(), r.cur());
        if let Some(re) = &ns
            && !re.is_match(&org.0)
            && !re.is_match(&cur.0)
        {
            continue;
        }
        if let Some(re) = &name
            && !re.is_match(&org.1)
            && !re.is_match(&cur.1)
        {
            continue;
        }
        let ls = field("labelSelector");
        if !ls.is_empty()
            && !patch::label_selector_matches(ls, &r.string_map("labels")).map_err(bad)?
        {
            continue;
        }
        let an = field("annotationSelector");
        if !an.is_empty()
            && !patch::label_selector_matches(an, &r.string_map("annotations")).map_err(bad)?
        {
            continue;
        }
        out.push(i);
    }
    Ok(out)
}

/// A `patches` entry's `options`: whether its strategic-merge patches may change the name
/// or the kind of what they patch (kustomize restores both otherwise).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Allow {
    pub(super) name_change: bool,
    pub(super) kind_change: bool,
}

impl Allow {
    /// The `options` of a `patches` entry.
    pub(super) fn of(entry: &yaml::Node) -> Allow {
        let flag = |k: &str| {
            entry
                .get("options")
                .and_then(|o| o.get(k))
                .is_some_and(|v| match &v.value {
                    yaml::Value::Scalar { text, .. } => {
                        v.resolved() == yaml::Resolved::Bool && yaml::is_true(text)
                    }
                    _ => false,
                })
        };
        Allow {
            name_change: flag("allowNameChange"),
            kind_change: flag("allowKindChange"),
        }
    }
}

/// kustomize's `ApplySmPatch` on each chosen Secret: the name, kind and namespace it had are
/// restored unless `allow` lets the patch change them (the old id is then kept, for the
/// references to it). A Secret patched into another kind leaves the Secrets. A top-level
/// `$patch: replace` leaves the resource as it was, as in kustomize.
pub(super) fn apply_smp(ra: &mut Vec<Res>, chosen: &[usize], p: &Node<'static>, allow: Allow) {
    if as_str(get(p, "$patch")) == Some("replace") {
        return;
    }
    let mut gone = Vec::new();
    for &i in chosen {
        let r = &mut ra[i];
        let (name, ns) = (r.name(), r.namespace());
        let kind = as_str(get(&r.node, "kind")).unwrap_or("Secret").to_string();
        if allow.name_change || allow.kind_change {
            r.store_prev();
        }
        let node = std::mem::replace(r.node_mut(), Node::Null);
        let merged = if CHECKED_KINDS.contains(&kind.as_str()) {
            patch::strategic_merge_workload(node, p)
        } else {
            patch::strategic_merge(node, p)
        };
        match merged {
            Some(n) => {
                r.node = std::sync::Arc::new(n);
                if !allow.name_change {
                    r.set_meta("name", Some(&name));
                }
                r.set_meta("namespace", ns.as_deref());
                if !allow.kind_change {
                    set(r.node_mut(), "kind", Node::Str(kind.into()));
                } else if kind == "Secret" && as_str(get(&r.node, "kind")) != Some("Secret") {
                    gone.push(i);
                }
            }
            None => gone.push(i),
        }
    }
    for i in gone.into_iter().rev() {
        ra.remove(i);
    }
}

/// A strategic-merge patch without a target for a resource that is not a Secret: applied to
/// the kept resource of its kind and id, if any (`true`: not a Secret's patch).
pub(super) fn smp_by_id_other(others: &mut Vec<Res>, p: &Node<'static>, _loc: &Loc) -> bool {
    let kind = as_str(get(p, "kind")).unwrap_or("");
    if kind == "Secret" {
        return false;
    }
    let meta = get(p, "metadata");
    let name = as_str(meta.and_then(|m| get(m, "name"))).unwrap_or("");
    let ns = as_str(meta.and_then(|m| get(m, "namespace")));
    let id = (effective(ns), name.to_string());
    let found: Vec<usize> = (0..others.len())
        .filter(|&i| as_str(get(&others[i].node, "kind")) == Some(kind) && others[i].any_id(&id))
        .collect();
    if found.len() == 1 {
        apply_smp(others, &found, p, Allow::default());
    }
    true
}

/// A strategic-merge patch without a target: it names its Secret.
pub(super) fn smp_by_id(
    ra: &mut Vec<Res>,
    p: &Node<'static>,
    loc: &Loc,
    allow: Allow,
) -> Result<()> {
    if as_str(get(p, "kind")) != Some("Secret") {
        return Ok(());
    }
    let meta = get(p, "metadata");
    let name = as_str(meta.and_then(|m| get(m, "name"))).unwrap_or("");
    let ns = as_str(meta.and_then(|m| get(m, "namespace")));
    let id = (effective(ns), name.to_string());
    let found: Vec<usize> = (0..ra.len()).filter(|&i| ra[i].any_id(&id)).collect();
    match found.len() {
        1 => {
            apply_smp(ra, &found, p, allow);
            Ok(())
        }
        0 => {
            let rule = Rule::PatchNoMatch {
                name: name.to_string(),
                namespace: id.0,
            };
            Err(BuildError::new(loc.clone(), rule).into())
        }
        _ => {
            let rule = Rule::PatchSeveralMatch {
                name: name.to_string(),
            };
            Err(BuildError::new(loc.clone(), rule).into())
        }
    }
}

impl Build<'_> {
    /// A patch given inline (several lines) or as a file path.
    pub(super) fn patch_text(
        &mut self,
        dir: &Path,
        kfile: &Path,
        p: &str,
        mark: Mark,
    ) -> Result<(String, PathBuf, Mark)> {
        if p.contains('\n') || p.trim_start().starts_with('[') || p.trim_start().starts_with('{') {
            return Ok((p.to_string(), kfile.to_path_buf(), mark));
        }
        let path = dir.join(clean(p));
        self.restrict(dir, &path, &Loc::at(kfile, mark), "patch")?;
        let text = manifest::read_text(&path)?;
        // A patch is read by this build, not checked on its own as a manifest.
        self.files.push(canonical_file(&path));
        Ok((text, path, Mark::default()))
    }

    pub(super) fn patch_entry(
        &mut self,
        ra: &mut Vec<Res>,
        others: &mut Vec<Res>,
        dir: &Path,
        kfile: &Path,
        entry: &yaml::Node,
        json_only: bool,
    ) -> Result<()> {
        let loc = Loc::at(kfile, entry.mark);
        let (text, file, mark) = match (
            entry.get("path").and_then(str_of),
            entry.get("patch").and_then(str_of),
        ) {
            (Some(p), None) => {
                let path = dir.join(clean(p));
                self.restrict(dir, &path, &loc, "patch")?;
                self.files.push(canonical_file(&path));
                (manifest::read_text(&path)?, path, Mark::default())
            }
            (None, Some(p)) => (p.to_string(), kfile.to_path_buf(), entry.mark),
            _ => {
                return Err(BuildError::new(loc, Rule::PatchPathOrPatch).into());
            }
        };
        let target = entry.get("target").filter(|t| !t.is_null());
        let allow = Allow::of(entry);
        let docs = parse_patch(&file, &text, mark)?;
        let is_json = docs.first().is_some_and(|d| matches!(d, Node::Seq(_)));
        if is_json || json_only {
            let ops = json_ops(docs.first(), &loc)?;
            let Some(target) = target else {
                return Err(BuildError::new(loc, Rule::JsonPatchNoTarget).into());
            };
            for list in [&mut *ra, &mut *others] {
                for i in select(list, target, &loc)? {
                    let r = &mut list[i];
                    if !json_only {
                        r.store_prev();
                    }
                    let meta = patch::json6902(r.node_mut(), &ops)
                        .map_err(|e| BuildError::new(loc.clone(), Rule::JsonPatch(e)))?;
                    if meta == Provenance::Decrypted {
                        r.meta = meta;
                    }
                }
            }
            return Ok(());
        }
        match target {
            Some(target) => {
                if docs.len() > 1 {
                    return Err(BuildError::new(loc, Rule::PatchesShareTarget).into());
                }
                let Some(p) = docs.first() else { return Ok(()) };
                for list in [&mut *ra, &mut *others] {
                    let chosen = select(list, target, &loc)?;
                    apply_smp(list, &chosen, p, allow);
                }
            }
            None => {
                for d in &docs {
                    if !smp_by_id_other(others, d, &loc) {
                        smp_by_id(ra, d, &loc, allow)?;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_by_name_pattern_kind_and_labels() {
        let ra = vec![
            res_of("kind: Secret\nmetadata: {name: db-a, labels: {t: x}}\n"),
            res_of("kind: Secret\nmetadata: {name: web}\n"),
        ];
        let loc = Loc::file("k.yaml");
        let target = |t: &str| yaml::parse_stream(t).unwrap().remove(0);
        assert_eq!(select(&ra, &target("name: db-.*\n"), &loc).unwrap(), [0]);
        assert_eq!(
            select(&ra, &target("kind: Secret\n"), &loc).unwrap(),
            [0, 1]
        );
        assert!(
            select(&ra, &target("kind: ConfigMap\n"), &loc)
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            select(&ra, &target("labelSelector: t=x\n"), &loc).unwrap(),
            [0]
        );
    }

    #[test]
    fn json_operations_need_op_and_path() {
        let loc = Loc::file("k.yaml");
        let ops = parse_patch(
            Path::new("p.yaml"),
            "- {op: replace, path: /data/k, value: dw==}\n",
            Mark::default(),
        )
        .unwrap();
        assert_eq!(json_ops(ops.first(), &loc).unwrap().len(), 1);
        let bad = parse_patch(Path::new("p.yaml"), "- {op: remove}\n", Mark::default()).unwrap();
        assert!(json_ops(bad.first(), &loc).is_err());
        assert!(json_ops(None, &loc).is_err());
    }

    #[test]
    fn a_strategic_merge_patch_finds_its_secret_by_id() {
        let mut ra = vec![res_of(
            "kind: Secret\nmetadata: {name: s}\ndata: {a: dg==}\n",
        )];
        let p = parse_patch(
            Path::new("p.yaml"),
            "kind: Secret\nmetadata: {name: s}\ndata: {b: dw==}\n",
            Mark::default(),
        )
        .unwrap();
        smp_by_id(&mut ra, &p[0], &Loc::file("k.yaml"), Allow::default()).unwrap();
        assert!(get(&ra[0].node, "data").and_then(|d| get(d, "b")).is_some());
        let other = parse_patch(
            Path::new("p.yaml"),
            "kind: Secret\nmetadata: {name: t}\n",
            Mark::default(),
        )
        .unwrap();
        assert!(smp_by_id(&mut ra, &other[0], &Loc::file("k.yaml"), Allow::default()).is_err());
    }
}

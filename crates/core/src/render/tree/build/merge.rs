//! Adding resources to the accumulator: kustomize's `Append` (an id registered twice is
//! refused) and `appendReplaceOrMerge` for generated Secrets (`behavior: create`, `merge`,
//! `replace`).

use super::*;

/// kustomize's `Append`: a second resource with the same current id is an error.
pub(super) fn append(ra: &mut Vec<Res>, new: Vec<Res>, loc: &Loc) -> Result<()> {
    let mut ids: std::collections::HashSet<(String, String)> = ra.iter().map(Res::cur).collect();
    for r in new {
        if ids.insert(r.cur()) {
            ra.push(r);
            continue;
        }
        let first = ra.iter().find(|o| o.cur() == r.cur());
        let (ns, name) = r.shown_id(first);
        let rule = Rule::MadeTwice {
            ns,
            name,
            first: first.map(|o| o.origin.clone()),
            second: r.origin,
        };
        return Err(BuildError::new(loc.clone(), rule).into());
    }
    Ok(())
}

/// kustomize's `appendReplaceOrMerge` for a generated Secret.
pub(super) fn absorb(ra: &mut Vec<Res>, mut res: Res, loc: &Loc) -> Result<()> {
    let id = res.cur();
    let matches: Vec<usize> = (0..ra.len()).filter(|&i| ra[i].any_id(&id)).collect();
    let (ns, name) = res.shown_id(matches.iter().map(|&i| &ra[i]));
    match (matches.as_slice(), res.behavior) {
        ([], Behavior::Create) => {
            ra.push(res);
            Ok(())
        }
        ([], b) => {
            let rule = Rule::NothingToMerge {
                behavior: b.as_str(),
                ns,
                name,
            };
            Err(BuildError::new(loc.clone(), rule).into())
        }
        ([i], Behavior::Create) => {
            let rule = Rule::AlreadyExists {
                ns,
                name,
                from: ra[*i].origin.clone(),
            };
            Err(BuildError::new(loc.clone(), rule).into())
        }
        ([i], b) => {
            merge_into(&mut res, &ra[*i], b);
            ra[*i] = res;
            Ok(())
        }
        (_, _) => Err(BuildError::new(loc.clone(), Rule::AmbiguousMerge { ns, name }).into()),
    }
}

/// A generated Secret taking the place of the one it merges with or replaces (`old`).
pub(super) fn merge_into(res: &mut Res, old: &Res, b: Behavior) {
    // CopyMergeMetaDataFieldsFrom: labels and annotations merged (the new one wins),
    // the old name, namespace and ids kept; a hash only if both ask for one.
    for field in ["labels", "annotations"] {
        let mut merged = old.string_map(field);
        for (k, v) in res.string_map(field) {
            match merged.iter_mut().find(|(mk, _)| *mk == k) {
                Some(e) => e.1 = v,
                None => merged.push((k, v)),
            }
        }
        let mut meta = get(&res.node, "metadata")
            .cloned()
            .unwrap_or(Node::Map(Vec::new()));
        if merged.is_empty() {
            patch::remove(&mut meta, field);
        } else {
            set(
                &mut meta,
                field,
                Node::Map(
                    merged
                        .into_iter()
                        .map(|(k, v)| (Cow::Owned(k), Node::Str(Cow::Owned(v))))
                        .collect(),
                ),
            );
        }
        set(res.node_mut(), "metadata", meta);
    }
    res.set_meta("name", Some(&old.name()));
    res.set_meta("namespace", old.namespace().as_deref());
    if old.meta == Provenance::Decrypted {
        res.meta = old.meta;
    }
    res.prev = old.prev.clone();
    res.needs_hash = res.needs_hash && old.needs_hash;
    res.origin = old.origin.clone();
    if b == Behavior::Merge {
        let mut data = match get(&old.node, "data") {
            Some(Node::Map(m)) => m.clone(),
            _ => Vec::new(),
        };
        if let Some(Node::Map(new)) = get(&res.node, "data") {
            for (k, v) in new {
                match data.iter_mut().find(|(dk, _)| dk == k) {
                    Some(e) => e.1 = v.clone(),
                    None => data.push((k.clone(), v.clone())),
                }
            }
        }
        set(res.node_mut(), "data", Node::Map(data));
        let mut origins = old.key_origins.clone();
        origins.extend(std::mem::take(&mut res.key_origins));
        res.key_origins = origins;
        res.placeholder |= old.placeholder;
        res.keys_unknown |= old.keys_unknown;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(name: &str, data: &str) -> Res {
        res_of(&format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  labels: {{a: old}}\ndata: {{{data}}}\n"
        ))
    }

    #[test]
    fn append_refuses_an_id_registered_twice() {
        let mut ra = vec![secret("s", "k: dg==")];
        let e = append(&mut ra, vec![secret("s", "")], &Loc::file("k.yaml")).unwrap_err();
        assert!(e.to_string().contains("is made twice"), "{e}");
        append(&mut ra, vec![secret("t", "")], &Loc::file("k.yaml")).unwrap();
        assert_eq!(ra.len(), 2);
    }

    #[test]
    fn behaviors_create_merge_replace() {
        let loc = Loc::file("k.yaml");
        let mut ra = vec![secret("s", "k: dg==, old: dg==")];
        let e = absorb(&mut ra, secret("s", "k: dw=="), &loc).unwrap_err();
        assert!(e.to_string().contains("already exists"), "{e}");
        let mut merged = secret("s", "k: dw==");
        merged.behavior = Behavior::Merge;
        absorb(&mut ra, merged, &loc).unwrap();
        let keys = |r: &Res| match get(&r.node, "data") {
            Some(Node::Map(m)) => m.iter().map(|(k, _)| k.to_string()).collect::<Vec<_>>(),
            _ => Vec::new(),
        };
        assert_eq!(keys(&ra[0]), ["k", "old"]);
        let mut replaced = secret("s", "nk: dw==");
        replaced.behavior = Behavior::Replace;
        absorb(&mut ra, replaced, &loc).unwrap();
        assert_eq!(keys(&ra[0]), ["nk"]);
        let mut missing = secret("x", "");
        missing.behavior = Behavior::Merge;
        let e = absorb(&mut ra, missing, &loc).unwrap_err();
        assert!(e.to_string().contains("id does not exist"), "{e}");
    }
}

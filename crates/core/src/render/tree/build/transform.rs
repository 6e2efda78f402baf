//! The builtin transformers a kustomization names by field: namespace, name prefix and
//! suffix, labels and annotations, applied to every Secret (and the workloads' ids).

use super::*;

/// The namespace, prefix, suffix, label and annotation transformers of a kustomization.
pub(super) fn transform(
    ra: &mut [Res],
    works: &mut [Work],
    t: &Transform,
    kfile: &Path,
) -> Result<()> {
    for w in works.iter_mut() {
        if let Some(ns) = &t.namespace {
            w.namespace = Some(ns.clone());
        }
        w.name = format!("{}{}{}", t.name_prefix, w.name, t.name_suffix);
    }
    if let Some(ns) = &t.namespace {
        for r in ra.iter_mut() {
            r.store_prev();
            r.set_meta("namespace", Some(ns));
        }
        let mut seen = std::collections::HashMap::new();
        for r in ra.iter() {
            if let Some(first) = seen.insert(r.cur(), r) {
                let rule = Rule::NamespaceConflict {
                    namespace: ns.clone(),
                    name: r.shown_id([first]).1,
                };
                return Err(BuildError::new(Loc::file(kfile), rule).into());
            }
        }
    }
    if !t.name_prefix.is_empty() {
        for r in ra.iter_mut() {
            r.store_prev();
            let n = format!("{}{}", t.name_prefix, r.name());
            r.set_meta("name", Some(&n));
        }
    }
    if !t.name_suffix.is_empty() {
        for r in ra.iter_mut() {
            r.store_prev();
            let n = format!("{}{}", r.name(), t.name_suffix);
            r.set_meta("name", Some(&n));
        }
    }
    for r in ra.iter_mut() {
        label_and_annotate(r, t);
    }
    Ok(())
}

/// The label and annotation transformers on one resource's metadata.
fn label_and_annotate(r: &mut Res, t: &Transform) {
    for (field, map) in [("labels", &t.labels), ("annotations", &t.annotations)] {
        if map.is_empty() {
            continue;
        }
        let m = patch::meta_map(r.node_mut(), field);
        for (k, (v, _)) in map {
            match m.iter_mut().find(|(mk, _)| mk == k) {
                Some(e) => e.1 = Node::Str(Cow::Owned(v.clone())),
                None => m.push((Cow::Owned(k.clone()), Node::Str(Cow::Owned(v.clone())))),
            }
        }
    }
}

/// The same transformers on the resources that are not Secrets (kept for replacements):
/// no namespace on a cluster-scoped kind, no prefix or suffix on the kinds kustomize leaves
/// named as they are.
pub(super) fn transform_others(others: &mut [Res], t: &Transform) {
    for r in others.iter_mut() {
        let kind = as_str(get(&r.node, "kind")).unwrap_or("").to_string();
        if let Some(ns) = &t.namespace
            && !CLUSTER_SCOPED.contains(&kind.as_str())
        {
            r.store_prev();
            r.set_meta("namespace", Some(ns));
        }
        let renames = !t.name_prefix.is_empty() || !t.name_suffix.is_empty();
        if renames && !keeps_its_name(&kind) {
            r.store_prev();
            let n = format!("{}{}{}", t.name_prefix, r.name(), t.name_suffix);
            r.set_meta("name", Some(&n));
        }
        label_and_annotate(r, t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_prefix_suffix_and_labels_keep_the_earlier_ids() {
        let mut ra = vec![res_of("kind: Secret\nmetadata: {name: s}\n")];
        let mut t = Transform {
            name_prefix: "p-".into(),
            name_suffix: "-x".into(),
            namespace: Some("ns".into()),
            ..Transform::default()
        };
        t.labels
            .insert("team".into(), ("a".into(), Mark::default()));
        transform(&mut ra, &mut [], &t, Path::new("k.yaml")).unwrap();
        assert_eq!(ra[0].cur(), ("ns".to_string(), "p-s-x".to_string()));
        assert_eq!(ra[0].org(), ("default".to_string(), "s".to_string()));
        assert_eq!(ra[0].prev.len(), 3);
        assert_eq!(ra[0].string_map("labels"), [("team".into(), "a".into())]);
    }

    #[test]
    fn a_namespace_that_merges_two_ids_is_refused() {
        let mut ra = vec![
            res_of("kind: Secret\nmetadata: {name: s, namespace: a}\n"),
            res_of("kind: Secret\nmetadata: {name: s, namespace: b}\n"),
        ];
        let t = Transform {
            namespace: Some("ns".into()),
            ..Transform::default()
        };
        let e = transform(&mut ra, &mut [], &t, Path::new("k.yaml")).unwrap_err();
        assert!(e.to_string().contains("ID conflict"), "{e}");
    }
}

//! The end of a build: local configs dropped, values decoded and checked, and the name hash
//! suffixed once on the whole result, as kustomize does after the last transformer.

use super::*;

/// The end of kustomize's build: hash suffixes on the whole result, local configs dropped.
pub(super) fn finish(ra: Vec<Res>) -> Result<Vec<Secret>> {
    use rayon::prelude::*;
    let ra: Vec<Res> = ra.into_iter().filter(|r| !is_local(r)).collect();
    if ra.len() >= 64 {
        ra.into_par_iter().map(finish_one).collect()
    } else {
        ra.into_iter().map(finish_one).collect()
    }
}

/// One Secret at the end of the build: hashed (when asked) and named.
pub(super) fn finish_one(mut r: Res) -> Result<Secret> {
    let annotations = r.string_map("annotations");
    let base_name = r.name();
    let type_ = as_str(get(&r.node, "type")).unwrap_or("").to_string();
    let immutable = matches!(get(&r.node, "immutable"), Some(Node::Bool(true)));
    let (entries, suffix) = decode_and_hash(&r, &base_name, &type_, immutable)?;
    let hashed = suffix.map(|suffix| {
        r.set_meta("name", Some(&format!("{base_name}-{suffix}")));
        (r.variant, suffix)
    });
    Ok(Secret {
        name: r.name(),
        base_name,
        namespace: r.namespace(),
        type_: if type_.is_empty() {
            "Opaque".into()
        } else {
            type_
        },
        explicit_type: true,
        labels: r.string_map("labels").into_iter().collect(),
        annotations: annotations.into_iter().collect(),
        data: entries,
        immutable,
        hash: hashed,
        origin: r.origin.clone(),
        passthrough: Some(std::sync::Arc::unwrap_or_clone(r.node)),
        placeholder: r.placeholder,
        keys_unknown: r.keys_unknown,
        kubectl_output: false,
        meta: r.meta,
    })
}

/// A finished Secret's values decoded, and its name's hash suffix when it needs one.
pub(super) fn decode_and_hash(
    r: &Res,
    base_name: &str,
    type_: &str,
    immutable: bool,
) -> Result<(BTreeMap<Key, Entry>, Option<String>)> {
    // Borrowed from the document: the values are not copied to be hashed or decoded.
    let pairs = |field: &str| -> Vec<(&str, &str)> {
        match get(&r.node, field) {
            Some(Node::Map(m)) => m
                .iter()
                .map(|(k, v)| (k.as_ref(), as_str(Some(v)).unwrap_or("")))
                .collect(),
            _ => Vec::new(),
        }
    };
    // No `data` (a patch removed it) is not an empty one to kustomize's hasher.
    let data = matches!(get(&r.node, "data"), Some(Node::Map(_))).then(|| pairs("data"));
    let string_data =
        matches!(get(&r.node, "stringData"), Some(Node::Map(_))).then(|| pairs("stringData"));
    let suffix = r.needs_hash.then(|| {
        hash::suffix(&HashInput {
            variant: r.variant,
            name: base_name,
            type_,
            kubectl_type: Some(type_),
            data: data.as_deref(),
            string_data: string_data.as_deref(),
            immutable,
        })
    });
    let origin_of = |k: &str| {
        r.key_origins
            .get(k)
            .cloned()
            .unwrap_or_else(|| (r.origin.clone(), false))
    };
    let fields = [
        (data.as_deref().unwrap_or(&[]), true),
        (string_data.as_deref().unwrap_or(&[]), false),
    ];
    let written = fields.into_iter().flat_map(|(pairs, base64)| {
        pairs.iter().map(move |&(key, value)| {
            let (origin, encrypted) = origin_of(key);
            read::Written {
                key,
                value,
                base64,
                origin,
                encrypted,
                at: None,
            }
        })
    });
    let how = read::Reading {
        encrypted: r.meta == Provenance::Decrypted,
        ..read::Reading::BUILT
    };
    let entries = read::entries(written, base_name, &how)?;
    Ok((entries, suffix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_suffixed_once_at_the_end_and_local_configs_dropped() {
        let mut r = res_of("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {k: dg==}\n");
        r.needs_hash = true;
        let local = res_of(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: l\n  annotations: {config.kubernetes.io/local-config: \"true\"}\n",
        );
        let out = finish(vec![r, local]).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].base_name, "s");
        assert!(
            out[0].name.starts_with("s-") && out[0].name.len() == 12,
            "{}",
            out[0].name
        );
        assert_eq!(out[0].type_, "Opaque");
        let plain = finish(vec![res_of("kind: Secret\nmetadata: {name: s}\n")]).unwrap();
        assert_eq!(plain[0].name, "s");
        assert!(plain[0].hash.is_none());
    }
}

//! Micro-benchmarks of the per-value work of a render: env parsing, the name-suffix hash,
//! YAML emission, age decryption of a small file and SOPS decryption of the recorded
//! fixtures (testdata/sops). `cargo bench --bench hot_paths`;
//! the end-to-end comparison with kubectl kustomize is `benches/compare.sh`.

use std::borrow::Cow;
use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use secretgen::age::{self, IdentitySources, Keyring};
use secretgen::kustomize::hash::{self, HashInput, HashVariant};
use secretgen::kustomize::source;
use secretgen::yaml::emit::{self, Node};

/// Deterministic printable bytes (the generator's alphabet), no RNG crate needed.
fn value(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            0x21 + (x % 94) as u8
        })
        .collect()
}

/// Ten keys of 1 KiB, the shape of one generator of the main workload.
fn data() -> Vec<(String, String)> {
    (0..10)
        .map(|k| {
            let mut b64 = String::new();
            emit::wrapped_base64(&value(k, 1024), &mut b64);
            (format!("k{k:02}"), b64)
        })
        .collect()
}

fn env_parsing(c: &mut Criterion) {
    let mut env = Vec::new();
    for k in 0..100u64 {
        env.extend_from_slice(format!("# key {k}\nKEY_{k}=").as_bytes());
        env.extend_from_slice(&value(k, 100));
        env.push(b'\n');
    }
    let mut g = c.benchmark_group("env");
    g.throughput(Throughput::Bytes(env.len() as u64));
    g.bench_function("parse_env 100 lines x 100 B", |b| {
        b.iter(|| source::parse_env(black_box(&env)).map(|p| p.len()))
    });
    g.finish();
}

fn hashing(c: &mut Criterion) {
    let data = data();
    let pairs: Vec<(&str, &str)> = data.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let input = HashInput {
        variant: HashVariant::Kustomize,
        name: "app",
        type_: "Opaque",
        kubectl_type: None,
        data: Some(&pairs),
        string_data: None,
        immutable: false,
    };
    let mut g = c.benchmark_group("hash");
    g.throughput(Throughput::Bytes(10 * 1024));
    g.bench_function("suffix 10 keys x 1 KiB", |b| {
        b.iter(|| hash::suffix(black_box(&input)))
    });
    g.throughput(Throughput::Bytes(1024));
    g.bench_function("wrapped_base64 1 KiB", |b| {
        let v = value(1, 1024);
        b.iter(|| {
            let mut s = String::new();
            emit::wrapped_base64(black_box(&v), &mut s);
            s
        })
    });
    g.finish();
}

fn emission(c: &mut Criterion) {
    let data = data();
    let node = Node::Map(vec![
        ("apiVersion".into(), Node::Str("v1".into())),
        ("kind".into(), Node::Str("Secret".into())),
        (
            "metadata".into(),
            Node::Map(vec![("name".into(), Node::Str("app-7h2bt8f5kc".into()))]),
        ),
        ("type".into(), Node::Str("Opaque".into())),
        (
            "data".into(),
            Node::Map(
                data.iter()
                    .map(|(k, v)| (Cow::Borrowed(k.as_str()), Node::Str(v.as_str().into())))
                    .collect(),
            ),
        ),
    ]);
    let mut g = c.benchmark_group("emit");
    g.throughput(Throughput::Bytes(10 * 1024));
    g.bench_function("Secret 10 keys x 1 KiB", |b| {
        let mut out = Vec::with_capacity(16 * 1024);
        b.iter(|| {
            out.clear();
            emit::write_document(black_box(&node), &mut out);
            out.len()
        })
    });
    g.finish();
}

fn age_decryption(c: &mut Criterion) {
    let (identity, recipient) = age::keygen();
    let recipients = vec![age::parse_recipient(&recipient).expect("recipient")];
    let plain = value(3, 1024);
    let binary = age::encrypt(&plain, &recipients, false).expect("encrypt");
    let armored = age::encrypt(&plain, &recipients, true).expect("encrypt");
    let keys = Keyring::new(IdentitySources {
        identity: Some(identity.to_string()),
        ..IdentitySources::default()
    });
    // The identity is parsed on first use, once per process: do that outside the timing.
    let opened = keys
        .decrypt_age(Path::new("v.age"), &binary)
        .expect("decrypt");
    assert_eq!(opened.expose(), plain.as_slice());
    let mut g = c.benchmark_group("age");
    g.bench_function("decrypt 1 KiB binary", |b| {
        b.iter(|| {
            keys.decrypt_age(Path::new("v.age"), black_box(&binary))
                .map(|p| p.len())
        })
    });
    g.bench_function("decrypt 1 KiB armored", |b| {
        b.iter(|| {
            keys.decrypt_age(Path::new("v.age"), black_box(&armored))
                .map(|p| p.len())
        })
    });
    // The same file to a post-quantum (ML-KEM-768 + X25519) recipient: the cost of one PQ
    // decryption next to the X25519 one above.
    let (pq_identity, pq_recipient) = age::keygen_pq().expect("pq keygen");
    let pq_binary = age::encrypt(
        &plain,
        &[age::parse_recipient(&pq_recipient).expect("pq recipient")],
        false,
    )
    .expect("encrypt");
    let pq_keys = Keyring::new(IdentitySources {
        identity: Some(pq_identity.to_string()),
        ..IdentitySources::default()
    });
    let opened = pq_keys
        .decrypt_age(Path::new("v.age"), &pq_binary)
        .expect("decrypt");
    assert_eq!(opened.expose(), plain.as_slice());
    g.bench_function("decrypt 1 KiB binary, post-quantum", |b| {
        b.iter(|| {
            pq_keys
                .decrypt_age(Path::new("v.age"), black_box(&pq_binary))
                .map(|p| p.len())
        })
    });
    g.finish();
}

/// A whole SOPS file per iteration: metadata, the age-wrapped data key, every value, the
/// MAC and the output in the file's format (what one SOPS input costs a render).
fn sops_decryption(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/sops");
    let identity = std::fs::read_to_string(dir.join("keys/age1.txt")).expect("test key");
    let keys = Keyring::new(IdentitySources {
        identity: Some(identity),
        ..IdentitySources::default()
    });
    let mut g = c.benchmark_group("sops");
    for name in [
        "secret.yaml",
        "app.env",
        "cert.pem",
        "basic.json",
        "basic.yaml",
    ] {
        let path = dir.join("cases").join(name);
        let bytes = std::fs::read(&path).expect("fixture");
        // Identities are parsed once per process, outside the timing.
        secretgen::sops::decrypt(&path, &bytes, &keys).expect("decrypt");
        g.bench_function(format!("decrypt {name}"), |b| {
            b.iter(|| secretgen::sops::decrypt(&path, black_box(&bytes), &keys).map(|p| p.len()))
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    env_parsing,
    hashing,
    emission,
    age_decryption,
    sops_decryption
);
criterion_main!(benches);

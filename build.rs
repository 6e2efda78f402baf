//! Build metadata for `secretgen --version`: the commit (from git, when building from a
//! checkout) and the build date (`SOURCE_DATE_EPOCH` when set, for reproducible builds).
//!
//! Out: `SECRETGEN_COMMIT` (12 hex digits of HEAD) and `SECRETGEN_BUILD_DATE` (`YYYY-MM-DD`,
//! UTC) for `env!`. Without git or outside a checkout (a crate tarball, a
//! container build without `.git`) the commit is `unknown`; the build never fails for it.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // `cargo static-release` links with this layout (.cargo/config.toml): a new one relinks.
    println!("cargo:rerun-if-changed=dist/startup.order");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    println!("cargo:rerun-if-env-changed=SECRETGEN_COMMIT");

    // A packager without `.git` may pass the commit in (the Dockerfile does).
    let commit = std::env::var("SECRETGEN_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(git_commit)
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=SECRETGEN_COMMIT={commit}");

    // Set but empty (a Dockerfile ARG left out) counts as unset.
    let epoch = match std::env::var("SOURCE_DATE_EPOCH").map(|v| v.trim().to_string()) {
        Ok(v) if v.is_empty() => now(),
        Ok(v) => match v.parse::<i64>() {
            Ok(s) => s,
            Err(_) => {
                println!(
                    "cargo:warning=SOURCE_DATE_EPOCH={v:?} is not a number of seconds; using the current time"
                );
                now()
            }
        },
        Err(_) => now(),
    };
    println!("cargo:rustc-env=SECRETGEN_BUILD_DATE={}", civil_date(epoch));
}

/// The commit checked out, and the files whose change means another commit (so cargo reruns
/// this script on a new commit and never otherwise).
fn git_commit() -> Option<String> {
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git").args(args).output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
            .filter(|s| !s.is_empty())
    };
    // Only this repository's own checkout: a crate unpacked inside some other repository
    // (vendored, or in a monorepo) must not report that repository's commit.
    let top = PathBuf::from(git(&["rev-parse", "--show-toplevel"])?);
    let here = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
    if top.canonicalize().ok()? != here.canonicalize().ok()? {
        return None;
    }
    let commit = git(&["rev-parse", "--short=12", "HEAD"])?;
    // HEAD, the branch it points to, and packed-refs (worktrees keep them apart).
    let mut watch = vec!["HEAD".to_string(), "packed-refs".to_string()];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watch.push(branch);
    }
    for name in watch {
        if let Some(p) = git(&["rev-parse", "--git-path", &name]) {
            let p = PathBuf::from(p);
            if p.exists() {
                println!("cargo:rerun-if-changed={}", p.display());
            }
        }
    }
    Some(commit)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `YYYY-MM-DD` of a Unix time, UTC (the proleptic Gregorian calendar, days-from-civil
/// inverted).
fn civil_date(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

//! Helpers shared by the simulator's integration tests.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::Command;

/// The repository's `interop/` directory.
pub fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../interop")
}

/// Whether `node` and `interop/node_modules/baileys` are usable. Follows the project's rule: with
/// `WASNDR_REQUIRE_INTEROP=1` anything missing is a test failure (panic with the reason); otherwise one
/// `npm ci --prefix interop` is tried, and if it still cannot run the reason goes to stderr and the
/// caller returns.
pub fn interop_ready() -> bool {
    let required = std::env::var("WASNDR_REQUIRE_INTEROP").as_deref() == Ok("1");
    let missing = || -> Option<String> {
        match Command::new("node").arg("--version").output() {
            Ok(output) if output.status.success() => {}
            _ => return Some("`node` is not installed".into()),
        }
        if !interop_dir().join("node_modules/baileys/package.json").exists() {
            return Some("interop/node_modules/baileys is missing (run `npm ci --prefix interop`)".into());
        }
        None
    };
    let Some(mut reason) = missing() else {
        return true;
    };
    if required {
        panic!("WASNDR_REQUIRE_INTEROP=1 but the interop test cannot run: {reason}");
    }
    let installed = Command::new("npm")
        .args(["ci", "--prefix"])
        .arg(interop_dir())
        .args(["--no-audit", "--no-fund"])
        .status()
        .is_ok_and(|status| status.success());
    if installed {
        match missing() {
            None => return true,
            Some(still) => reason = still,
        }
    }
    eprintln!("skipping the Baileys interop test: {reason}");
    false
}

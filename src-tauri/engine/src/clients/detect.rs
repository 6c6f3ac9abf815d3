//! Is a client on this machine, and which version: its app, its command on PATH, or
//! its config folder.

use std::time::Duration;

use super::{program, ClientSpec, Env};

pub fn detected(env: &Env, spec: &ClientSpec) -> bool {
    spec.config_path(env).is_some_and(|p| p.exists())
        || spec.install_locations(env).iter().any(|p| p.exists())
        || spec.program.is_some_and(|p| program::which(env, p).is_some())
}

/// The version its command reports (`claude --version` and the like), when it has one.
pub fn version(env: &Env, spec: &ClientSpec) -> Option<String> {
    let path = program::which(env, spec.program?)?;
    let argv = [path.display().to_string(), "--version".to_owned()];
    let out = program::run_within(&argv, Duration::from_secs(10)).ok()?;
    first_version(&out)
}

/// The first `1.2` or `1.2.3…` in a program's output.
pub fn first_version(text: &str) -> Option<String> {
    static VERSION: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"\d+\.\d+(?:\.\d+)?(?:[-+][0-9A-Za-z.-]+)?").unwrap());
    VERSION.find(text).map(|m| m.as_str().to_owned())
}

#[cfg(test)]
mod tests {
    use super::first_version;

    #[test]
    fn versions_are_read_from_what_clients_print() {
        assert_eq!(first_version("2.0.14 (Claude Code)\n").as_deref(), Some("2.0.14"));
        assert_eq!(first_version("codex-cli 0.46.0\n").as_deref(), Some("0.46.0"));
        assert_eq!(
            first_version("0.9.0-nightly.20251001\n").as_deref(),
            Some("0.9.0-nightly.20251001")
        );
        assert_eq!(first_version("no version here"), None);
    }
}

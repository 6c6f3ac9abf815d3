//! Planning a change to a client's config, showing it, then making it: a file edited in
//! its own format (symlinks followed, the last three versions kept as private
//! backups, the write atomic and refused if the file changed since the preview), the
//! client's own command, a snippet to paste, or an extension bundle.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::format::{self, Doc, DocError};
use super::{bundle, catalog, entry, mask_keys, program, ClientId, ClientSpec, Env, Method, Server, SERVER_NAME};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the file changed since the preview; look at the change again")]
    Changed,
    #[error("cannot write {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`{program}` failed ({status}): {output}")]
    Program {
        program: String,
        status: String,
        output: String,
    },
}

/// How a planned change is made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Action {
    /// `after` replaces the file at `path`.
    Write,
    /// The client's own command line runs these (each an argv), and it writes its file.
    Run { commands: Vec<Vec<String>> },
    /// Nothing is written: the person pastes `entry` into the client. `reason` says
    /// why when the client does have a file (it cannot be parsed).
    Paste { reason: Option<String> },
    /// An extension bundle is written at `path` for the client to open.
    Bundle,
}

/// A change to show before making it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Plan {
    pub client: ClientId,
    pub action: Action,
    /// The file that changes (a symlink's target), or the bundle made; empty to paste.
    pub path: String,
    /// The file as it is (None: it does not exist yet).
    pub before: Option<String>,
    /// The file as it will be (for a bundle, its manifest).
    pub after: String,
    /// Our entry alone, in the client's format (what to paste by hand).
    pub entry: String,
    pub creates_file: bool,
}

impl Plan {
    /// The same plan with every key cut short: what a preview or a terminal shows.
    pub fn masked(&self) -> Plan {
        let action = match &self.action {
            Action::Run { commands } => Action::Run {
                commands: commands
                    .iter()
                    .map(|argv| argv.iter().map(|a| mask_keys(a)).collect())
                    .collect(),
            },
            other => other.clone(),
        };
        Plan {
            action,
            before: self.before.as_deref().map(mask_keys),
            after: mask_keys(&self.after),
            entry: mask_keys(&self.entry),
            ..self.clone()
        }
    }
}

/// What a made change left behind.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    /// The previous version of the file, kept.
    pub backup: Option<PathBuf>,
}

pub(super) fn reason(e: DocError) -> String {
    match e {
        DocError::Syntax(s) | DocError::Shape(s) => s,
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> ClientError + '_ {
    move |source| ClientError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// The file a path names, following symlinks (a dangling link names its target too).
fn resolve(path: &Path) -> PathBuf {
    let mut at = path.to_path_buf();
    // A bound, so a link loop cannot hang us.
    for _ in 0..40 {
        match std::fs::read_link(&at) {
            Ok(target) => {
                at = match at.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                }
            }
            Err(_) => break,
        }
    }
    // `dir/../x` from a relative link, said plainly.
    match (at.parent().and_then(|d| d.canonicalize().ok()), at.file_name()) {
        (Some(dir), Some(name)) => dir.join(name),
        _ => at,
    }
}

fn read(path: &Path) -> Result<Option<String>, ClientError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(io(path)(source)),
    }
}

/// Our entry in the client's format, under its servers' key.
fn entry_text(spec: &ClientSpec, server: &Server) -> String {
    format::snippet(spec.format, spec.root_key, SERVER_NAME, &entry(spec, server))
}

fn paste(spec: &ClientSpec, server: &Server, path: &str, before: Option<String>, reason: Option<String>) -> Plan {
    let text = entry_text(spec, server);
    Plan {
        client: spec.id,
        action: Action::Paste { reason },
        path: path.into(),
        creates_file: false,
        after: before.clone().unwrap_or_default(),
        before,
        entry: text,
    }
}

/// The client's command line, when it makes the change itself and is on PATH.
fn via_program(env: &Env, spec: &ClientSpec) -> Option<String> {
    spec.via_program
        .then_some(spec.program)
        .flatten()
        .and_then(|p| program::which(env, p))
        .map(|p| p.display().to_string())
}

/// What installing (or updating) our entry would do.
pub fn plan(env: &Env, client: ClientId, server: &Server) -> Result<Plan, ClientError> {
    let spec = catalog::spec(client);
    match spec.method {
        Method::Paste => return Ok(paste(spec, server, "", None, None)),
        Method::Bundle => {
            let path = spec.config_path(env).expect("a bundle has a place");
            let manifest = bundle::manifest(server);
            return Ok(Plan {
                client,
                action: Action::Bundle,
                path: path.display().to_string(),
                creates_file: !path.exists(),
                before: None,
                after: manifest.clone(),
                entry: manifest,
            });
        }
        Method::File => {}
    }
    let path = resolve(&spec.config_path(env).expect("a file client has a path"));
    let shown = path.display().to_string();
    let before = read(&path)?;
    let mut doc = match Doc::parse(spec.format, before.as_deref().unwrap_or("")) {
        Ok(doc) => doc,
        Err(e) => return Ok(paste(spec, server, &shown, before, Some(reason(e)))),
    };
    let had = doc.has(spec.root_key, SERVER_NAME);
    if let Err(e) = doc.set(spec.root_key, SERVER_NAME, &entry(spec, server)) {
        return Ok(paste(spec, server, &shown, before, Some(reason(e))));
    }
    let action = match via_program(env, spec) {
        Some(program) => Action::Run {
            commands: program_commands(&program, server, had),
        },
        None => Action::Write,
    };
    Ok(Plan {
        client,
        action,
        path: shown,
        creates_file: before.is_none(),
        before,
        after: doc.render(),
        entry: entry_text(spec, server),
    })
}

/// Claude Code's own commands: user scope, streamable HTTP, the key as a header. An
/// existing entry is removed first (`add` refuses a name it has).
fn program_commands(program: &str, server: &Server, replace: bool) -> Vec<Vec<String>> {
    let argv = |args: &[&str]| {
        std::iter::once(program.to_owned())
            .chain(args.iter().map(|a| (*a).to_owned()))
            .collect::<Vec<_>>()
    };
    let header = format!("Authorization: Bearer {}", server.api_key);
    let mut commands = Vec::new();
    if replace {
        commands.push(argv(&["mcp", "remove", SERVER_NAME, "--scope", "user"]));
    }
    commands.push(argv(&[
        "mcp",
        "add",
        "--scope",
        "user",
        "--transport",
        "http",
        SERVER_NAME,
        &server.url,
        "--header",
        &header,
    ]));
    commands
}

/// What removing our entry would do (None: nothing to remove, or not ours to remove).
pub fn remove_plan(env: &Env, client: ClientId) -> Result<Option<Plan>, ClientError> {
    let spec = catalog::spec(client);
    if spec.method != Method::File {
        return Ok(None);
    }
    let path = resolve(&spec.config_path(env).expect("a file client has a path"));
    let Some(before) = read(&path)? else { return Ok(None) };
    let Ok(mut doc) = Doc::parse(spec.format, &before) else {
        return Ok(None);
    };
    if !doc.remove(spec.root_key, SERVER_NAME) {
        return Ok(None);
    }
    let action = match via_program(env, spec) {
        Some(program) => Action::Run {
            commands: vec![vec![
                program,
                "mcp".into(),
                "remove".into(),
                SERVER_NAME.into(),
                "--scope".into(),
                "user".into(),
            ]],
        },
        None => Action::Write,
    };
    Ok(Some(Plan {
        client,
        action,
        path: path.display().to_string(),
        creates_file: false,
        before: Some(before),
        after: doc.render(),
        entry: String::new(),
    }))
}

/// Makes a planned change. A file must still be as previewed; its old version is kept
/// (the last three, readable by the owner only); the new one replaces it atomically.
pub fn apply(plan: &Plan) -> Result<Applied, ClientError> {
    let path = Path::new(&plan.path);
    match &plan.action {
        Action::Paste { .. } => Ok(Applied::default()),
        Action::Run { commands } => {
            for argv in commands {
                program::run(argv)?;
            }
            Ok(Applied::default())
        }
        Action::Bundle => {
            write_private(path, &bundle::zip(&plan.after).map_err(io(path))?)?;
            Ok(Applied::default())
        }
        Action::Write => {
            if read(path)? != plan.before {
                return Err(ClientError::Changed);
            }
            let backup = match &plan.before {
                Some(old) => Some(keep_backup(path, old)?),
                None => None,
            };
            write_private(path, plan.after.as_bytes())?;
            Ok(Applied { backup })
        }
    }
}

/// How many earlier versions of a file we keep.
pub const BACKUPS: usize = 3;

/// `<file>.wuse-backup.N`, 1 the newest.
pub fn backup_path(path: &Path, n: usize) -> PathBuf {
    path.with_file_name(format!(
        "{}.wuse-backup.{n}",
        path.file_name().unwrap_or_default().to_string_lossy()
    ))
}

/// Shifts the older backups along (the oldest drops off) and keeps `old` as the newest.
fn keep_backup(path: &Path, old: &str) -> Result<PathBuf, ClientError> {
    for n in (1..BACKUPS).rev() {
        let from = backup_path(path, n);
        if from.exists() {
            std::fs::rename(&from, backup_path(path, n + 1)).map_err(io(&from))?;
        }
    }
    let newest = backup_path(path, 1);
    write_private(&newest, old.as_bytes())?;
    Ok(newest)
}

/// Writes a file readable by its owner only (it holds an API key), atomically: a temp
/// file beside it, synced, renamed over it.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), ClientError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let tmp = path.with_file_name(format!(
        ".{}.wuse-tmp",
        path.file_name().unwrap_or_default().to_string_lossy()
    ));
    let _ = std::fs::remove_file(&tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(&tmp).map_err(io(&tmp))?;
    f.write_all(bytes).map_err(io(&tmp))?;
    f.sync_all().map_err(io(&tmp))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(io(path))
}

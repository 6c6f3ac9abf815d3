//! Planning and applying a change to a client's config file.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value};

use super::{catalog, entry, ClientId, Env, Server, SERVER_NAME};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(
        "{path} is not valid JSON ({reason}), so it was left untouched. Fix it, or add this under `{root}` by hand:\n{snippet}"
    )]
    NotJson {
        path: String,
        reason: String,
        root: String,
        snippet: String,
    },
    #[error("`{root}` in {path} is not a JSON object, so the file was left untouched")]
    BadShape { path: String, root: String },
    #[error("the file changed since the preview; look at the change again")]
    Changed,
    #[error("cannot write {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// A change to show before making it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Plan {
    pub client: ClientId,
    pub path: String,
    /// The file as it is (None: it does not exist yet).
    pub before: Option<String>,
    /// The file as it will be.
    pub after: String,
    /// Our entry alone (what to paste by hand, if need be).
    pub entry: String,
    pub creates_file: bool,
}

fn read(path: &Path) -> Result<Option<String>, ClientError> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ClientError::Io {
            path: path.display().to_string(),
            source,
        }),
    }
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// Parses the current file for a merge, refusing anything that is not a JSON object.
fn parse(path: &Path, text: Option<&str>, root: &str, our: &Value) -> Result<Map<String, Value>, ClientError> {
    let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
        return Ok(Map::new());
    };
    let snippet = pretty(&Value::Object(Map::from_iter([(SERVER_NAME.to_owned(), our.clone())])));
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ClientError::BadShape {
            path: path.display().to_string(),
            root: "(the top level)".into(),
        }),
        Err(e) => Err(ClientError::NotJson {
            path: path.display().to_string(),
            reason: e.to_string(),
            root: root.into(),
            snippet,
        }),
    }
}

fn changed(
    client: ClientId,
    path: &Path,
    before: Option<String>,
    mut doc: Map<String, Value>,
    edit: impl FnOnce(&mut Map<String, Value>),
    our: &Value,
) -> Plan {
    edit(&mut doc);
    Plan {
        client,
        path: path.display().to_string(),
        creates_file: before.is_none(),
        before,
        after: pretty(&Value::Object(doc)),
        entry: pretty(our),
    }
}

/// What installing (or updating) our entry would do.
pub fn plan(env: &Env, client: ClientId, server: &Server) -> Result<Plan, ClientError> {
    let spec = catalog::spec(client);
    let path = spec.config_path(env);
    let before = read(&path)?;
    let our = entry(spec, server);
    let doc = parse(&path, before.as_deref(), spec.root_key, &our)?;
    if doc.get(spec.root_key).is_some_and(|r| !r.is_object()) {
        return Err(ClientError::BadShape {
            path: path.display().to_string(),
            root: spec.root_key.into(),
        });
    }
    let root = spec.root_key;
    let value = our.clone();
    Ok(changed(
        client,
        &path,
        before,
        doc,
        move |d| {
            let servers = d.entry(root).or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(s) = servers {
                s.insert(SERVER_NAME.into(), value);
            }
        },
        &our,
    ))
}

/// What removing our entry would do (None: nothing to remove).
pub fn remove_plan(env: &Env, client: ClientId) -> Result<Option<Plan>, ClientError> {
    let spec = catalog::spec(client);
    let path = spec.config_path(env);
    let Some(before) = read(&path)? else { return Ok(None) };
    let doc = parse(&path, Some(&before), spec.root_key, &Value::Null)?;
    let present = doc.get(spec.root_key).and_then(|r| r.get(SERVER_NAME)).is_some();
    if !present {
        return Ok(None);
    }
    let root = spec.root_key;
    Ok(Some(changed(
        client,
        &path,
        Some(before),
        doc,
        move |d| {
            if let Some(Value::Object(s)) = d.get_mut(root) {
                s.remove(SERVER_NAME);
            }
        },
        &Value::Null,
    )))
}

/// Makes a planned change: the file must still be as previewed; the old file is kept
/// as `<name>.wuse-backup`; the new one replaces it atomically (same permissions).
pub fn apply(plan: &Plan) -> Result<Option<PathBuf>, ClientError> {
    let path = Path::new(&plan.path);
    let io = |source| ClientError::Io {
        path: plan.path.clone(),
        source,
    };
    if read(path)? != plan.before {
        return Err(ClientError::Changed);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let backup = match &plan.before {
        Some(old) => {
            let b = path.with_file_name(format!(
                "{}.wuse-backup",
                path.file_name().unwrap_or_default().to_string_lossy()
            ));
            std::fs::write(&b, old).map_err(io)?;
            Some(b)
        }
        None => None,
    };
    let tmp = path.with_file_name(format!(
        ".{}.wuse-tmp",
        path.file_name().unwrap_or_default().to_string_lossy()
    ));
    {
        let mut f = std::fs::File::create(&tmp).map_err(io)?;
        f.write_all(plan.after.as_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
    }
    // The config now holds an API key: only its owner may read it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
    }
    std::fs::rename(&tmp, path).map_err(io)?;
    Ok(backup)
}

//! One owner per data dir. The process that owns the store and the WhatsApp
//! sessions (the tray app or `serve`) holds an exclusive lock on `owner.lock` and
//! publishes where it listens in `owner.json`, which the stdio bridge reads.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

const LOCK_FILE: &str = "owner.lock";
const INFO_FILE: &str = "owner.json";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct OwnerInfo {
    pub pid: u32,
    pub port: u16,
    pub version: String,
}

#[derive(Debug, thiserror::Error)]
pub enum OwnerError {
    #[error("another WhatsApp-Use already owns {dir} (pid {pid}, http://127.0.0.1:{port}/mcp); stop it first, or use another --data-dir")]
    Taken { dir: String, pid: u32, port: u16 },
    #[error("another WhatsApp-Use already owns {dir}")]
    TakenUnknown { dir: String },
    #[error(
        "the data dir {dir} is read-only or belongs to another user ({source}); WhatsApp-Use must \
         write there: fix its permissions or pick another with --data-dir"
    )]
    ReadOnly {
        dir: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Held for as long as this process owns the data dir.
pub struct OwnerLock {
    _file: File,
    info_path: PathBuf,
}

impl OwnerLock {
    /// Takes ownership of `data_dir`, or says who has it.
    pub fn acquire(data_dir: &Path) -> Result<Self, OwnerError> {
        let path = data_dir.join(LOCK_FILE);
        let io = |source: std::io::Error| match source.kind() {
            std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => OwnerError::ReadOnly {
                dir: data_dir.display().to_string(),
                source,
            },
            _ => OwnerError::Io {
                path: path.display().to_string(),
                source,
            },
        };
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io)?;
        if file.try_lock().is_err() {
            return Err(match read(data_dir) {
                Some(info) => OwnerError::Taken {
                    dir: data_dir.display().to_string(),
                    pid: info.pid,
                    port: info.port,
                },
                None => OwnerError::TakenUnknown {
                    dir: data_dir.display().to_string(),
                },
            });
        }
        Ok(Self {
            _file: file,
            info_path: data_dir.join(INFO_FILE),
        })
    }

    /// Publishes the port this owner listens on.
    pub fn publish(&self, port: u16) -> Result<(), OwnerError> {
        let info = OwnerInfo {
            pid: std::process::id(),
            port,
            version: env!("CARGO_PKG_VERSION").into(),
        };
        let tmp = self.info_path.with_extension("json.tmp");
        let io = |source| OwnerError::Io {
            path: self.info_path.display().to_string(),
            source,
        };
        let mut f = File::create(&tmp).map_err(io)?;
        f.write_all(serde_json::to_string(&info).unwrap_or_default().as_bytes())
            .map_err(io)?;
        f.sync_all().map_err(io)?;
        std::fs::rename(&tmp, &self.info_path).map_err(io)?;
        Ok(())
    }
}

impl Drop for OwnerLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.info_path);
    }
}

/// Where the current owner of `data_dir` listens, if one published it.
pub fn read(data_dir: &Path) -> Option<OwnerInfo> {
    let s = std::fs::read_to_string(data_dir.join(INFO_FILE)).ok()?;
    serde_json::from_str(&s).ok()
}

/// Whether some process holds the owner lock of `data_dir` right now.
pub fn is_owned(data_dir: &Path) -> bool {
    let Ok(file) = OpenOptions::new().write(true).open(data_dir.join(LOCK_FILE)) else {
        return false;
    };
    match file.try_lock() {
        Ok(()) => {
            let _ = file.unlock();
            false
        }
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_owner_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let first = OwnerLock::acquire(dir.path()).unwrap();
        first.publish(4242).unwrap();
        assert!(is_owned(dir.path()));
        match OwnerLock::acquire(dir.path()) {
            Err(OwnerError::Taken { port, .. }) => assert_eq!(port, 4242),
            other => panic!("expected Taken, got {:?}", other.map(|_| ())),
        }
        drop(first);
        assert!(read(dir.path()).is_none());
        assert!(!is_owned(dir.path()));
        OwnerLock::acquire(dir.path()).unwrap();
    }
}

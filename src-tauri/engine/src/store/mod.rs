//! The encrypted store: one SQLCipher database in the data dir, WAL, numbered
//! migrations, one writer and a small pool of readers.
//!
//! Everything here is synchronous; queries are short and indexed. Each submodule
//! holds the queries of one table family and takes a `&Connection`.

pub mod accounts;
pub mod api_keys;
pub mod approvals;
pub mod audit;
mod catch_up;
pub mod chats;
pub mod check;
pub mod contacts;
pub mod events;
pub mod failures;
pub mod groups;
pub mod idempotency;
pub mod identity;
pub mod media;
pub mod messages;
mod migrations;
pub mod permissions;
pub mod sandbox;
pub mod search;
pub mod settings;
pub mod wa_session;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;
use rusqlite::{Connection, ErrorCode, OpenFlags, Transaction, TransactionBehavior};

use crate::secrets::DbKey;

/// The database file's name inside the data dir.
pub const DB_FILE: &str = "whatsapp-use.db";

/// The audit log's own file beside the store (`whatsapp-use-audit.db`), attached to
/// every connection as schema `audit`. Every tool call appends to the log; in WAL
/// mode a commit to a file makes every other connection drop its whole page cache
/// for that file at its next read. Kept in the store's file, logging a `get_message`
/// would throw away what the readers had decrypted (a phrase search went from 22 to
/// 55 ms); in a file of its own only the log's pages go.
pub fn audit_path(db: &Path) -> PathBuf {
    let stem = db.file_stem().map_or_else(|| "store".into(), |s| s.to_string_lossy());
    db.with_file_name(format!("{stem}-audit.db"))
}
/// Idle reader connections kept open.
const MAX_IDLE_READERS: usize = 8;
/// Page cache sizes (KiB) of the writer and of each reader.
const WRITER_CACHE_KIB: i64 = 64 * 1024;
/// A phrase of common words ("see you at the station") reads the position lists of
/// each word: at a million messages ~12 MB of pages. With 8 MB every such search
/// decrypted most of them again (33 ms); with 16 MB they stay (13 ms).
const READER_CACHE_KIB: i64 = 16 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "cannot open {path}: it does not decrypt with this key (the key does not match, or the file \
         is damaged or not a WhatsApp-Use database). The file was left untouched."
    )]
    WrongKeyOrNotADatabase { path: String },
    #[error(
        "{path} is damaged: a page failed its integrity check ({detail}). Nothing was written; \
         run `whatsapp-use check` and restore the file from a backup."
    )]
    Damaged { path: String, detail: String },
    #[error("the data dir is read-only ({path}): {detail}")]
    ReadOnly { path: String, detail: String },
    #[error("the disk holding {path} is full; free some space and try again (nothing was half-written)")]
    DiskFull { path: String },
    #[error("could not write to {path} ({detail}): is the disk full? The change was rolled back.")]
    WriteFailed { path: String, detail: String },
    #[error(
        "{path} was written by a newer WhatsApp-Use (schema {found}, this build knows up to {supported}); \
         update the app. The file was left untouched."
    )]
    TooNew { path: String, found: i64, supported: i64 },
    #[error("migration {version} failed: {source}")]
    Migration {
        version: i64,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    #[error("stored data is malformed: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// What an agent may be told: what happened and whether to retry, with no path of
    /// this machine and no detail beyond that (the log has the full error).
    pub fn for_agents(&self) -> &'static str {
        match self {
            Self::DiskFull { .. } | Self::WriteFailed { .. } => {
                "the disk holding WhatsApp-Use's data is full or refused the write; the change was rolled \
                 back (nothing was half-written), so it is safe to retry once there is room"
            }
            Self::ReadOnly { .. } => "WhatsApp-Use's data folder is read-only; nothing was written",
            _ => "storage failure; the details are in WhatsApp-Use's log",
        }
    }
}

impl StoreError {
    /// Whether the store refused what it was given (a constraint, malformed data),
    /// as opposed to failing itself (a full disk, a read-only or damaged file): the
    /// same item would be refused again, while other items would go in.
    pub fn refused_item(&self) -> bool {
        match self {
            Self::Corrupt(_) => true,
            Self::Sqlite(rusqlite::Error::SqliteFailure(f, _)) => {
                matches!(
                    f.code,
                    ErrorCode::ConstraintViolation | ErrorCode::TypeMismatch | ErrorCode::TooBig
                )
            }
            Self::Sqlite(
                rusqlite::Error::InvalidColumnType(..)
                | rusqlite::Error::FromSqlConversionFailure(..)
                | rusqlite::Error::IntegralValueOutOfRange(..)
                | rusqlite::Error::ToSqlConversionFailure(_),
            ) => true,
            _ => false,
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sqlite(e)
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        Self::Corrupt(e.to_string())
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Gives the common SQLite failures (wrong key, full disk, read-only) their own errors.
fn classify(path: &Path, e: rusqlite::Error) -> StoreError {
    let path_s = path.display().to_string();
    if let rusqlite::Error::SqliteFailure(f, ref msg) = e {
        match f.code {
            ErrorCode::NotADatabase => return StoreError::WrongKeyOrNotADatabase { path: path_s },
            ErrorCode::DiskFull => return StoreError::DiskFull { path: path_s },
            // A write the OS refused (no space, file size limit, I/O error) after the
            // file opened fine: SQLite rolled the transaction back.
            ErrorCode::SystemIoFailure if is_write_failure(f.extended_code) => {
                return StoreError::WriteFailed {
                    path: path_s,
                    detail: msg.clone().unwrap_or_else(|| f.to_string()),
                }
            }
            ErrorCode::ReadOnly | ErrorCode::CannotOpen | ErrorCode::PermissionDenied => {
                return StoreError::ReadOnly {
                    path: path_s,
                    detail: msg.clone().unwrap_or_else(|| f.to_string()),
                }
            }
            _ => {}
        }
    }
    StoreError::Sqlite(e)
}

fn is_write_failure(extended: std::os::raw::c_int) -> bool {
    use rusqlite::ffi;
    [
        ffi::SQLITE_IOERR_WRITE,
        ffi::SQLITE_IOERR_FSYNC,
        ffi::SQLITE_IOERR_TRUNCATE,
        ffi::SQLITE_IOERR_SHMSIZE,
        ffi::SQLITE_IOERR_SHMMAP,
    ]
    .contains(&extended)
}

/// After the key was proven at open, "not a database" means a page that does not
/// decrypt: damage, not a wrong key.
fn classify_open_store(path: &Path, e: rusqlite::Error) -> StoreError {
    match classify(path, e) {
        StoreError::WrongKeyOrNotADatabase { path } => StoreError::Damaged {
            path,
            detail: "page does not decrypt".into(),
        },
        StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, msg)) if f.code == ErrorCode::DatabaseCorrupt => {
            StoreError::Damaged {
                path: path.display().to_string(),
                detail: msg.unwrap_or_else(|| f.to_string()),
            }
        }
        other => other,
    }
}

#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    key: DbKey,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

impl Store {
    /// Opens (creating if needed) the database at `path` with `key`, and migrates it.
    /// A file that does not decrypt with `key` is reported and never overwritten.
    pub fn open(path: &Path, key: DbKey) -> StoreResult<Self> {
        let mut writer = open_connection(path, &key, Role::Writer)?;
        audit::create(&writer).map_err(|e| classify(&audit_path(path), e))?;
        migrations::run(path, &mut writer)?;
        audit::move_out_of_main(&mut writer).map_err(|e| classify(path, e))?;
        Ok(Self {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                key,
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` on a reader connection (consistent snapshot for one statement
    /// sequence; use `read_tx` for several statements that must agree).
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let conn = match self.inner.readers.lock().pop() {
            Some(c) => c,
            None => open_connection(&self.inner.path, &self.inner.key, Role::Reader)?,
        };
        let out = f(&conn).map_err(|e| self.reclassify(e));
        let mut idle = self.inner.readers.lock();
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        out
    }

    /// Runs `f` in one write transaction: all of it lands, or none of it.
    pub fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> StoreResult<T>) -> StoreResult<T> {
        self.write_then(f, || {})
    }

    /// Like `write`, then runs `after` once the transaction committed, still holding
    /// the writer lock, so what `after` publishes comes out in commit order.
    pub fn write_then<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> StoreResult<T>,
        after: impl FnOnce(),
    ) -> StoreResult<T> {
        let mut conn = self.inner.writer.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| classify_open_store(&self.inner.path, e))?;
        let out = f(&tx).map_err(|e| self.reclassify(e))?;
        catch_up::new_messages(&tx).map_err(|e| self.reclassify(e))?;
        tx.commit().map_err(|e| classify_open_store(&self.inner.path, e))?;
        after();
        Ok(out)
    }

    /// Folds the write-ahead log into the database file (on clean shutdown).
    pub fn checkpoint(&self) -> StoreResult<()> {
        self.inner.readers.lock().clear();
        let conn = self.inner.writer.lock();
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(|e| classify_open_store(&self.inner.path, e))?;
        Ok(())
    }

    /// Runs `f` on a reader inside a transaction, so several queries see one snapshot.
    pub fn read_tx<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        self.read(|c| {
            c.execute_batch("BEGIN DEFERRED")?;
            let out = f(c);
            c.execute_batch("COMMIT")?;
            out
        })
    }

    fn reclassify(&self, e: StoreError) -> StoreError {
        match e {
            StoreError::Sqlite(e) => classify_open_store(&self.inner.path, e),
            other => other,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The one writer; it creates the file if needed.
    Writer,
    Reader,
}

fn open_connection(path: &Path, key: &DbKey, role: Role) -> StoreResult<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if role == Role::Writer {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags).map_err(|e| classify(path, e))?;
    // A wrong key is reported as an error; SQLCipher need not also print to stderr.
    let _ = conn.execute_batch("PRAGMA cipher_log_level = NONE;");
    conn.pragma_update(None, "key", key.pragma_value().as_str())
        .map_err(|e| classify(path, e))?;
    // The first read proves the key: SQLCipher reports SQLITE_NOTADB on a mismatch.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))
        .map_err(|e| classify(path, e))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 5000;
         PRAGMA temp_store = MEMORY;",
    )
    .map_err(|e| classify(path, e))?;
    // Page caches fill only as pages are used. The writer's is large: a history sync
    // inserts into the search index and the per-sender index all over the file, and
    // every page that falls out of the cache must be read and decrypted again.
    let cache_kib = match role {
        Role::Writer => WRITER_CACHE_KIB,
        Role::Reader => READER_CACHE_KIB,
    };
    conn.pragma_update(None, "cache_size", -cache_kib)
        .map_err(|e| classify(path, e))?;
    attach_audit(&conn, path, key)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// Attaches the audit log's file (created by the writer if missing) with the same key.
fn attach_audit(conn: &Connection, db: &Path, key: &DbKey) -> StoreResult<()> {
    let path = audit_path(db);
    conn.execute(
        "ATTACH DATABASE ?1 AS audit KEY ?2",
        rusqlite::params![path.to_string_lossy(), key.pragma_value().as_str()],
    )
    .and_then(|_| conn.query_row("SELECT count(*) FROM audit.sqlite_master", [], |r| r.get::<_, i64>(0)))
    .and_then(|_| {
        conn.execute_batch(
            "PRAGMA audit.journal_mode = WAL;
             PRAGMA audit.synchronous = NORMAL;
             PRAGMA audit.cache_size = -1024;",
        )
    })
    .map_err(|e| classify(&path, e))?;
    Ok(())
}

/// Statements kept parsed per connection: every statement of the hot paths fits.
const STATEMENT_CACHE: usize = 128;

/// Running statements through the connection's statement cache, so SQLite parses the
/// hot ones (ingest, reads) once per connection, not once per call. Same shape as
/// `execute` / `query_row`.
pub trait Cached {
    fn exec(&self, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize>;
    fn one<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        f: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T>;
}

impl Cached for Connection {
    fn exec(&self, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    fn one<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        f: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        self.prepare_cached(sql)?.query_row(params, f)
    }
}

/// When a piece of synced state (a group's subject, a chat's mute, a name) was true,
/// and where the store heard it. Live news (an event, a query, a tool's own change)
/// always applies, in the order it arrives; a page of history describes the past and
/// applies only where nothing newer is known. Each such field keeps the time of what
/// it holds (`…_at`, NULL: unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    Live(crate::time::Millis),
    History(crate::time::Millis),
}

impl Heard {
    pub fn at(self) -> crate::time::Millis {
        match self {
            Self::Live(t) | Self::History(t) => t,
        }
    }

    pub fn is_live(self) -> bool {
        matches!(self, Self::Live(_))
    }

    /// Whether it replaces what the store heard at `known` (if anything).
    pub fn wins_over(self, known: Option<crate::time::Millis>) -> bool {
        self.is_live() || known.is_none_or(|k| self.at() >= k)
    }
}

/// Small helpers shared by the query modules.
pub(crate) mod sql {
    pub fn opt_json<T: serde::de::DeserializeOwned>(s: Option<String>) -> Option<T> {
        s.and_then(|s| serde_json::from_str(&s).ok())
    }
}

//! Media blobs inside the encrypted store, written and read in chunks.

use super::Cached;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::StoreResult;
use crate::ids::{AccountId, KeyId, MediaId};
use crate::time::{iso, now_ms, Millis};

pub const CHUNK: usize = 1024 * 1024;

/// What is known about a blob.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MediaMeta {
    pub id: MediaId,
    pub mime: String,
    pub size: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<f64>,
    #[serde(with = "iso")]
    pub created_at: Millis,
    #[serde(skip)]
    pub account_id: Option<AccountId>,
    #[serde(skip)]
    pub key_id: Option<KeyId>,
}

/// Starts a blob; it is invisible until `finish`.
pub fn begin(
    c: &Connection,
    id: &MediaId,
    account: Option<&AccountId>,
    key: Option<&KeyId>,
    mime: &str,
) -> StoreResult<()> {
    c.exec(
        "INSERT INTO media (id, account_id, key_id, mime, size, created_at) VALUES (?1, ?2, ?3, ?4, 0, ?5)",
        params![id, account, key, mime, now_ms()],
    )?;
    Ok(())
}

pub fn append(c: &Connection, id: &MediaId, idx: i64, data: &[u8]) -> StoreResult<()> {
    c.exec(
        "INSERT INTO media_chunks (media_id, idx, data) VALUES (?1, ?2, ?3)",
        params![id, idx, data],
    )?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub fn finish(
    c: &Connection,
    id: &MediaId,
    mime: &str,
    size: i64,
    sha256: &str,
    file_name: Option<&str>,
    dims: Option<(u32, u32)>,
    duration_ms: Option<i64>,
) -> StoreResult<()> {
    c.exec(
        "UPDATE media SET mime = ?2, size = ?3, sha256 = ?4, file_name = ?5, width = ?6, height = ?7, duration_ms = ?8,
                complete = 1 WHERE id = ?1",
        params![
            id,
            mime,
            size,
            sha256,
            file_name,
            dims.map(|d| d.0),
            dims.map(|d| d.1),
            duration_ms
        ],
    )?;
    Ok(())
}

pub fn delete(c: &Connection, id: &MediaId) -> StoreResult<()> {
    c.exec("DELETE FROM media WHERE id = ?1", [id])?;
    Ok(())
}

/// Drops uploads that never finished (a crash mid-upload).
pub fn delete_incomplete(c: &Connection) -> StoreResult<usize> {
    Ok(c.exec("DELETE FROM media WHERE complete = 0", [])?)
}

pub fn get(c: &Connection, id: &MediaId) -> StoreResult<Option<MediaMeta>> {
    Ok(c.one(
        "SELECT id, mime, size, sha256, file_name, width, height, duration_ms, created_at, account_id, key_id
             FROM media WHERE id = ?1 AND complete = 1",
        [id],
        |r| {
            Ok(MediaMeta {
                id: r.get(0)?,
                mime: r.get(1)?,
                size: r.get(2)?,
                sha256: r.get(3)?,
                file_name: r.get(4)?,
                width: r.get(5)?,
                height: r.get(6)?,
                duration_s: r.get::<_, Option<i64>>(7)?.map(|ms| ms as f64 / 1000.0),
                created_at: r.get(8)?,
                account_id: r.get(9)?,
                key_id: r.get(10)?,
            })
        },
    )
    .optional()?)
}

/// One chunk of a blob (`None` past the end).
pub fn chunk(c: &Connection, id: &MediaId, idx: i64) -> StoreResult<Option<Vec<u8>>> {
    Ok(c.one(
        "SELECT data FROM media_chunks WHERE media_id = ?1 AND idx = ?2",
        params![id, idx],
        |r| r.get(0),
    )
    .optional()?)
}

/// The whole blob (for sizes that fit in memory: sending, thumbnails).
pub fn read_all(c: &Connection, id: &MediaId) -> StoreResult<Vec<u8>> {
    let mut stmt = c.prepare_cached("SELECT data FROM media_chunks WHERE media_id = ?1 ORDER BY idx")?;
    let mut out = Vec::new();
    for part in stmt.query_map([id], |r| r.get::<_, Vec<u8>>(0))? {
        out.extend_from_slice(&part?);
    }
    Ok(out)
}

/// Points a message at a blob we now hold (after a download).
pub fn attach_to_message(c: &Connection, message: &crate::ids::MessageId, media: &MediaId) -> StoreResult<()> {
    c.exec(
        "UPDATE messages SET media_id = ?2 WHERE id = ?1",
        params![message, media],
    )?;
    Ok(())
}

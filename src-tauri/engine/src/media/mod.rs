//! Media inside the encrypted store: uploads (from a file on this machine, base64,
//! or a local URL) streamed in 1 MiB chunks and never held whole in memory, 100 MB
//! at most; what they are (type, size, dimensions, duration); and signed localhost
//! URLs to download them.

pub mod probe;
pub mod signed;

use std::io::{Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};

use base64::Engine as _;
use futures::StreamExt;
use sha2::{Digest, Sha256};

use crate::error::{ErrorCode, ToolError, ToolResult};
use crate::ids::{AccountId, KeyId, MediaId};
use crate::store::media::{self as table, MediaMeta, CHUNK};
use crate::store::{settings, Store};

pub const MAX_BYTES: u64 = 100 * 1024 * 1024;
/// Setting: folders agents may upload files from.
pub const ROOTS_SETTING: &str = "upload_roots";

/// Where uploaded bytes come from.
#[derive(Debug, Clone)]
pub enum Source {
    Path(String),
    Base64(String),
    Url(String),
}

/// Who a blob belongs to.
#[derive(Debug, Clone, Default)]
pub struct Owner {
    pub account: Option<AccountId>,
    pub key: Option<KeyId>,
}

fn too_large() -> ToolError {
    ToolError::new(
        ErrorCode::MediaTooLarge,
        format!("media is limited to {} MB", MAX_BYTES / (1024 * 1024)),
    )
}

/// The folders uploads may come from: the `upload_roots` setting, else the user's
/// documents, downloads, desktop, pictures, videos and music, and the temp dir.
pub fn upload_roots(store: &Store) -> Vec<PathBuf> {
    if let Ok(Some(roots)) = store.read(|c| settings::get::<Vec<String>>(c, ROOTS_SETTING)) {
        return roots.into_iter().map(PathBuf::from).collect();
    }
    let mut roots = Vec::new();
    if let Some(u) = directories::UserDirs::new() {
        for d in [
            u.document_dir(),
            u.download_dir(),
            u.desktop_dir(),
            u.picture_dir(),
            u.video_dir(),
            u.audio_dir(),
        ]
        .into_iter()
        .flatten()
        {
            roots.push(d.to_path_buf());
        }
    }
    roots.push(std::env::temp_dir());
    roots
}

/// Resolves a path an agent gave: absolute, an existing regular file, inside an
/// upload root once symlinks and `..` are resolved, and not hidden (no `.ssh`).
pub fn check_path(store: &Store, raw: &str) -> ToolResult<PathBuf> {
    let path = Path::new(raw);
    if !path.is_absolute() {
        return Err(ToolError::invalid("path", "must be an absolute path"));
    }
    let real = path
        .canonicalize()
        .map_err(|e| ToolError::invalid("path", format!("cannot open it: {e}")))?;
    let roots: Vec<PathBuf> = upload_roots(store)
        .into_iter()
        .filter_map(|r| r.canonicalize().ok())
        .collect();
    let Some(root) = roots.iter().find(|r| real.starts_with(r)) else {
        // The folders are not named: an agent sees no paths of this machine but its own.
        return Err(ToolError::forbidden(
            "this file is outside the folders WhatsApp-Use may upload from; the person can add its \
             folder in WhatsApp-Use's Settings (Upload folders)",
        ));
    };
    let hidden = real
        .strip_prefix(root)
        .unwrap_or(&real)
        .components()
        .any(|c| matches!(c, Component::Normal(n) if n.to_string_lossy().starts_with('.')));
    if hidden {
        return Err(ToolError::forbidden("hidden files and folders cannot be uploaded"));
    }
    let meta = std::fs::metadata(&real).map_err(|e| ToolError::invalid("path", e.to_string()))?;
    if !meta.is_file() {
        return Err(ToolError::invalid("path", "not a regular file"));
    }
    if meta.len() > MAX_BYTES {
        return Err(too_large());
    }
    Ok(real)
}

/// A URL on this machine (http(s) to a loopback host).
pub fn check_url(raw: &str) -> ToolResult<reqwest::Url> {
    let url = reqwest::Url::parse(raw).map_err(|e| ToolError::invalid("url", e.to_string()))?;
    let local = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]" | "::1"));
    if !matches!(url.scheme(), "http" | "https") || !local {
        return Err(ToolError::forbidden(
            "only URLs on this machine (http://localhost or 127.0.0.1) can be uploaded; use `path` for files",
        ));
    }
    Ok(url)
}

/// Unfinished uploads whose removal failed (a full disk refuses the delete too), per
/// store file; the next upload to that store removes them. (Start-up removes any left.)
static ORPHANS: parking_lot::Mutex<Vec<(PathBuf, MediaId)>> = parking_lot::Mutex::new(Vec::new());

fn sweep_orphans(store: &Store) {
    let mine: Vec<MediaId> = {
        let mut all = ORPHANS.lock();
        let (mine, rest) = std::mem::take(&mut *all)
            .into_iter()
            .partition(|(path, _)| path.as_path() == store.path());
        *all = rest;
        mine.into_iter().map(|(_, id)| id).collect()
    };
    for id in mine {
        if store.write(|tx| table::delete(tx, &id)).is_err() {
            ORPHANS.lock().push((store.path().to_owned(), id));
        }
    }
}

/// Writes a blob chunk by chunk; dropped unfinished, it removes what it wrote.
struct Writer {
    store: Store,
    id: MediaId,
    idx: i64,
    size: u64,
    hash: Sha256,
    head: Vec<u8>,
    done: bool,
}

impl Writer {
    fn new(store: &Store, owner: &Owner) -> ToolResult<Self> {
        sweep_orphans(store);
        let id = MediaId::random();
        store.write(|tx| {
            table::begin(
                tx,
                &id,
                owner.account.as_ref(),
                owner.key.as_ref(),
                "application/octet-stream",
            )
        })?;
        Ok(Self {
            store: store.clone(),
            id,
            idx: 0,
            size: 0,
            hash: Sha256::new(),
            head: Vec::new(),
            done: false,
        })
    }

    fn push(&mut self, data: &[u8]) -> ToolResult<()> {
        self.size += data.len() as u64;
        if self.size > MAX_BYTES {
            return Err(too_large());
        }
        self.hash.update(data);
        if self.head.len() < 8192 {
            self.head
                .extend_from_slice(&data[..data.len().min(8192 - self.head.len())]);
        }
        let (id, idx) = (self.id.clone(), self.idx);
        self.store.write(|tx| table::append(tx, &id, idx, data))?;
        self.idx += 1;
        Ok(())
    }

    fn finish(mut self, file_name: Option<&str>, mime: Option<&str>) -> ToolResult<MediaMeta> {
        if self.size == 0 {
            return Err(ToolError::invalid("media", "the file is empty"));
        }
        let mime = mime
            .map(str::to_owned)
            .unwrap_or_else(|| probe::sniff(&self.head, file_name));
        let reader = ChunkReader::new(self.store.clone(), self.id.clone(), self.size);
        let (dims, duration) = probe::probe(reader, self.size, &mime);
        let sha = hex::encode(std::mem::take(&mut self.hash).finalize());
        let id = self.id.clone();
        self.store
            .write(|tx| table::finish(tx, &id, &mime, self.size as i64, &sha, file_name, dims, duration))?;
        self.done = true;
        self.store
            .read(|c| table::get(c, &id))?
            .ok_or_else(|| ToolError::server("the upload vanished"))
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if !self.done {
            let id = self.id.clone();
            if let Err(e) = self.store.write(|tx| table::delete(tx, &id)) {
                tracing::warn!(error = %e, "could not remove an unfinished upload yet; will retry");
                ORPHANS.lock().push((self.store.path().to_owned(), id));
            }
        }
    }
}

/// Stores bytes we hold (downloads, pictures).
pub fn import(
    store: &Store,
    owner: &Owner,
    bytes: &[u8],
    mime: Option<&str>,
    file_name: Option<&str>,
) -> ToolResult<MediaMeta> {
    if bytes.len() as u64 > MAX_BYTES {
        return Err(too_large());
    }
    let mut w = Writer::new(store, owner)?;
    for part in bytes.chunks(CHUNK) {
        w.push(part)?;
    }
    w.finish(file_name, mime)
}

/// Uploads from a source, streaming.
pub async fn upload(store: &Store, owner: &Owner, source: Source, file_name: Option<String>) -> ToolResult<MediaMeta> {
    match source {
        Source::Path(raw) => {
            let path = check_path(store, &raw)?;
            let name = file_name.or_else(|| path.file_name().map(|n| n.to_string_lossy().into_owned()));
            let store = store.clone();
            let owner = owner.clone();
            tokio::task::spawn_blocking(move || {
                let mut f = std::fs::File::open(&path).map_err(|e| ToolError::invalid("path", e.to_string()))?;
                let mut w = Writer::new(&store, &owner)?;
                let mut buf = vec![0u8; CHUNK];
                loop {
                    let n = read_full(&mut f, &mut buf).map_err(|e| ToolError::invalid("path", e.to_string()))?;
                    if n == 0 {
                        break;
                    }
                    w.push(&buf[..n])?;
                }
                w.finish(name.as_deref(), None)
            })
            .await
            .map_err(|e| ToolError::server(e.to_string()))?
        }
        Source::Base64(text) => {
            // Base64 arrives inside the JSON request, so it is bounded by the request size.
            if text.len() as u64 > MAX_BYTES / 3 * 4 + 4 {
                return Err(too_large());
            }
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(text.trim().as_bytes())
                .map_err(|e| ToolError::invalid("base64", format!("not valid base64: {e}")))?;
            let store = store.clone();
            let owner = owner.clone();
            tokio::task::spawn_blocking(move || import(&store, &owner, &bytes, None, file_name.as_deref()))
                .await
                .map_err(|e| ToolError::server(e.to_string()))?
        }
        Source::Url(raw) => {
            let url = check_url(&raw)?;
            let client = reqwest::Client::builder()
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(std::time::Duration::from_secs(300))
                .build()
                .map_err(|e| ToolError::server(e.to_string()))?;
            let resp = client
                .get(url.clone())
                .send()
                .await
                .map_err(|e| ToolError::invalid("url", e.to_string()))?;
            if !resp.status().is_success() {
                return Err(ToolError::invalid(
                    "url",
                    format!("the server answered {}", resp.status()),
                ));
            }
            if resp.content_length().is_some_and(|l| l > MAX_BYTES) {
                return Err(too_large());
            }
            let mime = resp
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.split(';').next().unwrap_or(v).trim().to_owned())
                .filter(|m| m != "application/octet-stream");
            let name = file_name.or_else(|| {
                url.path_segments()
                    .and_then(|mut s| s.next_back())
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
            });
            let mut w = Writer::new(store, owner)?;
            let mut body = resp.bytes_stream();
            let mut pending = Vec::with_capacity(CHUNK);
            while let Some(part) = body.next().await {
                let part = part.map_err(|e| ToolError::invalid("url", e.to_string()))?;
                pending.extend_from_slice(&part);
                while pending.len() >= CHUNK {
                    let rest = pending.split_off(CHUNK);
                    w.push(&pending)?;
                    pending = rest;
                }
            }
            if !pending.is_empty() {
                w.push(&pending)?;
            }
            // Trust the bytes over the server's claim for the type.
            let sniffed = infer::get(&w.head).map(|t| t.mime_type().to_owned());
            w.finish(name.as_deref(), sniffed.as_deref().or(mime.as_deref()))
        }
    }
}

fn read_full(f: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Reads a stored blob as a file (random access over its chunks).
pub struct ChunkReader {
    store: Store,
    id: MediaId,
    len: u64,
    pos: u64,
    cached: Option<(i64, Vec<u8>)>,
}

impl ChunkReader {
    pub fn new(store: Store, id: MediaId, len: u64) -> Self {
        Self {
            store,
            id,
            len,
            pos: 0,
            cached: None,
        }
    }
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.len || buf.is_empty() {
            return Ok(0);
        }
        let idx = (self.pos / CHUNK as u64) as i64;
        if self.cached.as_ref().is_none_or(|(i, _)| *i != idx) {
            let (store, id) = (&self.store, &self.id);
            let data = store
                .read(|c| table::chunk(c, id, idx))
                .map_err(|e| std::io::Error::other(e.to_string()))?
                .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "missing chunk"))?;
            self.cached = Some((idx, data));
        }
        let (_, data) = self.cached.as_ref().expect("just filled");
        let offset = (self.pos % CHUNK as u64) as usize;
        let n = buf.len().min(data.len().saturating_sub(offset));
        buf[..n].copy_from_slice(&data[offset..offset + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for ChunkReader {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let next = match to {
            SeekFrom::Start(p) => p as i64,
            SeekFrom::End(d) => self.len as i64 + d,
            SeekFrom::Current(d) => self.pos as i64 + d,
        };
        if next < 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "seek before start",
            ));
        }
        self.pos = next as u64;
        Ok(self.pos)
    }
}

/// A picture for a profile or group: square, at most 640 px, JPEG (what WhatsApp takes).
pub fn profile_jpeg(bytes: &[u8]) -> ToolResult<Vec<u8>> {
    let img =
        image::load_from_memory(bytes).map_err(|e| ToolError::invalid("media_id", format!("not a picture: {e}")))?;
    let side = img.width().min(img.height());
    let square = img.crop_imm((img.width() - side) / 2, (img.height() - side) / 2, side, side);
    let scaled = if side > 640 {
        square.resize_exact(640, 640, image::imageops::FilterType::Triangle)
    } else {
        square
    };
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(scaled.to_rgb8())
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .map_err(|e| ToolError::server(e.to_string()))?;
    Ok(out.into_inner())
}

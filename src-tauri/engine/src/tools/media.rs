//! Media tools: upload (a file on this machine, base64, or a local URL), download
//! (inline, or as a signed URL on the local server valid 24 hours), metadata.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use super::args::{Problems, Validate};
use super::{tool, wa_error, Ctx, Effect, Family, Output, ToolSpec};
use crate::error::{ErrorCode, ToolError, ToolResult};
use crate::ids::{MediaId, MessageId};
use crate::media::{self, signed, Owner, Source};
use crate::store::media::{self as table, MediaMeta};
use crate::time::{now_ms, to_iso};
use crate::wa::WaError;

/// Larger blobs are offered as a URL rather than inline.
const INLINE_MAX: i64 = 1024 * 1024;
/// Inline blobs asked for explicitly may be this big.
const INLINE_HARD_MAX: i64 = 16 * 1024 * 1024;

/// A blob the key may use: uploaded by this key, or belonging to an account it sees.
pub fn visible_media(ctx: &Ctx, id: &MediaId) -> ToolResult<MediaMeta> {
    let meta = ctx
        .read(|c| table::get(c, id))?
        .ok_or_else(|| ToolError::not_found("media", id))?;
    let own = meta.key_id.as_ref() == Some(&ctx.principal().key_id);
    let account = match &meta.account_id {
        Some(a) => ctx.sees_account(a)?,
        None => false,
    };
    if own || account {
        Ok(meta)
    } else {
        Err(ToolError::not_found("media", id))
    }
}

/// The blob of a message's media, fetched from WhatsApp (and kept) the first time.
pub async fn message_media(ctx: &Ctx, id: &MessageId) -> ToolResult<MediaMeta> {
    let m = ctx.message(id)?;
    if !m.has_media {
        return Err(ToolError::invalid("message_id", "that message has no media"));
    }
    if let Some(mid) = ctx.read(|c| crate::store::messages::media_id_of(c, &m.id))? {
        if let Some(meta) = ctx.read(|c| table::get(c, &mid))? {
            return Ok(meta);
        }
    }
    let (remote, info) = ctx
        .read(|c| crate::store::messages::remote_media(c, &m.id))?
        .ok_or_else(|| ToolError::not_found("media of message", &m.id))?;
    let client = ctx.client(&m.account_id)?;
    let bytes = match client.download(&remote).await {
        // The CDN's copy expired: the phone uploads it again, if it still has it.
        Err(WaError::MediaExpired(_)) => {
            let key = ctx
                .read(|c| crate::store::messages::get_ref(c, &m.id))?
                .ok_or_else(|| ToolError::not_found("message", &m.id))?
                .key;
            let fresh = client.reupload(&remote, &key).await.map_err(|e| match e {
                WaError::MediaExpired(_) => ToolError::new(
                    ErrorCode::MediaExpired,
                    format!(
                        "the media of {} is gone: WhatsApp's copy expired and the phone no longer has the file",
                        m.id
                    ),
                ),
                other => wa_error(other),
            })?;
            ctx.write(|tx, _| crate::store::messages::set_remote_media(tx, &m.id, &fresh))?;
            client.download(&fresh).await.map_err(wa_error)?
        }
        other => other.map_err(wa_error)?,
    };
    let owner = Owner {
        account: Some(m.account_id.clone()),
        key: None,
    };
    let store = ctx.engine.store.clone();
    let mid = m.id.clone();
    tokio::task::spawn_blocking(move || {
        let mime = (info.mime != "application/octet-stream").then_some(info.mime.as_str());
        let meta = media::import(&store, &owner, &bytes, mime, info.file_name.as_deref())?;
        store.write(|tx| table::attach_to_message(tx, &mid, &meta.id))?;
        Ok(meta)
    })
    .await
    .map_err(|e| ToolError::server(e.to_string()))?
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadArgs {
    /// An absolute path to a file on this machine (in the folders uploads are allowed from).
    path: Option<String>,
    /// The bytes, base64-encoded (for small files; large ones by `path` or `url`).
    base64: Option<String>,
    /// A URL on this machine (http://localhost:…/…).
    url: Option<String>,
    /// The file name to show (defaults to the file's own name).
    file_name: Option<String>,
    idempotency_key: Option<String>,
}

impl Validate for UploadArgs {
    fn validate(&self, p: &mut Problems) {
        let n = [self.path.is_some(), self.base64.is_some(), self.url.is_some()]
            .iter()
            .filter(|b| **b)
            .count();
        if n != 1 {
            p.push(("path".into(), "give exactly one of `path`, `base64` and `url`".into()));
        }
        if self
            .file_name
            .as_ref()
            .is_some_and(|f| f.is_empty() || f.chars().count() > 255 || f.contains(['/', '\\']))
        {
            p.push(("file_name".into(), "a plain file name, 1 to 255 characters".into()));
        }
        super::args::check_idempotency_key(self.idempotency_key.as_deref(), p);
    }
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema, Default, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DownloadAs {
    /// Pictures up to 1 MB as image content, other files up to 1 MB inline, larger as a URL.
    #[default]
    Auto,
    /// An embedded binary resource (up to 16 MB).
    Resource,
    /// A signed URL on this machine, valid 24 hours.
    Url,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MediaArgs {
    /// The media (med_…), e.g. from upload_media or a message's `media.id`.
    media_id: Option<MediaId>,
    /// Or the message whose media to get (fetched from WhatsApp the first time).
    message_id: Option<MessageId>,
}

impl Validate for MediaArgs {
    fn validate(&self, p: &mut Problems) {
        if self.media_id.is_some() == self.message_id.is_some() {
            p.push((
                "media_id".into(),
                "give exactly one of `media_id` and `message_id`".into(),
            ));
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DownloadArgs {
    media_id: Option<MediaId>,
    message_id: Option<MessageId>,
    /// `auto` (default), `resource` or `url`.
    #[serde(default, rename = "as")]
    as_: DownloadAs,
}

impl Validate for DownloadArgs {
    fn validate(&self, p: &mut Problems) {
        if self.media_id.is_some() == self.message_id.is_some() {
            p.push((
                "media_id".into(),
                "give exactly one of `media_id` and `message_id`".into(),
            ));
        }
    }
}

async fn resolve(ctx: &Ctx, media: &Option<MediaId>, message: &Option<MessageId>) -> ToolResult<MediaMeta> {
    match (media, message) {
        (Some(id), _) => visible_media(ctx, id),
        (None, Some(m)) => message_media(ctx, m).await,
        (None, None) => Err(ToolError::invalid("media_id", "give `media_id` or `message_id`")),
    }
}

async fn upload_media(ctx: Ctx, a: UploadArgs) -> ToolResult<Output> {
    let source = match (a.path, a.base64, a.url) {
        (Some(p), _, _) => Source::Path(p),
        (_, Some(b), _) => Source::Base64(b),
        (_, _, Some(u)) => Source::Url(u),
        _ => return Err(ToolError::invalid("path", "nothing to upload")),
    };
    let owner = Owner {
        account: None,
        key: Some(ctx.principal().key_id.clone()),
    };
    let meta = media::upload(&ctx.engine.store, &owner, source, a.file_name).await?;
    Output::json(json!({ "media": meta, "next_step": "send it with send_message and this media_id" }))
}

async fn get_media_metadata(ctx: Ctx, a: MediaArgs) -> ToolResult<Output> {
    let meta = resolve(&ctx, &a.media_id, &a.message_id).await?;
    Output::json(json!({ "media": meta }))
}

/// A signed URL for a blob, on this server.
pub fn signed_url(ctx: &Ctx, id: &MediaId) -> ToolResult<(String, i64)> {
    let secret = signed::secret(&ctx.engine.store)?;
    let exp = now_ms() + signed::valid_ms(&ctx.engine.store);
    let port = ctx.engine.port();
    Ok((
        format!(
            "http://127.0.0.1:{port}{}",
            signed::sign(&secret, id, exp, &ctx.principal().key_id)
        ),
        exp,
    ))
}

async fn download_media(ctx: Ctx, a: DownloadArgs) -> ToolResult<Output> {
    let meta = resolve(&ctx, &a.media_id, &a.message_id).await?;
    let inline = match a.as_ {
        DownloadAs::Url => false,
        DownloadAs::Resource => {
            if meta.size > INLINE_HARD_MAX {
                return Err(ToolError::invalid(
                    "as",
                    "too large to return inline (16 MB at most); use `url`",
                ));
            }
            true
        }
        DownloadAs::Auto => meta.size <= INLINE_MAX,
    };
    if !inline {
        let (url, exp) = signed_url(&ctx, &meta.id)?;
        return Output::json(json!({ "media": meta, "url": url, "expires_at": to_iso(exp) }));
    }
    let store = ctx.engine.store.clone();
    let id = meta.id.clone();
    let bytes = tokio::task::spawn_blocking(move || store.read(|c| table::read_all(c, &id)))
        .await
        .map_err(|e| ToolError::server(e.to_string()))??;
    let uri = format!("whatsapp://media/{}", meta.id);
    let out = Output::json(json!({ "media": meta, "resource": uri }))?;
    Ok(if a.as_ == DownloadAs::Auto && meta.mime.starts_with("image/") {
        out.with_image(&meta.mime, bytes)
    } else {
        out.with_blob(uri, &meta.mime, bytes)
    })
}

pub fn tools() -> Vec<ToolSpec> {
    vec![
        tool("upload_media", "Upload media", Family::Media, Effect::Write,
            "Store a picture, video, audio or document (up to 100 MB) from an absolute file path on this machine, base64, or a local URL, ready to send with send_message(media_id). Returns its media_id with type, size, and dimensions or duration.",
            upload_media),
        tool("download_media", "Download media", Family::Media, Effect::Read,
            "Get the bytes of media by media_id or message_id: small pictures as image content, small files as an embedded resource, larger ones as a signed http://127.0.0.1 URL valid 24 hours (`as`: auto, resource or url).",
            download_media),
        tool("get_media_metadata", "Get media metadata", Family::Media, Effect::Read,
            "Get what a media file is, by media_id or message_id: MIME type, size, SHA-256, file name, width and height for pictures and video, duration for audio and video.",
            get_media_metadata),
    ]
}

//! Media a phone sends and receives: uploaded to the loopback CDN encrypted (the
//! library's media encryption), referenced from the message, and downloaded and
//! decrypted by whoever receives it.

use whatsapp_rust::buffa::MessageField;
use whatsapp_rust::download::MediaType;
use whatsapp_rust::upload::UploadResponse;
use whatsapp_rust::waproto::whatsapp as wa;

use crate::ControlError;

/// The kinds of media a person can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Image,
    Video,
    Audio,
    VoiceNote,
    Document,
    Sticker,
}

impl Kind {
    pub fn parse(s: &str) -> Result<Self, ControlError> {
        Ok(match s {
            "image" => Kind::Image,
            "video" => Kind::Video,
            "audio" => Kind::Audio,
            "voice_note" => Kind::VoiceNote,
            "document" => Kind::Document,
            "sticker" => Kind::Sticker,
            _ => {
                return Err(ControlError::BadRequest(format!(
                    "media kind is image, video, audio, voice_note, document or sticker, not {s:?}"
                )))
            }
        })
    }

    pub fn media_type(self) -> MediaType {
        match self {
            Kind::Image => MediaType::Image,
            Kind::Video => MediaType::Video,
            Kind::Audio | Kind::VoiceNote => MediaType::Audio,
            Kind::Document => MediaType::Document,
            Kind::Sticker => MediaType::Sticker,
        }
    }
}

/// The message that carries an upload.
pub fn message(kind: Kind, up: UploadResponse, mime: &str, caption: Option<String>) -> wa::Message {
    let (url, direct_path) = (Some(up.url), Some(up.direct_path));
    let (media_key, file_sha256, file_enc_sha256) = (
        Some(up.media_key.to_vec()),
        Some(up.file_sha256.to_vec()),
        Some(up.file_enc_sha256.to_vec()),
    );
    let (file_length, media_key_timestamp, mimetype) = (
        Some(up.file_length),
        Some(up.media_key_timestamp),
        Some(mime.to_owned()),
    );
    // Every media message carries the same CDN fields; each kind adds its own.
    macro_rules! with_cdn {
        ($kind:ident { $($field:ident $(: $value:expr)?),* $(,)? }) => {
            MessageField::some(wa::message::$kind {
                url,
                direct_path,
                media_key,
                file_sha256,
                file_enc_sha256,
                file_length,
                media_key_timestamp,
                mimetype,
                $($field $(: $value)?,)*
                ..Default::default()
            })
        };
    }
    let mut m = wa::Message::default();
    match kind {
        Kind::Image => m.image_message = with_cdn!(ImageMessage { caption }),
        Kind::Video => m.video_message = with_cdn!(VideoMessage { caption }),
        Kind::Audio | Kind::VoiceNote => {
            m.audio_message = with_cdn!(AudioMessage {
                ptt: Some(kind == Kind::VoiceNote),
                seconds: Some(1),
            })
        }
        Kind::Document => {
            m.document_message = with_cdn!(DocumentMessage {
                file_name: Some(caption.clone().unwrap_or_else(|| "document".into())),
                title: caption,
            })
        }
        Kind::Sticker => m.sticker_message = with_cdn!(StickerMessage {}),
    }
    m
}

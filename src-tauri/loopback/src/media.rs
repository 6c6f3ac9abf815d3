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
    let mut m = wa::Message::default();
    match kind {
        Kind::Image => {
            m.image_message = MessageField::some(wa::message::ImageMessage {
                url,
                direct_path,
                media_key,
                file_sha256,
                file_enc_sha256,
                file_length,
                media_key_timestamp,
                mimetype,
                caption,
                ..Default::default()
            })
        }
        Kind::Video => {
            m.video_message = MessageField::some(wa::message::VideoMessage {
                url,
                direct_path,
                media_key,
                file_sha256,
                file_enc_sha256,
                file_length,
                media_key_timestamp,
                mimetype,
                caption,
                ..Default::default()
            })
        }
        Kind::Audio | Kind::VoiceNote => {
            m.audio_message = MessageField::some(wa::message::AudioMessage {
                url,
                direct_path,
                media_key,
                file_sha256,
                file_enc_sha256,
                file_length,
                media_key_timestamp,
                mimetype,
                ptt: Some(kind == Kind::VoiceNote),
                seconds: Some(1),
                ..Default::default()
            })
        }
        Kind::Document => {
            m.document_message = MessageField::some(wa::message::DocumentMessage {
                url,
                direct_path,
                media_key,
                file_sha256,
                file_enc_sha256,
                file_length,
                media_key_timestamp,
                mimetype,
                file_name: Some(caption.clone().unwrap_or_else(|| "document".into())),
                title: caption,
                ..Default::default()
            })
        }
        Kind::Sticker => {
            m.sticker_message = MessageField::some(wa::message::StickerMessage {
                url,
                direct_path,
                media_key,
                file_sha256,
                file_enc_sha256,
                file_length,
                media_key_timestamp,
                mimetype,
                ..Default::default()
            })
        }
    }
    m
}

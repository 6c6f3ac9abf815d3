//! Message bodies: WhatsApp's protobuf `Message` to our [`WaContent`] (receiving),
//! and back (sending).

use whatsapp_rust::buffa::MessageField;
use whatsapp_rust::download::MediaType;
use whatsapp_rust::upload::UploadResponse;
use whatsapp_rust::waproto::whatsapp as wa;

use super::{b64, non_empty, unb64, Me};
use crate::model::{ContactCard, Location, MediaInfo};
use crate::wa::{MediaBlob, MsgKey, RemoteMedia, WaContent, WaError, WaMedia};

/// What a message says, apart from who sent it and when.
#[derive(Debug, Clone, PartialEq)]
pub struct Body {
    pub content: WaContent,
    /// The WhatsApp ID of the quoted message.
    pub reply_to: Option<String>,
    pub forwarded: bool,
}

/// The body of an (unwrapped) message; `None` when it carries nothing to show
/// (key distribution, protocol housekeeping).
pub fn body(m: &wa::Message) -> Option<Body> {
    let (content, ctx) = if let Some(text) = non_empty(m.conversation.as_deref()) {
        (WaContent::Text { text }, None)
    } else if let Some(t) = m.extended_text_message.as_option() {
        let text = t.text.clone().unwrap_or_default();
        (WaContent::Text { text }, t.context_info.as_option())
    } else if let Some(i) = m.image_message.as_option() {
        let media = media(
            "image",
            Cdn::of_image(i),
            MediaInfo {
                mime: mime(i.mimetype.as_deref(), "image/jpeg"),
                size: i.file_length.map(len),
                width: i.width,
                height: i.height,
                ..Default::default()
            },
        );
        let caption = non_empty(i.caption.as_deref());
        (WaContent::Image { media, caption }, i.context_info.as_option())
    } else if let Some(v) = m.video_message.as_option().or(m.ptv_message.as_option()) {
        let media = media(
            "video",
            Cdn::of_video(v),
            MediaInfo {
                mime: mime(v.mimetype.as_deref(), "video/mp4"),
                size: v.file_length.map(len),
                width: v.width,
                height: v.height,
                duration_s: v.seconds.map(f64::from),
                ..Default::default()
            },
        );
        let caption = non_empty(v.caption.as_deref());
        (WaContent::Video { media, caption }, v.context_info.as_option())
    } else if let Some(a) = m.audio_message.as_option() {
        let media = media(
            "audio",
            Cdn::of_audio(a),
            MediaInfo {
                mime: mime(a.mimetype.as_deref(), "audio/ogg; codecs=opus"),
                size: a.file_length.map(len),
                duration_s: a.seconds.map(f64::from),
                voice_note: a.ptt.unwrap_or(false),
                ..Default::default()
            },
        );
        (WaContent::Audio { media }, a.context_info.as_option())
    } else if let Some(d) = m.document_message.as_option() {
        let media = media(
            "document",
            Cdn::of_document(d),
            MediaInfo {
                mime: mime(d.mimetype.as_deref(), "application/octet-stream"),
                size: d.file_length.map(len),
                file_name: non_empty(d.file_name.as_deref()).or_else(|| non_empty(d.title.as_deref())),
                ..Default::default()
            },
        );
        let caption = non_empty(d.caption.as_deref());
        (WaContent::Document { media, caption }, d.context_info.as_option())
    } else if let Some(s) = m.sticker_message.as_option() {
        let media = media(
            "sticker",
            Cdn::of_sticker(s),
            MediaInfo {
                mime: mime(s.mimetype.as_deref(), "image/webp"),
                size: s.file_length.map(len),
                width: s.width,
                height: s.height,
                ..Default::default()
            },
        );
        (WaContent::Sticker { media }, s.context_info.as_option())
    } else if let Some(l) = m.location_message.as_option() {
        let location = Location {
            latitude: l.degrees_latitude.unwrap_or_default(),
            longitude: l.degrees_longitude.unwrap_or_default(),
            name: non_empty(l.name.as_deref()),
            address: non_empty(l.address.as_deref()),
        };
        (WaContent::Location(location), l.context_info.as_option())
    } else if let Some(l) = m.live_location_message.as_option() {
        let location = Location {
            latitude: l.degrees_latitude.unwrap_or_default(),
            longitude: l.degrees_longitude.unwrap_or_default(),
            name: non_empty(l.caption.as_deref()),
            address: None,
        };
        (WaContent::Location(location), l.context_info.as_option())
    } else if let Some(c) = m.contact_message.as_option() {
        (WaContent::Contact(card(c)), c.context_info.as_option())
    } else if let Some(cs) = m.contacts_array_message.as_option() {
        // Several cards: one card whose vCard text holds them all, as phones export them.
        let vcard = cs
            .contacts
            .iter()
            .filter_map(|c| c.vcard.as_deref())
            .collect::<Vec<_>>()
            .join("\n");
        let display_name =
            non_empty(cs.display_name.as_deref()).unwrap_or_else(|| format!("{} contacts", cs.contacts.len()));
        (
            WaContent::Contact(ContactCard { display_name, vcard }),
            cs.context_info.as_option(),
        )
    } else if let Some(kind) = unsupported_kind(m) {
        (WaContent::Unsupported { kind: kind.into() }, None)
    } else {
        return None;
    };
    Some(Body {
        content,
        reply_to: ctx.and_then(|c| non_empty(c.stanza_id.as_deref())),
        forwarded: ctx.and_then(|c| c.is_forwarded).unwrap_or(false),
    })
}

/// Kinds of message WhatsApp has that the product does not render; named so an
/// agent knows what it missed.
fn unsupported_kind(m: &wa::Message) -> Option<&'static str> {
    Some(
        if m.poll_creation_message.is_set()
            || m.poll_creation_message_v2.is_set()
            || m.poll_creation_message_v3.is_set()
            || m.poll_creation_message_v5.is_set()
            || m.poll_creation_message_v6.is_set()
        {
            "poll"
        } else if m.event_message.is_set() {
            "event"
        } else if m.group_invite_message.is_set() {
            "group_invite"
        } else if m.call_log_messsage.is_set() || m.bcall_message.is_set() {
            "call"
        } else if m.send_payment_message.is_set()
            || m.request_payment_message.is_set()
            || m.payment_invite_message.is_set()
        {
            "payment"
        } else if m.product_message.is_set() || m.order_message.is_set() {
            "product"
        } else if m.buttons_message.is_set()
            || m.template_message.is_set()
            || m.list_message.is_set()
            || m.interactive_message.is_set()
        {
            "interactive"
        } else if m.buttons_response_message.is_set()
            || m.list_response_message.is_set()
            || m.template_button_reply_message.is_set()
            || m.interactive_response_message.is_set()
        {
            "interactive_reply"
        } else if m.album_message.is_set() {
            "album"
        } else {
            return None;
        },
    )
}

fn card(c: &wa::message::ContactMessage) -> ContactCard {
    ContactCard {
        display_name: c.display_name.clone().unwrap_or_default(),
        vcard: c.vcard.clone().unwrap_or_default(),
    }
}

fn mime(m: Option<&str>, default: &str) -> String {
    non_empty(m).unwrap_or_else(|| default.to_owned())
}

fn len(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Where media bytes sit on WhatsApp's CDN and the keys to decrypt them: read
/// from a received message, or from our own upload.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cdn {
    pub url: Option<String>,
    pub direct_path: Option<String>,
    pub media_key: Option<Vec<u8>>,
    pub file_sha256: Option<Vec<u8>>,
    pub file_enc_sha256: Option<Vec<u8>>,
    pub file_length: Option<u64>,
    pub media_key_timestamp: Option<i64>,
    pub streaming_sidecar: Option<Vec<u8>>,
}

macro_rules! cdn_of {
    ($name:ident, $ty:ty) => {
        fn $name(m: &$ty) -> Self {
            Self {
                url: m.url.clone(),
                direct_path: m.direct_path.clone(),
                media_key: m.media_key.clone(),
                file_sha256: m.file_sha256.clone(),
                file_enc_sha256: m.file_enc_sha256.clone(),
                file_length: m.file_length,
                media_key_timestamp: m.media_key_timestamp,
                streaming_sidecar: None,
            }
        }
    };
}

impl Cdn {
    cdn_of!(of_image, wa::message::ImageMessage);
    cdn_of!(of_video, wa::message::VideoMessage);
    cdn_of!(of_audio, wa::message::AudioMessage);
    cdn_of!(of_document, wa::message::DocumentMessage);
    cdn_of!(of_sticker, wa::message::StickerMessage);

    pub fn of_upload(u: UploadResponse) -> Self {
        Self {
            url: Some(u.url),
            direct_path: Some(u.direct_path),
            media_key: Some(u.media_key.to_vec()),
            file_sha256: Some(u.file_sha256.to_vec()),
            file_enc_sha256: Some(u.file_enc_sha256.to_vec()),
            file_length: Some(u.file_length),
            media_key_timestamp: Some(u.media_key_timestamp),
            streaming_sidecar: u.streaming_sidecar,
        }
    }

    /// Media received earlier (kept as [`RemoteMedia`]), to send on without uploading again.
    pub fn of_remote(r: &RemoteMedia) -> Option<Self> {
        if r.direct_path.is_empty() || r.media_key.is_empty() {
            return None;
        }
        Some(Self {
            url: None,
            direct_path: Some(r.direct_path.clone()),
            media_key: Some(unb64(&r.media_key)?),
            file_sha256: r.file_sha256.as_deref().and_then(unb64),
            file_enc_sha256: r.file_enc_sha256.as_deref().and_then(unb64),
            file_length: r.file_length,
            media_key_timestamp: None,
            streaming_sidecar: None,
        })
    }
}

fn media(kind: &str, cdn: Cdn, info: MediaInfo) -> WaMedia {
    let blob = MediaBlob::Remote(RemoteMedia {
        kind: kind.to_owned(),
        direct_path: cdn.direct_path.unwrap_or_default(),
        media_key: cdn.media_key.as_deref().map(b64).unwrap_or_default(),
        file_sha256: cdn.file_sha256.as_deref().map(b64),
        file_enc_sha256: cdn.file_enc_sha256.as_deref().map(b64),
        file_length: cdn.file_length,
    });
    WaMedia { info, blob }
}

/// The library's media type for one of our media kinds.
pub fn media_type(kind: &str) -> Result<MediaType, WaError> {
    Ok(match kind {
        "image" => MediaType::Image,
        "video" => MediaType::Video,
        "audio" => MediaType::Audio,
        "document" => MediaType::Document,
        "sticker" => MediaType::Sticker,
        other => return Err(WaError::Invalid(format!("cannot send media of kind `{other}`"))),
    })
}

/// The media kind of a content (which upload type it needs).
pub fn kind_of(content: &WaContent) -> Option<&'static str> {
    Some(match content {
        WaContent::Image { .. } => "image",
        WaContent::Video { .. } => "video",
        WaContent::Audio { .. } => "audio",
        WaContent::Document { .. } => "document",
        WaContent::Sticker { .. } => "sticker",
        _ => return None,
    })
}

/// A media message from where its bytes are (`Cdn`) and what is particular to its kind.
macro_rules! media_proto {
    ($ty:ident, $c:ident = $cdn:expr, { $($field:ident: $value:expr,)* }) => {{
        let $c: Cdn = $cdn;
        wa::message::$ty {
            url: $c.url,
            direct_path: $c.direct_path,
            media_key: $c.media_key,
            file_sha256: $c.file_sha256,
            file_enc_sha256: $c.file_enc_sha256,
            file_length: $c.file_length,
            media_key_timestamp: $c.media_key_timestamp,
            $($field: $value,)*
            ..Default::default()
        }
    }};
}

/// Builds the protobuf message for `content`. Media needs `cdn`: where its bytes
/// were uploaded (or already are). `context` carries a quote or the forwarded mark.
pub fn outgoing(
    content: &WaContent,
    cdn: Option<Cdn>,
    context: Option<wa::ContextInfo>,
) -> Result<wa::Message, WaError> {
    let ctx = || context.clone().map(MessageField::some).unwrap_or_default();
    let need_cdn = || {
        cdn.clone()
            .ok_or_else(|| WaError::Invalid("the media has not been uploaded".into()))
    };
    let mut m = wa::Message::default();
    match content {
        WaContent::Text { text } => {
            if context.is_some() {
                m.extended_text_message = MessageField::some(wa::message::ExtendedTextMessage {
                    text: Some(text.clone()),
                    context_info: ctx(),
                    ..Default::default()
                });
            } else {
                m.conversation = Some(text.clone());
            }
        }
        WaContent::Image { media, caption } => {
            m.image_message = MessageField::some(media_proto!(ImageMessage, c = need_cdn()?, {
                mimetype: Some(media.info.mime.clone()),
                caption: caption.clone(),
                width: media.info.width,
                height: media.info.height,
                context_info: ctx(),
            }));
        }
        WaContent::Video { media, caption } => {
            m.video_message = MessageField::some(media_proto!(VideoMessage, c = need_cdn()?, {
                streaming_sidecar: c.streaming_sidecar,
                mimetype: Some(media.info.mime.clone()),
                caption: caption.clone(),
                width: media.info.width,
                height: media.info.height,
                seconds: media.info.duration_s.map(seconds),
                context_info: ctx(),
            }));
        }
        WaContent::Audio { media } => {
            m.audio_message = MessageField::some(media_proto!(AudioMessage, c = need_cdn()?, {
                streaming_sidecar: c.streaming_sidecar,
                mimetype: Some(media.info.mime.clone()),
                seconds: media.info.duration_s.map(seconds),
                ptt: Some(media.info.voice_note),
                context_info: ctx(),
            }));
        }
        WaContent::Document { media, caption } => {
            m.document_message = MessageField::some(media_proto!(DocumentMessage, c = need_cdn()?, {
                mimetype: Some(media.info.mime.clone()),
                file_name: media.info.file_name.clone(),
                title: media.info.file_name.clone(),
                caption: caption.clone(),
                context_info: ctx(),
            }));
        }
        WaContent::Sticker { media } => {
            m.sticker_message = MessageField::some(media_proto!(StickerMessage, c = need_cdn()?, {
                mimetype: Some(media.info.mime.clone()),
                width: media.info.width,
                height: media.info.height,
                context_info: ctx(),
            }));
        }
        WaContent::Location(l) => {
            m.location_message = MessageField::some(wa::message::LocationMessage {
                degrees_latitude: Some(l.latitude),
                degrees_longitude: Some(l.longitude),
                name: l.name.clone(),
                address: l.address.clone(),
                context_info: ctx(),
                ..Default::default()
            });
        }
        WaContent::Contact(card) => {
            m.contact_message = MessageField::some(wa::message::ContactMessage {
                display_name: Some(card.display_name.clone()),
                vcard: Some(card.vcard.clone()),
                context_info: ctx(),
                ..Default::default()
            });
        }
        WaContent::System { .. } | WaContent::Unsupported { .. } => {
            return Err(WaError::Invalid("this kind of message cannot be sent".into()));
        }
    }
    Ok(m)
}

fn seconds(s: f64) -> u32 {
    s.round().clamp(0.0, f64::from(u32::MAX)) as u32
}

/// The context of a reply: which message it quotes, by whom, and a copy of what it
/// said (WhatsApp shows the quote from that copy). Media in the copy keeps only
/// its kind and caption: enough for the quote bubble.
pub fn quote(target: &MsgKey, quoted: Option<&WaContent>, chat_peer: &crate::wa::Jid, me: &Me) -> wa::ContextInfo {
    let author = if target.from_me {
        me.pn.clone().or_else(|| me.lid.clone())
    } else {
        target.sender.clone().or_else(|| Some(chat_peer.clone()))
    };
    let copy = quoted.map(|q| {
        let stripped = strip_media(q);
        outgoing(&stripped, Some(Cdn::default()), None).unwrap_or_else(|_| wa::Message {
            conversation: q.text_or_caption().map(str::to_owned),
            ..Default::default()
        })
    });
    wa::ContextInfo {
        stanza_id: Some(target.id.clone()),
        participant: author.map(|a| a.to_string()),
        remote_jid: target.chat.is_group().then(|| target.chat.to_string()),
        quoted_message: copy.map(MessageField::some).unwrap_or_default(),
        ..Default::default()
    }
}

fn strip_media(c: &WaContent) -> WaContent {
    let mut c = c.clone();
    let keep_info = |m: &mut WaMedia| {
        m.blob = MediaBlob::Remote(RemoteMedia {
            kind: String::new(),
            direct_path: String::new(),
            media_key: String::new(),
            file_sha256: None,
            file_enc_sha256: None,
            file_length: None,
        });
    };
    match &mut c {
        WaContent::Image { media, .. }
        | WaContent::Video { media, .. }
        | WaContent::Audio { media }
        | WaContent::Document { media, .. }
        | WaContent::Sticker { media } => keep_info(media),
        _ => {}
    }
    c
}

/// The context of a forwarded message.
pub fn forwarded() -> wa::ContextInfo {
    wa::ContextInfo {
        is_forwarded: Some(true),
        forwarding_score: Some(1),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wa::Jid;

    fn cdn() -> Cdn {
        Cdn {
            url: Some("https://mmg.whatsapp.net/x".into()),
            direct_path: Some("/v/t62/abc".into()),
            media_key: Some(vec![1; 32]),
            file_sha256: Some(vec![2; 32]),
            file_enc_sha256: Some(vec![3; 32]),
            file_length: Some(1234),
            media_key_timestamp: Some(1_700_000_000),
            streaming_sidecar: None,
        }
    }

    fn text_ctx(text: &str, ctx: wa::ContextInfo) -> wa::Message {
        wa::Message {
            extended_text_message: MessageField::some(wa::message::ExtendedTextMessage {
                text: Some(text.into()),
                context_info: MessageField::some(ctx),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn plain_and_extended_text() {
        let m = wa::Message {
            conversation: Some("hello".into()),
            ..Default::default()
        };
        assert_eq!(body(&m).unwrap().content, WaContent::text("hello"));
        let reply = text_ctx(
            "yes",
            wa::ContextInfo {
                stanza_id: Some("3EB0AAA".into()),
                is_forwarded: Some(true),
                ..Default::default()
            },
        );
        let b = body(&reply).unwrap();
        assert_eq!(b.content, WaContent::text("yes"));
        assert_eq!(b.reply_to.as_deref(), Some("3EB0AAA"));
        assert!(b.forwarded);
    }

    #[test]
    fn every_media_kind_keeps_its_download_keys() {
        let image = wa::Message {
            image_message: MessageField::some(wa::message::ImageMessage {
                url: Some("https://mmg/x".into()),
                direct_path: Some("/v/img".into()),
                media_key: Some(vec![9; 32]),
                file_sha256: Some(vec![8; 32]),
                file_enc_sha256: Some(vec![7; 32]),
                file_length: Some(5000),
                mimetype: Some("image/png".into()),
                caption: Some("look".into()),
                width: Some(640),
                height: Some(480),
                ..Default::default()
            }),
            ..Default::default()
        };
        let WaContent::Image { media, caption } = body(&image).unwrap().content else {
            panic!("not an image")
        };
        assert_eq!(caption.as_deref(), Some("look"));
        assert_eq!(media.info.mime, "image/png");
        assert_eq!(
            (media.info.width, media.info.height, media.info.size),
            (Some(640), Some(480), Some(5000))
        );
        let MediaBlob::Remote(r) = &media.blob else { panic!() };
        assert_eq!(r.kind, "image");
        assert_eq!(r.direct_path, "/v/img");
        assert_eq!(unb64(&r.media_key).unwrap(), vec![9; 32]);
        assert_eq!(unb64(r.file_sha256.as_ref().unwrap()).unwrap(), vec![8; 32]);
        assert_eq!(unb64(r.file_enc_sha256.as_ref().unwrap()).unwrap(), vec![7; 32]);
        assert_eq!(r.file_length, Some(5000));
        // And back: the same CDN blob, so forwarding needs no upload.
        let again = Cdn::of_remote(r).unwrap();
        assert_eq!(again.direct_path.as_deref(), Some("/v/img"));
        assert_eq!(again.media_key, Some(vec![9; 32]));

        let voice = wa::Message {
            audio_message: MessageField::some(wa::message::AudioMessage {
                ptt: Some(true),
                seconds: Some(7),
                mimetype: Some("audio/ogg; codecs=opus".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let WaContent::Audio { media } = body(&voice).unwrap().content else {
            panic!()
        };
        assert!(media.info.voice_note);
        assert_eq!(media.info.duration_s, Some(7.0));

        let video = wa::Message {
            ptv_message: MessageField::some(wa::message::VideoMessage {
                seconds: Some(3),
                ..Default::default()
            }),
            ..Default::default()
        };
        let WaContent::Video { media, caption } = body(&video).unwrap().content else {
            panic!()
        };
        assert_eq!(media.info.mime, "video/mp4");
        assert_eq!(caption, None);

        let doc = wa::Message {
            document_message: MessageField::some(wa::message::DocumentMessage {
                file_name: Some("report.pdf".into()),
                mimetype: Some("application/pdf".into()),
                caption: Some("Q3".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let WaContent::Document { media, caption } = body(&doc).unwrap().content else {
            panic!()
        };
        assert_eq!(media.info.file_name.as_deref(), Some("report.pdf"));
        assert_eq!(caption.as_deref(), Some("Q3"));

        let sticker = wa::Message {
            sticker_message: MessageField::some(wa::message::StickerMessage::default()),
            ..Default::default()
        };
        let WaContent::Sticker { media } = body(&sticker).unwrap().content else {
            panic!()
        };
        assert_eq!(media.info.mime, "image/webp");
    }

    #[test]
    fn locations_and_contact_cards() {
        let loc = wa::Message {
            location_message: MessageField::some(wa::message::LocationMessage {
                degrees_latitude: Some(52.52),
                degrees_longitude: Some(13.405),
                name: Some("Berlin".into()),
                address: Some("".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(
            body(&loc).unwrap().content,
            WaContent::Location(Location {
                latitude: 52.52,
                longitude: 13.405,
                name: Some("Berlin".into()),
                address: None
            })
        );
        let live = wa::Message {
            live_location_message: MessageField::some(wa::message::LiveLocationMessage {
                degrees_latitude: Some(1.0),
                degrees_longitude: Some(2.0),
                caption: Some("on my way".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let WaContent::Location(l) = body(&live).unwrap().content else {
            panic!()
        };
        assert_eq!(l.name.as_deref(), Some("on my way"));

        let vcard = "BEGIN:VCARD\nVERSION:3.0\nFN:Ann\nTEL:+14155550100\nEND:VCARD";
        let one = wa::Message {
            contact_message: MessageField::some(wa::message::ContactMessage {
                display_name: Some("Ann".into()),
                vcard: Some(vcard.into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(
            body(&one).unwrap().content,
            WaContent::Contact(ContactCard {
                display_name: "Ann".into(),
                vcard: vcard.into()
            })
        );
        let many = wa::Message {
            contacts_array_message: MessageField::some(wa::message::ContactsArrayMessage {
                contacts: vec![
                    wa::message::ContactMessage {
                        vcard: Some("A".into()),
                        ..Default::default()
                    },
                    wa::message::ContactMessage {
                        vcard: Some("B".into()),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(
            body(&many).unwrap().content,
            WaContent::Contact(ContactCard {
                display_name: "2 contacts".into(),
                vcard: "A\nB".into()
            })
        );
    }

    #[test]
    fn unrendered_kinds_are_named_and_housekeeping_is_nothing() {
        let poll = wa::Message {
            poll_creation_message_v3: MessageField::some(wa::message::PollCreationMessage::default()),
            ..Default::default()
        };
        assert_eq!(
            body(&poll).unwrap().content,
            WaContent::Unsupported { kind: "poll".into() }
        );
        let skdm = wa::Message {
            sender_key_distribution_message: MessageField::some(Default::default()),
            ..Default::default()
        };
        assert_eq!(body(&skdm), None);
        assert_eq!(body(&wa::Message::default()), None);
    }

    #[test]
    fn outgoing_round_trips_through_body() {
        let media = |mime: &str| WaMedia {
            info: MediaInfo {
                mime: mime.into(),
                width: Some(10),
                height: Some(20),
                duration_s: Some(4.4),
                file_name: Some("f.bin".into()),
                voice_note: true,
                ..Default::default()
            },
            blob: MediaBlob::Local {
                id: crate::ids::MediaId::random(),
            },
        };
        let cases = vec![
            WaContent::text("hi"),
            WaContent::Image {
                media: media("image/jpeg"),
                caption: Some("c".into()),
            },
            WaContent::Video {
                media: media("video/mp4"),
                caption: None,
            },
            WaContent::Audio {
                media: media("audio/ogg"),
            },
            WaContent::Document {
                media: media("application/pdf"),
                caption: Some("d".into()),
            },
            WaContent::Sticker {
                media: media("image/webp"),
            },
            WaContent::Location(Location {
                latitude: 1.5,
                longitude: -2.5,
                name: Some("here".into()),
                address: Some("street".into()),
            }),
            WaContent::Contact(ContactCard {
                display_name: "Bo".into(),
                vcard: "BEGIN:VCARD\nEND:VCARD".into(),
            }),
        ];
        for c in cases {
            let sent = outgoing(&c, Some(cdn()), None).unwrap();
            let back = body(&sent).unwrap();
            assert_eq!(kind_of(&back.content), kind_of(&c));
            assert_eq!(back.content.text_or_caption(), c.text_or_caption(), "{c:?}");
            if let Some(m) = back.content.media() {
                let MediaBlob::Remote(r) = &m.blob else { panic!() };
                assert_eq!(r.direct_path, "/v/t62/abc");
                assert_eq!(r.file_length, Some(1234));
                assert_eq!(m.info.mime, c.media().unwrap().info.mime);
            }
            if let WaContent::Location(_) | WaContent::Contact(_) = &c {
                assert_eq!(back.content, c);
            }
        }
        let voice = outgoing(
            &WaContent::Audio {
                media: WaMedia {
                    info: MediaInfo {
                        mime: "audio/ogg".into(),
                        duration_s: Some(2.6),
                        voice_note: true,
                        ..Default::default()
                    },
                    blob: MediaBlob::Local {
                        id: crate::ids::MediaId::random(),
                    },
                },
            },
            Some(cdn()),
            None,
        )
        .unwrap();
        let a = voice.audio_message.as_option().unwrap();
        assert_eq!((a.ptt, a.seconds), (Some(true), Some(3)));
    }

    #[test]
    fn media_without_an_upload_and_system_messages_are_refused() {
        let img = WaContent::Image {
            media: WaMedia {
                info: MediaInfo::default(),
                blob: MediaBlob::Local {
                    id: crate::ids::MediaId::random(),
                },
            },
            caption: None,
        };
        assert!(matches!(outgoing(&img, None, None), Err(WaError::Invalid(_))));
        assert!(outgoing(&WaContent::System { text: "x".into() }, None, None).is_err());
        assert!(media_type("gif").is_err());
        assert_eq!(media_type("document").unwrap(), MediaType::Document);
    }

    #[test]
    fn replies_quote_the_target_and_its_author() {
        let peer = Jid::parse("14155550100@s.whatsapp.net").unwrap();
        let me = Me {
            pn: Jid::parse("14155550111@s.whatsapp.net").ok(),
            lid: None,
        };
        let theirs = MsgKey {
            chat: peer.clone(),
            id: "ABC".into(),
            from_me: false,
            sender: None,
        };
        let ctx = quote(&theirs, Some(&WaContent::text("original")), &peer, &me);
        assert_eq!(ctx.stanza_id.as_deref(), Some("ABC"));
        assert_eq!(ctx.participant.as_deref(), Some("14155550100@s.whatsapp.net"));
        assert_eq!(
            ctx.quoted_message.as_option().unwrap().conversation.as_deref(),
            Some("original")
        );
        let sent = outgoing(&WaContent::text("reply"), None, Some(ctx)).unwrap();
        let b = body(&sent).unwrap();
        assert_eq!(b.reply_to.as_deref(), Some("ABC"));
        assert_eq!(b.content, WaContent::text("reply"));

        let group = Jid::parse("120363025246125244@g.us").unwrap();
        let mine = MsgKey {
            chat: group.clone(),
            id: "DEF".into(),
            from_me: true,
            sender: None,
        };
        let ctx = quote(&mine, None, &group, &me);
        assert_eq!(ctx.participant.as_deref(), Some("14155550111@s.whatsapp.net"));
        assert_eq!(ctx.remote_jid.as_deref(), Some("120363025246125244@g.us"));

        let pic = WaContent::Image {
            media: WaMedia {
                info: MediaInfo {
                    mime: "image/jpeg".into(),
                    ..Default::default()
                },
                blob: MediaBlob::Local {
                    id: crate::ids::MediaId::random(),
                },
            },
            caption: Some("cat".into()),
        };
        let ctx = quote(&theirs, Some(&pic), &peer, &me);
        let q = ctx.quoted_message.as_option().unwrap();
        assert_eq!(q.image_message.as_option().unwrap().caption.as_deref(), Some("cat"));

        let f = forwarded();
        let sent = outgoing(&WaContent::text("fw"), None, Some(f)).unwrap();
        assert!(body(&sent).unwrap().forwarded);
    }
}

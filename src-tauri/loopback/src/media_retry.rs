//! A phone's answer to a companion's media retry: the companion could not download
//! a message's media (the CDN's copy expired) and asked, with a
//! `<receipt type="server-error">` whose payload is encrypted with a key derived
//! from the media key, for it to be uploaded again. The phone looks the file up by
//! the message's ID, uploads it under the same media key (so the message's hashes
//! still hold) and answers with a `<notification type="mediaretry">`: where it is
//! now, or that it no longer has it. The crypto is the library's own primitives.

use whatsapp_rust::buffa::Message as _;
use whatsapp_rust::download::MediaType;
use whatsapp_rust::wacore::libsignal::crypto::{aes_256_gcm_decrypt, aes_256_gcm_encrypt};
use whatsapp_rust::wacore_binary::builder::NodeBuilder;
use whatsapp_rust::wacore_binary::Node;
use whatsapp_rust::waproto::whatsapp as wa;

/// The HKDF info WhatsApp derives the retry key with.
const INFO: &[u8] = b"WhatsApp Media Retry Notification";

/// A file the phone keeps: what it sent, or downloaded when it received it.
#[derive(Clone)]
pub struct Kept {
    pub bytes: Vec<u8>,
    pub media_key: [u8; 32],
    pub media_type: MediaType,
}

/// Why a retry got no new copy (the codes of `<error code>` in the notification).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NotFound = 2,
    Undecryptable = 3,
}

fn key(media_key: &[u8]) -> [u8; 32] {
    let mut key = [0u8; 32];
    whatsapp_rust::wacore::crypto::hkdf_sha256_into(media_key, None, INFO, &mut key)
        .expect("32 bytes is a valid length");
    key
}

/// Reads a retry request: it must be for `stanza_id`, under this media key.
pub fn check_request(media_key: &[u8], stanza_id: &str, iv: &[u8], ciphertext: &[u8]) -> Result<(), Refusal> {
    let nonce: &[u8; 12] = iv.try_into().map_err(|_| Refusal::Undecryptable)?;
    let mut plain = Vec::new();
    aes_256_gcm_decrypt(&key(media_key), nonce, stanza_id.as_bytes(), ciphertext, &mut plain)
        .map_err(|_| Refusal::Undecryptable)?;
    let receipt = wa::ServerErrorReceipt::decode_from_slice(&plain).map_err(|_| Refusal::Undecryptable)?;
    if receipt.stanza_id.as_deref() == Some(stanza_id) {
        Ok(())
    } else {
        Err(Refusal::Undecryptable)
    }
}

/// The notification for the companion that asked: the new direct path, encrypted,
/// or the refusal.
pub fn notification(stanza_id: &str, to: &str, media_key: Option<&[u8]>, outcome: Result<String, Refusal>) -> Node {
    let base = NodeBuilder::new("notification")
        .attr("type", "mediaretry")
        .attr("id", stanza_id)
        .attr("from", to)
        .attr("t", crate::now_secs().to_string());
    let (Ok(direct_path), Some(media_key)) = (&outcome, media_key) else {
        let code = outcome.err().unwrap_or(Refusal::NotFound) as u8;
        return base
            .children([NodeBuilder::new("error").attr("code", code.to_string()).build()])
            .build();
    };
    let answer = wa::MediaRetryNotification {
        stanza_id: Some(stanza_id.to_owned()),
        direct_path: Some(direct_path.clone()),
        result: Some(wa::media_retry_notification::ResultType::SUCCESS),
        ..Default::default()
    }
    .encode_to_vec();
    let iv: [u8; 12] = rand::random();
    let mut sealed = Vec::new();
    aes_256_gcm_encrypt(&key(media_key), &iv, stanza_id.as_bytes(), &answer, &mut sealed).expect("AES-GCM seals");
    base.children([NodeBuilder::new("encrypt")
        .children([
            NodeBuilder::new("enc_p").bytes(sealed).build(),
            NodeBuilder::new("enc_iv").bytes(iv.to_vec()).build(),
        ])
        .build()])
        .build()
}

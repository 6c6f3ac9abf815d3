//! The server's side of WhatsApp's Noise handshakes: XX for a device that does
//! not know our static key yet, IK for one that does. The certificate chain we
//! present is not signed by WhatsApp, so only a client built with the library's
//! `danger-skip-cert-chain-verify` accepts it.

use whatsapp_rust::buffa::{Message as _, MessageField};
use whatsapp_rust::wacore::handshake::{NoiseCipher, NoiseHandshake};
use whatsapp_rust::wacore::libsignal::protocol::{KeyPair, PrivateKey};
use whatsapp_rust::wacore_binary::consts::{NOISE_PATTERN_IK, NOISE_PATTERN_XX, WA_CONN_HEADER};
use whatsapp_rust::waproto::whatsapp as wa;

use crate::wire::Conn;

/// An XX handshake waiting for the client's finish.
pub(crate) struct Handshake {
    noise: NoiseHandshake,
    ephemeral: KeyPair,
}

pub(crate) enum Step {
    Wait(Handshake),
    Done {
        read: NoiseCipher,
        payload: wa::ClientPayload,
    },
    Fail,
}

pub(crate) fn random_key() -> KeyPair {
    let bytes: [u8; 32] = rand::random();
    let private = PrivateKey::deserialize(&bytes).expect("any 32 bytes make a curve25519 key");
    KeyPair::new(
        private.public_key().expect("public key of a valid private key"),
        private,
    )
}

/// A chain whose leaf is our static key. The client checks the leaf key and the
/// validity windows; the signatures only with WhatsApp's root, which we lack.
pub(crate) fn cert_chain(server_static_pub: &[u8]) -> Vec<u8> {
    let details = |serial: u32, issuer: u32, key: Vec<u8>| {
        wa::cert_chain::noise_certificate::Details {
            serial: Some(serial),
            issuer_serial: Some(issuer),
            key: Some(key),
            not_before: Some(1_700_000_000),
            not_after: Some(4_000_000_000),
        }
        .encode_to_vec()
    };
    wa::CertChain {
        leaf: MessageField::some(wa::cert_chain::NoiseCertificate {
            details: Some(details(2, 1, server_static_pub.to_vec())),
            signature: Some(vec![0; 64]),
        }),
        intermediate: MessageField::some(wa::cert_chain::NoiseCertificate {
            details: Some(details(1, 0, vec![0xCC; 32])),
            signature: Some(vec![0; 64]),
        }),
    }
    .encode_to_vec()
}

/// The client's first message: IK finishes at once, XX waits for the finish.
pub(crate) fn client_hello(static_key: &KeyPair, cert_chain: &[u8], conn: &Conn, frame: &[u8]) -> Step {
    hello(static_key, cert_chain, conn, frame).unwrap_or(Step::Fail)
}

fn hello(static_key: &KeyPair, cert_chain: &[u8], conn: &Conn, frame: &[u8]) -> Option<Step> {
    let msg = wa::HandshakeMessage::decode_from_slice(frame).ok()?;
    let hello = msg.client_hello.into_option()?;
    let client_eph: [u8; 32] = hello.ephemeral?.try_into().ok()?;
    let server_eph = random_key();
    let server_eph_pub = server_eph.public_key.public_key_bytes().to_vec();
    let static_pub = static_key.public_key.public_key_bytes();
    let static_priv = static_key.private_key.serialize();
    let reply = |noise: &mut NoiseHandshake, with_static: bool| -> Option<Vec<u8>> {
        let r#static = if with_static {
            let sealed = noise.encrypt(static_pub).ok()?;
            noise.mix_shared_secret(static_priv, &client_eph).ok()?;
            Some(sealed)
        } else {
            None
        };
        let payload = noise.encrypt(cert_chain).ok()?;
        let hello = wa::HandshakeMessage {
            server_hello: MessageField::some(wa::handshake_message::ServerHello {
                ephemeral: Some(server_eph_pub.clone()),
                r#static,
                payload: Some(payload),
                ..Default::default()
            }),
            ..Default::default()
        };
        Some(hello.encode_to_vec())
    };
    match (hello.r#static, hello.payload) {
        // IK: the client already knows our static key.
        (Some(enc_static), Some(enc_payload)) => {
            let mut noise = NoiseHandshake::new(NOISE_PATTERN_IK, &WA_CONN_HEADER).ok()?;
            noise.authenticate(static_pub);
            noise.authenticate(&client_eph);
            noise.mix_shared_secret(static_priv, &client_eph).ok()?;
            let client_static = noise.decrypt(&enc_static).ok()?;
            noise.mix_shared_secret(static_priv, &client_static).ok()?;
            let payload = noise.decrypt(&enc_payload).ok()?;
            noise.authenticate(&server_eph_pub);
            let eph_priv = server_eph.private_key.serialize();
            noise.mix_shared_secret(eph_priv, &client_eph).ok()?;
            noise.mix_shared_secret(eph_priv, &client_static).ok()?;
            conn.send_raw(&reply(&mut noise, false)?);
            let (c2s, s2c) = noise.finish().ok()?;
            conn.set_write(s2c);
            let payload = wa::ClientPayload::decode_from_slice(&payload).ok()?;
            Some(Step::Done { read: c2s, payload })
        }
        _ => {
            let mut noise = NoiseHandshake::new(NOISE_PATTERN_XX, &WA_CONN_HEADER).ok()?;
            noise.authenticate(&client_eph);
            noise.authenticate(&server_eph_pub);
            noise
                .mix_shared_secret(server_eph.private_key.serialize(), &client_eph)
                .ok()?;
            conn.send_raw(&reply(&mut noise, true)?);
            Some(Step::Wait(Handshake {
                noise,
                ephemeral: server_eph,
            }))
        }
    }
}

/// The XX client's finish: its static key and its login payload.
pub(crate) fn client_finish(mut h: Handshake, conn: &Conn, frame: &[u8]) -> Step {
    let done = (|| {
        let msg = wa::HandshakeMessage::decode_from_slice(frame).ok()?;
        let finish = msg.client_finish.into_option()?;
        let client_static = h.noise.decrypt(finish.r#static.as_deref()?).ok()?;
        h.noise
            .mix_shared_secret(h.ephemeral.private_key.serialize(), &client_static)
            .ok()?;
        let payload = h.noise.decrypt(finish.payload.as_deref()?).ok()?;
        let payload = wa::ClientPayload::decode_from_slice(&payload).ok()?;
        let (c2s, s2c) = h.noise.finish().ok()?;
        conn.set_write(s2c);
        Some(Step::Done { read: c2s, payload })
    })();
    done.unwrap_or(Step::Fail)
}

//! Whether this build checks WhatsApp's server certificate.
//!
//! The library skips the check when built with `danger-skip-cert-chain-verify`,
//! which the loopback test network needs. Cargo unifies features across the
//! packages of one build, so `cargo build --workspace` (which includes that
//! network) would quietly turn the check off for the app too. Rather than trust
//! how a binary was built, a live account asks before it connects to WhatsApp:
//! a chain signed with zeros must be refused.

use whatsapp_rust::buffa::{Message as _, MessageField};
use whatsapp_rust::wacore::handshake::HandshakeUtils;
use whatsapp_rust::waproto::whatsapp as wa;

/// True when the library refuses a certificate chain WhatsApp did not sign.
pub fn checked() -> bool {
    let key = [7u8; 32];
    let details = |serial: u32, issuer: u32, key: Vec<u8>| {
        wa::cert_chain::noise_certificate::Details {
            serial: Some(serial),
            issuer_serial: Some(issuer),
            key: Some(key),
            not_before: Some(0),
            not_after: Some(u64::MAX),
        }
        .encode_to_vec()
    };
    let unsigned = |d: Vec<u8>| {
        MessageField::some(wa::cert_chain::NoiseCertificate {
            details: Some(d),
            signature: Some(vec![0; 64]),
        })
    };
    let chain = wa::CertChain {
        leaf: unsigned(details(2, 1, key.to_vec())),
        intermediate: unsigned(details(1, 0, vec![9; 32])),
    }
    .encode_to_vec();
    HandshakeUtils::verify_server_cert(&chain, &key).is_err()
}

/// Why a live account will not connect to WhatsApp from this build.
pub const UNCHECKED: &str = "this build of WhatsApp-Use does not check WhatsApp's server certificate \
(it was built together with the loopback test network); build the app on its own: `cargo build -p whatsapp-use`";

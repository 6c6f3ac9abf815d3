//! Linking a companion device by QR code: what a phone sends once it scanned the
//! code (a `pair-success` carrying its account's signature over the device's
//! identity key, wrapped in an HMAC keyed by the QR's secret).

use base64::Engine as _;
use hmac::Mac;
use whatsapp_rust::buffa::Message as _;
use whatsapp_rust::wacore::libsignal::protocol::KeyPair;
use whatsapp_rust::wacore_binary::builder::NodeBuilder;
use whatsapp_rust::wacore_binary::Node;
use whatsapp_rust::waproto::whatsapp as wa;

const ADV_PREFIX_ACCOUNT_SIGNATURE: &[u8] = &[6, 0];

/// The parts of a WhatsApp QR string we need: `ref,noise key,identity key,adv secret[,…]`.
#[derive(Debug, Clone)]
pub struct Qr {
    pub r#ref: String,
    pub identity: Vec<u8>,
    pub adv_secret: Vec<u8>,
}

impl Qr {
    pub fn parse(qr: &str) -> Result<Self, String> {
        let fields: Vec<&str> = qr.split(',').collect();
        if fields.len() < 4 {
            return Err("not a WhatsApp QR code (ref,noise key,identity key,secret)".into());
        }
        let b64 = base64::engine::general_purpose::STANDARD;
        let decode = |what: &str, s: &str| b64.decode(s).map_err(|e| format!("the QR code's {what}: {e}"));
        Ok(Self {
            r#ref: fields[0].to_owned(),
            identity: decode("identity key", fields[2])?,
            adv_secret: decode("secret", fields[3])?,
        })
    }
}

/// The `pair-success` IQ a phone's scan makes the server send to the device.
pub fn pair_success(iq_id: &str, qr: &Qr, account: &KeyPair, pn: &str, lid: &str, device: u32, name: &str) -> Node {
    NodeBuilder::new("iq")
        .attr("from", "s.whatsapp.net")
        .attr("type", "set")
        .attr("id", iq_id)
        .attr("t", crate::now_secs().to_string())
        .children([NodeBuilder::new("pair-success")
            .children([
                NodeBuilder::new("device-identity")
                    .bytes(device_identity(account, &qr.identity, &qr.adv_secret, device))
                    .build(),
                NodeBuilder::new("platform").attr("name", "android").build(),
                NodeBuilder::new("device")
                    .attr("jid", format!("{pn}:{device}@s.whatsapp.net"))
                    .attr("lid", format!("{lid}:{device}@lid"))
                    .build(),
                NodeBuilder::new("biz").attr("name", name).build(),
            ])
            .build()])
        .build()
}

/// The account's signature over the new device's identity, HMAC'd with the QR secret.
fn device_identity(account: &KeyPair, device_identity_pub: &[u8], adv_secret: &[u8], device: u32) -> Vec<u8> {
    let details = wa::ADVDeviceIdentity {
        raw_id: Some(device),
        timestamp: Some(crate::now_secs()),
        // One index per linked device (WhatsApp counts links up).
        key_index: Some(device),
        account_type: Some(wa::ADVEncryptionType::E2EE),
        device_type: Some(wa::ADVEncryptionType::E2EE),
    }
    .encode_to_vec();
    let mut to_sign = ADV_PREFIX_ACCOUNT_SIGNATURE.to_vec();
    to_sign.extend_from_slice(&details);
    to_sign.extend_from_slice(device_identity_pub);
    let signature = account
        .private_key
        .calculate_signature(&to_sign, &mut rand010::rng())
        .expect("signing with a valid key");
    let signed = wa::ADVSignedDeviceIdentity {
        details: Some(details),
        account_signature_key: Some(account.public_key.public_key_bytes().to_vec()),
        account_signature: Some(signature.to_vec()),
        device_signature: None,
    }
    .encode_to_vec();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(adv_secret).expect("HMAC takes any key length");
    mac.update(&signed);
    wa::ADVSignedDeviceIdentityHMAC {
        details: Some(signed),
        hmac: Some(mac.finalize().into_bytes().to_vec()),
        account_type: Some(wa::ADVEncryptionType::E2EE),
    }
    .encode_to_vec()
}

//! Signed download URLs on the local server: `/media/{id}?exp=…&key=…&sig=…`, an HMAC
//! of the media ID, the expiry and the key it was made for, with a secret kept in the
//! encrypted store. Valid 24 hours; a tampered URL is refused (403), an expired one is
//! gone (410). The key is in the link so the gate can ask about it on every download:
//! a link dies with its key, and answers nothing while agents are paused.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::ids::{KeyId, MediaId};
use crate::store::{settings, Store, StoreResult};
use crate::time::Millis;

pub const VALID_MS: Millis = 24 * 60 * 60 * 1000;
/// Setting: how long download links stay valid (default 24 hours).
pub const VALID_SETTING: &str = "media_url_valid_ms";
const SECRET_SETTING: &str = "media_url_secret";

pub fn valid_ms(store: &Store) -> Millis {
    store
        .read(|c| settings::get::<Millis>(c, VALID_SETTING))
        .ok()
        .flatten()
        .unwrap_or(VALID_MS)
}

/// The signing secret (created on first use; it never leaves the store).
pub fn secret(store: &Store) -> StoreResult<Vec<u8>> {
    if let Some(hexed) = store.read(|c| settings::get::<String>(c, SECRET_SETTING))? {
        if let Ok(bytes) = hex::decode(hexed) {
            return Ok(bytes);
        }
    }
    let mut bytes = vec![0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    store.write(|tx| settings::set(tx, SECRET_SETTING, &hex::encode(&bytes)))?;
    Ok(bytes)
}

fn mac(secret: &[u8], id: &str, exp: Millis, key: &str) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    m.update(format!("{id}|{exp}|{key}").as_bytes());
    m.finalize().into_bytes().to_vec()
}

/// The path and query of a signed URL for `key`, valid until `exp`.
pub fn sign(secret: &[u8], id: &MediaId, exp: Millis, key: &KeyId) -> String {
    format!(
        "/media/{id}?exp={exp}&key={key}&sig={}",
        hex::encode(mac(secret, id.as_str(), exp, key.as_str()))
    )
}

#[derive(Debug, PartialEq, Eq)]
pub enum Check {
    Valid,
    Tampered,
    Expired,
}

pub fn verify(secret: &[u8], id: &str, exp: Millis, key: &str, sig: &str, now: Millis) -> Check {
    let Ok(given) = hex::decode(sig) else {
        return Check::Tampered;
    };
    if !bool::from(mac(secret, id, exp, key).as_slice().ct_eq(&given)) {
        return Check::Tampered;
    }
    if now > exp {
        Check::Expired
    } else {
        Check::Valid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_tamper_expire() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let id = MediaId::random();
        let key = KeyId::random();
        let k = key.as_str();
        let url = sign(secret, &id, 2_000, &key);
        let sig = url.rsplit_once("sig=").unwrap().1;
        assert_eq!(verify(secret, id.as_str(), 2_000, k, sig, 1_000), Check::Valid);
        assert_eq!(
            verify(secret, id.as_str(), 2_001, k, sig, 1_000),
            Check::Tampered,
            "a changed expiry"
        );
        assert_eq!(
            verify(secret, MediaId::random().as_str(), 2_000, k, sig, 1_000),
            Check::Tampered,
            "another ID"
        );
        assert_eq!(
            verify(b"another secret", id.as_str(), 2_000, k, sig, 1_000),
            Check::Tampered
        );
        assert_eq!(verify(secret, id.as_str(), 2_000, k, "zz", 1_000), Check::Tampered);
        assert_eq!(
            verify(secret, id.as_str(), 2_000, KeyId::random().as_str(), sig, 1_000),
            Check::Tampered,
            "another key"
        );
        assert_eq!(verify(secret, id.as_str(), 2_000, k, sig, 3_000), Check::Expired);
    }
}

//! Opaque cursors for keyset pagination.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{de::DeserializeOwned, Serialize};

use crate::error::ToolError;

pub const DEFAULT_LIMIT: usize = 100;
pub const MAX_LIMIT: usize = 200;

pub fn limit(requested: Option<u32>) -> usize {
    requested.map_or(DEFAULT_LIMIT, |l| (l as usize).clamp(1, MAX_LIMIT))
}

/// Encodes a cursor position (tagged with the tool, so cursors are not mixed up).
pub fn encode<T: Serialize>(tool: &str, position: &T) -> String {
    let body = serde_json::to_vec(&(tool, position)).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(body)
}

/// Decodes a cursor made by `encode` for the same tool.
pub fn decode<T: DeserializeOwned>(tool: &str, cursor: &str) -> Result<T, ToolError> {
    let bad = || ToolError::invalid("cursor", "not a cursor from this tool's `next_cursor`");
    let bytes = URL_SAFE_NO_PAD.decode(cursor.as_bytes()).map_err(|_| bad())?;
    let (t, position): (String, T) = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if t != tool {
        return Err(bad());
    }
    Ok(position)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_roundtrip_and_reject_foreign_ones() {
        let c = encode("list_chats", &(5i64, "chat_x"));
        let back: (i64, String) = decode("list_chats", &c).unwrap();
        assert_eq!(back, (5, "chat_x".into()));
        assert!(decode::<(i64, String)>("list_messages", &c).is_err());
        assert!(decode::<(i64, String)>("list_chats", "%%%").is_err());
        assert!(decode::<(i64, String)>("list_chats", "e30").is_err());
    }
}

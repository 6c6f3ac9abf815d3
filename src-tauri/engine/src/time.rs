//! Time as the store keeps it (milliseconds since the Unix epoch, UTC) and as agents
//! see it (ISO 8601 UTC).

use chrono::{DateTime, SecondsFormat, Utc};

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

pub fn now_ms() -> Millis {
    Utc::now().timestamp_millis()
}

pub fn to_iso(ms: Millis) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses RFC 3339 / ISO 8601 with an offset (`2026-11-25T10:00:00Z`), or a bare
/// date (`2026-11-25`, midnight UTC).
pub fn parse_iso(s: &str) -> Option<Millis> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s.trim()) {
        return Some(t.timestamp_millis());
    }
    let d = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()?;
    Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

/// Serde helpers for `Millis` fields shown as ISO strings.
pub mod iso {
    use super::*;
    use serde::Serializer;

    pub fn serialize<S: Serializer>(ms: &Millis, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&to_iso(*ms))
    }

    pub mod option {
        use super::*;
        pub fn serialize<S: Serializer>(ms: &Option<Millis>, s: S) -> Result<S::Ok, S::Error> {
            match ms {
                Some(ms) => s.serialize_str(&to_iso(*ms)),
                None => s.serialize_none(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_roundtrip() {
        let ms = 1_764_064_800_123;
        let s = to_iso(ms);
        assert_eq!(s, "2025-11-25T10:00:00.123Z");
        assert_eq!(parse_iso(&s), Some(ms));
        assert_eq!(parse_iso("2025-11-25"), Some(1_764_028_800_000));
        assert_eq!(parse_iso("yesterday"), None);
    }
}

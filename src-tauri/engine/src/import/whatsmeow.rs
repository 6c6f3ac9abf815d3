//! The `messages.db` written by the Go whatsmeow bridge of `whatsapp-mcp`
//! (lharries/whatsapp-mcp and its forks):
//!
//! ```sql
//! chats(jid TEXT PRIMARY KEY, name TEXT, last_message_time TIMESTAMP)
//! messages(id TEXT, chat_jid TEXT, sender TEXT, content TEXT, timestamp TIMESTAMP, is_from_me BOOLEAN,
//!          media_type TEXT, filename TEXT, url TEXT, media_key BLOB, file_sha256 BLOB,
//!          file_enc_sha256 BLOB, file_length INTEGER, PRIMARY KEY (id, chat_jid))
//! ```
//!
//! Messages keep WhatsApp's own IDs, so they are the same messages the phone syncs
//! later (no duplicates either way). Media stays on WhatsApp's servers: its keys are
//! kept, so it can be fetched while WhatsApp still holds it.
//!
//! When the bridge's session database `whatsapp.db` sits beside `messages.db` (as
//! the bridge leaves it), the names of people and their phone-number/LID pairs are
//! read from it too. It is optional; nothing else is read from it.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use base64::Engine as _;
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use rusqlite::types::Value;
use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::{clean, ImportError, ImportReport, Sink};
use crate::ids::AccountId;
use crate::model::MediaInfo;
use crate::store::Store;
use crate::time::Millis;
use crate::wa::{
    Jid, MediaBlob, MsgKey, RemoteMedia, WaChatMeta, WaContact, WaContent, WaMedia, WaMessage, BROADCAST_SERVER,
    LID_SERVER, USER_SERVER,
};

/// Imports every chat and message of a bridge's `messages.db`.
pub fn import(store: &Store, account: &AccountId, path: &Path) -> Result<ImportReport, ImportError> {
    let meta = std::fs::metadata(path).map_err(|e| ImportError::io(path, e))?;
    let not_ours = |detail: &str| ImportError::NotWhatsmeow {
        path: path.display().to_string(),
        detail: detail.into(),
    };
    if !meta.is_file() {
        return Err(not_ours("it is not a file (give the path of messages.db)"));
    }
    let src = open_read_only(path).map_err(|e| source_error(path, e))?;
    let columns = check_schema(&src, path)?;
    let mut sink = Sink::open(store, account)?;
    let mut report = ImportReport::default();
    let side = Sidecar::load(path, &mut report.notes);

    // Chats, and every person the messages name, first: so names and identities are
    // in place before the messages that refer to them.
    let chats = read_chats(&src, &columns).map_err(|e| source_error(path, e))?;
    let mut known: HashSet<Jid> = chats.keys().cloned().collect();
    known.extend(side.names.keys().cloned());
    let resolver = Resolver {
        known: &known,
        side: &side,
    };

    let mut people: HashSet<Jid> = HashSet::new();
    {
        let mut stmt = src
            .prepare("SELECT DISTINCT chat_jid, sender FROM messages")
            .map_err(|e| source_error(path, e))?;
        let mut rows = stmt.query([]).map_err(|e| source_error(path, e))?;
        while let Some(r) = rows.next().map_err(|e| source_error(path, e))? {
            let Some(chat) = text(&r.get(0).unwrap_or(Value::Null)).and_then(|s| chat_jid(&s)) else {
                continue;
            };
            if chat.is_person() {
                people.insert(chat.clone());
            }
            if let Some(s) = text(&r.get(1).unwrap_or(Value::Null)).and_then(|s| resolver.person(&s, &chat)) {
                people.insert(s);
            }
        }
    }
    for jid in chats.keys().filter(|j| j.is_person()) {
        people.insert(jid.clone());
    }
    let mut people: Vec<Jid> = people.into_iter().collect();
    people.sort();
    let mut linked: HashSet<Jid> = HashSet::new();
    for jid in &people {
        if linked.contains(jid) {
            continue;
        }
        let (pn, lid) = side.pair(jid);
        linked.extend(pn.iter().chain(lid.iter()).cloned());
        let mut contact = WaContact {
            pn: pn.clone(),
            lid: lid.clone(),
            ..Default::default()
        };
        // Names only for people the account has no name for (never overwrite the phone's).
        let unnamed = [&pn, &lid]
            .into_iter()
            .flatten()
            .map(|j| sink.person_is_unnamed(j))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .all(|u| u);
        if unnamed {
            let names = [&pn, &lid].into_iter().flatten().find_map(|j| side.names.get(j));
            if let Some(n) = names {
                contact.saved_name = n.saved.clone();
                contact.push_name = n.push.clone();
                contact.business_name = n.business.clone();
            }
            if contact.saved_name.is_none() {
                contact.saved_name = chats.get(jid).cloned().flatten().filter(|n| useful_name(n, jid));
            }
        }
        let has_something = contact.saved_name.is_some()
            || contact.push_name.is_some()
            || contact.business_name.is_some()
            || (contact.pn.is_some() && contact.lid.is_some());
        if has_something {
            sink.contact(contact);
        }
    }
    for (jid, name) in &chats {
        if jid.is_group() && sink.chat_is_new(jid)? {
            sink.chat(WaChatMeta {
                jid: Some(jid.clone()),
                name: name.clone().filter(|n| useful_name(n, jid)),
                ..Default::default()
            });
        }
    }

    let mut chats_seen: HashSet<Jid> = HashSet::new();
    let sql = format!(
        "SELECT id, chat_jid, sender, content, timestamp, is_from_me, {} FROM messages",
        MEDIA_COLUMNS
            .iter()
            .map(|c| if columns.messages.contains(*c) { *c } else { "NULL" })
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut stmt = src.prepare(&sql).map_err(|e| source_error(path, e))?;
    let mut rows = stmt.query([]).map_err(|e| source_error(path, e))?;
    while let Some(r) = rows.next().map_err(|e| source_error(path, e))? {
        let row: Vec<Value> = (0..13).map(|i| r.get(i).unwrap_or(Value::Null)).collect();
        match to_message(&row, &resolver) {
            Some(m) => {
                report.messages_read += 1;
                if m.content.media().is_some() {
                    report.media_missing += 1;
                }
                chats_seen.insert(m.key.chat.clone());
                sink.message(m)?;
            }
            None => report.skipped += 1,
        }
    }
    sink.flush()?;
    report.messages_new = sink.new;
    report.chats = chats_seen.len();
    if report.media_missing > 0 {
        report.notes.push(format!(
            "{} media message(s) were imported with their download keys only: the files stay on WhatsApp's servers \
             (fetched by download_media while WhatsApp still keeps them)",
            report.media_missing
        ));
    }
    Ok(report)
}

const MEDIA_COLUMNS: [&str; 7] = [
    "media_type",
    "filename",
    "url",
    "media_key",
    "file_sha256",
    "file_enc_sha256",
    "file_length",
];

fn source_error(path: &Path, e: rusqlite::Error) -> ImportError {
    if let rusqlite::Error::SqliteFailure(f, _) = &e {
        if f.code == ErrorCode::NotADatabase {
            return ImportError::NotWhatsmeow {
                path: path.display().to_string(),
                detail: "it is not an SQLite database".into(),
            };
        }
    }
    ImportError::Source {
        path: path.display().to_string(),
        source: e,
    }
}

fn open_read_only(path: &Path) -> rusqlite::Result<Connection> {
    let c = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    // SQLCipher without a key reads plain SQLite; this proves the file is one.
    c.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))?;
    c.execute_batch("PRAGMA query_only = 1; PRAGMA busy_timeout = 5000;")?;
    Ok(c)
}

struct Columns {
    chats: HashSet<String>,
    messages: HashSet<String>,
}

fn columns(c: &Connection, table: &str) -> rusqlite::Result<HashSet<String>> {
    let mut stmt = c.prepare(&format!("PRAGMA table_info({table})"))?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(1))?;
    rows.map(|r| r.map(|s| s.to_ascii_lowercase())).collect()
}

fn check_schema(c: &Connection, path: &Path) -> Result<Columns, ImportError> {
    let cols = Columns {
        chats: columns(c, "chats").map_err(|e| source_error(path, e))?,
        messages: columns(c, "messages").map_err(|e| source_error(path, e))?,
    };
    let mut missing = Vec::new();
    if cols.chats.is_empty() {
        missing.push("table `chats`".to_owned());
    } else if !cols.chats.contains("jid") {
        missing.push("column `chats.jid`".to_owned());
    }
    if cols.messages.is_empty() {
        missing.push("table `messages`".to_owned());
    } else {
        for col in ["id", "chat_jid", "sender", "content", "timestamp", "is_from_me"] {
            if !cols.messages.contains(col) {
                missing.push(format!("column `messages.{col}`"));
            }
        }
    }
    if missing.is_empty() {
        Ok(cols)
    } else {
        Err(ImportError::NotWhatsmeow {
            path: path.display().to_string(),
            detail: format!("it has no {}", missing.join(", no ")),
        })
    }
}

/// Every chat the bridge knew, with the name it gave it.
fn read_chats(c: &Connection, cols: &Columns) -> rusqlite::Result<HashMap<Jid, Option<String>>> {
    let name = if cols.chats.contains("name") { "name" } else { "NULL" };
    let mut stmt = c.prepare(&format!("SELECT jid, {name} FROM chats"))?;
    let mut rows = stmt.query([])?;
    let mut out = HashMap::new();
    while let Some(r) = rows.next()? {
        if let Some(jid) = text(&r.get(0)?).and_then(|s| chat_jid(&s)) {
            let name = text(&r.get(1)?).map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
            out.insert(jid, name);
        }
    }
    Ok(out)
}

/// A chat's JID, unless it is one that holds no conversation (status updates).
fn chat_jid(s: &str) -> Option<Jid> {
    let jid = Jid::parse(s.trim()).ok()?;
    (jid.server() != BROADCAST_SERVER).then_some(jid)
}

/// The bridge names unknown people by their number and groups `Group <id>`: those
/// tell nothing the JID does not.
fn useful_name(name: &str, jid: &Jid) -> bool {
    let name = name.trim();
    !name.is_empty()
        && name != jid.user()
        && name != jid.to_string()
        && name != format!("Group {}", jid.user())
        && !name.trim_start_matches('+').chars().all(|c| c.is_ascii_digit())
}

/// Names and identities from the bridge's session database, when it is there.
#[derive(Default)]
struct Sidecar {
    lid_to_pn: HashMap<String, String>,
    pn_to_lid: HashMap<String, String>,
    names: HashMap<Jid, Names>,
}

#[derive(Default, Clone)]
struct Names {
    saved: Option<String>,
    push: Option<String>,
    business: Option<String>,
}

impl Sidecar {
    fn load(messages_db: &Path, notes: &mut Vec<String>) -> Self {
        let path = messages_db.with_file_name("whatsapp.db");
        if !path.is_file() {
            return Self::default();
        }
        let mut side = Self::default();
        let result = (|| -> rusqlite::Result<()> {
            let c = open_read_only(&path)?;
            let has = |table: &str| -> rusqlite::Result<bool> {
                c.query_row(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                    [table],
                    |r| r.get::<_, i64>(0),
                )
                .map(|n| n > 0)
            };
            if has("whatsmeow_lid_map")? {
                let mut stmt = c.prepare("SELECT lid, pn FROM whatsmeow_lid_map")?;
                let mut rows = stmt.query([])?;
                while let Some(r) = rows.next()? {
                    let user = |v: Value| text(&v).map(|s| s.split('@').next().unwrap_or_default().to_owned());
                    if let (Some(lid), Some(pn)) = (user(r.get(0)?), user(r.get(1)?)) {
                        if !lid.is_empty() && !pn.is_empty() {
                            side.pn_to_lid.insert(pn.clone(), lid.clone());
                            side.lid_to_pn.insert(lid, pn);
                        }
                    }
                }
            }
            if has("whatsmeow_contacts")? {
                let mut stmt = c.prepare(
                    "SELECT their_jid, first_name, full_name, push_name, business_name FROM whatsmeow_contacts",
                )?;
                let mut rows = stmt.query([])?;
                while let Some(r) = rows.next()? {
                    let Some(jid) = text(&r.get(0)?).and_then(|s| Jid::parse(&s).ok()) else {
                        continue;
                    };
                    let get = |i: usize| -> rusqlite::Result<Option<String>> {
                        Ok(text(&r.get(i)?).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()))
                    };
                    let names = Names {
                        saved: get(2)?.or(get(1)?),
                        push: get(3)?,
                        business: get(4)?,
                    };
                    if names.saved.is_some() || names.push.is_some() || names.business.is_some() {
                        side.names.insert(jid, names);
                    }
                }
            }
            Ok(())
        })();
        match result {
            Ok(()) => {
                if !side.names.is_empty() || !side.lid_to_pn.is_empty() {
                    notes.push(format!(
                        "read {} name(s) and {} phone-number/LID pair(s) from {}",
                        side.names.len(),
                        side.lid_to_pn.len(),
                        path.display()
                    ));
                }
                side
            }
            Err(e) => {
                notes.push(format!(
                    "could not read names from {}: {e} (imported without them)",
                    path.display()
                ));
                Self::default()
            }
        }
    }

    /// The phone-number and LID JIDs of a person, as far as known.
    fn pair(&self, jid: &Jid) -> (Option<Jid>, Option<Jid>) {
        if jid.is_lid() {
            let pn = self.lid_to_pn.get(jid.user()).map(|u| Jid::new(u.clone(), USER_SERVER));
            (pn, Some(jid.clone()))
        } else {
            let lid = self.pn_to_lid.get(jid.user()).map(|u| Jid::new(u.clone(), LID_SERVER));
            (Some(jid.clone()), lid)
        }
    }
}

/// Turns the bridge's `sender` (a bare user part for live messages, a full JID for
/// history-synced group messages) into a JID.
struct Resolver<'a> {
    known: &'a HashSet<Jid>,
    side: &'a Sidecar,
}

impl Resolver<'_> {
    fn person(&self, raw: &str, chat: &Jid) -> Option<Jid> {
        let raw = clean(raw);
        let raw = raw.trim();
        if raw.is_empty() {
            return None;
        }
        if raw.contains('@') {
            return Jid::parse(raw).ok().filter(Jid::is_person);
        }
        let user = raw.split([':', '.']).next().unwrap_or(raw);
        if user.is_empty() || !user.chars().all(|c| c.is_ascii_alphanumeric()) {
            return None;
        }
        if chat.is_person() && chat.user() == user {
            return Some(chat.clone());
        }
        if self.side.lid_to_pn.contains_key(user) {
            return Some(Jid::new(user, LID_SERVER));
        }
        if self.side.pn_to_lid.contains_key(user) {
            return Some(Jid::new(user, USER_SERVER));
        }
        for server in [USER_SERVER, LID_SERVER] {
            let j = Jid::new(user, server);
            if self.known.contains(&j) {
                return Some(j);
            }
        }
        // Unknown: a phone number unless it cannot be one. LIDs are 15 digits long
        // today; phone numbers of that length are practically unused.
        if user.chars().all(|c| c.is_ascii_digit()) && user.len() < 15 {
            Some(Jid::new(user, USER_SERVER))
        } else {
            Some(Jid::new(user, LID_SERVER))
        }
    }
}

/// One `messages` row (`id, chat_jid, sender, content, timestamp, is_from_me`, then
/// the media columns) as a message, unless it cannot be one.
fn to_message(row: &[Value], resolver: &Resolver<'_>) -> Option<WaMessage> {
    let id = text(&row[0]).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())?;
    let chat = chat_jid(&text(&row[1])?)?;
    let ts = parse_time(&row[4])?;
    let from_me = boolean(&row[5]);
    let sender = if from_me || !chat.is_group() {
        None
    } else {
        text(&row[2]).and_then(|s| resolver.person(&s, &chat))
    };
    let body = text(&row[3]).filter(|s| !s.is_empty());
    let media_type = text(&row[6]).map(|s| s.trim().to_ascii_lowercase()).unwrap_or_default();
    let content = match media_type.as_str() {
        "" => WaContent::Text { text: body? },
        kind @ ("image" | "video" | "audio" | "document" | "sticker") => {
            let file_name = text(&row[7]).filter(|s| !s.trim().is_empty());
            let url = text(&row[8]).unwrap_or_default();
            let size = int(&row[12]).filter(|n| *n > 0);
            let b64 = |v: &Value| blob(v).map(|b| base64::engine::general_purpose::STANDARD.encode(b));
            let media = WaMedia {
                info: MediaInfo {
                    mime: guess_mime(kind, file_name.as_deref()).into(),
                    size,
                    // The bridge makes up names for pictures, video and audio; documents keep theirs.
                    file_name: file_name.filter(|_| kind == "document"),
                    ..Default::default()
                },
                blob: MediaBlob::Remote(RemoteMedia {
                    kind: kind.into(),
                    direct_path: direct_path(&url),
                    media_key: b64(&row[9]).unwrap_or_default(),
                    file_sha256: b64(&row[10]),
                    file_enc_sha256: b64(&row[11]),
                    file_length: size.map(|n| n as u64),
                }),
            };
            match kind {
                "image" => WaContent::Image { media, caption: body },
                "video" => WaContent::Video { media, caption: body },
                "audio" => WaContent::Audio { media },
                "sticker" => WaContent::Sticker { media },
                _ => WaContent::Document { media, caption: body },
            }
        }
        other => match body {
            Some(text) => WaContent::Text { text },
            None => WaContent::Unsupported { kind: other.into() },
        },
    };
    Some(WaMessage {
        key: MsgKey {
            chat,
            id,
            from_me,
            sender,
        },
        ts,
        push_name: None,
        content,
        reply_to: None,
        forwarded: false,
        status: None,
        starred: false,
    })
}

/// The bridge keeps the media URL (`https://mmg.whatsapp.net/v/…enc?ccb=…&mms3=true`);
/// WhatsApp's direct path is the part after the host, without `mms3`.
fn direct_path(url: &str) -> String {
    let url = url.trim();
    let path = match url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")) {
        Some(rest) => rest.find('/').map(|i| &rest[i..]).unwrap_or_default(),
        None => url,
    };
    path.replace("&mms3=true", "").replace("?mms3=true", "")
}

fn guess_mime(kind: &str, file_name: Option<&str>) -> &'static str {
    let ext = file_name
        .and_then(|n| n.rsplit_once('.'))
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match (kind, ext.as_str()) {
        (_, "jpg" | "jpeg") => "image/jpeg",
        (_, "png") => "image/png",
        (_, "gif") => "image/gif",
        (_, "webp") => "image/webp",
        (_, "mp4") => "video/mp4",
        (_, "mov") => "video/quicktime",
        (_, "ogg" | "opus") => "audio/ogg",
        (_, "mp3") => "audio/mpeg",
        (_, "m4a") => "audio/mp4",
        (_, "pdf") => "application/pdf",
        ("image", _) => "image/jpeg",
        ("video", _) => "video/mp4",
        ("audio", _) => "audio/ogg",
        ("sticker", _) => "image/webp",
        _ => "application/octet-stream",
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::Text(s) => Some(s.clone()),
        Value::Integer(n) => Some(n.to_string()),
        Value::Real(f) => Some(f.to_string()),
        Value::Blob(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::Null => None,
    }
}

fn blob(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::Blob(b) if !b.is_empty() => Some(b.clone()),
        Value::Text(s) if !s.is_empty() => Some(s.as_bytes().to_vec()),
        _ => None,
    }
}

fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Integer(n) => Some(*n),
        Value::Real(f) => Some(*f as i64),
        Value::Text(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn boolean(v: &Value) -> bool {
    match v {
        Value::Integer(n) => *n != 0,
        Value::Real(f) => *f != 0.0,
        Value::Text(s) => matches!(s.trim().to_ascii_lowercase().as_str(), "1" | "true" | "t" | "yes"),
        _ => false,
    }
}

/// 2009-01-01, before WhatsApp: anything earlier is a zero or broken time.
const EARLIEST: Millis = 1_230_768_000_000;
/// 2100-01-01.
const LATEST: Millis = 4_102_444_800_000;

/// A timestamp as the bridge stored it: Go's `time.Time` written by go-sqlite3
/// (`2024-03-01 12:34:56.123456789+01:00` and the other layouts that driver reads),
/// Go's `String()` form, RFC 3339, or Unix seconds (or ms, µs, ns).
pub fn parse_time(v: &Value) -> Option<Millis> {
    let ms = match v {
        Value::Integer(n) => unix_to_ms(*n),
        Value::Real(f) => Some((*f * 1000.0) as i64),
        Value::Text(s) => match s.trim().parse::<i64>() {
            Ok(n) => unix_to_ms(n),
            Err(_) => parse_time_str(s),
        },
        _ => None,
    }?;
    (EARLIEST..LATEST).contains(&ms).then_some(ms)
}

fn unix_to_ms(n: i64) -> Option<Millis> {
    let a = n.unsigned_abs();
    Some(if a < 100_000_000_000 {
        n.checked_mul(1000)?
    } else if a < 100_000_000_000_000 {
        n
    } else if a < 100_000_000_000_000_000 {
        n / 1000
    } else {
        n / 1_000_000
    })
}

/// See [`parse_time`].
pub fn parse_time_str(s: &str) -> Option<Millis> {
    let s = s.trim();
    // Go's String(): "2024-03-01 12:34:56.123 +0100 CET m=+0.000012"
    let s = s.split(" m=").next().unwrap_or(s);
    let tokens: Vec<&str> = s.split_whitespace().collect();
    let s = match tokens.as_slice() {
        [date, time, off, ..] if off.starts_with(['+', '-']) => format!("{date} {time}{off}"),
        [date, time, "UTC" | "GMT"] => format!("{date} {time}Z"),
        _ => s.to_owned(),
    };
    // The date and time may be split by `T`, and UTC written `Z`.
    let mut s = s.replacen('T', " ", 1);
    if s.ends_with(['Z', 'z']) {
        s.pop();
        s.push_str("+00:00");
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f %:z",
        "%Y-%m-%d %H:%M:%S%.f %z",
        "%Y-%m-%d %H:%M%:z",
        "%Y-%m-%d %H:%M%z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(&s, fmt) {
            return Some(t.timestamp_millis());
        }
    }
    // Without an offset, go-sqlite3 reads UTC.
    for fmt in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(&s, fmt) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    let d = NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok()?;
    Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wa::GROUP_SERVER;

    #[test]
    fn direct_paths_come_from_urls() {
        assert_eq!(
            direct_path("https://mmg.whatsapp.net/v/t62.7118-24/1_2_n.enc?ccb=11-4&oh=x&oe=y&_nc_sid=5e03e0&mms3=true"),
            "/v/t62.7118-24/1_2_n.enc?ccb=11-4&oh=x&oe=y&_nc_sid=5e03e0"
        );
        assert_eq!(direct_path(""), "");
        assert_eq!(direct_path("/v/t62/abc.enc"), "/v/t62/abc.enc");
    }

    #[test]
    fn group_senders_resolve() {
        let known = HashSet::from([Jid::new("5511999", LID_SERVER)]);
        let side = Sidecar::default();
        let r = Resolver {
            known: &known,
            side: &side,
        };
        let g = Jid::new("120363025246125244", GROUP_SERVER);
        assert_eq!(
            r.person("14155550198", &g).unwrap().to_string(),
            "14155550198@s.whatsapp.net"
        );
        assert_eq!(
            r.person("14155550198:3@s.whatsapp.net", &g).unwrap().to_string(),
            "14155550198@s.whatsapp.net"
        );
        assert_eq!(r.person("5511999", &g).unwrap().to_string(), "5511999@lid");
        assert_eq!(
            r.person("236395184570386", &g).unwrap().to_string(),
            "236395184570386@lid"
        );
        assert!(r.person("", &g).is_none());
        assert!(r.person("a b", &g).is_none());
    }
}

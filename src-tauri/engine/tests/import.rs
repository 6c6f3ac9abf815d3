//! Importers: a whatsapp-mcp (whatsmeow bridge) messages.db and WhatsApp's "Export
//! chat" files, generated here, imported into a real encrypted store.

mod common;

use std::path::Path;

use proptest::prelude::*;
use rusqlite::params;
use wuse_engine::ids::{AccountId, ChatId};
use wuse_engine::import::export::{
    self, chat_name_from, classify, detect_order, parse_header, split_sender, Body, DateOrder, ExportOptions, Kind,
};
use wuse_engine::import::whatsmeow::{self, parse_time_str};
use wuse_engine::import::{ImportError, ImportReport};
use wuse_engine::model::{AccountKind, Chat, ChatKind, Message, MessageType};
use wuse_engine::store::chats::ChatQuery;
use wuse_engine::store::messages::Direction;
use wuse_engine::store::{self, Store};
use wuse_engine::time::parse_iso;

struct Fixture {
    dir: tempfile::TempDir,
    store: Store,
    account: AccountId,
}

fn fixture() -> Fixture {
    let (dir, store, account) = common::store_with_account(AccountKind::Live, Some("Imported"));
    Fixture { dir, store, account }
}

impl Fixture {
    fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }

    fn chats(&self) -> Vec<Chat> {
        self.store
            .read(|c| {
                store::chats::list(
                    c,
                    &ChatQuery {
                        accounts: std::slice::from_ref(&self.account),
                        limit: 100,
                        ..Default::default()
                    },
                )
            })
            .unwrap()
    }

    fn chat(&self, name: &str) -> Chat {
        let chats = self.chats();
        chats
            .iter()
            .find(|c| c.name.as_deref() == Some(name))
            .cloned()
            .unwrap_or_else(|| {
                panic!(
                    "no chat named {name} in {:?}",
                    chats.iter().map(|c| &c.name).collect::<Vec<_>>()
                )
            })
    }

    fn messages(&self, chat: &ChatId) -> Vec<Message> {
        self.store
            .read(|c| store::messages::page(c, chat, None, Direction::Forward, 1000))
            .unwrap()
            .0
    }

    fn count(&self, table: &str) -> i64 {
        self.store
            .read(|c| Ok(c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?))
            .unwrap()
    }
}

fn ms(iso: &str) -> i64 {
    parse_iso(iso).unwrap_or_else(|| panic!("bad test time {iso}"))
}

fn by_text<'a>(messages: &'a [Message], text: &str) -> &'a Message {
    messages
        .iter()
        .find(|m| m.text.as_deref() == Some(text))
        .unwrap_or_else(|| {
            panic!(
                "no message {text:?} in {:?}",
                messages.iter().map(|m| &m.text).collect::<Vec<_>>()
            )
        })
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb([200, 30, 30]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

// ---------------------------------------------------------------------------------
// whatsmeow bridge (whatsapp-mcp)

const BRIDGE_SCHEMA: &str = "
    CREATE TABLE chats (jid TEXT PRIMARY KEY, name TEXT, last_message_time TIMESTAMP);
    CREATE TABLE messages (
        id TEXT, chat_jid TEXT, sender TEXT, content TEXT, timestamp TIMESTAMP, is_from_me BOOLEAN,
        media_type TEXT, filename TEXT, url TEXT, media_key BLOB, file_sha256 BLOB, file_enc_sha256 BLOB,
        file_length INTEGER, PRIMARY KEY (id, chat_jid), FOREIGN KEY (chat_jid) REFERENCES chats(jid));";

const ALICE: &str = "14155550198@s.whatsapp.net";
const GROUP: &str = "120363025246125244@g.us";
const KLAUS: &str = "4915112345678@s.whatsapp.net";

/// A bridge database with a direct chat, a group, a chat named by number only,
/// status updates, media rows and every timestamp layout the bridge may have written.
fn bridge_db(path: &Path) {
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch(BRIDGE_SCHEMA).unwrap();
    for (jid, name) in [
        (ALICE, "Alice Smith"),
        (GROUP, "Hiking Club"),
        (KLAUS, "4915112345678"),
        ("status@broadcast", "status"),
        ("236395184570386@lid", "Lena Lid"),
    ] {
        c.execute(
            "INSERT INTO chats VALUES (?1, ?2, '2024-03-03 09:05:00+01:00')",
            params![jid, name],
        )
        .unwrap();
    }
    let text = |id: &str, chat: &str, sender: &str, content: &str, ts: rusqlite::types::Value, me: bool| {
        c.execute(
            "INSERT INTO messages (id, chat_jid, sender, content, timestamp, is_from_me, media_type, filename, url,
                                   media_key, file_sha256, file_enc_sha256, file_length)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, '', '', '', NULL, NULL, NULL, 0)",
            params![id, chat, sender, content, ts, me],
        )
        .unwrap();
    };
    use rusqlite::types::Value::{Integer, Text};
    let t = |s: &str| Text(s.to_owned());
    text(
        "3EB0A1",
        ALICE,
        "14155550198",
        "Hi there",
        t("2024-03-01 12:34:56+01:00"),
        false,
    );
    text(
        "3EB0A2",
        ALICE,
        "4915100000000",
        "Hello Alice",
        t("2024-03-01 12:35:10.123456789+01:00"),
        true,
    );
    text(
        "3EB0G1",
        GROUP,
        "14155550198",
        "Trail at 9?",
        t("2024-03-02T08:00:00Z"),
        false,
    );
    // History-synced group messages keep the participant's full JID.
    text(
        "3EB0G2",
        GROUP,
        "236395184570386@lid",
        "Count me in",
        Integer(1_709_366_460),
        false,
    );
    text(
        "3EB0K1",
        KLAUS,
        "4915112345678",
        "Servus",
        Integer(1_709_460_000_000),
        false,
    );
    text(
        "3EB0S1",
        "status@broadcast",
        "14155550198",
        "my status",
        t("2024-03-02 08:00:00+00:00"),
        false,
    );
    text("3EB0X1", ALICE, "14155550198", "when?", t("yesterday"), false);
    text(
        "3EB0X2",
        ALICE,
        "14155550198",
        "",
        t("2024-03-02 08:00:00+00:00"),
        false,
    );
    let media = |id: &str, chat: &str, sender: &str, content: &str, ts: &str, kind: &str, file: &str| {
        c.execute(
            "INSERT INTO messages VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7, ?8, ?9, ?10, ?11, 12345)",
            params![
                id,
                chat,
                sender,
                content,
                ts,
                kind,
                file,
                "https://mmg.whatsapp.net/v/t62.7118-24/11_22_n.enc?ccb=11-4&oh=01&oe=65&_nc_sid=5e03e0&mms3=true",
                vec![1u8, 2, 3],
                vec![4u8; 32],
                vec![5u8; 32]
            ],
        )
        .unwrap();
    };
    media(
        "3EB0M1",
        GROUP,
        "4915112345678",
        "View from the top",
        "2024-03-02 10:15:00.5+00:00",
        "image",
        "image_20240302_101500.jpg",
    );
    media(
        "3EB0M2",
        ALICE,
        "14155550198",
        "",
        "2024-03-03 09:00:00",
        "document",
        "plan.pdf",
    );
    media(
        "3EB0M3",
        ALICE,
        "14155550198",
        "",
        "2024-03-03 09:05:00.123 +0100 CET m=+0.000012",
        "audio",
        "audio_20240303_090500.ogg",
    );
}

#[test]
fn whatsmeow_bridge_history_is_imported_once() {
    let f = fixture();
    let db = f.path("messages.db");
    bridge_db(&db);

    let report = whatsmeow::import(&f.store, &f.account, &db).unwrap();
    assert_eq!(report.messages_read, 8, "{report:?}");
    assert_eq!(report.messages_new, 8);
    assert_eq!(report.skipped, 3, "status update, bad timestamp, empty row");
    assert_eq!(report.chats, 3);
    assert_eq!(report.media_missing, 3);

    // Direct chat: named from the bridge, times from offsets, own messages.
    let alice = f.chat("Alice Smith");
    assert_eq!(alice.kind, ChatKind::Direct);
    assert_eq!(alice.phone.as_ref().unwrap().as_str(), "+14155550198");
    let msgs = f.messages(&alice.id);
    assert_eq!(msgs.len(), 4);
    let hi = by_text(&msgs, "Hi there");
    assert_eq!(hi.timestamp, ms("2024-03-01T11:34:56Z"));
    assert!(!hi.from_me);
    assert_eq!(hi.sender.as_ref().unwrap().name.as_deref(), Some("Alice Smith"));
    let hello = by_text(&msgs, "Hello Alice");
    assert!(hello.from_me);
    assert_eq!(hello.timestamp, ms("2024-03-01T11:35:10.123Z"));
    let doc = msgs.iter().find(|m| m.kind == MessageType::Document).unwrap();
    assert_eq!(
        doc.timestamp,
        ms("2024-03-03T09:00:00Z"),
        "no offset: UTC, as go-sqlite3 reads it"
    );
    let doc_media = doc.media.as_ref().unwrap();
    assert_eq!(doc_media.file_name.as_deref(), Some("plan.pdf"));
    assert_eq!(doc_media.mime, "application/pdf");
    assert_eq!(doc_media.size, Some(12345));
    let audio = msgs.iter().find(|m| m.kind == MessageType::Audio).unwrap();
    assert_eq!(audio.timestamp, ms("2024-03-03T08:05:00.123Z"), "Go's String() layout");
    assert_eq!(alice.last_message_at, Some(doc.timestamp), "the newest message");

    // Group: subject, senders by phone number and by LID, media kept on WhatsApp's servers.
    let group = f.chat("Hiking Club");
    assert_eq!(group.kind, ChatKind::Group);
    let msgs = f.messages(&group.id);
    assert_eq!(msgs.len(), 3);
    let trail = by_text(&msgs, "Trail at 9?");
    assert_eq!(trail.timestamp, ms("2024-03-02T08:00:00Z"));
    let who = trail.sender.as_ref().unwrap();
    assert_eq!(who.phone.as_ref().unwrap().as_str(), "+14155550198");
    assert_eq!(who.name.as_deref(), Some("Alice Smith"));
    let lid = by_text(&msgs, "Count me in");
    assert_eq!(lid.timestamp, 1_709_366_460_000);
    assert_eq!(lid.sender.as_ref().unwrap().name.as_deref(), Some("Lena Lid"));
    assert!(lid.sender.as_ref().unwrap().phone.is_none());
    let photo = by_text(&msgs, "View from the top");
    assert_eq!(photo.kind, MessageType::Image);
    assert_eq!(photo.timestamp, ms("2024-03-02T10:15:00.500Z"));
    assert_eq!(photo.media.as_ref().unwrap().mime, "image/jpeg");
    assert_eq!(
        photo.sender.as_ref().unwrap().phone.as_ref().unwrap().as_str(),
        "+4915112345678"
    );
    let (remote, _) = f
        .store
        .read(|c| store::messages::remote_media(c, &photo.id))
        .unwrap()
        .expect("the download keys are kept");
    assert_eq!(remote.kind, "image");
    assert_eq!(
        remote.direct_path,
        "/v/t62.7118-24/11_22_n.enc?ccb=11-4&oh=01&oe=65&_nc_sid=5e03e0"
    );
    assert_eq!(remote.media_key, "AQID");
    assert_eq!(remote.file_length, Some(12345));

    // A chat the bridge only knew by number: named by its phone.
    let klaus = f.chat("+4915112345678");
    let msgs = f.messages(&klaus.id);
    assert_eq!(msgs[0].text.as_deref(), Some("Servus"));
    assert_eq!(msgs[0].timestamp, 1_709_460_000_000, "Unix milliseconds");
    assert!(f.chats().iter().all(|c| c.kind != ChatKind::Broadcast));

    // Again: nothing new, nothing changed.
    let before = (f.count("messages"), f.count("chats"), f.count("contacts"));
    let again = whatsmeow::import(&f.store, &f.account, &db).unwrap();
    assert_eq!(again.messages_read, 8);
    assert_eq!(again.messages_new, 0);
    assert_eq!(again.messages_known(), 8);
    assert_eq!((f.count("messages"), f.count("chats"), f.count("contacts")), before);
}

#[test]
fn whatsmeow_names_and_lids_come_from_the_session_db_beside_it() {
    let f = fixture();
    let dir = f.path("store");
    std::fs::create_dir(&dir).unwrap();
    let db = dir.join("messages.db");
    let c = rusqlite::Connection::open(&db).unwrap();
    c.execute_batch(BRIDGE_SCHEMA).unwrap();
    c.execute(
        "INSERT INTO chats VALUES (?1, 'Group 120363025246125244', NULL)",
        [GROUP],
    )
    .unwrap();
    c.execute(
        "INSERT INTO messages (id, chat_jid, sender, content, timestamp, is_from_me)
         VALUES ('A1', ?1, '111122223333444', 'from a LID', '2024-05-01 10:00:00+00:00', 0),
                ('A2', ?1, '14155550123', 'from a number', '2024-05-01 10:01:00+00:00', 0)",
        [GROUP],
    )
    .unwrap();
    drop(c);
    let session = rusqlite::Connection::open(dir.join("whatsapp.db")).unwrap();
    session
        .execute_batch(
            "CREATE TABLE whatsmeow_lid_map (lid TEXT PRIMARY KEY, pn TEXT UNIQUE NOT NULL);
             INSERT INTO whatsmeow_lid_map VALUES ('111122223333444', '14155550123');
             CREATE TABLE whatsmeow_contacts (our_jid TEXT, their_jid TEXT, first_name TEXT, full_name TEXT,
                                              push_name TEXT, business_name TEXT, PRIMARY KEY (our_jid, their_jid));
             INSERT INTO whatsmeow_contacts VALUES ('1@s.whatsapp.net', '14155550123@s.whatsapp.net', 'Bob', 'Bob Jones', 'bobby', NULL);",
        )
        .unwrap();
    drop(session);

    let report = whatsmeow::import(&f.store, &f.account, &db).unwrap();
    assert_eq!(report.messages_new, 2);
    assert!(
        report.notes.iter().any(|n| n.contains("whatsapp.db")),
        "{:?}",
        report.notes
    );
    // "Group <id>" is the bridge's placeholder, not a name.
    let group = f.chats().into_iter().find(|c| c.kind == ChatKind::Group).unwrap();
    assert_eq!(group.name, None);
    let msgs = f.messages(&group.id);
    for m in &msgs {
        let who = m.sender.as_ref().unwrap();
        assert_eq!(who.name.as_deref(), Some("Bob Jones"), "{:?}", m.text);
        assert_eq!(who.phone.as_ref().unwrap().as_str(), "+14155550123");
    }
    assert_eq!(
        msgs[0].sender.as_ref().unwrap().contact_id,
        msgs[1].sender.as_ref().unwrap().contact_id
    );
}

#[test]
fn whatsmeow_errors_say_what_is_wrong() {
    let f = fixture();
    match whatsmeow::import(&f.store, &f.account, &f.path("nope.db")) {
        Err(ImportError::NotFound { .. }) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
    let text = f.path("notes.txt");
    std::fs::write(
        &text,
        "hello, this is not a database, but it is long enough to have a header",
    )
    .unwrap();
    let err = whatsmeow::import(&f.store, &f.account, &text).unwrap_err();
    assert!(matches!(err, ImportError::NotWhatsmeow { .. }), "{err:?}");
    assert!(err.to_string().contains("not an SQLite database"), "{err}");

    let other = f.path("other.db");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE messages (id TEXT, body TEXT);")
        .unwrap();
    let err = whatsmeow::import(&f.store, &f.account, &other).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, ImportError::NotWhatsmeow { .. }), "{err:?}");
    assert!(
        msg.contains("table `chats`") && msg.contains("messages.chat_jid"),
        "{msg}"
    );

    let db = f.path("messages.db");
    bridge_db(&db);
    let stranger = AccountId::random();
    match whatsmeow::import(&f.store, &stranger, &db) {
        Err(ImportError::UnknownAccount(a)) => assert_eq!(a, stranger),
        other => panic!("expected UnknownAccount, got {other:?}"),
    }
    assert_eq!(f.count("messages"), 0);
    assert!(whatsmeow::import(&f.store, &f.account, f.dir.path()).is_err());
}

#[test]
fn go_sqlite3_timestamps() {
    let cases = [
        ("2024-03-01 12:34:56+01:00", "2024-03-01T11:34:56Z"),
        ("2024-03-01 12:34:56.123456789+00:00", "2024-03-01T12:34:56.123Z"),
        ("2024-03-01T12:34:56.5-05:00", "2024-03-01T17:34:56.500Z"),
        ("2024-03-01T12:34:56Z", "2024-03-01T12:34:56Z"),
        ("2024-03-01 12:34:56", "2024-03-01T12:34:56Z"),
        ("2024-03-01 12:34", "2024-03-01T12:34:00Z"),
        ("2024-03-01", "2024-03-01T00:00:00Z"),
        ("2024-03-01 12:34:56.1 +0100 CET", "2024-03-01T11:34:56.100Z"),
        ("2024-03-01 12:34:56 +0000 UTC m=+3.2", "2024-03-01T12:34:56Z"),
        ("  2024-03-01 12:34:56+05:30  ", "2024-03-01T07:04:56Z"),
    ];
    for (raw, want) in cases {
        assert_eq!(parse_time_str(raw), Some(ms(want)), "{raw}");
    }
    for bad in [
        "",
        "yesterday",
        "2024-13-01 00:00:00",
        "2024-03-01 25:00:00+00:00",
        "12:34",
    ] {
        assert_eq!(parse_time_str(bad), None, "{bad}");
    }
    use rusqlite::types::Value;
    assert_eq!(
        whatsmeow::parse_time(&Value::Integer(1_709_366_460)),
        Some(1_709_366_460_000)
    );
    assert_eq!(
        whatsmeow::parse_time(&Value::Integer(1_709_366_460_123)),
        Some(1_709_366_460_123)
    );
    assert_eq!(
        whatsmeow::parse_time(&Value::Text("1709366460".into())),
        Some(1_709_366_460_000)
    );
    assert_eq!(
        whatsmeow::parse_time(&Value::Text("0001-01-01 00:00:00+00:00".into())),
        None,
        "Go's zero time"
    );
    assert_eq!(whatsmeow::parse_time(&Value::Integer(0)), None);
    assert_eq!(whatsmeow::parse_time(&Value::Null), None);
}

// ---------------------------------------------------------------------------------
// WhatsApp "Export chat"

fn utc() -> ExportOptions {
    ExportOptions {
        utc_offset_minutes: Some(0),
        ..Default::default()
    }
}

const ANDROID_US: &str = "\
12/31/23, 9:41\u{202f}PM - Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them. Tap to learn more.
12/31/23, 9:41\u{202f}PM - Bob: Happy new year!
12/31/23, 9:42\u{202f}PM - Alice: Same to you
see you tomorrow

bring the cake - the big one
1/1/24, 10:05\u{202f}AM - Bob: <Media omitted>
1/1/24, 10:06\u{202f}AM - Bob: ok
1/1/24, 10:06\u{202f}AM - Bob: ok
1/2/24, 8:15 AM - Bob: morning: coffee?
1/13/24, 12:00\u{202f}PM - Alice: \u{200e}IMG-20240113-WA0001.jpg (file attached)
Look at this
1/13/24, 12:30\u{202f}AM - Alice: \u{200e}DOC-20240113-WA0002.pdf (file attached)
";

#[test]
fn android_us_export_with_media() {
    let f = fixture();
    let dir = f.path("export-us");
    std::fs::create_dir(&dir).unwrap();
    let txt = dir.join("WhatsApp Chat with Bob.txt");
    std::fs::write(&txt, ANDROID_US).unwrap();
    std::fs::write(dir.join("IMG-20240113-WA0001.jpg"), png(4, 3)).unwrap();

    let report = export::import(&f.store, &f.account, &txt, &utc()).unwrap();
    assert_eq!(report.messages_read, 9, "{report:?}");
    assert_eq!(report.messages_new, 9);
    assert_eq!(report.skipped, 0);
    assert_eq!(report.chats, 1);
    assert_eq!(report.media_stored, 1);
    assert_eq!(report.media_missing, 2, "<Media omitted> and the missing PDF");
    assert!(
        report.notes.iter().any(|n| n.contains("month/day/year")),
        "{:?}",
        report.notes
    );
    assert!(
        report.notes.iter().any(|n| n.contains("`Alice`")),
        "the owner is inferred: {:?}",
        report.notes
    );

    let chat = f.chat("Bob");
    assert_eq!(chat.kind, ChatKind::Direct);
    let msgs = f.messages(&chat.id);
    assert_eq!(msgs.len(), 9);
    assert_eq!(msgs[0].kind, MessageType::System);
    assert!(msgs[0]
        .text
        .as_deref()
        .unwrap()
        .starts_with("Messages and calls are end-to-end encrypted"));
    let hny = by_text(&msgs, "Happy new year!");
    assert_eq!(hny.timestamp, ms("2023-12-31T21:41:00Z"));
    assert!(!hny.from_me);
    assert_eq!(hny.sender.as_ref().unwrap().name.as_deref(), Some("Bob"));
    let multi = by_text(&msgs, "Same to you\nsee you tomorrow\n\nbring the cake - the big one");
    assert!(multi.from_me);
    let omitted = &msgs[3];
    assert_eq!(omitted.kind, MessageType::Document);
    assert!(omitted.media.as_ref().unwrap().id.is_none());
    assert_eq!(omitted.timestamp, ms("2024-01-01T10:05:00Z"));
    let oks: Vec<_> = msgs.iter().filter(|m| m.text.as_deref() == Some("ok")).collect();
    assert_eq!(oks.len(), 2, "identical messages in the same minute are both kept");
    assert_ne!(oks[0].id, oks[1].id);
    assert_eq!(by_text(&msgs, "morning: coffee?").timestamp, ms("2024-01-02T08:15:00Z"));
    let photo = by_text(&msgs, "Look at this");
    assert_eq!(photo.kind, MessageType::Image);
    assert!(photo.from_me);
    assert_eq!(photo.timestamp, ms("2024-01-13T12:00:00Z"));
    let media = photo.media.as_ref().unwrap();
    assert!(media.id.is_some(), "the file went into the media store");
    assert_eq!(media.mime, "image/png");
    assert_eq!((media.width, media.height), (Some(4), Some(3)));
    assert_eq!(media.file_name.as_deref(), Some("IMG-20240113-WA0001.jpg"));
    let pdf = msgs
        .iter()
        .find(|m| m.kind == MessageType::Document && m.media.as_ref().unwrap().file_name.is_some())
        .unwrap();
    assert_eq!(pdf.kind, MessageType::Document);
    assert_eq!(pdf.timestamp, ms("2024-01-13T00:30:00Z"), "12:30 AM");
    assert_eq!(
        pdf.media.as_ref().unwrap().file_name.as_deref(),
        Some("DOC-20240113-WA0002.pdf")
    );
    assert_eq!(pdf.media.as_ref().unwrap().mime, "application/pdf");
    assert!(pdf.media.as_ref().unwrap().id.is_none());
    let blob = f
        .store
        .read(|c| store::media::get(c, media.id.as_ref().unwrap()))
        .unwrap()
        .unwrap();
    assert_eq!(blob.size, png(4, 3).len() as i64);

    // Again, as the folder this time: nothing new, no second copy of the file.
    let media_rows = f.count("media");
    let again = export::import(&f.store, &f.account, &dir, &utc()).unwrap();
    assert_eq!((again.messages_read, again.messages_new, again.media_stored), (9, 0, 0));
    assert_eq!(f.count("media"), media_rows);
    assert_eq!(f.count("messages"), 9);
    // Saying who is who explicitly names the same messages.
    let opts = ExportOptions {
        me: Some("alice".into()),
        ..utc()
    };
    assert_eq!(
        export::import(&f.store, &f.account, &txt, &opts).unwrap().messages_new,
        0
    );
}

const ANDROID_EU_GROUP: &str = "\
31/12/2023, 21:41 - Carol created group \"Hiking: Alps\"
31/12/2023, 21:41 - Carol added you
31/12/2023, 21:45 - Carol: Who's in for Saturday?
31/12/2023, 21:46 - \u{202a}+49 151 23456789\u{202c}: Me!
Bringing snacks: chips, nuts
31/12/2023, 21:47 - Dave: count me in
31/12/2023, 21:48 - Eve: I'm in too
01/01/2024, 09:00 - Dave: DOC-20240101-WA0002.pdf (file attached)
route
01/01/2024, 09:01 - Dave: PTT-20240101-WA0003.opus (file attached)
";

#[test]
fn android_eu_group_export() {
    let f = fixture();
    let dir = f.path("group");
    std::fs::create_dir(&dir).unwrap();
    let txt = dir.join("WhatsApp Chat with Hiking Club.txt");
    std::fs::write(&txt, ANDROID_EU_GROUP).unwrap();
    std::fs::write(dir.join("DOC-20240101-WA0002.pdf"), b"%PDF-1.4\n% fake route\n%%EOF\n").unwrap();
    let opts = ExportOptions {
        me: Some("Eve".into()),
        utc_offset_minutes: Some(60),
        ..Default::default()
    };

    let report = export::import(&f.store, &f.account, &txt, &opts).unwrap();
    assert_eq!((report.messages_read, report.messages_new), (8, 8), "{report:?}");
    assert_eq!((report.media_stored, report.media_missing), (1, 1));
    assert!(
        report.notes.iter().any(|n| n.contains("day/month/year")),
        "{:?}",
        report.notes
    );
    assert!(report.notes.iter().any(|n| n.contains("@g.us")), "{:?}", report.notes);

    let chat = f.chat("Hiking Club");
    assert_eq!(chat.kind, ChatKind::Group);
    let msgs = f.messages(&chat.id);
    assert_eq!(msgs.len(), 8);
    assert_eq!(msgs[0].kind, MessageType::System);
    assert_eq!(msgs[0].text.as_deref(), Some("Carol created group \"Hiking: Alps\""));
    assert_eq!(msgs[0].timestamp, ms("2023-12-31T20:41:00Z"), "UTC+1");
    assert_eq!(msgs[1].kind, MessageType::System);
    let carol = by_text(&msgs, "Who's in for Saturday?").sender.clone().unwrap();
    assert_eq!(carol.name.as_deref(), Some("Carol"));
    assert!(carol.phone.is_none());
    let unsaved = by_text(&msgs, "Me!\nBringing snacks: chips, nuts")
        .sender
        .clone()
        .unwrap();
    assert_eq!(unsaved.phone.as_ref().unwrap().as_str(), "+4915123456789");
    let dave = by_text(&msgs, "count me in").sender.clone().unwrap();
    assert_ne!(dave.contact_id, carol.contact_id);
    assert!(by_text(&msgs, "I'm in too").from_me);
    let route = by_text(&msgs, "route");
    assert_eq!(route.kind, MessageType::Document);
    assert_eq!(route.media.as_ref().unwrap().mime, "application/pdf");
    assert!(route.media.as_ref().unwrap().id.is_some());
    assert_eq!(route.sender.as_ref().unwrap().contact_id, dave.contact_id);
    let voice = msgs.last().unwrap();
    assert_eq!(voice.kind, MessageType::Audio);
    assert!(voice.media.as_ref().unwrap().voice_note);
    assert!(
        voice.media.as_ref().unwrap().id.is_none(),
        "the voice note file is not in the folder"
    );

    let again = export::import(&f.store, &f.account, &txt, &opts).unwrap();
    assert_eq!(again.messages_new, 0);
    assert_eq!(f.count("messages"), 8);
}

const IOS: &str = "\u{200e}[31/12/2023, 21:41:05] Frank: \u{200e}Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them.
[31/12/2023, 21:41:30] Frank: Hey!
[31/12/2023, 21:42:00] Me Myself: Hi Frank
how are you?
\u{200e}[31/12/2023, 21:43:10] Frank: \u{200e}image omitted
\u{200e}[01/01/2024, 08:00:00] Frank: \u{200e}<attached: 00000012-PHOTO-2024-01-01-08-00-00.jpg>
[01/01/2024, 08:01:00] Frank: \u{200e}This message was deleted.
\u{200e}[01/01/2024, 08:02:00] Me Myself: \u{200e}report.pdf \u{2022} \u{200e}3 pages \u{200e}document omitted
[01/01/2024, 08:03:00] Me Myself: done \u{200e}<This message was edited>
";

#[test]
fn ios_export_folder() {
    let f = fixture();
    let dir = f.path("WhatsApp Chat - Frank");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("_chat.txt"), IOS).unwrap();
    std::fs::write(dir.join("00000012-PHOTO-2024-01-01-08-00-00.jpg"), png(2, 2)).unwrap();
    let opts = ExportOptions {
        me: Some("Me Myself".into()),
        ..utc()
    };

    let report = export::import(&f.store, &f.account, &dir, &opts).unwrap();
    assert_eq!(
        (report.messages_read, report.messages_new, report.skipped),
        (8, 8, 0),
        "{report:?}"
    );
    assert_eq!((report.media_stored, report.media_missing), (1, 2));

    let chat = f.chat("Frank");
    assert_eq!(chat.kind, ChatKind::Direct);
    let msgs = f.messages(&chat.id);
    let kinds: Vec<_> = msgs.iter().map(|m| m.kind).collect();
    use MessageType::*;
    assert_eq!(kinds, [System, Text, Text, Image, Image, System, Document, Text]);
    assert_eq!(msgs[0].timestamp, ms("2023-12-31T21:41:05Z"));
    assert_eq!(msgs[1].text.as_deref(), Some("Hey!"));
    assert_eq!(msgs[1].sender.as_ref().unwrap().name.as_deref(), Some("Frank"));
    assert_eq!(msgs[2].text.as_deref(), Some("Hi Frank\nhow are you?"));
    assert!(msgs[2].from_me);
    assert!(msgs[3].media.as_ref().unwrap().id.is_none(), "omitted");
    let photo = msgs[4].media.as_ref().unwrap();
    assert!(photo.id.is_some());
    assert_eq!((photo.width, photo.height), (Some(2), Some(2)));
    assert_eq!(msgs[5].text.as_deref(), Some("This message was deleted."));
    let doc = &msgs[6];
    assert!(doc.from_me);
    assert_eq!(doc.media.as_ref().unwrap().file_name.as_deref(), Some("report.pdf"));
    assert_eq!(msgs[7].text.as_deref(), Some("done <This message was edited>"));

    let again = export::import(&f.store, &f.account, &dir.join("_chat.txt"), &opts).unwrap();
    assert_eq!((again.messages_new, again.messages_known()), (0, 8));
}

#[test]
fn export_chat_jid_and_phone_names() {
    let f = fixture();
    // An unsaved contact: the export is named after their number, which is their JID.
    let txt = f.path("WhatsApp Chat with +1 415-555-0198.txt");
    std::fs::write(
        &txt,
        "2023-12-31, 21:41 - +1 415-555-0198: hi\n2023-12-31, 21:42 - Me: hello\n",
    )
    .unwrap();
    let report = export::import(&f.store, &f.account, &txt, &utc()).unwrap();
    assert_eq!(report.messages_new, 2);
    assert!(
        report.notes.iter().any(|n| n.contains("year-month-day")),
        "{:?}",
        report.notes
    );
    let chat = f.chats().pop().unwrap();
    assert_eq!(chat.phone.as_ref().unwrap().as_str(), "+14155550198");
    assert_eq!(
        f.messages(&chat.id).iter().filter(|m| m.from_me).count(),
        1,
        "`Me` inferred as the owner"
    );

    // Given a group's JID, the messages land in that group.
    let txt = f.path("WhatsApp Chat with Team.txt");
    std::fs::write(&txt, "12/31/23, 9:41 PM - Ann: one\n12/31/23, 9:42 PM - Ben: two\n").unwrap();
    let opts = ExportOptions {
        chat_jid: Some(GROUP.into()),
        date_order: Some(DateOrder::Mdy),
        ..utc()
    };
    export::import(&f.store, &f.account, &txt, &opts).unwrap();
    let group = f.chat("Team");
    assert_eq!(group.kind, ChatKind::Group);
    assert_eq!(group.id, ChatId::derive(&[f.account.as_str(), GROUP]));
    assert_eq!(f.messages(&group.id).len(), 2);
}

#[test]
fn export_errors_are_clear() {
    let f = fixture();
    let missing = export::import(&f.store, &f.account, &f.path("nope.txt"), &utc()).unwrap_err();
    assert!(matches!(missing, ImportError::NotFound { .. }), "{missing:?}");

    let garbage = f.path("WhatsApp Chat with Noise.txt");
    std::fs::write(
        &garbage,
        "just some notes\nnothing - here is a message\n[not] a header\n",
    )
    .unwrap();
    let err = export::import(&f.store, &f.account, &garbage, &utc()).unwrap_err();
    assert!(matches!(err, ImportError::NotAnExport { .. }), "{err:?}");
    assert!(err.to_string().contains("no line starts like"), "{err}");

    let binary = f.path("WhatsApp Chat with Bin.txt");
    std::fs::write(&binary, [0u8, 159, 146, 150, 0, 1, 2]).unwrap();
    assert!(matches!(
        export::import(&f.store, &f.account, &binary, &utc()),
        Err(ImportError::NotAnExport { .. })
    ));
    let empty = f.path("WhatsApp Chat with Empty.txt");
    std::fs::write(&empty, "").unwrap();
    assert!(matches!(
        export::import(&f.store, &f.account, &empty, &utc()),
        Err(ImportError::NotAnExport { .. })
    ));

    let zip = f.path("WhatsApp Chat - Zed.zip");
    std::fs::write(&zip, b"PK\x03\x04 rest of a zip").unwrap();
    let err = export::import(&f.store, &f.account, &zip, &utc()).unwrap_err();
    assert!(matches!(err, ImportError::Zip { .. }), "{err:?}");
    assert!(err.to_string().contains("unzip"), "{err}");

    let unnamed = f.path("notes.txt");
    std::fs::write(&unnamed, "12/31/23, 9:41 PM - Ann: one\n").unwrap();
    assert!(matches!(
        export::import(&f.store, &f.account, &unnamed, &utc()),
        Err(ImportError::NoChatName { .. })
    ));
    let named = ExportOptions {
        chat_name: Some("Ann".into()),
        ..utc()
    };
    assert_eq!(
        export::import(&f.store, &f.account, &unnamed, &named)
            .unwrap()
            .messages_new,
        1
    );

    let wrong_me = ExportOptions {
        me: Some("Zoe".into()),
        ..named.clone()
    };
    let err = export::import(&f.store, &f.account, &unnamed, &wrong_me).unwrap_err();
    assert!(
        err.to_string().contains("Zoe") && err.to_string().contains("Ann"),
        "{err}"
    );

    let bad_jid = ExportOptions {
        chat_jid: Some("not a jid".into()),
        ..named.clone()
    };
    assert!(matches!(
        export::import(&f.store, &f.account, &unnamed, &bad_jid),
        Err(ImportError::BadChatJid(_))
    ));

    let stranger = AccountId::random();
    assert!(matches!(
        export::import(&f.store, &stranger, &unnamed, &named),
        Err(ImportError::UnknownAccount(_))
    ));

    // Lines before the first message are counted, not fatal.
    let preamble = f.path("WhatsApp Chat with Pre.txt");
    std::fs::write(
        &preamble,
        "garbage first\n12/31/23, 9:41 PM - Ann: one\n99/99/99, 9:41 PM - Ann: two\n",
    )
    .unwrap();
    let report = export::import(&f.store, &f.account, &preamble, &utc()).unwrap();
    assert_eq!(report.skipped, 2, "the preamble and the impossible date: {report:?}");
    assert_eq!(report.messages_read, 1);
}

// ---------------------------------------------------------------------------------
// The line parser

#[test]
fn headers_of_every_locale() {
    let h = parse_header("12/31/23, 9:41\u{202f}PM - Bob: hi").unwrap();
    assert_eq!(
        (h.date, h.hour, h.minute, h.pm, h.bracketed),
        ([12, 31, 23], 9, 41, Some(true), false)
    );
    assert_eq!(h.rest, "Bob: hi");
    let h = parse_header("31/12/2023, 21:41 - Bob: a - b").unwrap();
    assert_eq!((h.date, h.hour, h.pm, h.rest), ([31, 12, 2023], 21, None, "Bob: a - b"));
    let h = parse_header("31.12.23, 21:41 - Bob: hallo").unwrap();
    assert_eq!(h.date, [31, 12, 23]);
    let h = parse_header("\u{200e}[31/12/2023, 21:41:05] Bob: \u{200e}image omitted").unwrap();
    assert_eq!((h.second, h.bracketed, h.rest), (5, true, "Bob: \u{200e}image omitted"));
    let h = parse_header("[12/31/23, 9:41:05 PM] Bob: hi").unwrap();
    assert_eq!((h.hour, h.pm), (9, Some(true)));
    let h = parse_header("2023-12-31, 21:41 - Bob: hi").unwrap();
    assert!(h.year_first);
    let h = parse_header("31/12/2023 21:41 - Bob: hi").unwrap();
    assert_eq!(h.date, [31, 12, 2023]);
    let h = parse_header("12/31/23, 9:41 p. m. - Bob: hola").unwrap();
    assert_eq!(h.pm, Some(true));
    let h = parse_header("31/12/2023, 21.41 - Bob: moi").unwrap();
    assert_eq!((h.hour, h.minute), (21, 41));
    let h = parse_header("12/31/23, 9:41 PM - Bob:").unwrap();
    assert_eq!(split_sender(h.rest), (Some("Bob"), ""));

    for not_a_header in [
        "",
        "see you tomorrow",
        "bring the cake - the big one",
        "12/31/23 is when - we meet",
        "12/31/23, 9:41 PM no dash",
        "12/31/23, 13:41 PM - Bob: 13 PM",
        "12/31/23, 9:61 - Bob: bad minute",
        "12/31/23, 24:00 - Bob: bad hour",
        "1/2/3/4, 9:41 - Bob: too many",
        "123/12/23, 9:41 - Bob: odd",
        "12/31/123, 9:41 - Bob: odd year",
        "[12/31/23, 9:41:05 PM Bob: no bracket",
        "[]",
        "[",
        " - ",
        "00/00/00, 00:00 - zero",
        "12-31/23, 9:41 - Bob: mixed",
        "ünïcödé ünïcödé ünïcödé ünïcödé ünïcödé ünïcödé - x",
        "日本語のテキスト日本語のテキスト日本語のテキスト - x",
    ] {
        assert_eq!(parse_header(not_a_header), None, "{not_a_header:?}");
    }
}

#[test]
fn senders_and_bodies() {
    assert_eq!(split_sender("Bob: hi: there"), (Some("Bob"), "hi: there"));
    assert_eq!(split_sender("Alice added Bob"), (None, "Alice added Bob"));
    assert_eq!(
        split_sender("Carol changed the subject to \"a: b\""),
        (None, "Carol changed the subject to \"a: b\"")
    );
    assert_eq!(
        split_sender("\u{202a}+49 151 23456789\u{202c}: Me!").0,
        Some("\u{202a}+49 151 23456789\u{202c}")
    );

    assert_eq!(classify(None, "Alice left", false), Body::System("Alice left".into()));
    assert_eq!(classify(Some("B"), "hello", false), Body::Text("hello".into()));
    assert_eq!(
        classify(Some("B"), "Messages are encrypted", true),
        Body::System("Messages are encrypted".into())
    );
    assert_eq!(
        classify(Some("B"), "<Media omitted>", false),
        Body::Omitted {
            kind: None,
            file_name: None
        }
    );
    assert_eq!(
        classify(Some("B"), "sticker omitted", true),
        Body::Omitted {
            kind: Some(Kind::Sticker),
            file_name: None
        }
    );
    assert_eq!(
        classify(Some("B"), "Contact card omitted", true),
        Body::Omitted {
            kind: Some(Kind::Contact),
            file_name: None
        }
    );
    assert_eq!(classify(Some("B"), "I omitted", false), Body::Text("I omitted".into()));
    assert_eq!(
        classify(Some("B"), "IMG-1.jpg (file attached)\ncaption\nmore", false),
        Body::Attached {
            file_name: "IMG-1.jpg".into(),
            caption: Some("caption\nmore".into())
        }
    );
    assert_eq!(
        classify(Some("B"), "<attached: 00000012-PHOTO-2024.jpg>", true),
        Body::Attached {
            file_name: "00000012-PHOTO-2024.jpg".into(),
            caption: None
        }
    );
    assert_eq!(classify(Some("B"), "<3 you>", false), Body::Text("<3 you>".into()));
    assert_eq!(
        classify(Some("B"), " (file attached)", false),
        Body::Text(" (file attached)".into())
    );
}

#[test]
fn date_order_detection() {
    fn parse<'a>(lines: &[&'a str]) -> Vec<export::Header<'a>> {
        lines.iter().map(|l| parse_header(l).unwrap()).collect()
    }
    let dmy = parse(&["01/02/2024, 10:00 - A: x", "13/02/2024, 10:00 - A: y"]);
    assert_eq!(detect_order(&dmy).0, DateOrder::Dmy);
    let mdy = parse(&["02/01/24, 10:00 AM - A: x", "02/13/24, 10:00 AM - A: y"]);
    assert_eq!(detect_order(&mdy).0, DateOrder::Mdy);
    // Every field is 12 or less: the order that keeps the messages in time order wins.
    let ordered = parse(&[
        "05/01/2024, 10:00 - A: x",
        "06/01/2024, 10:00 - A: y",
        "01/02/2024, 10:00 - A: z",
    ]);
    assert_eq!(detect_order(&ordered).0, DateOrder::Dmy);
    let ordered = parse(&[
        "01/05/2024, 10:00 - A: x",
        "01/06/2024, 10:00 - A: y",
        "02/01/2024, 10:00 - A: z",
    ]);
    assert_eq!(detect_order(&ordered).0, DateOrder::Mdy);
    let single = parse(&["05/01/24, 10:00 AM - A: x"]);
    assert_eq!(
        detect_order(&single).0,
        DateOrder::Mdy,
        "AM/PM and nothing else to go by"
    );
    let single = parse(&["05/01/2024, 10:00 - A: x"]);
    assert_eq!(detect_order(&single).0, DateOrder::Dmy);
}

#[test]
fn chat_names_from_file_names() {
    assert_eq!(chat_name_from("WhatsApp Chat with Bob").as_deref(), Some("Bob"));
    assert_eq!(
        chat_name_from("WhatsApp Chat - Hiking Club").as_deref(),
        Some("Hiking Club")
    );
    assert_eq!(chat_name_from("WhatsApp-Chat mit Oma").as_deref(), Some("Oma"));
    assert_eq!(chat_name_from("Chat de WhatsApp con Ana").as_deref(), Some("Ana"));
    assert_eq!(chat_name_from("_chat"), None);
    assert_eq!(chat_name_from("notes"), None);
    assert_eq!(chat_name_from("WhatsApp Chat with "), None);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_parser_never_panics(line in "\\PC{0,80}") {
        if let Some(h) = parse_header(&line) {
            let (_, body) = split_sender(h.rest);
            let _ = classify(Some("x"), body, true);
        }
        let _ = classify(None, &line, false);
        let _ = split_sender(&line);
    }

    #[test]
    fn headerish_lines_never_panic(
        a in 0u32..40, b in 0u32..40, c in 0u32..3000, h in 0u32..30, m in 0u32..70,
        sep in prop::sample::select(vec!["/", ".", "-"]),
        tail in prop::sample::select(vec![" - ", "] ", " PM - ", "\u{202f}am - ", "", " - \u{200e}"]),
        rest in "\\PC{0,20}",
    ) {
        for open in ["", "[", "\u{200e}["] {
            let line = format!("{open}{a}{sep}{b}{sep}{c}, {h}:{m:02}{tail}{rest}");
            let _ = parse_header(&line).map(|hd| split_sender(hd.rest));
        }
    }
}

#[test]
fn garbage_export_files_error_and_never_panic() {
    let f = fixture();
    // Mostly the characters headers are made of, with newlines and a split direction mark.
    let alphabet = b"0123456789/.,:-[] APMapm\n\xe2\x80\x8eBob: x";
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for i in 0..40 {
        let len = (i * 37) % 400 + 1;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                alphabet[(seed % alphabet.len() as u64) as usize]
            })
            .collect();
        let path = f.path(&format!("WhatsApp Chat with G{i}.txt"));
        std::fs::write(&path, &bytes).unwrap();
        match export::import(&f.store, &f.account, &path, &utc()) {
            Ok(ImportReport {
                messages_read,
                messages_new,
                ..
            }) => assert!(messages_new <= messages_read),
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
}

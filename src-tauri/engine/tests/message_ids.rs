//! Message IDs on a real store: stable per conversation, found again by WhatsApp's key
//! after a person's LID chat folds into their number's, and after an upgrade from the
//! account-wide IDs stores gave before migration 0006.

mod common;

use wuse_engine::events::EventBus;
use wuse_engine::ids::{AccountId, MessageId};
use wuse_engine::ingest::Ingest;
use wuse_engine::model::AccountKind;
use wuse_engine::presence::Presence;
use wuse_engine::store::Store;
use wuse_engine::wa::{HistoryBatch, Jid, MsgKey, ReceiptKind, WaContent, WaEvent, WaMessage};

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    ingest: Ingest,
    account: AccountId,
}

fn fixture() -> Fixture {
    let (dir, store, account) = common::store_with_account(AccountKind::Sandbox, None);
    let ingest = Ingest {
        store: store.clone(),
        bus: EventBus::new(),
        presence: Presence::default(),
    };
    Fixture {
        _dir: dir,
        store,
        ingest,
        account,
    }
}

fn jid(s: &str) -> Jid {
    Jid::parse(s).unwrap()
}

fn key(chat: &str, wa_id: &str, from_me: bool) -> MsgKey {
    MsgKey {
        chat: jid(chat),
        id: wa_id.into(),
        from_me,
        sender: None,
    }
}

fn text(chat: &str, wa_id: &str, from_me: bool, ts: i64) -> WaMessage {
    WaMessage {
        key: key(chat, wa_id, from_me),
        ts,
        push_name: None,
        content: WaContent::Text {
            text: format!("text of {wa_id}"),
        },
        reply_to: None,
        forwarded: false,
        status: None,
        starred: false,
    }
}

impl Fixture {
    fn apply(&self, event: WaEvent) {
        self.ingest.apply(&self.account, event).unwrap();
    }

    fn history(&self, messages: Vec<WaMessage>) -> usize {
        let batch = HistoryBatch {
            messages,
            ..HistoryBatch::default()
        };
        self.ingest.history(&self.account, &batch).unwrap().new
    }

    fn rows<T: rusqlite::types::FromSql>(&self, sql: &str) -> Vec<T> {
        self.store
            .read(|c| {
                let mut st = c.prepare(sql)?;
                let rows = st.query_map([], |r| r.get(0))?.collect::<Result<Vec<T>, _>>()?;
                Ok(rows)
            })
            .unwrap()
    }

    fn id_of(&self, wa_id: &str) -> String {
        self.store
            .read(|c| Ok(c.query_row("SELECT id FROM messages WHERE wa_id = ?1", [wa_id], |r| r.get(0))?))
            .unwrap()
    }

    fn link(&self, pn: &str, lid: &str) {
        self.apply(WaEvent::IdentityLink {
            pn: jid(pn),
            lid: jid(lid),
        });
    }

    fn read_receipt(&self, chat: &str, wa_id: &str) {
        self.apply(WaEvent::Receipt {
            chat: jid(chat),
            ids: vec![wa_id.into()],
            from: jid(chat),
            kind: ReceiptKind::Read,
            ts: 9_200,
        });
    }

    fn react(&self, target: MsgKey, emoji: &str) {
        self.apply(WaEvent::Reaction {
            from: target.chat.clone(),
            target,
            from_me: false,
            emoji: Some(emoji.into()),
            ts: 9_000,
        });
    }
}

const ANN: &str = "14155550101@s.whatsapp.net";
const BOB: &str = "14155550102@s.whatsapp.net";

#[test]
fn a_conversations_ids_share_its_chats_prefix_and_a_second_sync_adds_nothing() {
    let f = fixture();
    let page = vec![
        text(ANN, "A1", false, 1_000),
        text(ANN, "A2", true, 2_000),
        text(ANN, "A3", false, 3_000),
        text(BOB, "B1", false, 1_500),
    ];
    assert_eq!(f.history(page.clone()), 4);
    assert_eq!(f.history(page), 0, "the same page again");
    let chat_of = |wa: &str| -> String {
        f.store
            .read(|c| Ok(c.query_row("SELECT chat_id FROM messages WHERE wa_id = ?1", [wa], |r| r.get(0))?))
            .unwrap()
    };
    for wa in ["A1", "A2", "A3", "B1"] {
        let id = f.id_of(wa);
        assert!(MessageId::parse(&id).is_ok(), "{id}");
        assert_eq!(id[4..8], chat_of(wa)[5..9], "{wa}: {id}");
    }
    assert_ne!(f.id_of("A1")[4..8], f.id_of("B1")[4..8]);
    // The same WhatsApp ID in another chat is another message.
    assert_eq!(f.history(vec![text(BOB, "A1", false, 4_000)]), 1);
    assert_eq!(f.rows::<i64>("SELECT count(*) FROM messages"), [5]);
}

#[test]
fn a_folded_lid_chat_keeps_its_messages_findable_by_key() {
    let f = fixture();
    const LID: &str = "99887766@lid";
    f.apply(WaEvent::Message(text(LID, "L1", false, 1_000)));
    f.apply(WaEvent::Message(text(ANN, "P1", false, 2_000)));
    let before = f.id_of("L1");
    assert_eq!(f.rows::<i64>("SELECT count(*) FROM chats"), [2]);

    // The phone number and the LID turn out to be one person: one chat remains.
    f.link(ANN, LID);
    assert_eq!(f.rows::<i64>("SELECT count(*) FROM chats"), [1]);
    assert_eq!(f.rows::<i64>("SELECT count(DISTINCT chat_id) FROM messages"), [1]);
    assert_eq!(f.id_of("L1"), before, "IDs never change");

    // Keyed by either JID, the folded chat's message is found: re-synced, reacted to,
    // edited, read.
    assert_eq!(f.history(vec![text(ANN, "L1", false, 1_000)]), 0);
    f.react(key(ANN, "L1", false), "👍");
    assert_eq!(f.rows::<String>("SELECT message_id FROM reactions"), [before.as_str()]);
    f.apply(WaEvent::Edited {
        key: key(LID, "L1", false),
        content: WaContent::Text { text: "edited".into() },
        ts: 9_100,
    });
    assert_eq!(
        f.rows::<String>("SELECT text FROM messages WHERE wa_id = 'L1'"),
        ["edited"]
    );
    assert_eq!(f.rows::<i64>("SELECT count(*) FROM messages"), [2]);
}

#[test]
fn folds_chain_when_a_folded_persons_chat_folds_again() {
    let f = fixture();
    const LID: &str = "99887766@lid";
    f.apply(WaEvent::Message(text(LID, "L1", false, 1_000)));
    f.apply(WaEvent::Message(text(BOB, "B1", false, 2_000)));
    f.link(BOB, LID);
    // The same LID now turns out to be behind another number (a changed number):
    // Bob's chat, holding the LID chat's messages, folds into Ann's.
    f.apply(WaEvent::Message(text(ANN, "A1", false, 3_000)));
    f.link(ANN, LID);
    assert_eq!(f.rows::<i64>("SELECT count(*) FROM chats"), [1]);
    let kept = f.rows::<String>("SELECT id FROM chats");
    assert_eq!(
        f.rows::<String>("SELECT kept_id FROM chat_folds"),
        [kept[0].clone(), kept[0].clone()]
    );
    for wa in ["L1", "B1", "A1"] {
        f.react(key(ANN, wa, false), "👍");
    }
    assert_eq!(f.rows::<i64>("SELECT count(*) FROM reactions"), [3]);
    assert_eq!(
        f.history(vec![text(ANN, "L1", false, 1_000), text(ANN, "B1", false, 2_000)]),
        0
    );
}

#[test]
fn messages_stored_under_the_old_account_wide_ids_are_still_found() {
    let f = fixture();
    f.apply(WaEvent::Message(text(ANN, "NEW1", false, 1_000)));
    // A row as stores before migration 0006 wrote it: the ID hashes only the account,
    // the direction and WhatsApp's ID.
    let legacy = MessageId::derive(&[f.account.as_str(), "me", "OLD1"]);
    f.store
        .write(|c| {
            c.execute(
                "INSERT INTO messages (id, account_id, chat_id, wa_id, from_me, ts, type, text, status)
                 SELECT ?1, account_id, chat_id, 'OLD1', 1, 500, 'text', 'old', 'sent' FROM messages LIMIT 1",
                [&legacy],
            )?;
            Ok(())
        })
        .unwrap();

    assert_eq!(f.history(vec![text(ANN, "OLD1", true, 500)]), 0, "no duplicate");
    f.react(key(ANN, "OLD1", true), "❤️");
    f.read_receipt(ANN, "OLD1");
    assert_eq!(
        f.rows::<String>("SELECT message_id FROM reactions"),
        [legacy.to_string()]
    );
    assert_eq!(
        f.rows::<String>("SELECT status FROM messages WHERE wa_id = 'OLD1'"),
        ["read"]
    );
    assert_eq!(f.rows::<i64>("SELECT count(*) FROM messages"), [2]);
}

#[test]
fn keys_naming_an_unknown_chat_or_message_change_nothing() {
    let f = fixture();
    f.apply(WaEvent::Message(text(ANN, "A1", false, 1_000)));
    f.react(key(BOB, "A1", false), "👍");
    f.react(key(ANN, "NOPE", false), "👍");
    f.read_receipt(BOB, "A1");
    let batch = HistoryBatch {
        reactions: vec![(key(BOB, "A1", false), jid(BOB), "👍".into(), 9_400)],
        ..HistoryBatch::default()
    };
    f.ingest.history(&f.account, &batch).unwrap();
    assert!(f.rows::<String>("SELECT message_id FROM reactions").is_empty());
    assert_eq!(f.rows::<i64>("SELECT count(*) FROM chats"), [1], "no chat made up");
}

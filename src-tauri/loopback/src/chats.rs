//! A phone's copy of its chats, and what its companions' chat actions do to it.
//!
//! WhatsApp's chat actions (archive, mark read, delete) name the messages they cover
//! (a message range: the newest message's key and time). A phone applies one only
//! to those: a chat with a newer message than the range stays in the inbox, a
//! deletion leaves what came after it, and an action with no range at all says
//! nothing the phone can check, so it is ignored and noted here.

use std::collections::HashMap;

use serde::Serialize;
use whatsapp_rust::waproto::whatsapp as wa;

/// One chat as the phone has it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ChatCopy {
    pub archived: bool,
    /// Read up to (unix seconds); a message newer than this is unread.
    pub read_up_to: Option<i64>,
    /// The messages the phone has in it: (ID, unix seconds).
    pub messages: Vec<(String, i64)>,
    /// Actions it ignored, and why.
    pub ignored: Vec<String>,
}

impl ChatCopy {
    fn newest(&self) -> Option<&(String, i64)> {
        self.messages.iter().max_by_key(|(_, t)| *t)
    }

    pub fn unread(&self) -> bool {
        self.newest()
            .is_some_and(|(_, t)| self.read_up_to.is_none_or(|r| *t > r))
    }

    /// The range's newest time, if the range covers this chat's newest message;
    /// otherwise why not.
    fn covered(&self, range: Option<&wa::sync_action_value::SyncActionMessageRange>) -> Result<i64, String> {
        let range = range.ok_or("no message range")?;
        let up_to = range.last_message_timestamp.ok_or("a range without a time")?;
        let names_newest = match self.newest() {
            None => true,
            Some((id, t)) => {
                *t <= up_to
                    || range
                        .messages
                        .iter()
                        .any(|m| m.key.as_option().and_then(|k| k.id.as_deref()) == Some(id))
            }
        };
        if names_newest {
            Ok(up_to)
        } else {
            Err(format!("the range ends at {up_to}, before the chat's newest message"))
        }
    }
}

/// Every chat of a phone, by JID.
#[derive(Debug, Default)]
pub struct Chats(HashMap<String, ChatCopy>);

impl Chats {
    pub fn message(&mut self, chat: &str, id: &str, ts: i64) {
        let c = self.0.entry(chat.to_owned()).or_default();
        if !c.messages.iter().any(|(m, _)| m == id) {
            c.messages.push((id.to_owned(), ts));
        }
    }

    pub fn get(&self, chat: &str) -> ChatCopy {
        self.0.get(chat).cloned().unwrap_or_default()
    }

    pub fn archive(&mut self, chat: &str, a: &wa::sync_action_value::ArchiveChatAction) {
        let c = self.0.entry(chat.to_owned()).or_default();
        match c.covered(a.message_range.as_option()) {
            Ok(_) => c.archived = a.archived.unwrap_or(false),
            Err(why) => c.ignored.push(format!("archive: {why}")),
        }
    }

    pub fn mark_read(&mut self, chat: &str, a: &wa::sync_action_value::MarkChatAsReadAction) {
        let c = self.0.entry(chat.to_owned()).or_default();
        match c.covered(a.message_range.as_option()) {
            Ok(up_to) if a.read.unwrap_or(false) => c.read_up_to = Some(up_to),
            Ok(_) => c.read_up_to = None,
            Err(why) => c.ignored.push(format!("mark read: {why}")),
        }
    }

    pub fn delete(&mut self, chat: &str, a: &wa::sync_action_value::DeleteChatAction) {
        let c = self.0.entry(chat.to_owned()).or_default();
        match a.message_range.as_option().and_then(|r| r.last_message_timestamp) {
            // Only what the range covers: anything newer stays.
            Some(up_to) => c.messages.retain(|(_, t)| *t > up_to),
            None => c.ignored.push("delete: no message range".into()),
        }
    }
}

//! Last known presence of people, per account (memory only: presence is ephemeral).

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;
use serde::Serialize;

use crate::ids::{AccountId, ContactId};
use crate::time::{iso, Millis};
use crate::wa::ChatState;

#[derive(Debug, Clone, Serialize)]
pub struct PresenceState {
    pub online: bool,
    #[serde(with = "iso::option", skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<Millis>,
    /// Typing or recording right now, in which chat.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity: Option<ChatState>,
    #[serde(with = "iso")]
    pub updated_at: Millis,
}

#[derive(Clone, Default)]
pub struct Presence {
    map: Arc<RwLock<HashMap<(AccountId, ContactId), PresenceState>>>,
}

impl Presence {
    pub fn set(&self, account: &AccountId, who: &ContactId, online: bool, last_seen: Option<Millis>, at: Millis) {
        let mut map = self.map.write();
        let entry = map.entry((account.clone(), who.clone())).or_insert(PresenceState {
            online,
            last_seen,
            activity: None,
            updated_at: at,
        });
        entry.online = online;
        entry.last_seen = last_seen.or(entry.last_seen);
        entry.updated_at = at;
        if !online {
            entry.activity = None;
        }
    }

    pub fn set_activity(&self, account: &AccountId, who: &ContactId, state: ChatState, at: Millis) {
        let mut map = self.map.write();
        let entry = map.entry((account.clone(), who.clone())).or_insert(PresenceState {
            online: true,
            last_seen: None,
            activity: None,
            updated_at: at,
        });
        // Typing implies online.
        entry.online = true;
        entry.activity = (state != ChatState::Paused).then_some(state);
        entry.updated_at = at;
    }

    pub fn get(&self, account: &AccountId, who: &ContactId) -> Option<PresenceState> {
        self.map.read().get(&(account.clone(), who.clone())).cloned()
    }

    pub fn forget_account(&self, account: &AccountId) {
        self.map.write().retain(|(a, _), _| a != account);
    }
}

//! What a connected account is catching up on, for the window and `get_account`: the
//! phone's history push (chunks and messages received, the oldest date reached), the
//! offline queue's drain, and chat settings that failed to sync.

use serde::Serialize;

use crate::ingest::HistoryStored;
use crate::time::{to_iso, Millis};
use crate::wa::{HistoryBatch, OfflineSync};

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SyncStatus {
    /// The phone's history push since this device was linked (or last connected).
    pub history: Option<HistoryProgress>,
    /// What WhatsApp held while the account was offline.
    pub offline: Option<OfflineProgress>,
    /// App-state collections (chat settings: mute, archive, pin, stars, names) that
    /// failed to sync; they sync again on the next connection.
    pub app_state_failed: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct HistoryProgress {
    /// Chunks received.
    pub chunks: u32,
    /// Messages they carried, and how many of those were new here.
    pub messages: u32,
    pub new_messages: u32,
    /// The oldest message's date reached (ISO 8601).
    pub oldest: Option<String>,
    /// How far the phone says its push got (0..=100).
    pub progress: Option<u8>,
    pub done: bool,
    #[serde(skip)]
    oldest_ms: Option<Millis>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct OfflineProgress {
    /// Items WhatsApp announced (messages, receipts, notifications).
    pub total: u32,
    pub messages: u32,
    pub done: bool,
}

impl SyncStatus {
    /// A chunk of the phone's history push was stored. On-demand answers are the
    /// requesting call's, not the push's.
    pub fn history(&mut self, batch: &HistoryBatch, stored: HistoryStored) {
        let Some(chunk) = batch.chunk.as_ref().filter(|c| !c.on_demand()) else {
            return;
        };
        let h = self.history.get_or_insert_with(HistoryProgress::default);
        h.chunks += 1;
        h.messages += u32::try_from(batch.messages.len()).unwrap_or(u32::MAX);
        h.new_messages += u32::try_from(stored.new).unwrap_or(u32::MAX);
        let oldest = batch.messages.iter().map(|m| m.ts).min();
        h.oldest_ms = match (h.oldest_ms, oldest) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        h.oldest = h.oldest_ms.map(to_iso);
        if chunk.progress.is_some() {
            h.progress = chunk.progress;
        }
        h.done = h.progress.is_some_and(|p| p >= 100);
    }

    pub fn offline(&mut self, s: OfflineSync) {
        match s {
            OfflineSync::Started { total, messages } => {
                self.offline = Some(OfflineProgress {
                    total,
                    messages,
                    done: false,
                })
            }
            OfflineSync::Done { count } => {
                let o = self.offline.get_or_insert(OfflineProgress {
                    total: count,
                    ..Default::default()
                });
                o.done = true;
            }
        }
    }

    pub fn app_state_failed(&mut self, collections: Vec<String>) {
        for c in collections {
            if !self.app_state_failed.contains(&c) {
                self.app_state_failed.push(c);
            }
        }
    }

    /// A new connection: what was pending is tried again.
    pub fn reconnecting(&mut self) {
        self.offline = None;
        self.app_state_failed.clear();
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wa::HistoryChunk;

    fn page(sync_type: &str, progress: Option<u8>, times: &[Millis], request: Option<&str>) -> HistoryBatch {
        use crate::wa::{Jid, MsgKey, WaContent, WaMessage};
        HistoryBatch {
            messages: times
                .iter()
                .map(|t| WaMessage {
                    key: MsgKey {
                        chat: Jid::parse("1@s.whatsapp.net").unwrap(),
                        id: format!("M{t}"),
                        from_me: false,
                        sender: None,
                    },
                    ts: *t,
                    push_name: None,
                    content: WaContent::text("x"),
                    reply_to: None,
                    forwarded: false,
                    status: None,
                    starred: false,
                })
                .collect(),
            chunk: Some(HistoryChunk {
                sync_type: sync_type.into(),
                order: None,
                progress,
                request: request.map(Into::into),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn history_counts_chunks_messages_and_the_oldest_date() {
        let mut s = SyncStatus::default();
        s.history(
            &page("initial_bootstrap", Some(10), &[5_000, 3_000], None),
            HistoryStored {
                new: 2,
                oldest: Some(3_000),
            },
        );
        s.history(
            &page("recent", Some(60), &[1_000], None),
            HistoryStored { new: 0, oldest: None },
        );
        let h = s.history.clone().unwrap();
        assert_eq!((h.chunks, h.messages, h.new_messages), (2, 3, 2));
        assert_eq!(h.oldest.as_deref(), Some("1970-01-01T00:00:01.000Z"));
        assert_eq!((h.progress, h.done), (Some(60), false));
        // An answer to a request is not part of the push.
        s.history(
            &page("on_demand", None, &[10], Some("req")),
            HistoryStored {
                new: 1,
                oldest: Some(10),
            },
        );
        assert_eq!(s.history.as_ref().unwrap().chunks, 2);
        s.history(&page("recent", Some(100), &[], None), HistoryStored::default());
        assert!(s.history.unwrap().done);
    }

    #[test]
    fn offline_and_app_state() {
        let mut s = SyncStatus::default();
        s.offline(OfflineSync::Started { total: 7, messages: 4 });
        assert_eq!(
            s.offline.unwrap(),
            OfflineProgress {
                total: 7,
                messages: 4,
                done: false
            }
        );
        s.offline(OfflineSync::Done { count: 7 });
        assert!(s.offline.unwrap().done);
        s.app_state_failed(vec!["regular_low".into()]);
        s.app_state_failed(vec!["regular_low".into(), "critical_block".into()]);
        assert_eq!(s.app_state_failed, ["regular_low", "critical_block"]);
        s.reconnecting();
        assert!(s.offline.is_none() && s.app_state_failed.is_empty());
    }
}

//! Importers: history kept by other WhatsApp tools, brought into an account.
//!
//! - [`whatsmeow`]: the SQLite `messages.db` of the Go bridge of `whatsapp-mcp`.
//! - [`export`]: WhatsApp's own "Export chat" text files (with or without media).
//!
//! Both build [`HistoryBatch`]es and hand them to [`Ingest::history`], the path the
//! phone's history sync takes: one transaction per batch, messages deduplicated by
//! their key, no events. Importing the same source twice adds nothing.
//!
//! Chat state that already exists in the store (names, archive, pins) is never
//! overwritten: names and chat metadata are only given to chats and people the
//! account does not know yet.

pub mod export;
pub mod whatsmeow;

use std::path::Path;

use serde::Serialize;

use crate::events::EventBus;
use crate::ids::AccountId;
use crate::ingest::Ingest;
use crate::presence::Presence;
use crate::store::{self, Store, StoreError};
use crate::wa::{HistoryBatch, Jid, WaChatMeta, WaContact, WaMessage};

/// Messages per batch (one transaction each).
pub const BATCH: usize = 5_000;

/// The server of the JIDs made up for chats and people of a chat export that are
/// known only by name. Not a WhatsApp server: nothing can be sent to them.
pub const IMPORT_SERVER: &str = "import.whatsapp-use";

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{path}: no such file or directory")]
    NotFound { path: String },
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("no account {0} in this data dir")]
    UnknownAccount(AccountId),
    #[error("{path} is not a whatsapp-mcp (whatsmeow bridge) messages.db: {detail}")]
    NotWhatsmeow { path: String, detail: String },
    #[error("cannot read the whatsmeow database {path}: {source}")]
    Source {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{path} does not look like a WhatsApp chat export: {detail}")]
    NotAnExport { path: String, detail: String },
    #[error(
        "{path} is a zip archive, which this build cannot open: unzip it and import the folder (or the .txt in it)"
    )]
    Zip { path: String },
    #[error("cannot tell the chat's name from {path}; give it one (--chat-name) or give its JID (--chat-jid)")]
    NoChatName { path: String },
    #[error("no one is named `{name}` in the export; the senders are: {senders}")]
    UnknownMe { name: String, senders: String },
    #[error("`{0}` is not a chat JID (expected e.g. 14155550198@s.whatsapp.net or 120363025246125244@g.us)")]
    BadChatJid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ImportError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::NotFound {
            Self::NotFound {
                path: path.display().to_string(),
            }
        } else {
            Self::Io {
                path: path.display().to_string(),
                source,
            }
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ImportReport {
    /// Messages read from the source.
    pub messages_read: usize,
    /// Of those, how many the store did not hold yet.
    pub messages_new: usize,
    /// Rows or lines that could not be turned into a message (unparseable, no chat,
    /// bad timestamp, status updates, …).
    pub skipped: usize,
    /// Chats the messages went to.
    pub chats: usize,
    /// Attached files stored in the encrypted media store.
    pub media_stored: usize,
    /// Media messages whose bytes are not in the store: omitted from the export, the
    /// file missing, or (whatsmeow) still on WhatsApp's servers only.
    pub media_missing: usize,
    /// What was assumed or worked around, for the user to check.
    pub notes: Vec<String>,
}

impl ImportReport {
    /// Messages the store already held (an earlier import, or the phone's sync).
    pub fn messages_known(&self) -> usize {
        self.messages_read.saturating_sub(self.messages_new)
    }
}

/// Collects messages into batches and hands each to the ingest path.
struct Sink {
    ingest: Ingest,
    account: AccountId,
    batch: HistoryBatch,
    new: usize,
}

impl Sink {
    /// Fails when the account does not exist.
    fn open(store: &Store, account: &AccountId) -> Result<Self, ImportError> {
        if store.read(|c| store::accounts::get(c, account))?.is_none() {
            return Err(ImportError::UnknownAccount(account.clone()));
        }
        Ok(Self {
            ingest: Ingest {
                store: store.clone(),
                // History raises no events and touches no presence: a private bus will do.
                bus: EventBus::with_capacity(16),
                presence: Presence::default(),
            },
            account: account.clone(),
            batch: HistoryBatch::default(),
            new: 0,
        })
    }

    fn store(&self) -> &Store {
        &self.ingest.store
    }

    fn message(&mut self, m: WaMessage) -> Result<(), ImportError> {
        self.batch.messages.push(m);
        if self.batch.messages.len() >= BATCH {
            self.flush()?;
        }
        Ok(())
    }

    fn contact(&mut self, c: WaContact) {
        self.batch.contacts.push(c);
    }

    fn chat(&mut self, meta: WaChatMeta) {
        self.batch.chats.push(meta);
    }

    fn flush(&mut self) -> Result<(), ImportError> {
        let batch = std::mem::take(&mut self.batch);
        if batch.messages.is_empty() && batch.contacts.is_empty() && batch.chats.is_empty() {
            return Ok(());
        }
        let new = self.ingest.history(&self.account, &batch)?.new;
        tracing::info!(
            account = %self.account,
            messages = batch.messages.len(),
            new,
            "imported a batch"
        );
        self.new += new;
        Ok(())
    }

    /// Whether the account has no chat with `jid` yet.
    fn chat_is_new(&self, jid: &Jid) -> Result<bool, ImportError> {
        Ok(self
            .store()
            .read(|c| store::chats::find_by_jid(c, &self.account, jid))?
            .is_none())
    }

    /// Whether the account knows no name for the person `jid`.
    fn person_is_unnamed(&self, jid: &Jid) -> Result<bool, ImportError> {
        Ok(self
            .store()
            .read(|c| store::contacts::person(c, &self.account, jid))?
            .name
            .is_none())
    }
}

/// Drops the invisible direction marks WhatsApp puts around names and media lines,
/// and turns no-break spaces into spaces.
pub(crate) fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| {
            !matches!(
                c,
                '\u{200e}' | '\u{200f}' | '\u{202a}' | '\u{202b}' | '\u{202c}' | '\u{2068}' | '\u{2069}' | '\u{feff}'
            )
        })
        .map(|c| if matches!(c, '\u{a0}' | '\u{202f}') { ' ' } else { c })
        .collect()
}

/// The first hex characters of the SHA-256 of `parts`, joined unambiguously.
pub(crate) fn digest(parts: &[&str], len: usize) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    let mut out = hex::encode(h.finalize());
    out.truncate(len);
    out
}

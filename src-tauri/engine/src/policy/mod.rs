//! The one gate. Every way into the product asks it, and nothing else decides access:
//! tool calls (`tools::pipeline`), resource reads, lists and subscriptions
//! (`mcp::resources`), pushed notifications (`mcp::session`, `subscriptions/listen`),
//! signed media links (`mcp::media_route`), and what a person does from the window
//! or the command line (`control`).
//!
//! `admit` answers with a `Grant`, which the call then holds: it applies the key's
//! account and chat rules as a handler resolves what the call touches, and takes the
//! rate limit (`charge`, after validation) and the anti-ban send limit.
//!
//! An agent's access is decided from the key as it is now (revoked?), the global
//! pause, the tool switches (a resource or notification needs the tools that read the
//! same data), the key's kind (live/test) against the account's, its chat allowlist,
//! the per-key rate limit and the per-account anti-ban send limit. When the store
//! cannot be read, the gate denies (`server_error`, rule `internal`) and logs why.

mod access;
mod denial;
mod grant;
pub mod limits;
pub mod switches;

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;

pub use access::{tool_for_event, Access, Channel, Resource, ResourceOp, CHAT_TOOLS};
pub use denial::{Denied, Rule};
pub use grant::Grant;
pub use switches::{Permissions, Preset, Scope, Snapshot, ToolState, ToolTraits};

use crate::error::ErrorCode;
use crate::ids::{AccountId, KeyId};
use crate::keys::{Keys, Principal};
use crate::model::AccountKind;
use crate::store::{self, Store};
use limits::Limits;

#[derive(Clone)]
pub struct Policy {
    pub(crate) store: Store,
    keys: Keys,
    /// The settings the gate decides from (the window and CLI change them).
    pub switches: Permissions,
    pub(crate) limits: Arc<Limits>,
    /// An account's kind never changes, so it is read once.
    kinds: Arc<Mutex<HashMap<AccountId, AccountKind>>>,
}

impl Policy {
    pub fn new(store: Store, keys: Keys) -> Self {
        Self {
            switches: Permissions::new(store.clone()),
            store,
            keys,
            limits: Arc::default(),
            kinds: Arc::default(),
        }
    }

    /// May this agent do this? The answer for every way in.
    pub fn admit(&self, who: &Principal, access: Access<'_>) -> Result<Grant, Denied> {
        self.admit_key(&who.key_id, access)
    }

    fn admit_key(&self, key: &KeyId, access: Access<'_>) -> Result<Grant, Denied> {
        let principal = match self.keys.current(key) {
            Ok(Some(p)) => p,
            Ok(None) => return Err(Denied::revoked()),
            Err(e) => return Err(Denied::internal("the API key", &e)),
        };
        let snapshot = self
            .switches
            .snapshot(&principal.key_id)
            .map_err(|e| Denied::internal("the tool switches", &e))?;
        if snapshot.paused {
            return Err(Denied::paused());
        }
        let grant = Grant {
            principal,
            snapshot: Arc::new(snapshot),
            policy: self.clone(),
        };
        match access {
            Access::Tool(name) => {
                if !grant.tool_on(name) {
                    return Err(Denied::tool_off(name, None));
                }
            }
            Access::Resource { resource, .. } => {
                for tool in resource.needs() {
                    if !grant.tool_on(tool) {
                        return Err(Denied::tool_off(tool, Some(resource.describe())));
                    }
                }
                if let Resource::Chat(chat) = resource {
                    grant.chat(chat, chat)?;
                }
            }
            Access::ToolList | Access::ResourceList => {}
            Access::Notify { kind, account, chat } => {
                let tool = tool_for_event(kind);
                if !grant.tool_on(tool) {
                    return Err(Denied::tool_off(tool, Some(kind.as_str())));
                }
                if !grant.sees_account(account)? {
                    return Err(Denied::new(
                        ErrorCode::Forbidden,
                        Rule::AccountKind,
                        "the event is of an account this key does not reach",
                    ));
                }
                // An event with no chat is seen only by keys not limited to chats.
                match chat {
                    Some(c) => grant.chat(c, c)?,
                    None if grant.allowed_chats().is_some() => return Err(Denied::chat_hidden(&"(none)")),
                    None => {}
                }
            }
        }
        Ok(grant)
    }

    /// A download by signed media link: the signature proves which key the link was
    /// made for (by `download_media`), and that key must still be let in to
    /// `download_media` (not revoked, not paused, the tool on).
    pub fn admit_link(&self, key: &KeyId) -> Result<Grant, Denied> {
        self.admit_key(key, Access::Tool("download_media"))
    }

    /// The person at the window or the command line owns the product: their actions
    /// are admitted, paused or not (they resume from there), and recorded.
    pub fn admit_control(channel: Channel, action: &str) {
        tracing::info!(channel = channel.as_str(), action, "control action");
    }

    /// Whether agent access is paused; a store that cannot be read counts as paused.
    pub fn paused(&self) -> bool {
        self.switches.paused().unwrap_or_else(|e| {
            Denied::internal("the pause switch", &e);
            true
        })
    }

    pub(crate) fn account_kind(&self, id: &AccountId) -> Result<Option<AccountKind>, Denied> {
        if let Some(k) = self.kinds.lock().get(id) {
            return Ok(Some(*k));
        }
        let account = self
            .store
            .read(|c| store::accounts::get(c, id))
            .map_err(|e| Denied::internal("the account", &e))?;
        let kind = account.map(|a| a.kind);
        if let Some(k) = kind {
            self.kinds.lock().insert(id.clone(), k);
        }
        Ok(kind)
    }
}

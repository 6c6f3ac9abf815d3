//! What a tool handler works with: the engine and the calling key, with helpers that
//! resolve the IDs agents pass (and enforce what the key may see) in one place.

use std::sync::Arc;

use rusqlite::{Connection, Transaction};

use super::args::ChatRefArg;
use super::progress::Progress;
use crate::engine::Engine;
use crate::error::{ToolError, ToolResult};
use crate::events::Emitter;
use crate::ids::{AccountId, ChatId, MessageId};
use crate::keys::Principal;
use crate::model::{Account, AccountKind};
use crate::store::api_keys::KeyMode;
use crate::store::chats::{self, ChatRef};
use crate::store::messages::{self, MessageRef};
use crate::store::StoreResult;
use crate::wa::{Jid, WaClient};

#[derive(Clone)]
pub struct Ctx {
    pub engine: Arc<Engine>,
    pub principal: Principal,
    pub progress: Progress,
    /// The MCP session, when the transport has one (event subscriptions live there).
    pub session: Option<Arc<dyn super::session::SessionApi>>,
}

impl Ctx {
    /// A context outside any tool call (resources, notification delivery).
    pub fn new(engine: Arc<Engine>, principal: Principal) -> Self {
        Self {
            engine,
            principal,
            progress: Progress::default(),
            session: None,
        }
    }

    /// Whether the key may see events and data of `account`.
    pub fn sees_account(&self, account: &AccountId) -> bool {
        self.engine.accounts.kind_of(account) == Some(self.kind())
    }

    /// The kind of accounts this key reaches.
    pub fn kind(&self) -> AccountKind {
        match self.principal.mode {
            KeyMode::Live => AccountKind::Live,
            KeyMode::Test => AccountKind::Sandbox,
        }
    }

    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> ToolResult<T> {
        Ok(self.engine.store.read(f)?)
    }

    /// One write transaction; the events it emits go out once it commits.
    pub fn write<T>(&self, f: impl FnOnce(&Transaction<'_>, &mut Emitter) -> StoreResult<T>) -> ToolResult<T> {
        Ok(self.engine.bus.write(&self.engine.store, f)?)
    }

    /// Every account this key may use.
    pub fn accounts(&self) -> ToolResult<Vec<Account>> {
        Ok(self.engine.accounts.list(Some(self.kind()))?)
    }

    pub fn account_ids(&self) -> ToolResult<Vec<AccountId>> {
        Ok(self.accounts()?.into_iter().map(|a| a.id).collect())
    }

    /// An account by ID, checked against the key's mode.
    pub fn account_by_id(&self, id: &AccountId) -> ToolResult<Account> {
        let account = self
            .engine
            .accounts
            .get(id)?
            .ok_or_else(|| ToolError::not_found("account", id))?;
        if account.kind != self.kind() {
            return Err(ToolError::forbidden(format!(
                "a {} key may not use {} accounts",
                self.principal.mode.as_str(),
                account.kind.as_str()
            )));
        }
        Ok(account)
    }

    /// The account named, or the key's only account when none is named.
    pub fn account(&self, id: Option<&AccountId>) -> ToolResult<Account> {
        if let Some(id) = id {
            return self.account_by_id(id);
        }
        let mut all = self.accounts()?;
        match all.len() {
            0 => Err(ToolError::not_found(
                match self.kind() {
                    AccountKind::Sandbox => "sandbox account",
                    AccountKind::Live => "live account",
                },
                "(none yet: pair one with pair_account)",
            )),
            1 => Ok(all.remove(0)),
            n => Err(ToolError::invalid(
                "account_id",
                format!(
                    "required: this key reaches {n} accounts ({})",
                    all.iter().map(|a| a.id.as_str()).collect::<Vec<_>>().join(", ")
                ),
            )),
        }
    }

    pub fn client(&self, account: &AccountId) -> ToolResult<Arc<dyn WaClient>> {
        self.engine.accounts.client(account)
    }

    /// A chat the key may see, by chat ID or group ID.
    fn chat_by_id(&self, id: &ChatId, shown_as: &dyn std::fmt::Display) -> ToolResult<ChatRef> {
        let chat = self
            .read(|c| chats::get_ref(c, id))?
            .ok_or_else(|| ToolError::not_found("chat", shown_as))?;
        self.account_by_id(&chat.account_id)?;
        Ok(chat)
    }

    /// An existing chat, however the agent named it.
    pub fn chat(&self, account: Option<&AccountId>, r: &ChatRefArg) -> ToolResult<ChatRef> {
        match r {
            ChatRefArg::Chat(id) => self.chat_by_id(id, id),
            ChatRefArg::Group(g) => self.chat_by_id(&g.chat_id(), g),
            ChatRefArg::Phone(p) => {
                let account = self.account(account)?;
                self.read(|c| chats::find_by_jid(c, &account.id, &Jid::from_phone(p)))?
                    .ok_or_else(|| ToolError::not_found("chat with", p))
            }
        }
    }

    /// Like `chat`, but a phone number with no chat yet opens one, if the number is on
    /// WhatsApp (asked of the network, so this needs a connected account).
    pub async fn chat_or_open(&self, account: Option<&AccountId>, r: &ChatRefArg) -> ToolResult<(ChatRef, bool)> {
        let ChatRefArg::Phone(phone) = r else {
            return Ok((self.chat(account, r)?, false));
        };
        let account = self.account(account)?;
        let jid = Jid::from_phone(phone);
        if let Some(chat) = self.read(|c| chats::find_by_jid(c, &account.id, &jid))? {
            return Ok((chat, false));
        }
        let client = self.client(&account.id)?;
        let checks = client
            .check_numbers(std::slice::from_ref(phone))
            .await
            .map_err(super::wa_error)?;
        let found = checks
            .into_iter()
            .find_map(|c| c.jid)
            .ok_or_else(|| ToolError::not_found("WhatsApp user", format!("{phone} (the number is not on WhatsApp)")))?;
        let chat = self
            .engine
            .bus
            .write(&self.engine.store, |tx, _| chats::ensure(tx, &account.id, &found))?;
        Ok((chat, true))
    }

    /// A message the key may see.
    pub fn message(&self, id: &MessageId) -> ToolResult<MessageRef> {
        let m = self
            .read(|c| messages::get_ref(c, id))?
            .filter(|m| !m.deleted_for_me)
            .ok_or_else(|| ToolError::not_found("message", id))?;
        self.account_by_id(&m.account_id)?;
        Ok(m)
    }
}

//! What a tool handler works with: the engine and the gate's grant for the calling
//! key, with helpers that resolve the IDs agents pass. What the key may see is the
//! grant's to say (`policy`); these helpers only ask it.

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
use crate::policy::Grant;
use crate::store::chats::{self, ChatRef};
use crate::store::messages::{self, MessageRef};
use crate::store::StoreResult;
use crate::wa::{Jid, WaClient};

#[derive(Clone)]
pub struct Ctx {
    pub engine: Arc<Engine>,
    /// What the gate admitted: the key as it is now, and its rules.
    pub grant: Grant,
    pub progress: Progress,
    /// The MCP session, when the transport has one (event subscriptions live there).
    pub session: Option<Arc<dyn super::session::SessionApi>>,
    /// Set when the call carries an idempotency key: sends derive their WhatsApp
    /// message IDs from it, so a retried send is the same message.
    pub idempotency_seed: Option<String>,
}

impl Ctx {
    /// A context outside any tool call (resources), for what the gate admitted.
    pub fn new(engine: Arc<Engine>, grant: Grant) -> Self {
        Self {
            engine,
            grant,
            progress: Progress::default(),
            session: None,
            idempotency_seed: None,
        }
    }

    pub fn principal(&self) -> &Principal {
        self.grant.principal()
    }

    /// Whether the key may see events and data of `account`.
    pub fn sees_account(&self, account: &AccountId) -> ToolResult<bool> {
        Ok(self.grant.sees_account(account)?)
    }

    /// The kind of accounts this key reaches.
    pub fn kind(&self) -> AccountKind {
        self.grant.kind()
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
        self.grant.account(account.kind)?;
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
        Ok(self.engine.accounts.client(account)?)
    }

    /// The chats this key is limited to, if it is.
    pub fn allowed_chats(&self) -> Option<&[ChatId]> {
        self.grant.allowed_chats()
    }

    /// Chats outside a key's allowlist do not exist for it.
    fn visible(&self, chat: ChatRef, shown_as: &dyn std::fmt::Display) -> ToolResult<ChatRef> {
        self.grant.chat(&chat.id, shown_as)?;
        Ok(chat)
    }

    /// A chat the key may see, by chat ID or group ID.
    fn chat_by_id(&self, id: &ChatId, shown_as: &dyn std::fmt::Display) -> ToolResult<ChatRef> {
        let chat = self
            .read(|c| chats::get_ref(c, id))?
            .ok_or_else(|| ToolError::not_found("chat", shown_as))?;
        self.account_by_id(&chat.account_id)?;
        self.visible(chat, shown_as)
    }

    /// An existing chat, however the agent named it.
    pub fn chat(&self, account: Option<&AccountId>, r: &ChatRefArg) -> ToolResult<ChatRef> {
        match r {
            ChatRefArg::Chat(id) => self.chat_by_id(id, id),
            ChatRefArg::Group(g) => self.chat_by_id(&g.chat_id(), g),
            ChatRefArg::Phone(p) => {
                let account = self.account(account)?;
                let chat = self
                    .read(|c| chats::find_by_jid(c, &account.id, &Jid::from_phone(p)))?
                    .ok_or_else(|| ToolError::not_found("chat with", p))?;
                self.visible(chat, p)
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
            return Ok((self.visible(chat, phone)?, false));
        }
        self.grant.start_chat()?;
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
            .filter(|m| !m.deleted_for_me && self.grant.sees_chat(&m.chat_id))
            .ok_or_else(|| ToolError::not_found("message", id))?;
        self.account_by_id(&m.account_id)?;
        Ok(m)
    }
}

impl Ctx {
    /// A person of an account: (account, JID to address them, contact ID if known).
    pub fn person(
        &self,
        account: Option<&AccountId>,
        who: &super::args::PersonArg,
    ) -> ToolResult<(Account, Jid, Option<crate::ids::ContactId>)> {
        use crate::store::contacts;
        match who {
            super::args::PersonArg::Contact(id) => {
                let owner = self
                    .read(|c| contacts::account_of(c, id))?
                    .ok_or_else(|| ToolError::not_found("contact", id))?;
                let account = self.account_by_id(&owner)?;
                let (pn, lid) = self.read(|c| contacts::jids(c, id))?.unwrap_or((None, None));
                let jid = pn.or(lid).ok_or_else(|| ToolError::not_found("contact", id))?;
                self.check_person_visible(&account.id, id)?;
                Ok((account, jid, Some(id.clone())))
            }
            super::args::PersonArg::Phone(p) => {
                let account = self.account(account)?;
                let jid = Jid::from_phone(p);
                let id = self.read(|c| contacts::by_jid(c, &account.id, &jid))?;
                if let Some(id) = &id {
                    self.check_person_visible(&account.id, id)?;
                } else if self.allowed_chats().is_some() {
                    return Err(ToolError::not_found("contact", p));
                }
                Ok((account, jid, id))
            }
        }
    }

    /// A key limited to some chats sees only the people of its 1:1 chats.
    fn check_person_visible(&self, account: &AccountId, contact: &crate::ids::ContactId) -> ToolResult<()> {
        if self.allowed_chats().is_none() {
            return Ok(());
        }
        let chat = self.read(|c| chats::direct_with(c, account, contact))?;
        match chat {
            Some(c) if self.grant.sees_chat(&c) => Ok(()),
            _ => Err(ToolError::not_found("contact", contact)),
        }
    }

    /// The group chat named by a group or chat ID.
    pub fn group(&self, r: &ChatRefArg) -> ToolResult<ChatRef> {
        let chat = self.chat(None, r)?;
        if chat.kind != crate::model::ChatKind::Group {
            return Err(ToolError::invalid("group", "that chat is not a group"));
        }
        Ok(chat)
    }
}

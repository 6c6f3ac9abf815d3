//! Approvals from the window and from `whatsapp-use approvals …`: the pending calls,
//! and a person's answer to one. Both go through here, so both refuse the same
//! mistakes (an unknown ID, an approval answered already); the first answer wins.

use serde::Deserialize;

use super::{ControlError, ControlResult};
use crate::approvals::{self, Answer, ApprovalView, Approvals, Channel};
use crate::ids::{ApprovalId, ChatId, KeyId};
use crate::policy::Policy;
use crate::store::{approvals as table, Store};

/// A person's answer, as the window sends it.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case", tag = "answer")]
pub enum Decision {
    Approve,
    Deny {
        reason: Option<String>,
    },
    /// Approve, and let this key send to this chat without asking from now on.
    AlwaysAllowChat,
}

impl Decision {
    fn answer(self) -> Answer {
        match self {
            Self::Approve => Answer::Approve,
            Self::Deny { reason } => Answer::Deny {
                reason: reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty()),
            },
            Self::AlwaysAllowChat => Answer::AlwaysAllowChat,
        }
    }
}

pub fn list(store: &Store) -> ControlResult<Vec<ApprovalView>> {
    Ok(approvals::pending(store)?)
}

fn id(raw: &str) -> ControlResult<ApprovalId> {
    ApprovalId::parse(raw).map_err(|_| ControlError::invalid(format!("`{raw}` is not an approval ID (apr_…)")))
}

fn channel_name(channel: crate::policy::Channel) -> Channel {
    match channel {
        crate::policy::Channel::Window => Channel::Window,
        crate::policy::Channel::Cli => Channel::Cli,
    }
}

/// Whether the answer counted; otherwise why not.
fn counted(store: &Store, id: &ApprovalId, won: bool) -> ControlResult<()> {
    if won {
        return Ok(());
    }
    match store.read(|c| table::get(c, id))? {
        None => Err(ControlError::invalid(format!("no approval {id}"))),
        Some(a) => Err(ControlError::invalid(format!(
            "approval {id} was answered already ({}{})",
            a.status.as_str(),
            a.channel.map(|c| format!(", from the {c}")).unwrap_or_default()
        ))),
    }
}

/// The window's answer: the waiting call goes on at once.
pub fn decide(approvals: &Approvals, store: &Store, raw: &str, decision: Decision) -> ControlResult<()> {
    let id = id(raw)?;
    Policy::admit_control(crate::policy::Channel::Window, "approvals.answer");
    let won = approvals.answer(&id, &decision.answer(), Channel::Window)?;
    counted(store, &id, won)
}

/// An answer from another process (the command line): the running app notices it.
pub fn decide_from(store: &Store, channel: crate::policy::Channel, raw: &str, decision: Decision) -> ControlResult<()> {
    let id = id(raw)?;
    Policy::admit_control(channel, "approvals.answer");
    let won = approvals::answer(store, &id, &decision.answer(), channel_name(channel))?;
    counted(store, &id, won)
}

/// "Always allow this key in this chat", as the Permissions page lists it.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AllowanceView {
    pub key_id: KeyId,
    pub key_name: Option<String>,
    pub chat_id: ChatId,
    pub chat_name: Option<String>,
}

/// The chats each key may send to without asking (the Permissions page).
pub fn allowances(store: &Store) -> ControlResult<Vec<AllowanceView>> {
    Ok(store.read(|c| {
        table::allowances(c)?
            .into_iter()
            .map(|(key_id, chat_id)| {
                let key_name = crate::store::api_keys::get(c, &key_id)?.map(|k| k.name);
                let chat_name =
                    crate::store::chats::get(c, &chat_id)?.and_then(|ch| ch.name.or(ch.phone.map(|p| p.to_string())));
                Ok(AllowanceView {
                    key_id,
                    key_name,
                    chat_id,
                    chat_name,
                })
            })
            .collect()
    })?)
}

/// Takes back an "always allow this key in this chat".
pub fn revoke_allowance(store: &Store, key: &KeyId, chat: &ChatId) -> ControlResult<()> {
    Policy::admit_control(crate::policy::Channel::Window, "approvals.revoke_allowance");
    if store.write(|tx| table::disallow(tx, key, chat))? {
        Ok(())
    } else {
        Err(ControlError::invalid("no such allowance"))
    }
}

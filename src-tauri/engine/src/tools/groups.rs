//! Group tools: create, read, update, participants and roles, invite links, leave.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use super::args::{check_idempotency_key, ChatRefArg, PersonArg, Problems, Validate};
use super::output::project;
use super::{tool, wa_error, Ctx, Effect, Family, Output, ToolSpec};
use crate::error::{ToolError, ToolResult};
use crate::events::EventType;
use crate::ids::{AccountId, MediaId};
use crate::ingest::{apply_group_change, participants_changed};
use crate::store::chats::{self, ChatRef};
use crate::store::{groups, Heard};
use crate::time::now_ms;
use crate::wa::{GroupChange, GroupInfoChange, Jid, ParticipantAction, WaClient};

pub const MAX_SUBJECT: usize = 100;
pub const MAX_DESCRIPTION: usize = 2048;
/// People added per call.
const MAX_ADD: usize = 50;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateArgs {
    /// The group's name (1 to 100 characters).
    subject: String,
    /// Who to add: phone numbers (E.164) or contact IDs.
    participants: Vec<PersonArg>,
    account_id: Option<AccountId>,
    idempotency_key: Option<String>,
}

impl Validate for CreateArgs {
    fn validate(&self, p: &mut Problems) {
        let n = self.subject.trim().chars().count();
        if n == 0 || n > MAX_SUBJECT {
            p.push(("subject".into(), format!("1 to {MAX_SUBJECT} characters")));
        }
        if self.participants.is_empty() || self.participants.len() > MAX_ADD {
            p.push(("participants".into(), format!("1 to {MAX_ADD} people")));
        }
        check_idempotency_key(self.idempotency_key.as_deref(), p);
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupArg {
    /// The group: its group ID (grp_…) or chat ID.
    group: ChatRefArg,
}
impl Validate for GroupArg {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListParticipantsArgs {
    group: ChatRefArg,
    /// Only these fields of each participant (e.g. ["name", "role"]).
    fields: Option<Vec<String>>,
}
impl Validate for ListParticipantsArgs {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateArgs {
    group: ChatRefArg,
    /// A new name (1 to 100 characters).
    subject: Option<String>,
    /// A new description (empty removes it).
    description: Option<String>,
    /// A new picture: an image from upload_media.
    picture_media_id: Option<MediaId>,
    idempotency_key: Option<String>,
}

impl Validate for UpdateArgs {
    fn validate(&self, p: &mut Problems) {
        if self.subject.is_none() && self.description.is_none() && self.picture_media_id.is_none() {
            p.push((
                "subject".into(),
                "give `subject`, `description` or `picture_media_id`".into(),
            ));
        }
        if let Some(s) = &self.subject {
            let n = s.trim().chars().count();
            if n == 0 || n > MAX_SUBJECT {
                p.push(("subject".into(), format!("1 to {MAX_SUBJECT} characters")));
            }
        }
        if self
            .description
            .as_ref()
            .is_some_and(|d| d.chars().count() > MAX_DESCRIPTION)
        {
            p.push(("description".into(), format!("at most {MAX_DESCRIPTION} characters")));
        }
        check_idempotency_key(self.idempotency_key.as_deref(), p);
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddArgs {
    group: ChatRefArg,
    /// Who to add: phone numbers (E.164) or contact IDs (up to 50).
    participants: Vec<PersonArg>,
    idempotency_key: Option<String>,
}

impl Validate for AddArgs {
    fn validate(&self, p: &mut Problems) {
        if self.participants.is_empty() || self.participants.len() > MAX_ADD {
            p.push(("participants".into(), format!("1 to {MAX_ADD} people")));
        }
        check_idempotency_key(self.idempotency_key.as_deref(), p);
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipantArgs {
    group: ChatRefArg,
    /// The participant: phone number (E.164) or contact ID.
    participant: PersonArg,
    idempotency_key: Option<String>,
}
impl Validate for ParticipantArgs {
    fn validate(&self, p: &mut Problems) {
        check_idempotency_key(self.idempotency_key.as_deref(), p);
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteArgs {
    group: ChatRefArg,
    /// Revoke the current link and make a new one.
    #[serde(default)]
    reset: bool,
    idempotency_key: Option<String>,
}
impl Validate for InviteArgs {
    fn validate(&self, p: &mut Problems) {
        check_idempotency_key(self.idempotency_key.as_deref(), p);
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LeaveArgs {
    group: ChatRefArg,
    idempotency_key: Option<String>,
}
impl Validate for LeaveArgs {
    fn validate(&self, p: &mut Problems) {
        check_idempotency_key(self.idempotency_key.as_deref(), p);
    }
}

fn group_json(ctx: &Ctx, chat: &ChatRef) -> ToolResult<serde_json::Value> {
    let g = ctx
        .read(|c| groups::get(c, &chat.id))?
        .ok_or_else(|| ToolError::not_found("group", chat.id.group_id()))?;
    Ok(serde_json::to_value(g).unwrap_or_default())
}

/// Asks the network for the group's current state and stores it (when connected).
async fn refresh(ctx: &Ctx, chat: &ChatRef) -> ToolResult<()> {
    let Ok(client) = ctx.client(&chat.account_id) else {
        return Ok(());
    };
    match client.group_info(&chat.jid).await {
        Ok(info) => ctx.write(|tx, _| groups::upsert(tx, chat, &info, Heard::Live(now_ms()))),
        // Not a member any more: keep the history, say so.
        Err(crate::wa::WaError::NotAllowed(_)) => ctx.write(|tx, _| groups::mark_left(tx, &chat.id, now_ms())),
        Err(e) => Err(wa_error(e)),
    }
}

fn jids_of(ctx: &Ctx, account: &AccountId, people: &[PersonArg]) -> ToolResult<Vec<Jid>> {
    people
        .iter()
        .map(|p| ctx.person(Some(account), p).map(|(_, jid, _)| jid))
        .collect()
}

async fn client_for(ctx: &Ctx, chat: &ChatRef) -> ToolResult<std::sync::Arc<dyn WaClient>> {
    ctx.client(&chat.account_id)
}

async fn create_group(ctx: Ctx, a: CreateArgs) -> ToolResult<Output> {
    if ctx.allowed_chats().is_some() {
        return Err(ToolError::forbidden(
            "this key may only use the chats it was given; it cannot create groups",
        ));
    }
    let account = ctx.account(a.account_id.as_ref())?;
    let people = jids_of(&ctx, &account.id, &a.participants)?;
    let client = ctx.client(&account.id)?;
    let info = client.create_group(a.subject.trim(), &people).await.map_err(wa_error)?;
    let me = account.jid.clone();
    let (chat, group) = ctx.write(|tx, em| {
        let chat = chats::ensure(tx, &account.id, &info.jid)?;
        groups::upsert(tx, &chat, &info, Heard::Live(now_ms()))?;
        chats::on_message(tx, &chat.id, now_ms(), false)?;
        let g = groups::get(tx, &chat.id)?;
        let by = me
            .map(|m| crate::store::contacts::person(tx, &account.id, &m))
            .transpose()?;
        em.emit(
            tx,
            EventType::GroupCreated,
            &account.id,
            Some(&chat.id),
            now_ms(),
            json!({ "group": g, "by": by }),
        )?;
        Ok((chat, g))
    })?;
    let participants = ctx.read(|c| groups::participants(c, &chat.id, &account.id))?;
    Ok(Output::json(json!({ "group": group, "participants": participants }))?.untrusted())
}

async fn get_group(ctx: Ctx, a: GroupArg) -> ToolResult<Output> {
    let chat = ctx.group(&a.group)?;
    refresh(&ctx, &chat).await?;
    Ok(Output::json(json!({ "group": group_json(&ctx, &chat)? }))?.untrusted())
}

async fn list_group_participants(ctx: Ctx, a: ListParticipantsArgs) -> ToolResult<Output> {
    let chat = ctx.group(&a.group)?;
    refresh(&ctx, &chat).await?;
    let list = ctx.read(|c| groups::participants(c, &chat.id, &chat.account_id))?;
    Ok(
        Output::json(json!({ "group_id": chat.id.group_id(), "participants": project(&list, a.fields.as_deref()) }))?
            .untrusted(),
    )
}

async fn update_group(ctx: Ctx, a: UpdateArgs) -> ToolResult<Output> {
    let chat = ctx.group(&a.group)?;
    let picture = a
        .picture_media_id
        .as_ref()
        .map(|id| -> ToolResult<Vec<u8>> {
            super::media::visible_media(&ctx, id)?;
            let bytes = ctx.read(|c| crate::store::media::read_all(c, id))?;
            crate::media::profile_jpeg(&bytes)
        })
        .transpose()?;
    let client = client_for(&ctx, &chat).await?;
    let mut changes = Vec::new();
    if let Some(s) = &a.subject {
        client
            .update_group(&chat.jid, &GroupChange::Subject(s.trim().to_owned()))
            .await
            .map_err(wa_error)?;
        changes.push(GroupInfoChange::Subject(s.trim().to_owned()));
    }
    if let Some(d) = &a.description {
        let d = Some(d.clone()).filter(|d| !d.trim().is_empty());
        client
            .update_group(&chat.jid, &GroupChange::Description(d.clone()))
            .await
            .map_err(wa_error)?;
        changes.push(GroupInfoChange::Description(d));
    }
    if let Some(jpeg) = picture {
        client
            .update_group(&chat.jid, &GroupChange::Picture(jpeg))
            .await
            .map_err(wa_error)?;
        changes.push(GroupInfoChange::Picture);
    }
    let me = ctx.account_by_id(&chat.account_id)?.jid;
    ctx.write(|tx, em| {
        let by = me
            .map(|m| crate::store::contacts::person(tx, &chat.account_id, &m))
            .transpose()?;
        for change in &changes {
            let change = apply_group_change(tx, &chat.id, change, now_ms())?;
            em.emit(
                tx,
                EventType::GroupUpdated,
                &chat.account_id,
                Some(&chat.id),
                now_ms(),
                json!({ "group_id": chat.id.group_id(), "change": change, "by": by }),
            )?;
        }
        Ok(())
    })?;
    Ok(Output::json(json!({ "group": group_json(&ctx, &chat)? }))?.untrusted())
}

/// Adds, removes, promotes or demotes; returns per person whether it worked.
async fn change(
    ctx: &Ctx,
    chat: &ChatRef,
    action: ParticipantAction,
    people: &[PersonArg],
) -> ToolResult<Vec<serde_json::Value>> {
    let jids = jids_of(ctx, &chat.account_id, people)?;
    let client = client_for(ctx, chat).await?;
    let results = client
        .change_participants(&chat.jid, action, &jids)
        .await
        .map_err(wa_error)?;
    let done: Vec<Jid> = results
        .iter()
        .filter(|r| r.error.is_none())
        .map(|r| r.jid.clone())
        .collect();
    let me = ctx.account_by_id(&chat.account_id)?.jid;
    if !done.is_empty() {
        ctx.write(|tx, em| participants_changed(tx, em, &chat.account_id, chat, action, &done, me.as_ref(), now_ms()))?;
    }
    ctx.read(|c| {
        results
            .iter()
            .map(|r| {
                let person = crate::store::contacts::person(c, &chat.account_id, &r.jid)?;
                Ok(json!({ "participant": person, "ok": r.error.is_none(), "error": r.error }))
            })
            .collect()
    })
}

/// One participant's change: its failure is the call's failure.
async fn change_one(ctx: Ctx, a: ParticipantArgs, action: ParticipantAction) -> ToolResult<Output> {
    let chat = ctx.group(&a.group)?;
    let mut results = change(&ctx, &chat, action, std::slice::from_ref(&a.participant)).await?;
    let r = results.pop().unwrap_or_default();
    if let Some(err) = r.get("error").and_then(|e| e.as_str()) {
        return Err(ToolError::invalid("participant", err.to_owned()));
    }
    Ok(
        Output::json(json!({ "group_id": chat.id.group_id(), "participant": r["participant"], "ok": true }))?
            .untrusted(),
    )
}

async fn add_group_participants(ctx: Ctx, a: AddArgs) -> ToolResult<Output> {
    let chat = ctx.group(&a.group)?;
    let results = change(&ctx, &chat, ParticipantAction::Add, &a.participants).await?;
    Ok(Output::json(json!({ "group_id": chat.id.group_id(), "results": results }))?.untrusted())
}

async fn remove_group_participant(ctx: Ctx, a: ParticipantArgs) -> ToolResult<Output> {
    change_one(ctx, a, ParticipantAction::Remove).await
}

async fn promote_group_participant(ctx: Ctx, a: ParticipantArgs) -> ToolResult<Output> {
    change_one(ctx, a, ParticipantAction::Promote).await
}

async fn demote_group_participant(ctx: Ctx, a: ParticipantArgs) -> ToolResult<Output> {
    change_one(ctx, a, ParticipantAction::Demote).await
}

async fn group_invite_link(ctx: Ctx, a: InviteArgs) -> ToolResult<Output> {
    let chat = ctx.group(&a.group)?;
    let client = client_for(&ctx, &chat).await?;
    let code = client.invite_code(&chat.jid, a.reset).await.map_err(wa_error)?;
    ctx.write(|tx, _| groups::set_invite_code(tx, &chat.id, &code))?;
    Output::json(
        json!({ "group_id": chat.id.group_id(), "link": format!("https://chat.whatsapp.com/{code}"), "reset": a.reset }),
    )
}

async fn leave_group(ctx: Ctx, a: LeaveArgs) -> ToolResult<Output> {
    let chat = ctx.group(&a.group)?;
    let client = client_for(&ctx, &chat).await?;
    client.leave_group(&chat.jid).await.map_err(wa_error)?;
    let me = ctx.account_by_id(&chat.account_id)?.jid;
    if let Some(me) = me {
        ctx.write(|tx, em| {
            participants_changed(
                tx,
                em,
                &chat.account_id,
                &chat,
                ParticipantAction::Remove,
                std::slice::from_ref(&me),
                Some(&me),
                now_ms(),
            )
        })?;
    }
    ctx.write(|tx, _| groups::mark_left(tx, &chat.id, now_ms()))?;
    Output::json(json!({ "left": chat.id.group_id(), "history_kept": true }))
}

pub fn tools() -> Vec<ToolSpec> {
    vec![
        tool("create_group", "Create a group", Family::Groups, Effect::Write,
            "Create a WhatsApp group with a subject and participants (phone numbers or contact IDs); this account becomes its admin.",
            create_group).sends(),
        tool("get_group", "Get a group", Family::Groups, Effect::Read,
            "Get a group by group ID or chat ID: subject, description, owner, creation time, participant count, whether this account is an admin, and its settings.",
            get_group),
        tool("update_group", "Update a group", Family::Groups, Effect::Write,
            "Change a group's subject, description or picture (an image from upload_media). Locked groups need an admin.",
            update_group).sends(),
        tool("list_group_participants", "List group participants", Family::Groups, Effect::Read,
            "List a group's participants with their names, phone numbers and roles (superadmin, admin, member).",
            list_group_participants),
        tool("add_group_participants", "Add group participants", Family::Groups, Effect::Write,
            "Add up to 50 people (phone numbers or contact IDs) to a group; needs admin. Returns, per person, whether it worked and why not.",
            add_group_participants).sends(),
        tool("remove_group_participant", "Remove a group participant", Family::Groups, Effect::Destructive,
            "Remove one participant from a group; needs admin.",
            remove_group_participant).sends(),
        tool("promote_group_participant", "Make a participant admin", Family::Groups, Effect::Write,
            "Make a participant a group admin; needs admin.",
            promote_group_participant).sends(),
        tool("demote_group_participant", "Remove admin rights", Family::Groups, Effect::Write,
            "Turn a group admin back into a plain participant; needs admin.",
            demote_group_participant).sends(),
        tool("group_invite_link", "Get or reset a group's invite link", Family::Groups, Effect::Write,
            "Get the group's invite link (https://chat.whatsapp.com/…), or with `reset` revoke it and make a new one; needs admin.",
            group_invite_link),
        tool("leave_group", "Leave a group", Family::Groups, Effect::Destructive,
            "Leave a group. Its history stays readable here.",
            leave_group).sends(),
    ]
}

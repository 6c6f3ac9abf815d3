//! Contact tools: list and read people (phone number and LID unified), check numbers
//! on WhatsApp, and fetch their pictures and about texts.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use super::args::{check_limit, PersonArg, Problems, Validate};
use super::output::project;
use super::{paging, tool, wa_error, Ctx, Effect, Family, Output, ToolSpec};
use crate::error::{ToolError, ToolResult};
use crate::ids::AccountId;
use crate::media::{self, Owner};
use crate::phone::Phone;
use crate::store::contacts;

const MAX_CHECK: usize = 50;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListArgs {
    account_id: Option<AccountId>,
    /// Only people whose name or number contains this text.
    query: Option<String>,
    /// Items per page: 1 to 200, default 100.
    limit: Option<u32>,
    cursor: Option<String>,
    /// Only these fields of each contact (e.g. ["name", "phone"]).
    fields: Option<Vec<String>>,
}
impl Validate for ListArgs {
    fn validate(&self, p: &mut Problems) {
        check_limit(self.limit, p);
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactArg {
    /// The person: contact ID (ct_…) or phone number (E.164).
    contact: PersonArg,
    /// Which account, when `contact` is a phone number and the key reaches several.
    account_id: Option<AccountId>,
}
impl Validate for ContactArg {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckArgs {
    /// Phone numbers in E.164 form (up to 50).
    phones: Vec<Phone>,
    account_id: Option<AccountId>,
}
impl Validate for CheckArgs {
    fn validate(&self, p: &mut Problems) {
        if self.phones.is_empty() || self.phones.len() > MAX_CHECK {
            p.push(("phones".into(), format!("1 to {MAX_CHECK} numbers")));
        }
    }
}

async fn list_contacts(ctx: Ctx, a: ListArgs) -> ToolResult<Output> {
    let accounts = match &a.account_id {
        Some(id) => vec![ctx.account_by_id(id)?.id],
        None => ctx.account_ids()?,
    };
    let limit = paging::limit(a.limit);
    let after: Option<(String, String)> = a
        .cursor
        .as_deref()
        .map(|c| paging::decode("list_contacts", c))
        .transpose()?;
    let mut page = ctx.read(|c| {
        contacts::list(
            c,
            &accounts,
            a.query.as_deref(),
            ctx.allowed_chats(),
            after.as_ref().map(|(n, i)| (n.as_str(), i.as_str())),
            limit + 1,
        )
    })?;
    let next = (page.len() > limit).then(|| {
        page.truncate(limit);
        let last = page.last().expect("a full page");
        paging::encode("list_contacts", &(contacts::sort_key(last), last.id.as_str()))
    });
    Ok(Output::json(json!({ "contacts": project(&page, a.fields.as_deref()), "next_cursor": next }))?.untrusted())
}

async fn get_contact(ctx: Ctx, a: ContactArg) -> ToolResult<Output> {
    let (account, _, id) = ctx.person(a.account_id.as_ref(), &a.contact)?;
    let id = id.ok_or_else(|| ToolError::not_found("contact", &a.contact))?;
    let contact = ctx
        .read(|c| contacts::get(c, &id))?
        .ok_or_else(|| ToolError::not_found("contact", &id))?;
    let presence = ctx.engine.presence.get(&account.id, &id);
    Ok(Output::json(json!({ "contact": contact, "presence": presence }))?.untrusted())
}

async fn check_whatsapp(ctx: Ctx, a: CheckArgs) -> ToolResult<Output> {
    let account = ctx.account(a.account_id.as_ref())?;
    let client = ctx.client(&account.id)?;
    let checks = client.check_numbers(&a.phones).await.map_err(wa_error)?;
    let results = ctx.write(|tx, _| {
        checks
            .iter()
            .map(|c| {
                let contact_id = match &c.jid {
                    Some(jid) => {
                        let id = contacts::ensure(tx, &account.id, jid)?;
                        contacts::set_on_whatsapp(tx, &id, true, c.is_business)?;
                        Some(id)
                    }
                    None => None,
                };
                Ok(json!({ "phone": c.phone, "on_whatsapp": c.jid.is_some(), "is_business": c.is_business, "contact_id": contact_id }))
            })
            .collect::<Result<Vec<_>, _>>()
    })?;
    Output::json(json!({ "results": results }))
}

async fn get_contact_picture(ctx: Ctx, a: ContactArg) -> ToolResult<Output> {
    let (account, jid, id) = ctx.person(a.account_id.as_ref(), &a.contact)?;
    let client = ctx.client(&account.id)?;
    let Some(picture) = client.profile_picture(&jid).await.map_err(wa_error)? else {
        return Output::json(json!({ "contact_id": id, "has_picture": false }));
    };
    let owner = Owner {
        account: Some(account.id.clone()),
        key: None,
    };
    let store = ctx.engine.store.clone();
    let bytes = picture.bytes.clone();
    let mime = picture.mime.clone();
    let meta = tokio::task::spawn_blocking(move || media::import(&store, &owner, &bytes, Some(&mime), Some("picture")))
        .await
        .map_err(|e| ToolError::server(e.to_string()))??;
    if let Some(id) = &id {
        ctx.write(|tx, _| contacts::set_picture(tx, id, Some(meta.id.as_str())))?;
    }
    Ok(
        Output::json(json!({ "contact_id": id, "has_picture": true, "media": meta }))?
            .with_image(&picture.mime, picture.bytes),
    )
}

async fn get_contact_status(ctx: Ctx, a: ContactArg) -> ToolResult<Output> {
    let (account, jid, id) = ctx.person(a.account_id.as_ref(), &a.contact)?;
    let client = ctx.client(&account.id)?;
    let about = client.about(&jid).await.map_err(wa_error)?;
    let id = match id {
        Some(id) => id,
        None => ctx.write(|tx, _| contacts::ensure(tx, &account.id, &jid))?,
    };
    if let Some(a) = &about {
        ctx.write(|tx, _| contacts::set_about(tx, &id, &a.text, a.set_at))?;
    }
    Ok(Output::json(json!({
        "contact_id": id,
        "about": about.as_ref().map(|a| &a.text),
        "set_at": about.and_then(|a| a.set_at).map(crate::time::to_iso),
    }))?
    .untrusted())
}

pub fn tools() -> Vec<ToolSpec> {
    vec![
        tool("list_contacts", "List contacts", Family::Contacts, Effect::Read,
            "List the people this account knows (each person once, whether WhatsApp names them by phone number or LID), with saved, push and business names; filter by name or number; page with next_cursor.",
            list_contacts),
        tool("get_contact", "Get a contact", Family::Contacts, Effect::Read,
            "Get one person by contact ID or phone number: names, phone, business flag, about text, their 1:1 chat, and last known presence.",
            get_contact),
        tool("check_whatsapp", "Check numbers on WhatsApp", Family::Contacts, Effect::Read,
            "Check up to 50 phone numbers (E.164): which are on WhatsApp, and which are businesses.",
            check_whatsapp),
        tool("get_contact_picture", "Get a contact's picture", Family::Contacts, Effect::Read,
            "Get a person's (or a group's) profile picture as an image, also kept as media (media_id).",
            get_contact_picture),
        tool("get_contact_status", "Get a contact's about text", Family::Contacts, Effect::Read,
            "Get the about text (status line) a person set, and when.",
            get_contact_status),
    ]
}

//! Profile tools: this account's name, about text and picture.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use super::args::{check_idempotency_key, Problems, Validate};
use super::{tool, wa_error, Ctx, Effect, Family, Output, ToolSpec};
use crate::error::ToolResult;
use crate::ids::{AccountId, MediaId};
use crate::model::Account;
use crate::store;

pub const MAX_NAME: usize = 25;
pub const MAX_ABOUT: usize = 139;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountArg {
    account_id: Option<AccountId>,
}
impl Validate for AccountArg {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateArgs {
    /// The name others see (1 to 25 characters).
    name: Option<String>,
    /// The about text (up to 139 characters; empty clears it).
    about: Option<String>,
    account_id: Option<AccountId>,
    idempotency_key: Option<String>,
}

impl Validate for UpdateArgs {
    fn validate(&self, p: &mut Problems) {
        if self.name.is_none() && self.about.is_none() {
            p.push(("name".into(), "give `name` or `about`".into()));
        }
        if let Some(n) = &self.name {
            let len = n.trim().chars().count();
            if len == 0 || len > MAX_NAME {
                p.push(("name".into(), format!("1 to {MAX_NAME} characters")));
            }
        }
        if self.about.as_ref().is_some_and(|a| a.chars().count() > MAX_ABOUT) {
            p.push(("about".into(), format!("at most {MAX_ABOUT} characters")));
        }
        check_idempotency_key(self.idempotency_key.as_deref(), p);
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PictureArgs {
    /// An image from upload_media (cropped to a square, at most 640 px).
    media_id: MediaId,
    account_id: Option<AccountId>,
    idempotency_key: Option<String>,
}
impl Validate for PictureArgs {
    fn validate(&self, p: &mut Problems) {
        check_idempotency_key(self.idempotency_key.as_deref(), p);
    }
}

fn profile(a: &Account) -> serde_json::Value {
    json!({ "account_id": a.id, "phone": a.phone, "name": a.push_name, "about": a.about })
}

async fn get_profile(ctx: Ctx, a: AccountArg) -> ToolResult<Output> {
    let account = ctx.account(a.account_id.as_ref())?;
    Output::json(json!({ "profile": profile(&account) }))
}

async fn update_profile(ctx: Ctx, a: UpdateArgs) -> ToolResult<Output> {
    let account = ctx.account(a.account_id.as_ref())?;
    let client = ctx.client(&account.id)?;
    let name = a.name.as_deref().map(str::trim);
    if let Some(n) = name {
        client.set_push_name(n).await.map_err(wa_error)?;
    }
    if let Some(about) = &a.about {
        client.set_about(about).await.map_err(wa_error)?;
    }
    ctx.write(|tx, _| store::accounts::set_profile(tx, &account.id, name, a.about.as_deref()))?;
    let account = ctx.account_by_id(&account.id)?;
    Output::json(json!({ "profile": profile(&account) }))
}

async fn set_profile_picture(ctx: Ctx, a: PictureArgs) -> ToolResult<Output> {
    let account = ctx.account(a.account_id.as_ref())?;
    super::media::visible_media(&ctx, &a.media_id)?;
    let bytes = ctx.read(|c| store::media::read_all(c, &a.media_id))?;
    let jpeg = crate::media::profile_jpeg(&bytes)?;
    let client = ctx.client(&account.id)?;
    client.set_profile_picture(&jpeg).await.map_err(wa_error)?;
    Output::json(json!({ "account_id": account.id, "picture": "updated", "bytes": jpeg.len() }))
}

pub fn tools() -> Vec<ToolSpec> {
    vec![
        tool(
            "get_profile",
            "Get this account's profile",
            Family::Profile,
            Effect::Read,
            "Get this account's own profile: phone number, the name others see, and the about text.",
            get_profile,
        ),
        tool(
            "update_profile",
            "Update this account's profile",
            Family::Profile,
            Effect::Write,
            "Change the name others see (1 to 25 characters) and/or the about text (up to 139).",
            update_profile,
        )
        .sends(),
        tool(
            "set_profile_picture",
            "Set this account's picture",
            Family::Profile,
            Effect::Write,
            "Set this account's profile picture from an image uploaded with upload_media.",
            set_profile_picture,
        )
        .sends(),
    ]
}

//! `fetch_older_messages`: a chat's messages from before the oldest one here, asked
//! of the account's primary phone (WhatsApp's on-demand history), stored (searchable
//! at once) and returned. A linked device gets only the last months at the link;
//! the phone has the rest.

use std::time::{Duration, Instant};

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use super::args::{ChatRefArg, Problems, Validate};
use super::output::project;
use super::{tool, wa_error, Ctx, Effect, Family, Output, ToolSpec};
use crate::error::{ErrorCode, ToolError, ToolResult};
use crate::ids::AccountId;
use crate::store::chats;
use crate::store::messages::{self, Direction};

const DEFAULT_COUNT: u32 = 50;
const MAX_COUNT: u32 = 100;
const DEFAULT_TIMEOUT_MS: u64 = 30_000;
const MAX_TIMEOUT_MS: u64 = 120_000;
/// How often a waiting call tells a client that asked for progress.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FetchOlderArgs {
    /// The chat: chat ID, group ID, or E.164 phone number for a 1:1 chat.
    chat: ChatRefArg,
    account_id: Option<AccountId>,
    /// How many older messages to ask for: 1 to 100, default 50.
    count: Option<u32>,
    /// How long to wait for the phone, in milliseconds: 1000 to 120000, default 30000.
    timeout_ms: Option<u64>,
    /// Only these fields of each message (e.g. ["text", "sender.name", "timestamp"]); `id` always included.
    fields: Option<Vec<String>>,
}

impl Validate for FetchOlderArgs {
    fn validate(&self, p: &mut Problems) {
        if self.count.is_some_and(|c| !(1..=MAX_COUNT).contains(&c)) {
            p.push(("count".into(), format!("must be between 1 and {MAX_COUNT}")));
        }
        if self.timeout_ms.is_some_and(|t| !(1000..=MAX_TIMEOUT_MS).contains(&t)) {
            p.push((
                "timeout_ms".into(),
                format!("must be between 1000 and {MAX_TIMEOUT_MS}"),
            ));
        }
    }
}

async fn fetch_older_messages(ctx: Ctx, a: FetchOlderArgs) -> ToolResult<Output> {
    let chat = ctx.chat(a.account_id.as_ref(), &a.chat)?;
    let count = a.count.unwrap_or(DEFAULT_COUNT);
    let timeout = Duration::from_millis(a.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS));
    let oldest = ctx.read(|c| messages::oldest_key(c, &chat.id))?;
    let answered = |messages: Vec<crate::model::Message>, complete: bool| {
        Output::json(json!({
            "chat_id": chat.id,
            "messages": project(&messages, a.fields.as_deref()),
            "complete": complete,
            "older_on_phone": !complete,
        }))
        .map(Output::untrusted)
    };
    // The phone said it has nothing older: no need to ask again.
    if ctx.read(|c| chats::older_on_phone(c, &chat.id))? == Some(false) {
        return answered(Vec::new(), true);
    }
    let client = ctx.client(&chat.account_id)?;
    let request = client
        .request_older(&chat.jid, oldest.as_ref().map(|(key, (ts, _))| (key, *ts)), count)
        .await
        .map_err(wa_error)?;

    let started = Instant::now();
    let answer = loop {
        let left = timeout.saturating_sub(started.elapsed());
        let wait = left.min(PROGRESS_EVERY);
        if let Some(answer) = ctx.engine.accounts.older_answer(&request, wait).await {
            break Some(answer);
        }
        if started.elapsed() >= timeout {
            break None;
        }
        let waited = started.elapsed().as_secs_f64();
        ctx.progress
            .report(waited, Some(timeout.as_secs_f64()), "waiting for the phone")
            .await;
    };
    let Some(answer) = answer else {
        return Err(ToolError::new(
            ErrorCode::PhoneUnreachable,
            format!(
                "the phone did not answer within {} ms (is it on and online?); the request stays open, \
                 and a late answer is stored and announced as history.synced",
                timeout.as_millis()
            ),
        ));
    };
    let anchor = oldest.map(|(_, position)| position);
    let (mut page, _) = ctx.read(|c| messages::page(c, &chat.id, anchor, Direction::Back, count as usize))?;
    // Newest first, as the page comes.
    page.sort_by_key(|m| std::cmp::Reverse(m.timestamp));
    let complete = answer.received == 0 || answer.more == Some(false);
    if complete {
        ctx.write(|tx, _| chats::set_older_on_phone(tx, &chat.id, false))?;
    }
    answered(page, complete)
}

pub fn tools() -> Vec<ToolSpec> {
    vec![tool(
        "fetch_older_messages",
        "Fetch older messages from the phone",
        Family::Chats,
        Effect::Read,
        "Ask the account's phone for a chat's messages from before the oldest one stored here (a linked device \
         gets only recent history when it links). Waits for the phone (`timeout_ms`, default 30 s), stores what \
         arrives (searchable at once) and returns it newest first; call again to page back further. \
         `complete: true` means the phone has nothing older. `list_messages` says `older_on_phone` when \
         there is more to fetch.",
        fetch_older_messages,
    )]
}

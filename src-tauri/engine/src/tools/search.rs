//! `search_messages`: full-text search over all history, case- and accent-insensitive,
//! ranked, with highlighted snippets and filters.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use super::args::{ChatRefArg, PersonArg, Problems, Validate};
use super::{paging, tool, Ctx, Effect, Family, Output, ToolSpec};
use crate::error::{ToolError, ToolResult};
use crate::ids::AccountId;
use crate::model::MessageType;
use crate::store::search::{self, SearchQuery};
use crate::time::parse_iso;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchArgs {
    /// Words to find (all must match; accents and case do not matter). "Quoted phrases"
    /// match as phrases; a trailing * matches prefixes (orç*).
    query: String,
    account_id: Option<AccountId>,
    /// Only in these chats (chat IDs, group IDs or phone numbers).
    chats: Option<Vec<ChatRefArg>>,
    /// Only messages by this person (contact ID or phone number).
    sender: Option<PersonArg>,
    /// Only own messages (true) or only others' (false).
    from_me: Option<bool>,
    /// From this time (ISO 8601), inclusive.
    from: Option<String>,
    /// Until this time (ISO 8601), exclusive.
    to: Option<String>,
    /// Only these message types (text, image, video, audio, document, location, contact, …).
    types: Option<Vec<MessageType>>,
    /// Results per page: 1 to 200, default 50.
    limit: Option<u32>,
    cursor: Option<String>,
    /// Only these fields of each result's message (e.g. ["text", "chat_id", "timestamp"]).
    fields: Option<Vec<String>>,
}

impl Validate for SearchArgs {
    fn validate(&self, p: &mut Problems) {
        if self.query.chars().count() > 500 {
            p.push(("query".into(), "at most 500 characters".into()));
        } else if search::fts_query(&self.query).is_none() {
            p.push(("query".into(), "give at least one word to search for".into()));
        }
        for (name, v) in [("from", &self.from), ("to", &self.to)] {
            if v.as_deref().is_some_and(|t| parse_iso(t).is_none()) {
                p.push((
                    name.into(),
                    "an ISO 8601 time, e.g. 2026-11-01 or 2026-11-01T09:00:00Z".into(),
                ));
            }
        }
        super::args::check_limit(self.limit, p);
    }
}

async fn search_messages(ctx: Ctx, a: SearchArgs) -> ToolResult<Output> {
    let fts = search::fts_query(&a.query).ok_or_else(|| ToolError::invalid("query", "nothing to search for"))?;
    let accounts = match &a.account_id {
        Some(id) => vec![ctx.account_by_id(id)?.id],
        None => ctx.account_ids()?,
    };
    let mut chats: Option<Vec<_>> = a
        .chats
        .as_ref()
        .map(|list| {
            list.iter()
                .map(|c| ctx.chat(a.account_id.as_ref(), c).map(|r| r.id))
                .collect::<Result<_, _>>()
        })
        .transpose()?;
    if chats.is_none() {
        chats = ctx.allowed_chats().map(<[_]>::to_vec);
    }
    let sender = a
        .sender
        .as_ref()
        .map(|s| ctx.person(a.account_id.as_ref(), s))
        .transpose()?;
    let sender_id = match &sender {
        // Someone we never heard from wrote nothing here.
        Some((_, _, None)) => return Output::json(json!({ "results": [], "next_cursor": null })),
        Some((_, _, Some(id))) => Some(id.clone()),
        None => None,
    };
    let limit = a.limit.map_or(50, |l| l as usize);
    let offset: usize = a
        .cursor
        .as_deref()
        .map(|c| paging::decode("search_messages", c))
        .transpose()?
        .unwrap_or(0);
    let q = SearchQuery {
        accounts: &accounts,
        chats: chats.as_deref(),
        sender: sender_id.as_ref(),
        from_me: a.from_me,
        from: a.from.as_deref().and_then(parse_iso),
        to: a.to.as_deref().and_then(parse_iso),
        types: a.types.as_deref(),
        limit: limit + 1,
        offset,
    };
    let store = ctx.engine.store.clone();
    let fts2 = fts.clone();
    let mut hits = tokio::task::block_in_place(|| store.read(|c| search::search(c, &fts2, &q)))?;
    let next = (hits.len() > limit).then(|| {
        hits.truncate(limit);
        paging::encode("search_messages", &(offset + limit))
    });
    let results: Vec<serde_json::Value> = hits
        .iter()
        .map(|h| {
            let message = super::output::project(std::slice::from_ref(&h.message), a.fields.as_deref()).remove(0);
            json!({ "message": message, "snippet": h.snippet, "score": (h.score * 1000.0).round() / 1000.0 })
        })
        .collect();
    Ok(Output::json(json!({ "results": results, "next_cursor": next }))?.untrusted())
}

pub fn tools() -> Vec<ToolSpec> {
    vec![tool("search_messages", "Search messages", Family::Search, Effect::Read,
        "Search all message text and captions, across chats and accounts, case- and accent-insensitively (orcamento finds orçamento). Filter by account, chats, sender, own or others', time range and type. Results are ranked (for words found in very many messages, among the 1,000 most recently stored matches), with a snippet where matches are between « and ».",
        search_messages)]
}

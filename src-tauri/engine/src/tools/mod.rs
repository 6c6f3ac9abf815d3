//! The tools agents call. Each tool is one small handler over typed arguments; every
//! call goes through the same pipeline (see `pipeline`).

mod accounts;
pub mod approve;
pub mod args;
mod chats;
mod contacts;
mod context;
mod events;
mod groups;
pub mod media;
mod messages;
mod older;
pub mod output;
pub mod paging;
mod pipeline;
mod presence;
mod profile;
pub mod progress;
mod search;
pub mod session;

use std::collections::HashMap;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

pub use approve::{Question, Rounds};
pub use args::Validate;
pub use context::Ctx;
pub use output::Output;
pub use pipeline::{call, CallOutcome, Caller, InFlight};

use crate::accounts::AccountError;
use crate::error::{ErrorCode, ToolError, ToolResult};
use crate::wa::WaError;

/// Tool families, as the window groups permission toggles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum Family {
    Accounts,
    Messages,
    Chats,
    Groups,
    Contacts,
    Media,
    Presence,
    Profile,
    Search,
    Events,
}

/// What a tool does to the world (MCP tool annotations, presets, idempotency).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum Effect {
    Read,
    Write,
    /// Deletes or unlinks something.
    Destructive,
}

#[async_trait]
pub trait Handler: Send + Sync {
    /// Checks the arguments without doing anything.
    fn validate(&self, args: &Value) -> ToolResult<()>;
    async fn call(&self, ctx: Ctx, args: Value) -> ToolResult<Output>;
}

pub struct ToolSpec {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub family: Family,
    pub effect: Effect,
    /// Whether it sends something to other people (the "no-send" preset turns these off).
    pub sends: bool,
    /// Which calls may wait for a person's yes when the tool's switch says `ask`:
    /// those that change what other people see (`None`: none of its calls).
    pub asks: Option<fn(&Value) -> bool>,
    pub input_schema: Arc<Map<String, Value>>,
    handler: Arc<dyn Handler>,
}

struct Typed<A, F> {
    f: F,
    _args: PhantomData<fn(A)>,
}

#[async_trait]
impl<A, F, Fut> Handler for Typed<A, F>
where
    A: DeserializeOwned + Validate + Send + 'static,
    F: Fn(Ctx, A) -> Fut + Send + Sync,
    Fut: Future<Output = ToolResult<Output>> + Send,
{
    fn validate(&self, args: &Value) -> ToolResult<()> {
        parse::<A>(args.clone()).map(|_| ())
    }

    async fn call(&self, ctx: Ctx, args: Value) -> ToolResult<Output> {
        let args = parse::<A>(args)?;
        (self.f)(ctx, args).await
    }
}

/// Parses arguments, naming the bad field on failure, then runs the tool's own checks
/// and reports every problem they find.
pub fn parse<A: DeserializeOwned + Validate>(args: Value) -> ToolResult<A> {
    let args = match args {
        Value::Null => Value::Object(Map::new()),
        other => other,
    };
    let parsed: A = serde_path_to_error::deserialize(&args).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        let field = if let Some(rest) = message.strip_prefix("missing field `") {
            let name = rest.split('`').next().unwrap_or("");
            if path == "." {
                name.to_owned()
            } else {
                format!("{path}.{name}")
            }
        } else if let Some(rest) = message.strip_prefix("unknown field `") {
            // The path already ends at the unknown field.
            if path == "." {
                rest.split('`').next().unwrap_or("").to_owned()
            } else {
                path
            }
        } else if path == "." {
            "arguments".to_owned()
        } else {
            path
        };
        let problem = if message.starts_with("unknown field") {
            format!(
                "unknown argument ({})",
                message
                    .split(", expected")
                    .nth(1)
                    .map(|s| format!("expected{s}"))
                    .unwrap_or_default()
            )
        } else {
            message
        };
        ToolError::invalid(field, problem)
    })?;
    let mut problems = Vec::new();
    parsed.validate(&mut problems);
    if problems.is_empty() {
        Ok(parsed)
    } else {
        Err(ToolError::invalid_fields(problems))
    }
}

fn schema_of<A: JsonSchema>() -> Arc<Map<String, Value>> {
    let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let schema = generator.into_root_schema_for::<A>();
    let mut map = match serde_json::to_value(schema) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    // The dialect is MCP's default (2020-12) and titles are noise in a tool list.
    map.remove("$schema");
    map.remove("title");
    map.entry("type").or_insert_with(|| Value::String("object".into()));
    map.entry("properties").or_insert_with(|| Value::Object(Map::new()));
    Arc::new(map)
}

/// Builds a tool from a typed handler.
pub fn tool<A, F, Fut>(
    name: &'static str,
    title: &'static str,
    family: Family,
    effect: Effect,
    description: &'static str,
    f: F,
) -> ToolSpec
where
    A: DeserializeOwned + JsonSchema + Validate + Send + 'static,
    F: Fn(Ctx, A) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ToolResult<Output>> + Send + 'static,
{
    ToolSpec {
        name,
        title,
        description,
        family,
        effect,
        sends: false,
        asks: None,
        input_schema: schema_of::<A>(),
        handler: Arc::new(Typed { f, _args: PhantomData }),
    }
}

impl ToolSpec {
    /// Checks arguments as a call would, without doing anything.
    pub fn validate(&self, args: &Value) -> ToolResult<()> {
        self.handler.validate(args)
    }

    /// Marks a tool as one that sends something to other people (each call may then
    /// wait for a person's yes).
    pub fn sends(mut self) -> Self {
        self.sends = true;
        self.asks = Some(|_| true);
        self
    }

    /// Marks a tool some of whose calls change what other people see: those `when`
    /// accepts may wait for a person's yes.
    pub fn asks_when(mut self, when: fn(&Value) -> bool) -> Self {
        self.asks = Some(when);
        self
    }

    /// Whether this call waits for a person's yes when the tool's switch says `ask`
    /// (a dry run sends nothing, so it never does).
    pub fn asks(&self, args: &Value) -> bool {
        self.asks.is_some_and(|when| when(args)) && args.get("dry_run") != Some(&Value::Bool(true))
    }
}

/// All tools, in a stable order.
pub struct Registry {
    tools: Vec<ToolSpec>,
    index: HashMap<&'static str, usize>,
}

impl Registry {
    pub fn standard() -> Self {
        let mut tools = Vec::new();
        tools.extend(accounts::tools());
        tools.extend(messages::tools());
        tools.extend(chats::tools());
        tools.extend(older::tools());
        tools.extend(groups::tools());
        tools.extend(contacts::tools());
        tools.extend(media::tools());
        tools.extend(presence::tools());
        tools.extend(profile::tools());
        tools.extend(search::tools());
        tools.extend(events::tools());
        let index = tools.iter().enumerate().map(|(i, t)| (t.name, i)).collect();
        Self { tools, index }
    }

    pub fn all(&self) -> &[ToolSpec] {
        &self.tools
    }

    pub fn get(&self, name: &str) -> Option<&ToolSpec> {
        self.index.get(name).map(|&i| &self.tools[i])
    }

    /// What the presets go by.
    pub fn traits(&self) -> impl Iterator<Item = crate::policy::ToolTraits<'_>> {
        self.tools.iter().map(|t| crate::policy::ToolTraits {
            name: t.name,
            reads_only: t.effect == Effect::Read,
            sends: t.sends,
            askable: t.asks.is_some(),
        })
    }
}

/// The tools a key may see and call: none while agent access is paused, or when the
/// gate cannot decide.
pub fn visible<'a>(engine: &'a crate::engine::Engine, principal: &crate::keys::Principal) -> Vec<&'a ToolSpec> {
    let Ok(grant) = engine.policy.admit(principal, crate::policy::Access::ToolList) else {
        return Vec::new();
    };
    engine.tools.all().iter().filter(|t| grant.tool_on(t.name)).collect()
}

/// The account manager's refusals as the SPEC errors agents see.
impl From<AccountError> for ToolError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::NotFound(id) => ToolError::not_found("account", id),
            AccountError::NotPaired(why) => ToolError::not_paired(why),
            AccountError::LiveUnavailable => ToolError::forbidden(e.to_string()),
            AccountError::Invalid(why) => ToolError::invalid("account_id", why),
            AccountError::Network(e) => wa_error(e),
            AccountError::UnlinkPending(e) => {
                let inner = wa_error(e);
                ToolError {
                    message: format!(
                        "WhatsApp did not confirm the unlink ({}); the device stays linked on the phone \
                         and keeps its keys, and the unlink is sent again when the account reconnects \
                         (or call logout_account again)",
                        inner.message
                    ),
                    ..inner
                }
            }
            AccountError::Store(e) => e.into(),
        }
    }
}

/// How backend failures read to agents: a SPEC code, and the library's or the
/// server's words with addresses, paths, URLs and keys taken out ([`redact`]).
pub fn wa_error(e: WaError) -> ToolError {
    use crate::wa::redact::redact;
    let said = |m: &str| redact(m).into_owned();
    match e {
        WaError::NotConnected => ToolError::not_paired(
            "the account is not connected right now; it reconnects on its own, or call reconnect_account",
        ),
        WaError::LoggedOut => ToolError::not_paired("the account is logged out; call pair_account to link it again"),
        WaError::NotOnWhatsApp(who) => {
            ToolError::new(ErrorCode::NotFound, format!("{} is not on WhatsApp", said(&who)))
        }
        WaError::NotFound(m) => ToolError::new(ErrorCode::NotFound, said(&m)),
        WaError::NotAllowed(m) => ToolError::forbidden(said(&m)),
        WaError::Invalid(m) => ToolError::new(ErrorCode::InvalidRequest, said(&m)),
        WaError::RateLimited { retry_after_ms } => {
            ToolError::rate_limited(retry_after_ms, "WhatsApp is rate-limiting this account")
        }
        WaError::Timeout => ToolError::server("WhatsApp did not answer in time; it is safe to retry"),
        WaError::MediaExpired(m) => ToolError::new(ErrorCode::MediaExpired, said(&m)),
        WaError::PhoneUnreachable => ToolError::new(
            ErrorCode::PhoneUnreachable,
            "the account's phone did not answer in time (is it on and online?); it is safe to retry",
        ),
        WaError::SendFailed { code, .. } => ToolError {
            server_code: Some(code.as_str().into()),
            ..ToolError::new(
                ErrorCode::SendFailed,
                format!("WhatsApp refused the message (error {code}); it is marked failed in the chat"),
            )
        },
        WaError::Other(m) => {
            tracing::warn!(error = %m, "a WhatsApp request failed");
            ToolError::server(format!("{}; it is safe to retry", said(&m)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever the library or the server said, an agent hears a SPEC code and no
    /// address, path or key from it.
    #[test]
    fn backend_failures_name_no_address_path_or_key() {
        let jid = "14155550123@s.whatsapp.net";
        let path = "/home/ana/.local/share/whatsapp-use/whatsapp-use.db";
        let key = "00112233445566778899aabbccddeeff00112233";
        for (e, code) in [
            (
                WaError::Invalid(format!("invalid group request: {jid} is not a participant")),
                "invalid_request",
            ),
            (WaError::NotFound(format!("no session with {jid}")), "not_found"),
            (WaError::NotAllowed(format!("not-authorized for {jid}")), "forbidden"),
            (
                WaError::Other(format!("could not read {path}: key {key} rejected")),
                "server_error",
            ),
            (
                WaError::MediaExpired(format!("https://mmg.whatsapp.net/v/t62/x?oh={key} is gone")),
                "media_expired",
            ),
            (WaError::NotOnWhatsApp(jid.into()), "not_found"),
        ] {
            let out = wa_error(e.clone());
            assert_eq!(out.code.as_str(), code, "{e:?}");
            for secret in [jid, "/home/ana", key, "mmg.whatsapp.net"] {
                assert!(!out.message.contains(secret), "{e:?} -> {}", out.message);
            }
        }
        let pending = ToolError::from(AccountError::UnlinkPending(WaError::Other(format!(
            "IQ to {jid} failed"
        ))));
        assert_eq!(pending.code.as_str(), "server_error");
        assert!(!pending.message.contains(jid), "{}", pending.message);
        assert!(
            pending.message.contains("did not confirm the unlink"),
            "{}",
            pending.message
        );
    }
}

//! `whatsapp-use keys …`

use anyhow::Context;
use wuse_engine::engine::open_store;
use wuse_engine::ids::KeyId;
use wuse_engine::keys::Keys;
use wuse_engine::store::api_keys::KeyMode;

use crate::cli::{Global, KeysCommand};

pub fn run(global: Global, cmd: KeysCommand) -> anyhow::Result<()> {
    let (store, _) = open_store(&global.data_dir())?;
    let keys = Keys::new(store);
    match cmd {
        KeysCommand::Create { live, name, .. } => {
            let mode = if live { KeyMode::Live } else { KeyMode::Test };
            let (record, secret) = keys.create(mode, name.as_deref())?;
            println!("{secret}");
            eprintln!(
                "Created {} key {} (\"{}\"). This is the only time the secret is shown: store it now.",
                mode.as_str(),
                record.id,
                record.name
            );
        }
        KeysCommand::List => {
            let list = keys.list()?;
            if list.is_empty() {
                println!("No keys yet: `whatsapp-use keys create --test`.");
            }
            for k in list {
                let state = match (k.revoked_at, k.last_used_at) {
                    (Some(r), _) => format!("revoked {}", wuse_engine::time::to_iso(r)),
                    (None, Some(u)) => format!("last used {}", wuse_engine::time::to_iso(u)),
                    (None, None) => "never used".into(),
                };
                println!("{}  {:4}  {:24}  {}  {}", k.id, k.mode.as_str(), k.name, k.hint, state);
            }
        }
        KeysCommand::Restrict { id, chats } => {
            let id = KeyId::parse(&id).with_context(|| format!("`{id}` is not a key ID (key_…)"))?;
            let chats = chats
                .iter()
                .map(|c| {
                    wuse_engine::ids::ChatId::parse(c)
                        .or_else(|_| wuse_engine::ids::GroupId::parse(c).map(|g| g.chat_id()))
                        .with_context(|| format!("`{c}` is not a chat or group ID"))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let limit = (!chats.is_empty()).then_some(chats.as_slice());
            if !keys.set_chats(&id, limit)? {
                anyhow::bail!("no key {id}");
            }
            match limit {
                Some(c) => println!("{id} may now see {} chat(s) only.", c.len()),
                None => println!("{id} may see every chat again."),
            }
        }
        KeysCommand::Revoke { id } => {
            let id = KeyId::parse(&id).with_context(|| format!("`{id}` is not a key ID (key_…)"))?;
            if keys.revoke(&id)? {
                println!("Revoked {id}.");
            } else {
                anyhow::bail!("no active key {id}");
            }
        }
    }
    Ok(())
}

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

//! `whatsapp-use tools …` and `whatsapp-use settings …`: the same switches as the
//! window's Permissions and Settings pages.

use anyhow::{bail, Context};
use wuse_engine::engine::open_store;
use wuse_engine::ids::KeyId;
use wuse_engine::tools::permissions::{Permissions, Preset, Scope};
use wuse_engine::tools::Registry;

use crate::cli::{Global, SettingsCommand, ToolsCommand};

fn scope(key: Option<String>) -> anyhow::Result<Scope> {
    Ok(match key {
        Some(k) => Scope::Key(KeyId::parse(&k).with_context(|| format!("`{k}` is not a key ID (key_…)"))?),
        None => Scope::Global,
    })
}

fn check_tools(registry: &Registry, tools: &[String]) -> anyhow::Result<()> {
    if tools.is_empty() {
        bail!("name at least one tool (see `whatsapp-use tools list`)");
    }
    for t in tools {
        if registry.get(t).is_none() {
            bail!("no tool named `{t}`");
        }
    }
    Ok(())
}

pub fn run(global: Global, cmd: ToolsCommand) -> anyhow::Result<()> {
    let (store, _) = open_store(&global.data_dir())?;
    let permissions = Permissions::new(store);
    let registry = Registry::standard();
    match cmd {
        ToolsCommand::List { key } => {
            let scope = scope(key)?;
            let on = match &scope {
                Scope::Key(k) => permissions.effective(k)?,
                Scope::Global => permissions.overrides(&Scope::Global)?.into_iter().collect(),
            };
            if permissions.paused() {
                println!("Agent access is PAUSED (`whatsapp-use tools resume`).");
            }
            for t in registry.all() {
                let state = if on.get(t.name).copied().unwrap_or(true) {
                    "on "
                } else {
                    "off"
                };
                println!("{state}  {:28} {:?}", t.name, t.family);
            }
        }
        ToolsCommand::Enable { tools, key } => {
            check_tools(&registry, &tools)?;
            let scope = scope(key)?;
            for t in &tools {
                permissions.set(&scope, t, true)?;
            }
            println!("Enabled {}.", tools.join(", "));
        }
        ToolsCommand::Disable { tools, key } => {
            check_tools(&registry, &tools)?;
            let scope = scope(key)?;
            for t in &tools {
                permissions.set(&scope, t, false)?;
            }
            println!("Disabled {}.", tools.join(", "));
        }
        ToolsCommand::Preset { name, key } => {
            let preset =
                Preset::parse(&name).with_context(|| format!("no preset `{name}` (all, read_only, no_send, core)"))?;
            permissions.apply_preset(&scope(key)?, preset, &registry)?;
            println!("Applied the {} preset.", preset.as_str());
        }
        ToolsCommand::Pause => {
            permissions.set_paused(true)?;
            println!("Agent access paused: every tool answers `forbidden` until `whatsapp-use tools resume`.");
        }
        ToolsCommand::Resume => {
            permissions.set_paused(false)?;
            println!("Agent access resumed.");
        }
    }
    Ok(())
}

pub fn settings(global: Global, cmd: SettingsCommand) -> anyhow::Result<()> {
    let (store, _) = open_store(&global.data_dir())?;
    match cmd {
        SettingsCommand::List => {
            let rows: Vec<(String, String)> = store.read(|c| {
                let mut stmt = c.prepare("SELECT key, value FROM settings ORDER BY key")?;
                let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
                Ok(rows.collect::<Result<_, _>>()?)
            })?;
            for (k, v) in rows.into_iter().filter(|(k, _)| !k.ends_with("secret")) {
                println!("{k} = {v}");
            }
        }
        SettingsCommand::Set { name, value } => {
            if name.ends_with("secret") {
                bail!("`{name}` cannot be set");
            }
            let v: serde_json::Value =
                serde_json::from_str(&value).with_context(|| format!("`{value}` is not JSON"))?;
            store.write(|tx| wuse_engine::store::settings::set(tx, &name, &v))?;
            println!("{name} = {v}");
        }
    }
    Ok(())
}

pub fn activity(global: Global, limit: usize, tool: Option<String>) -> anyhow::Result<()> {
    let (store, _) = open_store(&global.data_dir())?;
    let entries = store.read(|c| wuse_engine::store::audit::recent(c, None, tool.as_deref(), limit))?;
    for e in entries.iter().rev() {
        println!("{}", serde_json::to_string(e)?);
    }
    Ok(())
}

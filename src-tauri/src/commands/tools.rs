//! `whatsapp-use tools …` and `whatsapp-use settings …`: the same switches as the
//! window's Permissions and Settings pages, through the same `control` functions, so
//! the command line refuses exactly what the window refuses.

use wuse_engine::control::settings::{self, Change};
use wuse_engine::control::tools::{self, Switchboard};
use wuse_engine::control::ControlError;
use wuse_engine::engine::open_store;
use wuse_engine::ids::KeyId;
use wuse_engine::policy::{Channel, Permissions, Scope, ToolState};
use wuse_engine::tools::Registry;

use crate::cli::{Global, SettingsCommand, ToolsCommand};

/// A refusal as the SPEC names it: `invalid_request: no tool named …`.
fn refused(e: ControlError) -> anyhow::Error {
    anyhow::anyhow!("{}: {}", e.code, e.message)
}

fn names(tools: &[String]) -> Vec<&str> {
    tools.iter().map(String::as_str).collect()
}

pub fn run(global: Global, cmd: ToolsCommand) -> anyhow::Result<()> {
    let (store, _) = open_store(&global.data_dir())?;
    let switches = Permissions::new(store);
    let registry = Registry::standard();
    let board = Switchboard {
        switches: &switches,
        tools: &registry,
        channel: Channel::Cli,
    };
    match cmd {
        ToolsCommand::List { key } => {
            let key = match tools::scope(key.as_deref()).map_err(refused)? {
                Scope::Key(k) => Some(k),
                Scope::Global => None::<KeyId>,
            };
            let view = tools::view(&board, key.as_ref()).map_err(refused)?;
            if view.paused {
                println!("Agent access is PAUSED (`whatsapp-use tools resume`).");
            }
            for t in &view.tools {
                println!("{:3}  {:28} {:?}", t.state.as_str(), t.name, t.family);
            }
        }
        ToolsCommand::Enable { tools: names_in, key } => {
            let scope = tools::scope(key.as_deref()).map_err(refused)?;
            tools::set(&board, &scope, &names(&names_in), ToolState::On).map_err(refused)?;
            println!("Enabled {}.", names_in.join(", "));
        }
        ToolsCommand::Disable { tools: names_in, key } => {
            let scope = tools::scope(key.as_deref()).map_err(refused)?;
            tools::set(&board, &scope, &names(&names_in), ToolState::Off).map_err(refused)?;
            println!("Disabled {}.", names_in.join(", "));
        }
        ToolsCommand::Ask { tools: names_in, key } => {
            let scope = tools::scope(key.as_deref()).map_err(refused)?;
            tools::set(&board, &scope, &names(&names_in), ToolState::Ask).map_err(refused)?;
            println!(
                "{} now wait for a person's yes (the window, the agent's client, or `whatsapp-use approvals`).",
                names_in.join(", ")
            );
        }
        ToolsCommand::Preset { name, key } => {
            let preset = tools::parse_preset(&name).map_err(refused)?;
            let scope = tools::scope(key.as_deref()).map_err(refused)?;
            tools::preset(&board, &scope, preset).map_err(refused)?;
            println!("Applied the {} preset.", preset.as_str());
        }
        ToolsCommand::Pause => {
            tools::pause(&board, true).map_err(refused)?;
            println!("Agent access paused: every tool answers `forbidden` until `whatsapp-use tools resume`.");
        }
        ToolsCommand::Resume => {
            tools::pause(&board, false).map_err(refused)?;
            println!("Agent access resumed.");
        }
    }
    Ok(())
}

pub fn settings(global: Global, cmd: SettingsCommand) -> anyhow::Result<()> {
    let (store, _) = open_store(&global.data_dir())?;
    match cmd {
        SettingsCommand::List => {
            for (k, v) in settings::list(&store).map_err(refused)? {
                println!("{k} = {v}");
            }
        }
        SettingsCommand::Set { name, value } => {
            let change = Change::parse(&name, &value).map_err(refused)?;
            settings::apply(&store, Channel::Cli, &[change]).map_err(refused)?;
            println!("{name} = {value}");
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

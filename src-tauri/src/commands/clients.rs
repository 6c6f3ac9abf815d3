//! `whatsapp-use clients …`: the same writers as the window's Clients page.

use anyhow::{bail, Context};
use wuse_engine::clients::{self, ClientId, Env, Server};
use wuse_engine::control::clients::command_path;
use wuse_engine::engine::open_store;
use wuse_engine::keys::{looks_like_key, Keys};
use wuse_engine::policy::{Permissions, Preset, Scope};
use wuse_engine::store::api_keys::KeyMode;
use wuse_engine::tools::Registry;

use crate::cli::{ClientsCommand, Global};

fn client(name: &str) -> anyhow::Result<ClientId> {
    ClientId::parse(name).with_context(|| {
        format!("no client `{name}`: one of claude-desktop, claude-code, cursor, cline, vscode, windsurf, zed")
    })
}

/// The port clients should use: the running owner's, else the configured one.
fn port(global: &Global, store: &wuse_engine::store::Store) -> u16 {
    wuse_engine::owner::read(&global.data_dir())
        .map(|o| o.port)
        .unwrap_or_else(|| {
            store
                .read(|c| wuse_engine::store::settings::get::<u16>(c, wuse_engine::control::settings::PORT_SETTING))
                .ok()
                .flatten()
                .unwrap_or(wuse_engine::config::DEFAULT_PORT)
        })
}

pub fn run(global: Global, cmd: ClientsCommand) -> anyhow::Result<()> {
    let env = Env::current();
    match cmd {
        ClientsCommand::List => {
            for s in clients::statuses(&env) {
                let state = match (&s.unreadable, s.installed, s.detected) {
                    (Some(_), _, _) => "config is not valid JSON",
                    (None, true, _) => "installed",
                    (None, false, true) => "detected",
                    (None, false, false) => "not found",
                };
                println!("{:15} {:24} {}", s.name, state, s.config_path);
            }
        }
        ClientsCommand::Install {
            name,
            key,
            test,
            core,
            dry_run,
        } => {
            let id = client(&name)?;
            let (store, _) = open_store(&global.data_dir())?;
            let keys = Keys::new(store.clone());
            let (secret, new_key) = match key {
                Some(k) => {
                    if looks_like_key(&k).is_none() {
                        bail!("`--key` must be a WhatsApp-Use key (wuse_live_… or wuse_test_…)");
                    }
                    (k, None)
                }
                None => {
                    let mode = if test { KeyMode::Test } else { KeyMode::Live };
                    let (record, secret) = Keys::prepare(mode, Some(clients::catalog_spec(id).name));
                    (secret, Some(record))
                }
            };
            let server = Server {
                url: format!("http://127.0.0.1:{}/mcp", port(&global, &store)),
                command: command_path(),
                api_key: secret,
            };
            let plan = clients::plan(&env, id, &server)?;
            println!(
                "{} {}",
                if plan.creates_file { "Creating" } else { "Changing" },
                plan.path
            );
            println!(
                "--- after ---\n{}",
                plan.after
                    .replace(&server.api_key, &format!("{}…", &server.api_key[..14]))
            );
            if dry_run {
                println!("(dry run: nothing written)");
                return Ok(());
            }
            if let Some(record) = &new_key {
                keys.insert(record)?;
                if core {
                    Permissions::new(store.clone()).apply_preset(
                        &Scope::Key(record.id.clone()),
                        Preset::Core,
                        Registry::standard().traits(),
                    )?;
                }
                println!(
                    "Made key {} ({}) for {}.",
                    record.id,
                    record.hint,
                    clients::catalog_spec(id).name
                );
            }
            let backup = clients::apply(&plan)?;
            if let Some(b) = backup {
                println!("Backup of the old file: {}", b.display());
            }
            println!("Done. Restart {} if it is running.", clients::catalog_spec(id).name);
        }
        ClientsCommand::Remove { name } => {
            let id = client(&name)?;
            match clients::remove_plan(&env, id)? {
                None => println!("WhatsApp-Use is not in {}'s config.", clients::catalog_spec(id).name),
                Some(plan) => {
                    clients::apply(&plan)?;
                    println!("Removed from {} (its key stays until you revoke it).", plan.path);
                }
            }
        }
    }
    Ok(())
}

//! `whatsapp-use clients …`: the same writers as the window's Clients page. Keys are
//! shown cut short unless a person asks to see one (`--show-key`, for a paste).

use anyhow::{bail, Context};
use wuse_engine::clients::{self, Action, ClientId, Env, Server, CLIENTS};
use wuse_engine::control::clients::command_path;
use wuse_engine::engine::open_store;
use wuse_engine::keys::{looks_like_key, Keys};
use wuse_engine::policy::{Permissions, Preset, Scope};
use wuse_engine::store::api_keys::KeyMode;
use wuse_engine::tools::Registry;

use crate::cli::{ClientsCommand, Global, InstallArgs};

fn client(name: &str) -> anyhow::Result<ClientId> {
    ClientId::parse(name).with_context(|| {
        let names: Vec<String> = CLIENTS.iter().map(|c| c.id.cli_name()).collect();
        format!("no client `{name}`: one of {}", names.join(", "))
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

fn list(env: &Env) {
    for spec in CLIENTS {
        let s = clients::status(env, spec);
        let state = match (&s.unreadable, s.installed, s.detected) {
            (Some(_), _, _) => "config unreadable",
            (None, true, _) => "installed",
            (None, false, true) => "detected",
            (None, false, false) => "not found",
        };
        let version = if s.detected { clients::version(env, spec) } else { None };
        let place = s.config_path.unwrap_or_else(|| match s.method {
            clients::Method::Paste => "(paste in its settings)".into(),
            _ => String::new(),
        });
        println!(
            "{:26} {:18} {:10} {}",
            s.cli_name,
            state,
            version.as_deref().unwrap_or("-"),
            place
        );
    }
}

fn install(global: &Global, env: &Env, args: InstallArgs) -> anyhow::Result<()> {
    let id = client(&args.name)?;
    let spec = clients::catalog_spec(id);
    let data_dir = global.data_dir();
    let (store, _) = open_store(&data_dir)?;
    let keys = Keys::new(store.clone());
    let (secret, new_key) = match args.key {
        Some(k) => {
            if looks_like_key(&k).is_none() {
                bail!("`--key` must be a WhatsApp-Use key (wuse_live_… or wuse_test_…)");
            }
            (k, None)
        }
        None => {
            let mode = if args.test { KeyMode::Test } else { KeyMode::Live };
            let (record, secret) = Keys::prepare(mode, Some(spec.name));
            (secret, Some(record))
        }
    };
    let server = Server {
        url: format!("http://127.0.0.1:{}/mcp", port(global, &store)),
        command: command_path(),
        api_key: secret,
        data_dir: (data_dir != wuse_engine::config::default_data_dir()).then(|| data_dir.clone()),
    };
    let plan = clients::plan(env, id, &server)?;
    let shown = plan.masked();
    match &shown.action {
        Action::Write => println!(
            "{} {}\n--- after ---\n{}",
            if plan.creates_file { "Creating" } else { "Changing" },
            plan.path,
            shown.after
        ),
        Action::Run { commands } => {
            println!("{} makes the change itself:", spec.name);
            for argv in commands {
                println!("  {}", argv.join(" "));
            }
        }
        Action::Paste { reason } => {
            if let Some(reason) = reason {
                println!(
                    "{} cannot be changed safely ({reason}); it is left untouched.",
                    plan.path
                );
            }
            println!("{}: {}", spec.name, spec.notes);
        }
        Action::Bundle => println!("Making {}\n--- manifest.json ---\n{}", plan.path, shown.after),
    }
    if args.dry_run {
        println!("(dry run: nothing written)");
        return Ok(());
    }
    // The key first: a config pointing at an unknown key would only fail.
    if let Some(record) = &new_key {
        keys.insert(record)?;
        if args.core {
            Permissions::new(store.clone()).apply_preset(
                &Scope::Key(record.id.clone()),
                Preset::Core,
                Registry::standard().traits(),
            )?;
        }
        println!("Made key {} ({}) for {}.", record.id, record.hint, spec.name);
    }
    let applied = match clients::apply(&plan) {
        Ok(applied) => applied,
        Err(e) => {
            if let Some(record) = &new_key {
                let _ = keys.revoke(&record.id);
            }
            return Err(e.into());
        }
    };
    match &plan.action {
        Action::Write => {
            if let Some(b) = applied.backup {
                println!("The old file is kept as {}", b.display());
            }
            println!("Done. Restart {} if it is running.", spec.name);
        }
        Action::Run { .. } => println!("Done."),
        Action::Paste { .. } if args.show_key => println!("Paste this:\n{}", plan.entry),
        Action::Paste { .. } => println!(
            "Paste this (the key is cut short here; add --show-key to print it whole, or --key to use a key you have):\n{}",
            shown.entry
        ),
        Action::Bundle => {
            println!("Made {} (readable by you only).", plan.path);
            if !args.no_open {
                match clients::open_with_system(std::path::Path::new(&plan.path)) {
                    Ok(()) => println!("Opening it: Claude Desktop asks to install WhatsApp-Use."),
                    Err(e) => println!("Open it with Claude Desktop to install ({e})."),
                }
            }
        }
    }
    Ok(())
}

pub fn run(global: Global, cmd: ClientsCommand) -> anyhow::Result<()> {
    let env = Env::current();
    match cmd {
        ClientsCommand::List => list(&env),
        ClientsCommand::Install(args) => install(&global, &env, args)?,
        ClientsCommand::Remove { name } => {
            let id = client(&name)?;
            let spec = clients::catalog_spec(id);
            match clients::remove_plan(&env, id)? {
                None if spec.method != clients::Method::File => {
                    println!("{} keeps this setting itself: remove WhatsApp-Use there.", spec.name)
                }
                None => println!("WhatsApp-Use is not in {}'s config.", spec.name),
                Some(plan) => {
                    clients::apply(&plan)?;
                    println!("Removed from {} (its key stays until you revoke it).", plan.path);
                }
            }
        }
    }
    Ok(())
}

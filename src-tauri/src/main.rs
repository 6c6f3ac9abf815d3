//! `whatsapp-use`: the desktop tray app, the headless owner (`serve`), the stdio
//! bridge for MCP clients (`mcp`), and key and client management.

#![cfg_attr(all(not(debug_assertions), target_os = "windows"), windows_subsystem = "windows")]

mod cli;
mod commands;
#[cfg(feature = "desktop")]
mod desktop;
mod wa_url;

/// glibc's malloc took 13–24% of a read's CPU in `serve` (README, "Where a read's time
/// goes"): a call makes many small, short-lived allocations, which mimalloc serves from
/// per-thread pages.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;

use cli::{Cli, Command};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let quiet_logs = matches!(
        cli.command,
        Some(
            Command::Mcp(_)
                | Command::Keys(_)
                | Command::Clients(_)
                | Command::Tools(_)
                | Command::Settings(_)
                | Command::Approvals(_)
                | Command::Activity { .. }
                | Command::Check
        )
    );
    commands::init_logging(quiet_logs);
    let result = match cli.command {
        None => commands::desktop_or_serve(cli.global, cli.hidden),
        Some(Command::Serve(args)) => commands::serve::run(cli.global, args),
        Some(Command::Mcp(args)) => commands::mcp::run(cli.global, args),
        Some(Command::Keys(cmd)) => commands::keys::run(cli.global, cmd),
        Some(Command::Clients(cmd)) => commands::clients::run(cli.global, cmd),
        Some(Command::Tools(cmd)) => commands::tools::run(cli.global, cmd),
        Some(Command::Settings(cmd)) => commands::tools::settings(cli.global, cmd),
        Some(Command::Approvals(cmd)) => commands::approvals::run(cli.global, cmd),
        Some(Command::Import(cmd)) => commands::import::run(cli.global, cmd),
        Some(Command::Activity { limit, tool }) => commands::tools::activity(cli.global, limit, tool),
        Some(Command::Check) => commands::check::run(cli.global),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

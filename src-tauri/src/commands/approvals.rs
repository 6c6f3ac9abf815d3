//! `whatsapp-use approvals list | approve ID | deny ID [--reason R]`: the calls
//! waiting for a person's yes, answered from a terminal (for `serve` without a
//! window). They act on the running owner through the store it shares.

use wuse_engine::control::approvals::{self, Decision};
use wuse_engine::engine::open_store;
use wuse_engine::policy::Channel;

use crate::cli::{ApprovalsCommand, Global};

pub fn run(global: Global, cmd: ApprovalsCommand) -> anyhow::Result<()> {
    let (store, _) = open_store(&global.data_dir())?;
    let refused = |e: wuse_engine::control::ControlError| anyhow::anyhow!("{}: {}", e.code, e.message);
    match cmd {
        ApprovalsCommand::List => {
            for a in approvals::list(&store).map_err(refused)? {
                println!("{}", serde_json::to_string(&a)?);
            }
        }
        ApprovalsCommand::Approve { id } => {
            approvals::decide_from(&store, Channel::Cli, &id, Decision::Approve).map_err(refused)?;
            println!("Approved {id}.");
        }
        ApprovalsCommand::Deny { id, reason } => {
            approvals::decide_from(&store, Channel::Cli, &id, Decision::Deny { reason }).map_err(refused)?;
            println!("Denied {id}.");
        }
    }
    Ok(())
}

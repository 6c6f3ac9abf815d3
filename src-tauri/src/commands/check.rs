//! `whatsapp-use check`: is the store whole? (A JSON report; non-zero exit if not.)

use anyhow::bail;
use wuse_engine::engine::open_store;
use wuse_engine::store::check;

use crate::cli::Global;

pub fn run(global: Global) -> anyhow::Result<()> {
    let data_dir = global.data_dir();
    // Opening the store would create an empty one (and a key) where there is none.
    if !data_dir.join(wuse_engine::store::DB_FILE).exists() {
        bail!("no WhatsApp-Use data in {}", data_dir.display());
    }
    let (store, _) = open_store(&data_dir)?;
    let report = check::check(&store)?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    if !report.ok {
        bail!("the store has {} problem(s); see above", report.problems.len());
    }
    Ok(())
}

//! Numbered schema upgrades, applied in order inside one transaction each.
//! `PRAGMA user_version` records the last one applied.

use std::path::Path;

use rusqlite::Connection;

use super::{StoreError, StoreResult};

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("migrations/0001_core.sql")),
    (2, include_str!("migrations/0002_surface.sql")),
    (3, include_str!("migrations/0003_wa_sessions.sql")),
    (4, include_str!("migrations/0004_fts_per_transaction.sql")),
    (5, include_str!("migrations/0005_messages_by_account.sql")),
    (6, include_str!("migrations/0006_chat_folds.sql")),
    (7, include_str!("migrations/0007_message_counts.sql")),
    (8, include_str!("migrations/0008_live_path.sql")),
    (9, include_str!("migrations/0009_approvals.sql")),
];

pub fn latest() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

pub fn run(path: &Path, conn: &mut Connection) -> StoreResult<()> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if current > latest() {
        return Err(StoreError::TooNew {
            path: path.display().to_string(),
            found: current,
            supported: latest(),
        });
    }
    for &(version, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)
            .and_then(|()| tx.pragma_update(None, "user_version", version))
            .map_err(|source| StoreError::Migration { version, source })?;
        tx.commit()?;
        tracing::info!(version, "applied store migration");
    }
    Ok(())
}

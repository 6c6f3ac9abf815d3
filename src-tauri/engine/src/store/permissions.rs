//! Per-tool switches: global (`*`) and per API key. A switch is on, off, or on but
//! asking a person first (`ask`).

use super::Cached;
use std::collections::HashMap;

use rusqlite::{params, Connection};

use super::StoreResult;

pub const GLOBAL: &str = "*";

/// A stored switch: (enabled, ask).
pub type Switch = (bool, bool);

/// The switches set for one scope (tools not listed follow the next level).
pub fn for_scope(c: &Connection, scope: &str) -> StoreResult<HashMap<String, Switch>> {
    let mut stmt = c.prepare_cached("SELECT tool, enabled, ask FROM tool_permissions WHERE scope = ?1")?;
    let rows = stmt.query_map([scope], |r| {
        Ok((r.get::<_, String>(0)?, (r.get::<_, bool>(1)?, r.get::<_, bool>(2)?)))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn set(c: &Connection, scope: &str, tool: &str, (enabled, ask): Switch) -> StoreResult<()> {
    c.exec(
        "INSERT INTO tool_permissions (scope, tool, enabled, ask) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (scope, tool) DO UPDATE SET enabled = excluded.enabled, ask = excluded.ask",
        params![scope, tool, enabled, ask],
    )?;
    Ok(())
}

/// Removes every switch of a scope (back to the defaults, or to the global ones).
pub fn clear(c: &Connection, scope: &str) -> StoreResult<()> {
    c.exec("DELETE FROM tool_permissions WHERE scope = ?1", [scope])?;
    Ok(())
}

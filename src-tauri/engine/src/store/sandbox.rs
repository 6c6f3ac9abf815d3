//! The sandbox network's world (people, groups, offline queues), kept as one JSON
//! document so a restart finds the same people.

use rusqlite::{Connection, OptionalExtension};

use super::{Cached, StoreResult};

pub fn world(c: &Connection) -> StoreResult<Option<String>> {
    Ok(c.one("SELECT state FROM sandbox_world WHERE id = 1", [], |r| r.get(0))
        .optional()?)
}

pub fn save_world(c: &Connection, state: &str) -> StoreResult<()> {
    c.exec(
        "INSERT INTO sandbox_world (id, state) VALUES (1, ?1)
         ON CONFLICT (id) DO UPDATE SET state = excluded.state",
        [state],
    )?;
    Ok(())
}

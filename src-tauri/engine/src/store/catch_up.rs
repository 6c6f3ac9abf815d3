//! What every write transaction does last, before it commits, for the messages it
//! stored: index them for search and count them per account, each in one statement
//! for however many there are (migrations 0004 and 0007). `fts_indexed.seq` is how far
//! both reach; messages at or below it are uncounted and unindexed by triggers when
//! deleted, so a committed message is always searchable and counted exactly once.

use rusqlite::Connection;

use super::{Cached, StoreResult};

/// Adds the messages after `?1` to their accounts' counts. `NOT INDEXED`: for the
/// GROUP BY the planner would rather walk the whole per-account index than read the
/// few new rows by seq (64 ms per send at a million messages instead of microseconds).
const COUNT_NEW: &str = "UPDATE accounts SET message_count = message_count + new.n
     FROM (SELECT account_id, count(*) AS n FROM messages NOT INDEXED WHERE seq > ?1 GROUP BY account_id) AS new
     WHERE accounts.id = new.account_id";

/// With nothing new it is two lookups on the rowid.
pub fn new_messages(c: &Connection) -> StoreResult<()> {
    let (reached, newest): (i64, i64) = c.one(
        "SELECT seq, (SELECT coalesce(max(seq), 0) FROM messages) FROM fts_indexed WHERE id = 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if newest > reached {
        c.exec(
            "INSERT INTO messages_fts (rowid, text) SELECT seq, text FROM messages WHERE seq > ?1 AND text IS NOT NULL",
            [reached],
        )?;
        c.exec(COUNT_NEW, [reached])?;
    }
    // Also when the newest messages were deleted: SQLite hands their seqs out again,
    // and those must count as new.
    if newest != reached {
        c.exec("UPDATE fts_indexed SET seq = ?1 WHERE id = 1", [newest])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The new rows are read by seq, whatever the table holds.
    #[test]
    fn new_messages_are_counted_from_their_seqs_alone() {
        let dir = tempfile::tempdir().unwrap();
        let store = super::super::Store::open(
            &dir.path().join(super::super::DB_FILE),
            crate::secrets::DbKey::generate(),
        )
        .unwrap();
        let plan: Vec<String> = store
            .read(|c| {
                let mut st = c.prepare(&format!("EXPLAIN QUERY PLAN {COUNT_NEW}"))?;
                let rows = st.query_map([0], |r| r.get(3))?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .unwrap();
        assert!(
            plan.iter()
                .any(|l| l.contains("SEARCH messages USING INTEGER PRIMARY KEY (rowid>?)")),
            "{plan:?}"
        );
        assert!(!plan.iter().any(|l| l.contains("messages_by_account")), "{plan:?}");
    }
}

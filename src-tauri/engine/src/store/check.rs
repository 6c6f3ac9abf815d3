//! `whatsapp-use check`: is the store whole? Decryption of every page (SQLCipher's
//! HMACs), SQLite's own structure check, references between tables, and the search
//! index against the messages it indexes. Reads only; repairs nothing.

use serde::Serialize;

use super::{Store, StoreError, StoreResult};

#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// No problem found.
    pub ok: bool,
    /// What is wrong, one line each (empty when `ok`).
    pub problems: Vec<String>,
    pub counts: Counts,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub accounts: i64,
    pub chats: i64,
    pub contacts: i64,
    pub messages: i64,
    /// Stored media agents can see.
    pub media: i64,
    /// Uploads that never finished (removed at the next upload or start).
    pub unfinished_uploads: i64,
    pub events: i64,
}

const ROLLED_BACK: &str = "check: rolled back";

/// At most this many lines per check (a badly damaged file reports thousands).
const MAX_LINES: usize = 20;

pub fn check(store: &Store) -> StoreResult<CheckReport> {
    let mut problems = Vec::new();
    // Pages whose HMAC fails: damage or tampering, which SQLite itself cannot see.
    // Reading such a page makes later steps fail in odd ways, so they only run on a
    // file that decrypts whole.
    let cipher = store.read(|c| lines(c, "PRAGMA cipher_integrity_check"));
    record(&mut problems, "encryption", cipher);
    let audit = store.read(|c| lines(c, "PRAGMA audit.cipher_integrity_check"));
    record(&mut problems, "encryption of the audit log", audit);
    if problems.is_empty() {
        let structure = store.read(|c| lines(c, "PRAGMA integrity_check"));
        record(
            &mut problems,
            "structure",
            structure.map(|l| l.into_iter().filter(|l| l != "ok").collect()),
        );
        let references = store.read(|c| {
            let mut st = c.prepare("PRAGMA foreign_key_check")?;
            let rows = st.query_map([], |r| {
                Ok(format!(
                    "{} row {} points at a missing {}",
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?
                ))
            })?;
            Ok(rows.take(MAX_LINES).collect::<Result<_, _>>()?)
        });
        record(&mut problems, "references", references);
        // FTS5's own check runs as an INSERT; it changes nothing and is rolled back
        // anyway. (Not its `rank = 1` form: that also counts the content table's rows,
        // and rows without text are deliberately not indexed.)
        let index = store.write(|tx| {
            tx.execute("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')", [])?;
            Err::<Vec<String>, _>(StoreError::Corrupt(ROLLED_BACK.into()))
        });
        match index {
            Err(StoreError::Corrupt(m)) if m == ROLLED_BACK => {}
            other => record(&mut problems, "search index", other),
        }
        let message_counts = store.read(|c| {
            let mut st = c.prepare(
                "SELECT a.id, a.message_count, (SELECT count(*) FROM messages m WHERE m.account_id = a.id) AS held
                 FROM accounts a WHERE a.message_count != held",
            )?;
            let rows = st.query_map([], |r| {
                Ok(format!(
                    "{} counts {} messages but holds {}",
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?
                ))
            })?;
            Ok(rows.take(MAX_LINES).collect::<Result<_, _>>()?)
        });
        record(&mut problems, "message counts", message_counts);
    }
    let counts = store.read(|c| {
        let n = |table: &str| -> StoreResult<i64> {
            Ok(c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?)
        };
        Ok(Counts {
            accounts: n("accounts")?,
            chats: n("chats")?,
            contacts: n("contacts")?,
            messages: n("messages")?,
            media: n("media WHERE complete = 1")?,
            unfinished_uploads: n("media WHERE complete = 0")?,
            events: n("events")?,
        })
    });
    let counts = counts.unwrap_or_else(|e| {
        problems.push(format!("counts: cannot be read: {e}"));
        Counts::default()
    });
    Ok(CheckReport {
        ok: problems.is_empty(),
        problems,
        counts,
    })
}

fn lines(c: &rusqlite::Connection, pragma: &str) -> StoreResult<Vec<String>> {
    let mut st = c.prepare(pragma)?;
    let rows = st.query_map([], |r| r.get::<_, String>(0))?;
    Ok(rows.take(MAX_LINES).collect::<Result<_, _>>()?)
}

/// A step's findings, or its failure, which on a damaged file is a finding too.
fn record(problems: &mut Vec<String>, step: &str, found: StoreResult<Vec<String>>) {
    match found {
        Ok(lines) => problems.extend(lines.into_iter().map(|l| format!("{step}: {l}"))),
        Err(e) => problems.push(format!("{step}: cannot be checked: {e}")),
    }
}

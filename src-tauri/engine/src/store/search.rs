//! Full-text search over message text (SQLite FTS5 in the encrypted store).

use rusqlite::{params, Connection};
use serde::Serialize;

use super::messages;
use super::StoreResult;
use crate::ids::{AccountId, ChatId, ContactId, MessageId};
use crate::model::{Message, MessageType};
use crate::time::Millis;

/// Turns what a person typed into a safe FTS5 query: every word and every "quoted
/// phrase" becomes a quoted FTS string (so FTS syntax in the input is just text), a
/// trailing `*` keeps its prefix meaning, and all terms must match. `None` when
/// nothing searchable is left.
pub fn fts_query(input: &str) -> Option<String> {
    let mut terms = Vec::new();
    let mut rest = input;
    while !rest.is_empty() {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix('"') {
            let (phrase, tail) = after.split_once('"').unwrap_or((after, ""));
            push_term(&mut terms, phrase, false);
            rest = tail;
            continue;
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let word = &rest[..end];
        let (word, prefix) = match word.strip_suffix('*') {
            Some(w) => (w, true),
            None => (word, false),
        };
        push_term(&mut terms, word, prefix);
        rest = &rest[end..];
    }
    (!terms.is_empty()).then(|| terms.join(" "))
}

fn push_term(terms: &mut Vec<String>, text: &str, prefix: bool) {
    // Only text the tokenizer keeps can match; pure punctuation is skipped.
    if !text.chars().any(char::is_alphanumeric) {
        return;
    }
    let quoted = format!("\"{}\"", text.replace('"', "\"\""));
    terms.push(if prefix { format!("{quoted}*") } else { quoted });
}

/// How many of the most recently stored matches are ranked (see `search`).
pub const CANDIDATES: usize = 1_000;

#[derive(Debug, Clone, Default)]
pub struct SearchQuery<'a> {
    pub accounts: &'a [AccountId],
    pub chats: Option<&'a [ChatId]>,
    pub sender: Option<&'a ContactId>,
    pub from_me: Option<bool>,
    pub from: Option<Millis>,
    pub to: Option<Millis>,
    pub types: Option<&'a [MessageType]>,
    pub limit: usize,
    pub offset: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub message: Message,
    /// The matching part, with matches between « and ».
    pub snippet: String,
    /// Relevance (higher is better).
    pub score: f64,
}

pub fn search(c: &Connection, fts: &str, q: &SearchQuery<'_>) -> StoreResult<Vec<Hit>> {
    let accounts = serde_json::to_string(q.accounts)?;
    let chats = q.chats.map(serde_json::to_string).transpose()?;
    let types = q
        .types
        .map(|t| serde_json::to_string(&t.iter().map(|t| t.as_str()).collect::<Vec<_>>()))
        .transpose()?;
    // Ranking every match of a common word costs a join and a score per match (tens
    // of thousands at a million messages). So the ranking runs over the CANDIDATES
    // most recently stored matches that pass the filters (FTS5 walks its index
    // newest-first, so it stops there), and snippets are made for the page alone.
    let mut stmt = c.prepare_cached(
        "WITH candidates AS (
             SELECT m.id AS id, m.seq AS seq, m.ts AS ts, bm25(messages_fts) AS score
             FROM messages_fts JOIN messages m ON m.seq = messages_fts.rowid
             WHERE messages_fts MATCH ?1
               AND m.account_id IN (SELECT value FROM json_each(?2))
               AND m.deleted_for_me = 0
               AND (?3 IS NULL OR m.chat_id IN (SELECT value FROM json_each(?3)))
               AND (?4 IS NULL OR m.sender_contact_id = ?4)
               AND (?5 IS NULL OR m.from_me = ?5)
               AND (?6 IS NULL OR m.ts >= ?6)
               AND (?7 IS NULL OR m.ts < ?7)
               AND (?8 IS NULL OR m.type IN (SELECT value FROM json_each(?8)))
             ORDER BY messages_fts.rowid DESC
             LIMIT ?11
         ),
         page AS (
             SELECT * FROM candidates ORDER BY score, ts DESC, seq DESC LIMIT ?9 OFFSET ?10
         )
         SELECT page.id, page.score, snippet(messages_fts, 0, '«', '»', '…', 16)
         FROM page JOIN messages_fts ON messages_fts.rowid = page.seq
         WHERE messages_fts MATCH ?1
         ORDER BY page.score, page.ts DESC, page.seq DESC",
    )?;
    let rows = stmt.query_map(
        params![
            fts,
            accounts,
            chats,
            q.sender,
            q.from_me,
            q.from,
            q.to,
            types,
            q.limit as i64,
            q.offset as i64,
            CANDIDATES as i64
        ],
        |r| Ok((r.get::<_, MessageId>(0)?, r.get::<_, f64>(1)?, r.get::<_, String>(2)?)),
    )?;
    let found: Vec<(MessageId, f64, String)> = rows.collect::<Result<_, _>>()?;
    let ids: Vec<MessageId> = found.iter().map(|f| f.0.clone()).collect();
    let mut by_id: std::collections::HashMap<MessageId, Message> = messages::get_many(c, &ids)?
        .into_iter()
        .map(|m| (m.id.clone(), m))
        .collect();
    Ok(found
        .into_iter()
        .filter_map(|(id, score, snippet)| {
            by_id.remove(&id).map(|message| Hit {
                message,
                snippet,
                score: -score,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::fts_query;
    use proptest::prelude::*;

    #[test]
    fn quotes_every_term() {
        assert_eq!(fts_query("hello world").as_deref(), Some("\"hello\" \"world\""));
        assert_eq!(
            fts_query("\"exact phrase\" other").as_deref(),
            Some("\"exact phrase\" \"other\"")
        );
        assert_eq!(fts_query("orç*").as_deref(), Some("\"orç\"*"));
        assert_eq!(
            fts_query("NOT AND OR NEAR(a b)").as_deref(),
            Some("\"NOT\" \"AND\" \"OR\" \"NEAR(a\" \"b)\"")
        );
        assert_eq!(fts_query("say \"hi\"\"").as_deref(), Some("\"say\" \"hi\""));
        assert_eq!(fts_query("  - * \" ").as_deref(), None);
        assert_eq!(fts_query("").as_deref(), None);
        assert_eq!(fts_query("it's").as_deref(), Some("\"it's\""));
    }

    fn fts_db() -> rusqlite::Connection {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE VIRTUAL TABLE t USING fts5(text, tokenize = 'unicode61 remove_diacritics 2');
             INSERT INTO t (text) VALUES ('O orçamento da reforma'), ('hello \"world\"'), ('NEAR the AND OR end');",
        )
        .unwrap();
        c
    }

    #[test]
    fn accents_and_case_fold() {
        let c = fts_db();
        let n = |q: &str| -> i64 {
            c.query_row(
                "SELECT count(*) FROM t WHERE t MATCH ?1",
                [fts_query(q).unwrap()],
                |r| r.get(0),
            )
            .unwrap()
        };
        assert_eq!(n("orcamento"), 1);
        assert_eq!(n("ORÇAMENTO"), 1);
        assert_eq!(n("orc*"), 1);
        assert_eq!(n("near and"), 1);
        assert_eq!(n("\"and the\""), 0, "phrases keep their order");
        assert_eq!(n("\"near the\""), 1);
    }

    proptest! {
        /// Whatever a person types, the query is valid FTS5: it never errors.
        #[test]
        fn any_input_is_a_valid_query(input in "\\PC{0,60}") {
            let c = fts_db();
            if let Some(q) = fts_query(&input) {
                let r: rusqlite::Result<i64> = c.query_row("SELECT count(*) FROM t WHERE t MATCH ?1", [&q], |r| r.get(0));
                prop_assert!(r.is_ok(), "{input:?} -> {q:?}: {r:?}");
            }
        }

        #[test]
        fn fts_operators_in_input_are_literal(a in "[a-z]{1,8}", op in prop::sample::select(vec!["AND", "OR", "NOT", "NEAR", "^", ":", "(", ")", "{", "}", "+", "-"])) {
            let c = fts_db();
            let q = fts_query(&format!("{a} {op} {a}"));
            if let Some(q) = q {
                let r: rusqlite::Result<i64> = c.query_row("SELECT count(*) FROM t WHERE t MATCH ?1", [&q], |r| r.get(0));
                prop_assert!(r.is_ok());
            }
        }
    }
}

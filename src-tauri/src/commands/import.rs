//! `whatsapp-use import …`: history from other WhatsApp tools into an account.

use anyhow::{bail, Context};
use wuse_engine::engine::open_store;
use wuse_engine::ids::AccountId;
use wuse_engine::import::export::{DateOrder, ExportOptions};
use wuse_engine::import::{self, ImportReport};

use crate::cli::{Global, ImportCommand};

pub fn run(global: Global, cmd: ImportCommand) -> anyhow::Result<()> {
    let data_dir = global.data_dir();
    // Opening the store would create an empty one (and a key) where there is none.
    if !data_dir.join(wuse_engine::store::DB_FILE).exists() {
        bail!(
            "no WhatsApp-Use data in {}: start WhatsApp-Use and add the account first (or pass --data-dir)",
            data_dir.display()
        );
    }
    let account =
        |raw: &str| AccountId::parse(raw.trim()).with_context(|| format!("`{raw}` is not an account ID (acc_…)"));
    let (source, report) = match cmd {
        ImportCommand::Whatsmeow { path, account: acc } => {
            let acc = account(&acc)?;
            let (store, _) = open_store(&data_dir)?;
            let report = import::whatsmeow::import(&store, &acc, &path).context("import failed")?;
            (path, report)
        }
        ImportCommand::Export {
            path,
            account: acc,
            chat_name,
            chat_jid,
            me,
            date_order,
            utc_offset,
        } => {
            let acc = account(&acc)?;
            let date_order = date_order
                .map(|o| DateOrder::parse(&o).with_context(|| format!("--date-order `{o}`: expected dmy, mdy or ymd")))
                .transpose()?;
            let utc_offset_minutes = utc_offset
                .map(|o| {
                    parse_offset(&o).with_context(|| format!("--utc-offset `{o}`: expected e.g. +01:00 or -05:30"))
                })
                .transpose()?;
            let opts = ExportOptions {
                chat_name,
                chat_jid,
                me,
                date_order,
                utc_offset_minutes,
            };
            let (store, _) = open_store(&data_dir)?;
            let report = import::export::import(&store, &acc, &path, &opts).context("import failed")?;
            (path, report)
        }
    };
    print_report(&source, &report);
    Ok(())
}

fn print_report(source: &std::path::Path, r: &ImportReport) {
    println!("Imported {}:", source.display());
    println!("  messages read      {}", r.messages_read);
    println!("  new                {}", r.messages_new);
    println!("  already there      {}", r.messages_known());
    println!("  skipped            {}", r.skipped);
    println!("  chats              {}", r.chats);
    if r.media_stored > 0 {
        println!("  media stored       {}", r.media_stored);
    }
    if r.media_missing > 0 {
        println!("  media without file {}", r.media_missing);
    }
    for note in &r.notes {
        println!("note: {note}");
    }
}

/// `+01:00`, `-0530`, `+2`, `0`, `UTC` → minutes east of UTC.
fn parse_offset(s: &str) -> Option<i32> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("utc") || s.eq_ignore_ascii_case("z") {
        return Some(0);
    }
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => (1, s),
    };
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) => (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?),
        None if rest.len() == 4 => (rest[..2].parse().ok()?, rest[2..].parse().ok()?),
        None => (rest.parse().ok()?, 0),
    };
    ((0..=14).contains(&h) && (0..60).contains(&m)).then_some(sign * (h * 60 + m))
}

#[cfg(test)]
mod tests {
    use super::parse_offset;

    #[test]
    fn offsets() {
        assert_eq!(parse_offset("+01:00"), Some(60));
        assert_eq!(parse_offset("-05:30"), Some(-330));
        assert_eq!(parse_offset("+0545"), Some(345));
        assert_eq!(parse_offset("2"), Some(120));
        assert_eq!(parse_offset("UTC"), Some(0));
        assert_eq!(parse_offset("+25:00"), None);
        assert_eq!(parse_offset("soon"), None);
    }
}

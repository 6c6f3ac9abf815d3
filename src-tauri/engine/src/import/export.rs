//! WhatsApp's own "Export chat": a `.txt` with one line per message (and
//! continuation lines for multi-line ones), "with media" the attached files beside
//! it. Accepted: the `.txt`, or the (unzipped) folder holding it and the media.
//!
//! The line format follows the phone's locale:
//!
//! ```text
//! 12/31/23, 9:41 PM - Alice: text                 Android, US
//! 31/12/2023, 21:41 - Alice: text                 Android, most of Europe
//! 31.12.23, 21:41 - Alice: text                   Android, German
//! [31/12/2023, 21:41:05] Alice: text              iOS (U+200E marks around media and notices)
//! 31/12/2023, 21:41 - Messages and calls are …    a notice: no sender
//! ```
//!
//! Day and month order is found from the whole file (a first field above 12 means
//! day first, a second field above 12 month first; else the order that keeps the
//! messages in time order; else month first with AM/PM, day first without).
//!
//! Export files carry no WhatsApp IDs: each message gets one derived from the chat,
//! its time as written, its sender, its text and its rank among identical messages
//! of that same time, so importing a file twice (or a later export of the same chat)
//! adds only what is new.
//!
//! The chat's JID is not in the file either. In order of preference: the JID given,
//! the phone number the chat is named after (an unsaved contact), else a made-up
//! one derived from the chat's name: `import-<hash>@g.us` for groups,
//! `import-<hash>@import.whatsapp-use` for one person. People in groups are likewise
//! their phone number when they are named by it, else `import-<hash>@import.whatsapp-use`
//! from their name. Made-up JIDs never reach WhatsApp; a chat imported that way stays
//! apart from the live one.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use chrono::{FixedOffset, Local, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};

use super::{clean, digest, ImportError, ImportReport, Sink, IMPORT_SERVER};
use crate::ids::AccountId;
use crate::media::{self, Owner, MAX_BYTES};
use crate::model::{ContactCard, MediaInfo};
use crate::phone::Phone;
use crate::store::{messages, Store};
use crate::time::Millis;
use crate::wa::{Jid, MediaBlob, MsgKey, RemoteMedia, WaChatMeta, WaContent, WaMedia, WaMessage, GROUP_SERVER};

/// How an export writes dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    /// 31/12/2023
    Dmy,
    /// 12/31/2023
    Mdy,
    /// 2023-12-31
    Ymd,
}

impl DateOrder {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "dmy" | "day-first" => Self::Dmy,
            "mdy" | "month-first" => Self::Mdy,
            "ymd" | "year-first" => Self::Ymd,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dmy => "day/month/year",
            Self::Mdy => "month/day/year",
            Self::Ymd => "year-month-day",
        }
    }
}

/// What the file does not say.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// The chat's name (default: from the file or folder name, `WhatsApp Chat with X`).
    pub chat_name: Option<String>,
    /// The chat's real JID, to merge with the live chat.
    pub chat_jid: Option<String>,
    /// The sender name that is the account's owner (their messages become `from_me`).
    pub me: Option<String>,
    /// Override the day/month order found in the file.
    pub date_order: Option<DateOrder>,
    /// The phone's offset from UTC in minutes when the export's times were written
    /// (default: this computer's time zone).
    pub utc_offset_minutes: Option<i32>,
}

/// A line that starts a message: its time as written and the rest of the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header<'a> {
    /// The three date fields in the order written.
    pub date: [u32; 3],
    /// The first field has four digits (2023-12-31).
    pub year_first: bool,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// `Some(true)` for PM, `Some(false)` for AM, `None` on a 24-hour clock.
    pub pm: Option<bool>,
    /// `[date, time] …` (iOS) rather than `date, time - …` (Android).
    pub bracketed: bool,
    /// What follows the time: `Name: text`, or a notice.
    pub rest: &'a str,
}

fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200e}' | '\u{200f}' | '\u{202a}' | '\u{202b}' | '\u{202c}' | '\u{2068}' | '\u{2069}' | '\u{feff}'
    )
}

fn space(c: char) -> bool {
    c == ' ' || c == '\u{a0}' || c == '\u{202f}' || c == '\t'
}

/// Parses the start of a message line, or `None` for a continuation line.
pub fn parse_header(line: &str) -> Option<Header<'_>> {
    let line = line.trim_start_matches(invisible);
    let (stamp, rest, bracketed) = if let Some(inner) = line.strip_prefix('[') {
        let end = inner.find(']')?;
        if end > 40 {
            return None;
        }
        let rest = inner[end + 1..].trim_start_matches(|c| space(c) || invisible(c));
        (&inner[..end], rest, true)
    } else {
        // "date, time - rest": the dash within the first few dozen bytes.
        let dash = line.find(" - ").filter(|i| *i <= 48)?;
        (&line[..dash], &line[dash + 3..], false)
    };
    let mut h = parse_stamp(stamp)?;
    h.bracketed = bracketed;
    h.rest = rest;
    Some(h)
}

/// A cursor over the stamp's characters.
struct Scan<'a> {
    s: &'a str,
}

impl<'a> Scan<'a> {
    fn number(&mut self, max_digits: usize) -> Option<(u32, usize)> {
        let n = self.s.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 || n > max_digits {
            return None;
        }
        let v = self.s[..n].parse().ok()?;
        self.s = &self.s[n..];
        Some((v, n))
    }
    fn eat(&mut self, f: impl Fn(char) -> bool) -> Option<char> {
        let c = self.s.chars().next().filter(|c| f(*c))?;
        self.s = &self.s[c.len_utf8()..];
        Some(c)
    }
    fn skip_while(&mut self, f: impl Fn(char) -> bool) -> usize {
        let rest = self.s.trim_start_matches(f);
        let n = self.s.len() - rest.len();
        self.s = rest;
        n
    }
}

fn parse_stamp(stamp: &str) -> Option<Header<'static>> {
    let mut sc = Scan {
        s: stamp.trim_matches(|c| space(c) || invisible(c)),
    };
    let (a, a_len) = sc.number(4)?;
    let sep = sc.eat(|c| matches!(c, '/' | '.' | '-'))?;
    let (b, _) = sc.number(2)?;
    sc.eat(|c| c == sep)?;
    let (c, c_len) = sc.number(4)?;
    let year_first = a_len == 4;
    if year_first && c_len > 2 || !year_first && (a_len > 2 || !matches!(c_len, 2 | 4)) {
        return None;
    }
    // "31.12.23," / "31/12/2023," / "2023-12-31 "
    sc.eat(|c| c == '.');
    let comma = sc.eat(|c| c == ',').is_some();
    let spaces = sc.skip_while(space);
    if !comma && spaces == 0 {
        return None;
    }
    let (hour, _) = sc.number(2)?;
    let tsep = sc.eat(|c| c == ':' || c == '.')?;
    let (minute, m_len) = sc.number(2)?;
    let mut second = 0;
    if sc.eat(|c| c == tsep).is_some() {
        let (s, s_len) = sc.number(2)?;
        if s_len != 2 {
            return None;
        }
        second = s;
    }
    sc.skip_while(space);
    let marker: String =
        sc.s.chars()
            .filter(|c| !space(*c) && *c != '.')
            .collect::<String>()
            .to_lowercase();
    let pm = match marker.as_str() {
        "" => None,
        "am" | "a" => Some(false),
        "pm" | "p" => Some(true),
        _ => return None,
    };
    let hour_ok = match pm {
        Some(_) => (1..=12).contains(&hour),
        None => hour <= 23,
    };
    if m_len != 2 || !hour_ok || minute > 59 || second > 59 || a == 0 || b == 0 || (c == 0 && !year_first) {
        return None;
    }
    Some(Header {
        date: [a, b, c],
        year_first,
        hour,
        minute,
        second,
        pm,
        bracketed: false,
        rest: "",
    })
}

/// Splits `Name: text` into the sender and the text; `None` for a notice.
pub fn split_sender(rest: &str) -> (Option<&str>, &str) {
    let Some(i) = rest.find(": ").or_else(|| rest.ends_with(':').then(|| rest.len() - 1)) else {
        return (None, rest);
    };
    let name = &rest[..i];
    let body = rest[i + 1..].strip_prefix(' ').unwrap_or(&rest[i + 1..]);
    // Notices quote group names and messages ("Alice changed the subject to "a: b""); names do not.
    let plausible = !name.trim().is_empty()
        && name.chars().count() <= 100
        && !name.contains(['"', '\u{201c}', '\u{201d}', '\u{ab}', '\u{bb}']);
    if plausible {
        (Some(name), body)
    } else {
        (None, rest)
    }
}

impl Header<'_> {
    fn datetime(&self, order: DateOrder) -> Option<NaiveDateTime> {
        let [a, b, c] = self.date;
        let full = |y: u32| if y < 100 { 2000 + y } else { y };
        let (y, m, d) = match (self.year_first, order) {
            (true, _) | (false, DateOrder::Ymd) => (a, b, c),
            (false, DateOrder::Dmy) => (full(c), b, a),
            (false, DateOrder::Mdy) => (full(c), a, b),
        };
        let hour = match self.pm {
            None => self.hour,
            Some(false) => self.hour % 12,
            Some(true) => self.hour % 12 + 12,
        };
        let date = NaiveDate::from_ymd_opt(y as i32, m, d)?;
        Some(date.and_time(NaiveTime::from_hms_opt(hour, self.minute, self.second)?))
    }
}

/// The date order of a file's headers (see the module docs), and why.
pub fn detect_order(headers: &[Header<'_>]) -> (DateOrder, &'static str) {
    if headers.iter().any(|h| h.year_first) {
        return (DateOrder::Ymd, "the year comes first");
    }
    let day_first = headers.iter().any(|h| h.date[0] > 12);
    let month_first = headers.iter().any(|h| h.date[1] > 12);
    match (day_first, month_first) {
        (true, false) => return (DateOrder::Dmy, "a first date field is above 12"),
        (false, true) => return (DateOrder::Mdy, "a second date field is above 12"),
        _ => {}
    }
    // Either order reads every date: prefer the one that keeps the messages in order.
    let backwards = |order| {
        let times: Vec<_> = headers.iter().filter_map(|h| h.datetime(order)).collect();
        let invalid = headers.len() - times.len();
        invalid * 1000 + times.windows(2).filter(|w| w[1] < w[0]).count()
    };
    let (dmy, mdy) = (backwards(DateOrder::Dmy), backwards(DateOrder::Mdy));
    if dmy < mdy {
        (DateOrder::Dmy, "it keeps the messages in time order")
    } else if mdy < dmy {
        (DateOrder::Mdy, "it keeps the messages in time order")
    } else if headers.iter().any(|h| h.pm.is_some()) {
        (DateOrder::Mdy, "no date settles it; AM/PM times suggest a US phone")
    } else {
        (DateOrder::Dmy, "no date settles it; 24-hour times suggest day first")
    }
}

/// One message of the file, before it knows its chat.
#[derive(Debug, Clone)]
struct Entry {
    at: NaiveDateTime,
    sender: Option<String>,
    /// The text as written (lines joined), direction marks dropped.
    body: String,
    /// The text started with a direction mark (iOS media lines and notices).
    marked: bool,
    bracketed: bool,
}

/// What a message's text says it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Text(String),
    /// A notice (no sender, or iOS's marked notices).
    System(String),
    /// Media left out of the export: its kind when known, a file name when given.
    Omitted {
        kind: Option<Kind>,
        file_name: Option<String>,
    },
    /// A file attached: the name it has beside the `.txt`, and the caption.
    Attached {
        file_name: String,
        caption: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Image,
    Video,
    Audio,
    Voice,
    Document,
    Sticker,
    Contact,
}

const OMITTED_ANDROID: [&str; 6] = [
    "<Media omitted>",
    "<Medien ausgeschlossen>",
    "<Multimedia omitido>",
    "<Archivo omitido>",
    "<Mídia oculta>",
    "<Médias omis>",
];
const ATTACHED_ANDROID: [&str; 6] = [
    "(file attached)",
    "(Datei angehängt)",
    "(archivo adjunto)",
    "(arquivo anexado)",
    "(fichier joint)",
    "(file allegato)",
];
const ATTACHED_IOS: [&str; 6] = ["attached", "Anhang", "adjunto", "anexo", "pièce jointe", "allegato"];

/// Classifies a message's text (`marked`: it began with a direction mark, as iOS
/// writes media lines and notices).
pub fn classify(sender: Option<&str>, body: &str, marked: bool) -> Body {
    let (first, more) = match body.split_once('\n') {
        Some((f, m)) => (f.trim(), Some(m.trim()).filter(|m| !m.is_empty())),
        None => (body.trim(), None),
    };
    if sender.is_none() {
        return Body::System(body.to_owned());
    }
    if more.is_none() && OMITTED_ANDROID.iter().any(|o| first.eq_ignore_ascii_case(o)) {
        return Body::Omitted {
            kind: None,
            file_name: None,
        };
    }
    for tag in ATTACHED_ANDROID {
        if let Some(name) = first.strip_suffix(tag) {
            let name = name.trim();
            if !name.is_empty() {
                return Body::Attached {
                    file_name: name.to_owned(),
                    caption: more.map(str::to_owned),
                };
            }
        }
    }
    if let Some(inner) = first.strip_prefix('<').and_then(|f| f.strip_suffix('>')) {
        if let Some((tag, name)) = inner.split_once(':') {
            if ATTACHED_IOS.iter().any(|t| tag.trim().eq_ignore_ascii_case(t)) && !name.trim().is_empty() {
                return Body::Attached {
                    file_name: name.trim().to_owned(),
                    caption: more.map(str::to_owned),
                };
            }
        }
    }
    if more.is_none() {
        if let Some(what) = first.strip_suffix(" omitted") {
            let (file_name, what) = match what.rsplit_once(" • ") {
                // "report.pdf • 3 pages document omitted"
                Some((name, rest)) => (name.split(" • ").next().map(|n| n.trim().to_owned()), rest),
                None => (None, what),
            };
            let word = what.rsplit(' ').next().unwrap_or(what).to_ascii_lowercase();
            let kind = match word.as_str() {
                "image" => Some(Kind::Image),
                "video" | "gif" => Some(Kind::Video),
                "audio" => Some(Kind::Voice),
                "sticker" => Some(Kind::Sticker),
                "document" => Some(Kind::Document),
                "card" => Some(Kind::Contact),
                _ => None,
            };
            if kind.is_some() {
                return Body::Omitted { kind, file_name };
            }
        }
    }
    if marked {
        return Body::System(body.to_owned());
    }
    Body::Text(body.to_owned())
}

/// The kind and likely MIME type of a file, from its name.
fn kind_of_name(name: &str) -> (Kind, &'static str) {
    let upper = name.to_ascii_uppercase();
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if upper.starts_with("STK-") || upper.contains("-STICKER-") {
        return (Kind::Sticker, "image/webp");
    }
    if upper.starts_with("PTT-") || upper.contains("-AUDIO-") {
        return (Kind::Voice, "audio/ogg");
    }
    if upper.contains("-GIF-") {
        return (Kind::Video, "video/mp4");
    }
    match ext.as_str() {
        "jpg" | "jpeg" => (Kind::Image, "image/jpeg"),
        "png" => (Kind::Image, "image/png"),
        "gif" => (Kind::Image, "image/gif"),
        "webp" => (Kind::Image, "image/webp"),
        "heic" => (Kind::Image, "image/heic"),
        "mp4" | "m4v" => (Kind::Video, "video/mp4"),
        "3gp" => (Kind::Video, "video/3gpp"),
        "mov" => (Kind::Video, "video/quicktime"),
        "opus" | "ogg" => (Kind::Audio, "audio/ogg"),
        "m4a" => (Kind::Audio, "audio/mp4"),
        "aac" => (Kind::Audio, "audio/aac"),
        "mp3" => (Kind::Audio, "audio/mpeg"),
        "amr" => (Kind::Audio, "audio/amr"),
        "wav" => (Kind::Audio, "audio/wav"),
        "vcf" => (Kind::Contact, "text/vcard"),
        "pdf" => (Kind::Document, "application/pdf"),
        _ => (Kind::Document, "application/octet-stream"),
    }
}

fn kind_default_mime(kind: Kind) -> &'static str {
    match kind {
        Kind::Image => "image/jpeg",
        Kind::Video => "video/mp4",
        Kind::Audio | Kind::Voice => "audio/ogg",
        Kind::Sticker => "image/webp",
        Kind::Contact => "text/vcard",
        Kind::Document => "application/octet-stream",
    }
}

fn content_for(kind: Kind, mut info: MediaInfo, blob: MediaBlob, caption: Option<String>) -> WaContent {
    info.voice_note = kind == Kind::Voice;
    let media = WaMedia { info, blob };
    match kind {
        Kind::Image => WaContent::Image { media, caption },
        Kind::Video => WaContent::Video { media, caption },
        Kind::Audio | Kind::Voice => WaContent::Audio { media },
        Kind::Sticker => WaContent::Sticker { media },
        Kind::Document | Kind::Contact => WaContent::Document { media, caption },
    }
}

/// Media whose bytes are not here: the message keeps its type, name and caption.
fn omitted_media(kind: Kind, mime: &str, file_name: Option<String>, caption: Option<String>) -> WaContent {
    let blob = MediaBlob::Remote(RemoteMedia {
        kind: format!("{kind:?}").to_lowercase(),
        direct_path: String::new(),
        media_key: String::new(),
        file_sha256: None,
        file_enc_sha256: None,
        file_length: None,
    });
    let info = MediaInfo {
        mime: mime.into(),
        file_name,
        ..Default::default()
    };
    content_for(kind, info, blob, caption)
}

/// The `.txt` to read, the folder its media is in, and the name the files give the chat.
fn locate(path: &Path) -> Result<(PathBuf, PathBuf, Option<String>), ImportError> {
    let meta = std::fs::metadata(path).map_err(|e| ImportError::io(path, e))?;
    let not_export = |detail: String| ImportError::NotAnExport {
        path: path.display().to_string(),
        detail,
    };
    let dir_name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
    if meta.is_dir() {
        let mut txts: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| ImportError::io(path, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("txt")))
            .collect();
        txts.sort();
        let chosen = txts
            .iter()
            .find(|p| p.file_name().is_some_and(|n| n == "_chat.txt"))
            .or_else(|| {
                let wa: Vec<_> = txts
                    .iter()
                    .filter(|p| chat_name_from(&p.file_stem().unwrap_or_default().to_string_lossy()).is_some())
                    .collect();
                (wa.len() == 1).then(|| wa[0])
            })
            .or_else(|| (txts.len() == 1).then(|| &txts[0]))
            .cloned();
        let Some(txt) = chosen else {
            return Err(not_export(if txts.is_empty() {
                "the folder holds no .txt".into()
            } else {
                format!("the folder holds {} .txt files; give the one to import", txts.len())
            }));
        };
        let stem = txt.file_stem().unwrap_or_default().to_string_lossy().into_owned();
        let name = chat_name_from(&stem).or_else(|| dir_name(path).and_then(|n| chat_name_from(&n)));
        return Ok((txt, path.to_path_buf(), name));
    }
    let mut head = [0u8; 4];
    if let Ok(mut f) = std::fs::File::open(path) {
        use std::io::Read;
        let _ = f.read(&mut head);
    }
    if &head == b"PK\x03\x04" {
        return Err(ImportError::Zip {
            path: path.display().to_string(),
        });
    }
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let stem = path.file_stem().unwrap_or_default().to_string_lossy().into_owned();
    let name = chat_name_from(&stem).or_else(|| {
        let abs = std::fs::canonicalize(&dir).ok()?;
        dir_name(&abs).and_then(|n| chat_name_from(&n))
    });
    Ok((path.to_path_buf(), dir, name))
}

/// `WhatsApp Chat with Alice` → `Alice` (and the other phones' wordings); `None` for
/// names that are not an export's (`_chat`).
pub fn chat_name_from(stem: &str) -> Option<String> {
    const PREFIXES: [&str; 11] = [
        "whatsapp chat with ",
        "whatsapp chat - ",
        "whatsapp chat mit ",
        "whatsapp-chat mit ",
        "chat de whatsapp con ",
        "conversa do whatsapp com ",
        "discussion whatsapp avec ",
        "chat whatsapp con ",
        "whatsapp-chat met ",
        "whatsapp chat met ",
        "whatsapp-chatt med ",
    ];
    let stem = clean(stem);
    let lower = stem.to_lowercase();
    let name = PREFIXES
        .iter()
        .find(|p| lower.starts_with(*p) && lower.len() == stem.len())
        .map(|p| stem[p.len()..].trim())?;
    (!name.is_empty()).then(|| name.to_owned())
}

/// A person named in the export, by phone number if that is how they are named.
fn person_jid(name: &str) -> Jid {
    match Phone::parse(&clean(name)) {
        Ok(p) => Jid::from_phone(&p),
        Err(_) => Jid::new(format!("import-{}", digest(&[&name.to_lowercase()], 20)), IMPORT_SERVER),
    }
}

/// Imports one exported chat.
pub fn import(
    store: &Store,
    account: &AccountId,
    path: &Path,
    opts: &ExportOptions,
) -> Result<ImportReport, ImportError> {
    let (txt, media_dir, file_chat_name) = locate(path)?;
    let bytes = std::fs::read(&txt).map_err(|e| ImportError::io(&txt, e))?;
    let not_export = |detail: &str| ImportError::NotAnExport {
        path: txt.display().to_string(),
        detail: detail.into(),
    };
    if bytes.contains(&0) {
        return Err(not_export("it is binary, not text"));
    }
    let content = String::from_utf8_lossy(&bytes);
    let mut report = ImportReport::default();

    // Lines into messages: a header starts one, anything else continues the last.
    struct Pending<'a> {
        header: Header<'a>,
        lines: Vec<&'a str>,
    }
    let mut pending: Vec<Pending<'_>> = Vec::new();
    for line in content.lines() {
        match parse_header(line) {
            Some(header) => pending.push(Pending {
                header,
                lines: Vec::new(),
            }),
            None => match pending.last_mut() {
                Some(p) => p.lines.push(line),
                None if line.trim_matches(|c| space(c) || invisible(c)).is_empty() => {}
                None => report.skipped += 1,
            },
        }
    }
    if pending.is_empty() {
        return Err(not_export(
            "no line starts like a WhatsApp message (`31/12/2023, 21:41 - Name: text`)",
        ));
    }
    let headers: Vec<Header<'_>> = pending.iter().map(|p| p.header.clone()).collect();
    let order = match opts.date_order {
        Some(o) => o,
        None => {
            let (o, why) = detect_order(&headers);
            report.notes.push(format!("dates read as {} ({why})", o.as_str()));
            o
        }
    };
    let mut entries = Vec::with_capacity(pending.len());
    for p in &pending {
        let Some(at) = p.header.datetime(order) else {
            report.skipped += 1 + p.lines.len();
            continue;
        };
        let (sender, first) = split_sender(p.header.rest);
        let marked = first.starts_with(invisible);
        let mut body = clean(first.trim_start_matches(invisible));
        for l in &p.lines {
            body.push('\n');
            body.push_str(&clean(l));
        }
        let body = body.trim_end().to_owned();
        entries.push(Entry {
            at,
            sender: sender.map(|s| clean(s).trim().to_owned()),
            body,
            marked,
            bracketed: p.header.bracketed,
        });
    }

    // Who is who.
    let bodies: Vec<Body> = entries
        .iter()
        .map(|e| classify(e.sender.as_deref(), &e.body, e.marked && e.bracketed))
        .collect();
    let senders: BTreeSet<&str> = entries
        .iter()
        .zip(&bodies)
        .filter(|(_, b)| !matches!(b, Body::System(_)))
        .filter_map(|(e, _)| e.sender.as_deref())
        .collect();
    let chat_name = opts
        .chat_name
        .clone()
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .or(file_chat_name);
    let same = |a: &str, b: &str| a.trim().to_lowercase() == b.trim().to_lowercase();
    let me: Option<String> = match &opts.me {
        Some(m) => match senders.iter().find(|s| same(s, m)) {
            Some(s) => Some((*s).to_owned()),
            None => {
                return Err(ImportError::UnknownMe {
                    name: m.clone(),
                    senders: senders.iter().copied().collect::<Vec<_>>().join(", "),
                })
            }
        },
        // A two-person chat named after one of them: the other one exported it.
        None => match (&chat_name, senders.len()) {
            (Some(name), 2) if senders.iter().filter(|s| same(s, name)).count() == 1 => {
                let me = senders.iter().find(|s| !same(s, name)).map(|s| (*s).to_owned());
                if let Some(m) = &me {
                    report.notes.push(format!(
                        "took `{m}` for the account's owner (the chat is named after the other person); \
                         pass --me to say otherwise"
                    ));
                }
                me
            }
            _ => None,
        },
    };
    let others = senders.iter().filter(|s| me.as_deref() != Some(**s)).count();
    let explicit = match &opts.chat_jid {
        Some(raw) => {
            let jid = Jid::parse(raw.trim()).map_err(|_| ImportError::BadChatJid(raw.clone()))?;
            if !(jid.is_group() || jid.is_person()) {
                return Err(ImportError::BadChatJid(raw.clone()));
            }
            Some(jid)
        }
        None => None,
    };
    let is_group = match &explicit {
        Some(j) => j.is_group(),
        None => {
            others > 1
                || entries.iter().zip(&bodies).any(|(e, b)| {
                    matches!(b, Body::System(_)) && {
                        let t = e.body.to_lowercase();
                        ["group", "gruppe", "grupo", "groupe", "gruppo", "groep"]
                            .iter()
                            .any(|w| t.contains(w))
                    }
                })
        }
    };
    let chat = match (&explicit, &chat_name) {
        (Some(j), _) => j.clone(),
        (None, Some(name)) => match Phone::parse(&clean(name)) {
            Ok(p) if !is_group => Jid::from_phone(&p),
            _ => {
                let server = if is_group { GROUP_SERVER } else { IMPORT_SERVER };
                Jid::new(format!("import-{}", digest(&[&name.to_lowercase()], 20)), server)
            }
        },
        (None, None) => {
            return Err(ImportError::NoChatName {
                path: path.display().to_string(),
            })
        }
    };
    if chat.server() == IMPORT_SERVER || (chat.is_group() && chat.user().starts_with("import-")) {
        report.notes.push(format!(
            "the export does not say the chat's JID: it was filed under {chat}; pass --chat-jid to merge it with the live chat"
        ));
    }

    let mut sink = Sink::open(store, account)?;
    if sink.chat_is_new(&chat)? {
        if let Some(name) = chat_name.clone().filter(|_| is_group || chat.server() == IMPORT_SERVER) {
            sink.chat(WaChatMeta {
                jid: Some(chat.clone()),
                name: Some(name),
                ..Default::default()
            });
        }
    }
    let owner = Owner {
        account: Some(account.clone()),
        key: None,
    };
    let offset = opts.utc_offset_minutes.and_then(|m| FixedOffset::east_opt(m * 60));
    let mut ranks: HashMap<(NaiveDateTime, Option<String>, String), usize> = HashMap::new();
    for (e, body) in entries.iter().zip(bodies) {
        let from_me = e.sender.is_some() && e.sender == me;
        let rank = ranks
            .entry((e.at, e.sender.clone(), e.body.clone()))
            .and_modify(|n| *n += 1)
            .or_insert(0);
        let stamp = e.at.format("%Y-%m-%dT%H:%M:%S").to_string();
        let wa_id = format!(
            "WUIMP{}",
            digest(
                &[
                    "export",
                    &chat.to_string(),
                    &stamp,
                    e.sender.as_deref().unwrap_or(""),
                    &e.body,
                    &rank.to_string()
                ],
                27
            )
            .to_uppercase()
        );
        let system = matches!(body, Body::System(_));
        let sender = match (&e.sender, &body) {
            (_, Body::System(_)) => None,
            (Some(name), _) if !from_me && chat.is_group() => Some(person_jid(name)),
            _ => None,
        };
        let content = match body {
            Body::Text(t) => WaContent::Text { text: t },
            Body::System(t) => WaContent::System { text: t },
            Body::Omitted { kind, file_name } => {
                report.media_missing += 1;
                let (kind, mime) = match (kind, &file_name) {
                    (Some(k), _) => (k, kind_default_mime(k)),
                    (None, Some(n)) => kind_of_name(n),
                    (None, None) => (Kind::Document, "application/octet-stream"),
                };
                omitted_media(kind, mime, file_name, None)
            }
            Body::Attached { file_name, caption } => {
                let key = MsgKey {
                    chat: chat.clone(),
                    id: wa_id.clone(),
                    from_me,
                    sender: None,
                };
                let known = sink
                    .store()
                    .read(|c| messages::find_by_key(c, account, &key))?
                    .is_some();
                match attach(
                    sink.store(),
                    &owner,
                    &media_dir,
                    &file_name,
                    caption.clone(),
                    known,
                    &mut report,
                ) {
                    Some(content) => content,
                    None => {
                        report.media_missing += 1;
                        let (kind, mime) = kind_of_name(&file_name);
                        omitted_media(kind, mime, Some(file_name), caption)
                    }
                }
            }
        };
        let ts = to_millis(e.at, offset);
        report.messages_read += 1;
        sink.message(WaMessage {
            key: MsgKey {
                chat: chat.clone(),
                id: wa_id,
                from_me,
                sender,
            },
            ts,
            push_name: e.sender.clone().filter(|_| !from_me && !system),
            content,
            reply_to: None,
            forwarded: false,
            status: None,
            starred: false,
        })?;
    }
    sink.flush()?;
    report.messages_new = sink.new;
    report.chats = usize::from(report.messages_read > 0);
    if report.media_missing > 0 {
        report.notes.push(format!(
            "{} media message(s) have no file here (left out of the export, or missing): they keep their type and name only",
            report.media_missing
        ));
    }
    Ok(report)
}

/// A local wall-clock time as written on the phone, in UTC milliseconds.
fn to_millis(at: NaiveDateTime, offset: Option<FixedOffset>) -> Millis {
    match offset {
        Some(o) => o
            .from_local_datetime(&at)
            .single()
            .map(|t| t.timestamp_millis())
            .unwrap_or_else(|| at.and_utc().timestamp_millis()),
        None => Local
            .from_local_datetime(&at)
            .earliest()
            .map(|t| t.timestamp_millis())
            // In a daylight-saving gap: the hour that does not exist is read as UTC plus today's offset.
            .unwrap_or_else(|| {
                let off = Local.offset_from_utc_datetime(&at).local_minus_utc();
                at.and_utc().timestamp_millis() - i64::from(off) * 1000
            }),
    }
}

/// Stores an attached file and makes the message's content, or `None` when the file
/// is not there (or cannot be stored). `known`: the message is already imported, so
/// its file is too.
fn attach(
    store: &Store,
    owner: &Owner,
    dir: &Path,
    file_name: &str,
    caption: Option<String>,
    known: bool,
    report: &mut ImportReport,
) -> Option<WaContent> {
    // A bare file name only: never a path out of the export's folder.
    if file_name.contains(['/', '\\', ':']) || file_name.starts_with('.') {
        return None;
    }
    let path = dir.join(file_name);
    let meta = std::fs::metadata(&path).ok().filter(|m| m.is_file())?;
    let (kind, _) = kind_of_name(file_name);
    if known {
        // Already imported with its file: the message is skipped as known anyway.
        return Some(omitted_media(
            kind,
            "application/octet-stream",
            Some(file_name.into()),
            caption,
        ));
    }
    if meta.len() > MAX_BYTES {
        report.notes.push(format!(
            "{file_name} is over {} MB: not stored",
            MAX_BYTES / 1024 / 1024
        ));
        return None;
    }
    let bytes = match std::fs::read(&path) {
        Ok(b) if !b.is_empty() => b,
        Ok(_) => return None,
        Err(e) => {
            report.notes.push(format!("cannot read {}: {e}", path.display()));
            return None;
        }
    };
    if kind == Kind::Contact {
        if let Ok(vcard) = std::str::from_utf8(&bytes) {
            let display_name = vcard
                .lines()
                .find_map(|l| l.strip_prefix("FN:").or_else(|| l.strip_prefix("FN;CHARSET=UTF-8:")))
                .map(|n| n.trim().to_owned())
                .unwrap_or_else(|| file_name.trim_end_matches(".vcf").to_owned());
            report.media_stored += 1;
            return Some(WaContent::Contact(ContactCard {
                display_name,
                vcard: vcard.to_owned(),
            }));
        }
    }
    let stored = match media::import(store, owner, &bytes, None, Some(file_name)) {
        Ok(m) => m,
        Err(e) => {
            report.notes.push(format!("could not store {file_name}: {}", e.message));
            return None;
        }
    };
    report.media_stored += 1;
    // The bytes say what it is; the name says sticker or voice note.
    let kind = match (kind, stored.mime.split('/').next().unwrap_or_default()) {
        (Kind::Sticker | Kind::Voice, _) => kind,
        (_, "image") => Kind::Image,
        (_, "video") => Kind::Video,
        (_, "audio") => Kind::Audio,
        _ => Kind::Document,
    };
    let info = MediaInfo {
        id: None,
        mime: stored.mime.clone(),
        size: Some(stored.size),
        file_name: Some(file_name.to_owned()),
        width: stored.width,
        height: stored.height,
        duration_s: stored.duration_s,
        voice_note: false,
    };
    Some(content_for(kind, info, MediaBlob::Local { id: stored.id }, caption))
}

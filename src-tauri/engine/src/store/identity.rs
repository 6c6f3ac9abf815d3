//! Who is who: a person reaches us by phone-number JID and by LID, and learning that
//! two are one folds their contacts, 1:1 chats, messages and memberships into one.
//! This sits above `contacts` and `chats` (both of which it changes), so neither of
//! those needs the other's insides.

use rusqlite::{params, Connection, OptionalExtension};

use super::contacts;
use super::{Cached, Heard, StoreResult};
use crate::ids::{AccountId, ChatId, ContactId};
use crate::time::now_ms;
use crate::wa::{Jid, WaContact};

/// Records what the network said about a person, unifying phone number and LID. A
/// name from a page of history replaces one only when nothing newer is known (it
/// does not undo a name a live message brought since); live news always does.
pub fn upsert(c: &Connection, account: &AccountId, info: &WaContact, heard: Heard) -> StoreResult<Option<ContactId>> {
    let id = match (&info.pn, &info.lid) {
        (Some(pn), Some(lid)) => link(c, account, pn, lid)?,
        (Some(j), None) | (None, Some(j)) => contacts::ensure(c, account, j)?,
        (None, None) => return Ok(None),
    };
    c.exec(
        "UPDATE contacts SET
            saved_name = CASE WHEN ?2 IS NOT NULL AND (?8 OR ?7 >= COALESCE(saved_name_at, ?7)) THEN ?2 ELSE saved_name END,
            saved_name_at = CASE WHEN ?2 IS NOT NULL THEN MAX(COALESCE(saved_name_at, ?7), ?7) ELSE saved_name_at END,
            push_name = CASE WHEN ?3 IS NOT NULL AND (?8 OR ?7 >= COALESCE(push_name_at, ?7)) THEN ?3 ELSE push_name END,
            push_name_at = CASE WHEN ?3 IS NOT NULL THEN MAX(COALESCE(push_name_at, ?7), ?7) ELSE push_name_at END,
            business_name = COALESCE(?4, business_name), is_business = MAX(is_business, ?5), updated_at = ?6
         WHERE id = ?1",
        params![
            id,
            info.saved_name,
            info.push_name,
            info.business_name,
            info.is_business,
            now_ms(),
            heard.at(),
            heard.is_live()
        ],
    )?;
    Ok(Some(id))
}

/// Learns that `pn` and `lid` are one person. If both were known separately, the LID
/// row folds into the phone-number row (chats, messages and memberships follow), so
/// the person appears once.
pub fn link(c: &Connection, account: &AccountId, pn: &Jid, lid: &Jid) -> StoreResult<ContactId> {
    let by_pn = contacts::find(c, account, pn)?;
    let by_lid = contacts::find(c, account, lid)?;
    let keep = match (by_pn, by_lid) {
        (Some(a), Some(b)) if a != b => {
            merge(c, &a, &b)?;
            a
        }
        (Some(a), _) => a,
        (None, Some(b)) => b,
        (None, None) => contacts::ensure(c, account, pn)?,
    };
    c.exec(
        "UPDATE contacts SET pn_jid = ?2, lid_jid = ?3, phone = ?4, updated_at = ?5 WHERE id = ?1",
        params![keep, pn, lid, pn.phone().map(|p| p.to_string()), now_ms()],
    )?;
    Ok(keep)
}

fn merge(c: &Connection, keep: &ContactId, gone: &ContactId) -> StoreResult<()> {
    c.exec(
        "UPDATE contacts AS k SET
            saved_name = COALESCE(k.saved_name, g.saved_name), push_name = COALESCE(k.push_name, g.push_name),
            saved_name_at = CASE WHEN k.saved_name IS NULL THEN g.saved_name_at ELSE k.saved_name_at END,
            push_name_at = CASE WHEN k.push_name IS NULL THEN g.push_name_at ELSE k.push_name_at END,
            business_name = COALESCE(k.business_name, g.business_name), about = COALESCE(k.about, g.about),
            picture_id = COALESCE(k.picture_id, g.picture_id)
         FROM contacts AS g WHERE k.id = ?1 AND g.id = ?2",
        params![keep, gone],
    )?;
    fold_direct_chat(c, keep, gone)?;
    c.exec(
        "UPDATE messages SET sender_contact_id = ?1 WHERE sender_contact_id = ?2",
        params![keep, gone],
    )?;
    c.exec(
        "UPDATE group_participants SET contact_id = ?1 WHERE contact_id = ?2",
        params![keep, gone],
    )?;
    c.exec("DELETE FROM contacts WHERE id = ?1", [gone])?;
    Ok(())
}

/// When two contacts turn out to be one person, their 1:1 chats become one chat
/// (the kept contact's, or the other one re-pointed if the kept one had none).
fn fold_direct_chat(c: &Connection, keep: &ContactId, gone: &ContactId) -> StoreResult<()> {
    let find = |id: &ContactId| -> StoreResult<Option<ChatId>> {
        Ok(c.one(
            "SELECT id FROM chats WHERE contact_id = ?1 AND kind = 'direct'",
            [id],
            |r| r.get(0),
        )
        .optional()?)
    };
    match (find(keep)?, find(gone)?) {
        (Some(kept), Some(folded)) => {
            c.exec(
                "UPDATE messages SET chat_id = ?1 WHERE chat_id = ?2",
                params![kept, folded],
            )?;
            // The moved messages keep IDs that begin with the folded chat's.
            c.exec(
                "UPDATE chat_folds SET kept_id = ?1 WHERE kept_id = ?2",
                params![kept, folded],
            )?;
            c.exec(
                "INSERT INTO chat_folds (folded_id, kept_id) VALUES (?2, ?1)
                 ON CONFLICT (folded_id) DO UPDATE SET kept_id = excluded.kept_id",
                params![kept, folded],
            )?;
            c.exec(
                "UPDATE chats AS k SET unread_count = k.unread_count + g.unread_count,
                        last_message_at = MAX(COALESCE(k.last_message_at, 0), COALESCE(g.last_message_at, 0))
                 FROM chats AS g WHERE k.id = ?1 AND g.id = ?2",
                params![kept, folded],
            )?;
            c.exec("DELETE FROM chats WHERE id = ?1", [folded])?;
        }
        (None, Some(folded)) => {
            c.exec("UPDATE chats SET contact_id = ?1 WHERE id = ?2", params![keep, folded])?;
        }
        _ => {}
    }
    Ok(())
}

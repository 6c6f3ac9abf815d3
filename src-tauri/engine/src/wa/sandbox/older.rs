//! What a sandbox phone keeps beyond the history it pushed at the link, so agent
//! developers can build against both with a test key:
//! - each chat's older messages (a few dozen to a few hundred, months before the
//!   pushed ones), sent on request like WhatsApp's on-demand history;
//! - media whose CDN copy expired (everything older than [`CDN_DAYS`]), which the
//!   phone uploads again on request, unless it lost the file (one in five).

use rand::seq::IndexedRandom;
use rand::Rng;

use super::history::content;
use super::media::seed;
use super::world::{rng_for, wa_message_id, World};
use crate::time::Millis;
use crate::wa::{Jid, MediaBlob, MsgKey, RemoteMedia, WaContent, WaMessage, USER_SERVER};

const DAY: Millis = 86_400_000;
/// How long the CDN keeps media.
pub const CDN_DAYS: i64 = 30;
/// Marks a media path whose CDN copy expired.
const EXPIRED: &str = "?expired";

/// Every message `me`'s phone keeps of `chat` before the pushed history, oldest first:
/// the same each time for the same world.
fn archive(world: &World, me: &str, chat: &Jid) -> Vec<WaMessage> {
    let mut rng = rng_for(world.seed, &format!("older:{me}:{chat}"));
    let count = rng.random_range(40..=240usize);
    let step = rng.random_range(6 * 3_600_000..=3 * DAY);
    // Older than anything the push after the link held (it reaches 90 days back).
    let end = world.created_at - 91 * DAY;
    let me_jid = Jid::new(me, USER_SERVER);
    let speakers: Vec<(Jid, bool)> = if chat.is_group() {
        world
            .groups
            .get(chat.user())
            .map(|g| {
                g.members
                    .iter()
                    .map(|m| (Jid::new(&m.phone, USER_SERVER), m.phone == me))
                    .collect()
            })
            .unwrap_or_default()
    } else {
        vec![(me_jid, true), (chat.clone(), false)]
    };
    if speakers.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<WaMessage> = (0..count)
        .map(|i| {
            let (sender, from_me) = speakers.choose(&mut rng).cloned().unwrap_or(speakers[0].clone());
            let id = wa_message_id(&mut rng);
            let push_name = (!from_me)
                .then(|| world.users.get(sender.user()).map(|u| u.name.clone()))
                .flatten();
            WaMessage {
                key: MsgKey {
                    chat: chat.clone(),
                    id: id.clone(),
                    from_me,
                    sender: (!from_me).then_some(sender),
                },
                ts: end - i as Millis * step,
                push_name,
                content: expired(content(&mut rng, &format!("{me}-{id}"))),
                reply_to: None,
                forwarded: false,
                status: None,
                starred: false,
            }
        })
        .collect();
    out.reverse();
    out
}

/// Up to `count` of the kept messages of `chat` before `before`, oldest first, and
/// whether the phone has older ones still.
pub fn older(world: &World, me: &str, chat: &Jid, before: Millis, count: usize) -> (Vec<WaMessage>, bool) {
    let all = archive(world, me, chat);
    let earlier: Vec<WaMessage> = all.into_iter().filter(|m| m.ts < before).collect();
    let from = earlier.len().saturating_sub(count);
    (earlier[from..].to_vec(), from > 0)
}

/// `content` with its media's CDN copy expired.
pub fn expired(mut content: WaContent) -> WaContent {
    let media = match &mut content {
        WaContent::Image { media, .. }
        | WaContent::Video { media, .. }
        | WaContent::Audio { media }
        | WaContent::Document { media, .. }
        | WaContent::Sticker { media } => media,
        _ => return content,
    };
    if let MediaBlob::Remote(r) = &mut media.blob {
        if !r.direct_path.ends_with(EXPIRED) {
            r.direct_path.push_str(EXPIRED);
        }
    }
    content
}

/// Whether the CDN no longer has this media.
pub fn is_expired(remote: &RemoteMedia) -> bool {
    remote.direct_path.ends_with(EXPIRED)
}

/// The phone uploads the media again: where it is now, or `None` when the phone no
/// longer has the file (one in five, by the media's key).
pub fn reupload(remote: &RemoteMedia) -> Option<RemoteMedia> {
    let path = remote.direct_path.strip_suffix(EXPIRED).unwrap_or(&remote.direct_path);
    let key = path.rsplit('/').next().unwrap_or_default();
    (!seed(key)[0].is_multiple_of(5)).then(|| RemoteMedia {
        direct_path: path.to_owned(),
        ..remote.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_back_to_the_start_without_overlap() {
        let mut world = World::seeded(7, 1_800_000_000_000);
        let me = "14155550100";
        world.join_seeded_groups(me);
        let chat = Jid::new(world.users.keys().next().unwrap(), USER_SERVER);
        let all = archive(&world, me, &chat);
        assert!((40..=240).contains(&all.len()));
        assert!(all.windows(2).all(|w| w[0].ts < w[1].ts), "oldest first");
        let mut before = Millis::MAX;
        let mut got = Vec::new();
        loop {
            let (page, more) = older(&world, me, &chat, before, 50);
            assert!(page.len() <= 50);
            before = page.first().map(|m| m.ts).unwrap_or(before);
            got.splice(0..0, page);
            if !more {
                break;
            }
        }
        assert_eq!(got, all, "every message once, in order");
        assert_eq!(older(&world, me, &chat, all[0].ts, 50), (vec![], false));
    }

    #[test]
    fn expired_media_comes_back_unless_the_phone_lost_it() {
        let (mut back, mut lost) = (0, 0);
        for i in 0..100 {
            let remote = super::super::history::remote("image", &format!("k{i}"));
            let gone = expired(WaContent::Image {
                media: crate::wa::WaMedia {
                    info: Default::default(),
                    blob: MediaBlob::Remote(remote.clone()),
                },
                caption: None,
            });
            let Some(MediaBlob::Remote(r)) = gone.media().map(|m| m.blob.clone()) else {
                panic!()
            };
            assert!(is_expired(&r));
            match reupload(&r) {
                Some(fresh) => {
                    assert_eq!(fresh, remote);
                    back += 1;
                }
                None => lost += 1,
            }
        }
        assert!(back > 60 && lost > 5, "{back} back, {lost} lost");
    }
}

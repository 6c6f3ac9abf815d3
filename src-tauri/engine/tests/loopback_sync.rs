//! What a phone syncs to our linked device, and what our device syncs back, on the
//! loopback WhatsApp network: pages of history against what live events said since,
//! chat actions with the messages they cover, logging out, and device properties.

use std::time::Duration;

use serde_json::{json, Value};
use wuse_loopback::history::{HistoryChat, SyncKind};

mod loopback;

use loopback::linked::*;

fn group_row(l: &Linked, jid: &str) -> (String, bool, i64) {
    l.engine
        .store
        .read(|c| {
            Ok(c.query_row(
                "SELECT g.subject, g.left_at IS NOT NULL,
                        (SELECT count(*) FROM group_participants gp WHERE gp.chat_id = g.chat_id)
                 FROM groups g JOIN chats ch ON ch.id = g.chat_id WHERE ch.jid = ?1",
                [jid],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?)
        })
        .unwrap()
}

async fn chat_with(l: &Linked, who: &str) -> Value {
    let (out, _) = call(
        &l.engine,
        &l.live,
        "get_chat",
        json!({ "account_id": l.account, "chat": format!("+{who}") }),
    )
    .await
    .unwrap();
    out["chat"].clone()
}

/// Ana mutes her chat with Bob on her phone; waits until the account has it.
async fn mute_on_the_phone(l: &Linked) {
    let ana = l.net.phone(ANA).unwrap();
    ana.chat_action("mute", &format!("+{BOB}"), &json!(true)).await.unwrap();
    let deadline = tokio::time::Instant::now() + ARRIVE;
    while chat_with(l, BOB).await["muted"] != true {
        assert!(tokio::time::Instant::now() < deadline, "the mute never arrived");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_page_of_history_does_not_undo_what_live_events_said() {
    let l = linked().await;
    let bob = l.net.phone(BOB).unwrap();
    let ana = l.net.phone(ANA).unwrap();
    let an_hour_ago = now_secs() - 3600;

    // Live: a group is made, renamed, and Ana is removed from it.
    let group = l.net.create_group("Old name", &[BOB.into(), ANA.into()]).unwrap();
    chat_named(&l, "Old name").await;
    l.net.rename_group(&group, BOB, "New name").unwrap();
    chat_named(&l, "New name").await;
    l.net.remove_from_group(&group, BOB, &[ANA.into()]).unwrap();
    until("Ana to be out of the group", || group_row(&l, &group).1.then_some(())).await;
    // Live: Bob writes (his name comes with it), and Ana mutes the chat on her phone.
    bob.send_text(&format!("+{ANA}"), "Hi, it's Bob").await.unwrap();
    wait_messages(&l, &format!("+{BOB}"), |m| m.len() == 1).await;
    mute_on_the_phone(&l).await;

    // Then a page of history the phone made an hour ago arrives: the group under its
    // old name with Ana in it, Bob by an old name, the chat not muted.
    let older: Vec<HistoryChat> = serde_json::from_value(json!([
        { "with": group, "name": "Old name", "members": [format!("+{BOB}"), format!("+{ANA}")],
          "messages": [{ "from_me": false, "from": format!("+{BOB}"), "text": "Earlier in the group", "ts": an_hour_ago }] },
        { "with": format!("+{BOB}"), "name": "Robert (old)",
          "messages": [{ "from_me": false, "text": "Earlier from Bob", "ts": an_hour_ago }] },
    ]))
    .unwrap();
    ana.push_history(&l.net, SyncKind::Recent, &older, false).await.unwrap();
    let messages = wait_messages(&l, &format!("+{BOB}"), |m| m.len() == 2).await;
    assert!(messages.iter().any(|m| m["text"] == "Earlier from Bob"), "{messages:?}");

    // The page's messages are stored; the state it described is older and yields.
    let (subject, left, members) = group_row(&l, &group);
    assert_eq!(subject, "New name", "an older page renamed the group back");
    assert!(left, "an older page brought the account back into a group it left");
    assert_eq!(members, 1, "an older page restored the old member list");
    let chat = chat_with(&l, BOB).await;
    assert_eq!(chat["muted"], true, "an older page unmuted the chat: {chat}");
    assert_eq!(chat["name"], "Bob", "an older page renamed Bob: {chat}");
    // What the page announced: one chunk, two new messages, back to an hour ago.
    let synced = events(&l, "history.synced");
    let chunk = synced.iter().find(|e| e["sync_type"] == "recent").unwrap();
    assert_eq!(chunk["messages"], 2, "{chunk}");
    assert_eq!(chunk["on_demand"], false, "{chunk}");
}

/// Polls the phone's copy of its chat with Bob until `done` holds for it.
async fn phone_chat_until(
    l: &Linked,
    done: impl Fn(&wuse_loopback::chats::ChatCopy) -> bool,
) -> wuse_loopback::chats::ChatCopy {
    let ana = l.net.phone(ANA).unwrap();
    let deadline = tokio::time::Instant::now() + ARRIVE;
    loop {
        let copy = ana.chat(&format!("+{BOB}")).unwrap();
        if done(&copy) {
            return copy;
        }
        assert!(tokio::time::Instant::now() < deadline, "the phone's chat: {copy:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_actions_name_the_messages_they_cover_and_the_phone_applies_them() {
    let l = linked().await;
    let bob = l.net.phone(BOB).unwrap();
    bob.send_text(&format!("+{ANA}"), "One").await.unwrap();
    bob.send_text(&format!("+{ANA}"), "Two").await.unwrap();
    wait_messages(&l, &format!("+{BOB}"), |m| m.len() == 2).await;
    let chat = json!({ "account_id": l.account, "chat": format!("+{BOB}") });
    phone_chat_until(&l, |c| c.messages.len() == 2 && c.unread()).await;

    call(&l.engine, &l.live, "archive_chat", chat.clone()).await.unwrap();
    let copy = phone_chat_until(&l, |c| c.archived || !c.ignored.is_empty()).await;
    assert!(copy.archived && copy.ignored.is_empty(), "{copy:?}");

    call(&l.engine, &l.live, "mark_chat_read", chat.clone()).await.unwrap();
    let copy = phone_chat_until(&l, |c| !c.unread() || !c.ignored.is_empty()).await;
    assert!(!copy.unread() && copy.ignored.is_empty(), "{copy:?}");

    call(&l.engine, &l.live, "delete_chat", chat.clone()).await.unwrap();
    let copy = phone_chat_until(&l, |c| c.messages.is_empty() || !c.ignored.is_empty()).await;
    assert!(copy.messages.is_empty() && copy.ignored.is_empty(), "{copy:?}");
}

/// Whether the store still holds the account's device keys (a paired device).
fn has_keys(l: &Linked) -> bool {
    let account = wuse_engine::ids::AccountId::parse(&l.account).unwrap();
    wuse_engine::wa::live::SessionStore::new(l.engine.store.clone(), account)
        .is_paired()
        .unwrap()
}

async fn account(l: &Linked) -> Value {
    let (out, _) = call(&l.engine, &l.live, "get_account", json!({ "account_id": l.account }))
        .await
        .unwrap();
    out["account"].clone()
}

fn still_linked(l: &Linked) -> bool {
    l.net.linked().iter().any(|d| d.pn == ANA)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logout_whatsapp_did_not_confirm_keeps_the_device_and_is_sent_again() {
    let l = linked().await;
    l.net.fail_next_iq("md", 500);
    let args = json!({ "account_id": l.account });
    let err = call(&l.engine, &l.live, "logout_account", args.clone())
        .await
        .unwrap_err();
    assert_eq!(err["code"], "server_error", "{err}");
    assert!(
        err["message"].as_str().unwrap().contains("did not confirm the unlink"),
        "{err}"
    );
    // Still linked on the phone, so still here: keys, session, and a pending logout.
    assert!(still_linked(&l));
    assert!(has_keys(&l), "the keys of a still-linked device were purged");
    let a = account(&l).await;
    assert_eq!(a["status"], "connected", "{a}");
    assert_eq!(a["logout_pending"], true, "{a}");

    // The next connection sends the unlink again; WhatsApp confirms it.
    l.net.drop_connections(ANA);
    let deadline = tokio::time::Instant::now() + CONNECT;
    while account(&l).await["status"] != "logged_out" || has_keys(&l) {
        assert!(tokio::time::Instant::now() < deadline, "{}", account(&l).await);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(!still_linked(&l), "the phone still lists the device");
    assert_eq!(account(&l).await["logout_pending"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmed_logout_unlinks_the_device_on_the_phone() {
    let l = linked().await;
    call(&l.engine, &l.live, "logout_account", json!({ "account_id": l.account }))
        .await
        .unwrap();
    assert!(!still_linked(&l), "the phone still lists the device");
    assert!(!has_keys(&l));
    assert_eq!(account(&l).await["status"], "logged_out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_phone_lists_the_device_by_name_and_sends_the_recent_history() {
    let l = linked_with(|ana| ana.queue_history(vec![long_chat(120)])).await;
    let device = l.net.linked().into_iter().find(|d| d.pn == ANA).unwrap();
    let os = match std::env::consts::OS {
        "linux" => "Linux",
        "macos" => "macOS",
        "windows" => "Windows",
        other => other,
    };
    assert_eq!(device.props.name, format!("WhatsApp-Use ({os})"));
    assert_eq!(device.props.platform, "DESKTOP");
    assert!(!device.props.full_sync);
    // The newest 50 of 120: the rest stays on the phone.
    let messages = wait_messages(&l, &format!("+{BOB}"), |m| m.len() >= 50).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (page, _) = call(
        &l.engine,
        &l.live,
        "list_messages",
        json!({ "account_id": l.account, "chat": format!("+{BOB}"), "limit": 200 }),
    )
    .await
    .unwrap();
    assert_eq!(page["messages"].as_array().unwrap().len(), 50, "{messages:?}");
    assert_eq!(page["messages"][0]["text"], "Message 70");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_on_link_everything_asks_the_phone_for_all_of_it() {
    let l = linked_after(
        |_, ana| ana.queue_history(vec![long_chat(120)]),
        |engine| {
            wuse_engine::control::settings::apply(
                &engine.store,
                wuse_engine::policy::Channel::Window,
                &[wuse_engine::control::settings::Change::parse("history_on_link", "\"everything\"").unwrap()],
            )
            .unwrap()
        },
    )
    .await;
    let device = l.net.linked().into_iter().find(|d| d.pn == ANA).unwrap();
    assert!(device.props.full_sync, "{:?}", device.props);
    wait_messages(&l, &format!("+{BOB}"), |m| m.len() == 100).await;
    let (page, _) = call(
        &l.engine,
        &l.live,
        "list_messages",
        json!({ "account_id": l.account, "chat": format!("+{BOB}"), "limit": 200 }),
    )
    .await
    .unwrap();
    assert_eq!(page["messages"].as_array().unwrap().len(), 120);
    // The Accounts page's progress: one chunk, 120 messages, back to the first one.
    let (account, _) = call(&l.engine, &l.live, "get_account", json!({ "account_id": l.account }))
        .await
        .unwrap();
    let history = &account["account"]["sync"]["history"];
    assert_eq!(history["chunks"], 1, "{account}");
    assert_eq!(history["messages"], 120, "{account}");
    assert!(history["oldest"].as_str().is_some(), "{account}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_s_new_security_code_reaches_agents_once() {
    let l = linked().await;
    let bob = l.net.phone(BOB).unwrap();
    bob.send_text(&format!("+{ANA}"), "Before").await.unwrap();
    wait_messages(&l, &format!("+{BOB}"), |m| m.len() == 1).await;
    // Bob reinstalls WhatsApp: WhatsApp says so, and his next message comes under new keys.
    let bob = l.net.reinstall(BOB).await.unwrap();
    bob.send_text(&format!("+{ANA}"), "After reinstalling").await.unwrap();
    wait_messages(&l, &format!("+{BOB}"), |m| m.len() == 2).await;
    let changed = until("contact.identity_changed", || {
        let e = events(&l, "contact.identity_changed");
        (!e.is_empty()).then_some(e)
    })
    .await;
    assert_eq!(changed[0]["contact"]["phone"], format!("+{BOB}"), "{changed:?}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(events(&l, "contact.identity_changed").len(), 1, "one change, told once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_settings_that_fail_to_sync_show_on_the_account_and_sync_later() {
    // The server refuses our device's first app-state sync, right after the link.
    let l = linked_after(|net, _| net.fail_next_app_state_sync(ANA, 503), |_| {}).await;
    let id = wuse_engine::ids::AccountId::parse(&l.account).unwrap();
    let failed = until("the failed sync on the account", || {
        let s = l.engine.accounts.sync_status(&id);
        (!s.app_state_failed.is_empty()).then_some(s.app_state_failed)
    })
    .await;
    assert!(failed.iter().all(|c| !c.is_empty()), "{failed:?}");
    // Chat settings sync again: a mute on the phone arrives.
    let bob = l.net.phone(BOB).unwrap();
    bob.send_text(&format!("+{ANA}"), "Hi").await.unwrap();
    wait_messages(&l, &format!("+{BOB}"), |m| m.len() == 1).await;
    mute_on_the_phone(&l).await;
}

//! The live path on the loopback WhatsApp network (`wuse-loopback`): our live
//! account is linked by a person's phone (a real `whatsapp-rust` client with its
//! own Signal identity), over a real WebSocket on 127.0.0.1, and what people send
//! reaches the store and the event log as it would from WhatsApp.

use std::time::Duration;

use serde_json::{json, Value};
use wuse_engine::ids::AccountId;
use wuse_engine::model::AccountStatus;
use wuse_engine::tools::{self, CallOutcome, Caller};

mod loopback;

use loopback::linked::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_s_messages_arrive_as_pkmsg_until_answered_then_as_msg() {
    let l = linked().await;
    let bob = l.net.phone(BOB).unwrap();
    let first = bob.send_text(&format!("+{ANA}"), "Hi Ana, it's Bob").await.unwrap();
    let chat = format!("+{BOB}");
    wait_messages(&l, &chat, |m| m.iter().any(|m| m["text"] == "Hi Ana, it's Bob")).await;
    // Signal keeps sending prekey messages until the other side answered once.
    agent_says(&l, &chat, "Hi Bob!").await.unwrap();
    bob.wait_message(ARRIVE, |m| m.text.as_deref() == Some("Hi Bob!"))
        .await
        .expect("Bob's phone decrypted the answer");
    let second = bob.send_text(&format!("+{ANA}"), "Lunch tomorrow?").await.unwrap();
    let messages = wait_messages(&l, &chat, |m| m.len() == 3).await;
    let lunch = messages.iter().find(|m| m["text"] == "Lunch tomorrow?").unwrap();
    assert_eq!(lunch["sender"]["phone"], format!("+{BOB}"), "{lunch}");
    assert_eq!(lunch["sender"]["name"], "Bob", "the push name came with the message");

    // What the server carried to our device: a session's first message, then one on it.
    let to_device = |id: &str| {
        l.net
            .sent()
            .into_iter()
            .find(|s| s.id == id)
            .unwrap()
            .payloads
            .into_iter()
            .find(|(_, to)| to.starts_with(&format!("{ANA}:")))
            .map(|(kind, _)| kind)
    };
    assert_eq!(to_device(&first).as_deref(), Some("pkmsg"));
    assert_eq!(to_device(&second).as_deref(), Some("msg"));

    let received = events(&l, "message.received");
    assert!(
        received.iter().any(|e| e["message"]["text"] == "Lunch tomorrow?"),
        "{received:?}"
    );
    // Bob's phone hears that the messages reached Ana's device.
    let deadline = tokio::time::Instant::now() + ARRIVE;
    while !bob.inbox().receipts.iter().any(|r| r.ids.contains(&second)) {
        assert!(tokio::time::Instant::now() < deadline, "no receipt: {:?}", bob.inbox());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_account_sends_a_person_s_phone_decrypts() {
    let l = linked().await;
    let (out, _) = agent_says(&l, &format!("+{BOB}"), "Sent by an agent").await.unwrap();
    let bob = l.net.phone(BOB).unwrap();
    let got = bob
        .wait_message(ARRIVE, |m| m.text.as_deref() == Some("Sent by an agent"))
        .await
        .unwrap_or_else(|| panic!("Bob's phone got: {:?}; send answered {out}", bob.inbox()));
    assert!(got.from.starts_with(ANA), "{got:?}");
    // Ana's own phone gets the copy every own device gets (a device-sent message).
    let ana = l.net.phone(ANA).unwrap();
    let copy = ana
        .wait_message(ARRIVE, |m| m.text.as_deref() == Some("Sent by an agent"))
        .await
        .unwrap_or_else(|| panic!("Ana's phone got: {:?}", ana.inbox()));
    assert_eq!(copy.chat, format!("{BOB}@s.whatsapp.net"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_messages_use_sender_keys_and_a_member_added_later_reads_new_ones() {
    let l = linked().await;
    let carol = l.net.add_person(CAROL, "Carol").await.unwrap();
    let bob = l.net.phone(BOB).unwrap();
    let group = l.net.create_group("Hiking trip", &[BOB.into(), ANA.into()]).unwrap();
    let first = bob.send_text(&group, "Saturday at 8?").await.unwrap();
    let chat = chat_named(&l, "Hiking trip").await;
    let messages = wait_messages(&l, &chat, |m| m.iter().any(|m| m["text"] == "Saturday at 8?")).await;
    assert_eq!(messages[0]["sender"]["phone"], format!("+{BOB}"), "{messages:?}");
    // One sender-key message for the group, the key itself to each member device.
    let sent = l.net.sent().into_iter().find(|s| s.id == first).unwrap();
    assert!(
        sent.payloads.iter().any(|(k, to)| k == "skmsg" && to == &group),
        "{sent:?}"
    );
    assert!(
        sent.payloads
            .iter()
            .any(|(k, to)| k == "pkmsg" && to.starts_with(&format!("{ANA}:"))),
        "our device got Bob's sender key: {sent:?}"
    );
    let created = events(&l, "group.created");
    assert!(
        created.iter().any(|e| e["group"]["subject"] == "Hiking trip"),
        "{created:?}"
    );

    // The account answers in the group; Bob's phone decrypts it.
    agent_says(&l, &chat, "Count me in").await.unwrap();
    let got = bob
        .wait_message(ARRIVE, |m| m.text.as_deref() == Some("Count me in"))
        .await
        .unwrap_or_else(|| panic!("Bob's phone got {:?}", bob.inbox()));
    assert_eq!(got.chat, group);

    // Carol joins; Bob's next message reaches her and us.
    l.net.add_to_group(&group, &[CAROL.into()]).unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    bob.send_text(&group, "Carol is coming too").await.unwrap();
    carol
        .wait_message(ARRIVE, |m| m.text.as_deref() == Some("Carol is coming too"))
        .await
        .unwrap_or_else(|| panic!("Carol's phone got {:?}", carol.inbox()));
    wait_messages(&l, &chat, |m| m.iter().any(|m| m["text"] == "Carol is coming too")).await;
    let added = events(&l, "group.participant_added");
    assert!(!added.is_empty(), "no participant_added event");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_device_gets_its_queue_on_reconnect() {
    let l = linked().await;
    let bob = l.net.phone(BOB).unwrap();
    l.net.set_offline(ANA, true).unwrap();
    let id = AccountId::parse(&l.account).unwrap();
    l.engine
        .accounts
        .wait_until(&id, CONNECT, |a| a.status != AccountStatus::Connected)
        .await
        .unwrap();
    bob.send_text(&format!("+{ANA}"), "Sent while you were away")
        .await
        .unwrap();
    bob.send_text(&format!("+{ANA}"), "And another one").await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(l.net.queued(&format!("{ANA}:7")), 2, "held for the device");
    l.net.set_offline(ANA, false).unwrap();
    let messages = wait_messages(&l, &format!("+{BOB}"), |m| m.len() == 2).await;
    assert!(messages.iter().any(|m| m["text"] == "And another one"), "{messages:?}");
    assert_eq!(l.net.queued(&format!("{ANA}:7")), 0);
    // The account said what it caught up on: two messages announced, all drained.
    let deadline = tokio::time::Instant::now() + ARRIVE;
    loop {
        let offline = l.engine.accounts.sync_status(&id).offline;
        if offline.is_some_and(|o| o.done) {
            assert_eq!((offline.unwrap().total, offline.unwrap().messages), (2, 2));
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{offline:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_that_does_not_decrypt_is_asked_for_again_and_arrives() {
    let l = linked().await;
    let bob = session_answered(&l).await;
    l.net.corrupt_next(&format!("{ANA}:7"), 1);
    let id = bob.send_text(&format!("+{ANA}"), "Damaged on the way").await.unwrap();
    let messages = wait_messages(&l, &format!("+{BOB}"), |m| m.len() == 3).await;
    assert!(
        messages.iter().any(|m| m["text"] == "Damaged on the way"),
        "{messages:?}"
    );
    // Our device asked Bob's phone for it again (a retry receipt), and the phone re-sent it.
    let resent = l.net.sent().into_iter().filter(|s| s.id == id).count();
    assert!(resent >= 2, "sent {resent} times");
    assert!(l.net.seen_receipt("retry"), "no retry receipt");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_arrives_inline_after_the_link_and_later_from_the_cdn() {
    let l = linked_with(|ana| {
        ana.queue_history(vec![history(
            &format!("+{BOB}"),
            &[
                (false, "Old news from Bob", 1_700_000_000),
                (true, "Ana's old reply", 1_700_000_060),
            ],
        )])
    })
    .await;
    let messages = wait_messages(&l, &format!("+{BOB}"), |m| m.len() == 2).await;
    let reply = messages.iter().find(|m| m["text"] == "Ana's old reply").unwrap();
    assert_eq!(reply["timestamp"], "2023-11-14T22:14:20.000Z", "{reply}");
    let (chats, _) = call(&l.engine, &l.live, "list_chats", json!({ "account_id": l.account }))
        .await
        .unwrap();
    assert_eq!(
        chats["chats"][0]["name"], "Bob",
        "the push name came with the history: {chats}"
    );

    // A later chunk travels as an encrypted blob on the CDN.
    let ana = l.net.phone(ANA).unwrap();
    let carol = l.net.add_person(CAROL, "Carol").await.unwrap();
    drop(carol);
    ana.push_history(
        &l.net,
        wuse_loopback::history::SyncKind::Recent,
        &[history(
            &format!("+{CAROL}"),
            &[(false, "Carol, last spring", 1_680_000_000)],
        )],
        false,
    )
    .await
    .unwrap();
    let from_cdn = wait_messages(&l, &format!("+{CAROL}"), |m| m.len() == 1).await;
    assert_eq!(from_cdn[0]["text"], "Carol, last spring");
    assert!(
        l.net.media_paths().iter().any(|p| p.contains("md-msg-hist")),
        "the chunk was on the CDN: {:?}",
        l.net.media_paths()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_goes_both_ways_byte_for_byte() {
    use wuse_loopback::media::Kind;
    let l = linked().await;
    let bob = l.net.phone(BOB).unwrap();
    let ana = format!("+{ANA}");
    let sent = [
        (Kind::Image, "image/jpeg", sample(40_000, 1)),
        (Kind::Video, "video/mp4", sample(120_000, 2)),
        (Kind::VoiceNote, "audio/ogg; codecs=opus", sample(9_000, 3)),
        (Kind::Document, "application/pdf", sample(70_000, 4)),
        (Kind::Sticker, "image/webp", sample(5_000, 5)),
    ];
    for (kind, mime, bytes) in &sent {
        bob.send_media(&ana, *kind, bytes.clone(), mime, None).await.unwrap();
    }
    let messages = wait_messages(&l, &format!("+{BOB}"), |m| m.len() == sent.len()).await;
    for m in &messages {
        let (out, blobs) = match tools::call(
            &l.engine,
            &l.live,
            "download_media",
            json!({ "message_id": m["id"], "as": "resource" }),
            Caller::default(),
        )
        .await
        {
            CallOutcome::Done(out) => (out.value.clone(), out.blobs),
            CallOutcome::Failed(e) => panic!("download_media of {m}: {}", serde_json::to_value(e).unwrap()),
            CallOutcome::UnknownTool | CallOutcome::InputRequired(_) => unreachable!(),
        };
        let got = &blobs.first().unwrap_or_else(|| panic!("no bytes: {out}")).bytes;
        assert!(
            sent.iter().any(|(_, _, b)| b == got),
            "{} downloaded {} bytes that Bob did not send",
            m["type"],
            got.len()
        );
    }

    // The other way: an agent's picture, decrypted by Bob's phone.
    let picture = sample(33_333, 9);
    use base64::Engine as _;
    let (uploaded, _) = call(
        &l.engine,
        &l.live,
        "upload_media",
        json!({ "base64": base64::engine::general_purpose::STANDARD.encode(&picture), "file_name": "x.bin" }),
    )
    .await
    .unwrap();
    let (out, _) = call(
        &l.engine,
        &l.live,
        "send_message",
        json!({ "account_id": l.account, "chat": format!("+{BOB}"), "media_id": uploaded["media"]["id"], "as_document": true }),
    )
    .await
    .unwrap();
    let got = bob
        .wait_message(ARRIVE, |m| m.kind == "document")
        .await
        .unwrap_or_else(|| panic!("Bob got {:?}; send said {out}", bob.inbox()));
    assert_eq!(bob.download(&got.id).await.unwrap(), picture);

    // Downloaded once, the bytes are kept: an expired CDN copy does not matter.
    for path in l.net.media_paths() {
        l.net.expire_media(&path);
    }
    let image = messages.iter().find(|m| m["type"] == "image").unwrap();
    let again = call(
        &l.engine,
        &l.live,
        "download_media",
        json!({ "message_id": image["id"] }),
    )
    .await;
    assert!(again.is_ok(), "{again:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_whatsapp_refuses_is_send_failed_and_marked_failed() {
    let l = linked().await;
    l.net.nack_next(ANA, 479);
    let err = agent_says(&l, &format!("+{BOB}"), "Refused by the server")
        .await
        .unwrap_err();
    assert_eq!(err["code"], "send_failed", "{err}");
    assert_eq!(err["status"], 502);
    assert_eq!(err["server_code"], "479");
    let messages = wait_messages(&l, &format!("+{BOB}"), |m| !m.is_empty()).await;
    assert_eq!(messages[0]["text"], "Refused by the server");
    assert_eq!(messages[0]["status"], "failed", "{}", messages[0]);
    assert!(
        events(&l, "message.sent").is_empty(),
        "a refused message is not announced as sent"
    );

    // The next one goes through.
    agent_says(&l, &format!("+{BOB}"), "Accepted").await.unwrap();
    assert_eq!(events(&l, "message.sent").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_that_never_decrypts_is_reported_as_undecryptable() {
    let l = linked().await;
    let bob = session_answered(&l).await;
    // Every copy damaged, the re-sent ones too.
    l.net.corrupt_next(&format!("{ANA}:7"), 100);
    let id = bob
        .send_text(&format!("+{ANA}"), "You will never read this")
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + ARRIVE;
    let event = loop {
        if let Some(e) = events(&l, "message.undecryptable").into_iter().next() {
            break e;
        }
        assert!(tokio::time::Instant::now() < deadline, "no message.undecryptable event");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(event["whatsapp_id"], id, "{event}");
    assert_eq!(event["sender"]["phone"], format!("+{BOB}"), "{event}");
    let messages = wait_messages(&l, &format!("+{BOB}"), |m| m.len() == 2).await;
    assert!(messages.iter().all(|m| m["text"] != "You will never read this"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_iq_the_server_fails_is_a_clear_error_and_the_next_one_works() {
    let l = linked().await;
    let check = || {
        call(
            &l.engine,
            &l.live,
            "check_whatsapp",
            json!({ "account_id": l.account, "phones": [format!("+{CAROL}")] }),
        )
    };
    for (code, ours) in [(500, "server_error"), (503, "server_error"), (401, "forbidden")] {
        l.net.fail_next_iq("usync", code);
        let err = check().await.unwrap_err();
        assert_eq!(err["code"], ours, "{code}: {err}");
        assert!(err["message"].as_str().unwrap().contains(&code.to_string()), "{err}");
    }
    // A refused request is not a logout: the account stays connected.
    let (accounts, _) = call(&l.engine, &l.live, "list_accounts", json!({})).await.unwrap();
    assert_eq!(accounts["accounts"][0]["status"], "connected", "{accounts}");
    let (ok, _) = check().await.unwrap();
    assert_eq!(ok["results"][0]["on_whatsapp"], true, "{ok}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_accounts_in_one_engine_chat_through_the_network() {
    let l = linked().await;
    let ana = l.account.clone();
    let bob = link_second(&l, BOB, "Bob's phone").await;
    let send = |account: &str, args: Value| {
        let mut args = args;
        args["account_id"] = json!(account);
        call(&l.engine, &l.live, "send_message", args)
    };
    let tool = |name: &'static str, args: Value| call(&l.engine, &l.live, name, args);

    // Text, then a reply to it.
    send(
        &ana,
        json!({ "chat": format!("+{BOB}"), "text": "Hi Bob, it's Ana's agent" }),
    )
    .await
    .unwrap();
    let at_bob = wait_in(&l, &bob, &format!("+{ANA}"), |m| !m.is_empty()).await;
    let first = at_bob[0]["id"].as_str().unwrap().to_owned();
    send(
        &bob,
        json!({ "chat": format!("+{ANA}"), "text": "Hello Ana", "reply_to": first }),
    )
    .await
    .unwrap();
    let at_ana = wait_in(&l, &ana, &format!("+{BOB}"), |m| m.len() == 2).await;
    let reply = at_ana.iter().find(|m| m["text"] == "Hello Ana").unwrap();
    let mine = at_ana.iter().find(|m| m["from_me"] == true).unwrap();
    assert_eq!(reply["reply_to"], mine["id"], "the reply quotes Ana's message: {reply}");

    // A reaction, an edit and a revoke, each seen on the other side.
    tool("add_reaction", json!({ "message_id": reply["id"], "emoji": "👍" }))
        .await
        .unwrap();
    tool(
        "edit_message",
        json!({ "message_id": mine["id"], "text": "Hi Bob, it's Ana (edited)" }),
    )
    .await
    .unwrap();
    wait_in(&l, &bob, &format!("+{ANA}"), |m| {
        m.iter().any(|m| m["text"] == "Hi Bob, it's Ana (edited)")
    })
    .await;
    let deadline = tokio::time::Instant::now() + ARRIVE;
    while events_of(&l, &bob, "message.reaction.added").is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "Bob's account saw no reaction");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tool(
        "delete_message",
        json!({ "message_id": mine["id"], "scope": "everyone" }),
    )
    .await
    .unwrap();
    let deadline = tokio::time::Instant::now() + ARRIVE;
    while events_of(&l, &bob, "message.deleted").is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "Bob's account saw no revoke");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Media, byte for byte.
    use base64::Engine as _;
    let bytes = sample(25_000, 11);
    let (media, _) = tool(
        "upload_media",
        json!({ "base64": base64::engine::general_purpose::STANDARD.encode(&bytes), "file_name": "notes.bin" }),
    )
    .await
    .unwrap();
    send(
        &ana,
        json!({ "chat": format!("+{BOB}"), "media_id": media["media"]["id"], "as_document": true }),
    )
    .await
    .unwrap();
    let docs = wait_in(&l, &bob, &format!("+{ANA}"), |m| {
        m.iter().any(|m| m["type"] == "document")
    })
    .await;
    let doc = docs.iter().find(|m| m["type"] == "document").unwrap();
    let got = match tools::call(
        &l.engine,
        &l.live,
        "download_media",
        json!({ "message_id": doc["id"], "as": "resource" }),
        Caller::default(),
    )
    .await
    {
        CallOutcome::Done(out) => out.blobs[0].bytes.clone(),
        CallOutcome::Failed(e) => panic!("{}", serde_json::to_value(e).unwrap()),
        CallOutcome::UnknownTool | CallOutcome::InputRequired(_) => unreachable!(),
    };
    assert_eq!(got, bytes);

    // A group with both accounts and a person.
    let carol = l.net.add_person(CAROL, "Carol").await.unwrap();
    let group = l
        .net
        .create_group("Three of us", &[CAROL.into(), ANA.into(), BOB.into()])
        .unwrap();
    carol.send_text(&group, "Welcome, both of you").await.unwrap();
    let (ana_group, bob_group) = (
        chat_in(&l, &ana, "Three of us").await,
        chat_in(&l, &bob, "Three of us").await,
    );
    wait_in(&l, &bob, &bob_group, |m| {
        m.iter().any(|m| m["text"] == "Welcome, both of you")
    })
    .await;
    send(&ana, json!({ "chat": ana_group, "text": "Thanks Carol" }))
        .await
        .unwrap();
    wait_in(&l, &bob, &bob_group, |m| m.iter().any(|m| m["text"] == "Thanks Carol")).await;
    carol
        .wait_message(ARRIVE, |m| m.text.as_deref() == Some("Thanks Carol"))
        .await
        .unwrap_or_else(|| panic!("Carol got {:?}", carol.inbox()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_phone_changes_in_app_state_shows_in_list_chats() {
    let l = linked().await;
    let bob = l.net.phone(BOB).unwrap();
    bob.send_text(&format!("+{ANA}"), "Hi").await.unwrap();
    wait_messages(&l, &format!("+{BOB}"), |m| m.len() == 1).await;
    let ana = l.net.phone(ANA).unwrap();
    // Muted and archived (an archived chat is never pinned: WhatsApp unpins it).
    let (on, off) = (json!(true), json!(false));
    ana.chat_action("mute", &format!("+{BOB}"), &on).await.unwrap();
    ana.chat_action("archive", &format!("+{BOB}"), &on).await.unwrap();
    first_chat_until(&l, |c| c["muted"] == true && c["archived"] == true).await;
    // Back in the inbox, pinned.
    ana.chat_action("archive", &format!("+{BOB}"), &off).await.unwrap();
    ana.chat_action("pin", &format!("+{BOB}"), &on).await.unwrap();
    let chat = first_chat_until(&l, |c| c["archived"] != true && c["pinned"] == true).await;
    assert_eq!(chat["muted"], true, "{chat}");

    // A star on Bob's message, and Bob's name in Ana's address book.
    let wa_id: String = l
        .engine
        .store
        .read(|c| Ok(c.query_row("SELECT wa_id FROM messages LIMIT 1", [], |r| r.get(0))?))
        .unwrap();
    ana.chat_action("star", &format!("+{BOB}"), &json!(wa_id))
        .await
        .unwrap();
    ana.chat_action("contact_name", &format!("+{BOB}"), &json!("Bob Builder"))
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + ARRIVE;
    loop {
        let starred: bool = l
            .engine
            .store
            .read(|c| Ok(c.query_row("SELECT starred FROM messages WHERE wa_id = ?1", [&wa_id], |r| r.get(0))?))
            .unwrap();
        if starred {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the star never reached the store"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    first_chat_until(&l, |c| c["name"] == "Bob Builder").await;
}

/// Waits for Ana's phone to sync a star of the message WhatsApp knows as `id`.
async fn star_on_phone(l: &Linked, id: &str) -> wuse_loopback::phone::StarSeen {
    let ana = l.net.phone(ANA).unwrap();
    let deadline = tokio::time::Instant::now() + ARRIVE;
    loop {
        if let Some(s) = ana.inbox().stars.into_iter().find(|s| s.message_id == id) {
            return s;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "Ana's phone saw no star of {id}: {:?}",
            ana.inbox().stars
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_star_reaches_the_phone_under_whatsapp_s_key_in_chats_and_groups() {
    let l = linked().await;
    let bob = l.net.phone(BOB).unwrap();
    // 1:1: the index's participant slot is "0", not Bob's JID.
    let direct = bob.send_text(&format!("+{ANA}"), "Star this").await.unwrap();
    let ours = wait_messages(&l, &format!("+{BOB}"), |m| m.len() == 1).await;
    call(
        &l.engine,
        &l.live,
        "star_message",
        json!({ "message_id": ours[0]["id"] }),
    )
    .await
    .unwrap();
    let star = star_on_phone(&l, &direct).await;
    assert_eq!(star.participant, None, "{star:?}");
    assert!(star.starred && !star.from_me, "{star:?}");

    // A group: the slot names the author.
    let group = l.net.create_group("Stars", &[BOB.into(), ANA.into()]).unwrap();
    let in_group = bob.send_text(&group, "And this one").await.unwrap();
    let chat = chat_named(&l, "Stars").await;
    let msgs = wait_messages(&l, &chat, |m| !m.is_empty()).await;
    call(
        &l.engine,
        &l.live,
        "star_message",
        json!({ "message_id": msgs[0]["id"] }),
    )
    .await
    .unwrap();
    let star = star_on_phone(&l, &in_group).await;
    assert_eq!(
        star.participant.as_deref(),
        Some(format!("{BOB}@s.whatsapp.net").as_str()),
        "{star:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_goes_to_those_who_subscribed() {
    let l = linked().await;
    let bob = l.net.phone(BOB).unwrap();
    bob.set_online(true).await.unwrap();
    let (now, _) = call(
        &l.engine,
        &l.live,
        "get_contact_presence",
        json!({ "account_id": l.account, "contact": format!("+{BOB}") }),
    )
    .await
    .unwrap();
    assert_eq!(now["presence"]["online"], true, "{now}");
    bob.set_online(false).await.unwrap();
    let deadline = tokio::time::Instant::now() + ARRIVE;
    while !events(&l, "presence.changed").iter().any(|e| e["online"] == false) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{:?}",
            events(&l, "presence.changed")
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

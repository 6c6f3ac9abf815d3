//! What a linked device fetches later from the account's phone, on the loopback
//! WhatsApp network: older messages on demand (`fetch_older_messages`), and media
//! whose CDN copy expired, uploaded again by the phone.

use std::time::Duration;

use serde_json::{json, Value};

mod loopback;

use loopback::linked::*;

/// Every message of a chat, oldest first, through `list_messages` pages.
async fn all_messages(l: &Linked, chat: &str) -> (Vec<Value>, Value) {
    let mut out: Vec<Value> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut args = json!({ "account_id": l.account, "chat": chat, "limit": 200 });
        if let Some(c) = &cursor {
            args["cursor"] = json!(c);
        }
        let (page, _) = call(&l.engine, &l.live, "list_messages", args).await.unwrap();
        let mut messages = page["messages"].as_array().cloned().unwrap();
        messages.extend(out);
        out = messages;
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return (out, page["older_on_phone"].clone()),
        }
    }
}

fn fetch_older(l: &Linked, count: u32) -> Value {
    json!({ "account_id": l.account, "chat": format!("+{BOB}"), "count": count })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn older_messages_come_from_the_phone_page_by_page_to_the_start() {
    let l = linked_with(|ana| ana.queue_history(vec![long_chat(500)])).await;
    // The link brought the newest 50; the phone says it has more.
    wait_messages(&l, &format!("+{BOB}"), |m| m.len() == 50).await;
    let (first, older) = all_messages(&l, &format!("+{BOB}")).await;
    assert_eq!(first.len(), 50);
    assert_eq!(older, true, "the phone said more remain");

    let mut calls = 0;
    loop {
        calls += 1;
        assert!(
            calls <= 6,
            "500 messages in pages of 100 take five calls and a last one"
        );
        let (out, _) = call(&l.engine, &l.live, "fetch_older_messages", fetch_older(&l, 100))
            .await
            .unwrap();
        let page = out["messages"].as_array().unwrap();
        // Newest first, all older than what was there.
        let times: Vec<&str> = page.iter().map(|m| m["timestamp"].as_str().unwrap()).collect();
        assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
        if out["complete"] == true {
            assert_eq!(out["older_on_phone"], false);
            break;
        }
        assert_eq!(page.len(), 100, "{out}");
    }
    let (all, older) = all_messages(&l, &format!("+{BOB}")).await;
    let texts: Vec<String> = all.iter().map(|m| m["text"].as_str().unwrap().to_owned()).collect();
    let expected: Vec<String> = (0..500).map(|i| format!("Message {i}")).collect();
    assert_eq!(texts, expected, "every message once, in order");
    assert_eq!(older, false, "the phone has nothing older");
    // Searchable at once.
    let (found, _) = call(
        &l.engine,
        &l.live,
        "search_messages",
        json!({ "account_id": l.account, "query": "\"Message 0\"" }),
    )
    .await
    .unwrap();
    assert!(
        found["results"].to_string().contains("Message 0"),
        "the oldest message is searchable: {found}"
    );
    // Each answer was announced.
    let synced: Vec<Value> = events(&l, "history.synced")
        .into_iter()
        .filter(|e| e["on_demand"] == true)
        .collect();
    assert!(synced.len() >= 5, "{synced:?}");
    // Asked again at the start: answered at once, nothing older.
    let (again, _) = call(&l.engine, &l.live, "fetch_older_messages", fetch_older(&l, 10))
        .await
        .unwrap();
    assert_eq!(
        (again["complete"].clone(), again["messages"].as_array().unwrap().len()),
        (json!(true), 0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_that_does_not_answer_in_time_is_unreachable_and_its_late_answer_is_kept() {
    let l = linked_with(|ana| ana.queue_history(vec![long_chat(120)])).await;
    wait_messages(&l, &format!("+{BOB}"), |m| m.len() == 50).await;
    let ana = l.net.phone(ANA).unwrap();
    ana.set_answer_delay(Duration::from_secs(3));
    let mut args = fetch_older(&l, 30);
    args["timeout_ms"] = json!(1000);
    let err = call(&l.engine, &l.live, "fetch_older_messages", args)
        .await
        .unwrap_err();
    assert_eq!(
        (err["code"].clone(), err["status"].clone()),
        (json!("phone_unreachable"), json!(504)),
        "{err}"
    );
    // The answer comes later: stored, and announced.
    let event = until("the late answer", || {
        events(&l, "history.synced")
            .into_iter()
            .find(|e| e["on_demand"] == true)
    })
    .await;
    assert_eq!(event["messages"], 30, "{event}");
    wait_messages(&l, &format!("+{BOB}"), |m| m.len() == 80).await;
}

/// Bob sends Ana a picture; the ID the engine gives it, once it arrived.
async fn a_picture_from_bob(l: &Linked, bytes: &[u8], caption: &str) -> (String, String) {
    use wuse_loopback::media::Kind;
    let bob = l.net.phone(BOB).unwrap();
    let wa_id = bob
        .send_media(
            &format!("+{ANA}"),
            Kind::Image,
            bytes.to_vec(),
            "image/jpeg",
            Some(caption.into()),
        )
        .await
        .unwrap();
    let got = wait_messages(l, &format!("+{BOB}"), |m| m.iter().any(|m| m["text"] == caption)).await;
    let id = got.iter().find(|m| m["text"] == caption).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (id, wa_id)
}

async fn download(l: &Linked, id: &str) -> Result<Vec<u8>, Value> {
    use wuse_engine::tools::{self, CallOutcome, Caller};
    match tools::call(
        &l.engine,
        &l.live,
        "download_media",
        json!({ "message_id": id, "as": "resource" }),
        Caller::default(),
    )
    .await
    {
        CallOutcome::Done(out) => Ok(out.blobs.first().expect("the bytes").bytes.to_vec()),
        CallOutcome::Failed(e) => Err(serde_json::to_value(e).unwrap()),
        CallOutcome::UnknownTool | CallOutcome::InputRequired(_) => unreachable!(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_whose_cdn_copy_expired_is_uploaded_again_by_the_phone() {
    let l = linked().await;
    let picture = sample(30_000, 11);
    let (id, wa_id) = a_picture_from_bob(&l, &picture, "from last spring").await;
    let ana = l.net.phone(ANA).unwrap();
    until("Ana's phone to keep the picture", || ana.has_file(&wa_id).then_some(())).await;
    for path in l.net.media_paths() {
        l.net.expire_media(&path);
    }
    assert_eq!(
        download(&l, &id).await.unwrap(),
        picture,
        "the bytes the phone uploaded again"
    );
    // The new copy's place is kept: it is on the CDN, under a new path.
    let remote: String = l
        .engine
        .store
        .read(|c| Ok(c.query_row("SELECT data FROM messages WHERE id = ?1", [&id], |r| r.get(0))?))
        .unwrap();
    let path = serde_json::from_str::<Value>(&remote).unwrap()["remote"]["direct_path"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(l.net.media_paths().contains(&path), "{path} is on the CDN");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_the_phone_no_longer_has_is_media_expired_with_the_message_id() {
    let l = linked().await;
    let (id, wa_id) = a_picture_from_bob(&l, &sample(8_000, 12), "deleted on the phone").await;
    let ana = l.net.phone(ANA).unwrap();
    until("Ana's phone to keep the picture", || ana.has_file(&wa_id).then_some(())).await;
    assert!(ana.lose_file(&wa_id));
    for path in l.net.media_paths() {
        l.net.expire_media(&path);
    }
    let err = download(&l, &id).await.unwrap_err();
    assert_eq!(
        (err["code"].clone(), err["status"].clone()),
        (json!("media_expired"), json!(410)),
        "{err}"
    );
    assert!(err["message"].as_str().unwrap().contains(&id), "{err}");
}

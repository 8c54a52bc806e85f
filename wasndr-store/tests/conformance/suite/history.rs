//! History and attachment queries: filters, search, paging with totals, ordering.

use std::sync::Arc;

use wasndr_core::jid::Jid;
use wasndr_core::store::{AttachmentQuery, HistoryQuery, Order, Store};
use wasndr_store::StoreContainer;

use super::messages::media;
use super::{ids, new_device, pn, text_message};

/// Two chats, ten messages at distinct times, in a scrambled insertion order.
async fn two_chats(store: &Arc<dyn Store>) -> (Jid, Jid) {
    let (alice, group) = (pn("15550001111"), Jid::group("120363025246125888"));
    let rows = [
        (&alice, "a3", 300, "Lunch at noon?"),
        (&group, "g1", 100, "Welcome to the GROUP"),
        (&alice, "a1", 110, "hello Alice"),
        (&group, "g4", 400, "ÉCOLE fermée demain"),
        (&alice, "a2", 200, "Привет, как дела?"),
        (&group, "g2", 210, "école primaire"),
        (&alice, "a5", 500, "see you at LUNCH"),
        (&group, "g3", 310, "Straße gesperrt"),
        (&alice, "a4", 410, "no text match here"),
        (&group, "g5", 510, "ΣΟΦΙΑ σοφία"),
    ];
    for (chat, id, at, text) in rows {
        assert!(
            store
                .insert_message(&text_message(chat, id, at, text))
                .await
                .unwrap()
        );
    }
    (alice, group)
}

fn query() -> HistoryQuery {
    HistoryQuery {
        limit: 100,
        ..HistoryQuery::default()
    }
}

pub(crate) async fn history_filters_by_chat_and_time(container: &dyn StoreContainer) {
    let (_, store, _) = new_device(container, 1).await;
    assert_eq!(store.messages(&query()).await.unwrap().total, 0);
    let (alice, group) = two_chats(&store).await;

    let all = store.messages(&query()).await.unwrap();
    assert_eq!(all.total, 10);
    assert_eq!(
        ids(&all.items),
        ["g5", "a5", "a4", "g4", "g3", "a3", "g2", "a2", "a1", "g1"]
    );

    let only_alice = store
        .messages(&HistoryQuery {
            chat: Some(alice.clone()),
            ..query()
        })
        .await
        .unwrap();
    assert_eq!(
        (only_alice.total, ids(&only_alice.items)),
        (5, vec!["a5", "a4", "a3", "a2", "a1"])
    );

    // Both bounds are inclusive.
    let window = HistoryQuery {
        since: Some(200),
        until: Some(400),
        ..query()
    };
    let page = store.messages(&window).await.unwrap();
    assert_eq!(
        (page.total, ids(&page.items)),
        (5, vec!["g4", "g3", "a3", "g2", "a2"])
    );
    let window_in_group = HistoryQuery {
        chat: Some(group.clone()),
        ..window
    };
    let page = store.messages(&window_in_group).await.unwrap();
    assert_eq!((page.total, ids(&page.items)), (3, vec!["g4", "g3", "g2"]));
    let since = store
        .messages(&HistoryQuery {
            since: Some(500),
            ..query()
        })
        .await
        .unwrap();
    assert_eq!(ids(&since.items), ["g5", "a5"]);
    let until = store
        .messages(&HistoryQuery {
            until: Some(110),
            ..query()
        })
        .await
        .unwrap();
    assert_eq!(ids(&until.items), ["a1", "g1"]);
    let nothing = store
        .messages(&HistoryQuery {
            since: Some(401),
            until: Some(409),
            ..query()
        })
        .await
        .unwrap();
    assert_eq!((nothing.total, nothing.items.len()), (0, 0));
    let unknown_chat = store
        .messages(&HistoryQuery {
            chat: Some(pn("1999")),
            ..query()
        })
        .await
        .unwrap();
    assert_eq!(unknown_chat.total, 0);
}

pub(crate) async fn history_search_ignores_case_beyond_ascii(container: &dyn StoreContainer) {
    let (_, store, _) = new_device(container, 1).await;
    let (alice, _) = two_chats(&store).await;
    let search = |needle: &str| HistoryQuery {
        search: Some(needle.into()),
        ..query()
    };
    let cases: [(&str, &[&str]); 10] = [
        ("lunch", &["a5", "a3"]),
        ("LUNCH", &["a5", "a3"]),
        ("group", &["g1"]),
        ("école", &["g4", "g2"]),
        ("ÉCOLE", &["g4", "g2"]),
        ("привет", &["a2"]),
        ("КАК ДЕЛА", &["a2"]),
        ("σοφία", &["g5"]),
        ("straße", &["g3"]),
        ("no such words", &[]),
    ];
    for (needle, expected) in cases {
        let page = store.messages(&search(needle)).await.unwrap();
        assert_eq!(ids(&page.items), expected, "search {needle:?}");
        assert_eq!(page.total, expected.len() as u64, "search {needle:?}");
    }
    // An empty search matches everything; search combines with the chat filter.
    assert_eq!(store.messages(&search("")).await.unwrap().total, 10);
    let in_alice = HistoryQuery {
        chat: Some(alice),
        ..search("e")
    };
    let page = store.messages(&in_alice).await.unwrap();
    assert_eq!(ids(&page.items), ["a5", "a4", "a1"]);
    // Messages without text never match a non-empty search; LIKE wildcards are plain characters.
    assert_eq!(store.messages(&search("%")).await.unwrap().total, 0);
    assert_eq!(store.messages(&search("_")).await.unwrap().total, 0);
}

pub(crate) async fn history_pages_count_the_whole_filtered_set(container: &dyn StoreContainer) {
    let (_, store, _) = new_device(container, 1).await;
    let chat = pn("15550001111");
    for i in 0..57u64 {
        let text = if i % 3 == 0 {
            format!("Match number {i}")
        } else {
            format!("other {i}")
        };
        store
            .insert_message(&text_message(&chat, &format!("m{i:02}"), 1000 + i, &text))
            .await
            .unwrap();
    }
    // 19 matches (0, 3, …, 54), newest first, paged by 5.
    let mut seen = Vec::new();
    for page_number in 0..5u64 {
        let page = store
            .messages(&HistoryQuery {
                search: Some("MATCH".into()),
                limit: 5,
                offset: page_number * 5,
                ..HistoryQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(page.total, 19, "page {page_number}");
        assert_eq!(
            page.items.len(),
            if page_number < 3 {
                5
            } else if page_number == 3 {
                4
            } else {
                0
            }
        );
        seen.extend(page.items.into_iter().map(|m| m.id));
    }
    let expected: Vec<String> = (0..57)
        .rev()
        .filter(|i| i % 3 == 0)
        .map(|i| format!("m{i:02}"))
        .collect();
    assert_eq!(seen, expected);

    let unfiltered = store
        .messages(&HistoryQuery {
            limit: 10,
            offset: 50,
            ..HistoryQuery::default()
        })
        .await
        .unwrap();
    assert_eq!((unfiltered.total, unfiltered.items.len()), (57, 7));
    let zero = store
        .messages(&HistoryQuery {
            limit: 0,
            ..HistoryQuery::default()
        })
        .await
        .unwrap();
    assert_eq!((zero.total, zero.items.len()), (57, 0));
}

pub(crate) async fn history_orders_by_time_then_insertion(container: &dyn StoreContainer) {
    let (_, store, _) = new_device(container, 1).await;
    let chat = pn("15550001111");
    // Same-second messages keep the order they were stored in.
    for (id, at) in [("x", 50), ("b", 10), ("c", 10), ("a", 10), ("d", 20)] {
        store
            .insert_message(&text_message(&chat, id, at, "t"))
            .await
            .unwrap();
    }
    let newest = store.messages(&query()).await.unwrap();
    assert_eq!(ids(&newest.items), ["x", "d", "a", "c", "b"]);
    let oldest = store
        .messages(&HistoryQuery {
            order: Order::OldestFirst,
            ..query()
        })
        .await
        .unwrap();
    assert_eq!(ids(&oldest.items), ["b", "c", "a", "d", "x"]);
    let second_page = HistoryQuery {
        order: Order::OldestFirst,
        limit: 2,
        offset: 2,
        ..query()
    };
    assert_eq!(
        ids(&store.messages(&second_page).await.unwrap().items),
        ["a", "d"]
    );
}

pub(crate) async fn attachments_list_media_with_totals(container: &dyn StoreContainer) {
    let (_, store, _) = new_device(container, 1).await;
    let (alice, group) = two_chats(&store).await;
    let with_media = [
        (&alice, "img1", 600, "image"),
        (&group, "doc1", 610, "document"),
        (&alice, "doc2", 620, "document"),
        (&group, "vid1", 630, "video"),
        (&alice, "aud1", 640, "audio"),
    ];
    for (chat, id, at, kind) in with_media {
        let mut message = text_message(chat, id, at, "caption");
        message.message_type = kind.into();
        message.media = Some(media(kind, &format!("{id}.bin")));
        store.insert_message(&message).await.unwrap();
    }
    let all = store
        .attachments(&AttachmentQuery {
            limit: 100,
            ..AttachmentQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(
        (all.total, ids(&all.items)),
        (5, vec!["aud1", "vid1", "doc2", "doc1", "img1"])
    );
    assert_eq!(all.items[2].media, Some(media("document", "doc2.bin")));

    let documents = AttachmentQuery {
        media_type: Some("document".into()),
        ..AttachmentQuery::default()
    };
    assert_eq!(
        ids(&store.attachments(&documents).await.unwrap().items),
        ["doc2", "doc1"]
    );
    let alice_page = AttachmentQuery {
        chat: Some(alice.clone()),
        limit: 2,
        offset: 1,
        order: Order::OldestFirst,
        ..AttachmentQuery::default()
    };
    let page = store.attachments(&alice_page).await.unwrap();
    assert_eq!((page.total, ids(&page.items)), (3, vec!["doc2", "aud1"]));
    let group_docs = AttachmentQuery {
        chat: Some(group),
        media_type: Some("document".into()),
        ..AttachmentQuery::default()
    };
    assert_eq!(store.attachments(&group_docs).await.unwrap().total, 1);
    // Media messages are history too.
    assert_eq!(store.messages(&query()).await.unwrap().total, 15);
}

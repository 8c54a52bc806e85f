//! The number check through wasndr-core's Client against the simulator: which of a batch of numbers
//! have accounts, under which phone-number JID and LID, answered in the order asked.

#![allow(clippy::unwrap_used)]

mod wasndr_client;

use wasndr_client::{memory_store, pair_by_qr};
use wasndr_core::Error;
use wasndr_core::client::NumberStatus;
use wasndr_core::jid::Jid;

const ASKER: &str = "15550008001";
const FRIEND: &str = "15550008002";
const STRANGER: &str = "15550008999";

#[tokio::test]
async fn numbers_are_checked_in_a_batch_in_the_order_given() {
    let sim = wasndr_client::simulator().await;
    sim.create_phone(ASKER).await.unwrap();
    let friend = sim.create_phone(FRIEND).await.unwrap();
    let store = memory_store();
    let (client, _events, _) = pair_by_qr(&sim, ASKER, store.clone()).await;

    let asked = [
        "+1 555 000 8999".to_owned(),
        "+1 (555) 000-8002".to_owned(),
        ASKER.to_owned(),
        FRIEND.to_owned(),
    ];
    let statuses = client.is_on_whatsapp(&asked).await.unwrap();
    let friend_lid = Jid::parse(&friend.lid).unwrap();
    let registered_friend = NumberStatus {
        phone: FRIEND.to_owned(),
        registered: true,
        jid: Some(Jid::pn(FRIEND)),
        lid: Some(friend_lid.clone()),
    };
    assert_eq!(
        statuses[0],
        NumberStatus {
            phone: STRANGER.to_owned(),
            registered: false,
            jid: None,
            lid: None,
        }
    );
    assert_eq!(statuses[1], registered_friend);
    assert!(statuses[2].registered, "our own number is registered");
    assert_eq!(statuses[2].jid, Some(Jid::pn(ASKER)));
    assert_eq!(
        statuses[3], registered_friend,
        "a number asked twice is answered twice"
    );
    assert_eq!(statuses.len(), 4);
    // The LID learnt is kept in the PN↔LID map.
    assert_eq!(
        store.lid_for_pn(&Jid::pn(FRIEND)).await.unwrap(),
        Some(friend_lid)
    );

    // An invalid number fails the call before anything is asked.
    assert!(matches!(
        client.is_on_whatsapp(&["12ab".to_owned()]).await,
        Err(Error::InvalidPhoneNumber(_))
    ));
    assert!(client.is_on_whatsapp(&[]).await.unwrap().is_empty());
    client.disconnect().await;
}

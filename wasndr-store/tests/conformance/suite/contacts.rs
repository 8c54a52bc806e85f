//! Contacts, LID↔PN mappings and the device-list cache.

use wasndr_core::jid::Jid;
use wasndr_core::store::{Contact, DeviceList, LidMapping, ListedDevice};
use wasndr_store::StoreContainer;

use super::{new_device, pn};

pub(crate) async fn contacts_merge_names(container: &dyn StoreContainer) {
    let (_, store, _) = new_device(container, 1).await;
    let alice = pn("15550001111");
    assert!(store.contact(&alice).await.unwrap().is_none());
    assert!(store.contacts().await.unwrap().is_empty());

    let mut update = Contact::new(alice.clone().with_device(3));
    update.push_name = Some("Ali".into());
    store.merge_contact(&update).await.unwrap();
    let mut update = Contact::new(alice.clone());
    update.full_name = Some("Alice Álvarez".into());
    update.first_name = Some("Alice".into());
    store.merge_contact(&update).await.unwrap();
    let mut update = Contact::new(alice.clone());
    update.push_name = Some("Alice 🌷".into());
    store.merge_contact(&update).await.unwrap();

    // Any device of the user finds the user's contact; names set once stay until replaced.
    let contact = store
        .contact(&alice.clone().with_device(9))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(contact.jid, alice);
    assert_eq!(contact.push_name.as_deref(), Some("Alice 🌷"));
    assert_eq!(contact.full_name.as_deref(), Some("Alice Álvarez"));
    assert_eq!(contact.first_name.as_deref(), Some("Alice"));
    assert_eq!(contact.business_name, None);

    let mut business = Contact::new(Jid::lid("123456789012345"));
    business.business_name = Some("Shop".into());
    store.merge_contact(&business).await.unwrap();
    let all = store.contacts().await.unwrap();
    assert_eq!(all.len(), 2);
    let texts: Vec<String> = all.iter().map(|c| c.jid.to_string()).collect();
    let mut sorted = texts.clone();
    sorted.sort();
    assert_eq!(texts, sorted, "contacts are ordered by JID text");
    assert!(all.contains(&business));
}

pub(crate) async fn lid_mappings_map_both_ways_one_to_one(container: &dyn StoreContainer) {
    let (_, store, _) = new_device(container, 1).await;
    let (lid1, lid2) = (Jid::lid("111111111111111"), Jid::lid("222222222222222"));
    let (pn1, pn2) = (pn("15550001111"), pn("15550002222"));
    assert_eq!(store.lid_for_pn(&pn1).await.unwrap(), None);
    assert_eq!(store.pn_for_lid(&lid1).await.unwrap(), None);

    // Device JIDs are reduced to the user, on save and on lookup.
    store
        .save_lid_mapping(&LidMapping::new(
            &lid1.clone().with_device(4),
            &pn1.clone().with_device(4),
        ))
        .await
        .unwrap();
    assert_eq!(store.lid_for_pn(&pn1).await.unwrap(), Some(lid1.clone()));
    assert_eq!(
        store.lid_for_pn(&pn1.clone().with_device(2)).await.unwrap(),
        Some(lid1.clone())
    );
    assert_eq!(
        store.pn_for_lid(&lid1.clone().with_device(7)).await.unwrap(),
        Some(pn1.clone())
    );

    // pn1 now maps to lid2: the old pair is gone in both directions.
    store
        .save_lid_mapping(&LidMapping::new(&lid2, &pn1))
        .await
        .unwrap();
    assert_eq!(store.lid_for_pn(&pn1).await.unwrap(), Some(lid2.clone()));
    assert_eq!(store.pn_for_lid(&lid2).await.unwrap(), Some(pn1.clone()));
    assert_eq!(store.pn_for_lid(&lid1).await.unwrap(), None);

    // lid2 now maps to pn2: pn1 is unmapped.
    store
        .save_lid_mapping(&LidMapping::new(&lid2, &pn2))
        .await
        .unwrap();
    assert_eq!(store.pn_for_lid(&lid2).await.unwrap(), Some(pn2.clone()));
    assert_eq!(store.lid_for_pn(&pn2).await.unwrap(), Some(lid2));
    assert_eq!(store.lid_for_pn(&pn1).await.unwrap(), None);
}

pub(crate) async fn device_lists_are_cached_per_user(container: &dyn StoreContainer) {
    let (_, store, _) = new_device(container, 1).await;
    let alice = pn("15550001111");
    let bob = Jid::lid("222222222222222");
    assert!(store.device_list(&alice).await.unwrap().is_none());
    let list = DeviceList {
        user: alice.clone().with_device(3),
        devices: vec![
            ListedDevice {
                device: 0,
                key_index: None,
            },
            ListedDevice {
                device: 3,
                key_index: Some(1),
            },
            ListedDevice {
                device: 12,
                key_index: Some(4),
            },
        ],
        fetched_at: 1_700_000_500,
    };
    store.save_device_list(&list).await.unwrap();
    let empty = DeviceList {
        user: bob.clone(),
        devices: Vec::new(),
        fetched_at: 1,
    };
    store.save_device_list(&empty).await.unwrap();

    let loaded = store
        .device_list(&alice.clone().with_device(12))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(loaded.user, alice);
    assert_eq!(loaded.devices, list.devices);
    assert_eq!(loaded.fetched_at, list.fetched_at);
    assert_eq!(store.device_list(&bob).await.unwrap(), Some(empty));

    let fresher = DeviceList {
        user: alice.clone(),
        devices: vec![ListedDevice {
            device: 0,
            key_index: None,
        }],
        fetched_at: 1_700_000_900,
    };
    store.save_device_list(&fresher).await.unwrap();
    assert_eq!(store.device_list(&alice).await.unwrap(), Some(fresher));
    store
        .delete_device_list(&alice.clone().with_device(3))
        .await
        .unwrap();
    assert!(store.device_list(&alice).await.unwrap().is_none());
    assert!(store.device_list(&bob).await.unwrap().is_some());
}

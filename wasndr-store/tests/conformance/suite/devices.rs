//! The container, the device record and the identity it gives the Signal store.

use wasndr_core::jid::Jid;
use wasndr_core::store::{Device, StoreError};
use wasndr_store::{DeviceId, StoreContainer};

use super::{new_device, rng};

fn same_device(a: &Device, b: &Device) {
    assert_eq!(a.noise_key.private.to_bytes(), b.noise_key.private.to_bytes());
    assert_eq!(a.noise_key.public, b.noise_key.public);
    assert_eq!(a.identity.private().to_bytes(), b.identity.private().to_bytes());
    assert_eq!(a.identity.public(), b.identity.public());
    assert_eq!(a.registration_id, b.registration_id);
    assert_eq!(a.adv_secret_key, b.adv_secret_key);
    assert_eq!(a.signed_prekey_id, b.signed_prekey_id);
    assert_eq!(a.jid, b.jid);
    assert_eq!(a.lid, b.lid);
    assert_eq!(a.push_name, b.push_name);
    assert_eq!(a.platform, b.platform);
    assert_eq!(a.business_name, b.business_name);
    assert_eq!(a.account, b.account);
    assert_eq!(a.key_index_list, b.key_index_list);
    assert_eq!(a.server_time_offset, b.server_time_offset);
    assert_eq!(a.created_at, b.created_at);
}

pub(crate) async fn container_creates_lists_opens_and_deletes_devices(container: &dyn StoreContainer) {
    assert!(container.devices().await.unwrap().is_empty());
    let a = container.create_device().await.unwrap();
    let (b, store_b, _) = new_device(container, 2).await;
    assert_ne!(a, b);

    let mut paired = store_b.load_device().await.unwrap().unwrap();
    paired.jid = Some(Jid::parse("15551234567:4@s.whatsapp.net").unwrap());
    paired.lid = Some(Jid::parse("123456789012345:4@lid").unwrap());
    paired.push_name = Some("Bob".into());
    store_b.save_device(&paired).await.unwrap();

    let listed = container.devices().await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(
        (listed[0].id, listed[0].has_device, listed[0].jid.clone()),
        (a, false, None)
    );
    assert_eq!(listed[1].id, b);
    assert!(listed[1].has_device);
    assert_eq!(listed[1].jid, paired.jid);
    assert_eq!(listed[1].lid, paired.lid);
    assert_eq!(listed[1].push_name.as_deref(), Some("Bob"));

    let unknown = DeviceId(b.0 + 1000);
    assert!(matches!(
        container.open_device(unknown).await,
        Err(StoreError::Invalid(_))
    ));
    container.delete_device(unknown).await.unwrap();

    container.delete_device(a).await.unwrap();
    assert!(matches!(
        container.open_device(a).await,
        Err(StoreError::Invalid(_))
    ));
    let listed = container.devices().await.unwrap();
    assert_eq!(listed.iter().map(|d| d.id).collect::<Vec<_>>(), vec![b]);
    // Ids are not reused.
    let c = container.create_device().await.unwrap();
    assert!(c != a && c != b);
}

pub(crate) async fn device_round_trips_and_answers_the_identity_store(container: &dyn StoreContainer) {
    let id = container.create_device().await.unwrap();
    let store = container.open_device(id).await.unwrap();
    assert!(store.load_device().await.unwrap().is_none());
    assert!(matches!(
        store.identity_key_pair().await,
        Err(StoreError::Missing(_))
    ));
    assert!(matches!(
        store.local_registration_id().await,
        Err(StoreError::Missing(_))
    ));

    let (mut device, _) = Device::generate(1_700_000_123, &mut rng(1)).unwrap();
    store.save_device(&device).await.unwrap();
    same_device(&store.load_device().await.unwrap().unwrap(), &device);
    assert_eq!(
        store.identity_key_pair().await.unwrap().public(),
        device.identity.public()
    );
    assert_eq!(
        store.identity_key_pair().await.unwrap().private().to_bytes(),
        device.identity.private().to_bytes()
    );
    assert_eq!(
        store.local_registration_id().await.unwrap(),
        device.registration_id
    );

    // Pairing fills in the rest; every field comes back, non-ASCII text included.
    device.jid = Some(Jid::parse("15551234567:7@s.whatsapp.net").unwrap());
    device.lid = Some(Jid::parse("98765432109876:7@lid").unwrap());
    device.push_name = Some("Zoë 🚀".into());
    device.platform = Some("android".into());
    device.business_name = Some("Café Ltd".into());
    device.account = Some(vec![1, 2, 3, 0, 255]);
    device.key_index_list = Some(vec![9; 40]);
    device.server_time_offset = -42;
    device.signed_prekey_id = 5;
    store.save_device(&device).await.unwrap();
    let loaded = store.load_device().await.unwrap().unwrap();
    same_device(&loaded, &device);
    assert!(loaded.is_paired());
    assert!(!format!("{loaded:?}").contains(&format!("{:?}", device.adv_secret_key)));
}

pub(crate) async fn data_survives_reopening<F, Fut>(open: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Box<dyn StoreContainer>>,
{
    let container = open().await;
    let (id, store, device) = new_device(&*container, 11).await;
    store.save_setting("k", b"v").await.unwrap();
    drop(store);
    drop(container);

    let container = open().await;
    let store = container.open_device(id).await.unwrap();
    same_device(&store.load_device().await.unwrap().unwrap(), &device);
    assert_eq!(store.setting("k").await.unwrap(), Some(b"v".to_vec()));
    assert_eq!(container.devices().await.unwrap().len(), 1);
}

//! The group metadata cache and settings.

use wasndr_core::jid::Jid;
use wasndr_core::store::{AddressingMode, GroupInfo, GroupParticipant, ParticipantRole, StoreError};
use wasndr_store::StoreContainer;

use super::{new_device, pn};

pub(crate) fn group(id: &str, members: usize) -> GroupInfo {
    GroupInfo {
        jid: Jid::group(id),
        subject: format!("Grüppe {id} 🎉"),
        description: Some("line one\nline two".into()),
        owner: Some(pn("15550001111")),
        created_at: Some(1_600_000_000),
        addressing_mode: AddressingMode::Lid,
        announce: true,
        locked: false,
        participants: (0..members)
            .map(|i| GroupParticipant {
                jid: Jid::lid(&format!("10000000000000{i}")),
                phone_number: (i % 2 == 0).then(|| pn(&format!("1555000000{i}"))),
                lid: None,
                role: match i {
                    0 => ParticipantRole::SuperAdmin,
                    1 => ParticipantRole::Admin,
                    _ => ParticipantRole::Member,
                },
            })
            .collect(),
        updated_at: 1_700_000_000,
    }
}

pub(crate) async fn groups_round_trip_with_participants(container: &dyn StoreContainer) {
    let (_, store, _) = new_device(container, 1).await;
    let first = group("120363000000000002", 5);
    assert!(store.group(&first.jid).await.unwrap().is_none());
    store.save_group(&first).await.unwrap();
    assert_eq!(store.group(&first.jid).await.unwrap(), Some(first.clone()));

    let mut second = group("120363000000000001", 0);
    second.description = None;
    second.owner = None;
    second.created_at = None;
    second.addressing_mode = AddressingMode::Pn;
    second.announce = false;
    second.locked = true;
    second.participants.push(GroupParticipant {
        jid: pn("15550009999"),
        phone_number: None,
        lid: Some(Jid::lid("999999999999999")),
        role: ParticipantRole::Member,
    });
    store.save_group(&second).await.unwrap();
    assert_eq!(store.groups().await.unwrap(), vec![second.clone(), first.clone()]);

    // Saving again replaces everything, participants included (two left, the order changed).
    let mut updated = first.clone();
    updated.subject = "Renamed".into();
    updated.participants = vec![first.participants[3].clone(), first.participants[0].clone()];
    updated.participants[0].role = ParticipantRole::Admin;
    updated.updated_at += 60;
    store.save_group(&updated).await.unwrap();
    assert_eq!(store.group(&first.jid).await.unwrap(), Some(updated.clone()));
    assert_eq!(store.groups().await.unwrap(), vec![second.clone(), updated]);

    store.delete_group(&first.jid).await.unwrap();
    assert!(store.group(&first.jid).await.unwrap().is_none());
    assert_eq!(store.groups().await.unwrap(), vec![second]);
}

pub(crate) async fn settings_round_trip(container: &dyn StoreContainer) {
    let (_, store, _) = new_device(container, 1).await;
    assert_eq!(store.setting("app_state.version").await.unwrap(), None);
    store.save_setting("app_state.version", &[0, 1, 2]).await.unwrap();
    store.save_setting("empty", &[]).await.unwrap();
    assert_eq!(
        store.setting("app_state.version").await.unwrap(),
        Some(vec![0, 1, 2])
    );
    assert_eq!(store.setting("empty").await.unwrap(), Some(Vec::new()));
    store.save_setting("app_state.version", b"3").await.unwrap();
    assert_eq!(
        store.setting("app_state.version").await.unwrap(),
        Some(b"3".to_vec())
    );
    store.delete_setting("app_state.version").await.unwrap();
    assert_eq!(store.setting("app_state.version").await.unwrap(), None);
    assert!(matches!(
        store.save_setting("", b"x").await,
        Err(StoreError::Invalid(_))
    ));
}

//! wasndr-core's group API against the simulator: two companions (of two phones) and a third phone
//! without a companion. One creates a group, renames it, describes it, changes its members, reads and
//! revokes its invite code; the other sees each change as a typed `GroupUpdate` and finds it in its
//! store's group cache. Refusals come back with WhatsApp's code.

#![allow(clippy::unwrap_used)]

mod wasndr_client;

use std::sync::Arc;

use wasndr_client::{WAIT, memory_store, pair_by_qr};
use wasndr_core::Error;
use wasndr_core::client::{Event, Events};
use wasndr_core::jid::Jid;
use wasndr_core::stanza::{GroupChange, GroupNotification, MembershipChange, ParticipantAction, invite_link};
use wasndr_core::store::{ParticipantRole, Store};

const ALICE: &str = "15550007001";
const BOB: &str = "15550007002";
const CAROL: &str = "15550007003";
const NOBODY: &str = "15550007999";

/// The next group notification about `group` that `wanted` accepts; other events are skipped.
async fn group_update(
    events: &mut Events,
    group: &Jid,
    wanted: impl Fn(&GroupChange) -> bool,
) -> GroupNotification {
    let found = tokio::time::timeout(WAIT, async {
        loop {
            match events.recv().await.expect("event stream ended") {
                Event::GroupUpdate(update)
                    if update.group == *group && update.changes.iter().any(&wanted) =>
                {
                    return *update;
                }
                _ => {}
            }
        }
    })
    .await;
    found.expect("no such group update in time")
}

fn role_of(store_group: &wasndr_core::store::GroupInfo, phone: &str) -> Option<ParticipantRole> {
    store_group
        .participants
        .iter()
        .find(|member| member.jid == Jid::pn(phone))
        .map(|member| member.role)
}

async fn cached(store: &Arc<dyn Store>, group: &Jid) -> wasndr_core::store::GroupInfo {
    store.group(group).await.unwrap().expect("the group is cached")
}

fn iq_code(error: Error) -> u16 {
    match error {
        Error::IqError { code, .. } => code,
        other => panic!("expected the server's IQ error, got {other:?}"),
    }
}

#[tokio::test]
async fn group_administration_through_the_client() {
    let sim = wasndr_client::simulator().await;
    for phone in [ALICE, BOB, CAROL] {
        sim.create_phone(phone).await.unwrap();
    }
    let alice_store = memory_store();
    let bob_store = memory_store();
    let (alice, mut alice_events, _) = pair_by_qr(&sim, ALICE, alice_store.clone()).await;
    let (bob, mut bob_events, _) = pair_by_qr(&sim, BOB, bob_store.clone()).await;

    // Create: Alice is super admin, Bob and Carol members; an unknown number is left out.
    let created = alice
        .create_group("Weekend", &[Jid::pn(BOB), Jid::pn(CAROL), Jid::pn(NOBODY)])
        .await
        .unwrap();
    let group = created.jid.clone();
    assert_eq!(created.subject.as_deref(), Some("Weekend"));
    let mut members: Vec<(String, ParticipantRole)> = created
        .participants
        .iter()
        .map(|p| (p.jid.user().to_owned(), p.role))
        .collect();
    members.sort();
    assert_eq!(
        members,
        [
            (ALICE.to_owned(), ParticipantRole::SuperAdmin),
            (BOB.to_owned(), ParticipantRole::Member),
            (CAROL.to_owned(), ParticipantRole::Member),
        ]
    );
    assert_eq!(cached(&alice_store, &group).await.subject, "Weekend");
    // Bob hears of it and caches it before anything else arrives.
    let notice = group_update(&mut bob_events, &group, |c| matches!(c, GroupChange::Created(_))).await;
    assert_eq!(notice.actor, Some(Jid::pn(ALICE)));
    assert_eq!(cached(&bob_store, &group).await.participants.len(), 3);

    // Info and the participating list agree with the creation.
    let info = alice.group_info(&group).await.unwrap();
    assert_eq!(info.participants.len(), 3);
    assert_eq!(info.creator, Some(Jid::pn(ALICE)));
    let joined = bob.joined_groups().await.unwrap();
    assert_eq!(
        joined.iter().map(|g| g.jid.clone()).collect::<Vec<_>>(),
        std::slice::from_ref(&group)
    );

    // Subject.
    alice.set_group_subject(&group, "Long weekend").await.unwrap();
    assert_eq!(cached(&alice_store, &group).await.subject, "Long weekend");
    group_update(
        &mut bob_events,
        &group,
        |c| matches!(c, GroupChange::Subject { subject, .. } if subject == "Long weekend"),
    )
    .await;
    assert_eq!(cached(&bob_store, &group).await.subject, "Long weekend");

    // Description: set, changed (the client passes the current id as `prev`), cleared.
    alice
        .set_group_description(&group, Some("Bring snacks"))
        .await
        .unwrap();
    group_update(
        &mut bob_events,
        &group,
        |c| matches!(c, GroupChange::Description { text: Some(t), .. } if t == "Bring snacks"),
    )
    .await;
    assert_eq!(
        cached(&bob_store, &group).await.description.as_deref(),
        Some("Bring snacks")
    );
    alice
        .set_group_description(&group, Some("Bring drinks"))
        .await
        .unwrap();
    let info = alice.group_info(&group).await.unwrap();
    assert_eq!(info.description.map(|d| d.text).as_deref(), Some("Bring drinks"));
    alice.set_group_description(&group, None).await.unwrap();
    group_update(&mut bob_events, &group, |c| {
        matches!(c, GroupChange::Description { text: None, .. })
    })
    .await;
    assert_eq!(cached(&bob_store, &group).await.description, None);
    assert_eq!(alice.group_info(&group).await.unwrap().description, None);

    // Members: Bob is promoted; per-participant results for the ones that cannot change.
    let results = alice
        .update_group_participants(&group, ParticipantAction::Promote, &[Jid::pn(BOB)])
        .await
        .unwrap();
    assert!(results[0].succeeded(), "{results:?}");
    group_update(&mut bob_events, &group, |c| {
        matches!(
            c,
            GroupChange::Membership {
                change: MembershipChange::Promote,
                ..
            }
        )
    })
    .await;
    assert_eq!(
        role_of(&cached(&bob_store, &group).await, BOB),
        Some(ParticipantRole::Admin)
    );
    let results = alice
        .update_group_participants(&group, ParticipantAction::Add, &[Jid::pn(CAROL), Jid::pn(NOBODY)])
        .await
        .unwrap();
    let outcome: Vec<(String, Option<u32>)> = results
        .iter()
        .map(|r| (r.jid.user().to_owned(), r.error))
        .collect();
    assert_eq!(
        outcome,
        [(CAROL.to_owned(), Some(409)), (NOBODY.to_owned(), Some(404))],
        "already in, no account"
    );
    let results = alice
        .update_group_participants(&group, ParticipantAction::Remove, &[Jid::pn(CAROL)])
        .await
        .unwrap();
    assert!(results[0].succeeded());
    group_update(&mut bob_events, &group, |c| {
        matches!(
            c,
            GroupChange::Membership {
                change: MembershipChange::Remove,
                ..
            }
        )
    })
    .await;
    assert_eq!(role_of(&cached(&bob_store, &group).await, CAROL), None);
    assert_eq!(role_of(&cached(&alice_store, &group).await, CAROL), None);

    // Invite code: read, link, revoke (a different code; members hear of it).
    let code = alice.group_invite_code(&group).await.unwrap();
    assert!(!code.is_empty());
    assert_eq!(invite_link(&code), format!("https://chat.whatsapp.com/{code}"));
    assert_eq!(
        bob.group_invite_code(&group).await.unwrap(),
        code,
        "Bob is an admin now"
    );
    let revoked = alice.revoke_group_invite(&group).await.unwrap();
    assert_ne!(revoked, code);
    assert_eq!(alice.group_invite_code(&group).await.unwrap(), revoked);
    group_update(&mut bob_events, &group, |c| {
        matches!(c, GroupChange::InviteReset(_))
    })
    .await;

    // Refusals carry WhatsApp's code: a demoted member may not revoke (401), a group that does not
    // exist is 404, and a group one is not in is refused (403).
    alice
        .update_group_participants(&group, ParticipantAction::Demote, &[Jid::pn(BOB)])
        .await
        .unwrap();
    group_update(&mut bob_events, &group, |c| {
        matches!(
            c,
            GroupChange::Membership {
                change: MembershipChange::Demote,
                ..
            }
        )
    })
    .await;
    assert_eq!(
        role_of(&cached(&bob_store, &group).await, BOB),
        Some(ParticipantRole::Member)
    );
    assert_eq!(iq_code(bob.revoke_group_invite(&group).await.unwrap_err()), 401);
    let missing = Jid::group("120363999999999999");
    assert_eq!(iq_code(alice.group_info(&missing).await.unwrap_err()), 404);
    let other = sim.create_group(CAROL, "Carol's", &[]).unwrap();
    let other = Jid::parse(&other).unwrap();
    assert_eq!(iq_code(alice.group_info(&other).await.unwrap_err()), 403);
    assert!(matches!(
        alice.group_info(&Jid::pn(BOB)).await,
        Err(Error::InvalidArgument(_))
    ));

    // Bob leaves: gone from his cache and his list; Alice hears of it and drops him from hers.
    bob.leave_group(&group).await.unwrap();
    assert!(bob_store.group(&group).await.unwrap().is_none());
    assert!(bob.joined_groups().await.unwrap().is_empty());
    group_update(&mut alice_events, &group, |c| {
        matches!(
            c,
            GroupChange::Membership {
                change: MembershipChange::Leave,
                ..
            }
        )
    })
    .await;
    let left = cached(&alice_store, &group).await;
    assert_eq!(
        left.participants
            .iter()
            .map(|p| p.jid.clone())
            .collect::<Vec<_>>(),
        [Jid::pn(ALICE)]
    );

    alice.disconnect().await;
    bob.disconnect().await;
}

//! Who to encrypt for: device lists (usync, cached in the store for [`CACHE_TTL_SECS`] or until a
//! `devices` notification says they changed), prekey bundles for devices without a session (one
//! batched fetch), and group members (group metadata, cached the same way).

use std::collections::HashMap;

use super::Shared;
use super::driver::unix_now;
use super::messaging::{own_device, sender_key_memory_key};
use crate::error::Result;
use crate::jid::Jid;
use crate::message::protocol_address;
use crate::signal::{PreKeyBundle, SenderKeyName};
use crate::stanza::{GroupChange, GroupNotification, MembershipChange};
use crate::stanza::{
    bundle_query, device_query, group_info_query, parse_bundles, parse_device_reply, parse_group_reply,
};
use crate::store::{Changes, DeviceList, GroupInfo};

/// How long a cached device list or group metadata is trusted without a notification saying it
/// changed: a safety net for notifications we missed (Baileys keeps device lists 5 minutes; whatsmeow
/// until notified). Within it, sending asks the server nothing.
pub(super) const CACHE_TTL_SECS: u64 = 10 * 60;

/// Whether a cache entry written at `at` is still trusted at `now`. A clock that went back keeps it.
fn fresh(at: u64, now: u64) -> bool {
    now.saturating_sub(at) < CACHE_TTL_SECS
}

/// The device JIDs of a cached list.
fn list_jids(list: &DeviceList) -> Vec<Jid> {
    list.devices
        .iter()
        .map(|listed| Jid::new(list.user.user(), list.user.server_kind()).with_device(listed.device))
        .collect()
}

/// Every device of `users` (accounts; devices are ignored), from the cache, with one usync query for
/// the users not cached (whose answers are cached). Users the server reports an error for are left out.
pub(super) async fn devices_of(shared: &Shared, users: &[Jid]) -> Result<Vec<Jid>> {
    let mut devices = Vec::new();
    let mut missing = Vec::new();
    let now = unix_now();
    let mut seen = std::collections::HashSet::new();
    for user in users {
        let user = user.to_non_ad();
        if !seen.insert(user.clone()) {
            continue;
        }
        match shared
            .committer
            .cache()
            .device_list(&*shared.store, &user)
            .await?
        {
            Some(list) if fresh(list.fetched_at, now) => devices.extend(list_jids(&list)),
            _ => missing.push(user),
        }
    }
    if missing.is_empty() {
        return Ok(devices);
    }
    let sid = shared.ids.next();
    let answer = shared.send_iq(device_query(&sid, &missing, false).into()).await?;
    for user in parse_device_reply(&answer)? {
        if let Some((code, text)) = &user.error {
            tracing::debug!(user = %user.user, code, text, "no device list for user");
            continue;
        }
        let list = user.to_device_list(now);
        // A cache write failing only costs a query next time.
        if let Err(error) = shared
            .committer
            .cache()
            .save_device_list(&*shared.store, &list)
            .await
        {
            tracing::warn!(%error, "caching a device list failed");
        }
        devices.extend(user.device_jids());
    }
    Ok(devices)
}

/// Forgets the cached device list of `user` (its devices changed).
pub(super) async fn invalidate(shared: &Shared, user: &Jid) {
    let cache = shared.committer.cache();
    if let Err(error) = cache.delete_device_list(&*shared.store, &user.to_non_ad()).await {
        tracing::warn!(%error, "dropping a cached device list failed");
    }
}

/// Those of `devices` we hold no usable session with.
pub(super) async fn without_session(shared: &Shared, devices: &[Jid]) -> Result<Vec<Jid>> {
    let mut missing = Vec::new();
    for device in devices {
        let usable = shared
            .committer
            .cache()
            .session(&*shared.store, &protocol_address(device))
            .await?
            .is_some_and(|record| record.current().is_some_and(|state| state.can_encrypt()));
        if !usable {
            missing.push(device.clone());
        }
    }
    Ok(missing)
}

/// One bundle fetch for `devices`; devices the server has no bundle for are left out (the send skips
/// them).
pub(super) async fn fetch_bundles(shared: &Shared, devices: &[Jid]) -> Result<HashMap<Jid, PreKeyBundle>> {
    let mut bundles = HashMap::new();
    if devices.is_empty() {
        return Ok(bundles);
    }
    let answer = shared.send_iq(bundle_query(devices, false).into()).await?;
    for fetched in parse_bundles(&answer)? {
        // Keyed by the JID we asked for: the server may write device 0 either way.
        let Some(asked) = devices.iter().find(|device| {
            device.user() == fetched.device.user() && device.device() == fetched.device.device()
        }) else {
            continue;
        };
        match fetched.bundle {
            Ok(bundle) => {
                bundles.insert(asked.clone(), bundle);
            }
            Err(error) => tracing::debug!(device = %asked, code = error.code, "no bundle for device"),
        }
    }
    Ok(bundles)
}

/// The group's metadata, from the cache or queried once (and cached).
pub(super) async fn group_info(shared: &Shared, group: &Jid) -> Result<GroupInfo> {
    if let Some(info) = shared.store.group(group).await?
        && fresh(info.updated_at, unix_now())
    {
        return Ok(info);
    }
    let answer = shared.send_iq(group_info_query(group).into()).await?;
    let info = parse_group_reply(&answer)?.to_store(unix_now());
    if let Err(error) = shared.store.save_group(&info).await {
        tracing::warn!(%error, "caching group metadata failed");
    }
    Ok(info)
}

/// Reacts to a `w:gp2` notification for the messaging side (the metadata cache itself is kept current
/// by `groups::on_notification`): when someone was removed or left, our sender key in the group is
/// dropped with the memory of who holds it, so the next send creates a new key and distributes it to
/// the current members only and a former member cannot read on.
pub(super) async fn group_changed(shared: &Shared, notification: &GroupNotification) {
    let group = &notification.group;
    let someone_left = notification.changes.iter().any(|change| {
        matches!(
            change,
            GroupChange::Membership {
                change: MembershipChange::Remove | MembershipChange::Leave,
                ..
            }
        )
    });
    if someone_left {
        drop_sender_key(shared, group).await;
    }
}

/// Drops our sender key in `group` and the memory of who holds it, so the next send creates a new key
/// and distributes it to the current members only. Call it after removing members ourselves: the server
/// tells the other members, not the device that asked.
pub(super) async fn drop_sender_key(shared: &Shared, group: &Jid) {
    let Ok(device) = own_device(shared).await else {
        return;
    };
    let mut changes = Changes::new();
    for sender in [&device.jid, &device.lid].into_iter().flatten() {
        changes
            .deleted_sender_keys
            .push(SenderKeyName::new(group.to_string(), protocol_address(sender)));
    }
    changes.settings.push((sender_key_memory_key(group), Vec::new()));
    let _crypto = shared.messaging.crypto.lock().await;
    if let Err(error) = shared.committer.commit(changes).await {
        tracing::warn!(%error, "dropping our sender key after a member left failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_entries_expire_after_the_ttl() {
        assert!(fresh(1_000, 1_000));
        assert!(fresh(1_000, 1_000 + CACHE_TTL_SECS - 1));
        assert!(!fresh(1_000, 1_000 + CACHE_TTL_SECS));
        assert!(fresh(2_000, 1_000), "a clock that went back keeps the entry");
    }
}

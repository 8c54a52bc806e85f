//! Who to encrypt for: device lists (usync, cached in the store until a `devices` notification says
//! they changed), prekey bundles for devices without a session (one batched fetch), and group members
//! (cached group metadata, queried once when missing).

use std::collections::HashMap;

use super::Shared;
use super::driver::unix_now;
use crate::error::Result;
use crate::jid::Jid;
use crate::message::protocol_address;
use crate::signal::PreKeyBundle;
use crate::stanza::{
    bundle_query, device_query, group_info_query, parse_bundles, parse_device_reply, parse_group_reply,
};
use crate::store::{DeviceList, GroupInfo};

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
    let mut seen = std::collections::HashSet::new();
    for user in users {
        let user = user.to_non_ad();
        if !seen.insert(user.clone()) {
            continue;
        }
        match shared.store.device_list(&user).await? {
            Some(list) => devices.extend(list_jids(&list)),
            None => missing.push(user),
        }
    }
    if missing.is_empty() {
        return Ok(devices);
    }
    let sid = shared.ids.next();
    let answer = shared.send_iq(device_query(&sid, &missing, false).into()).await?;
    let now = unix_now();
    for user in parse_device_reply(&answer)? {
        if let Some((code, text)) = &user.error {
            tracing::debug!(user = %user.user, code, text, "no device list for user");
            continue;
        }
        let list = user.to_device_list(now);
        // A cache write failing only costs a query next time.
        if let Err(error) = shared.store.save_device_list(&list).await {
            tracing::warn!(%error, "caching a device list failed");
        }
        devices.extend(user.device_jids());
    }
    Ok(devices)
}

/// Forgets the cached device list of `user` (its devices changed).
pub(super) async fn invalidate(shared: &Shared, user: &Jid) {
    if let Err(error) = shared.store.delete_device_list(&user.to_non_ad()).await {
        tracing::warn!(%error, "dropping a cached device list failed");
    }
}

/// Those of `devices` we hold no usable session with.
pub(super) async fn without_session(shared: &Shared, devices: &[Jid]) -> Result<Vec<Jid>> {
    let mut missing = Vec::new();
    for device in devices {
        let usable = shared
            .store
            .load_session(&protocol_address(device))
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
    if let Some(info) = shared.store.group(group).await? {
        return Ok(info);
    }
    let answer = shared.send_iq(group_info_query(group).into()).await?;
    let info = parse_group_reply(&answer)?.to_store(unix_now());
    if let Err(error) = shared.store.save_group(&info).await {
        tracing::warn!(%error, "caching group metadata failed");
    }
    Ok(info)
}

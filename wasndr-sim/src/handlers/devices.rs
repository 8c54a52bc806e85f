//! `<notification type="devices">`: when an account's device list changes (a companion pairs or is
//! unlinked), the server tells the accounts that fetched that list by usync, and the account's own
//! other devices, so their cached lists do not go stale (messaging guide E.8).

use std::collections::BTreeSet;

use wasndr_core::binary::Node;
use wasndr_core::jid::Jid;
use wasndr_core::message::participant_hash;

use crate::network::{DeviceId, Network};
use crate::shared::unix_now;
use crate::stanzas::message_id;

/// Which way the list changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DeviceChange {
    /// A companion paired.
    Add,
    /// A companion was unlinked.
    Remove,
}

impl DeviceChange {
    const fn tag(self) -> &'static str {
        match self {
            DeviceChange::Add => "add",
            DeviceChange::Remove => "remove",
        }
    }
}

/// Tells every watcher of `phone`'s devices, and `phone`'s other devices, that `device` was added or
/// removed. Call after the account's device list has been changed.
pub(crate) fn notify(net: &mut Network, phone: &str, change: DeviceChange, device: u16) {
    let Some(account) = net.accounts.get(phone) else {
        return;
    };
    let devices: Vec<u16> = account.devices.keys().copied().collect();
    let notice = notification(
        phone,
        &account.lid,
        &devices,
        account.devices_changed,
        change,
        device,
    );
    // A set, so a device that is both a watcher's and the account's own gets one copy.
    let mut targets: BTreeSet<DeviceId> = net
        .devices_of(phone)
        .into_iter()
        .filter(|(_, id)| *id != device)
        .collect();
    let watchers: Vec<String> = net
        .device_watchers
        .get(phone)
        .map(|watchers| watchers.iter().cloned().collect())
        .unwrap_or_default();
    for watcher in watchers {
        targets.extend(net.devices_of(&watcher));
    }
    for target in targets {
        net.deliver(&target, notice.clone());
    }
}

/// `<notification type=devices from=PHONE lid=LID id t><add|remove device_hash=H device_lid_hash=H'>
/// <device jid lid/><key-index-list ts/></…></notification>`; the hashes are over `devices`, the list
/// after the change, so a client that applies the change to its cache can check it is still complete.
fn notification(
    phone: &str,
    lid: &str,
    devices: &[u16],
    changed_at: u64,
    change: DeviceChange,
    device: u16,
) -> Node {
    let pn_list: Vec<Jid> = devices.iter().map(|id| Network::device_jid(phone, *id)).collect();
    let lid_list: Vec<Jid> = devices.iter().map(|id| Jid::lid(lid).with_device(*id)).collect();
    Node::new("notification")
        .attr("from", Jid::pn(phone))
        .attr("lid", Jid::lid(lid))
        .attr("type", "devices")
        .attr("id", message_id())
        .attr("t", unix_now().to_string())
        .children([Node::new(change.tag())
            .attr("device_hash", participant_hash(&pn_list))
            .attr("device_lid_hash", participant_hash(&lid_list))
            .children([
                Node::new("device")
                    .attr("jid", Network::device_jid(phone, device))
                    .attr("lid", Jid::lid(lid).with_device(device)),
                Node::new("key-index-list").attr("ts", changed_at.to_string()),
            ])])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use wasndr_core::stanza::{DeviceChangeKind, DevicesNotification};

    use super::*;

    fn jids(devices: &[u16]) -> Vec<Jid> {
        devices
            .iter()
            .map(|id| Network::device_jid("15550001", *id))
            .collect()
    }

    /// The client's parser reads what the simulator sends, and applying the change to the list before
    /// it gives the list the hash names (so a client keeping its cache on a matching hash is right).
    #[test]
    fn notifications_parse_and_their_hash_matches_the_list_after_the_change() {
        let added = notification(
            "15550001",
            "77001",
            &[0, 1, 4],
            1_700_000_000,
            DeviceChange::Add,
            4,
        );
        let parsed = DevicesNotification::parse(&added).unwrap();
        assert_eq!(parsed.user, Jid::pn("15550001"));
        assert_eq!(parsed.lid, Some(Jid::lid("77001")));
        let change = &parsed.changes[0];
        assert_eq!(change.kind, DeviceChangeKind::Add);
        assert_eq!(
            change.devices,
            vec![(jids(&[4])[0].clone(), Some(Jid::lid("77001").with_device(4)))]
        );
        assert_eq!(change.apply(&jids(&[0, 1])), Some(jids(&[0, 1, 4])));
        // A cache that missed device 1 does not reach the hash and must be dropped.
        assert_eq!(change.apply(&jids(&[0])), None);

        let removed = notification(
            "15550001",
            "77001",
            &[0, 4],
            1_700_000_001,
            DeviceChange::Remove,
            1,
        );
        let parsed = DevicesNotification::parse(&removed).unwrap();
        let change = &parsed.changes[0];
        assert_eq!(change.kind, DeviceChangeKind::Remove);
        assert_eq!(change.apply(&jids(&[0, 1, 4])), Some(jids(&[0, 4])));
    }
}

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
    let notice = notification(phone, &account.lid, account, change, device);
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
/// <device jid lid/><key-index-list ts/></…></notification>`; the hashes are over the list after the
/// change, so a client that applies the change to its cache can check it is still complete.
fn notification(
    phone: &str,
    lid: &str,
    account: &crate::network::Account,
    change: DeviceChange,
    device: u16,
) -> Node {
    let pn_list: Vec<Jid> = account
        .devices
        .keys()
        .map(|id| Network::device_jid(phone, *id))
        .collect();
    let lid_list: Vec<Jid> = account
        .devices
        .keys()
        .map(|id| Jid::lid(lid).with_device(*id))
        .collect();
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
                Node::new("key-index-list").attr("ts", account.devices_changed.to_string()),
            ])])
}

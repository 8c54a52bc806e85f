//! Notifications messaging reacts to: group changes (`w:gp2`, messaging guide G.3), device-list
//! changes (`devices`, E.8) and key changes (`encrypt`, E.8). Each is acknowledged with
//! [`super::Ack::for_stanza`].

use crate::error::Result;
use crate::jid::Jid;
use crate::message::participant_hash;

use super::group::GroupMetadata;
use super::read::{NodeView, Reader};
use crate::store::ParticipantRole;

/// A member named in a group change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangedParticipant {
    /// `jid`.
    pub jid: Jid,
    /// `lid`.
    pub lid: Option<Jid>,
    /// `phone_number`.
    pub phone_number: Option<Jid>,
}

/// How membership changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MembershipChange {
    /// `<add>`: added or joined.
    Add,
    /// `<remove>`.
    Remove,
    /// `<promote>`: made admin.
    Promote,
    /// `<demote>`.
    Demote,
    /// `<leave>` (Baileys).
    Leave,
    /// `<modify>`: a member's identity changed (number change).
    Modify,
}

impl MembershipChange {
    /// The role members have after this change, for `Promote`/`Demote`.
    pub const fn role(self) -> Option<ParticipantRole> {
        match self {
            MembershipChange::Promote => Some(ParticipantRole::Admin),
            MembershipChange::Demote => Some(ParticipantRole::Member),
            _ => None,
        }
    }
}

/// One change in a `w:gp2` notification.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GroupChange {
    /// `<create>`: we were added to a new group.
    Created(Box<GroupMetadata>),
    /// Members added, removed, promoted, demoted, left or changed.
    Membership {
        /// What happened.
        change: MembershipChange,
        /// To whom.
        participants: Vec<ChangedParticipant>,
        /// `reason` (e.g. `invite` on joins by link).
        reason: Option<String>,
    },
    /// `<subject>`: renamed.
    Subject {
        /// The new name.
        subject: String,
        /// `s_t`.
        time: Option<u64>,
        /// `s_o`.
        set_by: Option<Jid>,
    },
    /// `<description>`: set (`text`) or deleted (`text: None`).
    Description {
        /// The new description id.
        id: Option<String>,
        /// The text, `None` when deleted.
        text: Option<String>,
    },
    /// `<announcement/>` (true) or `<not_announcement/>` (false).
    Announce(bool),
    /// `<locked/>` (true) or `<unlocked/>` (false).
    Locked(bool),
    /// `<ephemeral expiration>` (Some) or `<not_ephemeral/>` (None).
    Ephemeral(Option<u32>),
    /// `<invite code>`: the invite link was reset.
    InviteReset(Option<String>),
    /// `<member_add_mode>`.
    MemberAddMode(String),
    /// `<delete reason>`: the group was deleted.
    Deleted(Option<String>),
    /// `<suspended/>` (true) or `<unsuspended/>` (false).
    Suspended(bool),
    /// Any other child, by tag.
    Other(String),
}

/// A `<notification type="w:gp2">`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupNotification {
    /// `from`: the group.
    pub group: Jid,
    /// `id`.
    pub id: String,
    /// `t`.
    pub timestamp: Option<u64>,
    /// `participant`: who made the change.
    pub actor: Option<Jid>,
    /// `participant_pn`.
    pub actor_pn: Option<Jid>,
    /// `notify`: the actor's push name.
    pub push_name: Option<String>,
    /// The changes, in document order.
    pub changes: Vec<GroupChange>,
}

impl GroupNotification {
    /// Parses a `w:gp2` notification.
    pub fn parse<'t, N: NodeView<'t>>(node: N) -> Result<GroupNotification> {
        let notification = Reader::expect(node, "notification")?;
        let mut changes = Vec::new();
        for child in notification.children() {
            let membership = |change| -> Result<GroupChange> {
                let participants = child
                    .children_with_tag("participant")
                    .map(|p| {
                        Ok(ChangedParticipant {
                            jid: p.jid("jid")?,
                            lid: p.opt_jid("lid")?,
                            phone_number: p.opt_jid("phone_number")?,
                        })
                    })
                    .collect::<Result<_>>()?;
                Ok(GroupChange::Membership {
                    change,
                    participants,
                    reason: child.opt_string("reason"),
                })
            };
            changes.push(match child.tag() {
                "create" => GroupChange::Created(Box::new(GroupMetadata::parse(child.child("group")?.node)?)),
                "add" => membership(MembershipChange::Add)?,
                "remove" => membership(MembershipChange::Remove)?,
                "promote" => membership(MembershipChange::Promote)?,
                "demote" => membership(MembershipChange::Demote)?,
                "leave" => membership(MembershipChange::Leave)?,
                "modify" => membership(MembershipChange::Modify)?,
                "subject" => GroupChange::Subject {
                    subject: child.opt_string("subject").unwrap_or_default(),
                    time: child.opt_u64("s_t")?,
                    set_by: child.opt_jid("s_o")?,
                },
                "description" => GroupChange::Description {
                    id: child.opt_string("id"),
                    text: if child.opt_child("delete").is_some() {
                        None
                    } else {
                        child.opt_child("body").map(|body| body.text_lossy())
                    },
                },
                "announcement" => GroupChange::Announce(true),
                "not_announcement" => GroupChange::Announce(false),
                "locked" => GroupChange::Locked(true),
                "unlocked" => GroupChange::Locked(false),
                "ephemeral" => GroupChange::Ephemeral(Some(child.opt_u32("expiration")?.unwrap_or(0))),
                "not_ephemeral" => GroupChange::Ephemeral(None),
                "invite" => GroupChange::InviteReset(child.opt_string("code")),
                "member_add_mode" => GroupChange::MemberAddMode(child.text_lossy()),
                "delete" => GroupChange::Deleted(child.opt_string("reason")),
                "suspended" => GroupChange::Suspended(true),
                "unsuspended" => GroupChange::Suspended(false),
                other => GroupChange::Other(other.to_owned()),
            });
        }
        Ok(GroupNotification {
            group: notification.jid("from")?,
            id: notification.str("id")?.to_owned(),
            timestamp: notification.opt_u64("t")?,
            actor: notification.opt_jid("participant")?,
            actor_pn: notification.opt_jid("participant_pn")?,
            push_name: notification.opt_string("notify"),
            changes,
        })
    }
}

/// What a device notification did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeviceChangeKind {
    /// `<add>`: a companion was linked.
    Add,
    /// `<remove>`: a companion was unlinked.
    Remove,
    /// `<update>`: something else changed; drop the cached list.
    Update,
}

/// One change of a `devices` notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceChange {
    /// What happened.
    pub kind: DeviceChangeKind,
    /// `device_hash`: the hash of the full list after the change.
    pub device_hash: Option<String>,
    /// `device_lid_hash`.
    pub device_lid_hash: Option<String>,
    /// The devices named, with their LID form when given.
    pub devices: Vec<(Jid, Option<Jid>)>,
}

impl DeviceChange {
    /// The cached device list after this change, or `None` when the cache must be dropped (an update, no
    /// hash, or the recomputed hash differs from `device_hash`, messaging guide E.8).
    pub fn apply(&self, cached: &[Jid]) -> Option<Vec<Jid>> {
        let expected = self.device_hash.as_deref()?;
        let mut devices = cached.to_vec();
        match self.kind {
            DeviceChangeKind::Update => return None,
            DeviceChangeKind::Add => {
                for (jid, _) in &self.devices {
                    if !devices.contains(jid) {
                        devices.push(jid.clone());
                    }
                }
            }
            DeviceChangeKind::Remove => {
                devices.retain(|jid| !self.devices.iter().any(|(gone, _)| gone == jid))
            }
        }
        (participant_hash(&devices) == expected).then_some(devices)
    }
}

/// A `<notification type="devices">`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DevicesNotification {
    /// `from`: the account whose devices changed.
    pub user: Jid,
    /// `lid`: the same account's LID.
    pub lid: Option<Jid>,
    /// `id`.
    pub id: String,
    /// `t`.
    pub timestamp: Option<u64>,
    /// The changes.
    pub changes: Vec<DeviceChange>,
}

impl DevicesNotification {
    /// Parses a `devices` notification.
    pub fn parse<'t, N: NodeView<'t>>(node: N) -> Result<DevicesNotification> {
        let notification = Reader::expect(node, "notification")?;
        let mut changes = Vec::new();
        for child in notification.children() {
            let kind = match child.tag() {
                "add" => DeviceChangeKind::Add,
                "remove" => DeviceChangeKind::Remove,
                "update" => DeviceChangeKind::Update,
                _ => continue,
            };
            let devices = child
                .children_with_tag("device")
                .map(|device| Ok((device.jid("jid")?, device.opt_jid("lid")?)))
                .collect::<Result<_>>()?;
            changes.push(DeviceChange {
                kind,
                device_hash: child.opt_string("device_hash"),
                device_lid_hash: child.opt_string("device_lid_hash"),
                devices,
            });
        }
        Ok(DevicesNotification {
            user: notification.jid("from")?,
            lid: notification.opt_jid("lid")?,
            id: notification.str("id")?.to_owned(),
            timestamp: notification.opt_u64("t")?,
            changes,
        })
    }
}

/// A `<notification type="encrypt">`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncryptNotification {
    /// From the server: how many of our one-time prekeys it has left (upload more below
    /// [`crate::signal::MIN_PREKEY_COUNT`]).
    PreKeyCount(u32),
    /// A contact re-registered: drop their identities and sessions.
    IdentityChange {
        /// The account.
        user: Jid,
        /// `t`.
        timestamp: Option<u64>,
    },
    /// Anything else.
    Other,
}

impl EncryptNotification {
    /// Parses an `encrypt` notification.
    pub fn parse<'t, N: NodeView<'t>>(node: N) -> Result<EncryptNotification> {
        let notification = Reader::expect(node, "notification")?;
        let from = notification.jid("from")?;
        if let Some(count) = notification.opt_child("count")
            && from.is_bare_server()
        {
            return Ok(EncryptNotification::PreKeyCount(count.u32("value")?));
        }
        if notification.opt_child("identity").is_some() {
            return Ok(EncryptNotification::IdentityChange {
                user: from.to_non_ad(),
                timestamp: notification.opt_u64("t")?,
            });
        }
        Ok(EncryptNotification::Other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binary::NodeRef;
    use crate::binary::{self, Node};

    fn parse_with<T>(node: Node, f: impl FnOnce(NodeRef<'_>) -> Result<T>) -> Result<T> {
        let bytes = binary::encode(&node).unwrap();
        let tree = binary::decode_node(&bytes[1..]).unwrap();
        f(tree.root())
    }

    #[test]
    fn group_changes() {
        let node = Node::new("notification")
            .attr("from", Jid::group("1"))
            .attr("id", "N1")
            .attr("participant", Jid::lid("9"))
            .attr("t", "5")
            .attr("type", "w:gp2")
            .children([
                Node::new("add")
                    .attr("reason", "invite")
                    .children([Node::new("participant")
                        .attr("jid", Jid::lid("7"))
                        .attr("phone_number", Jid::pn("77"))]),
                Node::new("subject")
                    .attr("s_o", Jid::lid("9"))
                    .attr("s_t", "5")
                    .attr("subject", "New name"),
                Node::new("description")
                    .attr("id", "D2")
                    .children([Node::new("delete")]),
                Node::new("not_announcement"),
                Node::new("ephemeral").attr("expiration", "604800"),
                Node::new("something_new"),
            ]);
        let parsed = parse_with(node, |n| GroupNotification::parse(n)).unwrap();
        assert_eq!(parsed.actor, Some(Jid::lid("9")));
        assert_eq!(
            parsed.changes,
            vec![
                GroupChange::Membership {
                    change: MembershipChange::Add,
                    participants: vec![ChangedParticipant {
                        jid: Jid::lid("7"),
                        lid: None,
                        phone_number: Some(Jid::pn("77"))
                    }],
                    reason: Some("invite".into()),
                },
                GroupChange::Subject {
                    subject: "New name".into(),
                    time: Some(5),
                    set_by: Some(Jid::lid("9"))
                },
                GroupChange::Description {
                    id: Some("D2".into()),
                    text: None
                },
                GroupChange::Announce(false),
                GroupChange::Ephemeral(Some(604_800)),
                GroupChange::Other("something_new".into()),
            ]
        );
        assert!(
            parse_with(Node::new("notification").attr("id", "x"), |n| {
                GroupNotification::parse(n)
            })
            .is_err()
        );
    }

    #[test]
    fn device_changes_keep_the_cache_only_when_the_hash_matches() {
        let user = Jid::pn("15551234567");
        let cached = vec![user.clone()];
        let after = vec![user.clone(), user.clone().with_device(3)];
        let node = Node::new("notification")
            .attr("from", user.clone())
            .attr("id", "D")
            .attr("type", "devices")
            .children([Node::new("add")
                .attr("device_hash", participant_hash(&after))
                .children([Node::new("device").attr("jid", user.clone().with_device(3))])]);
        let parsed = parse_with(node, |n| DevicesNotification::parse(n)).unwrap();
        let change = &parsed.changes[0];
        assert_eq!(change.apply(&cached), Some(after.clone()));
        // The cache missed a device the server knows: the hash disagrees and the cache is dropped.
        assert_eq!(change.apply(&[]), None);
        let remove = DeviceChange {
            kind: DeviceChangeKind::Remove,
            device_hash: Some(participant_hash(&cached)),
            device_lid_hash: None,
            devices: vec![(user.clone().with_device(3), None)],
        };
        assert_eq!(remove.apply(&after), Some(cached));
    }

    #[test]
    fn encrypt_notifications() {
        let count = Node::new("notification")
            .attr("from", Jid::server())
            .attr("id", "E")
            .attr("type", "encrypt")
            .children([Node::new("count").attr("value", "3")]);
        assert_eq!(
            parse_with(count, |n| EncryptNotification::parse(n)).unwrap(),
            EncryptNotification::PreKeyCount(3)
        );
        let identity = Node::new("notification")
            .attr("from", Jid::pn("1"))
            .attr("id", "E")
            .attr("t", "9")
            .attr("type", "encrypt")
            .children([Node::new("identity")]);
        assert_eq!(
            parse_with(identity, |n| EncryptNotification::parse(n)).unwrap(),
            EncryptNotification::IdentityChange {
                user: Jid::pn("1"),
                timestamp: Some(9)
            }
        );
    }
}

//! The group administration API over `w:g2` IQs (messaging guide G.2), the group cache in the
//! [`GroupStore`](crate::store::GroupStore), and how `w:gp2` notifications keep that cache current.
//!
//! The IQs and their parsers are [`crate::stanza`]'s; here they are sent, answered and cached. A
//! refusal by the server (403 not a member, 401 not an admin, 404 no such group, 409 conflict, ...)
//! comes back as [`Error::IqError`] with WhatsApp's code and text untouched, so a caller can map it.

use std::time::{SystemTime, UNIX_EPOCH};

use super::{Client, Shared};
use crate::error::{Error, Result};
use crate::jid::{Jid, Server};
use crate::message::generate_message_id;
use crate::stanza::{
    self, GroupChange, GroupMetadata, GroupNotification, MembershipChange, ParticipantAction,
    ParticipantResult,
};
use crate::store::{GroupInfo, GroupParticipant, ParticipantRole};

/// Unix seconds now; the clock is read here, in the shell, not in the stanza code.
pub(super) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

fn require_group(jid: &Jid) -> Result<()> {
    if jid.server_kind() == Server::Group {
        Ok(())
    } else {
        Err(Error::InvalidArgument("not a group JID (…@g.us)"))
    }
}

impl Client {
    /// A fresh message id for requests that carry one (create keys, description ids).
    fn group_request_key(&self) -> String {
        let mut rng: rand::rngs::StdRng = rand::make_rng();
        generate_message_id(unix_now(), self.jid().as_ref(), &mut rng)
    }

    /// Saves `metadata` in the group cache and hands it back.
    async fn cache_group_metadata(&self, metadata: GroupMetadata) -> Result<GroupMetadata> {
        self.store().save_group(&metadata.to_store(unix_now())).await?;
        Ok(metadata)
    }

    /// Creates a group named `subject` with us as super admin and `participants` as members. Members
    /// the server cannot add are left out of the answer's participant list.
    pub async fn create_group(&self, subject: &str, participants: &[Jid]) -> Result<GroupMetadata> {
        if subject.trim().is_empty() {
            return Err(Error::InvalidArgument("a group needs a subject"));
        }
        let key = self.group_request_key();
        let answer = self
            .send_iq(stanza::create_group(subject, participants, Some(&key)).into())
            .await?;
        self.cache_group_metadata(stanza::parse_group_reply(&answer)?)
            .await
    }

    /// The group's metadata from the server (not the cache), which also refreshes the cache.
    pub async fn group_info(&self, group: &Jid) -> Result<GroupMetadata> {
        require_group(group)?;
        let answer = self.send_iq(stanza::group_info_query(group).into()).await?;
        self.cache_group_metadata(stanza::parse_group_reply(&answer)?)
            .await
    }

    /// Every group we are a member of, from the server. The cache is replaced by this list: groups we
    /// are no longer in are dropped from it.
    pub async fn joined_groups(&self) -> Result<Vec<GroupMetadata>> {
        let answer = self.send_iq(stanza::participating_query().into()).await?;
        let groups = stanza::parse_participating(&answer)?;
        let now = unix_now();
        let store = self.store();
        for stale in store.groups().await? {
            if !groups.iter().any(|group| group.jid == stale.jid) {
                store.delete_group(&stale.jid).await?;
            }
        }
        for group in &groups {
            store.save_group(&group.to_store(now)).await?;
        }
        Ok(groups)
    }

    /// Adds, removes, promotes or demotes `participants`; one result per participant in the server's
    /// order (a refusal for one member is its [`ParticipantResult::error`], not an `Err`). The cache is
    /// refreshed from the server afterwards when anything changed.
    pub async fn update_group_participants(
        &self,
        group: &Jid,
        action: ParticipantAction,
        participants: &[Jid],
    ) -> Result<Vec<ParticipantResult>> {
        require_group(group)?;
        if participants.is_empty() {
            return Err(Error::InvalidArgument("no participants given"));
        }
        let answer = self
            .send_iq(stanza::change_participants(group, action, participants).into())
            .await?;
        let results = stanza::parse_participant_changes(&answer, action)?;
        if results.iter().any(ParticipantResult::succeeded) {
            self.refresh_group_cache(group).await;
            if action == ParticipantAction::Remove {
                // The server notifies the other members, not the device that removed: rotate our
                // sender key here so a removed member cannot read what we send next.
                super::devices::drop_sender_key(self.shared(), group).await;
            }
        }
        Ok(results)
    }

    /// Renames the group.
    pub async fn set_group_subject(&self, group: &Jid, subject: &str) -> Result<()> {
        require_group(group)?;
        if subject.trim().is_empty() {
            return Err(Error::InvalidArgument("a group needs a subject"));
        }
        self.send_iq(stanza::set_subject(group, subject).into()).await?;
        self.refresh_group_cache(group).await;
        Ok(())
    }

    /// Sets the description, or clears it with `None`. The server wants the current description's id
    /// as `prev`, so the group is queried first.
    pub async fn set_group_description(&self, group: &Jid, description: Option<&str>) -> Result<()> {
        let current = self.group_info(group).await?;
        let prev = current.description.as_ref().map(|d| d.id.as_str());
        if description.is_none() && prev.is_none() {
            return Ok(());
        }
        let id = self.group_request_key();
        self.send_iq(stanza::set_description(group, description, &id, prev).into())
            .await?;
        self.refresh_group_cache(group).await;
        Ok(())
    }

    /// The group's invite code (the link is [`stanza::invite_link`] of it). Admins only.
    pub async fn group_invite_code(&self, group: &Jid) -> Result<String> {
        require_group(group)?;
        let answer = self.send_iq(stanza::invite_code_query(group).into()).await?;
        stanza::parse_invite_code(&answer)
    }

    /// Revokes the invite code; returns the new one. Admins only.
    pub async fn revoke_group_invite(&self, group: &Jid) -> Result<String> {
        require_group(group)?;
        let answer = self.send_iq(stanza::revoke_invite(group).into()).await?;
        stanza::parse_invite_code(&answer)
    }

    /// Leaves the group and drops it from the cache.
    pub async fn leave_group(&self, group: &Jid) -> Result<()> {
        require_group(group)?;
        self.send_iq(stanza::leave_groups(std::slice::from_ref(group)).into())
            .await?;
        self.store().delete_group(group).await?;
        Ok(())
    }

    /// Re-reads a group after a change we made. The change itself succeeded, so a failure here only
    /// leaves the cache stale, and the next notification or query fixes it.
    async fn refresh_group_cache(&self, group: &Jid) {
        if let Err(error) = self.group_info(group).await {
            tracing::debug!(%error, "refreshing the group cache failed");
        }
    }
}

/// Brings the group cache up to date with a `w:gp2` notification. Runs before the notification is
/// acknowledged, so a crash cannot lose a change the server thinks we have.
pub(super) async fn on_notification(shared: &Shared, notification: &GroupNotification) -> Result<()> {
    let store = &shared.store;
    let own = super::lock(&shared.jid).clone();
    let cached = store.group(&notification.group).await?;
    match apply(cached, notification, own.as_ref(), unix_now()) {
        CacheUpdate::Save(info) => store.save_group(&info).await?,
        CacheUpdate::Delete => store.delete_group(&notification.group).await?,
        CacheUpdate::Keep => {}
    }
    Ok(())
}

/// What a notification does to the cached entry of its group.
#[derive(Debug, PartialEq, Eq)]
enum CacheUpdate {
    Save(GroupInfo),
    Delete,
    /// Nothing cached and nothing that creates an entry, or nothing that changes one.
    Keep,
}

fn same_user(a: &Jid, b: &Jid) -> bool {
    a.to_non_ad() == b.to_non_ad()
}

/// The cache entry after `notification`. Pure: `own` is our JID (to notice our own removal), `now`
/// the time to stamp the entry with.
fn apply(
    cached: Option<GroupInfo>,
    notification: &GroupNotification,
    own: Option<&Jid>,
    now: u64,
) -> CacheUpdate {
    let mut entry = cached;
    let mut changed = false;
    for change in &notification.changes {
        if let GroupChange::Created(metadata) = change {
            let mut info = metadata.to_store(now);
            info.jid = notification.group.clone();
            entry = Some(info);
            changed = true;
            continue;
        }
        let Some(info) = entry.as_mut() else {
            continue;
        };
        match change {
            // A member's identity changed (number change): which entry it replaces is not certain, so
            // the entry is dropped and the next use asks the server.
            GroupChange::Membership {
                change: MembershipChange::Modify,
                ..
            } => return CacheUpdate::Delete,
            GroupChange::Membership {
                change, participants, ..
            } => {
                for participant in participants {
                    let position = info
                        .participants
                        .iter()
                        .position(|member| same_user(&member.jid, &participant.jid));
                    match (change, position) {
                        (MembershipChange::Add, None) => info.participants.push(GroupParticipant {
                            jid: participant.jid.clone(),
                            phone_number: participant.phone_number.clone(),
                            lid: participant.lid.clone(),
                            role: ParticipantRole::Member,
                        }),
                        (MembershipChange::Remove | MembershipChange::Leave, Some(index)) => {
                            info.participants.remove(index);
                        }
                        (MembershipChange::Promote | MembershipChange::Demote, Some(index)) => {
                            if let Some(role) = change.role() {
                                info.participants[index].role = role;
                            }
                        }
                        _ => {}
                    }
                    let gone = matches!(change, MembershipChange::Remove | MembershipChange::Leave);
                    if gone && own.is_some_and(|own| same_user(own, &participant.jid)) {
                        return CacheUpdate::Delete;
                    }
                }
            }
            GroupChange::Subject { subject, .. } => info.subject = subject.clone(),
            GroupChange::Description { text, .. } => info.description = text.clone(),
            GroupChange::Announce(on) => info.announce = *on,
            GroupChange::Locked(on) => info.locked = *on,
            GroupChange::Deleted(_) => return CacheUpdate::Delete,
            _ => continue,
        }
        changed = true;
    }
    match entry {
        Some(mut info) if changed => {
            info.updated_at = now;
            CacheUpdate::Save(info)
        }
        _ => CacheUpdate::Keep,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binary::Node;
    use crate::store::AddressingMode;

    fn cached() -> GroupInfo {
        GroupInfo {
            jid: Jid::group("1203630"),
            subject: "Old".into(),
            description: None,
            owner: Some(Jid::pn("1")),
            created_at: Some(1),
            addressing_mode: AddressingMode::Pn,
            announce: false,
            locked: false,
            participants: vec![
                GroupParticipant {
                    jid: Jid::pn("1"),
                    phone_number: None,
                    lid: None,
                    role: ParticipantRole::SuperAdmin,
                },
                GroupParticipant {
                    jid: Jid::pn("2"),
                    phone_number: None,
                    lid: None,
                    role: ParticipantRole::Member,
                },
            ],
            updated_at: 1,
        }
    }

    fn notification(changes: Vec<Node>) -> GroupNotification {
        let node = Node::new("notification")
            .attr("from", Jid::group("1203630"))
            .attr("id", "N1")
            .attr("participant", Jid::pn("1"))
            .attr("t", "5")
            .attr("type", "w:gp2")
            .children(changes);
        GroupNotification::parse(&node).expect("a valid notification")
    }

    fn participants(tag: &str, users: &[&str]) -> Node {
        Node::new(tag.to_owned()).children(
            users
                .iter()
                .map(|user| Node::new("participant").attr("jid", Jid::pn(user))),
        )
    }

    fn saved(update: CacheUpdate) -> GroupInfo {
        match update {
            CacheUpdate::Save(info) => info,
            other => panic!("expected a save, got {other:?}"),
        }
    }

    #[test]
    fn membership_subject_and_description_changes_apply_to_the_cached_entry() {
        let own = Jid::pn("2").with_device(3);
        let update = apply(
            Some(cached()),
            &notification(vec![
                participants("add", &["3", "2"]),
                participants("promote", &["3"]),
                Node::new("subject").attr("subject", "New"),
                Node::new("description")
                    .attr("id", "D")
                    .children([Node::new("body").text("about")]),
                Node::new("announcement"),
            ]),
            Some(&own),
            9,
        );
        let info = saved(update);
        let members: Vec<(Jid, ParticipantRole)> = info
            .participants
            .iter()
            .map(|p| (p.jid.clone(), p.role))
            .collect();
        assert_eq!(
            members,
            [
                (Jid::pn("1"), ParticipantRole::SuperAdmin),
                (Jid::pn("2"), ParticipantRole::Member),
                (Jid::pn("3"), ParticipantRole::Admin),
            ]
        );
        assert_eq!(info.subject, "New");
        assert_eq!(info.description.as_deref(), Some("about"));
        assert!(info.announce);
        assert_eq!(info.updated_at, 9);

        let cleared = saved(apply(
            Some(info),
            &notification(vec![
                Node::new("description")
                    .attr("id", "E")
                    .children([Node::new("delete")]),
                participants("remove", &["3"]),
            ]),
            Some(&own),
            10,
        ));
        assert_eq!(cleared.description, None);
        assert_eq!(cleared.participants.len(), 2);
    }

    #[test]
    fn our_removal_or_a_deleted_group_drops_the_entry() {
        let own = Jid::pn("2").with_device(3);
        assert_eq!(
            apply(
                Some(cached()),
                &notification(vec![participants("remove", &["2"])]),
                Some(&own),
                9
            ),
            CacheUpdate::Delete
        );
        assert_eq!(
            apply(
                Some(cached()),
                &notification(vec![participants("leave", &["2"])]),
                Some(&own),
                9
            ),
            CacheUpdate::Delete
        );
        assert_eq!(
            apply(
                Some(cached()),
                &notification(vec![Node::new("delete").attr("reason", "x")]),
                Some(&own),
                9
            ),
            CacheUpdate::Delete
        );
        // A number change drops the entry rather than guess.
        assert_eq!(
            apply(
                Some(cached()),
                &notification(vec![participants("modify", &["1"])]),
                Some(&own),
                9
            ),
            CacheUpdate::Delete
        );
        // Someone else leaving keeps the group.
        let info = saved(apply(
            Some(cached()),
            &notification(vec![participants("leave", &["1"])]),
            Some(&own),
            9,
        ));
        assert_eq!(info.participants.len(), 1);
    }

    #[test]
    fn a_create_notice_fills_an_empty_cache_and_other_changes_need_an_entry() {
        let group = Node::new("group")
            .attr("id", "1203630")
            .attr("subject", "Fresh")
            .children([
                Node::new("participant")
                    .attr("jid", Jid::pn("1"))
                    .attr("type", "superadmin"),
                Node::new("participant").attr("jid", Jid::pn("2")),
            ]);
        let info = saved(apply(
            None,
            &notification(vec![Node::new("create").children([group])]),
            None,
            4,
        ));
        assert_eq!(info.jid, Jid::group("1203630"));
        assert_eq!(info.subject, "Fresh");
        assert_eq!(info.participants.len(), 2);
        assert_eq!(
            apply(
                None,
                &notification(vec![Node::new("subject").attr("subject", "x")]),
                None,
                4
            ),
            CacheUpdate::Keep
        );
        assert_eq!(
            apply(
                Some(cached()),
                &notification(vec![Node::new("something_new")]),
                None,
                4
            ),
            CacheUpdate::Keep
        );
    }
}

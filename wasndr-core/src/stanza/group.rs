//! The group IQs (`w:g2`, messaging guide G.2) and the group node they return (G.1).

use crate::binary::Node;
use crate::error::Result;
use crate::jid::{Jid, Server};
use crate::store::{self, AddressingMode, GroupParticipant, ParticipantRole};

use super::StanzaProblem;
use super::iq::{Iq, IqType, iq_result};
use super::read::{NodeView, Reader};

const XMLNS: &str = "w:g2";

fn to_group(group: &Jid, iq_type: IqType, child: Node) -> Iq {
    Iq::new(XMLNS, iq_type, group.to_non_ad(), child)
}

fn to_group_server(iq_type: IqType, child: Node) -> Iq {
    Iq::new(XMLNS, iq_type, Jid::group_server(), child)
}

/// Creates a group with `subject` and `participants`. `key` is an optional message id that dedupes
/// the request (whatsmeow sends a fresh one).
pub fn create_group(subject: &str, participants: &[Jid], key: Option<&str>) -> Iq {
    to_group_server(
        IqType::Set,
        Node::new("create")
            .attr_opt("key", key.map(str::to_owned))
            .attr("subject", subject.to_owned())
            .children(
                participants
                    .iter()
                    .map(|jid| Node::new("participant").attr("jid", jid.to_non_ad())),
            ),
    )
}

/// The metadata of one group.
pub fn group_info_query(group: &Jid) -> Iq {
    to_group(
        group,
        IqType::Get,
        Node::new("query").attr("request", "interactive"),
    )
}

/// Every group we are in, with participants and descriptions.
pub fn participating_query() -> Iq {
    to_group_server(
        IqType::Get,
        Node::new("participating").children([Node::new("participants"), Node::new("description")]),
    )
}

/// A change to a group's membership.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParticipantAction {
    /// Add members.
    Add,
    /// Remove members.
    Remove,
    /// Make members admins.
    Promote,
    /// Make admins members.
    Demote,
}

impl ParticipantAction {
    /// The child tag.
    pub const fn as_str(self) -> &'static str {
        match self {
            ParticipantAction::Add => "add",
            ParticipantAction::Remove => "remove",
            ParticipantAction::Promote => "promote",
            ParticipantAction::Demote => "demote",
        }
    }
}

/// Adds, removes, promotes or demotes `participants`.
pub fn change_participants(group: &Jid, action: ParticipantAction, participants: &[Jid]) -> Iq {
    to_group(
        group,
        IqType::Set,
        Node::new(action.as_str()).children(
            participants
                .iter()
                .map(|jid| Node::new("participant").attr("jid", jid.to_non_ad())),
        ),
    )
}

/// Renames the group.
pub fn set_subject(group: &Jid, subject: &str) -> Iq {
    to_group(
        group,
        IqType::Set,
        Node::new("subject").bytes(subject.as_bytes().to_vec()),
    )
}

/// Sets the description to `text`, or clears it when `text` is `None`. `id` is the new description's id
/// (whatsmeow uses a fresh message id); `prev` must be the current description's id from the group
/// node, if it has one.
pub fn set_description(group: &Jid, text: Option<&str>, id: &str, prev: Option<&str>) -> Iq {
    let node = Node::new("description")
        .attr_opt("delete", text.is_none().then_some("true"))
        .attr("id", id.to_owned())
        .attr_opt("prev", prev.map(str::to_owned));
    let node = match text {
        Some(text) => node.children([Node::new("body").bytes(text.as_bytes().to_vec())]),
        None => node,
    };
    to_group(group, IqType::Set, node)
}

/// The group's invite code.
pub fn invite_code_query(group: &Jid) -> Iq {
    to_group(group, IqType::Get, Node::new("invite"))
}

/// Revokes the invite code and returns a new one.
pub fn revoke_invite(group: &Jid) -> Iq {
    to_group(group, IqType::Set, Node::new("invite"))
}

/// Leaves `groups`.
pub fn leave_groups(groups: &[Jid]) -> Iq {
    to_group_server(
        IqType::Set,
        Node::new("leave").children(
            groups
                .iter()
                .map(|group| Node::new("group").attr("id", group.to_non_ad())),
        ),
    )
}

/// The link for an invite code.
pub fn invite_link(code: &str) -> String {
    format!("https://chat.whatsapp.com/{code}")
}

/// The group description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupDescription {
    /// `id`: pass it as `prev` when changing the description.
    pub id: String,
    /// The text.
    pub text: String,
    /// `t`.
    pub time: Option<u64>,
    /// `participant`: who set it.
    pub set_by: Option<Jid>,
}

/// A group's metadata (messaging guide G.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupMetadata {
    /// The group (`id` attribute, `@g.us` added).
    pub jid: Jid,
    /// `subject`.
    pub subject: Option<String>,
    /// `s_t`.
    pub subject_time: Option<u64>,
    /// `s_o`.
    pub subject_owner: Option<Jid>,
    /// `creation`.
    pub creation: Option<u64>,
    /// `creator`.
    pub creator: Option<Jid>,
    /// `creator_pn`.
    pub creator_pn: Option<Jid>,
    /// `size`.
    pub size: Option<u32>,
    /// `addressing_mode`.
    pub addressing_mode: Option<AddressingMode>,
    /// The members.
    pub participants: Vec<GroupParticipant>,
    /// The description.
    pub description: Option<GroupDescription>,
    /// `<announcement/>`: only admins send.
    pub announce: bool,
    /// `<locked/>`: only admins edit the group info.
    pub locked: bool,
    /// `<ephemeral expiration>`: the disappearing-messages timer in seconds.
    pub ephemeral: Option<u32>,
    /// `<member_add_mode>`: `all_member_add` or `admin_add`.
    pub member_add_mode: Option<String>,
    /// `<membership_approval_mode>`: joins need approval.
    pub join_approval: bool,
    /// `<parent>`: a community.
    pub is_parent: bool,
    /// `<linked_parent jid>`: the community this group belongs to.
    pub linked_parent: Option<Jid>,
    /// `<suspended/>`.
    pub suspended: bool,
}

impl GroupMetadata {
    /// Parses a `<group>` node.
    pub fn parse<'t, N: NodeView<'t>>(node: N) -> Result<GroupMetadata> {
        parse_group(Reader::expect(node, "group")?)
    }

    /// The group cache entry for this metadata, fetched at `updated_at` (unix seconds).
    pub fn to_store(&self, updated_at: u64) -> store::GroupInfo {
        store::GroupInfo {
            jid: self.jid.clone(),
            subject: self.subject.clone().unwrap_or_default(),
            description: self.description.as_ref().map(|d| d.text.clone()),
            owner: self.creator.clone(),
            created_at: self.creation,
            addressing_mode: self.addressing_mode.unwrap_or_default(),
            announce: self.announce,
            locked: self.locked,
            participants: self.participants.clone(),
            updated_at,
        }
    }
}

/// The group of a `<group>` node: its bare `id` (a full JID is accepted too), or a `jid` attribute as
/// join replies carry.
fn group_jid<'t, N: NodeView<'t>>(group: Reader<'t, N>) -> Result<Jid> {
    match group.opt_str("id") {
        Some(id) if id.contains('@') => {
            Jid::parse(id).map_err(|_| group.fail(StanzaProblem::InvalidAttr("id")))
        }
        Some(id) => Ok(Jid::new(id, Server::Group)),
        None => group
            .jid("jid")
            .map_err(|_| group.fail(StanzaProblem::MissingAttr("id"))),
    }
}

fn parse_group<'t, N: NodeView<'t>>(group: Reader<'t, N>) -> Result<GroupMetadata> {
    let mut info = GroupMetadata {
        jid: group_jid(group)?,
        subject: group.opt_string("subject"),
        subject_time: group.opt_u64("s_t")?,
        subject_owner: group.opt_jid("s_o")?,
        creation: group.opt_u64("creation")?,
        creator: group.opt_jid("creator")?,
        creator_pn: group.opt_jid("creator_pn")?,
        size: group.opt_u32("size")?,
        addressing_mode: group.opt_str("addressing_mode").and_then(AddressingMode::parse),
        participants: Vec::new(),
        description: None,
        announce: false,
        locked: false,
        ephemeral: None,
        member_add_mode: None,
        join_approval: false,
        is_parent: false,
        linked_parent: None,
        suspended: false,
    };
    for child in group.children() {
        match child.tag() {
            "participant" => info.participants.push(parse_participant(child)?),
            "description" => {
                if let Some(body) = child.opt_child("body") {
                    info.description = Some(GroupDescription {
                        id: child.opt_string("id").unwrap_or_default(),
                        text: body.text_lossy(),
                        time: child.opt_u64("t")?,
                        set_by: child.opt_jid("participant")?,
                    });
                }
            }
            "announcement" => info.announce = true,
            "locked" => info.locked = true,
            "ephemeral" => info.ephemeral = Some(child.opt_u32("expiration")?.unwrap_or(0)),
            "member_add_mode" => info.member_add_mode = Some(child.text_lossy()),
            "membership_approval_mode" => info.join_approval = true,
            "parent" => info.is_parent = true,
            "linked_parent" => info.linked_parent = child.opt_jid("jid")?,
            "suspended" => info.suspended = true,
            _ => {}
        }
    }
    Ok(info)
}

fn parse_participant<'t, N: NodeView<'t>>(node: Reader<'t, N>) -> Result<GroupParticipant> {
    Ok(GroupParticipant {
        jid: node.jid("jid")?,
        role: match node.opt_str("type") {
            Some("admin") => ParticipantRole::Admin,
            Some("superadmin") => ParticipantRole::SuperAdmin,
            _ => ParticipantRole::Member,
        },
        lid: node.opt_jid("lid")?,
        phone_number: node.opt_jid("phone_number")?,
    })
}

/// Parses the reply to [`create_group`] or [`group_info_query`]: its `<group>`.
pub fn parse_group_reply<'t, N: NodeView<'t>>(reply: N) -> Result<GroupMetadata> {
    let iq = Reader::expect(iq_result(reply)?, "iq")?;
    parse_group(iq.child("group")?)
}

/// Parses the reply to [`participating_query`].
pub fn parse_participating<'t, N: NodeView<'t>>(reply: N) -> Result<Vec<GroupMetadata>> {
    let iq = Reader::expect(iq_result(reply)?, "iq")?;
    iq.child("groups")?
        .children_with_tag("group")
        .map(parse_group)
        .collect()
}

/// What happened to one member in a [`change_participants`] request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParticipantResult {
    /// The member.
    pub jid: Jid,
    /// `error`: this entry failed (403 not allowed, 404 no account, 408 recently left, 409 already in,
    /// …; the codes are not catalogued upstream).
    pub error: Option<u32>,
    /// `<add_request code expiration>`: their privacy settings need an invite message instead.
    pub add_request: Option<(String, Option<u64>)>,
}

impl ParticipantResult {
    /// Whether the change applied to this member.
    pub fn succeeded(&self) -> bool {
        self.error.is_none_or(|code| code == 200) && self.add_request.is_none()
    }
}

/// Parses the reply to [`change_participants`]: the `<add|remove|promote|demote>` child echoing one
/// `<participant>` per requested member.
pub fn parse_participant_changes<'t, N: NodeView<'t>>(
    reply: N,
    action: ParticipantAction,
) -> Result<Vec<ParticipantResult>> {
    let iq = Reader::expect(iq_result(reply)?, "iq")?;
    let Some(echo) = iq.opt_child(action.as_str()) else {
        return Err(iq.fail(StanzaProblem::MissingChild(action.as_str())));
    };
    echo.children_with_tag("participant")
        .map(|participant| {
            let add_request = match participant.opt_child("add_request") {
                Some(request) => Some((
                    request.opt_string("code").unwrap_or_default(),
                    request.opt_u64("expiration")?,
                )),
                None => None,
            };
            Ok(ParticipantResult {
                jid: participant.jid("jid")?,
                error: participant.opt_u32("error")?,
                add_request,
            })
        })
        .collect()
}

/// Parses the reply to [`invite_code_query`] or [`revoke_invite`]: the code.
pub fn parse_invite_code<'t, N: NodeView<'t>>(reply: N) -> Result<String> {
    let iq = Reader::expect(iq_result(reply)?, "iq")?;
    Ok(iq.child("invite")?.str("code")?.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binary;

    fn result(children: Vec<Node>) -> Vec<u8> {
        binary::encode(
            &Node::new("iq")
                .attr("from", Jid::group("1"))
                .attr("id", "1")
                .attr("type", "result")
                .children(children),
        )
        .unwrap()
    }

    fn group_node() -> Node {
        Node::new("group")
            .attr("addressing_mode", "lid")
            .attr("creation", "1700000000")
            .attr("creator", Jid::lid("11"))
            .attr("id", "120363025246125888")
            .attr("s_o", Jid::lid("11"))
            .attr("s_t", "1700000001")
            .attr("size", "2")
            .attr("subject", "Friends")
            .children([
                Node::new("participant")
                    .attr("jid", Jid::lid("11"))
                    .attr("phone_number", Jid::pn("15551234567"))
                    .attr("type", "superadmin"),
                Node::new("participant").attr("jid", Jid::lid("22")),
                Node::new("description")
                    .attr("id", "DESC1")
                    .attr("participant", Jid::lid("11"))
                    .attr("t", "1700000002")
                    .children([Node::new("body").bytes("Weekend plans ☀".as_bytes().to_vec())]),
                Node::new("announcement"),
                Node::new("ephemeral").attr("expiration", "86400"),
                Node::new("member_add_mode").text("admin_add"),
            ])
    }

    #[test]
    fn group_node_parse() {
        let bytes = result(vec![group_node()]);
        let tree = binary::decode_node(&bytes[1..]).unwrap();
        let info = parse_group_reply(tree.root()).unwrap();
        assert_eq!(
            parse_group_reply(&binary::decode_owned(&bytes).unwrap()).unwrap(),
            info
        );
        assert_eq!(info.jid, Jid::group("120363025246125888"));
        assert_eq!(info.subject.as_deref(), Some("Friends"));
        assert_eq!(info.participants.len(), 2);
        assert_eq!(info.participants[0].role, ParticipantRole::SuperAdmin);
        assert_eq!(info.participants[0].phone_number, Some(Jid::pn("15551234567")));
        assert_eq!(info.participants[1].role, ParticipantRole::Member);
        let description = info.description.clone().unwrap();
        assert_eq!(
            (description.id.as_str(), description.text.as_str()),
            ("DESC1", "Weekend plans ☀")
        );
        assert!(info.announce && !info.locked);
        assert_eq!(info.ephemeral, Some(86400));
        assert_eq!(info.member_add_mode.as_deref(), Some("admin_add"));
        let cached = info.to_store(9);
        assert_eq!(cached.addressing_mode, AddressingMode::Lid);
        assert_eq!(cached.subject, "Friends");
        assert_eq!(cached.description.as_deref(), Some("Weekend plans ☀"));
        assert_eq!(cached.participants, info.participants);

        let bytes = result(vec![Node::new("groups").children([group_node(), group_node()])]);
        let tree = binary::decode_node(&bytes[1..]).unwrap();
        assert_eq!(parse_participating(tree.root()).unwrap().len(), 2);
    }

    #[test]
    fn requests() {
        let group = Jid::group("120363025246125888");
        let create = create_group("Friends", &[Jid::pn("1").with_device(2)], Some("3EB0X")).into_node("1");
        assert_eq!(create.attr_str("to"), Some("g.us"));
        let participant = &create.child("create").unwrap().child_nodes()[0];
        assert_eq!(
            participant.attr_jid("jid").map(|j| j.to_owned()),
            Some(Jid::pn("1"))
        );
        let promote = change_participants(&group, ParticipantAction::Promote, &[Jid::pn("1")]).into_node("2");
        assert_eq!(promote.attr_jid("to").map(|j| j.to_owned()), Some(group.clone()));
        assert_eq!(promote.child("promote").unwrap().child_nodes().len(), 1);
        let description = set_description(&group, Some("hi"), "NEW", Some("OLD")).into_node("3");
        let node = description.child("description").unwrap();
        assert_eq!(
            (node.attr_str("id"), node.attr_str("prev")),
            (Some("NEW"), Some("OLD"))
        );
        assert_eq!(node.child("body").unwrap().content_bytes(), Some(&b"hi"[..]));
        let clear = set_description(&group, None, "NEW", Some("OLD")).into_node("4");
        assert_eq!(
            clear.child("description").unwrap().attr_str("delete"),
            Some("true")
        );
        let leave = leave_groups(std::slice::from_ref(&group)).into_node("5");
        assert_eq!(
            leave.child("leave").unwrap().child_nodes()[0]
                .attr_jid("id")
                .map(|j| j.to_owned()),
            Some(group.clone())
        );
        assert_eq!(invite_code_query(&group).iq_type, IqType::Get);
        assert_eq!(revoke_invite(&group).iq_type, IqType::Set);
        assert_eq!(
            set_subject(&group, "New").content[0].content_bytes(),
            Some(&b"New"[..])
        );
        assert_eq!(
            group_info_query(&group).content[0].attr_str("request"),
            Some("interactive")
        );
        assert_eq!(participating_query().content[0].child_nodes().len(), 2);
    }

    #[test]
    fn participant_results_and_invites() {
        let bytes = result(vec![
            Node::new("add").children([
                Node::new("participant").attr("jid", Jid::pn("1")),
                Node::new("participant")
                    .attr("error", "409")
                    .attr("jid", Jid::pn("2")),
                Node::new("participant")
                    .attr("error", "403")
                    .attr("jid", Jid::pn("3"))
                    .children([Node::new("add_request")
                        .attr("code", "AbC")
                        .attr("expiration", "1700")]),
            ]),
        ]);
        let tree = binary::decode_node(&bytes[1..]).unwrap();
        let results = parse_participant_changes(tree.root(), ParticipantAction::Add).unwrap();
        assert_eq!(
            results
                .iter()
                .map(ParticipantResult::succeeded)
                .collect::<Vec<_>>(),
            [true, false, false]
        );
        assert_eq!(results[2].add_request, Some(("AbC".into(), Some(1700))));
        assert!(parse_participant_changes(tree.root(), ParticipantAction::Remove).is_err());

        let bytes = result(vec![Node::new("invite").attr("code", "XyZ123")]);
        let tree = binary::decode_node(&bytes[1..]).unwrap();
        let code = parse_invite_code(tree.root()).unwrap();
        assert_eq!(invite_link(&code), "https://chat.whatsapp.com/XyZ123");
    }
}

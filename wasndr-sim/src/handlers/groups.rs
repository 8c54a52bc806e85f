//! The `w:g2` namespace: create, query, participating list, add/remove/promote/demote, subject,
//! description, invite code, leave; members get `w:gp2` notifications (messaging guide G).

use wasndr_core::binary::Node;
use wasndr_core::jid::{Jid, Server};

use super::iq::IqAnswer;
use crate::network::{DeviceId, Group, Network, Role};
use crate::shared::unix_now;
use crate::stanzas::message_id;

pub(crate) fn handle(net: &mut Network, device: &DeviceId, node: &Node) -> IqAnswer {
    let actor = device.0.clone();
    let to = node
        .attr_jid("to")
        .map(|jid| jid.to_owned())
        .ok_or((400, "bad-request"))?;
    let Some(op) = node.child_nodes().first() else {
        return Err((400, "bad-request"));
    };
    if to.user().is_empty() {
        return match op.tag.as_ref() {
            "create" => {
                let participants = op
                    .children_with_tag("participant")
                    .filter_map(|participant| participant.attr_jid("jid"))
                    .filter_map(|jid| net.account_of(&jid.to_owned()).map(str::to_owned))
                    .collect::<Vec<_>>();
                let subject = op.attr_str("subject").unwrap_or_default().to_owned();
                let id = create_group(net, &actor, &subject, &participants, Some(device))?;
                Ok(vec![group_node(
                    net.groups.get(&id).ok_or((500, "internal-server-error"))?,
                )])
            }
            "participating" => {
                let groups = net
                    .groups
                    .values()
                    .filter(|group| group.role_of(&actor).is_some())
                    .map(group_node)
                    .collect::<Vec<_>>();
                Ok(vec![Node::new("groups").children(groups)])
            }
            "leave" => {
                let mut left = Vec::new();
                for group in op.children_with_tag("group") {
                    let Some(jid) = group.attr_jid("id").map(|jid| jid.to_owned()) else {
                        continue;
                    };
                    leave(net, &jid, &actor, device);
                    left.push(Node::new("group").attr("id", jid));
                }
                Ok(vec![Node::new("leave").children(left)])
            }
            _ => Err((400, "bad-request")),
        };
    }
    let group_id = to.user().to_owned();
    let group = net.groups.get(&group_id).ok_or((404, "item-not-found"))?;
    let role = group.role_of(&actor).ok_or((403, "forbidden"))?;
    match op.tag.as_ref() {
        "query" => Ok(vec![group_node(group)]),
        "invite" if node.attr_str("type") == Some("get") => {
            Ok(vec![Node::new("invite").attr("code", group.invite_code.clone())])
        }
        "invite" => {
            require_admin(role)?;
            let code = invite_code();
            let group = net.groups.get_mut(&group_id).ok_or((404, "item-not-found"))?;
            group.invite_code = code.clone();
            notify(
                net,
                &group_id,
                &actor,
                device,
                vec![Node::new("invite").attr("code", code.clone())],
            );
            Ok(vec![Node::new("invite").attr("code", code)])
        }
        "subject" => {
            let subject = op
                .content_text()
                .map(str::to_owned)
                .or_else(|| {
                    op.content_bytes()
                        .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
                })
                .ok_or((400, "bad-request"))?;
            let now = unix_now();
            let group = net.groups.get_mut(&group_id).ok_or((404, "item-not-found"))?;
            group.subject = subject.clone();
            group.subject_owner = actor.clone();
            group.subject_time = now;
            let change = Node::new("subject")
                .attr("subject", subject)
                .attr("s_t", now.to_string())
                .attr("s_o", Jid::pn(&actor));
            notify(net, &group_id, &actor, device, vec![change]);
            Ok(Vec::new())
        }
        "description" => {
            let now = unix_now();
            let id = op.attr_str("id").map(str::to_owned).unwrap_or_else(message_id);
            let body = op.child("body").and_then(|body| {
                body.content_text().map(str::to_owned).or_else(|| {
                    body.content_bytes()
                        .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
                })
            });
            let group = net.groups.get_mut(&group_id).ok_or((404, "item-not-found"))?;
            if let Some(prev) = op.attr_str("prev")
                && group
                    .description
                    .as_ref()
                    .is_some_and(|(current, ..)| current != prev)
            {
                return Err((409, "conflict"));
            }
            let change = match body {
                Some(text) if op.attr_str("delete") != Some("true") => {
                    group.description = Some((id.clone(), text.clone(), now, actor.clone()));
                    Node::new("description")
                        .attr("id", id)
                        .children([Node::new("body").text(text)])
                }
                _ => {
                    group.description = None;
                    Node::new("description")
                        .attr("id", id)
                        .children([Node::new("delete")])
                }
            };
            notify(net, &group_id, &actor, device, vec![change]);
            Ok(Vec::new())
        }
        "add" | "remove" | "promote" | "demote" => {
            require_admin(role)?;
            let op_tag = op.tag.to_string();
            let mut results = Vec::new();
            let mut changed = Vec::new();
            for participant in op.children_with_tag("participant") {
                let Some(jid) = participant.attr_jid("jid").map(|jid| jid.to_owned()) else {
                    continue;
                };
                let phone = net.account_of(&jid).map(str::to_owned);
                let error = change_member(net, &group_id, &op_tag, phone.as_deref());
                let mut result = Node::new("participant").attr("jid", jid.to_non_ad());
                match error {
                    Some(code) => result.set_attr("error", code.to_string()),
                    None => changed.push(Node::new("participant").attr("jid", jid.to_non_ad())),
                }
                results.push(result);
            }
            if !changed.is_empty() {
                notify(
                    net,
                    &group_id,
                    &actor,
                    device,
                    vec![Node::new(op_tag.clone()).children(changed)],
                );
                if op_tag == "add" {
                    send_create_notice_to_new(net, &group_id, &actor, op);
                }
            }
            Ok(vec![Node::new(op_tag).children(results)])
        }
        _ => Err((400, "bad-request")),
    }
}

fn require_admin(role: Role) -> Result<(), (u16, &'static str)> {
    if role.is_admin() {
        Ok(())
    } else {
        Err((401, "not-authorized"))
    }
}

/// Applies one participant change; `Some(code)` when it fails for that participant.
fn change_member(net: &mut Network, group_id: &str, op: &str, phone: Option<&str>) -> Option<u16> {
    let Some(phone) = phone else {
        return Some(404);
    };
    let group = net.groups.get_mut(group_id)?;
    let index = group.participants.iter().position(|(member, _)| member == phone);
    match (op, index) {
        ("add", Some(_)) => Some(409),
        ("add", None) => {
            group.participants.push((phone.to_owned(), Role::Member));
            None
        }
        (_, None) => Some(404),
        ("remove", Some(index)) => {
            group.participants.remove(index);
            None
        }
        ("promote", Some(index)) => {
            group.participants[index].1 = Role::Admin;
            None
        }
        ("demote", Some(index)) => {
            group.participants[index].1 = Role::Member;
            None
        }
        _ => Some(400),
    }
}

/// New members learn the whole group with a `create` notification.
fn send_create_notice_to_new(net: &mut Network, group_id: &str, actor: &str, op: &Node) {
    let Some(group) = net.groups.get(group_id) else {
        return;
    };
    let body = group_node(group);
    let new: Vec<String> = op
        .children_with_tag("participant")
        .filter_map(|participant| participant.attr_jid("jid"))
        .filter_map(|jid| net.account_of(&jid.to_owned()).map(str::to_owned))
        .collect();
    for phone in new {
        for device in net.devices_of(&phone) {
            let notice = notification(
                group_id,
                actor,
                vec![Node::new("create").children([body.clone()])],
            );
            net.deliver(&device, notice);
        }
    }
}

fn leave(net: &mut Network, jid: &Jid, actor: &str, device: &DeviceId) {
    let group_id = jid.user().to_owned();
    let Some(group) = net.groups.get_mut(&group_id) else {
        return;
    };
    let before = group.participants.len();
    group.participants.retain(|(member, _)| member != actor);
    if group.participants.len() == before {
        return;
    }
    let change = Node::new("leave").children([Node::new("participant").attr("jid", Jid::pn(actor))]);
    // The remaining members and the leaver's own devices hear of it.
    notify(net, &group_id, actor, device, vec![change.clone()]);
    for own in net.devices_of(actor) {
        if own != *device {
            let notice = notification(&group_id, actor, vec![change.clone()]);
            net.deliver(&own, notice);
        }
    }
}

fn invite_code() -> String {
    use base64::Engine;
    use rand::Rng;
    let mut bytes = [0u8; 16];
    crate::shared::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Creates a group with `creator` as super admin and the other existing accounts as members; notifies
/// every member device except `origin` (the creating device, which gets the IQ answer).
pub(crate) fn create_group(
    net: &mut Network,
    creator: &str,
    subject: &str,
    participants: &[String],
    origin: Option<&DeviceId>,
) -> Result<String, (u16, &'static str)> {
    if !net.accounts.contains_key(creator) {
        return Err((404, "item-not-found"));
    }
    let now = unix_now();
    let id = format!("120363{:012}", net.next_number() + now % 1_000_000);
    let mut members = vec![(creator.to_owned(), Role::SuperAdmin)];
    for phone in participants {
        if phone != creator && net.accounts.contains_key(phone) && !members.iter().any(|(m, _)| m == phone) {
            members.push((phone.clone(), Role::Member));
        }
    }
    let group = Group {
        id: id.clone(),
        subject: subject.to_owned(),
        subject_owner: creator.to_owned(),
        subject_time: now,
        creator: creator.to_owned(),
        creation: now,
        participants: members,
        description: None,
        invite_code: invite_code(),
    };
    let body = group_node(&group);
    let recipients: Vec<String> = group
        .participants
        .iter()
        .map(|(phone, _)| phone.clone())
        .collect();
    net.groups.insert(id.clone(), group);
    for phone in recipients {
        for device in net.devices_of(&phone) {
            if Some(&device) == origin {
                continue;
            }
            let notice = notification(&id, creator, vec![Node::new("create").children([body.clone()])]);
            net.deliver(&device, notice);
        }
    }
    Ok(id)
}

/// The `<group>` node of G.1.
pub(crate) fn group_node(group: &Group) -> Node {
    let mut children: Vec<Node> = group
        .participants
        .iter()
        .map(|(phone, role)| {
            Node::new("participant")
                .attr("jid", Jid::pn(phone))
                .attr_opt("type", role.as_attr())
        })
        .collect();
    if let Some((id, text, t, author)) = &group.description {
        children.push(
            Node::new("description")
                .attr("id", id.clone())
                .attr("t", t.to_string())
                .attr("participant", Jid::pn(author))
                .children([Node::new("body").text(text.clone())]),
        );
    }
    Node::new("group")
        .attr("id", group.id.clone())
        .attr("subject", group.subject.clone())
        .attr("s_t", group.subject_time.to_string())
        .attr("s_o", Jid::pn(&group.subject_owner))
        .attr("creation", group.creation.to_string())
        .attr("creator", Jid::pn(&group.creator))
        .attr("size", group.participants.len().to_string())
        .attr("addressing_mode", "pn")
        .children(children)
}

/// `<notification type=w:gp2 from=GROUP id t participant=ACTOR>changes</notification>`.
fn notification(group_id: &str, actor: &str, changes: Vec<Node>) -> Node {
    Node::new("notification")
        .attr("from", Jid::new(group_id, Server::Group))
        .attr("type", "w:gp2")
        .attr("id", message_id())
        .attr("t", unix_now().to_string())
        .attr("participant", Jid::pn(actor))
        .children(changes)
}

/// Sends a `w:gp2` notification to every device of every current member except `origin`.
fn notify(net: &mut Network, group_id: &str, actor: &str, origin: &DeviceId, changes: Vec<Node>) {
    let Some(group) = net.groups.get(group_id) else {
        return;
    };
    let members: Vec<String> = group
        .participants
        .iter()
        .map(|(phone, _)| phone.clone())
        .collect();
    for phone in members {
        for device in net.devices_of(&phone) {
            if device != *origin {
                let notice = notification(group_id, actor, changes.clone());
                net.deliver(&device, notice);
            }
        }
    }
}

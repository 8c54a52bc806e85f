//! JID text forms: parsing and printing.

use super::{JidRef, Server};
use crate::error::{Error, Result};

fn invalid(problem: &'static str) -> Error {
    Error::InvalidJid(problem)
}

/// Parses a decimal number of at most `max` with digits only (no sign, no spaces).
fn parse_number(digits: &str, max: u32, problem: &'static str) -> Result<u32> {
    if digits.is_empty() || digits.len() > 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(problem));
    }
    let value = digits.bytes().fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'));
    if value > max {
        return Err(invalid(problem));
    }
    Ok(value)
}

fn is_number(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

pub(super) fn parse(text: &str) -> Result<JidRef<'_>> {
    let (user_part, server_name) = match text.split_once('@') {
        // whatsmeow's ParseJID reads text without '@' as a bare server.
        None => ("", text),
        Some((user, server)) => (user, server),
    };
    if server_name.contains('@') {
        return Err(invalid("more than one '@'"));
    }
    let server = Server::from_name(server_name).ok_or(invalid("unknown server"))?;
    let mut jid = JidRef::new("", server);
    if user_part.is_empty() {
        return Ok(jid);
    }

    let mut user = user_part;
    if let Some((rest, device)) = user.split_once(':') {
        jid.device = parse_number(device, u32::from(u16::MAX), "device is not a number 0-65535")? as u16;
        user = rest;
    }
    // Agent suffix: Baileys writes `user_agent`, whatsmeow `user.agent`. A dot followed by something other
    // than digits is part of the user (e.g. `user.name@s.whatsapp.net`).
    let agent_split = user
        .rsplit_once('_')
        .filter(|(_, agent)| is_number(agent))
        .or_else(|| {
            user.rsplit_once('.')
                .filter(|(user, agent)| !user.is_empty() && is_number(agent))
        });
    if let Some((rest, agent)) = agent_split {
        let agent = parse_number(agent, u32::from(u8::MAX), "agent is not a number 0-255")? as u8;
        user = rest;
        jid.agent = normalized_agent(server, agent)?;
    }
    if server == Server::Interop {
        // Baileys prints interop users as `integrator-user`.
        if let Some((integrator, rest)) = user.split_once('-') {
            jid.integrator = parse_number(
                integrator,
                u32::from(u16::MAX),
                "interop integrator is not a number 0-65535",
            )? as u16;
            user = rest;
        }
    }
    if user.is_empty() {
        return Err(invalid("device or agent without a user"));
    }
    if jid.device != 0 && !server.has_devices() {
        return Err(invalid("this server's JIDs have no devices"));
    }
    jid.user = user;
    Ok(jid)
}

/// The raw agent a parsed `_N`/`.N` suffix leaves on the JID.
fn normalized_agent(server: Server, agent: u8) -> Result<u8> {
    // Baileys writes the AD domain as the agent (`user_0:5@s.whatsapp.net`, `user_1:5@lid`): when it is
    // the server's own domain it says nothing more than the server.
    if server.ad_domain() == Some(agent) {
        return Ok(0);
    }
    if server != Server::Whatsapp {
        return Err(invalid("only s.whatsapp.net JIDs carry a raw agent"));
    }
    if Server::from_ad_domain(agent).is_some() {
        return Err(invalid(
            "agents 1, 128 and 129 are the lid/hosted/hosted.lid domains; use that server",
        ));
    }
    Ok(agent)
}

impl std::fmt::Display for JidRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.server == Server::Interop && !self.user.is_empty() {
            write!(f, "{}-", self.integrator)?;
        }
        f.write_str(self.user)?;
        if self.agent != 0 {
            write!(f, ".{}", self.agent)?;
        }
        if self.device != 0 {
            write!(f, ":{}", self.device)?;
        }
        write!(f, "@{}", self.server.as_str())
    }
}

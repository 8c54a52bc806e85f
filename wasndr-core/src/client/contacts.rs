//! "Is this number on WhatsApp?" (messaging guide H.1): a usync contact query for a batch of phone
//! numbers, answered per number in the order asked.

use super::Client;
use super::groups::unix_now;
use crate::error::Result;
use crate::jid::{Jid, Server, normalize_phone_number};
use crate::stanza::{self, ContactLookup};
use crate::store::LidMapping;

/// Whether one phone number has a WhatsApp account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumberStatus {
    /// The number as international digits (no `+`, spaces or dashes): the normalized form of what was
    /// asked.
    pub phone: String,
    /// Whether it is registered.
    pub registered: bool,
    /// The account's phone-number JID (`…@s.whatsapp.net`), when registered.
    pub jid: Option<Jid>,
    /// The account's LID (`…@lid`), when the server told it.
    pub lid: Option<Jid>,
}

/// The status of `phone` (normalized digits) from the server's answers. A number the server did not
/// answer for counts as not registered.
fn status_of(phone: &str, lookups: &[ContactLookup]) -> NumberStatus {
    let answer = lookups
        .iter()
        .find(|lookup| lookup.query.trim_start_matches('+') == phone);
    let Some(answer) = answer.filter(|answer| answer.registered) else {
        return NumberStatus {
            phone: phone.to_owned(),
            registered: false,
            jid: None,
            lid: None,
        };
    };
    // The account may be named by its LID with the number beside it, or by its number.
    let (jid, lid) = match &answer.jid {
        Some(jid) if jid.server_kind() == Server::Lid => (answer.pn_jid.clone(), Some(jid.clone())),
        jid => (jid.clone(), answer.lid.clone()),
    };
    NumberStatus {
        phone: phone.to_owned(),
        registered: true,
        jid: Some(jid.unwrap_or_else(|| Jid::pn(phone))),
        lid,
    }
}

impl Client {
    /// Which of `phones` are on WhatsApp, and under which JIDs: one [`NumberStatus`] per number, in the
    /// order given (duplicates answered each time). Numbers are international, with or without `+`,
    /// spaces and dashes; an invalid one fails the whole call with
    /// [`Error::InvalidPhoneNumber`](crate::Error::InvalidPhoneNumber) before anything is sent. LIDs
    /// learnt are kept in the store's PN↔LID map.
    pub async fn is_on_whatsapp(&self, phones: &[String]) -> Result<Vec<NumberStatus>> {
        let normalized = phones
            .iter()
            .map(|phone| normalize_phone_number(phone))
            .collect::<Result<Vec<String>>>()?;
        if normalized.is_empty() {
            return Ok(Vec::new());
        }
        let mut unique: Vec<&str> = Vec::with_capacity(normalized.len());
        for phone in &normalized {
            if !unique.contains(&phone.as_str()) {
                unique.push(phone);
            }
        }
        let sid = format!("{}-{}", unix_now(), self.next_request_id());
        let answer = self
            .send_iq(stanza::contact_query(&sid, &unique, true).into())
            .await?;
        let lookups = stanza::parse_contact_reply(&answer)?;
        let statuses: Vec<NumberStatus> = normalized
            .iter()
            .map(|phone| status_of(phone, &lookups))
            .collect();
        for status in &statuses {
            if let (Some(jid), Some(lid)) = (&status.jid, &status.lid) {
                self.store().save_lid_mapping(&LidMapping::new(lid, jid)).await?;
            }
        }
        Ok(statuses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(
        query: &str,
        registered: bool,
        jid: Option<Jid>,
        pn_jid: Option<Jid>,
        lid: Option<Jid>,
    ) -> ContactLookup {
        ContactLookup {
            query: query.into(),
            registered,
            jid,
            pn_jid,
            lid,
        }
    }

    #[test]
    fn answers_are_matched_by_number_whatever_their_order_and_form() {
        let lookups = [
            lookup("+15550000000", false, None, None, None),
            lookup(
                "+15551234567",
                true,
                Some(Jid::pn("15551234567")),
                None,
                Some(Jid::lid("77")),
            ),
            lookup(
                "+4915100000",
                true,
                Some(Jid::lid("88")),
                Some(Jid::pn("4915100000")),
                None,
            ),
        ];
        assert_eq!(
            status_of("15551234567", &lookups),
            NumberStatus {
                phone: "15551234567".into(),
                registered: true,
                jid: Some(Jid::pn("15551234567")),
                lid: Some(Jid::lid("77")),
            }
        );
        let by_lid = status_of("4915100000", &lookups);
        assert_eq!(
            (by_lid.jid, by_lid.lid),
            (Some(Jid::pn("4915100000")), Some(Jid::lid("88")))
        );
        assert!(!status_of("15550000000", &lookups).registered);
        let missing = status_of("33600000000", &lookups);
        assert!(!missing.registered && missing.jid.is_none());
    }
}

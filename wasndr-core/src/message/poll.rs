//! Polls: creation with its message secret, encrypted votes, and the tally (messaging guide C.5).

use std::collections::BTreeMap;

use rand_core::CryptoRng;
use wasndr_proto::Message as _;
use wasndr_proto::common::MessageKey;
use wasndr_proto::e2e::{
    Message, MessageContextInfo, PollCreationMessage, PollEncValue, PollUpdateMessage, PollVoteMessage,
    poll_creation_message,
};

use super::content::unwrap_content;
use super::secret::{MESSAGE_SECRET_LEN, SecretKey, SecretUse};
use crate::crypto::sha256;
use crate::error::{Error, Result};
use crate::jid::Jid;

/// The hash that stands for an option in a vote: SHA-256 of its name.
pub fn option_hash(name: &str) -> [u8; 32] {
    sha256(name.as_bytes())
}

/// A poll (`pollCreationMessage`, field 49, as whatsmeow sends) with `messageContextInfo.messageSecret`
/// set to `message_secret` (32 random bytes the caller drew and must store under the poll's chat,
/// sender and id: votes are encrypted with it). `selectable_count` is how many options a voter may pick;
/// 0 means any number.
pub fn poll_creation(
    name: &str,
    options: &[&str],
    selectable_count: u32,
    message_secret: [u8; MESSAGE_SECRET_LEN],
) -> Message {
    Message {
        poll_creation_message: Some(Box::new(PollCreationMessage {
            name: Some(name.to_owned()),
            options: options
                .iter()
                .map(|option| poll_creation_message::Option {
                    option_name: Some((*option).to_owned()),
                    option_hash: None,
                })
                .collect(),
            selectable_options_count: Some(selectable_count),
            ..Default::default()
        })),
        message_context_info: Some(MessageContextInfo {
            message_secret: Some(message_secret.to_vec()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The poll of a message, in whichever of the creation fields (V1, V2, V3, V5, V6, or inside the V4
/// wrapper) it came.
pub fn poll_of(message: &Message) -> Option<&PollCreationMessage> {
    let m = unwrap_content(message);
    m.poll_creation_message
        .as_deref()
        .or(m.poll_creation_message_v2.as_deref())
        .or(m.poll_creation_message_v3.as_deref())
        .or(m.poll_creation_message_v5.as_deref())
        .or(m.poll_creation_message_v6.as_deref())
}

/// Which poll a vote is for and who casts it. JIDs may carry devices; the derivation uses their
/// account form.
#[derive(Clone, Copy, Debug)]
pub struct VoteContext<'a> {
    /// The poll's message id.
    pub poll_id: &'a str,
    /// Who sent the poll.
    pub poll_creator: &'a Jid,
    /// Who votes.
    pub voter: &'a Jid,
}

impl VoteContext<'_> {
    fn key(&self, message_secret: &[u8]) -> SecretKey {
        SecretKey::derive(
            SecretUse::PollVote,
            message_secret,
            self.poll_id,
            self.poll_creator,
            self.voter,
        )
    }
}

/// Encrypts a vote for the options named `selected` (their hashes are what travels), with a random
/// 12-byte IV from `rng`.
pub fn encrypt_vote<R: CryptoRng + ?Sized>(
    message_secret: &[u8],
    context: VoteContext<'_>,
    selected: &[&str],
    rng: &mut R,
) -> PollEncValue {
    let vote = PollVoteMessage {
        selected_options: selected.iter().map(|name| option_hash(name).to_vec()).collect(),
    };
    let mut iv = [0u8; 12];
    rng.fill_bytes(&mut iv);
    PollEncValue {
        enc_payload: Some(context.key(message_secret).encrypt(&iv, &vote.encode_to_vec())),
        enc_iv: Some(iv.to_vec()),
    }
}

/// Decrypts a vote, returning the hashes of the selected options (empty: the voter withdrew).
pub fn decrypt_vote(
    message_secret: &[u8],
    context: VoteContext<'_>,
    vote: &PollEncValue,
) -> Result<Vec<[u8; 32]>> {
    let (Some(payload), Some(iv)) = (&vote.enc_payload, &vote.enc_iv) else {
        return Err(Error::MalformedMessage("poll vote without payload or IV"));
    };
    let plaintext = context.key(message_secret).decrypt(iv, payload)?;
    let vote = PollVoteMessage::decode(plaintext.as_slice())
        .map_err(|_| Error::MalformedMessage("poll vote plaintext is not a PollVoteMessage"))?;
    vote.selected_options
        .iter()
        .map(|hash| {
            <[u8; 32]>::try_from(hash.as_slice())
                .map_err(|_| Error::MalformedMessage("poll vote option hash is not 32 bytes"))
        })
        .collect()
}

/// The vote message (`pollUpdateMessage`) pointing at the poll by `poll_key`.
pub fn poll_vote(poll_key: MessageKey, vote: PollEncValue, sender_timestamp_ms: i64) -> Message {
    Message {
        poll_update_message: Some(PollUpdateMessage {
            poll_creation_message_key: Some(poll_key),
            vote: Some(vote),
            metadata: None,
            sender_timestamp_ms: Some(sender_timestamp_ms),
        }),
        ..Default::default()
    }
}

/// One option's standing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionResult {
    /// The option's name.
    pub name: String,
    /// Who currently selects it (account JIDs), sorted.
    pub voters: Vec<Jid>,
}

/// The running result of a poll: each voter's latest vote counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PollTally {
    options: Vec<(String, [u8; 32])>,
    /// Per voter (account JID): the sender timestamp of the vote that counts, and its option hashes.
    votes: BTreeMap<Jid, (i64, Vec<[u8; 32]>)>,
}

impl PollTally {
    /// An empty tally over `poll`'s options.
    pub fn new(poll: &PollCreationMessage) -> PollTally {
        PollTally {
            options: poll
                .options
                .iter()
                .map(|option| {
                    let name = option.option_name.clone().unwrap_or_default();
                    let hash = option_hash(&name);
                    (name, hash)
                })
                .collect(),
            votes: BTreeMap::new(),
        }
    }

    /// Records `voter`'s vote, replacing their earlier one unless this one is older (votes can arrive out
    /// of order). Returns whether the tally changed. Hashes matching no option are kept but count for
    /// nothing.
    pub fn apply_vote(&mut self, voter: &Jid, selected: Vec<[u8; 32]>, sender_timestamp_ms: i64) -> bool {
        let voter = voter.to_non_ad();
        match self.votes.get(&voter) {
            Some((at, _)) if *at > sender_timestamp_ms => false,
            Some((at, previous)) if *at == sender_timestamp_ms && *previous == selected => false,
            _ => {
                self.votes.insert(voter, (sender_timestamp_ms, selected));
                true
            }
        }
    }

    /// Every option in poll order, with its current voters.
    pub fn results(&self) -> Vec<OptionResult> {
        self.options
            .iter()
            .map(|(name, hash)| OptionResult {
                name: name.clone(),
                voters: self
                    .votes
                    .iter()
                    .filter(|(_, (_, selected))| selected.contains(hash))
                    .map(|(voter, _)| voter.clone())
                    .collect(),
            })
            .collect()
    }

    /// How many voters currently select at least one option.
    pub fn voter_count(&self) -> usize {
        self.votes
            .values()
            .filter(|(_, selected)| !selected.is_empty())
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context<'a>(creator: &'a Jid, voter: &'a Jid) -> VoteContext<'a> {
        VoteContext {
            poll_id: "3EB0POLL",
            poll_creator: creator,
            voter,
        }
    }

    #[test]
    fn vote_round_trip_and_tally() {
        let mut rng = rand::rng();
        let secret = [7u8; 32];
        let poll = poll_creation("Lunch?", &["Pizza", "Sushi", "Salad"], 0, secret);
        assert_eq!(
            poll.message_context_info
                .as_ref()
                .and_then(|c| c.message_secret.as_deref()),
            Some(&secret[..])
        );
        let alice = Jid::pn("111");
        let bob = Jid::lid("222").with_device(3);
        let vote = encrypt_vote(&secret, context(&alice, &bob), &["Sushi", "Salad"], &mut rng);
        // Only the intended voter's context opens it.
        assert!(decrypt_vote(&secret, context(&alice, &alice), &vote).is_err());
        assert!(decrypt_vote(&[8; 32], context(&alice, &bob), &vote).is_err());
        let selected = decrypt_vote(&secret, context(&alice, &bob.to_non_ad()), &vote).unwrap();
        assert_eq!(selected, vec![option_hash("Sushi"), option_hash("Salad")]);

        let mut tally = PollTally::new(poll_of(&poll).unwrap());
        assert!(tally.apply_vote(&bob, selected, 1000));
        assert!(tally.apply_vote(&alice, vec![option_hash("Sushi")], 1001));
        let results = tally.results();
        assert_eq!(results[0].voters, Vec::<Jid>::new());
        assert_eq!(results[1].voters, vec![Jid::pn("111"), Jid::lid("222")]);
        assert_eq!(results[2].voters, vec![Jid::lid("222")]);
        // An older vote arriving late changes nothing; a newer one replaces.
        assert!(!tally.apply_vote(&bob, vec![option_hash("Pizza")], 999));
        assert!(tally.apply_vote(&bob, vec![option_hash("Pizza")], 2000));
        assert_eq!(tally.results()[0].voters, vec![Jid::lid("222")]);
        assert!(tally.apply_vote(&alice, Vec::new(), 3000));
        assert_eq!(tally.voter_count(), 1);
    }

    #[test]
    fn malformed_votes_are_errors() {
        let secret = [1u8; 32];
        let a = Jid::pn("1");
        assert!(decrypt_vote(&secret, context(&a, &a), &PollEncValue::default()).is_err());
        let key = SecretKey::derive(SecretUse::PollVote, &secret, "3EB0POLL", &a, &a);
        let bad_hash = PollVoteMessage {
            selected_options: vec![vec![1, 2, 3]],
        };
        let vote = PollEncValue {
            enc_payload: Some(key.encrypt(&[0; 12], &bad_hash.encode_to_vec())),
            enc_iv: Some(vec![0; 12]),
        };
        assert_eq!(
            decrypt_vote(&secret, context(&a, &a), &vote),
            Err(Error::MalformedMessage("poll vote option hash is not 32 bytes"))
        );
    }
}

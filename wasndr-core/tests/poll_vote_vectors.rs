//! Every case of `testdata/vectors/poll-vote.json`: Baileys' poll creation messages, votes Baileys'
//! `decryptPollVote` accepts (decrypted here, and re-encrypted byte for byte under the same IV), and the
//! tally Baileys computes.

// Helpers outside #[test] functions: a panic here is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use common::{hex_of, vectors};
use wasndr_core::jid::Jid;
use wasndr_core::message::{self, PollTally, SecretKey, SecretUse, VoteContext};
use wasndr_proto::Message as _;
use wasndr_proto::e2e::{Message, PollVoteMessage};

#[test]
fn every_case() {
    let vectors = vectors("poll-vote.json");
    let cases = vectors["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 2);
    let mut votes_checked = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let creation_bytes = hex_of(case, "creation_message");
        let creation = Message::decode(creation_bytes.as_slice()).unwrap();
        let secret: [u8; 32] = hex_of(case, "message_secret").try_into().unwrap();
        let options: Vec<&str> = case["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o.as_str().unwrap())
            .collect();
        let selectable = case["selectable_count"].as_u64().unwrap() as u32;

        let poll = message::poll_of(&creation).unwrap();
        assert_eq!(poll.name.as_deref(), case["poll_name"].as_str(), "{name}");
        let names: Vec<&str> = poll
            .options
            .iter()
            .map(|o| o.option_name.as_deref().unwrap())
            .collect();
        assert_eq!(names, options, "{name}");
        assert_eq!(poll.selectable_options_count, Some(selectable), "{name}");
        assert_eq!(
            creation
                .message_context_info
                .as_ref()
                .unwrap()
                .message_secret
                .as_deref(),
            Some(&secret[..])
        );
        assert_eq!(message::stanza_type(&creation), "poll");
        assert_eq!(message::plain_text(&creation), case["poll_name"].as_str());
        // Multi-select polls go in field 49, where our builder puts every poll: byte for byte the same.
        let ours = message::poll_creation(case["poll_name"].as_str().unwrap(), &options, selectable, secret);
        if creation.poll_creation_message.is_some() {
            assert_eq!(ours.encode_to_vec(), creation_bytes, "{name}");
        } else {
            assert!(
                creation.poll_creation_message_v3.is_some(),
                "{name}: Baileys' single-select field"
            );
            assert_eq!(message::poll_of(&ours), Some(poll));
        }

        let creator = Jid::parse(case["poll_creator"].as_str().unwrap()).unwrap();
        let poll_id = case["poll_id"].as_str().unwrap();
        let mut tally = PollTally::new(poll);
        for vote in case["votes"].as_array().unwrap() {
            let voter = Jid::parse(vote["voter"].as_str().unwrap()).unwrap();
            let vote_message = Message::decode(hex_of(vote, "message").as_slice()).unwrap();
            assert_eq!(message::stanza_type(&vote_message), "poll");
            let update = vote_message.poll_update_message.unwrap();
            let key = update.poll_creation_message_key.as_ref().unwrap();
            assert_eq!(key.id.as_deref(), Some(poll_id));
            let context = VoteContext {
                poll_id,
                poll_creator: &creator,
                voter: &voter,
            };
            let selected = message::decrypt_vote(&secret, context, update.vote.as_ref().unwrap()).unwrap();
            let expected: Vec<[u8; 32]> = vote["selected_hashes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| hex::decode(h.as_str().unwrap()).unwrap().try_into().unwrap())
                .collect();
            assert_eq!(selected, expected, "{name}");
            let hashes: Vec<[u8; 32]> = vote["selected"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| message::option_hash(n.as_str().unwrap()))
                .collect();
            assert_eq!(hashes, expected);

            // Our encryption of the same plaintext under the same IV is Baileys' ciphertext.
            let plaintext = hex_of(vote, "vote_plaintext");
            assert_eq!(
                PollVoteMessage {
                    selected_options: expected.iter().map(|h| h.to_vec()).collect()
                }
                .encode_to_vec(),
                plaintext
            );
            let iv: [u8; 12] = hex_of(vote, "iv").try_into().unwrap();
            let sealed = SecretKey::derive(SecretUse::PollVote, &secret, poll_id, &creator, &voter)
                .encrypt(&iv, &plaintext);
            assert_eq!(sealed, hex_of(vote, "enc_payload"), "{name}");
            tally.apply_vote(&voter, selected, update.sender_timestamp_ms.unwrap());
            votes_checked += 1;
        }
        let results = tally.results();
        let expected = case["tally"].as_array().unwrap();
        assert_eq!(results.len(), expected.len());
        for (ours, theirs) in results.iter().zip(expected) {
            assert_eq!(ours.name, theirs["name"].as_str().unwrap(), "{name}");
            let mut voters: Vec<String> = ours.voters.iter().map(Jid::to_string).collect();
            voters.sort();
            let theirs: Vec<&str> = theirs["voters"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            assert_eq!(voters, theirs, "{name}");
        }
    }
    assert_eq!(votes_checked, 5);
}

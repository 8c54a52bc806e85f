// Generates testdata/vectors/poll-vote.json: polls built by Baileys' generateWAMessageContent, votes on
// them encrypted with Baileys' own primitives (hmacSign, aesEncryptGCM) and proved by Baileys'
// receiving function decryptPollVote, and the tally Baileys' getAggregateVotesInPollMessage computes.
//
// Baileys has no function that encrypts a vote (it only receives them), so the generator derives the
// key exactly as decryptPollVote does (HKDF written as its two HMACs) and encrypts with aesEncryptGCM;
// every vote is then decrypted with decryptPollVote before it is written, so the file only holds votes
// Baileys accepts.
//
// Run from interop/ after `npm ci`:  node vectors/gen-poll-vote.mjs > ../testdata/vectors/poll-vote.json
//
// Secrets and IVs are deterministic (detBytes below) so the file is reproducible.

import { createHash } from 'crypto'
import baileys from 'baileys/package.json' with { type: 'json' }
import { proto } from 'baileys/WAProto/index.js'
import { aesEncryptGCM, hmacSign } from 'baileys/lib/Utils/crypto.js'
import { generateWAMessageContent, getAggregateVotesInPollMessage } from 'baileys/lib/Utils/messages.js'
import { decryptPollVote } from 'baileys/lib/Utils/process-message.js'

/** First n bytes of SHA-256(label || u32be(0)) || SHA-256(label || u32be(1)) || ... */
const detBytes = (label, n) => {
	const chunks = []
	for (let i = 0; chunks.length * 32 < n; i++) {
		const counter = Buffer.alloc(4)
		counter.writeUInt32BE(i)
		chunks.push(createHash('sha256').update(Buffer.concat([Buffer.from(label, 'utf8'), counter])).digest())
	}
	return Buffer.concat(chunks).subarray(0, n)
}

const hex = b => Buffer.from(b).toString('hex')
const sha256 = text => createHash('sha256').update(Buffer.from(text, 'utf8')).digest()

/** The vote key and AAD as decryptPollVote derives them. */
const voteKey = ({ pollEncKey, pollMsgId, pollCreatorJid, voterJid }) => {
	const info = Buffer.concat([
		Buffer.from(pollMsgId),
		Buffer.from(pollCreatorJid),
		Buffer.from(voterJid),
		Buffer.from('Poll Vote'),
		new Uint8Array([1])
	])
	const prk = hmacSign(pollEncKey, new Uint8Array(32), 'sha256')
	return { key: hmacSign(info, prk, 'sha256'), aad: Buffer.from(`${pollMsgId}\u0000${voterJid}`) }
}

const polls = [
	{
		name: 'multi_select',
		creator: '15551234567@s.whatsapp.net',
		id: '3EB0C431D5A1F2B3C4D5E6',
		poll: { name: 'Lunch on Friday?', values: ['Pizza', 'Sushi', 'Salad 🥗'], selectableCount: 0 },
		votes: [
			{ voter: '15557654321@s.whatsapp.net', selected: ['Sushi', 'Salad 🥗'], ts: 1700000001000 },
			{ voter: '123456789012345@lid', selected: ['Pizza'], ts: 1700000002000 },
			{ voter: '15557654321@s.whatsapp.net', selected: ['Pizza'], ts: 1700000003000 },
			{ voter: '15550001111@s.whatsapp.net', selected: [], ts: 1700000004000 }
		]
	},
	{
		name: 'single_select',
		creator: '987654321098765@lid',
		id: '3EB0AA00BB11CC22DD33EE',
		poll: { name: 'Ship it?', values: ['Yes', 'No'], selectableCount: 1 },
		votes: [{ voter: '15557654321@s.whatsapp.net', selected: ['Yes'], ts: 1700000010000 }]
	}
]

const cases = []
for (const p of polls) {
	const messageSecret = detBytes(`poll-vote/${p.name}/secret`, 32)
	const content = await generateWAMessageContent({ poll: { ...p.poll, messageSecret } }, {})
	const creation = proto.Message.encode(content).finish()
	const votes = []
	const pollUpdates = []
	p.votes.forEach((v, i) => {
		const ctx = { pollEncKey: messageSecret, pollMsgId: p.id, pollCreatorJid: p.creator, voterJid: v.voter }
		const plaintext = proto.Message.PollVoteMessage.encode({ selectedOptions: v.selected.map(sha256) }).finish()
		const iv = detBytes(`poll-vote/${p.name}/iv/${i}`, 12)
		const { key, aad } = voteKey(ctx)
		const encPayload = aesEncryptGCM(plaintext, key, iv, aad)
		const checked = decryptPollVote({ encPayload, encIv: iv }, ctx)
		const got = checked.selectedOptions.map(hex)
		const want = v.selected.map(name => hex(sha256(name)))
		if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`decryptPollVote disagrees on ${p.name}/${i}`)
		const voteMessage = proto.Message.encode({
			pollUpdateMessage: {
				pollCreationMessageKey: { remoteJid: p.creator, fromMe: false, id: p.id },
				vote: { encPayload, encIv: iv },
				senderTimestampMs: v.ts
			}
		}).finish()
		votes.push({
			voter: v.voter,
			selected: v.selected,
			selected_hashes: want,
			iv: hex(iv),
			enc_payload: hex(encPayload),
			vote_plaintext: hex(plaintext),
			sender_timestamp_ms: v.ts,
			message: hex(voteMessage)
		})
		// Baileys keeps one update per voter, the latest replacing earlier ones (updateMessageWithPollUpdate).
		const author = v.voter
		const kept = pollUpdates.filter(u => u.pollUpdateMessageKey.remoteJid !== author)
		kept.push({ pollUpdateMessageKey: { remoteJid: author, id: `vote-${i}` }, vote: checked })
		pollUpdates.splice(0, pollUpdates.length, ...kept)
	})
	const tally = getAggregateVotesInPollMessage({ message: content, pollUpdates }, 'me').map(o => ({
		name: o.name,
		voters: [...o.voters].sort()
	}))
	cases.push({
		name: p.name,
		poll_id: p.id,
		poll_creator: p.creator,
		poll_name: p.poll.name,
		options: p.poll.values,
		selectable_count: p.poll.selectableCount,
		message_secret: hex(messageSecret),
		creation_message: hex(creation),
		votes,
		tally
	})
}

console.log(
	JSON.stringify(
		{
			about: `Poll creation messages and poll votes as Baileys ${baileys.version} builds and receives them: generateWAMessageContent({poll}) encoded with WAProto, votes encrypted with Baileys' hmacSign/aesEncryptGCM under the key decryptPollVote derives and each checked by decryptPollVote, and the tally of getAggregateVotesInPollMessage after Baileys' one-vote-per-voter replacement.`,
			generator: 'interop/vectors/gen-poll-vote.mjs',
			notes: [
				'key = HKDF-SHA256(ikm = message_secret, salt = 32 zero bytes, info = poll_id || poll_creator || voter || "Poll Vote", 32) (Baileys writes it as HMAC(HMAC(zeros, secret), info || 0x01)); AES-256-GCM with the 12-byte iv and AAD = poll_id || 0x00 || voter; enc_payload = ciphertext || 16-byte tag.',
				'vote_plaintext = PollVoteMessage{selectedOptions: SHA-256 of each selected option name (UTF-8)}; an empty selection withdraws the vote.',
				'message = Message{pollUpdateMessage{pollCreationMessageKey{remoteJid: poll_creator, fromMe: false, id: poll_id}, vote{encPayload, encIv}, senderTimestampMs}}.',
				'tally: options in poll order, each with the voters whose latest vote selects it (voters sorted); Baileys keeps one update per voter, the later replacing the earlier.',
				'message_secret and iv = detBytes(label, n) = first n bytes of SHA-256(utf8(label) || u32be(0)) || SHA-256(utf8(label) || u32be(1)) || ..., labels poll-vote/<case>/secret and poll-vote/<case>/iv/<index>.'
			],
			cases
		},
		null,
		2
	)
)

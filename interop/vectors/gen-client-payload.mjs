// Generates testdata/vectors/client-payload.json: the ClientPayload (and serialized DeviceProps) that
// Baileys builds for registration and login, encoded by Baileys' own WAProto.
//
// Run from interop/ after `npm ci`:  node vectors/gen-client-payload.mjs > ../testdata/vectors/client-payload.json
//
// Key material is deterministic filler (detBytes below); it is never used cryptographically here, only
// encoded, so it need not be a valid key pair or signature.

import { createHash } from 'crypto'
import baileys from 'baileys/package.json' with { type: 'json' }
import { proto } from 'baileys/WAProto/index.js'
import { generateLoginNode, generateRegistrationNode } from 'baileys/lib/Utils/validate-connection.js'

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

/** Decoded message as JSON: enums by name, 64-bit integers as decimal strings, bytes as lowercase hex. */
const toJson = (type, message) => {
	const obj = type.toObject(message, { enums: String, longs: String, bytes: Array })
	const fix = v => {
		if (Array.isArray(v) && v.every(x => typeof x === 'number')) return hex(v)
		if (Array.isArray(v)) return v.map(fix)
		if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fix(x)]))
		return v
	}
	return fix(obj)
}

const version = [2, 3000, 1043857760]

const creds = {
	registrationId: 0x1a2b,
	signedIdentityKey: { public: detBytes('client-payload/identity-public', 32) },
	signedPreKey: {
		keyId: 1,
		keyPair: { public: detBytes('client-payload/signed-prekey-public', 32) },
		signature: detBytes('client-payload/signed-prekey-signature', 64)
	}
}

const registrationCases = [
	{
		name: 'registration_chrome_on_macos',
		description: "generateRegistrationNode with Baileys' default browser Browsers.macOS('Chrome'), syncFullHistory false",
		config: { version, browser: ['Mac OS', 'Chrome', '14.4.1'], countryCode: 'US', syncFullHistory: false }
	},
	{
		name: 'registration_desktop_full_sync',
		description:
			"generateRegistrationNode posing as the macOS desktop app with syncFullHistory: webSubPlatform DARWIN, platformType DESKTOP, requireFullSync true",
		config: { version, browser: ['Mac OS', 'Desktop', '14.4.1'], countryCode: 'US', syncFullHistory: true }
	}
]

const loginCases = [
	{
		name: 'login_with_push_name',
		description: 'generateLoginNode for companion 15551234567:12 with a push name',
		jid: '15551234567:12@s.whatsapp.net',
		config: { version, browser: ['Mac OS', 'Chrome', '14.4.1'], countryCode: 'US', syncFullHistory: false, pushName: 'Vector Bot' }
	}
]

const cases = []
for (const c of registrationCases) {
	const payload = generateRegistrationNode(creds, c.config)
	const deviceProps = proto.DeviceProps.decode(payload.devicePairingData.deviceProps)
	cases.push({
		name: c.name,
		description: c.description,
		config: c.config,
		client_payload: toJson(proto.ClientPayload, payload),
		client_payload_hex: hex(proto.ClientPayload.encode(payload).finish()),
		device_props: toJson(proto.DeviceProps, deviceProps),
		device_props_hex: hex(payload.devicePairingData.deviceProps)
	})
}
for (const c of loginCases) {
	const payload = generateLoginNode(c.jid, c.config)
	cases.push({
		name: c.name,
		description: c.description,
		jid: c.jid,
		config: c.config,
		client_payload: toJson(proto.ClientPayload, payload),
		client_payload_hex: hex(proto.ClientPayload.encode(payload).finish())
	})
}

const out = {
	about: `ClientPayload encodings produced by Baileys ${baileys.version} (generateRegistrationNode / generateLoginNode in lib/Utils/validate-connection.js, WAProto ClientPayload.encode and DeviceProps.encode).`,
	generator: 'interop/vectors/gen-client-payload.mjs',
	notes: [
		"client_payload / device_props: the decoded message as JSON (WAProto field names, bytes as lowercase hex, 64-bit integers as decimal strings, enums by name, unset fields omitted). protobufjs writes fields in field-number order and writes every field that was explicitly set, including false/0 values.",
		"Key material is filler: eIdent = detBytes('client-payload/identity-public', 32), eSkeyVal = detBytes('client-payload/signed-prekey-public', 32), eSkeySig = detBytes('client-payload/signed-prekey-signature', 64); detBytes(label, n) = first n bytes of SHA-256(utf8(label) || u32be(0)) || SHA-256(utf8(label) || u32be(1)) || .... registrationId 0x1a2b, signed prekey id 1.",
		"buildHash = MD5(version.join('.')); deviceProps = DeviceProps.encode(...) embedded as bytes. Baileys sets DeviceProps.requireFullSync from syncFullHistory and leaves HistorySyncConfig fields it lists as undefined unset."
	],
	cases
}
process.stdout.write(JSON.stringify(out, null, 1) + '\n')

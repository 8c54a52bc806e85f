// A libsignal-node 6.0.0 peer (with Baileys 7's sender-key GroupCipher) driven over stdin/stdout, one
// JSON object per line each way, for wasndr's interop test (wasndr-core/tests/signal_interop.rs).
//
// Request:  {"op": "...", ...}          Response: {"ok": {...}} or {"error": "message"}
// Bytes travel as lowercase hex. Addresses are "name.device".
//
// Ops:
//   init {name, device, prekeys}        -> {identity, registrationId, signedPreKey:{keyId, publicKey, signature},
//                                           preKeys:[{keyId, publicKey}]}  (identity/publicKey: 33-byte form)
//   process_bundle {address, bundle}    -> {}   (bundle as init returns it, preKey optional)
//   encrypt {address, plaintext}        -> {type: "msg"|"pkmsg", body}
//   decrypt {address, type, body}       -> {plaintext}
//   group_create {group, sender}        -> {skdm}    (sender = our own address)
//   group_process {group, sender, skdm} -> {}
//   group_encrypt {group, sender, plaintext} -> {body}
//   group_decrypt {group, sender, body} -> {plaintext}
import { createInterface } from 'node:readline';
import libsignal from 'libsignal';
import {
    GroupCipher,
    GroupSessionBuilder,
    SenderKeyDistributionMessage,
    SenderKeyName,
    SenderKeyRecord,
} from 'baileys/lib/Signal/Group/index.js';

// libsignal-node logs session changes with console.*; stdout carries the protocol, so logs go to stderr.
for (const level of ['log', 'info', 'warn', 'error', 'debug']) {
    console[level] = (...args) => process.stderr.write(args.map(String).join(' ') + '\n');
}

const hex = (buffer) => Buffer.from(buffer).toString('hex');
const bytes = (text) => Buffer.from(text, 'hex');

function parseAddress(text) {
    const dot = text.lastIndexOf('.');
    return new libsignal.ProtocolAddress(text.slice(0, dot), Number(text.slice(dot + 1)));
}

// In-memory storage with the interface libsignal-node's SessionBuilder/SessionCipher and Baileys'
// GroupCipher expect.
const state = {
    identity: null,
    registrationId: 0,
    signedPreKeys: new Map(),
    preKeys: new Map(),
    sessions: new Map(),
    identities: new Map(),
    senderKeys: new Map(),
};

const storage = {
    getOurIdentity: async () => state.identity,
    getOurRegistrationId: async () => state.registrationId,
    // Trust on first use, like the Rust side.
    isTrustedIdentity: async (id, key) => {
        const known = state.identities.get(id);
        if (!known) {
            state.identities.set(id, Buffer.from(key));
            return true;
        }
        return known.equals(Buffer.from(key));
    },
    loadSession: async (address) => state.sessions.get(address),
    storeSession: async (address, record) => {
        state.sessions.set(address, record);
    },
    loadPreKey: async (id) => state.preKeys.get(id),
    removePreKey: async (id) => {
        state.preKeys.delete(id);
    },
    loadSignedPreKey: async (id) => state.signedPreKeys.get(id)?.keyPair,
    loadSenderKey: async (name) => state.senderKeys.get(name.toString()) ?? new SenderKeyRecord(),
    storeSenderKey: async (name, record) => {
        state.senderKeys.set(name.toString(), record);
    },
};

function senderKeyName(group, sender) {
    const address = parseAddress(sender);
    return new SenderKeyName(group, { id: address.id, deviceId: address.deviceId });
}

const ops = {
    async init({ prekeys = 5 }) {
        state.identity = libsignal.keyhelper.generateIdentityKeyPair();
        state.registrationId = libsignal.keyhelper.generateRegistrationId();
        const signed = libsignal.keyhelper.generateSignedPreKey(state.identity, 1);
        state.signedPreKeys.set(1, signed);
        const preKeys = [];
        for (let id = 1; id <= prekeys; id++) {
            const preKey = libsignal.keyhelper.generatePreKey(id);
            state.preKeys.set(id, preKey.keyPair);
            preKeys.push({ keyId: id, publicKey: hex(preKey.keyPair.pubKey) });
        }
        return {
            identity: hex(state.identity.pubKey),
            registrationId: state.registrationId,
            signedPreKey: {
                keyId: 1,
                publicKey: hex(signed.keyPair.pubKey),
                signature: hex(signed.signature),
            },
            preKeys,
        };
    },

    async process_bundle({ address, bundle }) {
        const device = {
            registrationId: bundle.registrationId,
            identityKey: bytes(bundle.identity),
            signedPreKey: {
                keyId: bundle.signedPreKey.keyId,
                publicKey: bytes(bundle.signedPreKey.publicKey),
                signature: bytes(bundle.signedPreKey.signature),
            },
        };
        if (bundle.preKey) {
            device.preKey = { keyId: bundle.preKey.keyId, publicKey: bytes(bundle.preKey.publicKey) };
        }
        await new libsignal.SessionBuilder(storage, parseAddress(address)).initOutgoing(device);
        return {};
    },

    async encrypt({ address, plaintext }) {
        const cipher = new libsignal.SessionCipher(storage, parseAddress(address));
        const { type, body } = await cipher.encrypt(bytes(plaintext));
        return { type: type === 3 ? 'pkmsg' : 'msg', body: hex(body) };
    },

    async decrypt({ address, type, body }) {
        const cipher = new libsignal.SessionCipher(storage, parseAddress(address));
        const plaintext =
            type === 'pkmsg'
                ? await cipher.decryptPreKeyWhisperMessage(bytes(body))
                : await cipher.decryptWhisperMessage(bytes(body));
        return { plaintext: hex(plaintext) };
    },

    async group_create({ group, sender }) {
        const skdm = await new GroupSessionBuilder(storage).create(senderKeyName(group, sender));
        return { skdm: hex(skdm.serialize()) };
    },

    async group_process({ group, sender, skdm }) {
        const message = new SenderKeyDistributionMessage(null, null, null, null, bytes(skdm));
        await new GroupSessionBuilder(storage).process(senderKeyName(group, sender), message);
        return {};
    },

    async group_encrypt({ group, sender, plaintext }) {
        const cipher = new GroupCipher(storage, senderKeyName(group, sender));
        return { body: hex(await cipher.encrypt(bytes(plaintext))) };
    },

    async group_decrypt({ group, sender, body }) {
        const cipher = new GroupCipher(storage, senderKeyName(group, sender));
        return { plaintext: hex(await cipher.decrypt(bytes(body))) };
    },
};

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
    if (!line.trim()) continue;
    let response;
    try {
        const request = JSON.parse(line);
        const op = ops[request.op];
        if (!op) throw new Error(`unknown op ${request.op}`);
        response = { ok: await op(request) };
    } catch (error) {
        response = { error: String(error && error.message ? error.message : error) };
    }
    process.stdout.write(JSON.stringify(response) + '\n');
}

// The operations of benches/signal.rs, timed in libsignal-node 6.0.0 (1:1) and Baileys 7's GroupCipher
// on libsignal-node crypto (sender keys), from interop/node_modules, with in-memory stores.
//
// Run: node benches/node/signal-libsignal.mjs [iterations, default 20000; sender keys run a tenth]
// (after `npm ci --prefix interop`).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const interop = join(dirname(fileURLToPath(import.meta.url)), '../../interop/');
const require = createRequire(interop);
const libsignal = require('libsignal');
const group = await import(join(interop, 'node_modules/baileys/lib/Signal/Group/index.js'));

// libsignal-node logs session changes; keep the report readable.
console.info = console.warn = () => {};

const iterations = Number(process.argv[2] || 20000);
const plaintext = Buffer.alloc(100, 0x42);

function memoryStorage(identity, registrationId) {
    const sessions = new Map();
    const preKeys = new Map();
    const signedPreKeys = new Map();
    const senderKeys = new Map();
    return {
        sessions, preKeys, signedPreKeys,
        getOurIdentity: async () => identity,
        getOurRegistrationId: async () => registrationId,
        isTrustedIdentity: async () => true,
        loadSession: async (a) => sessions.get(a),
        storeSession: async (a, r) => { sessions.set(a, r); },
        loadPreKey: async (id) => preKeys.get(id),
        removePreKey: async (id) => { preKeys.delete(id); },
        loadSignedPreKey: async (id) => signedPreKeys.get(id),
        loadSenderKey: async (n) => senderKeys.get(n.toString()) ?? new group.SenderKeyRecord(),
        storeSenderKey: async (n, r) => { senderKeys.set(n.toString(), r); },
    };
}

// Untimed setup makes the inputs (in order); a warm-up runs the first tenth; the rest is timed in ten
// rounds, and the median round is reported (the machine is shared, so single runs are noisy), with
// the fastest round beside it.
async function time(name, n, setup, op) {
    const warm = Math.ceil(n / 10);
    const rounds = 10;
    const perRound = Math.ceil(n / rounds);
    const inputs = [];
    for (let i = 0; i < warm + rounds * perRound; i++) inputs.push(await setup());
    for (let i = 0; i < warm; i++) await op(inputs[i]);
    const results = [];
    for (let r = 0; r < rounds; r++) {
        const first = warm + r * perRound;
        const start = process.hrtime.bigint();
        for (let i = first; i < first + perRound; i++) await op(inputs[i]);
        results.push(Number(process.hrtime.bigint() - start) / perRound / 1000);
    }
    results.sort((x, y) => x - y);
    const median = (results[4] + results[5]) / 2;
    console.log(
        `${name.padEnd(22)} median ${median.toFixed(2).padStart(9)} µs/op, fastest round ` +
            `${results[0].toFixed(2).padStart(9)} µs/op  (${rounds} rounds of ${perRound})`,
    );
}

// An established 1:1 session: a1 (pkmsg) to Bob, b1 back to Alice.
const aliceId = libsignal.keyhelper.generateIdentityKeyPair();
const bobId = libsignal.keyhelper.generateIdentityKeyPair();
const alice = memoryStorage(aliceId, 1);
const bob = memoryStorage(bobId, 2);
const spk = libsignal.keyhelper.generateSignedPreKey(bobId, 1);
const opk = libsignal.keyhelper.generatePreKey(1);
bob.signedPreKeys.set(1, spk.keyPair);
bob.preKeys.set(1, opk.keyPair);
const bobAddr = new libsignal.ProtocolAddress('bob', 0);
const aliceAddr = new libsignal.ProtocolAddress('alice', 0);
await new libsignal.SessionBuilder(alice, bobAddr).initOutgoing({
    registrationId: 2,
    identityKey: bobId.pubKey,
    signedPreKey: { keyId: 1, publicKey: spk.keyPair.pubKey, signature: spk.signature },
    preKey: { keyId: 1, publicKey: opk.keyPair.pubKey },
});
const aliceCipher = new libsignal.SessionCipher(alice, bobAddr);
const bobCipher = new libsignal.SessionCipher(bob, aliceAddr);
const a1 = await aliceCipher.encrypt(Buffer.from('a1'));
await bobCipher.decryptPreKeyWhisperMessage(a1.body);
const b1 = await new libsignal.SessionCipher(bob, aliceAddr).encrypt(Buffer.from('b1'));
await aliceCipher.decryptWhisperMessage(b1.body);

console.log(`libsignal-node 6.0.0 on Node ${process.version}`);
// Decrypt first: Bob must never fall more than 2000 messages behind Alice's chain.
await time(
    '1:1 decrypt 100 B',
    iterations,
    async () => (await aliceCipher.encrypt(plaintext)).body,
    async (body) => bobCipher.decryptWhisperMessage(body),
);
await time('1:1 encrypt 100 B', iterations, async () => null, async () => aliceCipher.encrypt(plaintext));

// Sender keys: our key distributed to one receiver.
const groupId = '120363025246125888@g.us';
const senderName = new group.SenderKeyName(groupId, { id: 'alice', deviceId: 0 });
const skdm = await new group.GroupSessionBuilder(alice).create(senderName);
await new group.GroupSessionBuilder(bob).process(
    senderName,
    new group.SenderKeyDistributionMessage(null, null, null, null, skdm.serialize()),
);
const senderCipher = new group.GroupCipher(alice, senderName);
const receiverCipher = new group.GroupCipher(bob, senderName);
// curve25519-js signatures are slow: a tenth of the iterations keeps the run short.
const groupIterations = Math.ceil(iterations / 10);
await time(
    'group decrypt 100 B',
    groupIterations,
    async () => senderCipher.encrypt(plaintext),
    async (body) => receiverCipher.decrypt(body),
);
await time('group encrypt 100 B', groupIterations, async () => null, async () => senderCipher.encrypt(plaintext));

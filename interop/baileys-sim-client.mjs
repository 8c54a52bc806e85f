// A real Baileys 7.0.0-rc14 client against wasndr-sim, for wasndr-sim/tests/baileys_interop.rs.
//
// Input (environment): SIM_INFO = the simulator's /admin/info JSON; AUTH_DIR = a fresh directory for
// useMultiFileAuthState; PHONE_A (the phone that scans our QR), PHONE_B (a peer), PHONE_C (a third
// group member).
// Output: one JSON object per line on stdout ({"step": ...}); Baileys' own logs go to stderr.
// Exit 0 once every step passed; any failure prints {"error": ...} and exits 1.
//
// Steps: QR → phone A scans it through the admin API → 515 → login → open; text to phone B, which
// decrypts it; B answers and we receive it; restart from the saved auth state without a QR; a group of
// us, B and C exchanges messages both ways (sender keys).
import makeWASocket, { DisconnectReason, WA_CERT_DETAILS, useMultiFileAuthState } from 'baileys';
import pino from 'pino';

const info = JSON.parse(process.env.SIM_INFO);
const authDir = process.env.AUTH_DIR;
const [phoneA, phoneB, phoneC] = [process.env.PHONE_A, process.env.PHONE_B, process.env.PHONE_C];
const jidB = `${phoneB}@s.whatsapp.net`;

// Trust the simulator's root instead of WhatsApp's: the handshake reads this property at run time.
WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(info.rootPublicKey, 'hex');

const logger = pino({ level: process.env.BAILEYS_LOG || 'warn' }, pino.destination(2));
const step = (name, extra = {}) => process.stdout.write(JSON.stringify({ step: name, ...extra }) + '\n');
const fail = (error) => {
    process.stdout.write(JSON.stringify({ error: String(error?.stack || error) }) + '\n');
    process.exit(1);
};
process.on('unhandledRejection', fail);
setTimeout(() => fail('timed out'), Number(process.env.TIMEOUT_MS || 150000)).unref();

async function admin(method, path, body) {
    const response = await fetch(`${info.adminUrl}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: body ? JSON.stringify(body) : undefined,
    });
    const json = await response.json();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
}

async function waitFor(what, predicate, timeoutMs = 20000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        const value = await predicate();
        if (value) return value;
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
}

const received = [];

/** Connects until `open`; resolves with the socket. Handles the 515 restart after pairing. */
async function connect({ expectQr }) {
    const { state, saveCreds } = await useMultiFileAuthState(authDir);
    return new Promise((resolve, reject) => {
        const sock = makeWASocket({
            auth: state,
            waWebSocketUrl: info.wsUrl,
            logger,
            browser: ['Ubuntu', 'Chrome', '22.04.4'],
            markOnlineOnConnect: false,
            syncFullHistory: false,
            fireInitQueries: true,
            shouldSyncHistoryMessage: () => false,
        });
        sock.ev.on('creds.update', saveCreds);
        sock.ev.on('messages.upsert', ({ messages }) => {
            for (const message of messages) {
                const text = message.message?.conversation || message.message?.extendedTextMessage?.text;
                if (text) received.push({ chat: message.key.remoteJid, fromMe: message.key.fromMe, participant: message.key.participant, text });
            }
        });
        sock.ev.on('connection.update', async (update) => {
            if (update.qr) {
                if (!expectQr) return reject(new Error('a QR was shown although the auth state was saved'));
                step('qr', { qr: update.qr });
                admin('POST', `/phones/${phoneA}/scan`, { qr: update.qr })
                    .then((result) => step('scanned', result))
                    .catch(reject);
            }
            if (update.connection === 'open') {
                resolve(sock);
            }
            if (update.connection === 'close') {
                const code = update.lastDisconnect?.error?.output?.statusCode;
                if (code === DisconnectReason.restartRequired) {
                    step('restart', { code });
                    connect({ expectQr: false }).then(resolve, reject);
                } else if (!sock.__closing) {
                    reject(new Error(`connection closed with ${code}: ${update.lastDisconnect?.error}`));
                }
            }
        });
    });
}

async function main() {
    let sock = await connect({ expectQr: true });
    step('open', { me: sock.user?.id });

    await sock.sendMessage(jidB, { text: 'hello from baileys' });
    await waitFor('phone B to decrypt our text', async () =>
        (await admin('GET', `/phones/${phoneB}/messages`)).find((m) => m.text === 'hello from baileys'));
    step('phone_received');

    await admin('POST', `/phones/${phoneB}/send`, { to: sock.user.id.replace(/:\d+@/, '@'), text: 'reply from phone' });
    await waitFor('the reply in messages.upsert', () =>
        received.find((m) => m.text === 'reply from phone' && m.chat === jidB && !m.fromMe));
    step('reply_received');

    sock.__closing = true;
    sock.end(undefined);
    await new Promise((resolve) => setTimeout(resolve, 200));
    sock = await connect({ expectQr: false });
    step('relogin');

    const { jid: group } = await admin('POST', '/groups', {
        creator: phoneB,
        subject: 'sim group',
        participants: [phoneA, phoneC],
    });
    step('group', { jid: group });
    await sock.sendMessage(group, { text: 'hello group from baileys' });
    for (const phone of [phoneB, phoneC]) {
        await waitFor(`phone ${phone} to decrypt the group text`, async () =>
            (await admin('GET', `/phones/${phone}/messages`)).find(
                (m) => m.text === 'hello group from baileys' && m.chat === group));
    }
    step('group_received_by_phones');

    await admin('POST', `/phones/${phoneC}/send`, { to: group, text: 'group reply from phone' });
    await waitFor('the group reply in messages.upsert', () =>
        received.find((m) => m.text === 'group reply from phone' && m.chat === group));
    step('group_reply_received');

    sock.__closing = true;
    sock.end(undefined);
    step('done');
    process.exit(0);
}

main().catch(fail);

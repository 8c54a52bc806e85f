// A real Baileys 7.0.0-rc14 client talking to a wasndr Client through wasndr-sim, for
// wasndr-sim/tests/client_messaging_baileys.rs.
//
// Input (environment): SIM_INFO = the simulator's /admin/info JSON; AUTH_DIR = a fresh directory for
// useMultiFileAuthState; PHONE_A = the phone that scans Baileys' QR; PEER = the wasndr client's account
// JID; GROUP = a group of both accounts.
// Output: one JSON object per line on stdout ({"step": ...}); Baileys' own logs go to stderr.
// Exit 0 once every step passed; any failure prints {"error": ...} and exits 1.
//
// Steps: pair and open; a text to the wasndr client, which answers (each side decrypts the other's);
// the same in the group (sender keys both ways).
import makeWASocket, { DisconnectReason, WA_CERT_DETAILS, useMultiFileAuthState } from 'baileys';
import pino from 'pino';

const info = JSON.parse(process.env.SIM_INFO);
const { AUTH_DIR: authDir, PHONE_A: phoneA, PEER: peer, GROUP: group } = process.env;

// The simulator's root instead of WhatsApp's: the handshake reads this property at run time.
WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(info.rootPublicKey, 'hex');

const logger = pino({ level: process.env.BAILEYS_LOG || 'warn' }, pino.destination(2));
const step = (name, extra = {}) => process.stdout.write(JSON.stringify({ step: name, ...extra }) + '\n');
const fail = (error) => {
    process.stdout.write(JSON.stringify({ error: String(error?.stack || error) }) + '\n');
    process.exit(1);
};
process.on('unhandledRejection', fail);
setTimeout(() => fail('timed out'), Number(process.env.TIMEOUT_MS || 150000)).unref();

const inbox = [];

async function until(what, predicate, timeoutMs = 30000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        const found = predicate();
        if (found) return found;
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`timed out waiting for ${what}; received so far: ${JSON.stringify(inbox)}`);
}

function open() {
    return new Promise(async (resolve, reject) => {
        const { state, saveCreds } = await useMultiFileAuthState(authDir);
        const sock = makeWASocket({
            auth: state,
            waWebSocketUrl: info.wsUrl,
            logger,
            browser: ['Ubuntu', 'Chrome', '22.04.4'],
            markOnlineOnConnect: false,
            syncFullHistory: false,
            shouldSyncHistoryMessage: () => false,
        });
        sock.ev.on('creds.update', saveCreds);
        sock.ev.on('messages.upsert', ({ messages }) => {
            for (const m of messages) {
                const text = m.message?.conversation || m.message?.extendedTextMessage?.text;
                if (text) inbox.push({ chat: m.key.remoteJid, fromMe: m.key.fromMe, text });
            }
        });
        sock.ev.on('connection.update', async ({ qr, connection, lastDisconnect }) => {
            if (qr) {
                const response = await fetch(`${info.adminUrl}/phones/${phoneA}/scan`, {
                    method: 'POST',
                    headers: { 'content-type': 'application/json' },
                    body: JSON.stringify({ qr }),
                });
                if (!response.ok) reject(new Error(`scan: ${response.status}`));
            }
            if (connection === 'open') resolve(sock);
            if (connection === 'close') {
                const code = lastDisconnect?.error?.output?.statusCode;
                if (code === DisconnectReason.restartRequired) open().then(resolve, reject);
                else if (!sock.__closing) reject(new Error(`closed with ${code}: ${lastDisconnect?.error}`));
            }
        });
    });
}

async function main() {
    const sock = await open();
    step('open', { me: sock.user?.id });

    await sock.sendMessage(peer, { text: 'hello wasndr, from baileys' });
    step('dm_sent');
    await until('the wasndr reply', () =>
        inbox.find((m) => m.chat === peer && !m.fromMe && m.text === 'hello baileys, from wasndr'));
    step('dm_received');

    await sock.sendMessage(group, { text: 'group hello from baileys' });
    step('group_sent');
    await until('the wasndr group reply', () =>
        inbox.find((m) => m.chat === group && !m.fromMe && m.text === 'group hello from wasndr'));
    step('group_received');

    sock.__closing = true;
    sock.end(undefined);
    step('done');
    process.exit(0);
}

main().catch(fail);

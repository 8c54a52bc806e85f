// A real Baileys 7.0.0-rc14 client in a group a wasndr client administers, through wasndr-sim, for
// wasndr-sim/tests/baileys_groups.rs.
//
// Input (environment): SIM_INFO = the simulator's /admin/info JSON; AUTH_DIR = a fresh directory for
// useMultiFileAuthState; PHONE_A (the phone that scans our QR); SUBJECT = the name the wasndr client
// renames the group to.
// Output: one JSON object per line on stdout ({"step": ...}); Baileys' own logs go to stderr. The test
// drives the wasndr client between the steps it sees.
// Exit 0 once every step passed; any failure prints {"error": ...} and exits 1.
//
// Steps: QR → phone A scans it → 515 → login → open; the group the wasndr client creates with us in it
// arrives as groups.upsert ("group_seen"); its rename arrives as groups.update ("subject_seen"); our
// groupMetadata query agrees ("metadata"); we leave ("left").
import makeWASocket, { DisconnectReason, WA_CERT_DETAILS, useMultiFileAuthState } from 'baileys';
import pino from 'pino';

const info = JSON.parse(process.env.SIM_INFO);
const authDir = process.env.AUTH_DIR;
const phoneA = process.env.PHONE_A;
const renamed = process.env.SUBJECT;

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

async function waitFor(what, predicate, timeoutMs = 30000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        const value = await predicate();
        if (value) return value;
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
}

const upserts = [];
const updates = [];

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
        sock.ev.on('groups.upsert', (groups) => upserts.push(...groups));
        sock.ev.on('groups.update', (changes) => updates.push(...changes));
        sock.ev.on('connection.update', async (update) => {
            if (update.qr) {
                if (!expectQr) return reject(new Error('a QR was shown although the auth state was saved'));
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
                    connect({ expectQr: false }).then(resolve, reject);
                } else if (!sock.__closing) {
                    reject(new Error(`connection closed with ${code}: ${update.lastDisconnect?.error}`));
                }
            }
        });
    });
}

async function main() {
    const sock = await connect({ expectQr: true });
    step('open', { me: sock.user?.id });

    const group = await waitFor('the new group in groups.upsert', () => upserts[0], 60000);
    step('group_seen', { jid: group.id, subject: group.subject, participants: group.participants.length });

    await waitFor('the rename in groups.update', () =>
        updates.find((change) => change.id === group.id && change.subject === renamed), 60000);
    step('subject_seen');

    const metadata = await sock.groupMetadata(group.id);
    step('metadata', {
        subject: metadata.subject,
        participants: metadata.participants.map((p) => ({ id: p.id, admin: p.admin ?? null })),
        desc: metadata.desc ?? null,
    });

    await sock.groupLeave(group.id);
    step('left');

    sock.__closing = true;
    sock.end(undefined);
    step('done');
    process.exit(0);
}

main().catch(fail);

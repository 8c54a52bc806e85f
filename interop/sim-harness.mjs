// What every Baileys-against-wasndr-sim script shares: the simulator's address and trust root from
// SIM_INFO, one-JSON-object-per-line progress on stdout, failure and timeout handling, the admin API,
// polling, and a Baileys connection that pairs through a virtual phone and follows the 515 restart.
//
// Environment: SIM_INFO (the simulator's /admin/info object), AUTH_DIR (Baileys' useMultiFileAuthState
// folder), TIMEOUT_MS (whole-script limit, default 150 s), BAILEYS_LOG (pino level, default warn).

import { createHash } from 'node:crypto';
import makeWASocket, { DisconnectReason, WA_CERT_DETAILS, useMultiFileAuthState } from 'baileys';
import pino from 'pino';

export const info = JSON.parse(process.env.SIM_INFO);
export const authDir = process.env.AUTH_DIR;

// Baileys verifies the Noise certificate chain against this key: the simulator's root, not WhatsApp's.
WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(info.rootPublicKey, 'hex');

export const logger = pino({ level: process.env.BAILEYS_LOG || 'warn' }, pino.destination(2));

/** One progress line for the Rust test that drives this script. */
export const step = (name, extra = {}) => process.stdout.write(JSON.stringify({ step: name, ...extra }) + '\n');

export const fail = (error) => {
    process.stdout.write(JSON.stringify({ error: String(error?.stack || error) }) + '\n');
    process.exit(1);
};
process.on('unhandledRejection', fail);
setTimeout(() => fail('timed out'), Number(process.env.TIMEOUT_MS || 150000)).unref();

export const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** Calls the simulator's admin API; throws with the answer on a non-2xx status. */
export async function admin(method, path, body) {
    const response = await fetch(`${info.adminUrl}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: body ? JSON.stringify(body) : undefined,
    });
    const json = await response.json();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
}

/** Polls `predicate` (sync or async) every 50 ms until it returns something truthy. */
export async function waitFor(what, predicate, timeoutMs = 30000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        const value = await predicate();
        if (value) return value;
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
}

/**
 * Connects Baileys to the simulator until `open` and resolves with the socket. A QR is scanned by
 * `scanPhone` through the admin API (refused when `expectQr` is false: the saved auth state must log in
 * without one); the 515 restart after pairing reconnects. `listen(sock)` subscribes the script's own
 * event handlers on every socket, the restarted one included.
 */
export async function connect({ scanPhone, expectQr, listen = () => {}, reportQr = false }) {
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
        listen(sock);
        sock.ev.on('connection.update', async (update) => {
            if (update.qr) {
                if (!expectQr) return reject(new Error('a QR was shown although the auth state was saved'));
                if (reportQr) step('qr', { qr: update.qr });
                admin('POST', `/phones/${scanPhone}/scan`, { qr: update.qr })
                    .then((result) => step('scanned', result))
                    .catch(reject);
            }
            if (update.connection === 'open') {
                resolve(sock);
            }
            if (update.connection === 'close') {
                const code = update.lastDisconnect?.error?.output?.statusCode;
                if (code === DisconnectReason.restartRequired) {
                    if (reportQr) step('restart', { code });
                    connect({ scanPhone, expectQr: false, listen, reportQr }).then(resolve, reject);
                } else if (!sock.__closing) {
                    reject(new Error(`connection closed with ${code}: ${update.lastDisconnect?.error}`));
                }
            }
        });
    });
}

/** A list of the media messages others send us and the `listen` hook for `connect` that fills it. */
export function mediaCollector() {
    const incoming = [];
    const listen = (sock) => {
        sock.ev.on('messages.upsert', ({ messages }) => {
            for (const message of messages) {
                const content = message.message;
                const media = content?.imageMessage || content?.documentMessage || content?.videoMessage
                    || content?.audioMessage;
                if (!message.key.fromMe && media) incoming.push(message);
            }
        });
    };
    return { incoming, listen };
}

// A real Baileys 7.0.0-rc14 client receiving media that a virtual phone of wasndr-sim sends, for
// wasndr-sim/tests/baileys_phone_media.rs.
//
// Input (environment): SIM_INFO = the simulator's /admin/info JSON; AUTH_DIR = a fresh directory for
// useMultiFileAuthState; PHONE_A (the phone that scans our QR), PHONE_B (the virtual phone that sends).
// NODE_EXTRA_CA_CERTS must name a file holding the simulator's media CA (wasndr_sim::MEDIA_CA_PEM).
// Output: one JSON object per line on stdout ({"step": ...}); Baileys' own logs go to stderr.
// Exit 0 once every step passed; any failure prints {"error": ...} and exits 1.
//
// Steps: QR → phone A scans it → 515 → login → open; phone B sends an image with a caption and a
// document with a file name through POST /admin/phones/{B}/send-media; Baileys receives each in
// messages.upsert, downloads and decrypts it, and checks its SHA-256, caption and file name against
// what was sent ("received", once per file).
import { createHash, randomBytes } from 'node:crypto';
import makeWASocket, {
    DisconnectReason,
    WA_CERT_DETAILS,
    downloadMediaMessage,
    useMultiFileAuthState,
} from 'baileys';
import pino from 'pino';

const info = JSON.parse(process.env.SIM_INFO);
const authDir = process.env.AUTH_DIR;
const [phoneA, phoneB] = [process.env.PHONE_A, process.env.PHONE_B];
const jidA = `${phoneA}@s.whatsapp.net`;
// A phone's media URLs name the plain http host; Baileys fetches the direct path from the simulator's
// HTTPS host instead (its `host` download option).
const tlsHost = new URL(info.mediaTlsUrl).host;

WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(info.rootPublicKey, 'hex');

const logger = pino({ level: process.env.BAILEYS_LOG || 'warn' }, pino.destination(2));
const step = (name, extra = {}) => process.stdout.write(JSON.stringify({ step: name, ...extra }) + '\n');
const fail = (error) => {
    process.stdout.write(JSON.stringify({ error: String(error?.stack || error) }) + '\n');
    process.exit(1);
};
process.on('unhandledRejection', fail);
setTimeout(() => fail('timed out'), Number(process.env.TIMEOUT_MS || 150000)).unref();

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

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

const incomingMedia = [];

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
                const content = message.message;
                if (!message.key.fromMe && (content?.imageMessage || content?.documentMessage || content?.videoMessage || content?.audioMessage)) {
                    incomingMedia.push(message);
                }
            }
        });
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

    const files = [
        { kind: 'image', mimetype: 'image/jpeg', caption: 'from phone B', fileName: null, data: randomBytes(40_000) },
        { kind: 'document', mimetype: 'application/pdf', caption: null, fileName: 'b.pdf', data: randomBytes(7_001) },
    ];
    for (const file of files) {
        const { id } = await admin('POST', `/phones/${phoneB}/send-media`, {
            to: jidA,
            kind: file.kind,
            mimetype: file.mimetype,
            caption: file.caption ?? undefined,
            fileName: file.fileName ?? undefined,
            dataBase64: file.data.toString('base64'),
        });
        const incoming = await waitFor(`the ${file.kind} from phone B`, () =>
            incomingMedia.find((m) => m.key.id === id));
        const content = incoming.message.imageMessage || incoming.message.documentMessage;
        if (!content) throw new Error(`the ${file.kind} arrived as ${Object.keys(incoming.message)}`);
        if (incoming.key.remoteJid !== `${phoneB}@s.whatsapp.net`) throw new Error(`chat ${incoming.key.remoteJid}`);
        if (content.mimetype !== file.mimetype) throw new Error(`mimetype ${content.mimetype}`);
        if ((content.caption ?? null) !== file.caption) throw new Error(`caption ${content.caption}`);
        if ((content.fileName ?? null) !== file.fileName) throw new Error(`file name ${content.fileName}`);
        const bytes = await downloadMediaMessage(incoming, 'buffer', { host: tlsHost });
        if (sha256(bytes) !== sha256(file.data)) throw new Error(`the ${file.kind} decrypted to other bytes`);
        step('received', { kind: file.kind, size: bytes.length });
    }

    sock.__closing = true;
    sock.end(undefined);
    step('done');
    process.exit(0);
}

main().catch(fail);

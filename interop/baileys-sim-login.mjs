// A real Baileys 7.0.0-rc14 client that pairs with a wasndr-sim phone, logs in and stays connected,
// recording every ClientPayload it puts on the wire; for wasndr-sim/tests/client_baileys.rs.
//
// Input (environment): SIM_INFO = the simulator's /admin/info JSON; AUTH_DIR = a fresh directory for
// useMultiFileAuthState; PHONE = the virtual phone that scans our QR through the admin API.
// Output: one JSON object per line on stdout:
//   {"step":"config","version":[..],"browser":[..],"countryCode":".."}  Baileys' defaults, as used
//   {"step":"payload","hex":".."}   each ClientPayload exactly as encoded for the Noise ClientFinish
//   {"step":"qr"}, {"step":"scanned"}, {"step":"restart"}, {"step":"open","me":".."}
//   {"step":"done"} after stdin closes (the test's signal to log off); {"error":".."} on any failure.
// Baileys' own logs go to stderr.
import makeWASocket, { DEFAULT_CONNECTION_CONFIG, DisconnectReason, WA_CERT_DETAILS, proto, useMultiFileAuthState } from 'baileys';
import pino from 'pino';

const info = JSON.parse(process.env.SIM_INFO);
const authDir = process.env.AUTH_DIR;
const phone = process.env.PHONE;

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

// The socket encodes the payload with this very function right before encrypting it into the
// ClientFinish (lib/Socket/socket.js, validateConnection): record what it produces.
const encode = proto.ClientPayload.encode.bind(proto.ClientPayload);
proto.ClientPayload.encode = (message, writer) => {
    step('payload', { hex: Buffer.from(encode(message).finish()).toString('hex') });
    return encode(message, writer);
};

const { version, browser, countryCode } = DEFAULT_CONNECTION_CONFIG;
step('config', { version, browser, countryCode });

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

/** Connects until `open`, going through the QR scan and the 515 restart; resolves with the socket. */
async function connect() {
    const { state, saveCreds } = await useMultiFileAuthState(authDir);
    return new Promise((resolve, reject) => {
        const sock = makeWASocket({
            auth: state,
            waWebSocketUrl: info.wsUrl,
            logger,
            markOnlineOnConnect: false,
            syncFullHistory: false,
            shouldSyncHistoryMessage: () => false,
        });
        sock.ev.on('creds.update', saveCreds);
        sock.ev.on('connection.update', (update) => {
            if (update.qr) {
                step('qr');
                admin('POST', `/phones/${phone}/scan`, { qr: update.qr })
                    .then(() => step('scanned'))
                    .catch(reject);
            }
            if (update.connection === 'open') resolve(sock);
            if (update.connection === 'close') {
                const code = update.lastDisconnect?.error?.output?.statusCode;
                if (code === DisconnectReason.restartRequired) {
                    step('restart');
                    connect().then(resolve, reject);
                } else if (!sock.__closing) {
                    fail(`connection closed with ${code}: ${update.lastDisconnect?.error}`);
                }
            }
        });
    });
}

const sock = await connect();
step('open', { me: sock.user?.id });
process.stdin.resume();
process.stdin.on('end', () => {
    sock.__closing = true;
    sock.end(undefined);
    step('done');
    process.exit(0);
});

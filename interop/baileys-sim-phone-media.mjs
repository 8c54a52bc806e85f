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
import { randomBytes } from 'node:crypto';
import { downloadMediaMessage } from 'baileys';
import { admin, connect, fail, info, mediaCollector, sha256, step, waitFor } from './sim-harness.mjs';

const [phoneA, phoneB] = [process.env.PHONE_A, process.env.PHONE_B];
const jidA = `${phoneA}@s.whatsapp.net`;
// A phone's media URLs name the plain http host; Baileys fetches the direct path from the simulator's
// HTTPS host instead (its `host` download option).
const tlsHost = new URL(info.mediaTlsUrl).host;

// The media messages others send us, kept as they arrive.
const { incoming: incomingMedia, listen } = mediaCollector();

async function main() {
    const sock = await connect({ scanPhone: phoneA, expectQr: true, listen });
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

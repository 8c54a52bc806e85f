// A real Baileys 7.0.0-rc14 client exchanging media with a wasndr client and a virtual phone through
// wasndr-sim, for wasndr-sim/tests/baileys_media.rs.
//
// Input (environment): SIM_INFO = the simulator's /admin/info JSON; AUTH_DIR = a fresh directory for
// useMultiFileAuthState; PHONE_A (the phone that scans our QR), PHONE_B (a virtual phone), CLIENT (the
// account of the wasndr client). NODE_EXTRA_CA_CERTS must name a file holding the simulator's media CA
// (wasndr_sim::MEDIA_CA_PEM): Baileys speaks only https to media hosts.
// Output: one JSON object per line on stdout ({"step": ...}); Baileys' own logs go to stderr. Reads
// nothing: the test drives the wasndr client between the steps it sees.
// Exit 0 once every step passed; any failure prints {"error": ...} and exits 1.
//
// Steps: QR → phone A scans it → 515 → login → open; a document with a caption to phone B, which
// decrypts it from the media host ("phone_decrypted"); a document to the wasndr client
// ("sent_to_client", with its id and SHA-256); then the first media message the wasndr client sends us
// is downloaded and decrypted ("downloaded", with its SHA-256 and caption).
import { randomBytes } from 'node:crypto';
import { downloadMediaMessage } from 'baileys';
import { admin, connect, fail, info, mediaCollector, sha256, step, waitFor } from './sim-harness.mjs';

const [phoneA, phoneB, clientPhone] = [process.env.PHONE_A, process.env.PHONE_B, process.env.CLIENT];
const jidB = `${phoneB}@s.whatsapp.net`;
const clientJid = `${clientPhone}@s.whatsapp.net`;
// Media URLs name the host a file was uploaded through; files the wasndr client uploaded over plain
// http are fetched from the simulator's HTTPS host instead (Baileys' `host` download option).
const tlsHost = new URL(info.mediaTlsUrl).host;

// The media messages others send us, kept as they arrive.
const { incoming: incomingMedia, listen } = mediaCollector();

async function main() {
    const sock = await connect({ scanPhone: phoneA, expectQr: true, listen });
    step('open', { me: sock.user?.id });

    // Baileys uploads over HTTPS; the phone fetches the blob from the host and decrypts it.
    const forPhone = randomBytes(50_000);
    await sock.sendMessage(jidB, {
        document: forPhone,
        mimetype: 'application/pdf',
        fileName: 'for-phone.pdf',
        caption: 'a file from baileys',
    });
    const onPhone = await waitFor('phone B to decrypt our document', async () =>
        (await admin('GET', `/phones/${phoneB}/messages`)).find((m) => m.media?.caption === 'a file from baileys'));
    if (onPhone.media.error) throw new Error(`phone B could not decrypt: ${onPhone.media.error}`);
    if (onPhone.media.sha256 !== sha256(forPhone)) throw new Error('phone B decrypted other bytes');
    step('phone_decrypted', { size: onPhone.media.size });

    const forClient = randomBytes(30_001);
    const sent = await sock.sendMessage(clientJid, {
        document: forClient,
        mimetype: 'application/octet-stream',
        fileName: 'for-client.bin',
        caption: 'for the wasndr client',
    });
    step('sent_to_client', { id: sent.key.id, sha256: sha256(forClient), size: forClient.length });

    const incoming = await waitFor('a media message from the wasndr client', () =>
        incomingMedia.find((m) => m.key.remoteJid === clientJid), 60000);
    const bytes = await downloadMediaMessage(incoming, 'buffer', { host: tlsHost });
    const content = incoming.message.imageMessage || incoming.message.documentMessage
        || incoming.message.videoMessage || incoming.message.audioMessage;
    step('downloaded', { id: incoming.key.id, sha256: sha256(bytes), size: bytes.length, caption: content.caption ?? null });

    sock.__closing = true;
    sock.end(undefined);
    step('done');
    process.exit(0);
}

main().catch(fail);

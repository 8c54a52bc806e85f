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
import { connect, fail, step } from './sim-harness.mjs';

const { PHONE_A: phoneA, PEER: peer, GROUP: group } = process.env;

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

/** Keeps every text Baileys sees, ours included. */
function listen(sock) {
    sock.ev.on('messages.upsert', ({ messages }) => {
        for (const m of messages) {
            const text = m.message?.conversation || m.message?.extendedTextMessage?.text;
            if (text) inbox.push({ chat: m.key.remoteJid, fromMe: m.key.fromMe, text });
        }
    });
}

/** Pairs through phone A's scan and connects until `open`. */
const open = () => connect({ scanPhone: phoneA, expectQr: true, listen });

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

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
import { admin, connect as connectToSim, fail, step, waitFor as poll } from './sim-harness.mjs';

const [phoneA, phoneB, phoneC] = [process.env.PHONE_A, process.env.PHONE_B, process.env.PHONE_C];
const jidB = `${phoneB}@s.whatsapp.net`;

// This script's waits are shorter than the harness default.
const waitFor = (what, predicate, timeoutMs = 20000) => poll(what, predicate, timeoutMs);

const received = [];

/** Keeps every text Baileys sees, ours included. */
function listen(sock) {
    sock.ev.on('messages.upsert', ({ messages }) => {
        for (const message of messages) {
            const text = message.message?.conversation || message.message?.extendedTextMessage?.text;
            if (text) received.push({ chat: message.key.remoteJid, fromMe: message.key.fromMe, participant: message.key.participant, text });
        }
    });
}

/** Connects until `open`, reporting the QR and the 515 restart as steps. */
const connect = ({ expectQr }) => connectToSim({ scanPhone: phoneA, expectQr, listen, reportQr: true });

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

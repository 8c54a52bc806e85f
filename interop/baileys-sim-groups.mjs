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
import { connect, fail, step, waitFor } from './sim-harness.mjs';

const phoneA = process.env.PHONE_A;
const renamed = process.env.SUBJECT;

const upserts = [];
const updates = [];

/** Keeps the group creations and changes Baileys reports. */
function listen(sock) {
    sock.ev.on('groups.upsert', (groups) => upserts.push(...groups));
    sock.ev.on('groups.update', (changes) => updates.push(...changes));
}

async function main() {
    const sock = await connect({ scanPhone: phoneA, expectQr: true, listen });
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

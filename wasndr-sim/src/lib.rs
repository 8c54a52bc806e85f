//! `wasndr-sim`: a WhatsApp-compatible network that real clients accept.
//!
//! A Noise responder with its own certificate chain, binary stanza routing with offline queues, virtual
//! phones that hold real Signal identities and scan QR codes, groups, receipts, a media host, and an admin
//! API (HTTP and Rust) to drive it all. It is the test bed of every other crate and the engine of
//! `wasndr serve --sandbox`.

//! The end-to-end message plaintext: what goes into a Signal ciphertext and what comes out of one
//! (messaging guide C).

mod padding;

pub use padding::{MAX_PAD_LEN, pad, pad_len, unpad};

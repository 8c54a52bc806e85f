//! Turning a human-written phone number into the digits of a `@s.whatsapp.net` user.

use crate::error::{Error, Result};

/// Fewest digits accepted, country code included. Shorter numbers exist only inside a country's own
/// dialling plan, so they cannot be a full international number.
pub const MIN_PHONE_DIGITS: usize = 7;
/// Most digits accepted, country code included (ITU-T E.164 maximum).
pub const MAX_PHONE_DIGITS: usize = 15;

/// Why a phone number was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PhoneNumberProblem {
    /// Nothing but separators, or nothing at all.
    Empty,
    /// A character other than digits, spaces, `-`, `(`, `)` and one leading `+`.
    InvalidCharacter {
        /// The offending character.
        character: char,
        /// Its byte position in the input.
        position: usize,
    },
    /// The digits start with 0: a national trunk prefix or an international dialling prefix, so the
    /// country code is missing or hidden.
    MissingCountryCode,
    /// Fewer than [`MIN_PHONE_DIGITS`] digits.
    TooShort {
        /// How many digits there were.
        digits: usize,
    },
    /// More than [`MAX_PHONE_DIGITS`] digits.
    TooLong {
        /// How many digits there were.
        digits: usize,
    },
}

impl std::fmt::Display for PhoneNumberProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PhoneNumberProblem::Empty => f.write_str("no digits"),
            PhoneNumberProblem::InvalidCharacter { character, position } => write!(
                f,
                "{character:?} at byte {position} is not allowed (only digits, spaces, '-', '(', ')' and a \
                 leading '+')"
            ),
            PhoneNumberProblem::MissingCountryCode => f.write_str(
                "starts with 0: write the number in international form with its country code, e.g. \
                 +44 20 7946 0000",
            ),
            PhoneNumberProblem::TooShort { digits } => {
                write!(
                    f,
                    "{digits} digits is too short for a number with country code (min {MIN_PHONE_DIGITS})"
                )
            }
            PhoneNumberProblem::TooLong { digits } => {
                write!(
                    f,
                    "{digits} digits is longer than any international number (max {MAX_PHONE_DIGITS})"
                )
            }
        }
    }
}

/// The digits of an international phone number written by a person: `+1 (555) 123-4567` gives
/// `15551234567`.
///
/// Spaces, `-`, `(` and `)` are dropped, and so is one leading `+`. Everything else must be a digit; the
/// digits must start with the country code (so not with 0) and number 7 to 15.
pub fn normalize_phone_number(input: &str) -> Result<String> {
    let fail = |problem| Err(Error::InvalidPhoneNumber(problem));
    let trimmed = input.trim();
    let offset = input.len() - input.trim_start().len();
    let mut digits = String::with_capacity(MAX_PHONE_DIGITS);
    for (position, character) in trimmed.char_indices() {
        match character {
            '0'..='9' => digits.push(character),
            ' ' | '-' | '(' | ')' => {}
            '+' if position == 0 => {}
            _ => {
                return fail(PhoneNumberProblem::InvalidCharacter {
                    character,
                    position: position + offset,
                });
            }
        }
    }
    if digits.is_empty() {
        return fail(PhoneNumberProblem::Empty);
    }
    if digits.starts_with('0') {
        return fail(PhoneNumberProblem::MissingCountryCode);
    }
    if digits.len() < MIN_PHONE_DIGITS {
        return fail(PhoneNumberProblem::TooShort { digits: digits.len() });
    }
    if digits.len() > MAX_PHONE_DIGITS {
        return fail(PhoneNumberProblem::TooLong { digits: digits.len() });
    }
    Ok(digits)
}

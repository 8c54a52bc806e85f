//! Wire types shared by the shells: request bodies and queries, and response views.

mod requests;
mod views;

pub use requests::*;
pub use views::*;

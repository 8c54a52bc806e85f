//! The QR string rendered as the `data:image/png;base64,...` image the seed's clients show.

use base64::Engine as _;
use qrcode::{Color, QrCode};

use crate::png::encode_greyscale;

/// Pixels per QR module.
const SCALE: usize = 8;
/// Quiet zone around the code, in modules (the QR standard asks for 4).
const QUIET: usize = 4;

/// Renders `text` as a QR code PNG data URL; `None` if it cannot be encoded (too long for a QR code).
pub fn qr_data_url(text: &str) -> Option<String> {
    let code = QrCode::new(text.as_bytes()).ok()?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (index, color) in colors.iter().enumerate() {
        if *color == Color::Dark {
            let (x, y) = (
                (index % modules + QUIET) * SCALE,
                (index / modules + QUIET) * SCALE,
            );
            for row in y..y + SCALE {
                pixels[row * side + x..row * side + x + SCALE].fill(0);
            }
        }
    }
    let png = encode_greyscale(side as u32, side as u32, &pixels).ok()?;
    Some(format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_png_data_url() {
        let url = qr_data_url("2@abc,def,ghi,jkl").unwrap();
        let png = base64::engine::general_purpose::STANDARD
            .decode(url.strip_prefix("data:image/png;base64,").unwrap())
            .unwrap();
        assert!(png.starts_with(b"\x89PNG"));
        // IHDR width: (modules + 8) * 8 pixels; a version-2 code has 25 modules.
        let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
        assert_eq!(width % 8, 0);
        assert!(width >= (21 + 8) * 8);
    }
}

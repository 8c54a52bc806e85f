//! Showing a pairing QR: as PNG bytes (for a web page or a file) and as terminal text. The QR matrix comes
//! from the `qrcode` crate; the PNG is written here (one grayscale image, zlib via `flate2`) rather than
//! pulling in an image library.

use std::io::Write as _;

use flate2::Compression;
use flate2::write::ZlibEncoder;
use qrcode::{Color, QrCode};

use crate::error::{Error, Result};

/// Light modules around the code, as the QR specification asks.
const QUIET_ZONE: usize = 4;

fn matrix(text: &str) -> Result<(usize, Vec<bool>)> {
    let code =
        QrCode::new(text.as_bytes()).map_err(|_| Error::InvalidArgument("text too long for a QR code"))?;
    let width = code.width();
    let dark = code.to_colors().into_iter().map(|c| c == Color::Dark).collect();
    Ok((width, dark))
}

/// The QR of `text` as terminal text: two modules per character cell (upper and lower half blocks),
/// dark modules drawn as spaces on a light background so it scans on dark terminals too.
pub fn qr_terminal(text: &str) -> Result<String> {
    let (width, dark) = matrix(text)?;
    let size = width + 2 * QUIET_ZONE;
    let is_dark = |x: usize, y: usize| {
        x >= QUIET_ZONE
            && y >= QUIET_ZONE
            && x < QUIET_ZONE + width
            && y < QUIET_ZONE + width
            && dark[(y - QUIET_ZONE) * width + (x - QUIET_ZONE)]
    };
    let mut out = String::with_capacity(size * size);
    for y in (0..size).step_by(2) {
        for x in 0..size {
            out.push(match (is_dark(x, y), is_dark(x, y + 1)) {
                (false, false) => '█',
                (false, true) => '▀',
                (true, false) => '▄',
                (true, true) => ' ',
            });
        }
        out.push('\n');
    }
    Ok(out)
}

/// The QR of `text` as a grayscale PNG, `scale` pixels per module (at least 1), with a quiet zone.
pub fn qr_png(text: &str, scale: usize) -> Result<Vec<u8>> {
    let (width, dark) = matrix(text)?;
    let scale = scale.max(1);
    let side = (width + 2 * QUIET_ZONE) * scale;
    let side_u32 = u32::try_from(side).map_err(|_| Error::InvalidArgument("QR image too large"))?;
    // One filter byte (0 = none) per row, then one byte per pixel.
    let mut raw = Vec::with_capacity((side + 1) * side);
    for py in 0..side {
        raw.push(0);
        let y = (py / scale).checked_sub(QUIET_ZONE).filter(|&y| y < width);
        for px in 0..side {
            let x = (px / scale).checked_sub(QUIET_ZONE).filter(|&x| x < width);
            let module_dark = matches!((x, y), (Some(x), Some(y)) if dark[y * width + x]);
            raw.push(if module_dark { 0x00 } else { 0xff });
        }
    }
    let mut zlib = ZlibEncoder::new(Vec::new(), Compression::default());
    zlib.write_all(&raw)
        .and_then(|()| zlib.finish())
        .map(|idat| {
            let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
            let mut header = Vec::with_capacity(13);
            header.extend_from_slice(&side_u32.to_be_bytes());
            header.extend_from_slice(&side_u32.to_be_bytes());
            // Bit depth 8, colour type 0 (grayscale), deflate, adaptive filtering, no interlace.
            header.extend_from_slice(&[8, 0, 0, 0, 0]);
            chunk(&mut png, b"IHDR", &header);
            chunk(&mut png, b"IDAT", &idat);
            chunk(&mut png, b"IEND", &[]);
            png
        })
        .map_err(|_| Error::InvalidArgument("QR image compression failed"))
}

/// Appends one PNG chunk: length, type, data, CRC-32 of type and data.
fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend_from_slice(&(data.len() as u32).to_be_bytes());
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    png.extend_from_slice(&crc.sum().to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::ZlibDecoder;
    use std::io::Read as _;

    const TEXT: &str = "https://wa.me/settings/linked_devices#2@abc,AAAA,BBBB,CCCC,1";

    #[test]
    fn png_is_well_formed_and_matches_the_matrix() {
        let png = qr_png(TEXT, 3).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let (width, dark) = matrix(TEXT).unwrap();
        let side = (width + 2 * QUIET_ZONE) * 3;
        assert_eq!(&png[16..20], &(side as u32).to_be_bytes());
        // Walk the chunks, checking each CRC, and inflate IDAT.
        let mut at = 8;
        let mut idat = Vec::new();
        while at < png.len() {
            let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
            let kind = &png[at + 4..at + 8];
            let data = &png[at + 8..at + 8 + len];
            let mut crc = flate2::Crc::new();
            crc.update(kind);
            crc.update(data);
            assert_eq!(
                png[at + 8 + len..at + 12 + len],
                crc.sum().to_be_bytes(),
                "CRC of {kind:?}"
            );
            if kind == b"IDAT" {
                idat.extend_from_slice(data);
            }
            at += 12 + len;
        }
        let mut raw = Vec::new();
        ZlibDecoder::new(&idat[..]).read_to_end(&mut raw).unwrap();
        assert_eq!(raw.len(), side * (side + 1));
        let pixel = |x: usize, y: usize| raw[y * (side + 1) + 1 + x];
        for (i, &module) in dark.iter().enumerate() {
            let (mx, my) = (i % width + QUIET_ZONE, i / width + QUIET_ZONE);
            assert_eq!(pixel(mx * 3 + 1, my * 3 + 1) == 0, module, "module {mx},{my}");
        }
        assert_eq!(pixel(0, 0), 0xff, "quiet zone is light");
    }

    #[test]
    fn terminal_rendering_has_one_line_per_two_rows() {
        let text = qr_terminal(TEXT).unwrap();
        let (width, _) = matrix(TEXT).unwrap();
        let size = width + 2 * QUIET_ZONE;
        assert_eq!(text.lines().count(), size.div_ceil(2));
        assert!(text.lines().all(|line| line.chars().count() == size));
    }
}

//! QR codes as PNG (for MCP image content and the window) and as terminal text.

use image::Luma;
use qrcode::render::unicode;
use qrcode::QrCode;

/// A PNG of the QR code, with a quiet zone, about 300 px wide.
pub fn png(data: &str) -> Option<Vec<u8>> {
    let code = QrCode::new(data.as_bytes()).ok()?;
    let img = code.render::<Luma<u8>>().min_dimensions(300, 300).build();
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageLuma8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .ok()?;
    Some(out.into_inner())
}

/// The QR code drawn with half-block characters, for a terminal.
pub fn terminal(data: &str) -> Option<String> {
    let code = QrCode::new(data.as_bytes()).ok()?;
    Some(
        code.render::<unicode::Dense1x2>()
            .dark_color(unicode::Dense1x2::Light)
            .light_color(unicode::Dense1x2::Dark)
            .build(),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn renders_png_and_text() {
        let data = "2@abc,def,ghi,jkl";
        let png = super::png(data).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert!(super::terminal(data).unwrap().lines().count() > 10);
    }
}

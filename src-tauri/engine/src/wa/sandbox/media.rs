//! Bytes for sandbox media: pictures, documents and voice notes made on demand,
//! deterministically, so downloads are real files with real metadata.

use std::io::Cursor;

use image::{ImageFormat, Rgb, RgbImage};
use sha2::{Digest, Sha256};

use crate::wa::RemoteMedia;

pub(crate) fn seed(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

fn png(width: u32, height: u32, key: &str) -> Vec<u8> {
    let s = seed(key);
    let (a, b) = ([s[0], s[1], s[2]], [s[3], s[4], s[5]]);
    let img = RgbImage::from_fn(width, height, |x, y| {
        let t = (x + y) as f32 / (width + height) as f32;
        let mix = |i: usize| (f32::from(a[i]) * (1.0 - t) + f32::from(b[i]) * t) as u8;
        Rgb([mix(0), mix(1), mix(2)])
    });
    let mut out = Cursor::new(Vec::new());
    // Encoding an in-memory RGB image to PNG cannot fail.
    img.write_to(&mut out, ImageFormat::Png).expect("png encoding");
    out.into_inner()
}

/// A small square avatar for a person or group.
pub fn avatar_png(_name: &str, key: &str) -> Vec<u8> {
    png(96, 96, key)
}

fn pdf(key: &str) -> Vec<u8> {
    let text = format!("Sandbox document {key}");
    let stream = format!("BT /F1 18 Tf 72 720 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut out = String::from("%PDF-1.4\n");
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.push_str(&format!("{} 0 obj\n{o}\nendobj\n", i + 1));
    }
    let xref = out.len();
    out.push_str(&format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1));
    for off in offsets {
        out.push_str(&format!("{off:010} 00000 n \n"));
    }
    out.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    ));
    out.into_bytes()
}

/// A mono 8 kHz 16-bit WAV tone of `seconds`.
fn wav(seconds: u32, key: &str) -> Vec<u8> {
    let rate = 8_000u32;
    let samples = rate * seconds.max(1);
    let freq = 220.0 + f32::from(seed(key)[0]);
    let mut out = Vec::with_capacity(44 + samples as usize * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + samples * 2).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(samples * 2).to_le_bytes());
    for i in 0..samples {
        let v = (f32::sin(i as f32 * freq * std::f32::consts::TAU / rate as f32) * 8_000.0) as i16;
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// The bytes behind a sandbox media path (`/sandbox/<kind>/<key>`).
pub fn generate(remote: &RemoteMedia) -> Option<Vec<u8>> {
    let path = remote.direct_path.split('?').next().unwrap_or_default();
    let rest = path.strip_prefix("/sandbox/")?;
    let (kind, key) = rest.split_once('/')?;
    Some(match kind {
        "image" => png(640, 480, key),
        "document" => pdf(key),
        "audio" => wav(2 + u32::from(seed(key)[1] % 20), key),
        _ => return None,
    })
}

//! What a media file is: its MIME type (from its bytes, then its name), and for
//! pictures, video and audio their dimensions and duration, read from the headers
//! without decoding.

use std::io::{Read, Seek, SeekFrom};

/// The MIME type, sniffed from the first bytes, else guessed from the file name.
pub fn sniff(head: &[u8], file_name: Option<&str>) -> String {
    if let Some(t) = infer::get(head) {
        return t.mime_type().to_owned();
    }
    let ext = file_name
        .and_then(|n| n.rsplit_once('.'))
        .map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("txt" | "md" | "log") => "text/plain",
        Some("csv") => "text/csv",
        Some("json") => "application/json",
        Some("vcf") => "text/vcard",
        Some("html" | "htm") => "text/html",
        _ if std::str::from_utf8(head).is_ok() && !head.is_empty() => "text/plain",
        _ => "application/octet-stream",
    }
    .to_owned()
}

/// Width and height of a picture.
pub fn image_dimensions<R: Read + Seek>(r: R) -> Option<(u32, u32)> {
    image::ImageReader::new(std::io::BufReader::new(r))
        .with_guessed_format()
        .ok()?
        .into_dimensions()
        .ok()
}

fn read_u32_be(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Duration of a WAV file (RIFF: data size over byte rate).
pub fn wav_duration_ms<R: Read + Seek>(mut r: R) -> Option<i64> {
    let mut head = [0u8; 12];
    r.read_exact(&mut head).ok()?;
    if &head[..4] != b"RIFF" || &head[8..12] != b"WAVE" {
        return None;
    }
    let mut byte_rate = None;
    loop {
        let mut chunk = [0u8; 8];
        r.read_exact(&mut chunk).ok()?;
        let size = u32::from_le_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]) as i64;
        match &chunk[..4] {
            b"fmt " => {
                let mut fmt = vec![0u8; size.clamp(16, 64) as usize];
                r.read_exact(&mut fmt).ok()?;
                byte_rate = Some(u32::from_le_bytes([fmt[8], fmt[9], fmt[10], fmt[11]]) as i64);
                if size > fmt.len() as i64 {
                    r.seek(SeekFrom::Current(size - fmt.len() as i64)).ok()?;
                }
            }
            b"data" => return byte_rate.filter(|b| *b > 0).map(|b| size * 1000 / b),
            _ => {
                r.seek(SeekFrom::Current(size + size % 2)).ok()?;
            }
        }
    }
}

/// Width and height in pixels.
pub type Dims = (u32, u32);
/// What a box walker does with a box body it cares about.
type Visit<'a> = &'a mut dyn FnMut(&[u8; 4], &[u8]) -> Option<()>;

/// Walks ISO BMFF boxes (MP4, M4A, MOV, 3GP) for the movie duration and the video
/// track's width and height.
pub fn mp4_info<R: Read + Seek>(mut r: R, len: u64) -> Option<(Option<i64>, Option<Dims>)> {
    let mut duration = None;
    let mut dims = None;
    walk_boxes(&mut r, 0, len, 0, &mut |kind, body| match kind {
        b"mvhd" if body.len() >= 32 => {
            let (scale, dur) = if body[0] == 1 {
                (
                    read_u32_be(&body[20..24]) as u64,
                    u64::from_be_bytes(body[24..32].try_into().ok()?),
                )
            } else {
                (read_u32_be(&body[12..16]) as u64, read_u32_be(&body[16..20]) as u64)
            };
            if let Some(ms) = (dur * 1000).checked_div(scale) {
                duration = Some(ms as i64);
            }
            Some(())
        }
        b"tkhd" if body.len() >= 84 => {
            let n = body.len();
            let w = read_u32_be(&body[n - 8..n - 4]) >> 16;
            let h = read_u32_be(&body[n - 4..]) >> 16;
            if w > 0 && h > 0 && dims.is_none() {
                dims = Some((w, h));
            }
            Some(())
        }
        _ => Some(()),
    })?;
    Some((duration, dims))
}

fn walk_boxes<R: Read + Seek>(r: &mut R, start: u64, end: u64, depth: u32, visit: Visit<'_>) -> Option<()> {
    let mut pos = start;
    while pos + 8 <= end && depth < 8 {
        r.seek(SeekFrom::Start(pos)).ok()?;
        let mut head = [0u8; 8];
        r.read_exact(&mut head).ok()?;
        let mut size = read_u32_be(&head[..4]) as u64;
        let kind: [u8; 4] = head[4..8].try_into().ok()?;
        let mut body_start = pos + 8;
        if size == 1 {
            let mut big = [0u8; 8];
            r.read_exact(&mut big).ok()?;
            size = u64::from_be_bytes(big);
            body_start += 8;
        } else if size == 0 {
            size = end - pos;
        }
        if size < 8 || pos + size > end {
            return Some(());
        }
        match &kind {
            b"moov" | b"trak" => walk_boxes(r, body_start, pos + size, depth + 1, visit)?,
            b"mvhd" | b"tkhd" => {
                let n = (pos + size - body_start).min(256) as usize;
                let mut body = vec![0u8; n];
                r.read_exact(&mut body).ok()?;
                visit(&kind, &body)?;
            }
            _ => {}
        }
        pos += size;
    }
    Some(())
}

/// Duration of an Ogg Opus or Vorbis file: the last page's granule position over the
/// sample rate.
pub fn ogg_duration_ms<R: Read + Seek>(mut r: R, len: u64) -> Option<i64> {
    let mut head = vec![0u8; 4096.min(len as usize)];
    r.read_exact(&mut head).ok()?;
    if !head.starts_with(b"OggS") {
        return None;
    }
    let (rate, skip) = if let Some(i) = find(&head, b"OpusHead") {
        (
            48_000i64,
            i64::from(u16::from_le_bytes([
                head.get(i + 10).copied()?,
                head.get(i + 11).copied()?,
            ])),
        )
    } else if let Some(i) = find(&head, b"\x01vorbis") {
        let b = head.get(i + 12..i + 16)?;
        (i64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])), 0)
    } else {
        return None;
    };
    let tail_len = 65_536.min(len);
    r.seek(SeekFrom::Start(len - tail_len)).ok()?;
    let mut tail = vec![0u8; tail_len as usize];
    r.read_exact(&mut tail).ok()?;
    let last = rfind(&tail, b"OggS")?;
    let g = tail.get(last + 6..last + 14)?;
    let granule = i64::from_le_bytes(g.try_into().ok()?);
    (rate > 0 && granule > skip).then(|| (granule - skip) * 1000 / rate)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// Everything we can tell about a file of `len` bytes of type `mime`.
pub fn probe<R: Read + Seek>(mut r: R, len: u64, mime: &str) -> (Option<(u32, u32)>, Option<i64>) {
    let top = mime.split('/').next().unwrap_or("");
    let _ = r.seek(SeekFrom::Start(0));
    match (top, mime) {
        ("image", _) => (image_dimensions(r), None),
        (_, "audio/x-wav" | "audio/wav" | "audio/wave") => (None, wav_duration_ms(r)),
        (_, "audio/ogg" | "audio/opus" | "video/ogg") => (None, ogg_duration_ms(r, len)),
        ("video", _) | (_, "audio/mp4" | "audio/m4a" | "audio/x-m4a") => {
            mp4_info(r, len).map_or((None, None), |(d, wh)| (wh, d))
        }
        _ => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn sniffs_bytes_before_names() {
        let png = crate::qr::png("x").unwrap();
        assert_eq!(sniff(&png, Some("photo.txt")), "image/png");
        assert_eq!(sniff(b"%PDF-1.4\n", None), "application/pdf");
        assert_eq!(sniff(b"hello", Some("notes.md")), "text/plain");
        assert_eq!(sniff(&[0xff, 0x00, 0x13], Some("blob.bin")), "application/octet-stream");
    }

    #[test]
    fn reads_png_dimensions_and_wav_duration() {
        let png = crate::qr::png("hello").unwrap();
        let (dims, _) = probe(Cursor::new(&png), png.len() as u64, "image/png");
        assert!(dims.is_some_and(|(w, h)| w >= 300 && w == h));
        // 8 kHz mono 16-bit, 1.5 s.
        let samples = 12_000u32;
        let mut wav = Vec::new();
        wav.extend_from_slice(b"RIFF");
        wav.extend_from_slice(&(36 + samples * 2).to_le_bytes());
        wav.extend_from_slice(b"WAVEfmt ");
        wav.extend_from_slice(&16u32.to_le_bytes());
        wav.extend_from_slice(&[1, 0, 1, 0]);
        wav.extend_from_slice(&8000u32.to_le_bytes());
        wav.extend_from_slice(&16000u32.to_le_bytes());
        wav.extend_from_slice(&[2, 0, 16, 0]);
        wav.extend_from_slice(b"data");
        wav.extend_from_slice(&(samples * 2).to_le_bytes());
        wav.resize(wav.len() + samples as usize * 2, 0);
        assert_eq!(probe(Cursor::new(&wav), wav.len() as u64, "audio/x-wav").1, Some(1500));
    }

    #[test]
    fn reads_mp4_duration_and_size() {
        // ftyp + moov(mvhd v0: timescale 1000, duration 4200; trak(tkhd 640x360)).
        fn bx(kind: &[u8], body: &[u8]) -> Vec<u8> {
            let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
            v.extend_from_slice(kind);
            v.extend_from_slice(body);
            v
        }
        let mut mvhd = vec![0u8; 100];
        mvhd[12..16].copy_from_slice(&1000u32.to_be_bytes());
        mvhd[16..20].copy_from_slice(&4200u32.to_be_bytes());
        let mut tkhd = vec![0u8; 84];
        tkhd[76..80].copy_from_slice(&(640u32 << 16).to_be_bytes());
        tkhd[80..84].copy_from_slice(&(360u32 << 16).to_be_bytes());
        let file = [
            bx(b"ftyp", b"isom\0\0\0\0isom"),
            bx(
                b"moov",
                &[bx(b"mvhd", &mvhd), bx(b"trak", &bx(b"tkhd", &tkhd))].concat(),
            ),
        ]
        .concat();
        assert_eq!(
            probe(Cursor::new(&file), file.len() as u64, "video/mp4"),
            (Some((640, 360)), Some(4200))
        );
    }

    #[test]
    fn garbage_never_panics() {
        for len in 0..64 {
            let junk: Vec<u8> = (0..len).map(|i| (i * 37 % 251) as u8).collect();
            for mime in ["image/png", "audio/x-wav", "video/mp4", "audio/ogg", "text/plain"] {
                let _ = probe(Cursor::new(&junk), junk.len() as u64, mime);
            }
        }
        let mut fake_ogg = b"OggS".to_vec();
        fake_ogg.resize(100, 0);
        assert_eq!(probe(Cursor::new(&fake_ogg), 100, "audio/ogg").1, None);
    }
}

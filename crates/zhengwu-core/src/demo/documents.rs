//! The demo's attachment files: a one-page PDF per listed attachment saying what it is, so the
//! demo's notices have files to download. Text is set in Adobe's standard Chinese font
//! (STSong-Light, UniGB-UCS2-H encoding), which PDF readers supply themselves: nothing is embedded.

use chrono::{DateTime, Utc};

use crate::time::shanghai_date;

/// A4 in points, and the margin on each side.
const PAGE: (u32, u32) = (595, 842);
const MARGIN: u32 = 72;

/// The PDF for an attachment named `file_name` of the article `article_title`.
pub fn attachment_pdf(file_name: &str, article_title: &str, department: &str, published_at: DateTime<Utc>) -> Vec<u8> {
    let stem = file_name.rsplit_once('.').map_or(file_name, |(s, _)| s);
    let date = shanghai_date(published_at).format("%Y年%-m月%-d日").to_string();
    let mut lines: Vec<(u32, String)> = wrap(stem, 18).into_iter().map(|l| (18, l)).collect();
    lines.push((12, String::new()));
    for text in [format!("所属公告：{article_title}"), format!("发布单位：{department}"), format!("发布日期：{date}")]
    {
        lines.extend(wrap(&text, 12).into_iter().map(|l| (12, l)));
    }
    lines.push((12, String::new()));
    lines.extend(
        wrap("（演示数据：本文件由演示数据生成，只为说明附件的下载，内容不具效力。）", 10).into_iter().map(|l| (10, l)),
    );
    pdf(stem, &lines)
}

/// Splits text into lines that fit the page at `size` points: Chinese glyphs one em wide, ASCII
/// half an em (the font's widths, `/W` below).
fn wrap(text: &str, size: u32) -> Vec<String> {
    let room = (PAGE.0 - 2 * MARGIN) * 2 / size; // in half-ems
    let mut lines = vec![];
    let (mut line, mut used) = (String::new(), 0);
    for c in text.chars() {
        let w = if c.is_ascii() { 1 } else { 2 };
        if used + w > room && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
            used = 0;
        }
        line.push(c);
        used += w;
    }
    lines.push(line);
    lines
}

/// A PDF string in the font's encoding: UCS-2 big-endian, as hex (characters beyond the BMP
/// become a full-width question mark).
fn ucs2_hex(text: &str) -> String {
    text.chars().map(|c| u16::try_from(u32::from(c)).unwrap_or(0xFF1F)).map(|u| format!("{u:04X}")).collect()
}

fn pdf(title: &str, lines: &[(u32, String)]) -> Vec<u8> {
    let mut content = String::from("BT\n");
    let mut y = PAGE.1 - MARGIN;
    for (size, text) in lines {
        y -= size * 3 / 2;
        content.push_str(&format!("/F1 {size} Tf 1 0 0 1 {MARGIN} {y} Tm <{}> Tj\n", ucs2_hex(text)));
    }
    content.push_str("ET\n");
    let title_utf16: String =
        std::iter::once(0xFEFFu16).chain(title.encode_utf16()).map(|u| format!("{u:04X}")).collect();
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {} {}] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
            PAGE.0, PAGE.1
        ),
        format!("<< /Length {} >>\nstream\n{content}endstream", content.len()),
        "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [6 0 R] >>"
            .to_string(),
        "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light \
         /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> /FontDescriptor 7 0 R /DW 1000 /W [1 95 500] >>"
            .to_string(),
        "<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] \
         /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>"
            .to_string(),
        format!("<< /Title <{title_utf16}> /Producer (Zhengwu demo data) >>"),
    ];
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R /Info 8 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1)
            .as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pdf_is_well_formed_and_says_what_it_is() {
        let at = "2026-11-20T02:00:00Z".parse().unwrap();
        let pdf = attachment_pdf("拟认定企业名单.pdf", "关于高新技术企业认定的公示", "青山县科技局", at);
        let text = String::from_utf8_lossy(&pdf);
        assert!(pdf.starts_with(b"%PDF-1.4\n") && text.ends_with("%%EOF\n"));
        // Every cross-reference entry points at the start of its object, and startxref at the
        // table (byte offsets: the second line holds binary bytes, as the format asks).
        let xref_at: usize = text.rsplit("startxref\n").next().unwrap().lines().next().unwrap().parse().unwrap();
        let table = std::str::from_utf8(&pdf[xref_at..]).unwrap();
        assert!(table.starts_with("xref\n0 9\n"));
        for (i, entry) in table.lines().skip(3).take(8).enumerate() {
            let offset: usize = entry[..10].parse().unwrap();
            assert!(pdf[offset..].starts_with(format!("{} 0 obj\n", i + 1).as_bytes()), "object {}", i + 1);
        }
        // The stream's length is its real length.
        let start = text.find(">>\nstream\n").unwrap() + ">>\nstream\n".len();
        let stream = &text[start..start + text[start..].find("endstream").unwrap()];
        assert!(text.contains(&format!("/Length {} >>", stream.len())));
        // The name and the notice are in the text, in the font's encoding.
        assert!(text.contains(&ucs2_hex("拟认定企业名单")));
        assert!(text.contains(&ucs2_hex("所属公告：关于高新技术企业认定的公示")));
        assert!(text.contains(&ucs2_hex("发布日期：2026年11月20日")));
    }

    #[test]
    fn long_text_wraps_within_the_page() {
        let long = "长".repeat(80);
        let lines = wrap(&long, 12);
        assert_eq!(lines.len(), 3, "451 pt at 12 pt a glyph: 37 to a line");
        assert!(lines.iter().all(|l| l.chars().count() <= 37));
        assert_eq!(wrap(&"2".repeat(74), 12).len(), 1, "digits are half as wide");
        assert_eq!(wrap("", 12), vec![String::new()], "an empty line stays a line");
        assert_eq!(ucs2_hex("A😀"), "0041FF1F");
    }
}

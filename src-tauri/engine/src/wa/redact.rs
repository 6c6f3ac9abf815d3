//! What may be said of a WhatsApp failure to an agent (and in an account's status,
//! which agents read too). The library's and the server's texts can carry WhatsApp
//! addresses of people who are not part of the call, this machine's file paths,
//! CDN URLs with their tokens, and key material: each is replaced by a word for
//! what it was. The full text stays in WhatsApp-Use's own log.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

/// (pattern, what it becomes), applied in order.
static RULES: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    let rule = |pattern: &str, with| (Regex::new(pattern).expect("a valid pattern"), with);
    vec![
        rule(r"(?i)\b(?:https?|wss?|file)://\S+", "[a URL]"),
        // Any address on a WhatsApp server, with or without a device part.
        rule(
            r"(?i)[\w.#:+-]*@(?:s\.whatsapp\.net|c\.us|lid|hosted\.lid|hosted|g\.us|broadcast|newsletter|call|bot|interop|msgr)\b",
            "[a WhatsApp address]",
        ),
        // Windows and Unix paths (two segments or more, or from home).
        rule(r#"(?i)\b[a-z]:\\[^\s'"<>|]+"#, "[a path]"),
        rule(r#"(?:~|\.{1,2})?(?:/[^\s/'"<>|:;,()\[\]]+){2,}/?"#, "[a path]"),
        // Key material: long runs of hex or base64.
        rule(r"\b[0-9a-fA-F]{32,}\b", "[key material]"),
        rule(r"[A-Za-z0-9+/_-]{32,}={0,2}", "[key material]"),
    ]
});

/// `text` with addresses, paths, URLs and key material replaced.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    for (pattern, with) in RULES.iter() {
        if let Cow::Owned(s) = pattern.replace_all(&out, *with) {
            out = Cow::Owned(s);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn what_is_replaced() {
        for (text, gone, kept) in [
            (
                "invalid group request: 14155550123@s.whatsapp.net is not a participant",
                "14155550123",
                "is not a participant",
            ),
            (
                "encrypt for pn#34e58cb86c80bb6a:7@s.whatsapp.net failed",
                "34e58cb86c80bb6a",
                "failed",
            ),
            ("session with 98765:3@lid missing", "98765", "session with"),
            (
                "cannot open /home/ana/.local/share/whatsapp-use/whatsapp-use.db",
                "/home/ana",
                "cannot open",
            ),
            (r"cannot open C:\Users\Ana\AppData\Roaming\x.db", "Users", "cannot open"),
            (
                "GET https://mmg.whatsapp.net/v/t62/abc?ccb=11&oh=secret failed",
                "oh=secret",
                "failed",
            ),
            (
                "media key 0123456789abcdef0123456789abcdef0123 rejected",
                "0123456789abcdef",
                "rejected",
            ),
            (
                "key c2VjcmV0IGtleSBtYXRlcmlhbCBoZXJlIGZvciB0ZXN0cw== bad",
                "c2VjcmV0",
                "bad",
            ),
        ] {
            let out = redact(text);
            assert!(!out.contains(gone), "{text} -> {out}");
            assert!(out.contains(kept), "{text} -> {out}");
        }
        // Ordinary text is left alone.
        let plain = "WhatsApp refused the request: not-authorized (401)";
        assert!(matches!(redact(plain), Cow::Borrowed(_)));
        assert_eq!(
            redact("rate-overlimit 429, retry in 60 s"),
            "rate-overlimit 429, retry in 60 s"
        );
    }

    fn secret() -> impl Strategy<Value = String> {
        prop_oneof![
            "[0-9]{5,15}(:[0-9]{1,2})?@(s\\.whatsapp\\.net|lid|g\\.us)",
            "(/[a-z._-]{1,12}){2,5}",
            "[A-Z]:\\\\[a-z]{1,8}\\\\[a-z.]{1,8}",
            "[0-9a-f]{32,64}",
            "[A-Za-z0-9+/]{40,60}",
            "https://[a-z.]{3,20}/[a-z0-9/?=&]{0,30}",
        ]
    }

    proptest! {
        /// Whatever a library message holds around it, no address, path, URL or key
        /// in it reaches the agent.
        #[test]
        fn no_secret_survives(words in proptest::collection::vec("[a-z]{1,10}", 0..6), secret in secret(), at in 0usize..6) {
            let mut parts = words.clone();
            parts.insert(at.min(parts.len()), secret.clone());
            let text = parts.join(" ");
            let out = redact(&text);
            prop_assert!(!out.contains(&secret), "{} -> {}", text, out);
            for w in &words {
                prop_assert!(out.contains(w.as_str()), "{} -> {}", text, out);
            }
        }
    }
}

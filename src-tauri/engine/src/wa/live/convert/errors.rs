//! The library's errors as [`WaError`]s, which the tools turn into SPEC error codes
//! (`account_not_paired`, `not_found`, `rate_limited`, …).

use whatsapp_rust::features::{AppStateError, ChatStateError, ContactError, GroupError, PresenceError, ProfileError};
use whatsapp_rust::send::SendError;
use whatsapp_rust::{ClientError, IqError};

use crate::wa::WaError;

/// The server's answer codes, as WhatsApp uses them in IQ errors.
fn server(code: u16, text: &str, backoff: Option<u32>) -> WaError {
    let text = if text.is_empty() {
        format!("WhatsApp refused the request ({code})")
    } else {
        format!("WhatsApp refused the request: {text} ({code})")
    };
    match code {
        // An IQ's 401 is "not authorized" for that request (a group we left, a
        // private profile), not a logout: WhatsApp ends a session with a stream
        // error or a <failure>, which arrive as their own events.
        401 | 403 | 405 => WaError::NotAllowed(text),
        404 => WaError::NotFound(text),
        406 | 400 | 409 | 410 => WaError::Invalid(text),
        408 | 504 => WaError::Timeout,
        429 => WaError::RateLimited {
            retry_after_ms: u64::from(backoff.unwrap_or(60)) * 1000,
        },
        _ => WaError::Other(text),
    }
}

pub fn iq(e: &IqError) -> WaError {
    match e {
        IqError::Timeout => WaError::Timeout,
        IqError::NotConnected | IqError::Disconnected(_) | IqError::InternalChannelClosed | IqError::Socket(_) => {
            WaError::NotConnected
        }
        IqError::ServerError {
            code, text, backoff, ..
        } => server(*code, text, *backoff),
        IqError::ClientState(c) => client(c),
        IqError::EncryptSend(_) => {
            WaError::Other("the request could not be encrypted for WhatsApp (a session problem)".into())
        }
        IqError::UnexpectedResponseType { .. } | IqError::ParseError(_) => {
            WaError::Other("WhatsApp answered in a way this version cannot read".into())
        }
        IqError::EncodeError(_) | IqError::DuplicateRequestId(_) => {
            WaError::Other("the request to WhatsApp could not be built".into())
        }
        other => WaError::Other(other.to_string()),
    }
}

pub fn client(e: &ClientError) -> WaError {
    match e {
        ClientError::NotConnected | ClientError::Socket(_) => WaError::NotConnected,
        ClientError::NotLoggedIn => WaError::NotConnected,
        ClientError::Iq(i) => iq(i),
        ClientError::EncryptSend(_) => {
            WaError::Other("the message could not be encrypted for every device (a session problem)".into())
        }
        other => WaError::Other(other.to_string()),
    }
}

pub fn send(e: &SendError) -> WaError {
    match e {
        SendError::Client(c) => client(c),
        SendError::NotLoggedIn => WaError::NotConnected,
        SendError::Iq(i) => iq(i),
        SendError::InvalidRequest(s) => WaError::Invalid(s.clone()),
        other => anyhow_chain(other),
    }
}

pub fn app_state(e: &AppStateError) -> WaError {
    match e {
        AppStateError::InvalidRequest(s) => WaError::Invalid(s.clone()),
        other => anyhow_chain(other),
    }
}

pub fn group(e: &GroupError) -> WaError {
    match e {
        GroupError::Iq(i) => iq(i),
        GroupError::InvalidRequest(s) => WaError::Invalid(s.clone()),
        GroupError::DescriptionConflict => {
            WaError::Invalid("the group description changed meanwhile; read the group and try again".into())
        }
        other => anyhow_chain(other),
    }
}

pub fn contact(e: &ContactError) -> WaError {
    match e {
        ContactError::Iq(i) => iq(i),
        ContactError::InvalidJid(s) => WaError::Invalid(s.clone()),
        other => WaError::Other(other.to_string()),
    }
}

pub fn profile(e: &ProfileError) -> WaError {
    match e {
        ProfileError::Iq(i) => iq(i),
        ProfileError::Client(c) => client(c),
        ProfileError::InvalidArgument(s) => WaError::Invalid(s.clone()),
        other => anyhow_chain(other),
    }
}

pub fn presence(e: &PresenceError) -> WaError {
    match e {
        PresenceError::PushNameEmpty => WaError::Invalid(
            "WhatsApp has not told this device the account's name yet (right after pairing); retry in a minute".into(),
        ),
        PresenceError::Client(c) => client(c),
        other => anyhow_chain(other),
    }
}

pub fn chat_state(e: &ChatStateError) -> WaError {
    match e {
        ChatStateError::Client(c) => client(c),
        other => WaError::Other(other.to_string()),
    }
}

/// An error carried through `anyhow` (the library's catch-alls): recognised by
/// the typed errors in its chain, else reported as it reads.
pub fn anyhow_chain(e: &(dyn std::error::Error + 'static)) -> WaError {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(i) = err.downcast_ref::<IqError>() {
            return iq(i);
        }
        if let Some(c) = err.downcast_ref::<ClientError>() {
            return client(c);
        }
        cur = err.source();
    }
    WaError::Other(e.to_string())
}

/// A failed media download: the CDN's 404/410 (or 401/403 on the reference)
/// means its copy is gone, on every host.
pub fn download(e: &anyhow::Error) -> WaError {
    use whatsapp_rust::error::ErrorChainExt as _;
    match e.http_status() {
        Some(401 | 403 | 404 | 410) => WaError::MediaExpired(
            "WhatsApp's CDN no longer has this media (its copy expired); ask the sender to send it again".into(),
        ),
        _ => any(e),
    }
}

/// For `anyhow::Error` results (upload, download, read receipts).
pub fn any(e: &anyhow::Error) -> WaError {
    for cause in e.chain() {
        if let Some(i) = cause.downcast_ref::<IqError>() {
            return iq(i);
        }
        if let Some(c) = cause.downcast_ref::<ClientError>() {
            return client(c);
        }
    }
    WaError::Other(format!("{e:#}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server_error(code: u16, backoff: Option<u32>) -> IqError {
        IqError::ServerError {
            code,
            text: "nope".into(),
            error_type: None,
            backoff,
        }
    }

    #[test]
    fn server_codes_map_to_our_errors() {
        assert!(matches!(iq(&server_error(401, None)), WaError::NotAllowed(_)));
        assert!(matches!(iq(&server_error(403, None)), WaError::NotAllowed(_)));
        assert!(matches!(iq(&server_error(404, None)), WaError::NotFound(_)));
        assert!(matches!(iq(&server_error(406, None)), WaError::Invalid(_)));
        assert_eq!(iq(&server_error(408, None)), WaError::Timeout);
        assert_eq!(
            iq(&server_error(429, Some(5))),
            WaError::RateLimited { retry_after_ms: 5000 }
        );
        assert_eq!(
            iq(&server_error(429, None)),
            WaError::RateLimited { retry_after_ms: 60_000 }
        );
        let WaError::Other(text) = iq(&server_error(500, None)) else {
            panic!()
        };
        assert!(text.contains("nope") && text.contains("500"), "{text}");
    }

    #[test]
    fn connection_states() {
        assert_eq!(iq(&IqError::Timeout), WaError::Timeout);
        assert_eq!(iq(&IqError::NotConnected), WaError::NotConnected);
        assert_eq!(client(&ClientError::NotLoggedIn), WaError::NotConnected);
        assert_eq!(send(&SendError::NotLoggedIn), WaError::NotConnected);
        assert_eq!(
            send(&SendError::Iq(server_error(404, None))),
            WaError::NotFound("WhatsApp refused the request: nope (404)".into())
        );
        assert_eq!(
            send(&SendError::InvalidRequest("bad jid".into())),
            WaError::Invalid("bad jid".into())
        );
        assert!(matches!(group(&GroupError::DescriptionConflict), WaError::Invalid(_)));
        assert!(matches!(presence(&PresenceError::PushNameEmpty), WaError::Invalid(_)));
        assert_eq!(
            contact(&ContactError::InvalidJid("x".into())),
            WaError::Invalid("x".into())
        );
    }

    #[test]
    fn typed_errors_are_found_inside_anyhow() {
        let e = anyhow::Error::new(IqError::Timeout).context("uploading");
        assert_eq!(any(&e), WaError::Timeout);
        let e = anyhow::anyhow!("plain failure");
        assert_eq!(any(&e), WaError::Other("plain failure".into()));
        let wrapped = SendError::Internal(anyhow::Error::new(server_error(403, None)));
        assert!(matches!(send(&wrapped), WaError::NotAllowed(_)));
    }
}

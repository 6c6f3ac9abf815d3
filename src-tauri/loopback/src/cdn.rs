//! Media over the loopback network. WhatsApp's clients build `https://{host}/…`
//! URLs from the `media_conn` hosts; here the host is this server on 127.0.0.1,
//! which speaks plain HTTP. [`LoopbackHttp`] is the HTTP client that goes there,
//! and nowhere else.

use whatsapp_rust::http::{HttpClient, HttpRequest, HttpResponse};

/// An HTTP client for `127.0.0.1` only: `https://127.0.0.1:P/…` is fetched as
/// `http://`, and any other host is refused (tests must not leave the machine).
#[derive(Debug, Clone, Default)]
pub struct LoopbackHttp {
    client: reqwest::Client,
}

/// The plain-HTTP URL for a loopback URL, or `None` for any other host.
pub fn loopback_url(url: &str) -> Option<String> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let host = rest.split(['/', '?']).next().unwrap_or_default();
    let name = host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host);
    (name == "127.0.0.1" || name == "localhost").then(|| format!("http://{rest}"))
}

#[async_trait::async_trait]
impl HttpClient for LoopbackHttp {
    async fn execute(&self, request: HttpRequest) -> anyhow::Result<HttpResponse> {
        let url = loopback_url(&request.url)
            .ok_or_else(|| anyhow::anyhow!("the loopback network fetches from 127.0.0.1 only, not {}", request.url))?;
        let method = reqwest::Method::from_bytes(request.method.as_bytes())?;
        let mut req = self.client.request(method, url);
        for (k, v) in &request.headers {
            req = req.header(k, v);
        }
        if let Some(body) = request.body {
            req = req.body(body);
        }
        let response = req.send().await?;
        let status_code = response.status().as_u16();
        let body = response.bytes().await?.to_vec();
        Ok(HttpResponse { status_code, body })
    }
}

#[cfg(test)]
mod tests {
    use super::loopback_url;

    #[test]
    fn only_loopback_hosts_are_fetched() {
        assert_eq!(
            loopback_url("https://127.0.0.1:4000/mms/image/x?auth=1").as_deref(),
            Some("http://127.0.0.1:4000/mms/image/x?auth=1")
        );
        assert_eq!(loopback_url("https://mmg.whatsapp.net/v/t62/x"), None);
        assert_eq!(loopback_url("https://127.0.0.1.evil.example/x"), None);
        assert_eq!(loopback_url("ftp://127.0.0.1/x"), None);
    }
}

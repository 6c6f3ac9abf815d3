"""Media: uploads from a path, base64 and a local URL (streamed, 100 MB limit, only
from allowed folders), metadata, sending, and downloads inline or by signed URL."""
import base64
import hashlib
import http.server
import os
import threading

import anyio
import httpx2
import pytest

import media_files
from client import eventually, streamable
from sandbox import ECHO, synced

pytestmark = pytest.mark.anyio


@pytest.fixture
def local_site(tmp_path):
    """A web server on this machine serving tmp_path."""
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path), **k)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


async def test_upload_probe_send_download(server, tmp_path, local_site):
    picture = tmp_path / "sunset.png"
    picture.write_bytes(media_files.png(320, 200))
    voice = tmp_path / "note.wav"
    voice.write_bytes(media_files.wav(2.5))
    (tmp_path / "doc.pdf").write_bytes(media_files.pdf())
    async with streamable(server.url, server.key) as agent:
        await synced(agent)
        img = (await agent.call("upload_media", {"path": str(picture)}))["media"]
        assert img["mime"] == "image/png" and (img["width"], img["height"]) == (320, 200)
        assert img["size"] == picture.stat().st_size and img["sha256"] == hashlib.sha256(picture.read_bytes()).hexdigest()
        assert img["file_name"] == "sunset.png"
        audio = (await agent.call("upload_media", {"base64": base64.b64encode(voice.read_bytes()).decode(), "file_name": "note.wav"}))["media"]
        assert audio["mime"].startswith("audio/") and abs(audio["duration_s"] - 2.5) < 0.01
        doc = (await agent.call("upload_media", {"url": f"{local_site}/doc.pdf"}))["media"]
        assert doc["mime"] == "application/pdf" and doc["file_name"] == "doc.pdf"
        meta = (await agent.call("get_media_metadata", {"media_id": img["id"]}))["media"]
        assert meta == img

        sent = (await agent.call("send_message", {"chat": ECHO, "media_id": img["id"], "caption": "look"}))["message"]
        assert sent["type"] == "image" and sent["text"] == "look" and sent["media"]["id"] == img["id"]
        vn = (await agent.call("send_message", {"chat": ECHO, "media_id": audio["id"], "voice_note": True}))["message"]
        assert vn["type"] == "audio" and vn["media"]["voice_note"]
        d = (await agent.call("send_message", {"chat": ECHO, "media_id": doc["id"], "file_name": "contract.pdf"}))["message"]
        assert d["type"] == "document" and d["media"]["file_name"] == "contract.pdf"
        # Echo Bot sends the picture back: the received message carries the media.
        async def echoed():
            msgs = (await agent.call("list_messages", {"chat": ECHO, "after": sent["id"]}))["messages"]
            return next((m for m in msgs if m["type"] == "image" and not m.get("from_me")), None)
        back = await eventually(echoed)
        assert back["media"]["mime"] == "image/png"

        # Downloads: a small picture comes back as image content.
        raw = await agent.call_raw("download_media", {"message_id": sent["id"]})
        image = next(c for c in raw.content if c.type == "image")
        assert base64.b64decode(image.data) == picture.read_bytes()
        res = await agent.call_raw("download_media", {"media_id": doc["id"], "as": "resource"})
        blob = next(c for c in res.content if c.type == "resource")
        assert base64.b64decode(blob.resource.blob) == media_files.pdf()
        link = await agent.call("download_media", {"media_id": img["id"], "as": "url"})
        async with httpx2.AsyncClient() as http:
            r = await http.get(link["url"])
            assert r.status_code == 200 and r.content == picture.read_bytes()
            assert r.headers["content-type"] == "image/png"
            tampered = link["url"].replace(link["url"][-4:], "0000" if not link["url"].endswith("0000") else "1111")
            assert (await http.get(tampered)).status_code == 403
            other = link["url"].replace(img["id"], doc["id"])
            assert (await http.get(other)).status_code == 403
            longer = link["url"].replace("exp=", "exp=9")
            assert (await http.get(longer)).status_code == 403
            assert (await http.get(link["url"].split("?")[0])).status_code == 403

        # History media is fetched from WhatsApp on first use, then kept.
        hist = None
        for chat in (await agent.call("list_chats", {"kind": "direct", "limit": 50}))["chats"]:
            msgs = (await agent.call("list_messages", {"chat": chat["id"], "limit": 200}))["messages"]
            hist = next((m for m in msgs if m["type"] == "image"), None)
            if hist:
                break
        assert hist and "id" not in hist["media"]
        got = await agent.call("get_media_metadata", {"message_id": hist["id"]})
        assert got["media"]["mime"] == "image/png" and got["media"]["width"] == 640
        assert (await agent.call("get_message", {"message_id": hist["id"]}))["message"]["media"]["id"] == got["media"]["id"]


async def test_expired_link_is_gone(server, tmp_path):
    assert server.cli("settings", "set", "media_url_valid_ms", "1").returncode == 0
    f = tmp_path / "x.png"
    f.write_bytes(media_files.png(10, 10))
    async with streamable(server.url, server.key) as agent:
        m = (await agent.call("upload_media", {"path": str(f)}))["media"]
        link = await agent.call("download_media", {"media_id": m["id"], "as": "url"})
    await anyio.sleep(0.01)  # links now live 1 ms
    async with httpx2.AsyncClient() as http:
        assert (await http.get(link["url"])).status_code == 410


async def test_limits_and_where_uploads_may_come_from(server, tmp_path, local_site):
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:
        f.truncate(100 * 1024 * 1024 + 1)
    secret_dir = tmp_path / ".ssh"
    secret_dir.mkdir()
    (secret_dir / "id_ed25519").write_text("-----BEGIN OPENSSH PRIVATE KEY-----")
    link = tmp_path / "innocent.txt"
    os.symlink("/etc/hostname", link)
    (tmp_path / "empty.txt").write_text("")
    async with streamable(server.url, server.key) as agent:
        too_big = await agent.error("upload_media", {"path": str(big)})
        assert too_big["code"] == "media_too_large" and too_big["status"] == 413
        assert (await agent.error("upload_media", {"url": f"{local_site}/big.bin"}))["code"] == "media_too_large"
        outside = await agent.error("upload_media", {"path": "/etc/passwd"})
        assert outside["code"] == "forbidden"
        assert str(tmp_path) not in outside["message"], "the upload folders are not named to agents"
        assert (await agent.error("upload_media", {"path": str(secret_dir / "id_ed25519")}))["code"] == "forbidden"
        assert (await agent.error("upload_media", {"path": str(link)}))["code"] == "forbidden", "symlinks resolve first"
        traversal = str(tmp_path) + "/.." * 12 + "/etc/passwd"
        assert (await agent.error("upload_media", {"path": traversal}))["code"] == "forbidden"
        assert "path" in (await agent.error("upload_media", {"path": "relative/file.png"}))["fields"]
        assert "path" in (await agent.error("upload_media", {"path": str(tmp_path / "missing.png")}))["fields"]
        assert (await agent.error("upload_media", {"path": str(tmp_path / "empty.txt")}))["code"] == "invalid_request"
        assert (await agent.error("upload_media", {"url": "http://example.com/x.png"}))["code"] == "forbidden"
        assert (await agent.error("upload_media", {"url": "file:///etc/passwd"}))["code"] == "forbidden"
        assert "base64" in (await agent.error("upload_media", {"base64": "%%% not base64"}))["fields"]
        assert "path" in (await agent.error("upload_media", {"path": str(big), "base64": "AA=="}))["fields"]
        assert (await agent.error("download_media", {"media_id": "med_0000000000000000"}))["code"] == "not_found"
    # Failed uploads leave nothing behind.
    out = server.cli("settings", "list")
    assert out.returncode == 0

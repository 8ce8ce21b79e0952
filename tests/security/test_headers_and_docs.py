"""Issue 16, finding 6: no security headers (CSP, X-Frame-Options, nosniff, HSTS behind TLS),
``cors_origins`` defined but unused, ``/docs`` public in production. Now every response carries
the headers (HSTS on HTTPS only), CORS follows the setting, and production serves no OpenAPI
document or pages unless ``NORIAI_PUBLIC_DOCS`` enables them."""

from __future__ import annotations

from tests.api.conftest import make_client
from tests.security.conftest import client, production


def test_every_response_has_security_headers(tmp_path, clock):
    with make_client(f"sqlite:///{tmp_path / 'h.db'}", tmp_path, clock) as c:
        for path in ("/health", "/rider/", "/driver/", "/api/v1/stops", "/no-such-page"):
            r = c.get(path)
            h = r.headers
            assert "default-src 'self'" in h["content-security-policy"], path
            assert "frame-ancestors 'none'" in h["content-security-policy"]
            assert "'unsafe-inline'" not in h["content-security-policy"]
            assert h["x-frame-options"] == "DENY"
            assert h["x-content-type-options"] == "nosniff"
            assert h["referrer-policy"] == "no-referrer"
            assert "strict-transport-security" not in h  # plain HTTP: no HSTS
        https = c.get("/health", headers={"X-Forwarded-Proto": "https"})
        assert "strict-transport-security" not in https.headers  # not from an untrusted header
        secure = c.get("https://testserver/health")
        assert secure.headers["strict-transport-security"].startswith("max-age=")


def test_cors_follows_the_setting(tmp_path, clock):
    origin = "https://console.example.jp"
    settings = production(f"sqlite:///{tmp_path / 'c.db'}", tmp_path, cors_origins=[origin])
    with client(settings, clock) as c:
        pre = {"Origin": origin, "Access-Control-Request-Method": "POST",
               "Access-Control-Request-Headers": "authorization,content-type"}
        ok = c.options("/api/v1/auth/login", headers=pre)
        assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == origin
        other = c.options("/api/v1/auth/login",
                          headers={**pre, "Origin": "https://evil.example.com"})
        assert other.headers.get("access-control-allow-origin") is None
        r = c.get("/health", headers={"Origin": origin})
        assert r.headers["access-control-allow-origin"] == origin


def test_docs_are_off_in_production_unless_enabled(tmp_path, clock):
    db = f"sqlite:///{tmp_path / 'd.db'}"
    with client(production(db, tmp_path), clock) as c:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert c.get(path).status_code == 404, path
        assert c.get("/health").status_code == 200
    with client(production(db, tmp_path, public_docs=True), clock) as c:
        assert c.get("/openapi.json").status_code == 200
        docs = c.get("/docs")
        assert docs.status_code == 200 and "cdn.jsdelivr.net" in docs.headers[
            "content-security-policy"]
    with make_client(f"sqlite:///{tmp_path / 'dev.db'}", tmp_path, clock) as c:
        assert c.get("/openapi.json").status_code == 200  # development keeps them

#!/usr/bin/env python3
"""Writes the hand-made part of the seed corpus (corpus/<target>/NAME); the RESP captures come
from capture-resp.py and the Golden/replies files. Run from this directory; deterministic."""
import base64, hashlib, hmac, json, os, shutil

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")

def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

# The fuzz fixture's test key and rules (Sources/Fuzz/AuthFixture.swift).
SECRET = b"fuzz-test-hmac-secret-not-a-real-one-0123456789abcdefghijklmnopq"
TOKEN = "fuzz-static-token-0123456789"

for i, url in enumerate([
    "redis://localhost:6380/0", "redis://localhost:6379", "redis://user:s3cret@redis.internal:6380/2",
    "redis://:p%40ss%3Aword@10.0.0.5:6379/15", "rediss://redis.example.com:6380/0", "rediss://[::1]:6379/1",
    "redis://[fe80::1%25eth0]:7000", "unix:///var/run/redis/redis.sock?db=3&password=pw&username=app",
    "unix:///tmp/redis.sock", "redis://127.0.0.1:7001,redis://127.0.0.1:7002,redis://127.0.0.1:7003",
    "127.0.0.1:9840", "[::]:9840", ":9840", "redis://host:65535/0", "redis://host:0",
]):
    put("redis-url", f"url-{i:02d}", url)

for d in ["500ms", "5s", "1m30s", "2h", "1d", "1w", "1y", "0", "1.5h", "100us", "10µs", "1ns", "292y",
          "2562047h47m16s854ms", "0.001s", "10ms", "5m", "1h2m3s4ms5us6ns"]:
    put("duration", "d-" + hashlib.sha1(d.encode()).hexdigest()[:8], d)

def argv(*args):
    return "\0".join(args)
for i, a in enumerate([
    argv("--redis.url", "redis://localhost:6380/0", "--streams", "events:chat,events:ticket", "--consumer-group", "signalr-consumers"),
    argv("--redis.url", "redis://127.0.0.1:7001", "--redis.url", "redis://127.0.0.1:7002", "--redis.cluster", "true"),
    argv("--redis.url", "redis://127.0.0.1:26379", "--redis.sentinel.master", "mymaster", "--redis.timeout", "500ms"),
    argv("--redis.url", "rediss://redis.example.com:6380", "--redis.tls.server-name", "redis.example.com", "--redis.tls.insecure-skip-verify"),
    argv("--streams.pattern", "events:*", "--streams.exclude", "events:tmp:*", "--streams.max", "1000", "--streams.discovery-interval", "30s"),
    argv("--consumer-group", "*", "--lag.window", "5m", "--poll.interval", "10ms", "--lag.degraded-threshold", "100",
         "--lag.unhealthy-threshold", "1000", "--lag.count-limit", "10000", "--lag.stall-after", "5m", "--consumers.max-per-group", "0"),
    argv("--web.listen-address", "0.0.0.0:9840", "--web.listen-address", "[::1]:9841", "--web.telemetry-path", "/metrics",
         "--web.max-connections", "512", "--web.disable-auth"),
    argv("--auth.bearer-tokens-file", "tokens", "--auth.jwt.issuer", "https://issuer", "--auth.jwt.audience", "prometheus",
         "--web.config.file", "web.yml"),
    argv("--log.level", "debug", "--log.format", "json"),
    argv("--help"),
    argv("--poll.interval", "1x"),
]):
    put("flags", f"argv-{i:02d}", a)

def jwt(header, claims, key=SECRET, digest=hashlib.sha256):
    signing = b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + b64url(json.dumps(claims, separators=(",", ":")).encode())
    return signing + "." + b64url(hmac.new(key, signing.encode(), digest).digest())

good = {"exp": 4102444800, "iss": "fuzz-issuer", "aud": "fuzz-audience", "sub": "scraper"}
for i, h in enumerate([
    "Bearer " + TOKEN, "bearer\t" + TOKEN, "Basic " + base64.b64encode(b"fuzz:fuzz-password").decode(),
    "Basic " + base64.b64encode(b"fuzz:wrong").decode(), "Basic Zm9vOmJhcg==", "Basic", "Bearer", "",
    "Digest username=\"fuzz\"", "Bearer " + jwt({"alg": "HS256", "typ": "JWT"}, good),
    "Bearer " + jwt({"alg": "HS512", "typ": "JWT", "kid": "k1"}, good, digest=hashlib.sha512),
    "Bearer " + jwt({"alg": "HS256", "typ": "JWT"}, {**good, "exp": 1000}),
    "Bearer eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.",
]):
    put("authorization", f"header-{i:02d}", h)

def jwtseed(header, claims):
    return json.dumps(header).encode() + b"\0" + json.dumps(claims).encode()
for i, s in enumerate([
    jwtseed({"alg": "HS256", "typ": "JWT"}, good),
    jwtseed({"alg": "HS384", "typ": "JWT"}, {**good, "aud": ["other", "fuzz-audience"], "nbf": 1700000000}),
    jwtseed({"alg": "HS512", "kid": "k1"}, {**good, "exp": 4102444800.5}),
    jwtseed({"alg": "HS256", "crit": ["b64"], "b64": False}, good),
    jwtseed({"alg": "none"}, good),
    jwtseed({"alg": "RS256"}, good),
    jwtseed({"alg": "HS256"}, {"iss": "fuzz-issuer", "aud": "fuzz-audience"}),
    jwtseed({"alg": "HS256"}, {**good, "exp": "4102444800"}),
    json.dumps(good).encode(),
]):
    put("jwt", f"jwt-{i:02d}", s)

HASH = "$2y$10$abcdefghijklmnopqrstuuVLNdsYMkUNZkQhPqk0ZAZyuq2Tk7a8W"
for i, y in enumerate([
    f"basic_auth_users:\n  prometheus: {HASH}\n  grafana: '{HASH}'\n",
    "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n",
    "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.pem\n",
    "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  min_version: TLS12\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n"
    f"http_server_config:\n  http2: false\nbasic_auth_users:\n  a: {HASH}\n",
    "# only a comment\n",
    "tls_server_config: ~\nbasic_auth_users: {}\n",
    "basic_auth_user:\n  typo: x\n",
    "{tls_server_config: {cert_file: cert.pem, key_file: key.pem, client_auth_type: VerifyClientCertIfGiven, client_ca_file: ca.pem}}\n",
    "basic_auth_users:\n  &a x: *a\n",
]):
    put("web-config", f"web-{i:02d}.yml", y)

for i, h in enumerate([
    "GET\n/metrics\napplication/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\ngzip",
    "GET\n/metrics\n*/*\ngzip, deflate, br",
    "HEAD\n/metrics\ntext/plain;version=0.0.4\nidentity",
    "GET\n/api/v1/events/consumer-lag\napplication/json\ngzip;q=0, *;q=1",
    "GET\n/api/v1/events/streams\ntext/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\ngzip;q=1.0, x-gzip;q=0.5",
    "GET\n/api/v1/events/health", "GET\n/-/healthy", "GET\n/-/ready", "GET\n/",
    "POST\n/metrics", "OPTIONS\n*", "GET\n/../../etc/passwd", "GET\n//metrics\n\n", "GET\n/metrics/\nTEXT/PLAIN;Q=NaN\n*;q=1e999",
]):
    put("http", f"req-{i:02d}", h)

# The collector's input is a stream of choices (Sources/Fuzz/HostileRedis.swift): all zeros is
# a well-behaved Redis; the others lean on extremes, wrong types and many groups.
for i, s in enumerate([bytes(64), bytes([1] * 128), bytes([2, 3] * 96), bytes(range(256)), bytes([0xF0, 4, 0xF4, 1] * 32),
                       bytes([4, 1, 2, 3, 3, 9] * 50)]):
    put("collector", f"choices-{i:02d}", s)

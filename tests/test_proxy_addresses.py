"""Behind a proxy, rate limits key on the real client, and a client cannot forge its address."""

from .conftest import _fresh_schema, make_app


def code_requests(client, forwarded_for: str, phones) -> list[int]:
    return [client.post("/api/v1/phone-verifications", json={"phone": phone},
                        headers={"X-Forwarded-For": forwarded_for}).status_code
            for phone in phones]


def test_limits_follow_the_address_the_one_trusted_proxy_saw(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'p.db'}", PROXY_COUNT=1,
                   API_CODE_LIMIT_PER_IP="2 per hour")
    _fresh_schema(app)
    client = app.test_client()
    phones = [f"+86139{n:08d}" for n in range(10)]
    assert code_requests(client, "203.0.113.7", phones[:3]) == [201, 201, 429]
    assert code_requests(client, "198.51.100.9", phones[3:5]) == [201, 201]
    # A forged first hop is ignored: the proxy appends the real address, and we trust one hop.
    assert code_requests(client, "10.9.9.9, 203.0.113.7", phones[5:6]) == [429]


def test_without_a_proxy_the_forwarded_header_is_ignored(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'p.db'}", API_CODE_LIMIT_PER_IP="2 per hour")
    _fresh_schema(app)
    client = app.test_client()
    phones = [f"+86139{n:08d}" for n in range(3)]
    assert [client.post("/api/v1/phone-verifications", json={"phone": p},
                        headers={"X-Forwarded-For": f"192.0.2.{i}"}).status_code
            for i, p in enumerate(phones)] == [201, 201, 429]

"""Hypothesis strategies for hostile input, shared by the fuzz tests (tests/test_fuzz_*.py)."""

from __future__ import annotations

from hypothesis import strategies as st

# Strings attackers and unlucky users actually send.
NASTY_STRINGS = [
    "", " ", "\t\n", "\x00", "\x00abc", "abc\x00", "\x1b[31m", "\r\n\r\nHTTP/1.1 200 OK",
    "' OR '1'='1", "'; DROP TABLE booking; --", "1; SELECT pg_sleep(5)", "\" OR \"\"=\"",
    "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "javascript:alert(1)",
    "{{7*7}}", "${7*7}", "%s%s%s%n", "../../etc/passwd", "%00", "%2e%2e%2f",
    "\u202egnp.exe", "\u200b", "\ufeff", "\ud800", "a\udfffb", "🎉👰🤵", "👨‍👩‍👧‍👦", "Ｙｅｓ", "１３８１２３４５６７８",
    "١٢٣٤٥٦٧٨٩٠", "张伟 O'Brien Ивановна", "𠀀𪚥", "ǅ", "ﬀ", "\u0301\u0301\u0301",
    "+86 138 1234 5678", "+8613812345678" * 3, "00861381234567", "13812345678\n",
    "11010519491231002X", "11010519491231002x", "110105194912310021", "E12345678", "H12345678",
    "9" * 400, "A" * 5000, "张" * 2000, "NaN", "Infinity", "-1", "0", "1e309", "true", "null",
    "2026-02-30", "2026-13-01", "0000-00-00", "9999-12-31T23:59:59+14:00", "2026-11-24T25:00",
]

WRONG_TYPES = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2), st.binary(max_size=8),
)

# Any unicode (surrogates included), huge strings, control characters, the list above.
HOSTILE_TEXT = st.one_of(
    st.sampled_from(NASTY_STRINGS),
    st.text(max_size=60),
    st.text(st.characters(codec=None, categories=None, exclude_categories=()), max_size=30),
    st.text(st.characters(categories=("Cc", "Cf", "Zs", "Zl", "Zp")), max_size=20),
    st.text(alphabet="0123456789+- ()Xx", max_size=25),
    st.text(min_size=300, max_size=3000),
)

ANYTHING = st.one_of(HOSTILE_TEXT, WRONG_TYPES)

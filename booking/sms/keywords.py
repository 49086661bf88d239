"""How a reply is read: keywords, their Traditional forms, courtesy words and each route's
opt-out words. The rules, in order (docs/sms.md, "How a reply is read", says the same):

1. NFKC (full-width ＹＥＳ and １ become YES and 1; ① and 1️⃣ become 1), upper case, at most 160
   characters.
2. Traditional characters of the words below become Simplified (確認 → 确认, 幫助 → 帮助,
   退訂 → 退订, 謝謝 → 谢谢): HANT_TO_HANS, the characters our words need, nothing guessed.
3. Only letters and digits are kept: spaces, punctuation of any width, emoji and their
   modifiers go.
4. A booking reference of the sender ("1 ABCD2345") is taken out and names the booking.
5. Greetings in front (您好, 你好, HI, HELLO) and courtesy words after the keyword (谢谢, 好的,
   了, THANKS, PLEASE, OK …: COURTESY) are taken off, repeatedly.
6. What is left is looked up among the keywords of the route the reply came by: KEYWORDS, and
   OPT_OUT_WORDS[route]. Nothing left, or anything else, is "unknown" (the help answer).

Opt-out words: Twilio's standard words (STOP, CANCEL …; Twilio blocks our texts after them,
https://help.twilio.com/articles/223134027) and the Chinese words 退订 and 拒收 on every route; on
mainland routes (Alibaba Cloud uplinks) also the carriers' short codes TD, T and R, which
mainland texts conventionally offer ("回T退订"; the carriers block marketing senders on them).
Over Twilio, T and R are not opt-out words: Twilio does not block on them, and a lone letter
there is more likely a slip than a wish to hear nothing more.
"""

from __future__ import annotations

import unicodedata

from ..notify import texts

ROUTES = ("twilio", "aliyun")
KEYWORDS = {
    "1": "confirm", "Y": "confirm", "YES": "confirm", "确认": "confirm",
    "2": "cancel", "N": "cancel", "NO": "cancel", "取消": "cancel",
    "HELP": "help", "帮助": "help", "INFO": "help",
    "START": "start", "UNSTOP": "start",
}
OPT_IN_WORDS = ("START", "UNSTOP", "YES")  # Twilio lifts its block on these
CHINESE_OPT_OUT = ("退订", "拒收")
MAINLAND_CODES = ("TD", "T", "R")
OPT_OUT_WORDS = {
    "twilio": (*texts.OPT_OUT_WORDS, *CHINESE_OPT_OUT),
    "aliyun": (*texts.OPT_OUT_WORDS, *CHINESE_OPT_OUT, *MAINLAND_CODES),
}
# Word lists kept as one string each (split at import): data, not texts to translate.
HANT_TO_HANS = str.maketrans(dict(pair for pair in "確确 認认 幫帮 訂订 謝谢 煩烦 囉啰".split()))
GREETINGS = tuple("您好 你好 HELLO HI".split())
COURTESY = tuple(("麻烦您了 麻烦你了 麻烦了 辛苦了 谢谢您 谢谢你 谢谢 谢啦 多谢 感谢 好的 好 "
                  "了 啦 吧 哈 呀 哦 喔 嗯 噢 啰 "
                  "THANKYOU THANKS THANK THX TY PLEASE PLZ PLS OKAY OK").split())
LIMIT = 160


def letters_and_digits(body: str) -> str:
    """Rules 1 to 3: NFKC, upper case, Traditional forms of our words made Simplified, only
    letters and digits kept."""
    text = unicodedata.normalize("NFKC", body or "")[:LIMIT].upper().translate(HANT_TO_HANS)
    return "".join(c for c in text if unicodedata.category(c)[0] in "LN")


def is_traditional(body: str) -> bool:
    """Whether the reply uses a Traditional form of one of our words (a language hint)."""
    return (body or "").translate(HANT_TO_HANS) != (body or "")


def _strip_courtesy(text: str) -> str:
    """Rule 5: greetings in front and courtesy words behind taken off, until none is left."""
    changed = True
    while changed:
        changed = False
        for word in GREETINGS:
            if text.startswith(word) and len(text) > len(word):
                text, changed = text[len(word):], True
        for word in COURTESY:
            if text.endswith(word) and len(text) > len(word):
                text, changed = text[:-len(word)], True
    return "" if text in COURTESY or text in GREETINGS else text


def action_of(word: str, route: str) -> str:
    """The action of one cleaned word on `route`: confirm, cancel, help, start, stop,
    cancel_opt_out (CANCEL: cancels and opts out) or unknown."""
    if word in OPT_OUT_WORDS[route]:
        return "cancel_opt_out" if word == "CANCEL" else "stop"
    return KEYWORDS.get(word, "unknown")


def parse(body: str, references: list[str], route: str = "twilio") -> tuple[str, str, str | None]:
    """(action, keyword, reference named) of a reply that came by `route` (one of ROUTES); a
    reference named with nothing else asks for help about that booking."""
    text = letters_and_digits(body)
    named = next((ref for ref in references if ref in text), None)
    if named:
        text = text.replace(named, "", 1)
    word = _strip_courtesy(text)
    action = action_of(word, route)
    if action == "unknown" and named and not word:
        action = "help"
    return action, word, named

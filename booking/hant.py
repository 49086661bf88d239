"""Traditional Chinese drafted from Simplified: OpenCC's s2hk conversion, then the reviewed word
choices (docs/i18n.md says why s2hk, and what OpenCC gets wrong).

Used for the catalogues (booking/translations/hant.py) and for what staff type: a zh-Hant value
is drafted beside each Chinese field citizens read when it is saved, and stays editable.
"""

from __future__ import annotations

from functools import cache

import opencc

CONFIG = "s2hk"
# Reviewed word choices, applied in order to OpenCC's draft (as drafted -> ours). Usage common to
# Hong Kong, Macau and Taiwan readers; docs/i18n.md says why, and lists what OpenCC gets wrong.
WORDS = (
    # OpenCC's segmentation slips
    ("人蔘加", "人參加"), ("天后", "天後"), ("併發短信", "並發送短信"),
    # characters: the forms Taiwan and most Hong Kong print use, where s2hk picks a rarer variant
    ("温", "溫"), ("户", "戶"), ("羣眾", "市民"), ("羣", "群"), ("回復", "回覆"), ("啓", "啟"), ("峯", "峰"),
    ("“", "「"), ("”", "」"),
    # words: the mainland word -> the one readers in Hong Kong, Macau and Taiwan use
    ("短信", "短訊"), ("鏈接", "連結"), ("信息", "資料"), ("在線", "網上"), ("實時", "即時"),
    ("退出登錄", "登出"), ("登錄", "登入"), ("賬號", "帳號"), ("創建", "建立"), ("設置", "設定"),
    ("保存", "儲存"), ("搜索", "搜尋"), ("攝像頭", "鏡頭"), ("當前", "目前"), ("刷新", "重新載入"),
    ("服務器", "伺服器"), ("字符串", "字串"), ("字符", "字元"), ("字段", "欄位"), ("支持", "支援"),
    ("訪問令牌", "存取令牌"), ("對象數組", "物件陣列"), ("對象", "物件"), ("數組", "陣列"),
    ("無號源", "已無名額"), ("已辦結", "已完成"), ("辦結", "完成"), ("今日隊列", "今日排隊"),
)


def to_hant(text: str) -> str:
    """A draft: OpenCC's s2hk conversion, then the reviewed word choices."""
    draft = _converter().convert(text)
    for drafted, ours in WORDS:
        draft = draft.replace(drafted, ours)
    return draft


@cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC(CONFIG)

"""Rebuild the health pages' Chinese catalogue: extract the msgids, fill them from ZH, compile.

    .venv/bin/python booking/translations/health/update_catalogue.py

Fails (and writes nothing) when a msgid of the health pages has no Chinese here.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import write_po

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
METHODS = [("booking/web/health.py", "python"), ("templates/health/**.html", "jinja2")]

ZH = {
    "No": "否",
    "Yes": "是",
    "Green": "绿码",
    "Yellow": "黄码",
    "Red": "红码",
    "Please confirm that your answers are true.": "请确认以上信息属实。",
    "The form expired. Please send it again.": "页面已过期，请重新提交。",
    "Health declaration": "健康申报",
    "Health declaration: %(name)s": "健康申报：%(name)s",
    "All visitors": "全部办事人",
    "Some answers need attention.": "有几项需要修改，请查看标出的项目。",
    "In the last %(days)s days, did you have a fever (37.3 °C or more) or respiratory symptoms such as "
    "a cough?": "近 %(days)s 天内，您是否有发热（37.3 °C 及以上）或咳嗽等呼吸道症状？",
    "In the last %(days)s days, were you in a medium or high risk area?":
        "近 %(days)s 天内，您是否到过中、高风险地区？",
    "In the last %(days)s days, were you in contact with a confirmed or suspected case?":
        "近 %(days)s 天内，您是否接触过确诊或疑似病例？",
    "What colour is your health code now?": "您现在的健康码是什么颜色？",
    "Your temperature now (°C)": "您现在的体温（°C）",
    "Measure it today. Below %(limit)s °C passes.": "请当天测量。低于 %(limit)s °C 为正常。",
    "When was your last negative nucleic-acid test taken?": "您最近一次核酸检测阴性的采样时间",
    "This service needs a negative test taken within %(hours)s hours before the visit, that is after "
    "%(when)s. Leave it empty if you have none.":
        "本业务须持到场前 %(hours)s 小时内（即 %(when)s 之后）的核酸阴性结果。如没有，请留空。",
    "I confirm that these answers are true. False answers may break epidemic-prevention rules.":
        "本人承诺以上信息真实、准确。如有隐瞒或虚报，将承担相应责任。",
    "Send the declaration": "提交申报",
    "Only the staff of this office see your answers. They are deleted %(days)s days after the visit.":
        "您的回答仅本办理点工作人员可见，到场 %(days)s 天后删除。",
    "Your visit": "本次预约",
    "Reference": "预约编号",
    "Each visitor declares separately, and can correct it until they check in at the door.":
        "每位办事人分别申报，在门口签到前都可以修改。",
    "Everyone is cleared.": "全部办事人已通过。",
    "Show your booking reference at the door; your temperature is taken there too. Please wear a mask.":
        "到场时请出示预约编号，门口还会测量体温。请全程佩戴口罩。",
    "A visitor did not pass: move your visit for free": "有办事人未通过：可免费改约",
    "With this result the visitor cannot enter on the day. You can move the booking to a later day at "
    "no cost, or correct the declaration if an answer was wrong.":
        "按此结果，该办事人当天不能入场。您可以免费把预约改到以后的日期；如果填写有误，也可以修改申报。",
    "The office has been informed of the result.": "办理点已收到此结果。",
    "Days with room after your visit:": "之后仍有名额的日期：",
    "Move to a later day, free": "免费改约到以后的日期",
    "Visitors": "办事人",
    "Passed:": "通过：",
    "Not passed:": "未通过：",
    "Your booking moved to another time: please declare again for the new visit.":
        "预约时间已变更，请为新的时间重新申报。",
    "Correct the declaration": "修改申报",
    "Declare for %(name)s": "为%(name)s填写申报",
    "Back to your booking": "返回我的预约",
}


def extract() -> list[str]:
    """Every msgid of the health pages, in source order."""
    keywords = {**DEFAULT_KEYWORDS, "_l": None}
    found = []
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), METHODS, keywords=keywords):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid not in found:
            found.append(msgid)
    return found


def main() -> None:
    msgids = extract()
    missing = [m for m in msgids if m not in ZH]
    if missing:
        sys.exit("No Chinese for: " + "; ".join(missing))
    catalog = Catalog(locale="zh_Hans_CN", project="booking", charset="utf-8", fuzzy=False,
                      header_comment="# Chinese (Simplified) for the health-declaration pages. "
                                     "Made by update_catalogue.py.")
    for msgid in msgids:
        catalog.add(msgid, ZH[msgid])
    folder = HERE / "zh" / "LC_MESSAGES"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "messages.po", "wb") as out:
        write_po(out, catalog, width=100, omit_header=False)
    with open(folder / "messages.mo", "wb") as out:
        write_mo(out, catalog)


if __name__ == "__main__":
    main()

"""The features of a ticket's text, by feature set (a model version names its own, so it
replays as it decided):

1. character 1–3-grams of Chinese, words of English (and English word pairs);
2. set 1, plus jieba's words (``j:``) and word classes (``k:``): a device, money, safety,
   something stopped or showing nothing, something only partly or sometimes wrong, a
   question, a wish, many people affected. Character n-grams carry typos and unseen
   compounds (登陆 and 登录 share 登); words carry meaning across phrasings (输液泵 is
   one word, not 输液 and 液泵); the classes let a linear model learn "a device stopped"
   once for every device, including ones the corpus never named.
"""

from __future__ import annotations

import re
import unicodedata

from services.triage.classifier.words import segment

# Runs of CJK characters, and runs of Latin letters or digits.
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_WORD = re.compile(r"[a-z][a-z']*|\d+")
_EN_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "to",
        "of",
        "for",
        "and",
        "or",
        "in",
        "on",
        "at",
        "it",
        "my",
        "i",
        "me",
        "we",
        "our",
        "you",
        "your",
        "this",
        "that",
        "with",
        "has",
        "have",
        "had",
        "but",
        "so",
        "do",
        "does",
        "did",
    ]
)


def normalise(text: str) -> str:
    """Full-width forms folded (ＡＢＣ, ！), lower case."""
    return unicodedata.normalize("NFKC", text).lower()


# Word classes of feature set 2. Each is a pattern over the normalised text; a class
# present is one feature. Written from the seeds' priority definitions and everyday
# wording, not from any one held-out text.
WORD_CLASSES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        (
            "device",
            r"(机|器|仪|泵|表|灯|屏|柜|炉|灶|锅|箱|车|梯|闸|电脑|设备|终端|装置|pos|设施"
            r"|machine|device|printer|router|heater|pump|monitor|scanner|terminal)",
        ),
        (
            "system",
            r"(系统|平台|app|软件|网站|后台|页面|小程序|客户端|服务器|网银|官网|程序"
            r"|system|website|site|server|portal|platform)",
        ),
        (
            "money",
            r"(钱|款|费|元|块|扣|账户|转账|余额|刷卡|卡里|银行卡|信用卡|支付|付款|退款|收费|"
            r"charge|refund|money|paid|pay|bill|fee|\$|¥)",
        ),
        (
            "safety",
            r"(着火|起火|失火|火灾|火苗|火花|冒火|冒烟|烟雾|黑烟|焦味|焦糊|烧焦|烧坏|烧黑|烧了|烧起来"
            r"|烧着|爆炸|炸开|炸裂|漏电|触电|电到|电手|电麻|被电|煤气|燃气|天然气|气味|漏气|中毒"
            r"|受伤|烫伤|烧伤|流血|晕倒|昏迷|呼吸困难|抢救|被困|困在|困住|关着人|危险|救命|差点|险些"
            r"|fire|smok|burn|shock|gas|leak|injur|trapped|danger|explo)",
        ),
        (
            "stopped",
            r"(停了|停机|停止|停转|停摆|停电|断电|不走|不动|不转|不亮|黑屏|白屏|蓝屏|死机|宕"
            r"|瘫痪|崩|挂了|起不来|开不了机|开不开机|不显示|没显示|什么都不显示|什么都没有|啥也没有"
            r"|没有任何反应|没有任何显示|没反应|无反应"
            r"|反应都没有|没动静|没有动静|一点动静|失灵|罢工|趴窝|全停|停不下来|不起作用|失效|维护中"
            r"|stopped|dead|down|not working|won't|does nothing|blank|frozen|crash)",
        ),
        (
            "blocked",
            r"(不了|不上|不进|进不去|打不开|用不了|无法|没法|没办法|失败|报错|不成功|不能"
            r"|cannot|can't|can not|unable|fail|error|declin|locked)",
        ),
        (
            "partial",
            r"(偶尔|有时|有的时候|时不时|经常|老是|总是|越来越|有点|有些|稍微|不太|不够"
            r"|其他.{0,4}(正常|可以|能用)|别的.{0,4}(正常|可以|能用)|还能用|不影响"
            r"|sometimes|occasionally|a bit|slow|keeps)",
        ),
        (
            "question",
            r"(吗|呢|\?|请问|想问|问一下|问问|咨询|了解一下|怎么|如何|怎样|多少|多久|多长"
            r"|哪|是否|能不能|可不可以|有没有|是不是"
            r"|how|what|when|where|which|does|do you|can i|is there|\?)",
        ),
        (
            "wish",
            r"(建议|希望|如果能|要是能|最好能|能不能加|能否增加|增加一个|加一个|改进|优化"
            r"|suggest|would be nice|please add|wish|could you add|feature request)",
        ),
        (
            "wide",
            r"(全部|所有|整个|整条|整栋|整层|全校|全院|全市|全公司|全店|都不能|都用不|都没法|大家"
            r"|所有人|很多人|一百多|几十|上千|everyone|all (our|the)|whole|entire|nobody)",
        ),
        (
            "recent",
            r"(刚买|才买|买了才|新买|刚到|刚收到|收到.{0,4}就|用了(一|两|三|几)(天|周|个月)"
            r"|(一|两|三|几|十)(天|周|个星期|个月)就|just bought|brand new|weeks? ago)",
        ),
        (
            "delivery",
            r"(快递|物流|发货|配送|送货|包裹|签收|运单|到货|派送|揽收|中转|交期"
            r"|deliver|shipping|shipped|parcel|package|courier|tracking)",
        ),
        (
            "service",
            r"(态度|客服|服务员|店员|工作人员|师傅|老师|护士|医生|经理|销售|柜员|推来推去|没人管"
            r"|不耐烦|骂|敷衍|投诉|rude|agent|staff|complain|unacceptable)",
        ),
    )
)


def features(text: str, feature_set: int = 1) -> list[str]:
    """Distinct features of a text, in a stable order."""
    text = normalise(text)
    found: dict[str, None] = {}
    for run in _CJK_RUN.findall(text):
        padded = f"^{run}$"
        for n in (1, 2, 3):
            for i in range(len(padded) - n + 1):
                gram = padded[i : i + n]
                if gram not in ("^", "$"):
                    found[gram] = None
    words = [w for w in _WORD.findall(text) if w not in _EN_STOP]
    for i, word in enumerate(words):
        found["w:" + (word[:6] if not word.isdigit() else "#")] = None
        if i:
            found["w:" + words[i - 1][:6] + "_" + word[:6]] = None
    if feature_set >= 2:
        for word in segment(text):
            if len(word) > 1 and not word.isascii():
                found["j:" + word] = None
        for name, pattern in WORD_CLASSES:
            if pattern.search(text):
                found["k:" + name] = None
    return list(found)

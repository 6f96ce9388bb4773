"""What a week's tickets are about, in words a team lead trusts: stop words out, phrases
that name a problem kept whole (物流延迟, 无法启动), order numbers and fragments dropped,
and the synonyms of a complaint reason counted as one (快递 / 物流 / 配送延迟). No I/O but
jieba's dictionary files."""

from __future__ import annotations

import itertools
import re
import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

import jieba

from shared import segmentation

# Words that say nothing about the problem: greetings, pronouns, question and request
# words, time words, fillers (and the English ones of the bilingual channels).
_STOP_TEXT = """
    客户 您好 你好 请问 请教 咨询 一下 没有 什么 怎么 怎么办 怎样 如何 为什么 为何 哪里 哪个
    可以 可不可以 能否 能不能 是否 还是 已经 一直 问题 情况 时候 现在 今天 昨天 明天 这个 那个
    这些 那些 我们 你们 他们 我要 我想 想要 需要 希望 麻烦 帮忙 帮我 谢谢 感谢 请 您 我 你
    他 她 它 的 了 吗 呢 吧 啊 呀 还 又 就 都 也 很 太 非常 一个 一次 几天 三天 两天 多少
    之后 以后 然后 但是 而且 因为 所以 如果 还有 还没 一样 这样 那样 不是 就是 知道 告诉
    一点 有点 有没有 到底 怎么回事 老是 总是 突然 刚刚 刚才 马上 尽快 着急 急用 订单号 单号
    订单 请求 办理 合适 开始 早上 中午 下午 说完 更新 不到 一号 两次 三次 几次 五天 一晚上 里面 太久
    hello hi please thanks thank you the a an is are was were be to of and or in on for
    my me i we it this that with can cannot can't not no yes how what why when want
    wanted very after before since still get got been have has had do does did just
    would could should will there their they them from into about some any again
    also only your our his her its than then once order orders account today says said
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())
# Words that name no problem in a phrase ("投诉服务态度" is 服务态度, "增加夜间模式" is
# 夜间模式), nor alone.
WEAK_WORDS = frozenset(
    [
        "投诉",
        "建议",
        "增加",
        "申请",
        "提示",
        "反馈",
        "出现",
        "显示",
        "收到",
        "几次",
        "商品",
        "看着",
        "晚上",
        "应用",
        "用户",
        "产品",
        "东西",
        # What survey comments say of any ticket ("处理很及时", "问题解决了").
        "处理",
        "解决",
        "及时",
    ]
)
# Words that turn the next one into a problem ("无法" + "启动" is 无法启动).
NEGATIONS = frozenset(("无法", "不能", "没法", "不了", "未能", "不到", "没能"))
_CJK = re.compile(r"[\u4e00-\u9fff]")
# Characters that, inside a compound, only carry the filler around them (怎么 + 用).
_FILLER_CHARACTERS = frozenset("用要想能会是有在给让把被得着过下上个做办弄")
# A count or a span written in Chinese numerals (三次, 五天, 一号, 一晚上): no problem named.
_COUNTED = re.compile(r"^[零一二两三四五六七八九十百千几]+(天|次|号|个|周|月|年|晚上?|小时|分钟)?$")
_WORD = re.compile(r"^[A-Za-z][A-Za-z'-]{3,}$")
PHRASE_MIN_TEXTS = 2  # a phrase must recur to be one

# Analytics' own tokenizer over the small dictionary and the service words (jieba's global
# one would cost ~60 MiB more, and its TF-IDF module ~95), made on first use; reports teach
# it the rules' and synonyms' terms, and one lock guards it, since jieba's tokenizer is not
# safe to grow while another thread cuts.
_jieba_lock = threading.Lock()


@lru_cache(maxsize=1)
def _tokenizer() -> jieba.Tokenizer:
    return segmentation.tokenizer(service_words=True)


def meaningful(word: str, stop_words: frozenset[str] = STOP_WORDS) -> bool:
    """A token that can name a problem: not a stop word, no digits (order numbers such as
    DD202611…), two characters or more, Chinese or an English word, and not only filler
    joined up (a rule's keyword 希望增加 is 希望 + 增加)."""
    word = word.strip()
    if len(word) < 2 or word.lower() in stop_words or word in WEAK_WORDS:
        return False
    if any(ch.isdigit() for ch in word):
        return False
    if _CJK.search(word) and (_only_filler(word, stop_words) or _COUNTED.match(word)):
        return False
    return bool(_CJK.search(word)) or bool(_WORD.match(word))


def _only_filler(word: str, stop_words: frozenset[str]) -> bool:
    """Whether ``word`` splits wholly into stop and weak words."""
    filler = stop_words | WEAK_WORDS | _FILLER_CHARACTERS
    ends = {0}
    for end in range(1, len(word) + 1):
        if any(start in ends and word[start:end] in filler for start in range(end)):
            ends.add(end)
    return len(word) in ends


def subject_phrase(subject: str | None) -> str | None:
    """The first phrase of a subject that names a problem (会员积分怎么用 → 会员积分); a
    word among others is too little to name the issue by (请问七天无理由退货怎么办理)."""
    words = tokens(subject or "")
    found = phrases_of(words)
    if found:
        return found[0]
    # One telling word and filler around it (换货请求 → 换货); several: no one of them.
    telling = [w for w in words if meaningful(w)]
    return telling[0] if len(telling) == 1 else None


def tokens(text: str) -> list[str]:
    """jieba's words of ``text`` from its dictionary only (no HMM guesses such as 天无)."""
    with _jieba_lock:
        return [t.strip() for t in _tokenizer().cut(text, HMM=False) if t.strip()]


def phrases_of(words: Sequence[str]) -> list[str]:
    """The terms of one text that name a problem: a dictionary word of four characters or
    more (物流延迟, 账户被锁定), or two neighbouring words that do so together: a negation
    and what fails (无法 启动) or two meaningful words (订单 取消); at most six characters,
    and never the tail of a longer word jieba split (无 理由 退货 gives no 理由退货)."""
    found = [w for w in words if len(w) >= 4 and _CJK.search(w) and meaningful(w)]
    for i, (first, second) in enumerate(itertools.pairwise(words)):
        joined = first + second
        if not (_CJK.search(first) and _CJK.search(second)) or len(joined) > 6:
            continue
        if i > 0 and len(words[i - 1]) == 1 and _CJK.search(words[i - 1]):
            continue  # a single character before: part of a longer expression
        if (first in NEGATIONS and meaningful(second)) or (
            meaningful(first) and meaningful(second)
        ):
            found.append(joined)
    return found


def in_dictionary(word: str) -> bool:
    """An English word, or a Chinese one jieba knows (TF-IDF also scores the HMM's guesses,
    such as 天无 out of 三天无人处理)."""
    if not _CJK.search(word):
        return True
    with _jieba_lock:
        _tokenizer().check_initialized()
        return bool(_tokenizer().FREQ.get(word))


def add_words(words: Iterable[str]) -> None:
    """Teach jieba the terms the rules and the synonym table use, so they stay whole."""
    with _jieba_lock:
        for word in words:
            if word and _CJK.search(word):
                _tokenizer().add_word(word)


def tfidf_weights(texts: Sequence[str], top: int) -> list[dict[str, float]]:
    """For each of ``texts``, its ``top`` words by jieba's TF-IDF (word → weight)."""
    with _jieba_lock:
        return [dict(w) for w in segmentation.keyword_weights(_tokenizer(), texts, top)]


def extract(
    texts: Sequence[str], top: int, weights: Mapping[str, float]
) -> list[tuple[str, float]]:
    """The week's terms, best first: recurring phrases by how many texts carry them, then
    single words by their TF-IDF ``weights`` (jieba.analyse) when no phrase already holds
    them. Each weight is the share of texts (phrases) or the TF-IDF weight (words)."""
    seen_in: Counter[str] = Counter()
    for text in texts:
        seen_in.update(set(phrases_of(tokens(text))))
    floor = max(PHRASE_MIN_TEXTS, len(texts) // 100)
    kept: list[tuple[str, int]] = []
    for phrase, n in sorted(seen_in.items(), key=lambda item: (-item[1], len(item[0]))):
        # The shorter phrase is the problem; a longer one holding it adds a word.
        if n >= floor and not any(k in phrase or phrase in k for k, _ in kept):
            kept.append((phrase, n))
    out: list[tuple[str, float]] = [(p, round(n / max(len(texts), 1), 4)) for p, n in kept[:top]]
    for word, weight in sorted(weights.items(), key=lambda item: -item[1]):
        if len(out) >= top:
            break
        if meaningful(word) and in_dictionary(word) and not any(word in p for p, _ in out):
            out.append((word, round(weight, 4)))
    return out


def reason_of(
    texts: Iterable[str | None],
    synonyms: Mapping[str, str],
    keywords: Sequence[str] | None,
) -> str | None:
    """The reason a ticket names: the synonym table's reason for the longest term found in
    its texts (快递, 物流 and 配送延迟 are all 物流延迟), else its first meaningful keyword."""
    joined = " ".join(t for t in texts if t)
    for term in sorted(synonyms, key=len, reverse=True):
        if term and term in joined:
            return synonyms[term]
    for keyword in keywords or ():
        if meaningful(str(keyword)):
            return synonyms.get(str(keyword), str(keyword))
    return None


# The reasons complaints group into until an admin edits the table (PUT
# /v1/reports/synonyms): reason → the terms customers use for it.
DEFAULT_SYNONYMS: dict[str, tuple[str, ...]] = {
    "物流延迟": (
        "物流延迟",
        "物流延误",
        "快递延迟",
        "配送延迟",
        "快递",
        "物流",
        "配送",
        "还没到",
        "没收到",
        "未发货",
        "没发货",
        "发货慢",
    ),
    "退款问题": ("退款", "没退款", "退款慢", "退钱", "扣款", "多扣"),
    "服务态度": ("态度", "服务态度", "不耐烦", "骂人", "敷衍"),
    "产品质量": ("质量", "质量问题", "坏了", "破损", "损坏", "次品"),
    "无法启动": ("无法启动", "不能启动", "无法开机", "不能开机", "开不了机", "启动不了"),
    "账号登录": ("无法登录", "登录不了", "登不进去", "密码错误", "账号锁定", "账户被锁定"),
    "发票问题": ("发票", "开票"),
    "支付异常": ("未支付", "支付失败", "付款失败", "扣了钱", "扣钱"),
}


def synonym_index(table: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """term → reason (each reason is its own term too)."""
    index: dict[str, str] = {}
    for reason, terms in table.items():
        index[reason] = reason
        for term in terms:
            index[term] = reason
    return index

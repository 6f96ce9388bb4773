"""The shared segmentation: its TF-IDF is jieba.analyse's to the last bit, and a report's
keywords load neither jieba's full dictionary nor jieba.analyse (about 155 MiB together,
which would put analytics over 150 MiB resident)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from shared import segmentation

TEXT = (
    "快递三天了还没到，物流一直不更新，客服也不回复。\n"
    "APP 登录不了，验证码收不到，密码重置也失败。\n"
    "会员积分怎么用？积分兑换的商品什么时候发货？the order is late"
)


def test_keyword_weights_equal_jieba_analyse_with_the_same_tokenizer() -> None:
    import jieba.analyse

    texts = TEXT.split("\n")
    mine = segmentation.keyword_weights(jieba.dt, [TEXT, *texts], 20)
    theirs = [jieba.analyse.extract_tags(t, topK=20, withWeight=True) for t in [TEXT, *texts]]
    assert mine == theirs
    assert len(mine[0]) == 20


def test_words_jieba_does_not_weigh_get_the_median_of_its_whole_table() -> None:
    import jieba.analyse

    words = segmentation.tokenizer()
    words.add_word("喵喵喵喵")
    (weights,) = segmentation.keyword_weights(words, ["喵喵喵喵 物流"], 5)
    table = jieba.analyse.default_tfidf
    assert dict(weights) == {
        "喵喵喵喵": table.median_idf / 2,
        "物流": table.idf_freq["物流"] / 2,
    }


def test_a_report_reads_keywords_without_jiebas_global_dictionary_or_analyse() -> None:
    script = textwrap.dedent(
        """
        import sys
        from types import SimpleNamespace
        import jieba
        from services.analytics import reports
        rows = [
            SimpleNamespace(category="complaint", subject="物流延迟", description=d,
                            survey_comment=None, keywords=["物流延迟"])
            for d in ("快递三天了还没到，物流延迟", "物流延迟，快递一直不更新", "还没到货")
        ]
        gathered = reports.KeywordTexts({"物流延迟": "物流延迟"})
        for row in rows:
            gathered.add(row)
        found = gathered.keywords()
        words = [k.word for k in found[0].keywords]
        assert "物流延迟" in words, words
        print("analyse" if "jieba.analyse" in sys.modules else "-",
              "global" if jieba.dt.initialized else "-")
        """
    )
    ran = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert ran.stdout.split() == ["-", "-"], ran.stdout + ran.stderr

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


def test_keyword_weights_equal_jieba_analyse_on_the_same_dictionary_and_table() -> None:
    import jieba.analyse

    table = jieba.analyse.default_tfidf
    idf = segmentation.InverseFrequencies(dict(table.idf_freq), table.median_idf)
    mine = segmentation.keyword_weights(jieba.dt, TEXT, 20, idf)
    assert mine == jieba.analyse.extract_tags(TEXT, topK=20, withWeight=True)
    assert len(mine) == 20


def test_the_small_table_keeps_the_dictionary_words_and_the_whole_tables_median() -> None:
    import jieba.analyse

    words = segmentation.tokenizer()
    small = segmentation.inverse_frequencies(words)
    full = jieba.analyse.default_tfidf
    assert small.median == full.median_idf
    assert 50_000 < len(small.weights) < len(full.idf_freq) / 4
    assert small.weights["物流"] == full.idf_freq["物流"]
    assert all(words.FREQ.get(w) for w in list(small.weights)[:1000])


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
        found = reports.keywords_by_category(rows, {"物流延迟": "物流延迟"})
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

"""Rich text keeps the allowed government formatting and loses everything that can run code."""

from __future__ import annotations

import pytest

from web.forms.sanitize import clean_rich_text


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("<p>正文<script>alert(1)</script></p>", "<p>正文</p>"),
        ("<p onclick=\"steal()\" onmouseover='x'>内容</p>", "<p>内容</p>"),
        ('<a href="javascript:alert(1)">链接</a>', '<a rel="noopener noreferrer">链接</a>'),
        ('<a href=" JaVaScRiPt:alert(1)">链接</a>', '<a rel="noopener noreferrer">链接</a>'),
        ('<img src="x" onerror="alert(1)">', ""),
        ('<svg onload="alert(1)"><circle/></svg>文字', "文字"),
        ('<iframe src="https://evil.example"></iframe>正文', "正文"),
        ("<style>p{display:none}</style><h3>一、总体要求</h3>", "<h3>一、总体要求</h3>"),
        ('<p style="color:red" class="indent evil">段落</p>', '<p class="indent">段落</p>'),
        ('<span class="text-bold" style="x">重点</span>', '<span class="text-bold">重点</span>'),
        ("<!-- 批注 --><p>文</p>", "<p>文</p>"),
    ],
)
def test_dangerous_markup_is_removed(dirty: str, clean: str) -> None:
    assert clean_rich_text(dirty) == clean


@pytest.mark.parametrize(
    "kept",
    [
        "<p>第一段<br>换行</p>",
        "<p><strong>加粗</strong><em>斜体</em><u>下划线</u></p>",
        "<ol><li>一</li></ol><ul><li>二</li></ul>",
        "<h3>标题</h3><h4>小标题</h4>",
        '<table><caption>经费</caption><thead><tr><th scope="col">项目</th></tr></thead>'
        '<tbody><tr><td colspan="2">合计</td></tr></tbody></table>',
        '<a href="https://www.gov.cn" rel="noopener noreferrer">中国政府网</a>',
    ],
)
def test_government_formatting_is_kept(kept: str) -> None:
    assert clean_rich_text(kept) == kept

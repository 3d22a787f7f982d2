from mail_raw import b64, raw

from helpdesk.mail import html_to_text, parse_message

HEAD = ("From: Alice <alice@example.com>", "Subject: s", "MIME-Version: 1.0")


def test_html_only_mail_becomes_readable_text():
    html = (
        "<html><head><title>Ignored</title><style>p { color: red }</style></head>"
        "<body><script>alert('x')</script><p>Hello&nbsp;<b>team</b> &amp; friends,</p>"
        "<p>Line one<br>Line two</p><ul><li>first</li><li>second</li></ul>"
        "<p>See <a href=\"https://acme.test/kb/1\">the guide</a>.</p></body></html>"
    )
    parsed = parse_message(raw(*HEAD, "Content-Type: text/html; charset=utf-8", "", html))
    assert parsed.html
    assert parsed.body_text == (
        "Hello team & friends,\n\nLine one\nLine two\n\n- first\n- second\n\n"
        "See the guide (https://acme.test/kb/1)."
    )


def test_alternative_prefers_text_plain():
    parsed = parse_message(raw(
        *HEAD,
        'Content-Type: multipart/alternative; boundary="ALT"',
        "",
        "--ALT",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "plain version",
        "--ALT",
        "Content-Type: text/html; charset=utf-8",
        "",
        "<p>html version</p>",
        "--ALT--",
    ))
    assert parsed.body_text == "plain version"
    assert not parsed.html
    assert parsed.attachments == []


def test_alternative_with_empty_plain_part_uses_html():
    parsed = parse_message(raw(
        *HEAD,
        'Content-Type: multipart/alternative; boundary="ALT"',
        "",
        "--ALT",
        "Content-Type: text/plain",
        "",
        "  ",
        "--ALT",
        "Content-Type: text/html; charset=gb2312",
        "Content-Transfer-Encoding: base64",
        "",
        b64("<div>你好</div>", "gbk"),
        "--ALT--",
    ))
    assert parsed.body_text == "你好"
    assert parsed.html


def test_html_charset_from_meta_when_the_header_has_none():
    html = '<html><head><meta charset="gbk"></head><body>退款</body></html>'.encode("gbk")
    parsed = parse_message(raw(*HEAD, "Content-Type: text/html", "", html))
    assert parsed.body_text == "退款"


def test_apple_style_files_inside_the_html_alternative_are_kept():
    parsed = parse_message(raw(
        *HEAD,
        'Content-Type: multipart/alternative; boundary="ALT"',
        "",
        "--ALT",
        "Content-Type: text/plain",
        "",
        "see attached",
        "--ALT",
        'Content-Type: multipart/mixed; boundary="MIX"',
        "",
        "--MIX",
        "Content-Type: text/html",
        "",
        "<p>see attached</p>",
        "--MIX",
        "Content-Type: application/pdf; name=invoice.pdf",
        "Content-Transfer-Encoding: base64",
        "",
        b64(b"%PDF-1.4"),
        "--MIX--",
        "--ALT--",
    ))
    assert parsed.body_text == "see attached"
    assert [(a.filename, a.data) for a in parsed.attachments] == [("invoice.pdf", b"%PDF-1.4")]


def test_inline_text_parts_around_an_attachment_are_all_body():
    parsed = parse_message(raw(
        *HEAD,
        'Content-Type: multipart/mixed; boundary="M"',
        "",
        "--M",
        "Content-Type: text/plain",
        "",
        "before",
        "--M",
        "Content-Type: image/png",
        "Content-Disposition: inline",
        "Content-ID: <img1@x>",
        "",
        "PNGDATA",
        "--M",
        "Content-Type: text/plain",
        "",
        "after",
        "--M--",
    ))
    assert parsed.body_text == "before\n\nafter"
    image = parsed.attachments[0]
    assert (image.content_id, image.inline, image.filename) == ("img1@x", True, "attachment-1")


def test_links_whose_text_is_the_url_are_not_repeated():
    text = html_to_text('<a href="https://x.test">https://x.test</a> <a href="mailto:a@b.test">a@b.test</a>')
    assert text == "https://x.test a@b.test"


def test_image_only_link_and_alt_text():
    assert html_to_text('<a href="https://x.test"><img alt="Logo"></a>') == "Logo (https://x.test)"
    assert html_to_text('<a href="https://x.test"><img src="t.gif"></a>') == "https://x.test"


def test_blockquote_becomes_quoted_lines():
    text = html_to_text("<div>Thanks</div><div>On Mon, Bob wrote:</div><blockquote>old <p>text</p></blockquote>")
    assert text == "Thanks\nOn Mon, Bob wrote:\n\n> old\n>\n> text"


def test_pre_keeps_its_layout_and_entities_decode():
    assert html_to_text("<pre>a  b\n  c</pre>&lt;tag&gt; &#x4F60;&#22909;") == "a  b\n  c\n\n<tag> 你好"


def test_invisible_preheader_padding_is_dropped():
    assert html_to_text("Hi&zwnj;&nbsp;&zwnj;&nbsp;&#8203;there") == "Hi  there"


def test_broken_html_never_raises():
    for markup in ("<p>unclosed <a href='u'>x", "<!-- open", "<![if x]>y<![endif]>", "</p></div>", "<" * 50):
        assert isinstance(html_to_text(markup), str)

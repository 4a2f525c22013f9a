#!/usr/bin/python3
"""Makes assets/fonts/NotoSansCJK-subset.otf, the bundled CJK fallback.

The source is Debian's fonts-noto-cjk (Noto Sans CJK SC, SIL OFL 1.1). The
subset keeps the characters of the national standard sets that cover everyday
names: GB 2312 (Simplified Chinese), JIS X 0208 (Japanese kana and kanji),
KS X 1001 (Korean hangul) and Big5 level 1 (Traditional Chinese), with their
punctuation and full-width forms: about 14 300 characters, 2.9 MB.

Usage: apt-get download fonts-noto-cjk && dpkg-deb -x fonts-noto-cjk_*.deb x &&
       /usr/bin/python3 scripts/make-fallback-font.py x/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
(needs python3-fonttools). The output is committed; the build never runs this.
"""
import sys
from fontTools import subset

SC_INDEX = 2  # "Noto Sans CJK SC" in the collection


def double_byte(encoding, lead, trail):
    out = set()
    for a in lead:
        for b in trail:
            try:
                s = bytes([a, b]).decode(encoding)
            except UnicodeDecodeError:
                continue
            if len(s) == 1:
                out.add(ord(s))
    return out


def main():
    source = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else "assets/fonts/NotoSansCJK-subset.otf"
    high = range(0xA1, 0xFF)
    chars = set()
    chars |= double_byte("gb2312", high, high)
    chars |= double_byte("euc_jp", high, high)
    chars |= double_byte("euc_kr", high, high)
    chars |= double_byte("big5", range(0xA1, 0xC7), list(range(0x40, 0x7F)) + list(high))
    chars = sorted(c for c in chars if c > 0x7F)
    options = subset.Options()
    options.font_number = SC_INDEX
    options.layout_features = []
    options.hinting = False
    options.name_IDs = ["*"]
    options.notdef_outline = True
    font = subset.load_font(source, options)
    s = subset.Subsetter(options)
    s.populate(unicodes=chars)
    s.subset(font)
    subset.save_font(font, out, options)
    print(f"{out}: {len(chars)} characters")


if __name__ == "__main__":
    main()

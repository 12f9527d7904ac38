"""The CJK TrueType font embedded in generated PDFs (payment receipts, certificates).

reportlab's built-in Asian fonts (``STSong-Light``) are not embedded in the PDF, so a viewer
without an Asian font pack shows boxes; a TrueType font is embedded (as a subset) instead. On
Debian the default comes from the package ``fonts-wqy-microhei``; the setting ``PDF.CJK_FONT``
(env ``PDF_CJK_FONT``) names another file. reportlab reads TrueType outlines only (.ttf, .ttc):
OpenType/CFF fonts such as Noto CJK's .otf/.ttc are skipped.
"""
import logging
import os
import subprocess

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

log = logging.getLogger(__name__)

FONT_NAME = "KunmingCJK"
# Known TrueType CJK fonts and the Debian packages that install them, in order of preference.
CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # fonts-wqy-microhei
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",  # fonts-wqy-zenhei
    "/usr/share/fonts/truetype/arphic/uming.ttc",  # fonts-arphic-uming
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",  # fonts-droid-fallback
)


class MissingCJKFontError(RuntimeError):
    """Raised when no embeddable Chinese TrueType font is installed."""


def _fontconfig_candidates():
    """Chinese-capable fonts fontconfig knows, for machines with fonts in other places."""
    try:
        listing = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    files = [line.split(":")[0].strip() for line in listing.splitlines()]
    return sorted(path for path in files if path.lower().endswith((".ttf", ".ttc")))


def cjk_font(configured_path=None):
    """Register (once) and return the name of an embeddable CJK TrueType font."""
    if FONT_NAME in pdfmetrics.getRegisteredFontNames():
        return FONT_NAME
    for path in [configured_path, *CANDIDATES, *_fontconfig_candidates()]:
        if not path or not os.path.exists(path):
            continue
        try:
            pdfmetrics.registerFont(TTFont(FONT_NAME, path, subfontIndex=0))
        except (TTFError, OSError) as error:  # CFF outlines or an unreadable file: try the next one
            log.info("cannot embed font %s: %s", path, error)
            continue
        log.info("PDF CJK font: %s", path)
        return FONT_NAME
    raise MissingCJKFontError("没有找到可嵌入的中文 TrueType 字体:请安装 Debian 软件包 fonts-wqy-microhei,"
                              "或在配置 PDF_CJK_FONT 中指定 .ttf/.ttc 字体文件")

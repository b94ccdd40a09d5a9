"""Words for what the gateway shows people (the one-step pages, the answers to replies): Jinja2
templates under heardback/gateway/templates, localised with the same gettext catalogs as the
mail (heardback/activities/locale), dates written by Babel in the reader's zone with the zone
named. HTML templates are autoescaped; plain-text ones (`.txt.j2`, answers by mail) are not.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from babel.dates import format_date
from babel.support import Translations

from heardback.activities.render import (
    Formatter,
    ResolvedLocale,
    load_translations,
    resolve_locale,
)

__all__ = ["Reader", "environment", "reader"]


@cache
def environment(lang: str) -> jinja2.Environment:
    """One environment per shipped language (`lang` is a catalog name: en, de, fr, es)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("heardback.gateway", "templates"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2")),
        extensions=["jinja2.ext.i18n"],
    )
    env.policies["ext.i18n.trimmed"] = True  # as babel.cfg extracts them
    env.install_gettext_translations(  # type: ignore[attr-defined]  # added by ext.i18n
        load_translations(lang), newstyle=True
    )
    return env


class Reader:
    """One reader's language and zone: the catalog, and dates written for them."""

    def __init__(self, locale_tag: str, zone_name: str) -> None:
        self.locale: ResolvedLocale = resolve_locale(locale_tag)
        try:
            self.zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            self.zone = ZoneInfo("UTC")
        self.lang = self.locale.catalog
        self.translations: Translations = load_translations(self.lang)
        self._formatter = Formatter(self.locale, self.zone, self.translations)

    @property
    def env(self) -> jinja2.Environment:
        return environment(self.lang)

    def gettext(self, message: str) -> str:
        return str(self.translations.gettext(message))

    def when(self, value: datetime | None) -> str:
        """A moment in the reader's zone, the zone named, as the mail writes it ("Monday,
        December 14, 2026 at 9:00 AM (Japan Standard Time)")."""
        if value is None:
            return ""
        return self._formatter.when(value) or ""

    def day(self, value: datetime | None) -> str:
        if value is None:
            return ""
        return format_date(value.astimezone(self.zone), "long", locale=self.locale.formats)

    def hours(self, value: float) -> str:
        """Hours as the mail writes a duration ("4 hours and 30 minutes", "1 Stunde"), to five
        minutes."""
        return self._formatter.duration(max(5, round(value * 12) * 5))

    def days(self, period: timedelta) -> str:
        return self._formatter.days(period)

    def render(self, template: str, **context: object) -> str:
        return self.env.get_template(template).render(r=self, **context)


def reader(locale_tag: str, zone_name: str) -> Reader:
    return Reader(locale_tag, zone_name)

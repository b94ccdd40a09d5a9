"""Screening of candidate-facing lines: the labelled corpus (a false positive fails like a miss),
the API's promises (line indices, languages, fallback, describe), and its speed."""

from __future__ import annotations

import dataclasses
import re
import time
from pathlib import Path

import pytest

from heardback.workflows import screening
from heardback.workflows.screening import de, en, es, fr

CORPUS = Path(__file__).parent / "screening_corpus"
LABELS = {*screening.CATEGORIES, "vague", "blame", "jargon", "too_short"}
MODULES = {"en": en, "de": de, "fr": fr, "es": es}
# The least each language's corpus holds: lines that must pass, and lines that must not.
MINIMUM = {"en": (40, 40), "de": (15, 15), "fr": (15, 15), "es": (15, 15)}


@dataclasses.dataclass(frozen=True)
class Case:
    row: int
    expected: frozenset[str]  # empty: the line must pass
    line: str


def corpus(language: str) -> list[Case]:
    cases = []
    for row, text in enumerate((CORPUS / f"{language}.txt").read_text("utf-8").splitlines(), 1):
        if not text.strip() or text.startswith("#"):
            continue
        label, sep, line = text.partition(" | ")
        assert sep, f"{language}.txt:{row}: expected '<label> | <line>'"
        expected = frozenset() if label == "ok" else frozenset(label.split(","))
        assert expected <= LABELS, f"{language}.txt:{row}: unknown label {label!r}"
        cases.append(Case(row, expected, line))
    return cases


def kinds(findings: list[screening.Finding]) -> frozenset[str]:
    return frozenset(f.category or f.problem for f in findings)


@pytest.mark.parametrize("language", screening.SHIPPED_LANGUAGES)
def test_corpus(language: str) -> None:
    cases = corpus(language)
    passing = sum(1 for c in cases if not c.expected)
    refused = len(cases) - passing
    assert (passing, refused) >= MINIMUM[language], (passing, refused)
    mismatches = []
    for case in cases:
        findings = screening.screen([case.line], language)
        got = kinds(findings)
        if got != case.expected:
            matched = [(f.category or f.problem, f.matched) for f in findings]
            mismatches.append(
                f"{language}.txt:{case.row}: expected {sorted(case.expected) or 'ok'}, "
                f"got {sorted(got) or 'ok'} {matched}: {case.line}"
            )
    assert not mismatches, "\n" + "\n".join(mismatches)


def test_corpus_covers_every_problem_and_category_in_english() -> None:
    covered = set().union(*(c.expected for c in corpus("en")))
    assert covered == LABELS


@pytest.mark.parametrize("language", ["de", "fr", "es"])
def test_corpus_covers_most_in_other_languages(language: str) -> None:
    covered = set().union(*(c.expected for c in corpus(language)))
    assert {"vague", "blame", "jargon", "too_short"} <= covered
    assert len(covered & set(screening.CATEGORIES)) >= 8


def test_findings_point_at_their_lines_in_order() -> None:
    lines = [
        "You explained the retry policy and its limits clearly.",
        "He is too old for this team, lol.",
        "Your tests covered the empty input and the overflow case.",
        "Strong no hire.",
    ]
    findings = screening.screen(lines, "en")
    assert [(f.line, f.problem, f.category) for f in findings] == [
        (1, "protected_characteristic", "age"),
        (1, "blame", None),
        (3, "jargon", None),
    ]
    assert findings[0].matched == "He is too old"
    assert findings[1].matched == "lol"
    assert screening.screen(lines[::2], "en") == []
    assert screening.screen([], "en") == []


def test_matched_is_quoted_as_written() -> None:
    # Curly apostrophes, accents (precomposed or combining), case and ß all fold for matching,
    # but the finding quotes the line exactly.
    (f,) = screening.screen(["He\u2019s DIVORCED, which explains the gaps in his CV."], "en")
    assert f.matched == "DIVORCED"
    (f,) = screening.screen(["Il est marie\u0301, il ne voudra pas déménager."], "fr")
    assert f.matched == "est marie\u0301"
    (f,) = screening.screen(["Die Straße ist weit, und sie ist schwanger."], "de")
    assert f.matched == "schwanger"
    (f,) = screening.screen(["Ungefähr 30 Minuten Verspätung, außerdem ist er Muslim."], "de")
    assert f.matched == "Muslim"
    (f,) = screening.screen(["Trop âgée pour l'équipe."], "fr")
    assert f.matched == "Trop âgée"
    (f,) = screening.screen(["Trop agee pour l'equipe."], "fr")  # written without accents
    assert f.matched == "Trop agee"


@pytest.mark.parametrize(
    ("locale", "language"),
    [
        ("en", "en"),
        ("en-GB", "en"),
        ("de", "de"),
        ("de-CH", "de"),
        ("DE_at", "de"),
        ("fr-CA", "fr"),
        ("es-MX", "es"),
        ("es-419", "es"),
        ("pt", "en"),
        ("pt-BR", "en"),
        ("zh-Hant-TW", "en"),
        ("", "en"),
        ("*", "en"),
    ],
)
def test_messages_are_in_the_locales_language(locale: str, language: str) -> None:
    (f,) = screening.screen(["She is too old for this team."], locale)
    module = MODULES[language]
    assert f.message.startswith(module.LABELS["age"])
    assert module.REASONS["age"] in f.message
    assert "She is too old" in f.message
    assert f.suggestion == module.SUGGESTIONS["age"]


def test_english_lists_apply_under_every_locale() -> None:
    for locale in ("de", "fr-FR", "es", "pt"):
        (f,) = screening.screen(["Not a culture fit."], locale)
        assert f.problem == "vague"
    (f,) = screening.screen(["She is too old for this team."], "de")
    assert f.message == "Erwähnt das Alter („She is too old“): " + de.REASONS["age"]


def test_other_languages_lists_apply_only_under_their_locale() -> None:
    line = "Sie ist schwanger und plant bald Kinder."
    assert kinds(screening.screen([line], "de")) == {"pregnancy_or_family"}
    assert screening.screen([line], "en") == []
    assert screening.screen([line], "fr") == []


def test_an_exception_in_one_language_covers_the_english_list_too() -> None:
    # "accent" is on the English list; "mettre l'accent sur" (to stress) is a French exception.
    line = "Vous avez mis l'accent sur les tests, et c'était le bon choix."
    assert screening.screen([line], "fr") == []
    assert kinds(screening.screen(["Il a un fort accent."], "fr")) == {"national_origin"}


def test_too_short_counts_words_not_characters() -> None:
    assert kinds(screening.screen(["Extraordinarily comprehensive walkthrough."], "en")) == {
        "too_short"
    }
    assert screening.screen(["You explained caching well."], "en") == []
    assert kinds(screening.screen(["   "], "en")) == {"too_short"}
    # A line with another problem is reported for that problem only.
    assert kinds(screening.screen(["Too old."], "en")) == {"age"}


def test_soft_vague_passes_with_specifics() -> None:
    assert kinds(screening.screen(["Not what we are looking for."], "en")) == {"vague"}
    specific = "Not what we are looking for: the role needs Kafka in production, you used SQS."
    assert screening.screen([specific], "en") == []


def test_describe_names_the_line_the_words_and_the_override() -> None:
    findings = screening.screen(["Clear answer on caching and eviction.", "Too old, lol."], "de")
    text = screening.describe(findings)
    assert text.startswith("line 2 mentions age ('Too old'): ")
    assert "suggestion: describe what the candidate did" in text
    assert "also line 2 reads as blame or sarcasm ('lol')" in text
    assert text.endswith(screening.OVERRIDE_HINT)
    assert "override.reason" in text
    assert len(text) <= screening.DESCRIBE_LIMIT
    assert screening.describe([]) == ""


def test_describe_stays_short_with_many_findings() -> None:
    lines = [
        f"Line {i}: obviously too old, strong no hire, not a culture fit, lol." for i in range(50)
    ]
    findings = screening.screen(lines, "en")
    assert len(findings) == 200
    text = screening.describe(findings)
    assert len(text) <= screening.DESCRIBE_LIMIT, len(text)
    assert text.startswith("line 1 mentions age (")
    assert re.search(r"; and \d+ more\. If the line is right as written", text)


def test_describe_clips_long_matches() -> None:
    (f,) = screening.screen(["Great " * 300], "en")
    assert f.problem == "too_short"
    text = screening.describe([f])
    assert len(text) <= screening.DESCRIBE_LIMIT
    assert len(f.message) < 400


def test_finding_is_frozen_and_consistent() -> None:
    findings = screening.screen(
        ["Too old.", "Gut feeling says no.", "lol what was that", "SNH on coding.", "Good."], "en"
    )
    for f in findings:
        assert (f.problem == "protected_characteristic") == (f.category is not None)
        assert f.category is None or f.category in screening.CATEGORIES
    with pytest.raises(dataclasses.FrozenInstanceError):
        findings[0].line = 3  # type: ignore[misc]


def test_screen_refuses_a_bare_string() -> None:
    with pytest.raises(TypeError):
        screening.screen("Too old.", "en")


def test_deterministic() -> None:
    lines = [c.line for c in corpus("en")]
    assert screening.screen(lines, "en") == screening.screen(lines, "en")
    assert screening.screen(lines, "en") == screening.screen(list(lines), "en-US")


@pytest.mark.parametrize("language", screening.SHIPPED_LANGUAGES)
def test_every_language_has_every_text(language: str) -> None:
    module = MODULES[language]
    for table in (module.LABELS, module.REASONS, module.SUGGESTIONS):
        assert set(table) == set(screening.MESSAGE_KEYS)
        assert all(text.strip() for text in table.values())
    assert {"{label}", "{matched}", "{reason}"} <= set(re.findall(r"\{\w+\}", module.MESSAGE))
    assert set(module.PATTERNS) <= set(screening.PATTERN_KEYS)
    assert set(module.EXCEPTIONS) <= set(screening.PATTERN_KEYS)


@pytest.mark.parametrize("language", screening.SHIPPED_LANGUAGES)
def test_patterns_are_well_formed(language: str) -> None:
    module = MODULES[language]
    fragments = [
        *(p for ps in module.PATTERNS.values() for p in ps),
        *(p for ps in module.EXCEPTIONS.values() for p in ps),
        *module.SOFT_VAGUE,
    ]
    for fragment in fragments:
        assert fragment == fragment.lower(), f"write patterns in lower case: {fragment}"
        assert "{_" not in fragment, f"an f-string placeholder was left unformatted: {fragment}"
        compiled = re.compile(screening._fragment(fragment))
        assert compiled.groups == 0, f"use (?:...), not a capturing group: {fragment}"
        assert not compiled.match(""), f"matches the empty string: {fragment}"


def test_each_language_has_messages_that_differ_from_english() -> None:
    for language in ("de", "fr", "es"):
        module = MODULES[language]
        for key in screening.MESSAGE_KEYS:
            assert module.LABELS[key] != en.LABELS[key]
            assert module.SUGGESTIONS[key] != en.SUGGESTIONS[key]


@pytest.mark.parametrize("language", screening.SHIPPED_LANGUAGES)
def test_fifty_long_lines_are_quick(language: str) -> None:
    sentences = [c.line for c in corpus(language) if not c.expected]
    lines, i = [], 0
    for _ in range(50):
        line = sentences[i % len(sentences)]
        i += 1
        while len(line) + 1 + len(sentences[i % len(sentences)]) <= 2000:
            line += " " + sentences[i % len(sentences)]
            i += 1
        line = (line + " " + "x" * 2000)[:2000]  # whole sentences, then exactly 2,000 chars
        lines.append(line)
    assert {len(line) for line in lines} == {2000}
    screening.screen(["warm up: the lists compile on first use"], language)
    started = time.perf_counter()
    findings = screening.screen(lines, language)
    elapsed = time.perf_counter() - started
    assert findings == []
    assert elapsed < 0.5, f"{elapsed * 1000:.0f} ms for 50 lines of 2,000 characters"


@pytest.mark.parametrize("hidden", ["\u200b", "\u200d", "\u2060", "\u00ad", "\u034f", "\ufeff"])
def test_invisible_characters_do_not_hide_a_word(hidden: str) -> None:
    line = f"You are too o{hidden}ld for this team, and that decided it."
    (finding,) = screening.screen([line], "en")
    assert finding.category == "age"
    assert finding.matched == f"too o{hidden}ld"  # quoted as written

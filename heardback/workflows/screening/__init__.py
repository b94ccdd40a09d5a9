"""Screening of candidate-facing lines: what a hurried line must not say to a candidate.

Companies give no feedback for fear of what a hurried line might say. heardback screens every
line a candidate will read (a line of interview feedback, a decision note) before accepting it,
and refuses, with a specific and kind explanation, lines that

- refer to a protected characteristic (age, sex or gender, pregnancy or family plans, marital
  status, race or ethnicity, national origin, religion, disability or health, sexual
  orientation): these must play no part in a hiring decision, and feedback that mentions them
  says they did;
- are vague non-feedback ("not a culture fit", "gut feeling"), from which nobody can learn;
- blame or mock ("wasted our time", "lol", "clueless");
- use internal hiring jargon ("L5", "strong no hire", "bar raiser"), which the candidate cannot
  read and internal votes are not theirs to see;
- are too short or too generic to help ("Good.", "Great job, well done!").

The word lists and patterns, and the messages and suggestions, are plain data, one module per
shipped language (``en``, ``de``, ``fr``, ``es``). A locale's base language applies together with
English (interviewers often write English at non-English companies); messages come in the
locale's language, or English for a language not shipped. No maintained library covers this:
profanity filters (better_profanity, profanity-check, glin-profanity) catch swear words and some
insults, mostly in English, but not references to age, pregnancy, origin or health in hiring
feedback, nor vague or jargon lines, in these four languages; the classifier-based ones need
scikit-learn models, nothing to load inside a workflow sandbox. So the lists are kept here, next
to the corpus that tests them (``tests/screening_corpus``).

Pure and deterministic, standard library only (no I/O, clock, randomness or logging): it runs
inside the workflow sandbox, and replay depends on it. Lines screened in workflow code (an
`interview_completed` signal's feedback) are screened again on replay, so a change to the lists
or to the matching changes behaviour and must go through the workflow's versioning (a patch)
like any other; the corpus test shows what a change does.

Matching is on whole words and phrases, case-insensitive and accent-insensitive: each line is
folded (compatibility forms, case folding, accents stripped, curly apostrophes made straight)
with a map back to the line as written, so ``Finding.matched`` quotes the candidate-facing text
exactly. Ambiguous words are matched as phrases ("is married", not "married"; "hiring pipeline",
not "pipeline"), and each language lists exceptions for technical senses ("accent colour",
"the library is too old"), because a false positive is a failure too: it teaches interviewers to
override.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from heardback.workflows.screening import de, en, es, fr

Problem = Literal["protected_characteristic", "vague", "blame", "jargon", "too_short"]

SHIPPED_LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "es")

# The protected characteristics, as `Finding.category`.
CATEGORIES: tuple[str, ...] = (
    "age",
    "sex_or_gender",
    "pregnancy_or_family",
    "marital_status",
    "race_or_ethnicity",
    "national_origin",
    "religion",
    "disability_or_health",
    "sexual_orientation",
)
# What each language module lists patterns for, in the order findings for one line are reported.
PATTERN_KEYS: tuple[str, ...] = (*CATEGORIES, "blame", "vague", "jargon")
# What each language module has a label, reason and suggestion for.
MESSAGE_KEYS: tuple[str, ...] = (*PATTERN_KEYS, "too_short")

MIN_WORDS: Final = 4  # fewer words than this cannot say what was done and how it went
SPECIFIC_WORDS: Final = 3  # content words that make a soft-vague line specific enough
DESCRIBE_LIMIT: Final = 600
OVERRIDE_HINT: Final = (
    "If the line is right as written, send it again with override.reason saying why."
)


@dataclass(frozen=True, slots=True)
class Finding:
    """Why one line must not reach the candidate as written."""

    line: int  # 0-based index into the lines given
    problem: Problem
    category: str | None  # the protected characteristic (one of CATEGORIES), else None
    matched: str  # the words in the line that triggered it, as written in the line
    message: str  # in the requested language: what the problem is
    suggestion: str  # in the requested language: how to say it usefully


# --- folding -------------------------------------------------------------------------------------

_STRAIGHTEN: Final[Mapping[str, str]] = {
    "\u2019": "'",  # right single quotation mark, the usual apostrophe of word processors
    "\u2018": "'",
    "\u02bc": "'",
    "\u2032": "'",
    "\u00b4": "'",
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
}


def _fold_char(ch: str) -> str:
    straight = _STRAIGHTEN.get(ch)
    if straight is not None:
        return straight
    if unicodedata.category(ch) == "Cf" or ch == "\u034f":
        return ""  # invisible format characters (zero-width, soft hyphen, grapheme joiner)
    out = unicodedata.normalize("NFKD", ch).casefold()
    out = unicodedata.normalize("NFKD", out)
    return "".join(c for c in out if not unicodedata.combining(c))


class _FoldTable(dict[int, str]):
    """`str.translate` table filled on demand; remembers which characters do not fold to one."""

    irregular: set[str]

    def __init__(self) -> None:
        super().__init__()
        self.irregular = set()

    def __missing__(self, key: int) -> str:
        ch = chr(key)
        folded = _fold_char(ch)
        if len(folded) != 1:
            self.irregular.add(ch)
        if len(self) < 8192:
            self[key] = folded
        return folded


_TABLE: Final = _FoldTable()


def fold(text: str) -> str:
    """The form lines and patterns are compared in: case folded, accents stripped, and invisible
    format characters (zero-width spaces and joiners, soft hyphens) removed, so "o\u200bld"
    is still "old"."""
    if text.isascii():
        return text.lower()
    return text.translate(_TABLE)


@dataclass(frozen=True, slots=True)
class _Folded:
    text: str  # as written
    folded: str
    # For each character of `folded`: where it starts and ends in `text` (None: the same index).
    starts: tuple[int, ...] | None
    ends: tuple[int, ...] | None

    def original(self, start: int, end: int) -> str:
        if self.starts is None or self.ends is None:
            return self.text[start:end]
        if start >= end:
            return ""
        return self.text[self.starts[start] : self.ends[end - 1]]


def _fold_line(text: str) -> _Folded:
    folded = fold(text)
    if text.isascii() or _TABLE.irregular.isdisjoint(text):
        return _Folded(text, folded, None, None)
    pieces = [_fold_char(ch) for ch in text]
    starts = [i for i, piece in enumerate(pieces) for _ in piece]
    # A character ends where the next character that produced output starts, so that a
    # combining accent that folded away stays with its letter.
    ends = [0] * len(starts)
    following = len(text)
    k = len(starts) - 1
    while k >= 0:
        j = k
        while j >= 0 and starts[j] == starts[k]:
            ends[j] = following
            j -= 1
        following = starts[k]
        k = j
    return _Folded(text, "".join(pieces), tuple(starts), tuple(ends))


# --- the compiled lists --------------------------------------------------------------------------

_WORD: Final = re.compile(r"[^\W_]+(?:['-][^\W_]+)*")
_LEFT: Final = r"(?<![\w-])"
_RIGHT: Final = r"(?![\w-])"
# Sarcastic punctuation, in any language: "You used a list for that??", "Really?!".
_PUNCTUATION_BLAME: Final = re.compile(r"\?[?!]+|!+\?")


def _fragment(pattern: str) -> str:
    # " ?" is an optional space, any other space any run of whitespace.
    return fold(pattern).replace(" ?", r"\s*").replace(" ", r"\s+")


def _compile(patterns: Sequence[str]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    body = "|".join(_fragment(p) for p in patterns)
    return re.compile(f"{_LEFT}(?:{body}){_RIGHT}")


def _split(fragment: str) -> list[str]:
    """The top-level alternatives of a regular expression ("a|(?:b|c)d" -> "a", "(?:b|c)d")."""
    parts: list[str] = []
    depth, start, i, in_class = 0, 0, 0, False
    while i < len(fragment):
        ch = fragment[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(fragment[start:i])
            start = i + 1
        i += 1
    parts.append(fragment[start:])
    return parts


def _closing(fragment: str, opening: int) -> int:
    """The index of the parenthesis that closes the one at `opening`."""
    depth, i, in_class = 0, opening, False
    while i < len(fragment):
        ch = fragment[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ValueError(f"unbalanced pattern: {fragment}")


def _expand(piece: str, limit: int = 256) -> list[str]:
    """A piece that starts with a group, distributed over the group's alternatives, so that
    each alternative starts with a literal character where it can ("(?:a|b)c" -> "ac", "bc";
    "(?:a)?b" -> "ab", "b")."""
    if not piece.startswith("(?:"):
        return [piece]
    end = _closing(piece, 0)
    alternatives = _split(piece[3:end])
    rest = piece[end + 1 :]
    if rest[:1] == "?" and rest[1:2] not in ("?", "+"):
        alternatives, rest = [*alternatives, ""], rest[1:]
    if rest[:1] in ("?", "*", "+", "{"):
        return [piece]
    expanded = [x for alt in alternatives for x in _expand(alt + rest, limit)]
    return expanded if 0 < len(expanded) <= limit and all(expanded) else [piece]


def _literal_start(piece: str) -> str | None:
    first = piece[:1]
    if first and (first.isalnum() or first in "'\"#") and piece[1:2] not in ("?", "*", "+", "{"):
        return first
    return None


@dataclass(frozen=True, slots=True)
class _Lists:
    """One language's lists, compiled.

    All keys' patterns are one regular expression, its alternatives grouped by their first
    character (so the engine tries a handful at each word, not hundreds) and each followed by an
    empty marker group: the match's last group says which key matched.
    """

    combined: re.Pattern[str]
    keys: tuple[str, ...]  # the key of each marker group (group 1 is keys[0])
    exceptions: Mapping[str, re.Pattern[str]]
    soft_vague: re.Pattern[str] | None
    filler: frozenset[str]


def _trie(entries: Sequence[tuple[str, str]], keys: list[str], depth: int = 0) -> str:
    """One alternation of (key, piece) entries, factored on their literal first characters
    (three deep), each piece followed by a marker group; `keys` gets the marker groups' keys."""
    groups: dict[str, list[tuple[str, str]]] = {}
    order: list[tuple[str, str] | str] = []  # an entry left as it is, or a group's character
    for key, piece in entries:
        first = _literal_start(piece) if depth < 3 else None
        if first is None:
            order.append((key, piece))
        else:
            if first not in groups:
                groups[first] = []
                order.append(first)
            groups[first].append((key, piece[1:]))
    branches: list[str] = []
    for item in order:
        if isinstance(item, tuple):
            keys.append(item[0])
            branches.append(f"{item[1]}()")
        elif len(groups[item]) == 1:
            key, rest = groups[item][0]
            keys.append(key)
            branches.append(f"{re.escape(item)}{rest}()")
        else:
            branches.append(f"{re.escape(item)}(?:{_trie(groups[item], keys, depth + 1)})")
    return "|".join(branches)


def _combine(patterns: Mapping[str, Sequence[str]]) -> tuple[re.Pattern[str], tuple[str, ...]]:
    entries = [
        (key, piece)
        for key in PATTERN_KEYS
        for fragment in patterns.get(key, ())
        for alternative in _split(_fragment(fragment))
        for piece in _expand(alternative)
    ]
    keys: list[str] = []
    combined = re.compile(f"{_LEFT}(?:{_trie(entries, keys)}){_RIGHT}")
    if combined.groups != len(keys):
        raise ValueError("a screening pattern has a capturing group; use (?:...)")
    return combined, tuple(keys)


def _lists(
    patterns: Mapping[str, Sequence[str]],
    exceptions: Mapping[str, Sequence[str]],
    soft_vague: Sequence[str],
    filler: frozenset[str],
) -> _Lists:
    combined, keys = _combine(patterns)
    compiled = {key: _compile(exceptions.get(key, ())) for key in PATTERN_KEYS}
    return _Lists(
        combined=combined,
        keys=keys,
        exceptions={key: pattern for key, pattern in compiled.items() if pattern is not None},
        soft_vague=_compile(soft_vague),
        filler=frozenset(fold(w) for w in filler),
    )


@dataclass(frozen=True, slots=True)
class _Texts:
    template: str
    labels: Mapping[str, str]
    reasons: Mapping[str, str]
    suggestions: Mapping[str, str]

    def message(self, key: str, matched: str) -> str:
        return (
            self.template.replace("{label}", self.labels[key])
            .replace("{reason}", self.reasons[key])
            .replace("{matched}", _clip(matched, 80))
        )


@dataclass(frozen=True, slots=True)
class _Screen:
    """What applies under one locale: its language's lists and English's, and its texts."""

    lists: tuple[_Lists, ...]  # the base language first
    # Every applying language's exceptions, per key: an English match that is a French idiom
    # ("mettre l'accent sur") is excepted too.
    exceptions: Mapping[str, tuple[re.Pattern[str], ...]]
    filler: frozenset[str]
    texts: _Texts


_RAW: Final = {
    "en": (en.PATTERNS, en.EXCEPTIONS, en.SOFT_VAGUE, en.FILLER_WORDS),
    "de": (de.PATTERNS, de.EXCEPTIONS, de.SOFT_VAGUE, de.FILLER_WORDS),
    "fr": (fr.PATTERNS, fr.EXCEPTIONS, fr.SOFT_VAGUE, fr.FILLER_WORDS),
    "es": (es.PATTERNS, es.EXCEPTIONS, es.SOFT_VAGUE, es.FILLER_WORDS),
}
_TEXTS: Final = {
    "en": _Texts(en.MESSAGE, en.LABELS, en.REASONS, en.SUGGESTIONS),
    "de": _Texts(de.MESSAGE, de.LABELS, de.REASONS, de.SUGGESTIONS),
    "fr": _Texts(fr.MESSAGE, fr.LABELS, fr.REASONS, fr.SUGGESTIONS),
    "es": _Texts(es.MESSAGE, es.LABELS, es.REASONS, es.SUGGESTIONS),
}
# Compiled on first use of a language; the same input always gives the same result.
_COMPILED: dict[str, _Lists] = {}
_SCREENS: dict[str, _Screen] = {}


def _compiled(language: str) -> _Lists:
    lists = _COMPILED.get(language)
    if lists is None:
        lists = _lists(*_RAW[language])
        _COMPILED[language] = lists
    return lists


def _screen_for(language: str) -> _Screen:
    found = _SCREENS.get(language)
    if found is not None:
        return found
    lists = tuple(_compiled(lang) for lang in dict.fromkeys((language, "en")))
    exceptions = {
        key: tuple(item.exceptions[key] for item in lists if key in item.exceptions)
        for key in PATTERN_KEYS
    }
    made = _Screen(
        lists=lists,
        exceptions={key: pats for key, pats in exceptions.items() if pats},
        filler=frozenset().union(*(item.filler for item in lists)),
        texts=_TEXTS[language],
    )
    _SCREENS[language] = made
    return made


def language_of(locale: str) -> str:
    """The base language of a BCP 47 tag ("de-CH" -> "de", "pt_BR" -> "pt", "" -> "en")."""
    base = re.split(r"[-_]", locale.strip(), maxsplit=1)[0].casefold()
    return base if base.isalpha() else "en"


# --- screening -----------------------------------------------------------------------------------


def screen(lines: Sequence[str], locale: str) -> list[Finding]:
    """Findings for each problematic line, in line order; [] when all lines are fine.

    locale is a BCP 47 tag ("en", "de-CH", "fr", "es-MX", "pt"...): its base language's lists
    apply, plus English's (interviewers often write English at non-English companies); messages
    are in that language, falling back to English for a language not shipped.

    Within a line, findings come in the order of PATTERN_KEYS (protected characteristics first),
    one per problem and category; "too_short" only when nothing else was found.
    """
    if isinstance(lines, str):
        raise TypeError("screen() takes a sequence of lines, not one string")
    language = language_of(locale)
    applying = _screen_for(language if language in SHIPPED_LANGUAGES else "en")
    findings: list[Finding] = []
    for index, line in enumerate(lines):
        findings.extend(_screen_line(index, line, applying))
    return findings


def _screen_line(index: int, line: str, applying: _Screen) -> list[Finding]:
    folded = _fold_line(line)
    text = folded.folded
    found: dict[str, tuple[int, int]] = {}
    for lists in applying.lists:
        _find(text, lists, applying.exceptions, found)
    if "blame" not in found:
        punct = _PUNCTUATION_BLAME.search(text)
        if punct is not None:
            found["blame"] = punct.span()
    words = _WORD.findall(text)
    if "vague" not in found and len(words) >= MIN_WORDS:
        span = _soft_vague(text, applying)
        if span is not None:
            found["vague"] = span
    texts = applying.texts
    findings = [
        _finding(index, key, folded.original(*found[key]), texts)
        for key in PATTERN_KEYS
        if key in found
    ]
    if not findings and (len(words) < MIN_WORDS or all(w in applying.filler for w in words)):
        findings.append(_finding(index, "too_short", line.strip(), texts))
    return findings


def _find(
    text: str,
    lists: _Lists,
    exceptions: Mapping[str, Sequence[re.Pattern[str]]],
    found: dict[str, tuple[int, int]],
) -> None:
    """Record in `found` the first match of each key not found yet that no exception covers."""
    pos = 0
    while True:
        match = lists.combined.search(text, pos)
        if match is None:
            return
        start, end = match.span()
        pos = start + 1  # overlapping matches of other keys are looked for too
        key = lists.keys[(match.lastindex or 1) - 1]
        if key in found:
            continue
        if key in exceptions and _excepted(text, start, end, exceptions[key]):
            continue
        found[key] = (start, end)


_WINDOW: Final = 160  # how far around a match its exceptions are looked for


def _excepted(text: str, start: int, end: int, exceptions: Sequence[re.Pattern[str]]) -> bool:
    """Whether an exception's match overlaps [start, end) (looked for near it only)."""
    lo, hi = max(0, start - _WINDOW), min(len(text), end + _WINDOW)
    for exception in exceptions:
        for m in exception.finditer(text, lo, hi):
            if m.start() < end and start < m.end():
                return True
            if m.start() >= end:
                break
    return False


def _soft_vague(text: str, applying: _Screen) -> tuple[int, int] | None:
    for lists in applying.lists:
        if lists.soft_vague is None:
            continue
        match = lists.soft_vague.search(text)
        if match is None:
            continue
        rest = text[: match.start()] + " " + text[match.end() :]
        content = [w for w in _WORD.findall(rest) if w not in applying.filler]
        if len(content) < SPECIFIC_WORDS:
            return match.span()
    return None


def _finding(index: int, key: str, matched: str, texts: _Texts) -> Finding:
    category = key if key in CATEGORIES else None
    problem: Problem
    if category is not None:
        problem = "protected_characteristic"
    elif key == "vague":
        problem = "vague"
    elif key == "blame":
        problem = "blame"
    elif key == "jargon":
        problem = "jargon"
    else:
        problem = "too_short"
    return Finding(
        line=index,
        problem=problem,
        category=category,
        matched=matched,
        message=texts.message(key, matched),
        suggestion=texts.suggestions[key],
    )


# --- describe ------------------------------------------------------------------------------------


def _key(finding: Finding) -> str:
    return finding.category if finding.category is not None else finding.problem


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def describe(findings: Sequence[Finding]) -> str:
    """One English sentence for an API error, e.g. "line 1 mentions age ('too old'): ...;
    suggestion: ...", then how to override. Lines are numbered from 1. The first finding is
    explained in full, the others named, within DESCRIBE_LIMIT characters."""
    if not findings:
        return ""
    budget = DESCRIBE_LIMIT - len(OVERRIDE_HINT) - 2
    first, *others = findings
    room = budget - (len(f"; and {len(others)} more") if others else 0)
    key = _key(first)
    head = f"line {first.line + 1} {en.CLAIMS[key]} ('{_clip(first.matched, 60)}')"
    suggestion = f"suggestion: {_lower_first(en.SUGGESTIONS[key]).rstrip('.')}"
    text = f"{head}: {en.REASONS[key].rstrip('.')}; {suggestion}"
    if len(text) > room:
        text = f"{head}; {suggestion}"
    if len(text) > room:
        text = head
    for shown, finding in enumerate(others):
        other = _key(finding)
        item = f"; also line {finding.line + 1} {en.CLAIMS[other]} ('{_clip(finding.matched, 40)}')"
        left = len(others) - shown - 1
        reserve = len(f"; and {left} more") if left else 0
        if len(text) + len(item) + reserve > budget:
            text += f"; and {len(others) - shown} more"
            break
        text += item
    return f"{text}. {OVERRIDE_HINT}"

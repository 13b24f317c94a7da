"""The integers of a text file's rows read in one numpy pass, for files of 10^6 operations.

``tai_1000_1000`` is 7.8 MB of text, 2 * 10^6 numbers: a token-by-token parse in Python takes
over a second, a bulk parse a few tens of milliseconds. The bulk parse only ever answers "these
are the numbers" or "not sure" (None): a comment, any character but ASCII digits, '-' and
whitespace, a '-' that does not begin a number, a value of 10**15 or more send the caller
to its line-by-line reader, which names the line and what was expected. So the fast path changes
no error message and accepts nothing that the line-by-line reader refuses.
"""

from __future__ import annotations

import re
import warnings

import numpy as np

# Everything a body of plain integers may hold; str.split() also splits at other characters
# ('\x1c', '\x85', '\u2028', ...) that numpy's parser does not skip, so those go the slow way.
_PLAIN = re.compile(r"[0-9 \t\r\n\v\f-]*")
# Past any value in range (2**40 has 13 digits): numpy saturates a longer number at the int64
# limits instead of failing, so a value this large sends the file the slow way.
_LARGE = 10 ** 15
_DIGIT = np.zeros(256, dtype=bool)
_DIGIT[list(b"0123456789")] = True
_MINUS = ord("-")


def bulk_ints(raw_lines: list[str], count: int) -> np.ndarray | None:
    """All the integers of ``raw_lines`` in order, as int64, when the lines hold nothing but
    plain integers (``-?[0-9]+``) below 10**15 in magnitude and whitespace, and there are
    ``count`` of them (the caller counted the tokens of its rows: a mismatch means something
    went unread); else None."""
    text = "\n".join(raw_lines)
    if _PLAIN.fullmatch(text) is None or not _minus_signs_start_numbers(text):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy warns, rather than fails, on text it cannot read
        try:
            values = np.fromstring(text, dtype=np.int64, sep=" ")
        except (ValueError, DeprecationWarning):
            return None
    if values.size != count or (count and (values.max() >= _LARGE or values.min() <= -_LARGE)):
        return None
    return values


def _minus_signs_start_numbers(text: str) -> bool:
    """Given only digits, '-' and whitespace: is every '-' followed by a digit and preceded by
    whitespace or nothing? ('1-2' would read as 1 and -2, a lone '-' as nothing.)"""
    if "-" not in text:
        return True
    data = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    minus = np.flatnonzero(data == _MINUS)
    after = minus + 1
    if after[-1] >= data.size or not _DIGIT[data[after]].all():
        return False
    before = minus[minus > 0] - 1
    return not (_DIGIT[data[before]] | (data[before] == _MINUS)).any()

"""Customer lists: CSV files of people, for audiences (docs/files.md#customer-lists,
docs/audiences.md#a-customer-csv).

One reader (`rows`) serves both the check made when a list's bytes land and the read an
audience makes of them later, so a list that passed the check reads the same afterwards. It
streams: the bytes are decoded as UTF-8 a chunk at a time and cut into records (a record
spans lines only inside a quoted field), each parsed by the standard `csv` module (strict
quoting, comma-separated, blanks after a comma skipped); nothing holds more than one
record. Every refusal is a `MediaRefused` naming the row, numbered as the file's lines are
(the header is row 1).
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass

from adline.files.media import MediaFacts, MediaRefused

CSV_CONTENT_TYPE = "text/csv"
# The longest record (a row, with the line breaks of its quoted fields): a customer's row is
# far shorter; anything longer is a file that is no customer list (or an unclosed quote).
MAX_RECORD_CHARS = 1024 * 1024


@dataclass(frozen=True)
class Row:
    # The line of the file the row starts on (the header is row 1), as errors name it.
    number: int
    # Each cell without surrounding blanks; the header's cells are the column names.
    cells: list[str]


def _not_utf8(line: int) -> MediaRefused:
    return MediaRefused(
        f"The file is not UTF-8 text (row {line} holds bytes that are not UTF-8); a customer "
        "list is a CSV file saved as UTF-8."
    )


async def _records(chunks: AsyncIterator[bytes]) -> AsyncIterator[tuple[int, str]]:
    """(the line it starts on, its text) of each record: lines are joined while a quoted
    field is open, which an odd count of quote characters so far says."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()  # strict; a leading BOM is dropped
    pending = ""  # decoded text not yet cut into lines
    record = ""  # the lines of the record being read
    quotes = 0
    line = 1  # the line `pending` starts on
    start = 1  # the line `record` starts on
    newlines_before = 0  # newline bytes of the chunks already decoded

    def cut(text: str) -> list[tuple[int, str]]:
        nonlocal pending, record, quotes, line, start
        pending += text
        done = []
        position = 0  # walked by index: slicing off each line would copy the rest each time
        while (end := pending.find("\n", position)) != -1:
            piece = pending[position : end + 1]
            position = end + 1
            if not record:
                start = line
            record += piece
            quotes += piece.count('"')
            line += 1
            if quotes % 2 == 0:
                done.append((start, record))
                record, quotes = "", 0
            elif len(record) > MAX_RECORD_CHARS:
                break
        pending = pending[position:]
        if len(record) + len(pending) > MAX_RECORD_CHARS:
            raise MediaRefused(
                f"Row {start if record else line} is longer than {MAX_RECORD_CHARS} characters "
                "(or opens a quoted field that never closes)."
            )
        return done

    async for chunk in chunks:
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError as error:
            line = newlines_before + chunk[: max(error.start, 0)].count(b"\n") + 1
            raise _not_utf8(line) from None
        newlines_before += chunk.count(b"\n")
        for found in cut(text):
            yield found
    try:
        text = decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise _not_utf8(newlines_before + 1) from None
    for found in cut(text):
        yield found
    if record or pending:
        first = start if record else line
        if (quotes + pending.count('"')) % 2:
            raise MediaRefused(
                f"Row {first} opens a quoted field that never closes (or holds a stray quote "
                'character: quote a field with one, doubling the quote, as "a ""b""").'
            )
        yield first, record + pending


async def rows(chunks: AsyncIterator[bytes]) -> AsyncGenerator[Row, None]:
    """The header, then every data row of a customer list, checked as they come: UTF-8 text
    without NUL characters, valid CSV, a header naming its columns once each, every data row
    as wide as the header (blank rows are skipped), and at least one data row."""
    header: Row | None = None
    data = 0
    async for number, text in _records(chunks):
        if "\x00" in text:
            raise MediaRefused(f"Row {number} holds a NUL character: the file is not text.")
        try:
            parsed = list(csv.reader([text], strict=True, skipinitialspace=True))
        except csv.Error as error:
            raise MediaRefused(f"Row {number} is not valid CSV ({error}).") from None
        cells = [cell.strip() for cell in parsed[0]] if parsed else []
        if not any(cells):
            continue  # a blank row, or one of empty cells: no one
        if header is None:
            seen: set[str] = set()
            for name in filter(None, cells):
                if name in seen:
                    raise MediaRefused(
                        f'The header row (row {number}) names the column "{name}" twice.'
                    )
                seen.add(name)
            header = Row(number, cells)
            yield header
            continue
        if len(cells) != len(header.cells):
            raise MediaRefused(
                f"Row {number} has {len(cells)} field{'s' if len(cells) != 1 else ''}; the "
                f"header row has {len(header.cells)}."
            )
        data += 1
        yield Row(number, cells)
    if header is None:
        raise MediaRefused("The file has no header row: it is empty or blank.")
    if not data:
        raise MediaRefused("The file has a header row but no data rows: no one to add.")


async def inspect_customer_list(chunks: AsyncIterator[bytes], size: int) -> MediaFacts:
    """The facts of a stored customer list of `size` bytes (read whole, streamed), or
    `MediaRefused` saying what is wrong with it."""
    if size == 0:
        raise MediaRefused("The file is empty.")
    async for _ in rows(chunks):
        pass
    return MediaFacts(CSV_CONTENT_TYPE, "text")

"""User-facing errors.

Every error that reaches a user names the file, line and column it is about and says what to do.
The CLI turns :class:`UserError` into a message on stderr and exit code 2 (bad input or usage);
nothing else may escape as a traceback.
"""

from __future__ import annotations

from msgspec import Struct, field


class Location(Struct, frozen=True):
    """A place in an input file. ``line`` and ``column`` are 1-based; 0 means unknown."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line and self.column:
            return f"{self.file}:{self.line}:{self.column}"
        if self.line:
            return f"{self.file}:{self.line}"
        return self.file


class Problem(Struct, frozen=True):
    """One problem found in user input: where, what (with the key path), and what to do."""

    location: Location
    message: str
    key_path: str = ""
    hint: str = ""

    def __str__(self) -> str:
        text = f"{self.location}: "
        if self.key_path:
            text += f"{self.key_path}: "
        text += self.message
        if self.hint:
            text += f"; {self.hint}"
        return text


class UserError(Exception):
    """Bad input or usage. Carries one or more located problems; the CLI exits 2."""

    def __init__(self, problems: list[Problem] | Problem | str, *, hint: str = "") -> None:
        if isinstance(problems, str):
            problems = [Problem(Location("gitops-gen"), problems, hint=hint)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = problems
        super().__init__("\n".join(str(p) for p in problems))

    @classmethod
    def at(
        cls, file: str, message: str, *, line: int = 0, column: int = 0, key_path: str = "", hint: str = ""
    ) -> UserError:
        return cls(Problem(Location(file, line, column), message, key_path, hint))


class Problems(Struct):
    """Collects problems so that all of them are reported at once, not only the first."""

    items: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        self.items.append(problem)

    def raise_if_any(self) -> None:
        if self.items:
            raise UserError(
                sorted(self.items, key=lambda p: (p.location.file, p.location.line, p.location.column))
            )

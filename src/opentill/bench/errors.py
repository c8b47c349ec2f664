"""The bench's one error."""


class BenchError(RuntimeError):
    """The bench could not run or a check failed (rejected orders, bad answers)."""

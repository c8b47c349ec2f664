"""Tables shared by every context: gapless numbering."""

from django.db import models


class Sequence(models.Model):
    """A named counter (session names per profile and year, invoice numbers)."""

    key = models.CharField(max_length=100, unique=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}={self.value}"

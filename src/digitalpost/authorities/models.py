"""Authorities: public organisations that send Digital Post, identified by CVR."""

from __future__ import annotations

import uuid

from django.db import models


class Authority(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    cvr = models.CharField(max_length=8, unique=True)
    name = models.CharField(max_length=200)
    may_send_mandatory = models.BooleanField(default=False)
    may_send_legal_notification = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "authorities"
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.cvr})"

"""Cred: the task's credentials, as struct cred (include/linux/cred.h) holds them."""
from __future__ import annotations


class Cred:
    __slots__ = ("egid", "euid", "gid", "uid")

    def __init__(self, uid: int, euid: int, gid: int, egid: int):
        self.uid, self.euid, self.gid, self.egid = uid, euid, gid, egid

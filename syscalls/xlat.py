"""Constant-name tables used by the syscall decoder, as data (the role of strace's xlat/*.in).

Every table is an `Xlat`: an ordered list of (value, "NAME") pairs, x86-64 values.  The order
matters: `flags()` takes names in table order, the way strace does (so "O_SYNC" wins over
"__O_SYNC"|"O_DSYNC", and "STATX_ALL" over its parts), and `lookup()`/`enum()` return the first
name with that value.  A few composite tables (a field plus flags in one value, e.g. the open
access mode or the mmap map type) are `FieldXlat`s and print the way strace prints them.

    XLAT["open"].flags(0o2000000)           -> "O_RDONLY|O_CLOEXEC"
    XLAT["mmap_prot"].flags(3)              -> "PROT_READ|PROT_WRITE"
    XLAT["rlimit"].enum(3)                  -> "RLIMIT_STACK"
    XLAT["fcntl"].enum(99)                  -> "0x63"
    XLAT["fcntl"].enum(99, comment=True)    -> "0x63 /* F_??? */"   (strace's exact spelling)

Each table knows its C type's width (32 bits unless said otherwise), so a raw 64-bit register
value can be passed as is: XLAT["access"].flags(0xffffffffffffffff) ends in "|0xfffffff8",
as strace prints it.  `dflt` is strace's "unknown value" comment, used when comment=True.

Also: ERRNO (errno -> (name, strerror text)), SIGNALS (number -> name, as strace names them),
SOCKOPT_BY_LEVEL (socket level -> option-name table).  Values are those of the Linux UAPI and
glibc headers for x86-64; which names exist, and their order, follow what strace 6.1 prints.
"""
from __future__ import annotations

_MASK64 = (1 << 64) - 1


def _hex(v: int) -> str:
    """C's "%#x": 0 -> "0", 255 -> "0xff"."""
    v &= _MASK64
    return hex(v) if v else "0"


def _s32(v: int) -> int:
    v &= 0xffffffff
    return v - (1 << 32) if v & 0x80000000 else v


class Xlat:
    """Names of constants: an ordered table of (value, "NAME") pairs.

    `pairs` is a list of pairs, another Xlat (sharing its names), or -- how the tables below
    are written -- a string of whitespace-separated "VALUE NAME" pairs, parsed on first use
    (so that importing this module costs next to nothing); "A/B" in a name stands for "A or B".
    """

    __slots__ = ("_map", "_pairs", "_src", "bits", "dec", "dflt", "wmask")

    def __init__(self, pairs: str | list[tuple[int, str]] | Xlat, *, bits: bool = True,
                 dflt: str | None = None, dec: bool = False, width: int = 32):
        if isinstance(pairs, Xlat):
            self._src, self._pairs = pairs._src, pairs._pairs
        elif isinstance(pairs, str):
            self._src, self._pairs = pairs, None
        else:
            self._src, self._pairs = None, tuple(pairs)
        self.bits = bits    # True: a set of OR'd flags; False: one value of an enumeration
        self.dflt = dflt    # what strace puts in a comment after an unknown value ("F_???")
        self.dec = dec      # unknown values print as signed decimal (key serials), not hex
        # the C type's width: most of these are int arguments, so a register's upper half is
        # ignored (0xffffffffffffffff prints as 0xffffffff); 64 for long/u64 values
        self.wmask = (1 << width) - 1
        self._map: dict[int, str] | None = None

    @property
    def pairs(self) -> tuple[tuple[int, str], ...]:
        p = self._pairs
        if p is None:
            t = self._src.split()
            p = self._pairs = tuple((int(t[i], 0), t[i + 1].replace("/", " or "))
                                    for i in range(0, len(t), 2))
        return p

    def lookup(self, value: int) -> str | None:
        """The first name whose value is exactly `value` (negative numbers also match their
        32- and 64-bit two's complement, so RUSAGE_CHILDREN (-1) matches 0xffffffff)."""
        m = self._map
        if m is None:
            m = {}
            for v, n in self.pairs:
                m.setdefault(v, n)
                if v < 0:
                    m.setdefault(v & 0xffffffff, n)
                    m.setdefault(v & _MASK64, n)
            self._map = m
        return m.get(value & self.wmask)

    def _unknown(self, value: int, comment: bool) -> str:
        s = str(_s32(value)) if self.dec else _hex(value & self.wmask)
        return f"{s} /* {self.dflt} */" if comment and self.dflt else s

    def enum(self, value: int, comment: bool = False) -> str:
        """One name: "RLIMIT_STACK"; an unknown value prints as hex ("0x1f")."""
        name = self.lookup(value)
        return name if name is not None else self._unknown(value, comment)

    def flags(self, value: int, comment: bool = False) -> str:
        """OR'd names: "O_RDONLY|O_CLOEXEC"; leftover bits as "|0x40000000"; 0 prints as the
        table's name for 0 if it has one (PROT_NONE), else "0"."""
        value &= self.wmask
        if not value:
            name = self.lookup(0)
            return name if name is not None else "0"
        out = []
        for v, n in self.pairs:
            if v > 0 and (value & v) == v:
                out.append(n)
                value &= ~v
                if not value:
                    break
        if value:
            if not out:
                return self._unknown(value, comment)
            out.append(_hex(value))
        return "|".join(out)

    def __call__(self, value: int, comment: bool = False) -> str:
        return self.flags(value, comment) if self.bits else self.enum(value, comment)

    def __repr__(self) -> str:
        return f"<Xlat {len(self.pairs)} names, {self.dflt or ''}>"


class FieldXlat(Xlat):
    """A value made of a field (value & mask, one name of `field`) and flags (the other bits,
    named by this table's own pairs): "O_RDWR|O_CREAT", "SOCK_STREAM|SOCK_CLOEXEC".

    field_flags: the field itself is printed with flags() (statx's AT_STATX_* sync type).
    fallthrough: an unknown field value makes the whole value print as flags (socket type).
    flags_first: the flags are printed before the field (IPC_64|IPC_STAT).
    """

    __slots__ = ("fallthrough", "field", "field_flags", "flags_first", "mask")

    def __init__(self, pairs: str | list[tuple[int, str]] | Xlat, *, mask: int, field: Xlat,
                 field_flags: bool = False, fallthrough: bool = False,
                 flags_first: bool = False, dflt: str | None = None, width: int = 32):
        super().__init__(pairs, bits=True, dflt=dflt, width=width)
        self.mask = mask
        self.field = field
        self.field_flags = field_flags
        self.fallthrough = fallthrough
        self.flags_first = flags_first

    def flags(self, value: int, comment: bool = False) -> str:
        value &= self.wmask
        f, rest = value & self.mask, value & ~self.mask
        if self.field_flags:
            head = self.field.flags(f, comment)
        else:
            head = self.field.lookup(f)
            if head is None:
                if self.fallthrough:
                    return Xlat.flags(self, value, comment)
                head = self.field._unknown(f, comment)
        if not rest:
            return head
        tail = Xlat.flags(self, rest, comment)
        return f"{tail}|{head}" if self.flags_first else f"{head}|{tail}"

    enum = flags
    __call__ = flags


class MmapFlags(FieldXlat):
    """mmap flags: the map type, the flags, then the huge page size as "|21<<MAP_HUGE_SHIFT"."""

    __slots__ = ()

    def flags(self, value: int, comment: bool = False) -> str:
        value &= self.wmask
        huge = value & (0x3f << 26)
        # strace clears the huge page bits with a 32-bit mask, which drops bits 32..63 too
        s = FieldXlat.flags(self, value & 0x03ffffff, comment)
        return f"{s}|{huge >> 26}<<MAP_HUGE_SHIFT" if huge else s

    enum = flags
    __call__ = flags


class HugeFlags(Xlat):
    """Flags with a huge page size in bits 26..31, printed last as "|21<<MFD_HUGE_SHIFT"."""

    __slots__ = ("shift_name",)

    def __init__(self, pairs: str | list[tuple[int, str]] | Xlat, *, shift_name: str,
                 dflt: str | None = None):
        super().__init__(pairs, dflt=dflt)
        self.shift_name = shift_name

    def flags(self, value: int, comment: bool = False) -> str:
        value &= self.wmask
        huge = value & (0x3f << 26)
        rest = value & ~huge
        if not huge:
            return Xlat.flags(self, rest, comment)
        h = f"{huge >> 26}<<{self.shift_name}"
        return f"{Xlat.flags(self, rest, comment)}|{h}" if rest else h

    enum = flags
    __call__ = flags


class PersonalityXlat(FieldXlat):
    """personality(2): 0xffffffff (a query) prints as is."""

    __slots__ = ()

    def flags(self, value: int, comment: bool = False) -> str:
        if value & 0xffffffff == 0xffffffff:
            return "0xffffffff"
        return FieldXlat.flags(self, value & 0xffffffff, comment)

    enum = flags
    __call__ = flags


class CloneFlags(Xlat):
    """clone(2) flags: the CLONE_* flags, then the exit signal (the low byte) by name:
    "CLONE_VM|CLONE_VFORK|SIGCHLD"; no flags at all prints just the signal ("SIGCHLD", "0")."""

    __slots__ = ()

    def flags(self, value: int, comment: bool = False) -> str:
        value &= self.wmask
        sig, rest = value & 0xff, value & ~0xff
        signame = SIGNALS.get(sig, str(sig))
        if not rest:
            return signame
        s = Xlat.flags(self, rest, comment)
        return f"{s}|{signame}" if sig else s

    enum = flags
    __call__ = flags


def _oct(mode: int) -> str:
    """C's "%#03o": 0 -> "000", 0o644 -> "0644"."""
    return f"0{mode:o}".rjust(3, "0") if mode else "000"


class ModeFlags(Xlat):
    """IPC_CREAT|IPC_EXCL|0600: the flags (value & ~0o777), then the permission bits in octal."""

    __slots__ = ()

    def flags(self, value: int, comment: bool = False) -> str:
        value &= self.wmask
        rest = value & ~0o777
        mode = _oct(value & 0o777)
        if not rest:
            return mode
        # with no known flag strace prints the bits and the mode with no "|" between
        # (0x80000 and 0 print as "0x80000000"); we do the same
        sep = "|" if any(v > 0 and (rest & v) == v for v, _ in self.pairs) else ""
        return f"{Xlat.flags(self, rest)}{sep}{mode}"

    enum = flags
    __call__ = flags


class ShmgetFlags(Xlat):
    """shmget flags: IPC_CREAT|SHM_HUGETLB|21<<SHM_HUGE_SHIFT|0600."""

    __slots__ = ()

    def flags(self, value: int, comment: bool = False) -> str:
        value &= 0xffffffff
        mode = _oct(value & 0o777)
        rest = value & ~0o777
        huge = rest & (0x3f << 26)
        rest &= ~huge
        parts = [Xlat.flags(self, rest)] if rest else []
        if huge:
            parts.append(f"{huge >> 26}<<SHM_HUGE_SHIFT")
        return "|".join(parts + [mode])

    enum = flags
    __call__ = flags


class FileMode(Xlat):
    """A mode_t with its file type, as strace prints st_mode and mknod's mode:
    "S_IFREG|0644", "S_IFDIR|S_ISVTX|0777"; no type: "0644"; unknown type: "0170644"."""

    __slots__ = ()

    def flags(self, value: int, comment: bool = False) -> str:
        value &= 0xffff         # a mode_t argument is printed as an unsigned short
        ifmt = value & 0o170000
        name = self.lookup(ifmt) if ifmt else ""
        if name is None:
            return _oct(value)
        parts = [name] if name else []
        for bit, n in ((0o4000, "S_ISUID"), (0o2000, "S_ISGID"), (0o1000, "S_ISVTX")):
            if value & bit:
                parts.append(n)
        parts.append(_oct(value & ~0o177000))
        return "|".join(parts)

    enum = flags
    __call__ = flags


class SwapFlags(Xlat):
    """swapon flags: SWAP_FLAG_* names, then the priority (flags & 0x7fff) in decimal."""

    __slots__ = ()

    def flags(self, value: int, comment: bool = False) -> str:
        value &= 0xffffffff
        prio, rest = value & 0x7fff, value & ~0x7fff
        return f"{Xlat.flags(self, rest, comment)}|{prio}" if rest else str(prio)

    enum = flags
    __call__ = flags


class IoctlXlat(Xlat):
    """ioctl request codes.  Codes with several names print them all ("SNDCTL_TMR_START or
    TCSETS", as strace does); unknown codes print as _IOC(dir, type, nr, size)."""

    __slots__ = ()

    def enum(self, value: int, comment: bool = False) -> str:
        value &= 0xffffffff
        name = self.lookup(value)
        if name is not None:
            return name
        d = XLAT["ioctl_dir"].flags(value >> 30, comment)
        return (f"_IOC({d}, {_hex((value >> 8) & 0xff)}, {_hex(value & 0xff)}, "
                f"{_hex((value >> 16) & 0x3fff)})")

    flags = enum
    __call__ = enum


XLAT: dict[str, Xlat] = {
    # ---- files and descriptors -----------------------------------------------------------
    # open(2) access mode field (flags & 3)
    "open_access": Xlat("0 O_RDONLY  1 O_WRONLY  2 O_RDWR  3 O_ACCMODE", bits=False, dflt="O_???"),
    # AT_* flags of *at() calls
    "at": Xlat("""
        0x100 AT_SYMLINK_NOFOLLOW  0x200 AT_REMOVEDIR  0x400 AT_SYMLINK_FOLLOW
        0x800 AT_NO_AUTOMOUNT  0x1000 AT_EMPTY_PATH  0x8000 AT_RECURSIVE
    """, dflt="AT_???"),
    # faccessat2 flags
    "faccessat": Xlat("""
        0x100 AT_SYMLINK_NOFOLLOW  0x200 AT_EACCESS  0x1000 AT_EMPTY_PATH
    """, dflt="AT_???"),
    # access(2) mode
    "access": Xlat("0x0 F_OK  0x4 R_OK  0x2 W_OK  0x1 X_OK", dflt="?_OK"),
    # fcntl(2) commands
    "fcntl": Xlat("""
        0 F_DUPFD  1 F_GETFD  2 F_SETFD  3 F_GETFL  4 F_SETFL  5 F_GETLK  6 F_SETLK  7 F_SETLKW
        8 F_SETOWN  9 F_GETOWN  10 F_SETSIG  11 F_GETSIG  12 F_GETLK64  13 F_SETLK64  14 F_SETLKW64
        15 F_SETOWN_EX  16 F_GETOWN_EX  17 F_GETOWNER_UIDS  36 F_OFD_GETLK  37 F_OFD_SETLK
        38 F_OFD_SETLKW  0x400 F_SETLEASE  0x401 F_GETLEASE  0x402 F_NOTIFY  0x405 F_CANCELLK
        0x406 F_DUPFD_CLOEXEC  0x407 F_SETPIPE_SZ  0x408 F_GETPIPE_SZ  0x409 F_ADD_SEALS
        0x40a F_GET_SEALS
    """, bits=False, dflt="F_???"),
    # F_GETFD/F_SETFD
    "fd_flags": Xlat("0x1 FD_CLOEXEC", dflt="FD_???"),
    # lseek whence
    "seek_whence": Xlat("""
        0 SEEK_SET  1 SEEK_CUR  2 SEEK_END  3 SEEK_DATA  4 SEEK_HOLE
    """, bits=False, dflt="SEEK_???"),
    # posix_fadvise advice
    "fadvise": Xlat("""
        0 POSIX_FADV_NORMAL  1 POSIX_FADV_RANDOM  2 POSIX_FADV_SEQUENTIAL  3 POSIX_FADV_WILLNEED
        4 POSIX_FADV_DONTNEED  5 POSIX_FADV_NOREUSE
    """, bits=False, dflt="POSIX_FADV_???"),
    # flock(2) operation
    "flock": Xlat("""
        0x1 LOCK_SH  0x2 LOCK_EX  0x4 LOCK_NB  0x8 LOCK_UN  0x20 LOCK_MAND  0xc0 LOCK_RW
        0x40 LOCK_READ  0x80 LOCK_WRITE
    """, dflt="LOCK_???"),
    # statx mask
    "statx_mask": Xlat("""
        0xfff STATX_ALL  0x7ff STATX_BASIC_STATS  0x1 STATX_TYPE  0x2 STATX_MODE  0x4 STATX_NLINK
        0x8 STATX_UID  0x10 STATX_GID  0x20 STATX_ATIME  0x40 STATX_MTIME  0x80 STATX_CTIME
        0x100 STATX_INO  0x200 STATX_SIZE  0x400 STATX_BLOCKS  0x800 STATX_BTIME
        0x1000 STATX_MNT_ID  0x2000 STATX_DIOALIGN
    """, dflt="STATX_???"),
    # statx flags: sync type field (flags & AT_STATX_SYNC_TYPE)
    "statx_sync": Xlat("""
        0x0 AT_STATX_SYNC_AS_STAT  0x2000 AT_STATX_FORCE_SYNC  0x4000 AT_STATX_DONT_SYNC
        0x6000 AT_STATX_SYNC_TYPE
    """),
    # renameat2 flags
    "rename": Xlat("""
        0x1 RENAME_NOREPLACE  0x2 RENAME_EXCHANGE  0x4 RENAME_WHITEOUT
    """, dflt="RENAME_??"),
    # setxattr flags
    "xattr": Xlat("0x1 XATTR_CREATE  0x2 XATTR_REPLACE", dflt="XATTR_???"),
    # fallocate mode
    "falloc": Xlat("""
        0x1 FALLOC_FL_KEEP_SIZE  0x2 FALLOC_FL_PUNCH_HOLE  0x4 FALLOC_FL_NO_HIDE_STALE
        0x8 FALLOC_FL_COLLAPSE_RANGE  0x10 FALLOC_FL_ZERO_RANGE  0x20 FALLOC_FL_INSERT_RANGE
        0x40 FALLOC_FL_UNSHARE_RANGE
    """, dflt="FALLOC_FL_???"),
    # splice/tee/vmsplice flags
    "splice": Xlat("""
        0x1 SPLICE_F_MOVE  0x2 SPLICE_F_NONBLOCK  0x4 SPLICE_F_MORE  0x8 SPLICE_F_GIFT
    """, dflt="SPLICE_F_???"),
    # sync_file_range flags
    "sync_file_range": Xlat("""
        0x1 SYNC_FILE_RANGE_WAIT_BEFORE  0x2 SYNC_FILE_RANGE_WRITE  0x4 SYNC_FILE_RANGE_WAIT_AFTER
    """, dflt="SYNC_FILE_RANGE_???"),
    # preadv2/pwritev2 flags
    "rwf": Xlat("""
        0x1 RWF_HIPRI  0x2 RWF_DSYNC  0x4 RWF_SYNC  0x8 RWF_NOWAIT  0x10 RWF_APPEND
    """, dflt="RWF_???"),
    # close_range flags
    "close_range": Xlat("0x2 CLOSE_RANGE_UNSHARE  0x4 CLOSE_RANGE_CLOEXEC", dflt="CLOSE_RANGE_???"),
    # file type bits of st_mode (mode & S_IFMT)
    "st_mode": Xlat("""
        0x8000 S_IFREG  0xc000 S_IFSOCK  0x1000 S_IFIFO  0xa000 S_IFLNK  0x4000 S_IFDIR
        0x6000 S_IFBLK  0x2000 S_IFCHR
    """, bits=False, dflt="S_???"),
    # d_type of getdents64
    "dirent_type": Xlat("""
        0 DT_UNKNOWN  1 DT_FIFO  2 DT_CHR  4 DT_DIR  6 DT_BLK  8 DT_REG  10 DT_LNK  12 DT_SOCK
        14 DT_WHT
    """, bits=False, dflt="DT_???"),
    # memfd_create flags
    "memfd": Xlat("0x1 MFD_CLOEXEC  0x2 MFD_ALLOW_SEALING  0x4 MFD_HUGETLB", dflt="MFD_???"),
    # eventfd2 flags
    "eventfd": Xlat("0x1 EFD_SEMAPHORE  0x80000 EFD_CLOEXEC  0x800 EFD_NONBLOCK", dflt="EFD_???"),
    # timerfd_create/timerfd_settime flags
    "timerfd": Xlat("""
        0x1 TFD_TIMER_ABSTIME  0x2 TFD_TIMER_CANCEL_ON_SET  0x80000 TFD_CLOEXEC  0x800 TFD_NONBLOCK
    """, dflt="TFD_???"),
    # signalfd4 flags
    "signalfd": Xlat("0x80000 SFD_CLOEXEC  0x800 SFD_NONBLOCK", dflt="SFD_???"),
    # epoll_create1 flags
    "epoll_create": Xlat("0x80000 EPOLL_CLOEXEC", dflt="EPOLL_???"),
    # epoll_ctl op
    "epoll_ctl": Xlat("""
        1 EPOLL_CTL_ADD  2 EPOLL_CTL_DEL  3 EPOLL_CTL_MOD
    """, bits=False, dflt="EPOLL_CTL_???"),
    # epoll_event.events
    "epoll_events": Xlat("""
        0x1 EPOLLIN  0x2 EPOLLPRI  0x4 EPOLLOUT  0x8 EPOLLERR  0x10 EPOLLHUP  0x20 EPOLLNVAL
        0x40 EPOLLRDNORM  0x80 EPOLLRDBAND  0x100 EPOLLWRNORM  0x200 EPOLLWRBAND  0x400 EPOLLMSG
        0x2000 EPOLLRDHUP  0x10000000 EPOLLEXCLUSIVE  0x20000000 EPOLLWAKEUP
        0x40000000 EPOLLONESHOT  0x80000000 EPOLLET
    """, dflt="EPOLLIN_???"),
    # inotify_add_watch mask
    "inotify_mask": Xlat("""
        0x1 IN_ACCESS  0x2 IN_MODIFY  0x4 IN_ATTRIB  0x8 IN_CLOSE_WRITE  0x10 IN_CLOSE_NOWRITE
        0x20 IN_OPEN  0x40 IN_MOVED_FROM  0x80 IN_MOVED_TO  0x100 IN_CREATE  0x200 IN_DELETE
        0x400 IN_DELETE_SELF  0x800 IN_MOVE_SELF  0x2000 IN_UNMOUNT  0x4000 IN_Q_OVERFLOW
        0x8000 IN_IGNORED  0x1000000 IN_ONLYDIR  0x2000000 IN_DONT_FOLLOW  0x4000000 IN_EXCL_UNLINK
        0x10000000 IN_MASK_CREATE  0x20000000 IN_MASK_ADD  0x40000000 IN_ISDIR
        0x80000000 IN_ONESHOT
    """, dflt="IN_???"),
    # inotify_init1 flags
    "inotify_init": Xlat("0x800 IN_NONBLOCK  0x80000 IN_CLOEXEC", dflt="IN_???"),
    # fanotify_init class field (flags & 0xc)
    "fan_class": Xlat("""
        0 FAN_CLASS_NOTIF  4 FAN_CLASS_CONTENT  8 FAN_CLASS_PRE_CONTENT
    """, bits=False, dflt="FAN_CLASS_???"),
    # fanotify_init flags
    "fan_init_flags": Xlat("""
        0x1 FAN_CLOEXEC  0x2 FAN_NONBLOCK  0x10 FAN_UNLIMITED_QUEUE  0x20 FAN_UNLIMITED_MARKS
        0x40 FAN_ENABLE_AUDIT  0x80 FAN_REPORT_PIDFD  0x100 FAN_REPORT_TID  0x200 FAN_REPORT_FID
        0x400 FAN_REPORT_DIR_FID  0x800 FAN_REPORT_NAME  0x1000 FAN_REPORT_TARGET_FID
    """, dflt="FAN_???"),
    # fanotify_mark flags
    "fan_mark": Xlat("""
        0x1 FAN_MARK_ADD  0x2 FAN_MARK_REMOVE  0x4 FAN_MARK_DONT_FOLLOW  0x8 FAN_MARK_ONLYDIR
        0x10 FAN_MARK_MOUNT  0x20 FAN_MARK_IGNORED_MASK  0x40 FAN_MARK_IGNORED_SURV_MODIFY
        0x80 FAN_MARK_FLUSH  0x100 FAN_MARK_FILESYSTEM  0x200 FAN_MARK_EVICTABLE
        0x400 FAN_MARK_IGNORE
    """, dflt="FAN_MARK_???"),
    # fanotify event mask
    "fan_event": Xlat("""
        0x1 FAN_ACCESS  0x2 FAN_MODIFY  0x4 FAN_ATTRIB  0x8 FAN_CLOSE_WRITE  0x10 FAN_CLOSE_NOWRITE
        0x20 FAN_OPEN  0x40 FAN_MOVED_FROM  0x80 FAN_MOVED_TO  0x100 FAN_CREATE  0x200 FAN_DELETE
        0x400 FAN_DELETE_SELF  0x800 FAN_MOVE_SELF  0x1000 FAN_OPEN_EXEC  0x4000 FAN_Q_OVERFLOW
        0x8000 FAN_FS_ERROR  0x10000 FAN_OPEN_PERM  0x20000 FAN_ACCESS_PERM
        0x40000 FAN_OPEN_EXEC_PERM  0x80000 FAN_DIR_MODIFY  0x40000000 FAN_ONDIR
        0x8000000 FAN_EVENT_ON_CHILD  0x10000000 FAN_RENAME
    """, dflt="FAN_???", width=64),
    # pollfd events/revents
    "poll_events": Xlat("""
        0x1 POLLIN  0x2 POLLPRI  0x4 POLLOUT  0x8 POLLERR  0x10 POLLHUP  0x20 POLLNVAL
        0x40 POLLRDNORM  0x80 POLLRDBAND  0x100 POLLWRNORM  0x200 POLLWRBAND  0x400 POLLMSG
        0x1000 POLLREMOVE  0x2000 POLLRDHUP  0x8000 POLL_BUSY_LOOP
    """, dflt="POLLIN_???"),
    # getrandom flags
    "getrandom": Xlat("0x1 GRND_NONBLOCK  0x2 GRND_RANDOM  0x4 GRND_INSECURE", dflt="GRND_???"),
    # memfd_secret flags
    "memfd_secret": Xlat("0x80000 O_CLOEXEC"),
    # _IOC_DIR() of an ioctl code
    "ioctl_dir": Xlat("0x0 _IOC_NONE  0x2 _IOC_READ  0x1 _IOC_WRITE", dflt="_IOC_???"),
    # open flags without the access mode (pipe2, dup3)
    "open_mode": Xlat("""
        0x40 O_CREAT  0x80 O_EXCL  0x100 O_NOCTTY  0x200 O_TRUNC  0x400 O_APPEND  0x800 O_NONBLOCK
        0x101000 O_SYNC  0x100000 __O_SYNC  0x1000 O_DSYNC  0x4000 O_DIRECT  0x8000 O_LARGEFILE
        0x20000 O_NOFOLLOW  0x40000 O_NOATIME  0x80000 O_CLOEXEC  0x200000 O_PATH
        0x410000 O_TMPFILE  0x400000 __O_TMPFILE  0x10000 O_DIRECTORY  0x2000 FASYNC
    """, dflt="O_???"),
    # name_to_handle_at flags
    "name_to_handle_at": Xlat("0x400 AT_SYMLINK_FOLLOW  0x1000 AT_EMPTY_PATH", dflt="AT_???"),
    # open_how.resolve
    "resolve": Xlat("""
        0x1 RESOLVE_NO_XDEV  0x2 RESOLVE_NO_MAGICLINKS  0x4 RESOLVE_NO_SYMLINKS
        0x8 RESOLVE_BENEATH  0x10 RESOLVE_IN_ROOT  0x20 RESOLVE_CACHED
    """, dflt="RESOLVE_???"),
    # mount(2) flags
    "mount": Xlat("""
        0x1 MS_RDONLY  0x2 MS_NOSUID  0x4 MS_NODEV  0x8 MS_NOEXEC  0x10 MS_SYNCHRONOUS
        0x20 MS_REMOUNT  0x40 MS_MANDLOCK  0x80 MS_DIRSYNC  0x100 MS_NOSYMFOLLOW  0x400 MS_NOATIME
        0x800 MS_NODIRATIME  0x1000 MS_BIND  0x2000 MS_MOVE  0x4000 MS_REC  0x8000 MS_SILENT
        0x10000 MS_POSIXACL  0x20000 MS_UNBINDABLE  0x40000 MS_PRIVATE  0x80000 MS_SLAVE
        0x100000 MS_SHARED  0x200000 MS_RELATIME  0x400000 MS_KERNMOUNT  0x800000 MS_I_VERSION
        0x1000000 MS_STRICTATIME  0x2000000 MS_LAZYTIME  0x4000000 MS_SUBMOUNT
        0x8000000 MS_NOREMOTELOCK  0x10000000 MS_NOSEC  0x20000000 MS_BORN  0x40000000 MS_ACTIVE
        0x80000000 MS_NOUSER
    """, dflt="MS_???", width=64),
    # umount2 flags
    "umount": Xlat("""
        0x1 MNT_FORCE  0x2 MNT_DETACH  0x4 MNT_EXPIRE  0x8 UMOUNT_NOFOLLOW
    """, dflt="MNT_???"),
    # swapon flags
    "swap": Xlat("""
        0x8000 SWAP_FLAG_PREFER  0x10000 SWAP_FLAG_DISCARD  0x20000 SWAP_FLAG_DISCARD_ONCE
        0x40000 SWAP_FLAG_DISCARD_PAGES
    """, dflt="SWAP_FLAG_???"),
    # fsopen flags
    "fsopen": Xlat("0x1 FSOPEN_CLOEXEC", dflt="FSOPEN_???"),
    # fsconfig cmd
    "fsconfig_cmd": Xlat("""
        0 FSCONFIG_SET_FLAG  1 FSCONFIG_SET_STRING  2 FSCONFIG_SET_BINARY  3 FSCONFIG_SET_PATH
        4 FSCONFIG_SET_PATH_EMPTY  5 FSCONFIG_SET_FD  6 FSCONFIG_CMD_CREATE
        7 FSCONFIG_CMD_RECONFIGURE
    """, bits=False, dflt="FSCONFIG_???"),
    # fsmount flags
    "fsmount": Xlat("0x1 FSMOUNT_CLOEXEC", dflt="FSMOUNT_???"),
    # fsmount attr_flags
    "mount_attr": Xlat("""
        0x1 MOUNT_ATTR_RDONLY  0x2 MOUNT_ATTR_NOSUID  0x4 MOUNT_ATTR_NODEV  0x8 MOUNT_ATTR_NOEXEC
        0x10 MOUNT_ATTR_NOATIME  0x20 MOUNT_ATTR_STRICTATIME  0x80 MOUNT_ATTR_NODIRATIME
    """, dflt="MOUNT_ATTR_???"),
    # fspick flags
    "fspick": Xlat("""
        0x1 FSPICK_CLOEXEC  0x2 FSPICK_SYMLINK_NOFOLLOW  0x4 FSPICK_NO_AUTOMOUNT
        0x8 FSPICK_EMPTY_PATH
    """, dflt="FSPICK_???"),
    # open_tree flags
    "open_tree": Xlat("""
        0x1 OPEN_TREE_CLONE  0x80000 OPEN_TREE_CLOEXEC  0x100 AT_SYMLINK_NOFOLLOW
        0x200 AT_REMOVEDIR  0x400 AT_SYMLINK_FOLLOW  0x800 AT_NO_AUTOMOUNT  0x1000 AT_EMPTY_PATH
        0x8000 AT_RECURSIVE
    """, dflt="OPEN_TREE_???"),
    # move_mount flags
    "move_mount": Xlat("""
        0x1 MOVE_MOUNT_F_SYMLINKS  0x2 MOVE_MOUNT_F_AUTOMOUNTS  0x4 MOVE_MOUNT_F_EMPTY_PATH
        0x10 MOVE_MOUNT_T_SYMLINKS  0x20 MOVE_MOUNT_T_AUTOMOUNTS  0x40 MOVE_MOUNT_T_EMPTY_PATH
        0x100 MOVE_MOUNT_SET_GROUP
    """, dflt="MOVE_MOUNT_???"),
    # mount_setattr flags
    "mount_setattr": Xlat("""
        0x100 AT_SYMLINK_NOFOLLOW  0x800 AT_NO_AUTOMOUNT  0x1000 AT_EMPTY_PATH  0x8000 AT_RECURSIVE
    """, dflt="AT_???"),
    # statfs f_flags
    "statfs_flags": Xlat("""
        0x20 ST_VALID  0x1 ST_RDONLY  0x2 ST_NOSUID  0x4 ST_NODEV  0x8 ST_NOEXEC
        0x10 ST_SYNCHRONOUS  0x40 ST_MANDLOCK  0x400 ST_NOATIME  0x800 ST_NODIRATIME
        0x1000 ST_RELATIME  0x2000 ST_NOSYMFOLLOW
    """, dflt="ST_???"),
    # statfs f_type
    "fs_magic": Xlat("""
        0x2f QNX4_SUPER_MAGIC  0x33 Z3FOLD_MAGIC  0x187 AUTOFS_SUPER_MAGIC
        0x1373 DEVFS_SUPER_MAGIC  0x137d EXT_SUPER_MAGIC  0x137f MINIX_SUPER_MAGIC
        0x138f MINIX_SUPER_MAGIC2  0x1cd1 DEVPTS_SUPER_MAGIC  0x2468 MINIX2_SUPER_MAGIC
        0x2478 MINIX2_SUPER_MAGIC2  0x3434 NILFS_SUPER_MAGIC  0x4244 HFS_SUPER_MAGIC
        0x482b HFSPLUS_SUPER_MAGIC  0x4d44 MSDOS_SUPER_MAGIC  0x4d5a MINIX3_SUPER_MAGIC
        0x517b SMB_SUPER_MAGIC  0x564c NCP_SUPER_MAGIC  0x5df5 EXOFS_SUPER_MAGIC
        0x6969 NFS_SUPER_MAGIC  0x7275 ROMFS_MAGIC  0x72b6 JFFS2_SUPER_MAGIC
        0x9660 ISOFS_SUPER_MAGIC  0x9fa0 PROC_SUPER_MAGIC  0x9fa1 OPENPROM_SUPER_MAGIC
        0x9fa2 USBDEVICE_SUPER_MAGIC  0xadf5 ADFS_SUPER_MAGIC  0xadff AFFS_SUPER_MAGIC
        0xef51 EXT2_OLD_SUPER_MAGIC  0xef53 EXT2_SUPER_MAGIC  0xf15f ECRYPTFS_SUPER_MAGIC
        0x11954 UFS_MAGIC  0x27e0eb CGROUP_SUPER_MAGIC  0x414a53 EFS_SUPER_MAGIC
        0xc0ffee HOSTFS_SUPER_MAGIC  0xc36400 CEPH_SUPER_MAGIC  0x1021994 TMPFS_MAGIC
        0x1021997 V9FS_MAGIC  0x1161970 GFS2_MAGIC  0x12fd16d XIAFS_SUPER_MAGIC
        0x12ff7b4 XENIX_SUPER_MAGIC  0x12ff7b5 SYSV4_SUPER_MAGIC  0x12ff7b6 SYSV2_SUPER_MAGIC
        0x12ff7b7 COH_SUPER_MAGIC  0x2011994 SHMFS_SUPER_MAGIC  0x9041934 ANON_INODE_FS_MAGIC
        0xbad1dea FUTEXFS_SUPER_MAGIC  0x11307854 MTD_INODE_FS_MAGIC  0x13661366 BALLOON_KVM_MAGIC
        0x15013346 UDF_SUPER_MAGIC  0x1badface BFS_MAGIC  0x2011bab0 EXFAT_SUPER_MAGIC
        0x24051905 UBIFS_SUPER_MAGIC  0x28cd3d45 CRAMFS_MAGIC  0x2fc12fc1 ZFS_SUPER_MAGIC
        0x3153464a JFS_SUPER_MAGIC  0x42465331 BEFS_SUPER_MAGIC  0x42494e4d BINFMTFS_MAGIC
        0x43415d53 SMACK_MAGIC  0x444d4142 DMA_BUF_MAGIC  0x453dcd28 CRAMFS_MAGIC_WEND
        0x454d444d DEVMEM_MAGIC  0x47504653 GPFS_SUPER_MAGIC  0x50495045 PIPEFS_MAGIC
        0x52654973 REISERFS_SUPER_MAGIC  0x5345434d SECRETMEM_MAGIC  0x5346414f AFS_SUPER_MAGIC
        0x5346544e NTFS_SB_MAGIC  0x534f434b SOCKFS_MAGIC  0x54190100 UFS_CIGAM
        0x565a4653 VZFS_SUPER_MAGIC  0x57ac6e9d STACK_END_MAGIC  0x58295829 ZSMALLOC_MAGIC
        0x58465342 XFS_SUPER_MAGIC  0x5a3c69f0 AAFS_MAGIC  0x5a4f4653 ZONEFS_MAGIC
        0x6165676c PSTOREFS_MAGIC  0x61756673 AUFS_SUPER_MAGIC  0x62646576 BDEVFS_MAGIC
        0x62656570 CONFIGFS_MAGIC  0x62656572 SYSFS_MAGIC  0x63677270 CGROUP2_SUPER_MAGIC
        0x64626720 DEBUGFS_MAGIC  0x64646178 DAXFS_MAGIC  0x65735543 FUSE_CTL_SUPER_MAGIC
        0x65735546 FUSE_SUPER_MAGIC  0x68191122 QNX6_SUPER_MAGIC  0x6b414653 AFS_FS_MAGIC
        0x6c6f6f70 BINDERFS_SUPER_MAGIC  0x6e736673 NSFS_MAGIC  0x73636673 SECURITYFS_MAGIC
        0x73717368 SQUASHFS_MAGIC  0x73727279 BTRFS_TEST_MAGIC  0x73757245 CODA_SUPER_MAGIC
        0x7461636f OCFS2_SUPER_MAGIC  0x74726163 TRACEFS_MAGIC  0x794c7630 OVERLAYFS_SUPER_MAGIC
        0x858458f6 RAMFS_MAGIC  0x9123683e BTRFS_SUPER_MAGIC  0x958458f6 HUGETLBFS_MAGIC
        0xa501fcf5 VXFS_SUPER_MAGIC  0xabba1974 XENFS_SUPER_MAGIC  0xc7571590 PPC_CMM_MAGIC
        0xc97e8168 LOGFS_MAGIC  0xcafe4a11 BPF_FS_MAGIC  0xde5e81e4 EFIVARFS_MAGIC
        0xe0f5e1e2 EROFS_SUPER_MAGIC_V1  0xf2f52010 F2FS_SUPER_MAGIC  0xf97cff8c SELINUX_MAGIC
        0xf995e849 HPFS_SUPER_MAGIC  0xfe534d42 SMB2_SUPER_MAGIC  0xff534d42 CIFS_SUPER_MAGIC
    """, bits=False, dflt="QNX4_???"),
    # quotactl type
    "quota_type": Xlat("0 USRQUOTA  1 GRPQUOTA  2 PRJQUOTA", bits=False, dflt="USRQUOTA_???"),
    # ---- memory --------------------------------------------------------------------------
    # mmap/mprotect prot
    "mmap_prot": Xlat("""
        0x0 PROT_NONE  0x1 PROT_READ  0x2 PROT_WRITE  0x4 PROT_EXEC  0x8 PROT_SEM
        0x1000000 PROT_GROWSDOWN  0x2000000 PROT_GROWSUP
    """, dflt="PROT_???", width=64),
    # mmap flags (MAP_TYPE field values and flags)
    "mmap_flag_names": Xlat("""
        0x1 MAP_SHARED  0x2 MAP_PRIVATE  0x3 MAP_SHARED_VALIDATE  0x10 MAP_FIXED
        0x20 MAP_ANONYMOUS  0x40 MAP_32BIT  0x4000 MAP_NORESERVE  0x8000 MAP_POPULATE
        0x10000 MAP_NONBLOCK  0x100 MAP_GROWSDOWN  0x800 MAP_DENYWRITE  0x1000 MAP_EXECUTABLE
        0x0 MAP_FILE  0x2000 MAP_LOCKED  0x20000 MAP_STACK  0x40000 MAP_HUGETLB  0x80000 MAP_SYNC
        0x4000000 MAP_UNINITIALIZED  0x100000 MAP_FIXED_NOREPLACE
    """),
    # madvise advice
    "madvise": Xlat("""
        0 MADV_NORMAL  1 MADV_RANDOM  2 MADV_SEQUENTIAL  3 MADV_WILLNEED  4 MADV_DONTNEED
        8 MADV_FREE  9 MADV_REMOVE  10 MADV_DONTFORK  11 MADV_DOFORK  12 MADV_MERGEABLE
        13 MADV_UNMERGEABLE  14 MADV_HUGEPAGE  15 MADV_NOHUGEPAGE  16 MADV_DONTDUMP  17 MADV_DODUMP
        18 MADV_WIPEONFORK  19 MADV_KEEPONFORK  20 MADV_COLD  21 MADV_PAGEOUT
        22 MADV_POPULATE_READ  23 MADV_POPULATE_WRITE  24 MADV_DONTNEED_LOCKED  25 MADV_COLLAPSE
        100 MADV_HWPOISON  101 MADV_SOFT_OFFLINE
    """, bits=False, dflt="MADV_???"),
    # msync flags
    "msync": Xlat("0x4 MS_SYNC  0x1 MS_ASYNC  0x2 MS_INVALIDATE", dflt="MS_???"),
    # mremap flags
    "mremap": Xlat("""
        0x1 MREMAP_MAYMOVE  0x2 MREMAP_FIXED  0x4 MREMAP_DONTUNMAP
    """, dflt="MREMAP_???", width=64),
    # mlockall flags
    "mlockall": Xlat("0x1 MCL_CURRENT  0x2 MCL_FUTURE  0x4 MCL_ONFAULT", dflt="MCL_???"),
    # mlock2 flags
    "mlock2": Xlat("0x1 MLOCK_ONFAULT", dflt="MLOCK_???"),
    # set_mempolicy/mbind mode field
    "mpol_modes": Xlat("""
        0 MPOL_DEFAULT  1 MPOL_PREFERRED  2 MPOL_BIND  3 MPOL_INTERLEAVE  4 MPOL_LOCAL
        5 MPOL_PREFERRED_MANY
    """, bits=False, dflt="MPOL_???"),
    # mode flags
    "mpol_mode_flags": Xlat("""
        0x8000 MPOL_F_STATIC_NODES  0x4000 MPOL_F_RELATIVE_NODES  0x2000 MPOL_F_NUMA_BALANCING
    """, dflt="MPOL_F_???"),
    # mbind flags
    "mbind": Xlat("0x1 MPOL_MF_STRICT  0x2 MPOL_MF_MOVE  0x4 MPOL_MF_MOVE_ALL", dflt="MPOL_???"),
    # get_mempolicy flags
    "get_mempolicy": Xlat("""
        0x1 MPOL_F_NODE  0x2 MPOL_F_ADDR  0x4 MPOL_F_MEMS_ALLOWED
    """, dflt="MPOL_???", width=64),
    # move_pages flags
    "move_pages": Xlat("0x2 MPOL_MF_MOVE  0x4 MPOL_MF_MOVE_ALL", dflt="MPOL_???"),
    # pkey_alloc access rights
    "pkey_access": Xlat("""
        0x1 PKEY_DISABLE_ACCESS  0x2 PKEY_DISABLE_WRITE  0x4 PKEY_DISABLE_EXECUTE
    """, dflt="PKEY_???", width=64),
    # membarrier cmd
    "membarrier_cmd": Xlat("""
        0 MEMBARRIER_CMD_QUERY  1 MEMBARRIER_CMD_GLOBAL  2 MEMBARRIER_CMD_GLOBAL_EXPEDITED
        4 MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED  8 MEMBARRIER_CMD_PRIVATE_EXPEDITED
        16 MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED  32 MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE
        64 MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE
        128 MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ
        0x100 MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ
    """, bits=False, dflt="MEMBARRIER_CMD_???"),
    # membarrier flags
    "membarrier_flags": Xlat("0x1 MEMBARRIER_CMD_FLAG_CPU", dflt="MEMBARRIER_CMD_FLAG_???"),
    # shmget flags (and mode bits)
    "shm_get": Xlat("""
        0x200 IPC_CREAT  0x400 IPC_EXCL  0x800 SHM_HUGETLB  0x1000 SHM_NORESERVE
    """, dflt="SHM_???"),
    # shmat flags
    "shmat": Xlat("""
        0x1000 SHM_RDONLY  0x2000 SHM_RND  0x4000 SHM_REMAP  0x8000 SHM_EXEC
    """, dflt="SHM_???"),
    # ---- processes -----------------------------------------------------------------------
    # clone flags (the low byte, the exit signal, is printed last by name)
    "clone": Xlat("""
        0x100 CLONE_VM  0x200 CLONE_FS  0x400 CLONE_FILES  0x800 CLONE_SIGHAND  0x1000 CLONE_PIDFD
        0x2000 CLONE_PTRACE  0x4000 CLONE_VFORK  0x8000 CLONE_PARENT  0x10000 CLONE_THREAD
        0x20000 CLONE_NEWNS  0x40000 CLONE_SYSVSEM  0x80000 CLONE_SETTLS
        0x100000 CLONE_PARENT_SETTID  0x200000 CLONE_CHILD_CLEARTID  0x800000 CLONE_UNTRACED
        0x1000000 CLONE_CHILD_SETTID  0x2000000 CLONE_NEWCGROUP  0x4000000 CLONE_NEWUTS
        0x8000000 CLONE_NEWIPC  0x10000000 CLONE_NEWUSER  0x20000000 CLONE_NEWPID
        0x40000000 CLONE_NEWNET  0x80000000 CLONE_IO
    """, dflt="CLONE_???"),
    # clone_args.flags
    "clone3": Xlat("""
        0x100 CLONE_VM  0x200 CLONE_FS  0x400 CLONE_FILES  0x800 CLONE_SIGHAND  0x1000 CLONE_PIDFD
        0x2000 CLONE_PTRACE  0x4000 CLONE_VFORK  0x8000 CLONE_PARENT  0x10000 CLONE_THREAD
        0x20000 CLONE_NEWNS  0x40000 CLONE_SYSVSEM  0x80000 CLONE_SETTLS
        0x100000 CLONE_PARENT_SETTID  0x200000 CLONE_CHILD_CLEARTID  0x800000 CLONE_UNTRACED
        0x1000000 CLONE_CHILD_SETTID  0x2000000 CLONE_NEWCGROUP  0x4000000 CLONE_NEWUTS
        0x8000000 CLONE_NEWIPC  0x10000000 CLONE_NEWUSER  0x20000000 CLONE_NEWPID
        0x40000000 CLONE_NEWNET  0x80000000 CLONE_IO  0x80 CLONE_NEWTIME
        0x100000000 CLONE_CLEAR_SIGHAND  0x200000000 CLONE_INTO_CGROUP
    """, dflt="CLONE_???", width=64),
    # unshare flags
    "unshare": Xlat("""
        0x80 CLONE_NEWTIME  0x100 CLONE_VM  0x200 CLONE_FS  0x400 CLONE_FILES  0x800 CLONE_SIGHAND
        0x10000 CLONE_THREAD  0x20000 CLONE_NEWNS  0x40000 CLONE_SYSVSEM  0x2000000 CLONE_NEWCGROUP
        0x4000000 CLONE_NEWUTS  0x8000000 CLONE_NEWIPC  0x10000000 CLONE_NEWUSER
        0x20000000 CLONE_NEWPID  0x40000000 CLONE_NEWNET
    """, dflt="CLONE_???", width=64),
    # setns nstype
    "setns": Xlat("""
        0x80 CLONE_NEWTIME  0x20000 CLONE_NEWNS  0x2000000 CLONE_NEWCGROUP  0x4000000 CLONE_NEWUTS
        0x8000000 CLONE_NEWIPC  0x10000000 CLONE_NEWUSER  0x20000000 CLONE_NEWPID
        0x40000000 CLONE_NEWNET
    """, dflt="CLONE_NEW???"),
    # wait4/waitid options
    "wait": Xlat("""
        0x1 WNOHANG  0x4 WEXITED  0x2 WSTOPPED  0x8 WCONTINUED  0x1000000 WNOWAIT
        0x80000000 __WCLONE  0x40000000 __WALL  0x20000000 __WNOTHREAD
    """, dflt="W???"),
    # waitid idtype
    "waitid_which": Xlat("0 P_ALL  1 P_PID  2 P_PGID  3 P_PIDFD", bits=False, dflt="P_???"),
    # prctl option
    "prctl": Xlat("""
        1 PR_SET_PDEATHSIG  2 PR_GET_PDEATHSIG  3 PR_GET_DUMPABLE  4 PR_SET_DUMPABLE
        5 PR_GET_UNALIGN  6 PR_SET_UNALIGN  7 PR_GET_KEEPCAPS  8 PR_SET_KEEPCAPS  9 PR_GET_FPEMU
        10 PR_SET_FPEMU  11 PR_GET_FPEXC  12 PR_SET_FPEXC  13 PR_GET_TIMING  14 PR_SET_TIMING
        15 PR_SET_NAME  16 PR_GET_NAME  19 PR_GET_ENDIAN  20 PR_SET_ENDIAN  21 PR_GET_SECCOMP
        22 PR_SET_SECCOMP  23 PR_CAPBSET_READ  24 PR_CAPBSET_DROP  25 PR_GET_TSC  26 PR_SET_TSC
        27 PR_GET_SECUREBITS  28 PR_SET_SECUREBITS  29 PR_SET_TIMERSLACK  30 PR_GET_TIMERSLACK
        31 PR_TASK_PERF_EVENTS_DISABLE  32 PR_TASK_PERF_EVENTS_ENABLE  33 PR_MCE_KILL
        34 PR_MCE_KILL_GET  35 PR_SET_MM  36 PR_SET_CHILD_SUBREAPER  37 PR_GET_CHILD_SUBREAPER
        38 PR_SET_NO_NEW_PRIVS  39 PR_GET_NO_NEW_PRIVS  40 PR_GET_TID_ADDRESS
        41 PR_SET_THP_DISABLE  42 PR_GET_THP_DISABLE  43 PR_MPX_ENABLE_MANAGEMENT
        44 PR_MPX_DISABLE_MANAGEMENT  45 PR_SET_FP_MODE  46 PR_GET_FP_MODE  47 PR_CAP_AMBIENT
        50 PR_SVE_SET_VL  51 PR_SVE_GET_VL  52 PR_GET_SPECULATION_CTRL  53 PR_SET_SPECULATION_CTRL
        54 PR_PAC_RESET_KEYS  55 PR_SET_TAGGED_ADDR_CTRL  56 PR_GET_TAGGED_ADDR_CTRL
        57 PR_SET_IO_FLUSHER  58 PR_GET_IO_FLUSHER  59 PR_SET_SYSCALL_USER_DISPATCH
        60 PR_PAC_SET_ENABLED_KEYS  61 PR_PAC_GET_ENABLED_KEYS  62 PR_SCHED_CORE  63 PR_SME_SET_VL
        64 PR_SME_GET_VL  0x53564d41 PR_SET_VMA  0x59616d61 PR_SET_PTRACER
    """, bits=False, dflt="PR_???"),
    # arch_prctl code
    "arch_prctl": Xlat("""
        0x1001 ARCH_SET_GS  0x1002 ARCH_SET_FS  0x1003 ARCH_GET_FS  0x1004 ARCH_GET_GS
        0x1011 ARCH_GET_CPUID  0x1012 ARCH_SET_CPUID  0x1021 ARCH_GET_XCOMP_SUPP
        0x1022 ARCH_GET_XCOMP_PERM  0x1023 ARCH_REQ_XCOMP_PERM  0x1024 ARCH_GET_XCOMP_GUEST_PERM
        0x1025 ARCH_REQ_XCOMP_GUEST_PERM  0x2001 ARCH_MAP_VDSO_X32  0x2002 ARCH_MAP_VDSO_32
        0x2003 ARCH_MAP_VDSO_64
    """, bits=False, dflt="ARCH_???"),
    # personality type field (pers & PER_MASK)
    "personality_type": Xlat("""
        0 PER_LINUX  0x800000 PER_LINUX_32BIT  0x80000 PER_LINUX_FDPIC  0x4100001 PER_SVR4
        0x5000002 PER_SVR3  0x7000003 PER_SCOSVR3  0x6000003 PER_OSR5  0x5000004 PER_WYSEV386
        0x4000005 PER_ISCR4  6 PER_BSD  0x4000006 PER_SUNOS  0x5000007 PER_XENIX  8 PER_LINUX32
        0x8000008 PER_LINUX32_3GB  0x4000009 PER_IRIX32  0x400000a PER_IRIXN32
        0x400000b PER_IRIX64  12 PER_RISCOS  0x400000d PER_SOLARIS  0x410000e PER_UW7  15 PER_OSF4
        16 PER_HPUX  255 PER_MASK
    """, bits=False, dflt="PER_???"),
    # personality flags
    "personality_flags": Xlat("""
        0x20000 UNAME26  0x40000 ADDR_NO_RANDOMIZE  0x80000 FDPIC_FUNCPTRS  0x100000 MMAP_PAGE_ZERO
        0x200000 ADDR_COMPAT_LAYOUT  0x400000 READ_IMPLIES_EXEC  0x800000 ADDR_LIMIT_32BIT
        0x1000000 SHORT_INODE  0x2000000 WHOLE_SECONDS  0x4000000 STICKY_TIMEOUTS
        0x8000000 ADDR_LIMIT_3GB
    """),
    # getrlimit/setrlimit/prlimit64 resource
    "rlimit": Xlat("""
        0 RLIMIT_CPU  1 RLIMIT_FSIZE  2 RLIMIT_DATA  3 RLIMIT_STACK  4 RLIMIT_CORE  5 RLIMIT_RSS
        6 RLIMIT_NPROC  7 RLIMIT_NOFILE  8 RLIMIT_MEMLOCK  9 RLIMIT_AS  10 RLIMIT_LOCKS
        11 RLIMIT_SIGPENDING  12 RLIMIT_MSGQUEUE  13 RLIMIT_NICE  14 RLIMIT_RTPRIO
        15 RLIMIT_RTTIME
    """, bits=False, dflt="RLIMIT_???"),
    # getrusage who
    "rusage_who": Xlat("""
        0 RUSAGE_SELF  -1 RUSAGE_CHILDREN  -2 RUSAGE_BOTH  1 RUSAGE_THREAD
    """, bits=False, dflt="RUSAGE_???"),
    # getpriority/setpriority which
    "priority_which": Xlat("0 PRIO_PROCESS  1 PRIO_PGRP  2 PRIO_USER", bits=False, dflt="PRIO_???"),
    # sched_setscheduler policy
    "sched_policy": Xlat("""
        0 SCHED_OTHER  1 SCHED_FIFO  2 SCHED_RR  3 SCHED_BATCH  4 SCHED_ISO  5 SCHED_IDLE
        6 SCHED_DEADLINE
    """, bits=False, dflt="SCHED_???"),
    # sched_attr.sched_flags
    "sched_flags": Xlat("""
        0x1 SCHED_FLAG_RESET_ON_FORK  0x2 SCHED_FLAG_RECLAIM  0x4 SCHED_FLAG_DL_OVERRUN
        0x8 SCHED_FLAG_KEEP_POLICY  0x10 SCHED_FLAG_KEEP_PARAMS  0x20 SCHED_FLAG_UTIL_CLAMP_MIN
        0x40 SCHED_FLAG_UTIL_CLAMP_MAX
    """, dflt="SCHED_FLAG_???"),
    # ioprio_get/set which
    "ioprio_who": Xlat("""
        1 IOPRIO_WHO_PROCESS  2 IOPRIO_WHO_PGRP  3 IOPRIO_WHO_USER
    """, bits=False, dflt="IOPRIO_WHO_???"),
    # ioprio class
    "ioprio_class": Xlat("""
        0 IOPRIO_CLASS_NONE  1 IOPRIO_CLASS_RT  2 IOPRIO_CLASS_BE  3 IOPRIO_CLASS_IDLE
    """, bits=False, dflt="IOPRIO_CLASS_???"),
    # ptrace request
    "ptrace": Xlat("""
        0 PTRACE_TRACEME  1 PTRACE_PEEKTEXT  2 PTRACE_PEEKDATA  3 PTRACE_PEEKUSER
        4 PTRACE_POKETEXT  5 PTRACE_POKEDATA  6 PTRACE_POKEUSER  7 PTRACE_CONT  8 PTRACE_KILL
        9 PTRACE_SINGLESTEP  16 PTRACE_ATTACH  17 PTRACE_DETACH  24 PTRACE_SYSCALL
        0x4200 PTRACE_SETOPTIONS  0x4201 PTRACE_GETEVENTMSG  0x4202 PTRACE_GETSIGINFO
        0x4203 PTRACE_SETSIGINFO  0x4204 PTRACE_GETREGSET  0x4205 PTRACE_SETREGSET
        0x4206 PTRACE_SEIZE  0x4207 PTRACE_INTERRUPT  0x4208 PTRACE_LISTEN
        0x4209 PTRACE_PEEKSIGINFO  0x420a PTRACE_GETSIGMASK  0x420b PTRACE_SETSIGMASK
        0x420c PTRACE_SECCOMP_GET_FILTER  0x420d PTRACE_SECCOMP_GET_METADATA
        0x420e PTRACE_GET_SYSCALL_INFO  0x420f PTRACE_GET_RSEQ_CONFIGURATION  12 PTRACE_GETREGS
        13 PTRACE_SETREGS  14 PTRACE_GETFPREGS  15 PTRACE_SETFPREGS  18 PTRACE_GETFPXREGS
        19 PTRACE_SETFPXREGS  21 PTRACE_OLDSETOPTIONS  25 PTRACE_GET_THREAD_AREA
        26 PTRACE_SET_THREAD_AREA  31 PTRACE_SYSEMU  32 PTRACE_SYSEMU_SINGLESTEP
        33 PTRACE_SINGLEBLOCK  30 PTRACE_ARCH_PRCTL
    """, bits=False, dflt="PTRACE_???", width=64),
    # seccomp operation
    "seccomp_op": Xlat("""
        0 SECCOMP_SET_MODE_STRICT  1 SECCOMP_SET_MODE_FILTER  2 SECCOMP_GET_ACTION_AVAIL
        3 SECCOMP_GET_NOTIF_SIZES
    """, bits=False, dflt="SECCOMP_SET_MODE_???"),
    # seccomp filter flags
    "seccomp_filter": Xlat("""
        0x1 SECCOMP_FILTER_FLAG_TSYNC  0x2 SECCOMP_FILTER_FLAG_LOG
        0x4 SECCOMP_FILTER_FLAG_SPEC_ALLOW  0x8 SECCOMP_FILTER_FLAG_NEW_LISTENER
        0x10 SECCOMP_FILTER_FLAG_TSYNC_ESRCH  0x20 SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
    """, dflt="SECCOMP_FILTER_FLAG_???"),
    # kcmp type
    "kcmp": Xlat("""
        0 KCMP_FILE  1 KCMP_VM  2 KCMP_FILES  3 KCMP_FS  4 KCMP_SIGHAND  5 KCMP_IO  6 KCMP_SYSVSEM
        7 KCMP_EPOLL_TFD
    """, bits=False, dflt="KCMP_???"),
    # pidfd_open flags
    "pidfd_open": Xlat("0x800 PIDFD_NONBLOCK", dflt="PIDFD_???"),
    # syslog action
    "syslog": Xlat("""
        0 SYSLOG_ACTION_CLOSE  1 SYSLOG_ACTION_OPEN  2 SYSLOG_ACTION_READ  3 SYSLOG_ACTION_READ_ALL
        4 SYSLOG_ACTION_READ_CLEAR  5 SYSLOG_ACTION_CLEAR  6 SYSLOG_ACTION_CONSOLE_OFF
        7 SYSLOG_ACTION_CONSOLE_ON  8 SYSLOG_ACTION_CONSOLE_LEVEL  9 SYSLOG_ACTION_SIZE_UNREAD
        10 SYSLOG_ACTION_SIZE_BUFFER
    """, bits=False, dflt="SYSLOG_ACTION_???"),
    # reboot magic
    "reboot_magic1": Xlat("""
        0xfee1dead LINUX_REBOOT_MAGIC1
    """, bits=False, dflt="LINUX_REBOOT_MAGIC_???"),
    # reboot magic2
    "reboot_magic2": Xlat("""
        0x28121969 LINUX_REBOOT_MAGIC2  0x5121996 LINUX_REBOOT_MAGIC2A
        0x16041998 LINUX_REBOOT_MAGIC2B  0x20112000 LINUX_REBOOT_MAGIC2C
    """, bits=False, dflt="LINUX_REBOOT_MAGIC_???"),
    # reboot cmd
    "reboot_cmd": Xlat("""
        0x1234567 LINUX_REBOOT_CMD_RESTART  0xcdef0123 LINUX_REBOOT_CMD_HALT
        0x89abcdef LINUX_REBOOT_CMD_CAD_ON  0 LINUX_REBOOT_CMD_CAD_OFF
        0x4321fedc LINUX_REBOOT_CMD_POWER_OFF  0xa1b2c3d4 LINUX_REBOOT_CMD_RESTART2
        0xd000fce2 LINUX_REBOOT_CMD_SW_SUSPEND  0x45584543 LINUX_REBOOT_CMD_KEXEC
    """, bits=False, dflt="LINUX_REBOOT_CMD_???"),
    # finit_module flags
    "module_init": Xlat("""
        0x1 MODULE_INIT_IGNORE_MODVERSIONS  0x2 MODULE_INIT_IGNORE_VERMAGIC
        0x4 MODULE_INIT_COMPRESSED_FILE
    """, dflt="MODULE_INIT_???"),
    # delete_module flags
    "delete_module": Xlat("0x800 O_NONBLOCK  0x200 O_TRUNC", dflt="O_???"),
    # kexec_load flags (high bits; low 16 = arch)
    "kexec_load": Xlat("0x1 KEXEC_ON_CRASH  0x2 KEXEC_PRESERVE_CONTEXT", dflt="KEXEC_???"),
    # kexec_load architecture field (flags & 0xffff0000)
    "kexec_arch": Xlat("""
        0 KEXEC_ARCH_DEFAULT  0x30000 KEXEC_ARCH_386  0x40000 KEXEC_ARCH_68K
        0xf0000 KEXEC_ARCH_PARISC  0x3e0000 KEXEC_ARCH_X86_64  0x140000 KEXEC_ARCH_PPC
        0x150000 KEXEC_ARCH_PPC64  0x320000 KEXEC_ARCH_IA_64  0x280000 KEXEC_ARCH_ARM
        0x160000 KEXEC_ARCH_S390  0x2a0000 KEXEC_ARCH_SH  0xa0000 KEXEC_ARCH_MIPS_LE
        0x80000 KEXEC_ARCH_MIPS  0xb70000 KEXEC_ARCH_AARCH64  0xf30000 KEXEC_ARCH_RISCV
        0x1020000 KEXEC_ARCH_LOONGARCH
    """, bits=False, dflt="KEXEC_ARCH_???"),
    # kexec_file_load flags
    "kexec_file_load": Xlat("""
        0x1 KEXEC_FILE_UNLOAD  0x2 KEXEC_FILE_ON_CRASH  0x4 KEXEC_FILE_NO_INITRAMFS
    """, dflt="KEXEC_FILE_???", width=64),
    # keyctl operation
    "keyctl": Xlat("""
        0 KEYCTL_GET_KEYRING_ID  1 KEYCTL_JOIN_SESSION_KEYRING  2 KEYCTL_UPDATE  3 KEYCTL_REVOKE
        4 KEYCTL_CHOWN  5 KEYCTL_SETPERM  6 KEYCTL_DESCRIBE  7 KEYCTL_CLEAR  8 KEYCTL_LINK
        9 KEYCTL_UNLINK  10 KEYCTL_SEARCH  11 KEYCTL_READ  12 KEYCTL_INSTANTIATE  13 KEYCTL_NEGATE
        14 KEYCTL_SET_REQKEY_KEYRING  15 KEYCTL_SET_TIMEOUT  16 KEYCTL_ASSUME_AUTHORITY
        17 KEYCTL_GET_SECURITY  18 KEYCTL_SESSION_TO_PARENT  19 KEYCTL_REJECT
        20 KEYCTL_INSTANTIATE_IOV  21 KEYCTL_INVALIDATE  22 KEYCTL_GET_PERSISTENT
        23 KEYCTL_DH_COMPUTE  24 KEYCTL_PKEY_QUERY  25 KEYCTL_PKEY_ENCRYPT  26 KEYCTL_PKEY_DECRYPT
        27 KEYCTL_PKEY_SIGN  28 KEYCTL_PKEY_VERIFY  29 KEYCTL_RESTRICT_KEYRING  30 KEYCTL_MOVE
        31 KEYCTL_CAPABILITIES  32 KEYCTL_WATCH_KEY
    """, bits=False, dflt="KEYCTL_???"),
    # special key serial numbers
    "key_spec": Xlat("""
        -1 KEY_SPEC_THREAD_KEYRING  -2 KEY_SPEC_PROCESS_KEYRING  -3 KEY_SPEC_SESSION_KEYRING
        -4 KEY_SPEC_USER_KEYRING  -5 KEY_SPEC_USER_SESSION_KEYRING  -6 KEY_SPEC_GROUP_KEYRING
        -7 KEY_SPEC_REQKEY_AUTH_KEY  -8 KEY_SPEC_REQUESTOR_KEYRING
    """, bits=False, dec=True),
    # userfaultfd flags
    "uffd": Xlat("0x1 UFFD_USER_MODE_ONLY  0x800 O_NONBLOCK  0x80000 O_CLOEXEC", dflt="UFFD_???"),
    # perf_event_open flags
    "perf_event_open": Xlat("""
        0x1 PERF_FLAG_FD_NO_GROUP  0x2 PERF_FLAG_FD_OUTPUT  0x4 PERF_FLAG_PID_CGROUP
        0x8 PERF_FLAG_FD_CLOEXEC
    """, dflt="PERF_FLAG_???", width=64),
    # bpf command
    "bpf_cmd": Xlat("""
        0 BPF_MAP_CREATE  1 BPF_MAP_LOOKUP_ELEM  2 BPF_MAP_UPDATE_ELEM  3 BPF_MAP_DELETE_ELEM
        4 BPF_MAP_GET_NEXT_KEY  5 BPF_PROG_LOAD  6 BPF_OBJ_PIN  7 BPF_OBJ_GET  8 BPF_PROG_ATTACH
        9 BPF_PROG_DETACH  10 BPF_PROG_TEST_RUN  11 BPF_PROG_GET_NEXT_ID  12 BPF_MAP_GET_NEXT_ID
        13 BPF_PROG_GET_FD_BY_ID  14 BPF_MAP_GET_FD_BY_ID  15 BPF_OBJ_GET_INFO_BY_FD
        16 BPF_PROG_QUERY  17 BPF_RAW_TRACEPOINT_OPEN  18 BPF_BTF_LOAD  19 BPF_BTF_GET_FD_BY_ID
        20 BPF_TASK_FD_QUERY  21 BPF_MAP_LOOKUP_AND_DELETE_ELEM  22 BPF_MAP_FREEZE
        23 BPF_BTF_GET_NEXT_ID  24 BPF_MAP_LOOKUP_BATCH  25 BPF_MAP_LOOKUP_AND_DELETE_BATCH
        26 BPF_MAP_UPDATE_BATCH  27 BPF_MAP_DELETE_BATCH  28 BPF_LINK_CREATE  29 BPF_LINK_UPDATE
        30 BPF_LINK_GET_FD_BY_ID  31 BPF_LINK_GET_NEXT_ID  32 BPF_ENABLE_STATS  33 BPF_ITER_CREATE
        34 BPF_LINK_DETACH  35 BPF_PROG_BIND_MAP
    """, bits=False, dflt="BPF_???"),
    # landlock_create_ruleset flags
    "landlock_create_ruleset": Xlat("""
        0x1 LANDLOCK_CREATE_RULESET_VERSION
    """, dflt="LANDLOCK_CREATE_RULESET_???"),
    # landlock_add_rule rule_type
    "landlock_rule_type": Xlat("""
        1 LANDLOCK_RULE_PATH_BENEATH
    """, bits=False, dflt="LANDLOCK_RULE_???"),
    # io_uring_enter flags
    "io_uring_enter": Xlat("""
        0x1 IORING_ENTER_GETEVENTS  0x2 IORING_ENTER_SQ_WAKEUP  0x4 IORING_ENTER_SQ_WAIT
        0x8 IORING_ENTER_EXT_ARG  0x10 IORING_ENTER_REGISTERED_RING
    """, dflt="IORING_ENTER_???"),
    # io_uring_register opcode
    "io_uring_register": Xlat("""
        0 IORING_REGISTER_BUFFERS  1 IORING_UNREGISTER_BUFFERS  2 IORING_REGISTER_FILES
        3 IORING_UNREGISTER_FILES  4 IORING_REGISTER_EVENTFD  5 IORING_UNREGISTER_EVENTFD
        6 IORING_REGISTER_FILES_UPDATE  7 IORING_REGISTER_EVENTFD_ASYNC  8 IORING_REGISTER_PROBE
        9 IORING_REGISTER_PERSONALITY  10 IORING_UNREGISTER_PERSONALITY
        11 IORING_REGISTER_RESTRICTIONS  12 IORING_REGISTER_ENABLE_RINGS  13 IORING_REGISTER_FILES2
        14 IORING_REGISTER_FILES_UPDATE2  15 IORING_REGISTER_BUFFERS2
        16 IORING_REGISTER_BUFFERS_UPDATE  17 IORING_REGISTER_IOWQ_AFF
        18 IORING_UNREGISTER_IOWQ_AFF  19 IORING_REGISTER_IOWQ_MAX_WORKERS
        20 IORING_REGISTER_RING_FDS  21 IORING_UNREGISTER_RING_FDS  22 IORING_REGISTER_PBUF_RING
        23 IORING_UNREGISTER_PBUF_RING
    """, bits=False, dflt="IORING_REGISTER_???"),
    # ---- signals and time ----------------------------------------------------------------
    # rt_sigprocmask how
    "sigprocmask_how": Xlat("""
        0 SIG_BLOCK  1 SIG_UNBLOCK  2 SIG_SETMASK
    """, bits=False, dflt="SIG_???"),
    # sigaction.sa_flags
    "sa_flags": Xlat("""
        0x4000000 SA_RESTORER  0x8000000 SA_ONSTACK  0x10000000 SA_RESTART  0x20000000 SA_INTERRUPT
        0x40000000 SA_NODEFER  0x80000000 SA_RESETHAND  0x4 SA_SIGINFO  0x80000000 SA_RESETHAND
        0x8000000 SA_ONSTACK  0x40000000 SA_NODEFER  0x1 SA_NOCLDSTOP  0x2 SA_NOCLDWAIT
    """, dflt="SA_???"),
    # special sa_handler values
    "sa_handler": Xlat("-1 SIG_ERR  0 SIG_DFL  1 SIG_IGN", bits=False),
    # stack_t.ss_flags
    "ss_flags": Xlat("0x1 SS_ONSTACK  0x2 SS_DISABLE  0x80000000 SS_AUTODISARM", dflt="SS_???"),
    # sigevent.sigev_notify
    "sigev_notify": Xlat("""
        0 SIGEV_SIGNAL  1 SIGEV_NONE  2 SIGEV_THREAD  4 SIGEV_THREAD_ID
    """, bits=False, dflt="SIGEV_???"),
    # clock ids
    "clockid": Xlat("""
        0 CLOCK_REALTIME  1 CLOCK_MONOTONIC  2 CLOCK_PROCESS_CPUTIME_ID  3 CLOCK_THREAD_CPUTIME_ID
        4 CLOCK_MONOTONIC_RAW  5 CLOCK_REALTIME_COARSE  6 CLOCK_MONOTONIC_COARSE  7 CLOCK_BOOTTIME
        8 CLOCK_REALTIME_ALARM  9 CLOCK_BOOTTIME_ALARM  10 CLOCK_SGI_CYCLE  11 CLOCK_TAI
    """, bits=False, dflt="CLOCK_???"),
    # timer_settime/clock_nanosleep flags
    "timer_flags": Xlat("0x1 TIMER_ABSTIME", dflt="TIMER_???"),
    # getitimer/setitimer which
    "itimer_which": Xlat("""
        0 ITIMER_REAL  1 ITIMER_VIRTUAL  2 ITIMER_PROF
    """, bits=False, dflt="ITIMER_???"),
    # futex op (whole value)
    "futex_op": Xlat("""
        0 FUTEX_WAIT  1 FUTEX_WAKE  2 FUTEX_FD  3 FUTEX_REQUEUE  4 FUTEX_CMP_REQUEUE
        5 FUTEX_WAKE_OP  6 FUTEX_LOCK_PI  7 FUTEX_UNLOCK_PI  8 FUTEX_TRYLOCK_PI
        9 FUTEX_WAIT_BITSET  10 FUTEX_WAKE_BITSET  11 FUTEX_WAIT_REQUEUE_PI
        12 FUTEX_CMP_REQUEUE_PI  13 FUTEX_LOCK_PI2  128 FUTEX_WAIT_PRIVATE  129 FUTEX_WAKE_PRIVATE
        130 FUTEX_FD|FUTEX_PRIVATE_FLAG  131 FUTEX_REQUEUE_PRIVATE  132 FUTEX_CMP_REQUEUE_PRIVATE
        133 FUTEX_WAKE_OP_PRIVATE  134 FUTEX_LOCK_PI_PRIVATE  135 FUTEX_UNLOCK_PI_PRIVATE
        136 FUTEX_TRYLOCK_PI_PRIVATE  137 FUTEX_WAIT_BITSET_PRIVATE  138 FUTEX_WAKE_BITSET_PRIVATE
        139 FUTEX_WAIT_REQUEUE_PI_PRIVATE  140 FUTEX_CMP_REQUEUE_PI_PRIVATE
        141 FUTEX_LOCK_PI2_PRIVATE  0x100 FUTEX_WAIT|FUTEX_CLOCK_REALTIME
        0x180 FUTEX_WAIT_PRIVATE|FUTEX_CLOCK_REALTIME  0x109 FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME
        0x189 FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME
        0x10b FUTEX_WAIT_REQUEUE_PI|FUTEX_CLOCK_REALTIME
        0x18b FUTEX_WAIT_REQUEUE_PI_PRIVATE|FUTEX_CLOCK_REALTIME
    """, bits=False, dflt="FUTEX_???"),
    # futex_waitv waiter flags
    "futex2_flags": Xlat("0x2 FUTEX_32  0x80 FUTEX_PRIVATE_FLAG", dflt="FUTEX_???"),
    # ---- System V IPC --------------------------------------------------------------------
    # System V IPC key
    "ipc_key": Xlat("0 IPC_PRIVATE", bits=False),
    # msgget/semget flags (and mode bits)
    "ipc_get": Xlat("0x200 IPC_CREAT  0x400 IPC_EXCL  0x800 IPC_NOWAIT", dflt="IPC_???"),
    # msgsnd/msgrcv flags
    "ipc_msg": Xlat("""
        0x1000 MSG_NOERROR  0x2000 MSG_EXCEPT  0x4000 MSG_COPY  0x800 IPC_NOWAIT
    """, dflt="MSG_???"),
    # sembuf.sem_flg
    "semop": Xlat("0x1000 SEM_UNDO  0x800 IPC_NOWAIT", dflt="SEM_???"),
    # semctl cmd
    "semctl_cmds": Xlat("""
        0 IPC_RMID  1 IPC_SET  2 IPC_STAT  3 IPC_INFO  11 GETPID  12 GETVAL  13 GETALL  14 GETNCNT
        15 GETZCNT  16 SETVAL  17 SETALL  18 SEM_STAT  19 SEM_INFO  20 SEM_STAT_ANY
    """, bits=False, dflt="SEM_???"),
    # shmctl cmd
    "shmctl_cmds": Xlat("""
        0 IPC_RMID  1 IPC_SET  2 IPC_STAT  3 IPC_INFO  11 SHM_LOCK  12 SHM_UNLOCK  13 SHM_STAT
        14 SHM_INFO  15 SHM_STAT_ANY
    """, bits=False, dflt="SHM_???"),
    # msgctl cmd
    "msgctl_cmds": Xlat("""
        0 IPC_RMID  1 IPC_SET  2 IPC_STAT  3 IPC_INFO  11 MSG_STAT  12 MSG_INFO  13 MSG_STAT_ANY
    """, bits=False, dflt="MSG_???"),
    # mq_attr.mq_flags
    "mq_attr": Xlat("0x800 O_NONBLOCK", dflt="O_???"),
    # ---- network -------------------------------------------------------------------------
    # address families
    "socket_domain": Xlat("""
        0 AF_UNSPEC  1 AF_UNIX  2 AF_INET  3 AF_AX25  4 AF_IPX  5 AF_APPLETALK  6 AF_NETROM
        7 AF_BRIDGE  8 AF_ATMPVC  9 AF_X25  10 AF_INET6  11 AF_ROSE  12 AF_DECnet  13 AF_NETBEUI
        14 AF_SECURITY  15 AF_KEY  16 AF_NETLINK  17 AF_PACKET  18 AF_ASH  19 AF_ECONET
        20 AF_ATMSVC  21 AF_RDS  22 AF_SNA  23 AF_IRDA  24 AF_PPPOX  25 AF_WANPIPE  26 AF_LLC
        27 AF_IB  28 AF_MPLS  29 AF_CAN  30 AF_TIPC  31 AF_BLUETOOTH  32 AF_IUCV  33 AF_RXRPC
        34 AF_ISDN  35 AF_PHONET  36 AF_IEEE802154  37 AF_CAIF  38 AF_ALG  39 AF_NFC  40 AF_VSOCK
        41 AF_KCM  42 AF_QIPCRTR  43 AF_SMC  44 AF_XDP  45 AF_MCTP
    """, bits=False, dflt="AF_???"),
    # socket type field (type & 0xf)
    "sock_type": Xlat("""
        1 SOCK_STREAM  2 SOCK_DGRAM  3 SOCK_RAW  4 SOCK_RDM  5 SOCK_SEQPACKET  6 SOCK_DCCP
        10 SOCK_PACKET
    """, bits=False, dflt="SOCK_???"),
    # socket type flags
    "socket_type_flags": Xlat("0x80000 SOCK_CLOEXEC  0x800 SOCK_NONBLOCK", dflt="SOCK_???"),
    # AF_INET/AF_INET6 protocols
    "ip_proto": Xlat("""
        0 IPPROTO_IP  1 IPPROTO_ICMP  2 IPPROTO_IGMP  4 IPPROTO_IPIP  6 IPPROTO_TCP  8 IPPROTO_EGP
        12 IPPROTO_PUP  17 IPPROTO_UDP  22 IPPROTO_IDP  29 IPPROTO_TP  33 IPPROTO_DCCP
        41 IPPROTO_IPV6  43 IPPROTO_ROUTING  44 IPPROTO_FRAGMENT  46 IPPROTO_RSVP  47 IPPROTO_GRE
        50 IPPROTO_ESP  51 IPPROTO_AH  58 IPPROTO_ICMPV6  59 IPPROTO_NONE  60 IPPROTO_DSTOPTS
        92 IPPROTO_MTP  94 IPPROTO_BEETPH  98 IPPROTO_ENCAP  103 IPPROTO_PIM  108 IPPROTO_COMP
        115 IPPROTO_L2TP  132 IPPROTO_SCTP  135 IPPROTO_MH  136 IPPROTO_UDPLITE  137 IPPROTO_MPLS
        143 IPPROTO_ETHERNET  255 IPPROTO_RAW  0x106 IPPROTO_MPTCP
    """, bits=False, dflt="IPPROTO_???"),
    # AF_NETLINK protocols
    "netlink_proto": Xlat("""
        0 NETLINK_ROUTE  1 NETLINK_UNUSED  2 NETLINK_USERSOCK  3 NETLINK_FIREWALL
        4 NETLINK_SOCK_DIAG  5 NETLINK_NFLOG  6 NETLINK_XFRM  7 NETLINK_SELINUX  8 NETLINK_ISCSI
        9 NETLINK_AUDIT  10 NETLINK_FIB_LOOKUP  11 NETLINK_CONNECTOR  12 NETLINK_NETFILTER
        13 NETLINK_IP6_FW  14 NETLINK_DNRTMSG  15 NETLINK_KOBJECT_UEVENT  16 NETLINK_GENERIC
        18 NETLINK_SCSITRANSPORT  19 NETLINK_ECRYPTFS  20 NETLINK_RDMA  21 NETLINK_CRYPTO
        22 NETLINK_SMC
    """, bits=False, dflt="NETLINK_???"),
    # setsockopt/getsockopt level
    "socket_level": Xlat("""
        0 SOL_IP  1 SOL_SOCKET  6 SOL_TCP  17 SOL_UDP  40 AF_VSOCK  41 SOL_IPV6  58 SOL_ICMPV6
        100 SOL_CAN_BASE  101 SOL_CAN_RAW  132 SOL_SCTP  136 SOL_UDPLITE  255 SOL_RAW
        0x100 SOL_IPX  0x101 SOL_AX25  0x102 SOL_ATALK  0x103 SOL_NETROM  0x104 SOL_ROSE
        0x105 SOL_DECNET  0x106 SOL_X25  0x107 SOL_PACKET  0x108 SOL_ATM  0x109 SOL_AAL
        0x10a SOL_IRDA  0x10b SOL_NETBEUI  0x10c SOL_LLC  0x10d SOL_DCCP  0x10e SOL_NETLINK
        0x10f SOL_TIPC  0x110 SOL_RXRPC  0x111 SOL_PPPOL2TP  0x112 SOL_BLUETOOTH  0x113 SOL_PNPIPE
        0x114 SOL_RDS  0x115 SOL_IUCV  0x116 SOL_CAIF  0x117 SOL_ALG  0x118 SOL_NFC  0x119 SOL_KCM
        0x11a SOL_TLS  0x11b SOL_XDP
    """, bits=False, dflt="SOL_??"),
    # SOL_SOCKET options
    "sockopt_socket": Xlat("""
        1 SO_DEBUG  2 SO_REUSEADDR  3 SO_TYPE  4 SO_ERROR  5 SO_DONTROUTE  6 SO_BROADCAST
        7 SO_SNDBUF  8 SO_RCVBUF  9 SO_KEEPALIVE  10 SO_OOBINLINE  11 SO_NO_CHECK  12 SO_PRIORITY
        13 SO_LINGER  14 SO_BSDCOMPAT  15 SO_REUSEPORT  16 SO_PASSCRED  17 SO_PEERCRED
        18 SO_RCVLOWAT  19 SO_SNDLOWAT  20 SO_RCVTIMEO_OLD  21 SO_SNDTIMEO_OLD
        22 SO_SECURITY_AUTHENTICATION  23 SO_SECURITY_ENCRYPTION_TRANSPORT
        24 SO_SECURITY_ENCRYPTION_NETWORK  25 SO_BINDTODEVICE  27 SO_DETACH_FILTER  28 SO_PEERNAME
        29 SO_TIMESTAMP_OLD  30 SO_ACCEPTCONN  31 SO_PEERSEC  32 SO_SNDBUFFORCE  33 SO_RCVBUFFORCE
        34 SO_PASSSEC  35 SO_TIMESTAMPNS_OLD  36 SO_MARK  37 SO_TIMESTAMPING_OLD  38 SO_PROTOCOL
        39 SO_DOMAIN  40 SO_RXQ_OVFL  41 SO_WIFI_STATUS  42 SO_PEEK_OFF  43 SO_NOFCS
        44 SO_LOCK_FILTER  45 SO_SELECT_ERR_QUEUE  46 SO_BUSY_POLL  47 SO_MAX_PACING_RATE
        48 SO_BPF_EXTENSIONS  49 SO_INCOMING_CPU  50 SO_ATTACH_BPF  51 SO_ATTACH_REUSEPORT_CBPF
        52 SO_ATTACH_REUSEPORT_EBPF  53 SO_CNX_ADVICE  55 SO_MEMINFO  56 SO_INCOMING_NAPI_ID
        57 SO_COOKIE  59 SO_PEERGROUPS  60 SO_ZEROCOPY  61 SO_TXTIME  62 SO_BINDTOIFINDEX
        63 SO_TIMESTAMP_NEW  64 SO_TIMESTAMPNS_NEW  65 SO_TIMESTAMPING_NEW  66 SO_RCVTIMEO_NEW
        67 SO_SNDTIMEO_NEW  68 SO_DETACH_REUSEPORT_BPF  69 SO_PREFER_BUSY_POLL
        70 SO_BUSY_POLL_BUDGET  71 SO_NETNS_COOKIE  72 SO_BUF_LOCK  73 SO_RESERVE_MEM
        74 SO_TXREHASH  75 SO_RCVMARK
    """, bits=False, dflt="SO_???"),
    # SOL_IP options
    "sockopt_ip": Xlat("""
        1 IP_TOS  2 IP_TTL  3 IP_HDRINCL  4 IP_OPTIONS  5 IP_ROUTER_ALERT  6 IP_RECVOPTS
        7 IP_RETOPTS  8 IP_PKTINFO  9 IP_PKTOPTIONS  10 IP_MTU_DISCOVER  11 IP_RECVERR
        12 IP_RECVTTL  13 IP_RECVTOS  14 IP_MTU  15 IP_FREEBIND  16 IP_IPSEC_POLICY
        17 IP_XFRM_POLICY  18 IP_PASSSEC  19 IP_TRANSPARENT  20 IP_ORIGDSTADDR  21 IP_MINTTL
        22 IP_NODEFRAG  23 IP_CHECKSUM  24 IP_BIND_ADDRESS_NO_PORT  25 IP_RECVFRAGSIZE
        26 IP_RECVERR_RFC4884  32 IP_MULTICAST_IF  33 IP_MULTICAST_TTL  34 IP_MULTICAST_LOOP
        35 IP_ADD_MEMBERSHIP  36 IP_DROP_MEMBERSHIP  37 IP_UNBLOCK_SOURCE  38 IP_BLOCK_SOURCE
        39 IP_ADD_SOURCE_MEMBERSHIP  40 IP_DROP_SOURCE_MEMBERSHIP  41 IP_MSFILTER
        42 MCAST_JOIN_GROUP  43 MCAST_BLOCK_SOURCE  44 MCAST_UNBLOCK_SOURCE  45 MCAST_LEAVE_GROUP
        46 MCAST_JOIN_SOURCE_GROUP  47 MCAST_LEAVE_SOURCE_GROUP  48 MCAST_MSFILTER
        49 IP_MULTICAST_ALL  50 IP_UNICAST_IF
    """, bits=False, dflt="IP_???"),
    # SOL_IPV6 options
    "sockopt_ipv6": Xlat("""
        1 IPV6_ADDRFORM  2 IPV6_2292PKTINFO  3 IPV6_2292HOPOPTS  4 IPV6_2292DSTOPTS
        5 IPV6_2292RTHDR  6 IPV6_2292PKTOPTIONS  7 IPV6_CHECKSUM  8 IPV6_2292HOPLIMIT
        9 IPV6_NEXTHOP  10 IPV6_AUTHHDR  11 IPV6_FLOWINFO  16 IPV6_UNICAST_HOPS
        17 IPV6_MULTICAST_IF  18 IPV6_MULTICAST_HOPS  19 IPV6_MULTICAST_LOOP
        20 IPV6_ADD_MEMBERSHIP  21 IPV6_DROP_MEMBERSHIP  22 IPV6_ROUTER_ALERT  23 IPV6_MTU_DISCOVER
        24 IPV6_MTU  25 IPV6_RECVERR  26 IPV6_V6ONLY  27 IPV6_JOIN_ANYCAST  28 IPV6_LEAVE_ANYCAST
        29 IPV6_MULTICAST_ALL  30 IPV6_ROUTER_ALERT_ISOLATE  31 IPV6_RECVERR_RFC4884
        32 IPV6_FLOWLABEL_MGR  33 IPV6_FLOWINFO_SEND  34 IPV6_IPSEC_POLICY  35 IPV6_XFRM_POLICY
        36 IPV6_HDRINCL  42 MCAST_JOIN_GROUP  43 MCAST_BLOCK_SOURCE  44 MCAST_UNBLOCK_SOURCE
        45 MCAST_LEAVE_GROUP  46 MCAST_JOIN_SOURCE_GROUP  47 MCAST_LEAVE_SOURCE_GROUP
        48 MCAST_MSFILTER  49 IPV6_RECVPKTINFO  50 IPV6_PKTINFO  51 IPV6_RECVHOPLIMIT
        52 IPV6_HOPLIMIT  53 IPV6_RECVHOPOPTS  54 IPV6_HOPOPTS  55 IPV6_RTHDRDSTOPTS
        56 IPV6_RECVRTHDR  57 IPV6_RTHDR  58 IPV6_RECVDSTOPTS  59 IPV6_DSTOPTS  60 IPV6_RECVPATHMTU
        61 IPV6_PATHMTU  62 IPV6_DONTFRAG  63 IPV6_USE_MIN_MTU  66 IPV6_RECVTCLASS  67 IPV6_TCLASS
        70 IPV6_AUTOFLOWLABEL  72 IPV6_ADDR_PREFERENCES  73 IPV6_MINHOPCOUNT  74 IPV6_ORIGDSTADDR
        75 IPV6_TRANSPARENT  76 IPV6_UNICAST_IF  77 IPV6_RECVFRAGSIZE  78 IPV6_FREEBIND
    """, bits=False, dflt="IPV6_???"),
    # SOL_TCP options
    "sockopt_tcp": Xlat("""
        1 TCP_NODELAY  2 TCP_MAXSEG  3 TCP_CORK  4 TCP_KEEPIDLE  5 TCP_KEEPINTVL  6 TCP_KEEPCNT
        7 TCP_SYNCNT  8 TCP_LINGER2  9 TCP_DEFER_ACCEPT  10 TCP_WINDOW_CLAMP  11 TCP_INFO
        12 TCP_QUICKACK  13 TCP_CONGESTION  14 TCP_MD5SIG  15 TCP_COOKIE_TRANSACTIONS
        16 TCP_THIN_LINEAR_TIMEOUTS  17 TCP_THIN_DUPACK  18 TCP_USER_TIMEOUT  19 TCP_REPAIR
        20 TCP_REPAIR_QUEUE  21 TCP_QUEUE_SEQ  22 TCP_REPAIR_OPTIONS  23 TCP_FASTOPEN
        24 TCP_TIMESTAMP  25 TCP_NOTSENT_LOWAT  26 TCP_CC_INFO  27 TCP_SAVE_SYN  28 TCP_SAVED_SYN
        29 TCP_REPAIR_WINDOW  30 TCP_FASTOPEN_CONNECT  31 TCP_ULP  32 TCP_MD5SIG_EXT
        33 TCP_FASTOPEN_KEY  34 TCP_FASTOPEN_NO_COOKIE  35 TCP_ZEROCOPY_RECEIVE  36 TCP_INQ
        37 TCP_TX_DELAY
    """, bits=False, dflt="TCP_???"),
    # SOL_UDP options
    "sockopt_udp": Xlat("""
        1 UDP_CORK  100 UDP_ENCAP  101 UDP_NO_CHECK6_TX  102 UDP_NO_CHECK6_RX  103 UDP_SEGMENT
        104 UDP_GRO
    """, bits=False, dflt="UDP_???"),
    # SOL_NETLINK options
    "sockopt_netlink": Xlat("""
        1 NETLINK_ADD_MEMBERSHIP  2 NETLINK_DROP_MEMBERSHIP  3 NETLINK_PKTINFO
        4 NETLINK_BROADCAST_ERROR  5 NETLINK_NO_ENOBUFS  6 NETLINK_RX_RING  7 NETLINK_TX_RING
        8 NETLINK_LISTEN_ALL_NSID  9 NETLINK_LIST_MEMBERSHIPS  10 NETLINK_CAP_ACK
        11 NETLINK_EXT_ACK  12 NETLINK_GET_STRICT_CHK
    """, bits=False, dflt="NETLINK_???"),
    # SOL_PACKET options
    "sockopt_packet": Xlat("""
        1 PACKET_ADD_MEMBERSHIP  2 PACKET_DROP_MEMBERSHIP  3 PACKET_RECV_OUTPUT  5 PACKET_RX_RING
        6 PACKET_STATISTICS  7 PACKET_COPY_THRESH  8 PACKET_AUXDATA  9 PACKET_ORIGDEV
        10 PACKET_VERSION  11 PACKET_HDRLEN  12 PACKET_RESERVE  13 PACKET_TX_RING  14 PACKET_LOSS
        15 PACKET_VNET_HDR  16 PACKET_TX_TIMESTAMP  17 PACKET_TIMESTAMP  18 PACKET_FANOUT
        19 PACKET_TX_HAS_OFF  20 PACKET_QDISC_BYPASS  21 PACKET_ROLLOVER_STATS
        22 PACKET_FANOUT_DATA  23 PACKET_IGNORE_OUTGOING
    """, bits=False, dflt="PACKET_???"),
    # SOL_RAW options
    "sockopt_raw": Xlat("1 ICMP_FILTER", bits=False, dflt="ICMP_???"),
    # send/recv flags
    "msg_flags": Xlat("""
        0x1 MSG_OOB  0x2 MSG_PEEK  0x4 MSG_DONTROUTE  0x8 MSG_CTRUNC  0x10 MSG_PROBE
        0x20 MSG_TRUNC  0x40 MSG_DONTWAIT  0x80 MSG_EOR  0x100 MSG_WAITALL  0x200 MSG_FIN
        0x400 MSG_SYN  0x800 MSG_CONFIRM  0x1000 MSG_RST  0x2000 MSG_ERRQUEUE  0x4000 MSG_NOSIGNAL
        0x8000 MSG_MORE  0x10000 MSG_WAITFORONE  0x20000 MSG_SENDPAGE_NOTLAST  0x40000 MSG_BATCH
        0x80000 MSG_NO_SHARED_FRAGS  0x4000000 MSG_ZEROCOPY  0x20000000 MSG_FASTOPEN
        0x40000000 MSG_CMSG_CLOEXEC  0x80000000 MSG_CMSG_COMPAT
    """, dflt="MSG_???"),
    # shutdown how
    "shutdown_how": Xlat("0 SHUT_RD  1 SHUT_WR  2 SHUT_RDWR", bits=False, dflt="SHUT_???"),
    # cmsg_type for SOL_SOCKET
    "scm_type": Xlat("""
        1 SCM_RIGHTS  2 SCM_CREDENTIALS  3 SCM_SECURITY  41 SO_WIFI_STATUS  61 SO_TXTIME
        29 SO_TIMESTAMP_OLD  35 SO_TIMESTAMPNS_OLD  37 SO_TIMESTAMPING_OLD  63 SO_TIMESTAMP_NEW
        64 SO_TIMESTAMPNS_NEW  65 SO_TIMESTAMPING_NEW  54 SCM_TIMESTAMPING_OPT_STATS
        58 SCM_TIMESTAMPING_PKTINFO
    """, bits=False, dflt="SCM_???"),
}

# ---- composite tables: a field and flags in one value ----------------------------------------
_IPC_64 = [(0x100, "IPC_64")]
XLAT.update({
    # open/openat/mq_open/fcntl(F_SETFL) flags: access mode (flags & 3) first, then the flags
    "open": FieldXlat(XLAT["open_mode"], mask=0o3, field=XLAT["open_access"]),
    # mmap flags: map type (flags & MAP_TYPE), flags, huge page size
    "mmap_flags": MmapFlags(XLAT["mmap_flag_names"], mask=0xf,
                            field=Xlat(XLAT["mmap_flag_names"], dflt="MAP_???"), width=64),
    # socket/socketpair type: SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK
    "socket_type": FieldXlat(XLAT["socket_type_flags"], mask=0xf, field=XLAT["sock_type"],
                             fallthrough=True, dflt="SOCK_???"),
    # clone flags with the exit signal in the low byte
    "clone": CloneFlags(XLAT["clone"], dflt="CLONE_???", width=64),
    # personality: type (pers & PER_MASK), then flags
    "personality": PersonalityXlat(XLAT["personality_flags"], mask=0xff,
                                   field=XLAT["personality_type"]),
    # fanotify_init flags: notification class, then flags
    "fan_init": FieldXlat(XLAT["fan_init_flags"], mask=0xc, field=XLAT["fan_class"],
                          dflt="FAN_???"),
    # statx flags: AT_STATX_* sync type, then AT_* flags
    "statx_flags": FieldXlat(XLAT["at"], mask=0x6000, field=XLAT["statx_sync"],
                             field_flags=True),
    # set_mempolicy/mbind mode: mode, then MPOL_F_* flags
    "mpol_mode": FieldXlat(XLAT["mpol_mode_flags"], mask=_MASK64 & ~0xe000,
                           field=XLAT["mpol_modes"], fallthrough=True, dflt="MPOL_???"),
    # the same for mbind, where the mode is an unsigned long
    "mbind_mode": FieldXlat(XLAT["mpol_mode_flags"], mask=_MASK64 & ~0xe000,
                            field=XLAT["mpol_modes"], fallthrough=True, dflt="MPOL_???",
                            width=64),
    # semctl/shmctl/msgctl command, with IPC_64 first when set
    "semctl_cmd": FieldXlat(_IPC_64, mask=_MASK64 & ~0x100, field=XLAT["semctl_cmds"],
                            flags_first=True),
    "shmctl_cmd": FieldXlat(_IPC_64, mask=_MASK64 & ~0x100, field=XLAT["shmctl_cmds"],
                            flags_first=True),
    "msgctl_cmd": FieldXlat(_IPC_64, mask=_MASK64 & ~0x100, field=XLAT["msgctl_cmds"],
                            flags_first=True),
    # msgget/semget and shmget flags: IPC_* flags, then the permission bits in octal
    "ipc_get": ModeFlags(XLAT["ipc_get"]),
    "shm_get": ShmgetFlags(XLAT["shm_get"]),
    # a mode_t with its file type: "S_IFREG|0644" (mknod, st_mode)
    "file_mode": FileMode(XLAT["st_mode"]),
    # swapon flags: SWAP_FLAG_*, then the priority
    "swap": SwapFlags(XLAT["swap"], dflt="SWAP_FLAG_???"),
    # kexec_load flags: architecture (flags & 0xffff0000), then flags
    "kexec_load": FieldXlat(XLAT["kexec_load"], mask=0xffff0000, field=XLAT["kexec_arch"],
                            dflt="KEXEC_???", width=64),
    # memfd_create flags: MFD_*, then the huge page size
    "memfd": HugeFlags(XLAT["memfd"], shift_name="MFD_HUGE_SHIFT", dflt="MFD_???"),
    # rseq flags (strace 6.1 prints rseq's arguments raw; kept for completeness)
    "rseq_flags": Xlat([(0x1, "RSEQ_FLAG_UNREGISTER")], dflt="RSEQ_FLAG_???"),
})

# setsockopt/getsockopt option names depend on the level
SOCKOPT_BY_LEVEL: dict[int, str] = {
    0: "sockopt_ip", 1: "sockopt_socket", 6: "sockopt_tcp", 17: "sockopt_udp", 41: "sockopt_ipv6",
    255: "sockopt_raw", 263: "sockopt_packet", 270: "sockopt_netlink",
}

# ---- ioctl requests ---------------------------------------------------------------------------
# The requests strace names for ttys, sockets, files, block devices, random, loop, vt/kd, tun,
# rtc, fb, perf, seccomp, userfaultfd, nsfs (code -> name; " or " joins names sharing a code).
XLAT["ioctl"] = IoctlXlat("""
    0x00000001 FIBMAP  0x00000002 FIGETBSZ  0x0000125d BLKROSET  0x0000125e BLKROGET
    0x0000125f BLKRRPART  0x00001260 BLKGETSIZE  0x00001261 BLKFLSBUF  0x00001262 BLKRASET
    0x00001263 BLKRAGET  0x00001264 BLKFRASET  0x00001265 BLKFRAGET  0x00001266 BLKSECTSET
    0x00001267 BLKSECTGET  0x00001268 BLKSSZGET  0x00001274 BLKTRACESTART  0x00001275 BLKTRACESTOP
    0x00001276 BLKTRACETEARDOWN  0x00001277 BLKDISCARD  0x00001278 BLKIOMIN  0x00001279 BLKIOOPT
    0x0000127a BLKALIGNOFF  0x0000127b BLKPBSZGET  0x0000127c BLKDISCARDZEROES
    0x0000127d BLKSECDISCARD  0x0000127e BLKROTATIONAL  0x0000127f BLKZEROOUT
    0x00002400 PERF_EVENT_IOC_ENABLE  0x00002401 PERF_EVENT_IOC_DISABLE
    0x00002402 PERF_EVENT_IOC_REFRESH  0x00002403 PERF_EVENT_IOC_RESET
    0x00002405 PERF_EVENT_IOC_SET_OUTPUT  0x00004600 FBIOGET_VSCREENINFO
    0x00004601 FBIOPUT_VSCREENINFO  0x00004602 FBIOGET_FSCREENINFO  0x00004604 FBIOGETCMAP
    0x00004605 FBIOPUTCMAP  0x00004606 FBIOPAN_DISPLAY  0x0000460f FBIOGET_CON2FBMAP
    0x00004610 FBIOPUT_CON2FBMAP  0x00004611 FBIOBLANK  0x00004613 FBIO_ALLOC  0x00004614 FBIO_FREE
    0x00004615 FBIOGET_GLYPH  0x00004616 FBIOGET_HWCINFO  0x00004617 FBIOPUT_MODEINFO
    0x00004618 FBIOGET_DISPINFO  0x00004b2f KIOCSOUND  0x00004b30 KDMKTONE  0x00004b31 KDGETLED
    0x00004b32 KDSETLED  0x00004b33 KDGKBTYPE  0x00004b34 KDADDIO  0x00004b35 KDDELIO
    0x00004b36 KDENABIO  0x00004b37 KDDISABIO  0x00004b3a KDSETMODE  0x00004b3b KDGETMODE
    0x00004b3c KDMAPDISP  0x00004b3d KDUNMAPDISP  0x00004b40 GIO_SCRNMAP  0x00004b41 PIO_SCRNMAP
    0x00004b44 KDGKBMODE  0x00004b45 KDSKBMODE  0x00004b46 KDGKBENT  0x00004b47 KDSKBENT
    0x00004b48 KDGKBSENT  0x00004b49 KDSKBSENT  0x00004b4a KDGKBDIACR  0x00004b4b KDSKBDIACR
    0x00004b4c KDGETKEYCODE  0x00004b4d KDSETKEYCODE  0x00004b4e KDSIGACCEPT  0x00004b52 KDKBDREP
    0x00004b60 GIO_FONT  0x00004b61 PIO_FONT  0x00004b62 KDGKBMETA  0x00004b63 KDSKBMETA
    0x00004b64 KDGKBLED  0x00004b65 KDSKBLED  0x00004b66 GIO_UNIMAP  0x00004b67 PIO_UNIMAP
    0x00004b68 PIO_UNIMAPCLR  0x00004b69 GIO_UNISCRNMAP  0x00004b6a PIO_UNISCRNMAP
    0x00004b6b GIO_FONTX  0x00004b6c PIO_FONTX  0x00004b6d PIO_FONTRESET  0x00004b70 GIO_CMAP
    0x00004b71 PIO_CMAP  0x00004b72 KDFONTOP  0x00004bfa KDGKBDIACRUC  0x00004bfb KDSKBDIACRUC
    0x00004c00 LOOP_SET_FD  0x00004c01 LOOP_CLR_FD  0x00004c02 LOOP_SET_STATUS
    0x00004c03 LOOP_GET_STATUS  0x00004c04 LOOP_SET_STATUS64  0x00004c05 LOOP_GET_STATUS64
    0x00004c06 LOOP_CHANGE_FD  0x00004c07 LOOP_SET_CAPACITY  0x00004c08 LOOP_SET_DIRECT_IO
    0x00004c09 LOOP_SET_BLOCK_SIZE  0x00004c0a LOOP_CONFIGURE  0x00004c80 LOOP_CTL_ADD
    0x00004c81 LOOP_CTL_REMOVE  0x00004c82 LOOP_CTL_GET_FREE
    0x00005204 FASTRPC_IOCTL_INIT_ATTACH/RNDZAPENTCNT  0x00005206 RNDCLEARPOOL
    0x00005207 RNDRESEEDCRNG  0x00005401 TCGETS  0x00005402 SNDCTL_TMR_START/TCSETS
    0x00005403 SNDCTL_TMR_STOP/TCSETSW  0x00005404 SNDCTL_TMR_CONTINUE/TCSETSF  0x00005405 TCGETA
    0x00005406 TCSETA  0x00005407 TCSETAW  0x00005408 TCSETAF  0x00005409 TCSBRK  0x0000540a TCXONC
    0x0000540b TCFLSH  0x0000540c TIOCEXCL  0x0000540d TIOCNXCL  0x0000540e TIOCSCTTY
    0x0000540f TIOCGPGRP  0x00005410 TIOCSPGRP  0x00005411 TIOCOUTQ  0x00005412 TIOCSTI
    0x00005413 TIOCGWINSZ  0x00005414 TIOCSWINSZ  0x00005415 TIOCMGET  0x00005416 TIOCMBIS
    0x00005417 TIOCMBIC  0x00005418 TIOCMSET  0x00005419 TIOCGSOFTCAR  0x0000541a TIOCSSOFTCAR
    0x0000541b FIONREAD  0x0000541c TIOCLINUX  0x0000541d TIOCCONS  0x0000541e TIOCGSERIAL
    0x0000541f TIOCSSERIAL  0x00005420 TIOCPKT  0x00005421 FIONBIO  0x00005422 TIOCNOTTY
    0x00005423 TIOCSETD  0x00005424 TIOCGETD  0x00005425 TCSBRKP  0x00005427 TIOCSBRK
    0x00005428 TIOCCBRK  0x00005429 TIOCGSID  0x0000542e TIOCGRS485  0x0000542f TIOCSRS485
    0x00005432 TCGETX  0x00005433 TCSETX  0x00005434 TCSETXF  0x00005435 TCSETXW
    0x00005437 TIOCVHANGUP  0x00005441 TIOCGPTPEER  0x00005450 FIONCLEX  0x00005451 FIOCLEX
    0x00005452 FIOASYNC  0x00005453 TIOCSERCONFIG  0x00005454 TIOCSERGWILD  0x00005455 TIOCSERSWILD
    0x00005456 TIOCGLCKTRMIOS  0x00005457 TIOCSLCKTRMIOS  0x00005458 TIOCSERGSTRUCT
    0x00005459 TIOCSERGETLSR  0x0000545a TIOCSERGETMULTI  0x0000545b TIOCSERSETMULTI
    0x0000545c TIOCMIWAIT  0x0000545d TIOCGICOUNT  0x00005460 FIOQSIZE  0x000054e3 TUNGETDEVNETNS
    0x00005600 VT_OPENQRY  0x00005601 VT_GETMODE  0x00005602 VT_SETMODE
    0x00005603 VBG_IOCTL_VMMDEV_REQUEST_BIG/VT_GETSTATE  0x00005604 VT_SENDSIG
    0x00005605 VT_RELDISP  0x00005606 VT_ACTIVATE  0x00005607 VT_WAITACTIVE
    0x00005608 VT_DISALLOCATE  0x00005609 VT_RESIZE  0x0000560a VT_RESIZEX
    0x0000560b VT_LOCKSWITCH  0x0000560c VT_UNLOCKSWITCH  0x0000560d VT_GETHIFONTMASK
    0x0000560e VT_WAITEVENT  0x0000560f VT_SETACTIVATE  0x00007001 RTC_AIE_ON
    0x00007002 RTC_AIE_OFF  0x00007003 RTC_UIE_ON  0x00007004 PHN_NOT_OH/RTC_UIE_OFF
    0x00007005 RTC_PIE_ON  0x00007006 RTC_PIE_OFF  0x0000700f RTC_WIE_ON  0x00007010 RTC_WIE_OFF
    0x00007014 RTC_VL_CLR  0x00008901 FIOSETOWN  0x00008902 SIOCSPGRP  0x00008903 FIOGETOWN
    0x00008904 SIOCGPGRP  0x00008905 SIOCATMARK  0x00008906 SIOCGSTAMP_OLD
    0x00008907 SIOCGSTAMPNS_OLD  0x0000890b SIOCADDRT  0x0000890c SIOCDELRT  0x0000890d SIOCRTMSG
    0x00008910 SIOCGIFNAME  0x00008911 SIOCSIFLINK  0x00008912 SIOCGIFCONF  0x00008913 SIOCGIFFLAGS
    0x00008914 SIOCSIFFLAGS  0x00008915 SIOCGIFADDR  0x00008916 SIOCSIFADDR
    0x00008917 SIOCGIFDSTADDR  0x00008918 SIOCSIFDSTADDR  0x00008919 SIOCGIFBRDADDR
    0x0000891a SIOCSIFBRDADDR  0x0000891b SIOCGIFNETMASK  0x0000891c SIOCSIFNETMASK
    0x0000891d SIOCGIFMETRIC  0x0000891e SIOCSIFMETRIC  0x0000891f SIOCGIFMEM
    0x00008920 SIOCSIFMEM  0x00008921 SIOCGIFMTU  0x00008922 SIOCSIFMTU  0x00008923 SIOCSIFNAME
    0x00008924 SIOCSIFHWADDR  0x00008925 SIOCGIFENCAP  0x00008926 SIOCSIFENCAP
    0x00008927 SIOCGIFHWADDR  0x00008929 SIOCGIFSLAVE  0x00008930 SIOCSIFSLAVE
    0x00008931 SIOCADDMULTI  0x00008932 SIOCDELMULTI  0x00008933 SIOCGIFINDEX
    0x00008934 SIOCSIFPFLAGS  0x00008935 SIOCGIFPFLAGS  0x00008936 SIOCDIFADDR
    0x00008937 SIOCSIFHWBROADCAST  0x00008938 SIOCGIFCOUNT  0x00008940 SIOCGIFBR
    0x00008941 SIOCSIFBR  0x00008942 SIOCGIFTXQLEN  0x00008943 SIOCSIFTXQLEN
    0x00008946 SIOCETHTOOL  0x00008947 SIOCGMIIPHY  0x00008948 SIOCGMIIREG  0x00008949 SIOCSMIIREG
    0x0000894a SIOCWANDEV  0x0000894b SIOCOUTQNSD  0x0000894c SIOCGSKNS  0x00008953 SIOCDARP
    0x00008954 SIOCGARP  0x00008955 SIOCSARP  0x00008960 SIOCDRARP  0x00008961 SIOCGRARP
    0x00008962 SIOCSRARP  0x00008970 SIOCGIFMAP  0x00008971 SIOCSIFMAP  0x00008980 SIOCADDDLCI
    0x00008981 SIOCDELDLCI  0x00008982 SIOCGIFVLAN  0x00008983 SIOCSIFVLAN
    0x00008990 SIOCBONDENSLAVE  0x00008991 SIOCBONDRELEASE  0x00008992 SIOCBONDSETHWADDR
    0x00008993 SIOCBONDSLAVEINFOQUERY  0x00008994 SIOCBONDINFOQUERY
    0x00008995 SIOCBONDCHANGEACTIVE  0x000089a0 SIOCBRADDBR  0x000089a1 SIOCBRDELBR
    0x000089a2 SIOCBRADDIF  0x000089a3 SIOCBRDELIF  0x000089b0 SIOCSHWTSTAMP
    0x000089b1 SIOCGHWTSTAMP  0x000089e0 SIOCPROTOPRIVATE  0x000089f0 SIOCDEVPRIVATE
    0x0000aa00 USERFAULTFD_IOC_NEW  0x0000b701 NS_GET_USERNS  0x0000b702 NS_GET_PARENT
    0x0000b703 NS_GET_NSTYPE  0x0000b704 NS_GET_OWNER_UID  0x40042408 PERF_EVENT_IOC_SET_BPF
    0x40042409 PERF_EVENT_IOC_PAUSE_OUTPUT  0x40044620 FBIO_WAITFORVSYNC  0x40045201 RNDADDTOENTCNT
    0x40045431 TIOCSPTLCK  0x40045436 TIOCSIG  0x400454c8 TUNSETNOCSUM  0x400454c9 TUNSETDEBUG
    0x400454ca TUNSETIFF  0x400454cb TUNSETPERSIST  0x400454cc TUNSETOWNER  0x400454cd TUNSETLINK
    0x400454ce TUNSETGROUP  0x400454d0 TUNSETOFFLOAD  0x400454d1 TUNSETTXFILTER
    0x400454d4 TUNSETSNDBUF  0x400454d8 TUNSETVNETHDRSZ  0x400454d9 TUNSETQUEUE
    0x400454da TUNSETIFINDEX  0x400454dc TUNSETVNETLE  0x400454de TUNSETVNETBE
    0x400454e2 TUNSETCARRIER  0x40046602 FS_IOC32_SETFLAGS  0x40047602 FS_IOC32_SETVERSION
    0x40049409 BTRFS_IOC_CLONE/FICLONE  0x40081271 BLKBSZSET
    0x40082102 SECCOMP_IOCTL_NOTIF_ID_VALID  0x40082404 PERF_EVENT_IOC_PERIOD
    0x40082406 PERF_EVENT_IOC_SET_FILTER  0x4008240b PERF_EVENT_IOC_MODIFY_ATTRIBUTES
    0x40085203 RNDADDENTROPY  0x40086602 FS_IOC_SETFLAGS  0x4008700c RTC_IRQP_SET
    0x4008700e RTC_EPOCH_SET  0x40087602 FS_IOC_SETVERSION  0x401054d5 TUNATTACHFILTER
    0x401054d6 TUNDETACHFILTER  0x40182103 SECCOMP_IOCTL_NOTIF_ADDFD  0x40187013 RTC_PARAM_GET
    0x40187014 RTC_PARAM_SET  0x401c5820 FS_IOC_FSSETXATTR  0x40207012 RTC_PLL_SET
    0x4020940d BTRFS_IOC_CLONE_RANGE/FICLONERANGE  0x40247007 RTC_ALM_SET  0x4024700a RTC_SET_TIME
    0x4028700f RTC_WKALM_SET  0x402c542b TCSETS2  0x402c542c TCSETSW2  0x402c542d TCSETSF2
    0x40806685 FS_IOC_ENABLE_VERITY  0x41009432 FS_IOC_SETFSLABEL  0x80045200 RNDGETENTCNT
    0x80045430 TIOCGPTN  0x80045432 TIOCGDEV  0x80045438 TIOCGPKT  0x80045439 TIOCGPTLCK
    0x80045440 TIOCGEXCL  0x800454cf TUNGETFEATURES  0x800454d2 TUNGETIFF  0x800454d3 TUNGETSNDBUF
    0x800454d7 TUNGETVNETHDRSZ  0x800454dd TUNGETVNETLE  0x800454df TUNGETVNETBE
    0x800454e0 TUNSETSTEERINGEBPF  0x800454e1 TUNSETFILTEREBPF  0x80046601 FS_IOC32_GETFLAGS
    0x80047013 RTC_VL_READ  0x80047601 FS_IOC32_GETVERSION  0x80081270 BLKBSZGET
    0x80081272 BLKGETSIZE64  0x80081280 BLKGETDISKSEQ  0x80082407 PERF_EVENT_IOC_ID
    0x80085202 RNDGETPOOL  0x80086601 FS_IOC_GETFLAGS  0x8008700b RTC_IRQP_READ
    0x8008700d RTC_EPOCH_READ  0x80087601 FS_IOC_GETVERSION  0x801054db TUNGETFILTER
    0x80108906 SIOCGSTAMP_NEW  0x80108907 SIOCGSTAMPNS_NEW  0x8010aa01 UFFDIO_UNREGISTER
    0x8010aa02 UFFDIO_WAKE  0x801c581f FS_IOC_FSGETXATTR  0x80204612 FBIOGET_VBLANK
    0x80207011 RTC_PLL_GET  0x80247008 RTC_ALM_READ  0x80247009 RTC_RD_TIME
    0x80285442 TIOCGISO7816  0x80287010 RTC_WKALM_RD  0x802c542a TCGETS2
    0x81009431 FS_IOC_GETFSLABEL  0xc0045877 FIFREEZE  0xc0045878 FITHAW
    0xc0046686 FS_IOC_MEASURE_VERITY  0xc008240a PERF_EVENT_IOC_QUERY_BPF
    0xc0182101 SECCOMP_IOCTL_NOTIF_SEND  0xc0185879 FITRIM
    0xc0189436 BTRFS_IOC_FILE_EXTENT_SAME/FIDEDUPERANGE  0xc018aa06 UFFDIO_WRITEPROTECT
    0xc018aa3f UFFDIO_API  0xc020660b FS_IOC_FIEMAP  0xc020aa00 UFFDIO_REGISTER
    0xc020aa04 UFFDIO_ZEROPAGE  0xc020aa07 UFFDIO_CONTINUE  0xc0285443 TIOCSISO7816
    0xc0286687 FS_IOC_READ_VERITY_METADATA  0xc028aa03 UFFDIO_COPY  0xc0481273 BLKTRACESETUP
    0xc0502100 SECCOMP_IOCTL_NOTIF_RECV  0xc0684608 FBIO_CURSOR
""", bits=False)

# ---- errors -----------------------------------------------------------------------------------
# errno, name, message.  Messages are glibc's strerror() texts; the kernel-internal restart codes
# carry strace's explanations (strace prints those as "= ? ERESTARTSYS (...)").
_ERRNO = """
  1 EPERM           Operation not permitted
  2 ENOENT          No such file or directory
  3 ESRCH           No such process
  4 EINTR           Interrupted system call
  5 EIO             Input/output error
  6 ENXIO           No such device or address
  7 E2BIG           Argument list too long
  8 ENOEXEC         Exec format error
  9 EBADF           Bad file descriptor
 10 ECHILD          No child processes
 11 EAGAIN          Resource temporarily unavailable
 12 ENOMEM          Cannot allocate memory
 13 EACCES          Permission denied
 14 EFAULT          Bad address
 15 ENOTBLK         Block device required
 16 EBUSY           Device or resource busy
 17 EEXIST          File exists
 18 EXDEV           Invalid cross-device link
 19 ENODEV          No such device
 20 ENOTDIR         Not a directory
 21 EISDIR          Is a directory
 22 EINVAL          Invalid argument
 23 ENFILE          Too many open files in system
 24 EMFILE          Too many open files
 25 ENOTTY          Inappropriate ioctl for device
 26 ETXTBSY         Text file busy
 27 EFBIG           File too large
 28 ENOSPC          No space left on device
 29 ESPIPE          Illegal seek
 30 EROFS           Read-only file system
 31 EMLINK          Too many links
 32 EPIPE           Broken pipe
 33 EDOM            Numerical argument out of domain
 34 ERANGE          Numerical result out of range
 35 EDEADLK         Resource deadlock avoided
 36 ENAMETOOLONG    File name too long
 37 ENOLCK          No locks available
 38 ENOSYS          Function not implemented
 39 ENOTEMPTY       Directory not empty
 40 ELOOP           Too many levels of symbolic links
 42 ENOMSG          No message of desired type
 43 EIDRM           Identifier removed
 44 ECHRNG          Channel number out of range
 45 EL2NSYNC        Level 2 not synchronized
 46 EL3HLT          Level 3 halted
 47 EL3RST          Level 3 reset
 48 ELNRNG          Link number out of range
 49 EUNATCH         Protocol driver not attached
 50 ENOCSI          No CSI structure available
 51 EL2HLT          Level 2 halted
 52 EBADE           Invalid exchange
 53 EBADR           Invalid request descriptor
 54 EXFULL          Exchange full
 55 ENOANO          No anode
 56 EBADRQC         Invalid request code
 57 EBADSLT         Invalid slot
 59 EBFONT          Bad font file format
 60 ENOSTR          Device not a stream
 61 ENODATA         No data available
 62 ETIME           Timer expired
 63 ENOSR           Out of streams resources
 64 ENONET          Machine is not on the network
 65 ENOPKG          Package not installed
 66 EREMOTE         Object is remote
 67 ENOLINK         Link has been severed
 68 EADV            Advertise error
 69 ESRMNT          Srmount error
 70 ECOMM           Communication error on send
 71 EPROTO          Protocol error
 72 EMULTIHOP       Multihop attempted
 73 EDOTDOT         RFS specific error
 74 EBADMSG         Bad message
 75 EOVERFLOW       Value too large for defined data type
 76 ENOTUNIQ        Name not unique on network
 77 EBADFD          File descriptor in bad state
 78 EREMCHG         Remote address changed
 79 ELIBACC         Can not access a needed shared library
 80 ELIBBAD         Accessing a corrupted shared library
 81 ELIBSCN         .lib section in a.out corrupted
 82 ELIBMAX         Attempting to link in too many shared libraries
 83 ELIBEXEC        Cannot exec a shared library directly
 84 EILSEQ          Invalid or incomplete multibyte or wide character
 85 ERESTART        Interrupted system call should be restarted
 86 ESTRPIPE        Streams pipe error
 87 EUSERS          Too many users
 88 ENOTSOCK        Socket operation on non-socket
 89 EDESTADDRREQ    Destination address required
 90 EMSGSIZE        Message too long
 91 EPROTOTYPE      Protocol wrong type for socket
 92 ENOPROTOOPT     Protocol not available
 93 EPROTONOSUPPORT Protocol not supported
 94 ESOCKTNOSUPPORT Socket type not supported
 95 EOPNOTSUPP      Operation not supported
 96 EPFNOSUPPORT    Protocol family not supported
 97 EAFNOSUPPORT    Address family not supported by protocol
 98 EADDRINUSE      Address already in use
 99 EADDRNOTAVAIL   Cannot assign requested address
100 ENETDOWN        Network is down
101 ENETUNREACH     Network is unreachable
102 ENETRESET       Network dropped connection on reset
103 ECONNABORTED    Software caused connection abort
104 ECONNRESET      Connection reset by peer
105 ENOBUFS         No buffer space available
106 EISCONN         Transport endpoint is already connected
107 ENOTCONN        Transport endpoint is not connected
108 ESHUTDOWN       Cannot send after transport endpoint shutdown
109 ETOOMANYREFS    Too many references: cannot splice
110 ETIMEDOUT       Connection timed out
111 ECONNREFUSED    Connection refused
112 EHOSTDOWN       Host is down
113 EHOSTUNREACH    No route to host
114 EALREADY        Operation already in progress
115 EINPROGRESS     Operation now in progress
116 ESTALE          Stale file handle
117 EUCLEAN         Structure needs cleaning
118 ENOTNAM         Not a XENIX named type file
119 ENAVAIL         No XENIX semaphores available
120 EISNAM          Is a named type file
121 EREMOTEIO       Remote I/O error
122 EDQUOT          Disk quota exceeded
123 ENOMEDIUM       No medium found
124 EMEDIUMTYPE     Wrong medium type
125 ECANCELED       Operation canceled
126 ENOKEY          Required key not available
127 EKEYEXPIRED     Key has expired
128 EKEYREVOKED     Key has been revoked
129 EKEYREJECTED    Key was rejected by service
130 EOWNERDEAD      Owner died
131 ENOTRECOVERABLE State not recoverable
132 ERFKILL         Operation not possible due to RF-kill
133 EHWPOISON       Memory page has hardware error
512 ERESTARTSYS     To be restarted if SA_RESTART is set
513 ERESTARTNOINTR  To be restarted
514 ERESTARTNOHAND  To be restarted if no handler
515 ENOIOCTLCMD     Unknown error 515
516 ERESTART_RESTARTBLOCK Interrupted by signal
517 EPROBE_DEFER    Unknown error 517
518 EOPENSTALE      Unknown error 518
521 EBADHANDLE      Unknown error 521
522 ENOTSYNC        Unknown error 522
523 EBADCOOKIE      Unknown error 523
524 ENOTSUPP        Unknown error 524
525 ETOOSMALL       Unknown error 525
526 ESERVERFAULT    Unknown error 526
527 EBADTYPE        Unknown error 527
528 EJUKEBOX        Unknown error 528
529 EIOCBQUEUED     Unknown error 529
530 ERECALLCONFLICT Unknown error 530
"""
ERRNO: dict[int, tuple[str, str]] = {
    int(n): (name, text)
    for n, name, text in (line.split(None, 2) for line in _ERRNO.strip().splitlines())
}

# ---- signals ----------------------------------------------------------------------------------
# As strace names them: 32 is SIGRTMIN (the kernel's), 33..64 are SIGRT_1..SIGRT_32.
SIGNALS: dict[int, str] = {
    1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS",
    8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE",
    14: "SIGALRM", 15: "SIGTERM", 16: "SIGSTKFLT", 17: "SIGCHLD", 18: "SIGCONT", 19: "SIGSTOP",
    20: "SIGTSTP", 21: "SIGTTIN", 22: "SIGTTOU", 23: "SIGURG", 24: "SIGXCPU", 25: "SIGXFSZ",
    26: "SIGVTALRM", 27: "SIGPROF", 28: "SIGWINCH", 29: "SIGIO", 30: "SIGPWR", 31: "SIGSYS",
    32: "SIGRTMIN",
}
SIGNALS.update({n: f"SIGRT_{n - 32}" for n in range(33, 65)})
XLAT["signal"] = Xlat(list(SIGNALS.items()), bits=False)


def signame(sig: int) -> str:
    """A signal's name, or its number as strace prints an unknown one ("0", "65")."""
    return SIGNALS.get(sig, str(sig))

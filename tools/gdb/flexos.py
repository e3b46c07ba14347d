# FlexOS for Linux: gdb commands for images linked with flexos-link.
#
#   (gdb) source /usr/share/flexos-linux/gdb/flexos.py
#   (gdb) info compartments     names, ids, sections, heaps, keys
#   (gdb) flexos which [ADDR]   the compartment that owns ADDR ($pc if none)
#   (gdb) flexos bt             the backtrace, each frame with its compartment
#
# The commands read the image descriptor flexos-link writes
# (flexos__image, struct flexos_image in <flexos/image.h>) and the
# runtime's heaps (flexos__debug_runtime) straight from memory, by the
# layout of those headers, so they work without the runtime's debug
# information and on a core file. A gdb extension, not a project tool:
# the project's own tools are C.
import struct

import gdb

IMAGE_MAGIC = 0x0100534F58454C46
IMAGE_VERSION = 7
REGIONS = ("text", "rodata", "data", "bss")
MECHANISMS = ("none", "intel-mpk", "process")
MAX_COMPARTMENTS = 64
# struct flexos_compartment: name, id, flags, regions[4], libc_glue, syscalls, heap_size.
COMPARTMENT_SIZE = 8 + 4 + 4 + 16 * len(REGIONS) + 8 + 8 + 8
FLAGS = ((0x1, "default"), (0x2, "shared-stacks"), (0x4, "restart"), (0x8, "sandbox"),
         (0x10, "newlib"))


def _read(addr, size):
    return bytes(gdb.selected_inferior().read_memory(addr, size))


def _u64(addr):
    return struct.unpack("<Q", _read(addr, 8))[0]


def _u32(addr):
    return struct.unpack("<I", _read(addr, 4))[0]


def _string(addr, limit=256):
    data = _read(addr, limit)
    return data.split(b"\0", 1)[0].decode("utf-8", "replace")


def _symbol_address(name):
    try:
        return int(gdb.parse_and_eval("(unsigned long)&'%s'" % name))
    except gdb.error:
        return None


class Image:
    """The image descriptor and the runtime's heaps of the current inferior."""

    def __init__(self):
        base = _symbol_address("flexos__image")
        if base is None:
            raise gdb.GdbError("this program has no flexos__image: it was not linked with "
                               "flexos-link (or no program is loaded)")
        if _u64(base) != IMAGE_MAGIC or _u32(base + 8) != IMAGE_VERSION:
            raise gdb.GdbError("flexos__image has another version than this script "
                               "knows (%d); use the flexos.py of the same release"
                               % _u32(base + 8))
        self.mechanism = _u32(base + 12)
        self.ncompartments = min(_u32(base + 16), MAX_COMPARTMENTS)
        self.default_id = _u32(base + 20)
        comps = _u64(base + 32)
        self.shared = (_u64(base + 48), _u64(base + 56))
        self.config = _string(_u64(base + 72))
        self.compartments = []
        for i in range(self.ncompartments):
            c = comps + i * COMPARTMENT_SIZE
            regions = [(_u64(c + 16 + 16 * r), _u64(c + 24 + 16 * r))
                       for r in range(len(REGIONS))]
            self.compartments.append({
                "name": _string(_u64(c)),
                "id": _u32(c + 8),
                "flags": _u32(c + 12),
                "regions": regions,
                "heap": (0, 0),
            })
        # struct flexos_runtime: image, heaps[64], shared_heap. Zero before start-up.
        self.shared_heap = (0, 0)
        rt_ptr = _symbol_address("flexos__debug_runtime")
        if rt_ptr is not None:
            rt = _u64(rt_ptr)
            if rt and _u64(rt) == base:
                for i, c in enumerate(self.compartments):
                    c["heap"] = (_u64(rt + 8 + 16 * i), _u64(rt + 16 + 16 * i))
                off = rt + 8 + 16 * MAX_COMPARTMENTS
                self.shared_heap = (_u64(off), _u64(off + 8))

    def mechanism_name(self):
        if self.mechanism < len(MECHANISMS):
            return MECHANISMS[self.mechanism]
        return "mechanism %d" % self.mechanism

    def owner(self, addr):
        """(compartment or None, what) for addr."""
        for c in self.compartments:
            for r, (lo, hi) in enumerate(c["regions"]):
                if lo <= addr < hi:
                    return c, "." + REGIONS[r]
            lo, hi = c["heap"]
            if lo <= addr < hi:
                return c, "heap"
        if self.shared[0] <= addr < self.shared[1]:
            return None, "shared data"
        if self.shared_heap[0] <= addr < self.shared_heap[1]:
            return None, "shared heap"
        return None, None


def _mpk_key(comp_id):
    ro = _symbol_address("flexos__mpk_ro")
    if ro is None:
        return None
    # struct mpk_ro (backends/mpk/mpk.h): int32_t keys[MPK_SLOTS] at
    # MPK_RO_KEYS, indexed by compartment id.
    return struct.unpack("<i", _read(ro + 96 + 4 * comp_id, 4))[0]


def _process_self():
    addr = _symbol_address("flexos__proc_self")
    if addr is None:
        return None
    return struct.unpack("<i", _read(addr, 4))[0]


def _range(r):
    lo, hi = r
    if hi <= lo:
        return "-"
    return "%#x-%#x" % (lo, hi)


class InfoCompartments(gdb.Command):
    """The compartments of the image: names, ids, sections, heaps and, under
intel-mpk, protection keys; under process, which compartment this process runs."""

    def __init__(self):
        super().__init__("info compartments", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        img = Image()
        print("%d compartments, mechanism %s, linked from %s"
              % (img.ncompartments, img.mechanism_name(), img.config))
        me = _process_self() if img.mechanism_name() == "process" else None
        for c in img.compartments:
            flags = [name for bit, name in FLAGS if c["flags"] & bit]
            extra = ""
            if img.mechanism_name() == "intel-mpk":
                key = _mpk_key(c["id"])
                extra = ", key %s" % ("?" if key is None or key <= 0 else key)
            if me is not None and me == c["id"]:
                extra += ", runs in this process"
            print("  %d %s%s%s" % (c["id"], c["name"],
                                   " (%s)" % ", ".join(flags) if flags else "", extra))
            for r, name in enumerate(REGIONS):
                print("      .%-7s %s" % (name, _range(c["regions"][r])))
            print("      heap    %s" % _range(c["heap"]))
        print("  shared data %s, shared heap %s"
              % (_range(img.shared), _range(img.shared_heap)))


class Flexos(gdb.Command):
    """FlexOS commands: flexos which [ADDR], flexos bt."""

    def __init__(self):
        super().__init__("flexos", gdb.COMMAND_USER, prefix=True)


def _describe(img, addr):
    comp, what = img.owner(addr)
    if comp is not None:
        return "the %s of compartment '%s'" % (what, comp["name"])
    if what:
        return what
    return "platform memory (no compartment: the C library, the runtime, a stack)"


class FlexosWhich(gdb.Command):
    """Which compartment owns ADDR (an expression; $pc of the selected frame
if none): its section or heap, or shared or platform memory."""

    def __init__(self):
        super().__init__("flexos which", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        img = Image()
        expr = arg.strip() or "$pc"
        addr = int(gdb.parse_and_eval(expr).cast(gdb.lookup_type("unsigned long")))
        print("%#x is in %s" % (addr, _describe(img, addr)))


class FlexosBacktrace(gdb.Command):
    """The backtrace of the selected thread, each frame with the compartment
whose code it runs (gates and the runtime are platform code)."""

    def __init__(self):
        super().__init__("flexos bt", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        img = Image()
        frame = gdb.newest_frame()
        n = 0
        while frame is not None and n < 200:
            pc = frame.pc()
            comp, _ = img.owner(pc)
            sal = frame.find_sal()
            where = ""
            if sal.symtab is not None:
                where = " at %s:%d" % (sal.symtab.filename.rsplit("/", 1)[-1], sal.line)
            print("#%-2d %#x %s%s [%s]" % (n, pc, frame.name() or "??", where,
                                          comp["name"] if comp else "platform"))
            frame = frame.older()
            n += 1


InfoCompartments()
Flexos()
FlexosWhich()
FlexosBacktrace()

/*
 * FlexOS for Linux: the names that flexos-link, the runtime, the backends
 * and <flexos/flexos.h> agree on, each spelled once.
 *
 * This header is internal: it should only be included by <flexos/flexos.h>,
 * <flexos/image.h> and the code of this tree. Applications never name these
 * symbols or sections themselves.
 *
 * Each symbol prefix has a token form (for token pasting in flexos.h) and
 * a string form (for flexos-link, which writes the symbols), made from the
 * same token.
 */
#ifndef FLEXOS_NAMES_H
#define FLEXOS_NAMES_H

#define FLEXOS__STR_(x)    #x
#define FLEXOS__STR(x)     FLEXOS__STR_(x)
#define FLEXOS__CAT_(a, b) a##b
#define FLEXOS__CAT(a, b)  FLEXOS__CAT_(a, b)

/* Every symbol flexos-link generates starts with this. */
#define FLEXOS_GENERATED_PREFIX "__flexos_"

/* Between a library's name and a function's in the symbols below. */
#define FLEXOS_NAME_SEP_TOKEN __
#define FLEXOS_NAME_SEP       FLEXOS__STR(FLEXOS_NAME_SEP_TOKEN)

/* A gate stub: __flexos_gate__<lib>__<fn>. */
#define FLEXOS_GATE_PREFIX_TOKEN __flexos_gate__
#define FLEXOS_GATE_PREFIX       FLEXOS__STR(FLEXOS_GATE_PREFIX_TOKEN)

/* A callback stub: __flexos_cb__<lib>__<fn>. */
#define FLEXOS_CB_PREFIX_TOKEN __flexos_cb__
#define FLEXOS_CB_PREFIX       FLEXOS__STR(FLEXOS_CB_PREFIX_TOKEN)

/* What a callback stub reaches, even a static function: __flexos_cbfn__<lib>__<fn>. */
#define FLEXOS_CBFN_PREFIX_TOKEN __flexos_cbfn__
#define FLEXOS_CBFN_PREFIX       FLEXOS__STR(FLEXOS_CBFN_PREFIX_TOKEN)

/*
 * The shared static data section (FLEXOS_SHARED), the FlexOS prototype's
 * spelling of it, and the symbols that bound it.
 */
#define FLEXOS_SHARED_SECTION        ".flexos.shared"
#define FLEXOS_SHARED_SECTION_LEGACY ".data_shared"
#define FLEXOS_SHARED_START          "__flexos_shared_start"
#define FLEXOS_SHARED_END            "__flexos_shared_end"

/*
 * The shared read-only section of constants: the string literals and
 * merged constants (SHF_MERGE input sections) of every compartment that
 * does not say 'constants: private', so that a literal passed across a
 * gate reads in the callee. Read-only for everyone.
 */
#define FLEXOS_CONSTANTS_SECTION ".flexos.constants"
#define FLEXOS_CONSTANTS_START   "__flexos_constants_start"
#define FLEXOS_CONSTANTS_END     "__flexos_constants_end"

/*
 * A compartment's output sections and their bounds, by region name
 * (FLEXOS_REGIONS in <flexos/image.h>): .flexos.<comp>.<region>,
 * __flexos_<comp>_<region>_start and _end. printf formats: compartment,
 * then region.
 */
#define FLEXOS_COMP_SECTION_PREFIX ".flexos."
#define FLEXOS_COMP_SECTION_FMT    FLEXOS_COMP_SECTION_PREFIX "%s.%s"
#define FLEXOS_COMP_START_FMT      "__flexos_%s_%s_start"
#define FLEXOS_COMP_END_FMT        "__flexos_%s_%s_end"

/*
 * Under protection keys: the static data of the fault report's unwinder
 * (libgcc_eh, linked into the image), on pages of its own that the
 * backend makes read-only at start-up (docs/threat-model.md, limit 12).
 */
#define FLEXOS_UNWIND_SECTION ".flexos.unwind"
#define FLEXOS_UNWIND_START   "__flexos_unwind_start"
#define FLEXOS_UNWIND_END     "__flexos_unwind_end"

/* The image descriptor, its section, and the section of its strings. */
#define FLEXOS_IMAGE_SYMBOL    "flexos__image"
#define FLEXOS_IMAGE_SECTION   ".data.rel.ro.flexos__image"
#define FLEXOS_STRINGS_SECTION ".rodata.flexos__strings"

/*
 * The system-call glue instance of a newlib compartment (src/newlib/glue.h):
 * flexos__newlib_glue in the glue, renamed flexos__newlib_glue__<comp> in
 * the partial link of each compartment.
 */
#define FLEXOS_NEWLIB_GLUE     "flexos__newlib_glue"
#define FLEXOS_NEWLIB_GLUE_FMT FLEXOS_NEWLIB_GLUE FLEXOS_NAME_SEP "%s"

/* The runtime's start-up function, which the image's .init_array names. */
#define FLEXOS_START_SYMBOL "flexos__start"

#endif /* FLEXOS_NAMES_H */

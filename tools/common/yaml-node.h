/*
 * This file is private to the tools: what flexos-link's flexos.yaml parser
 * and flexos-explore's exploration-file parser both ask of a libyaml node.
 * Each parser keeps its own messages; these only answer questions.
 */
#ifndef FLEXOS_TOOLS_YAML_NODE_H
#define FLEXOS_TOOLS_YAML_NODE_H

#include <stdbool.h>
#include <yaml.h>

/* The text of scalar node n. */
const char *ynode_str(const yaml_node_t *n);

/*
 * Whether n is a plain null scalar: libyaml tags every untagged scalar as a
 * string, but YAML 1.1 reads "", "~" and "null" as nothing.
 */
bool ynode_is_null(const yaml_node_t *n);

/* What n is, for a message: "nothing", "a sequence", "a mapping" or "a scalar". */
const char *ynode_kind(const yaml_node_t *n);

/*
 * Whether scalar node n is a C identifier, NUL bytes counted as the wrong
 * character they are: names end up in symbol names such as
 * __flexos_comp1_data_start.
 */
bool ynode_is_identifier(const yaml_node_t *n);

#endif

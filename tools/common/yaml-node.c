#include "autoconfig.h"

#include "yaml-node.h"

#include <string.h>

const char *ynode_str(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

bool ynode_is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strcmp(ynode_str(n), nulls[i]) == 0)
			return true;
	return false;
}

const char *ynode_kind(const yaml_node_t *n)
{
	if (ynode_is_null(n))
		return "nothing";
	switch (n->type) {
	case YAML_SEQUENCE_NODE:
		return "a sequence";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "a scalar";
	}
}

bool ynode_is_identifier(const yaml_node_t *n)
{
	const unsigned char *s = n->data.scalar.value;
	size_t len = n->data.scalar.length;

	if (len == 0 || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return false;
	}
	return true;
}

/* libxml2: parses an XML document held in a string, walks the tree,
 * evaluates an XPath expression, serializes the tree into a buffer, then
 * parses a malformed document whose errors go to the program's own
 * structured-error handler. */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <stdio.h>
#include <string.h>

static const char doc_text[] =
    "<?xml version=\"1.0\"?>\n"
    "<library name=\"corpus\">\n"
    "  <book id=\"1\" lang=\"en\"><title>Compartments</title><pages>120</pages></book>\n"
    "  <book id=\"2\" lang=\"fr\"><title>Portes</title><pages>80</pages></book>\n"
    "  <book id=\"3\" lang=\"en\"><title>Keys &amp; Gates</title><pages>200</pages></book>\n"
    "</library>\n";

static int errors;

static void on_error(void *data, xmlErrorPtr err)
{
	(void)data;
	errors++;
	printf("xml error %d at line %d: %s", err->code, err->line, err->message);
}

static void walk(xmlNodePtr node, int depth, int *elements)
{
	for (; node; node = node->next) {
		if (node->type != XML_ELEMENT_NODE)
			continue;
		(*elements)++;
		xmlChar *id = xmlGetProp(node, (const xmlChar *)"id");
		if (id) {
			xmlChar *title = NULL;
			for (xmlNodePtr c = node->children; c; c = c->next)
				if (c->type == XML_ELEMENT_NODE &&
				    !xmlStrcmp(c->name, BAD_CAST "title"))
					title = xmlNodeGetContent(c);
			printf("%*sbook %s: %s\n", depth * 2, "", id, title ? (char *)title : "?");
			xmlFree(title);
			xmlFree(id);
		}
		walk(node->children, depth + 1, elements);
	}
}

int main(void)
{
	xmlSetStructuredErrorFunc(NULL, on_error);
	xmlDocPtr doc = xmlReadMemory(doc_text, (int)strlen(doc_text), "books.xml", NULL, 0);
	if (!doc) {
		printf("FAILED\n");
		return 1;
	}
	int elements = 0;
	walk(xmlDocGetRootElement(doc), 0, &elements);
	printf("elements: %d\n", elements);

	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr res =
	    xmlXPathEvalExpression(BAD_CAST "sum(//book[@lang='en']/pages)", ctx);
	printf("xpath: english pages = %g\n", res->floatval);
	xmlXPathFreeObject(res);
	xmlXPathFreeContext(ctx);

	xmlChar *out;
	int len;
	xmlDocDumpMemory(doc, &out, &len);
	unsigned long sum = 0;
	for (int i = 0; i < len; i++)
		sum = sum * 31 + out[i];
	printf("serialized: %d bytes, checksum %lu\n", len, sum);
	xmlFree(out);
	xmlFreeDoc(doc);

	const char *bad = "<a><b>unclosed</a>";
	doc = xmlReadMemory(bad, (int)strlen(bad), "bad.xml", NULL, 0);
	printf("malformed: %s, %d error(s) reported\n", doc ? "accepted" : "refused", errors);
	xmlFreeDoc(doc);
	xmlCleanupParser();
	return 0;
}

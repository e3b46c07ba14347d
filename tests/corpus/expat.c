/* expat: parses an XML document in two chunks with element, attribute and
 * character-data handlers of the program, printing an outline; then
 * reports where a malformed document fails. */
#include <expat.h>
#include <stdio.h>
#include <string.h>

struct state {
	int depth;
	int elements;
	int text;
};

static void XMLCALL on_start(void *data, const XML_Char *name, const XML_Char **attrs)
{
	struct state *s = data;
	printf("%*s<%s", s->depth * 2, "", name);
	for (int i = 0; attrs[i]; i += 2)
		printf(" %s=%s", attrs[i], attrs[i + 1]);
	printf(">\n");
	s->depth++;
	s->elements++;
}

static void XMLCALL on_end(void *data, const XML_Char *name)
{
	struct state *s = data;
	(void)name;
	s->depth--;
}

static void XMLCALL on_text(void *data, const XML_Char *text, int len)
{
	struct state *s = data;
	for (int i = 0; i < len; i++)
		s->text += text[i] != ' ' && text[i] != '\n';
}

static const char part1[] = "<?xml version=\"1.0\"?>\n<config version=\"2\">\n"
			    "  <server host=\"localhost\" port=\"8080\">primary</server>\n";
static const char part2[] = "  <server host=\"backup\" port=\"8081\">secondary</server>\n"
			    "  <limits max=\"100\"/>\n</config>\n";

int main(void)
{
	struct state s = {0, 0, 0};
	XML_Parser p = XML_ParserCreate(NULL);
	XML_SetUserData(p, &s);
	XML_SetElementHandler(p, on_start, on_end);
	XML_SetCharacterDataHandler(p, on_text);
	if (XML_Parse(p, part1, (int)strlen(part1), 0) == XML_STATUS_ERROR ||
	    XML_Parse(p, part2, (int)strlen(part2), 1) == XML_STATUS_ERROR) {
		printf("FAILED: %s\n", XML_ErrorString(XML_GetErrorCode(p)));
		return 1;
	}
	printf("elements: %d, text characters: %d\n", s.elements, s.text);
	XML_ParserFree(p);

	p = XML_ParserCreate(NULL);
	const char *bad = "<a>\n  <b></a>\n";
	if (XML_Parse(p, bad, (int)strlen(bad), 1) == XML_STATUS_ERROR)
		printf("malformed: line %lu, column %lu: %s\n", XML_GetCurrentLineNumber(p),
		       XML_GetCurrentColumnNumber(p), XML_ErrorString(XML_GetErrorCode(p)));
	XML_ParserFree(p);
	return 0;
}

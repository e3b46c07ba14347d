/*
 * The interface spec: "tap=NAME,addr=A.B.C.D,netmask=A.B.C.D[,gw=A.B.C.D]
 * [,mac=xx:xx:xx:xx:xx:xx]".
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lwip_impl.h"

#define SPEC_FORMAT "tap=NAME,addr=A.B.C.D,netmask=A.B.C.D[,gw=A.B.C.D][,mac=xx:xx:xx:xx:xx:xx]"

static int bad(const char *spec, const char *what)
{
	fprintf(stderr,
		"flexos-lwip: bad interface spec \"%s\": %s; write it as \"" SPEC_FORMAT
		"\" (in the argument of flexos_lwip_start or in FLEXOS_LWIP)\n",
		spec, what);
	return -EINVAL;
}

static bool parse_ip4(const char *s, size_t n, ip4_addr_t *out)
{
	char buf[INET_ADDRSTRLEN];
	struct in_addr a;

	if (n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1)
		return false;
	out->addr = a.s_addr;
	return true;
}

static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool parse_mac(const char *s, size_t n, uint8_t mac[6])
{
	if (n != 17)
		return false;
	for (int i = 0; i < 6; i++) {
		int hi = hex(s[3 * i]), lo = hex(s[3 * i + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return false;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* A netmask is ones then zeros. */
static bool contiguous(uint32_t host_order)
{
	uint32_t inv = ~host_order;
	return (inv & (inv + 1)) == 0;
}

int flexos__lwip_parse_spec(const char *spec, struct flexos__lwip_spec *out)
{
	bool have_tap = false, have_addr = false, have_mask = false, have_mac = false;
	char what[160];

	memset(out, 0, sizeof(*out));
	if (!spec || !*spec)
		return bad(spec ? spec : "", "it is empty");
	for (const char *p = spec; *p;) {
		const char *end = strchr(p, ','), *eq;
		size_t n;
		if (!end)
			end = p + strlen(p);
		eq = memchr(p, '=', (size_t)(end - p));
		if (!eq) {
			snprintf(what, sizeof(what), "field \"%.*s\" has no '='", (int)(end - p),
				 p);
			return bad(spec, what);
		}
		n = (size_t)(end - eq - 1);
		const char *v = eq + 1;
		size_t klen = (size_t)(eq - p);
#define KEY(k) (klen == sizeof(k) - 1 && !memcmp(p, k, klen))
		if (KEY("tap")) {
			if (n == 0 || n >= sizeof(out->tap))
				return bad(spec, "tap= needs a device name of 1 to 15 characters");
			memcpy(out->tap, v, n);
			out->tap[n] = '\0';
			have_tap = true;
		} else if (KEY("addr") || KEY("netmask") || KEY("gw")) {
			ip4_addr_t *a = KEY("addr") ? &out->addr
					: KEY("gw") ? &out->gw
						    : &out->netmask;
			if (!parse_ip4(v, n, a)) {
				snprintf(what, sizeof(what),
					 "%.*s=%.*s is not an IPv4 address A.B.C.D", (int)klen, p,
					 (int)n, v);
				return bad(spec, what);
			}
			have_addr |= KEY("addr");
			have_mask |= KEY("netmask");
		} else if (KEY("mac")) {
			if (!parse_mac(v, n, out->mac)) {
				snprintf(what, sizeof(what),
					 "mac=%.*s is not a MAC address xx:xx:xx:xx:xx:xx", (int)n,
					 v);
				return bad(spec, what);
			}
			if (out->mac[0] & 1)
				return bad(spec,
					   "mac= is a multicast address (the lowest bit of its "
					   "first byte is set)");
			have_mac = true;
		} else {
			snprintf(
			    what, sizeof(what),
			    "unknown field \"%.*s\" (the fields are tap, addr, netmask, gw, mac)",
			    (int)klen, p);
			return bad(spec, what);
		}
#undef KEY
		p = *end ? end + 1 : end;
	}
	if (!have_tap)
		return bad(spec, "tap= is missing");
	if (!have_addr)
		return bad(spec, "addr= is missing");
	if (!have_mask)
		return bad(spec, "netmask= is missing");
	if (out->addr.addr == 0)
		return bad(spec, "addr= is 0.0.0.0");
	if (!contiguous(ntohl(out->netmask.addr)))
		return bad(spec, "netmask= is not contiguous (ones, then zeros)");
	if (!have_mac) {
		/* Locally administered, unicast, unique per address. */
		const uint8_t *ip = (const uint8_t *)&out->addr.addr;
		out->mac[0] = 0x02;
		out->mac[1] = 0x00;
		memcpy(out->mac + 2, ip, 4);
	}
	return 0;
}

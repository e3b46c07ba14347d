/*
 * The lwIP component: flexos_lwip_start/stop and the netif driver over a
 * TAP device.
 *
 * lwIP's threads and locks come from its sys_arch: liblwip's own
 * (pthreads) but for the mailboxes (mbox_pthread.c), or the scheduler's
 * when libflexos-lwip-sched.a is linked, which the weak reference to
 * flexos__lwip_sched tells at run time. Only the receive thread is the
 * driver's: it waits for frames in poll() on pthreads, in the scheduler's
 * epoll (flexos_sched_wait_fd) otherwise, and runs lwIP's input on them
 * itself, under lwIP's core lock.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/if_tun.h>

#include <lwip/etharp.h>
#include <netif/ethernet.h>
#include <lwip/ethip6.h>
#include <lwip/netif.h>
#include <lwip/pbuf.h>
#include <lwip/sys.h>
#include <lwip/tcpip.h>
#include <lwip/priv/tcp_priv.h>

#include <flexos/lwip.h>

#include "lwip_impl.h"

#pragma weak flexos__lwip_sched

/* Room for any frame a TAP device hands over, and any pbuf chain (tot_len is 16 bits). */
#define FRAME_MAX 65550
/* Frames taken in a row under lwIP's core lock before letting others run. */
#define RX_BATCH 16
/* A frame lwIP's full queue refuses is retried this often, this far apart (pthreads), then dropped.
 */
#define RX_RETRIES  1000
#define RX_RETRY_US 50
/* On the scheduler: how often the receive thread checks for a stop. */
#define RX_STOP_CHECK_NS (100 * 1000000LL)

struct tapif {
	int fd;
	int stop_pipe[2]; /* pthreads: wakes the receive thread up */
	volatile bool stopping;
	bool up;
	bool on_sched;
	pthread_t rx_pthread;
	void *rx_thread;
	uint8_t *rx_buf, *tx_buf;
	struct flexos__lwip_spec spec;
	struct netif netif;
};

/* One interface: lwIP may still hold its address after a stop, so it is never freed. */
static struct tapif tap = {.fd = -1, .stop_pipe = {-1, -1}};
static bool tcpip_started;

static err_t linkoutput(struct netif *netif, struct pbuf *p)
{
	struct tapif *t = netif->state;
	const void *frame = p->payload;
	ssize_t n;

	if (p->next) {
		pbuf_copy_partial(p, t->tx_buf, p->tot_len, 0);
		frame = t->tx_buf;
	}
	do
		n = write(t->fd, frame, p->tot_len);
	while (n < 0 && errno == EINTR);
	/* A full TAP queue (EAGAIN) loses the frame, as a full NIC ring does. */
	return n == p->tot_len ? ERR_OK : ERR_IF;
}

static err_t tapif_init(struct netif *netif)
{
	struct tapif *t = netif->state;

	netif->name[0] = 't';
	netif->name[1] = 'p';
	netif->output = etharp_output;
#if LWIP_IPV6
	netif->output_ip6 = ethip6_output;
#endif
	netif->linkoutput = linkoutput;
	netif->mtu = 1500;
	netif->hwaddr_len = ETH_HWADDR_LEN;
	memcpy(netif->hwaddr, t->spec.mac, ETH_HWADDR_LEN);
	netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET |
		       NETIF_FLAG_IGMP | NETIF_FLAG_MLD6;
	return ERR_OK;
}

/* The frame's bytes at off, big-endian. */
static uint32_t be(const uint8_t *f, size_t off, int bytes)
{
	uint32_t v = 0;

	for (int i = 0; i < bytes; i++)
		v = v << 8 | f[off + i];
	return v;
}

/* Whether a, a pcb's address, is the frame's IPv4 (len 4) or IPv6 (len 16) address at ip. */
static bool addr_is(const ip_addr_t *a, const uint8_t *ip, size_t len)
{
	if (len == 4)
		return IP_IS_V4_VAL(*a) && memcmp(&ip_2_ip4(a)->addr, ip, 4) == 0;
	return IP_IS_V6_VAL(*a) && memcmp(ip_2_ip6(a)->addr, ip, 16) == 0;
}

/*
 * A SYN that reopens a connection lwIP holds in TIME-WAIT: lwIP 2.1
 * keeps a connection it closed first (kvserver after a protocol error's
 * reply, or a QUIT) in TIME-WAIT for 2 * TCP_MSL (120 s), answers a new
 * SYN of the same four-tuple with a bare ACK of the old connection, and
 * ignores the peer's RST to it (tcp_timewait_input, RFC 1337). The peer
 * had closed second, so it kept no TIME-WAIT of its own and may reuse
 * the port at once: Linux does when a burst of connections wraps its
 * ephemeral ports, and that connect then hangs in SYN-SENT until lwIP's
 * TIME-WAIT ends, up to 120 s. As Linux and the BSDs do (RFC 1122
 * 4.2.2.13, RFC 6191), a SYN whose sequence number lies beyond what the
 * old connection received ends that TIME-WAIT, and lwIP's listener then
 * takes the SYN as a new connection. Only a pcb no netconn holds any more
 * (callback_arg NULL: lwIP's close detaches it) is freed: a half-closed
 * socket not yet closed still points to its pcb. Under lwIP's core lock.
 */
static void reopen_time_wait(const uint8_t *f, size_t n)
{
	size_t ip = 14, tcp, alen;

	if (n < ip)
		return;
	switch (be(f, 12, 2)) {
	case 0x0800: /* IPv4, TCP, not a fragment */
		if (n < ip + 20 || f[ip] >> 4 != 4 || (f[ip] & 15) < 5 || f[ip + 9] != 6 ||
		    (be(f, ip + 6, 2) & 0x3fff))
			return;
		tcp = ip + (size_t)(f[ip] & 15) * 4;
		alen = 4;
		break;
	case 0x86dd: /* IPv6, TCP right after the fixed header */
		if (n < ip + 40 || f[ip + 6] != 6)
			return;
		tcp = ip + 40;
		alen = 16;
		break;
	default:
		return;
	}
	if (n < tcp + 20 || (f[tcp + 13] & (TCP_SYN | TCP_ACK | TCP_RST)) != TCP_SYN)
		return;
	const uint8_t *src = f + ip + (alen == 4 ? 12 : 8), *dst = src + alen;
	u16_t sport = (u16_t)be(f, tcp, 2), dport = (u16_t)be(f, tcp + 2, 2);
	u32_t seqno = be(f, tcp + 4, 4);

	for (struct tcp_pcb *pcb = tcp_tw_pcbs; pcb; pcb = pcb->next) {
		if (pcb->remote_port != sport || pcb->local_port != dport ||
		    !addr_is(&pcb->remote_ip, src, alen) || !addr_is(&pcb->local_ip, dst, alen))
			continue;
		if (!pcb->callback_arg && TCP_SEQ_GT(seqno, pcb->rcv_nxt))
			tcp_abort(pcb); /* in TIME-WAIT: unlinked and freed, nothing sent */
		return;
	}
}

/*
 * Reads the frames waiting, at most RX_BATCH, and runs lwIP's input on
 * them right here under lwIP's core lock, as LWIP_TCPIP_CORE_LOCKING_INPUT
 * would (Debian's build queues them to the tcpip thread instead: one more
 * thread switch per frame, and drops when its short queue is full). The
 * batch bounds how long the lock is held. Returns false on a fatal error.
 */
static bool rx_drain(struct tapif *t)
{
	bool ok = true, locked = false;

	for (int i = 0; i < RX_BATCH; i++) {
		ssize_t n = read(t->fd, t->rx_buf, FRAME_MAX);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			fprintf(stderr,
				"flexos-lwip: reading TAP device %s failed (%s): the interface "
				"receives nothing more; check that the device still exists\n",
				t->spec.tap, n < 0 ? strerror(errno) : "end of file");
			ok = false;
			break;
		}
		/*
		 * One allocation of the frame's size: Debian's liblwip sizes its
		 * PBUF_POOL buffers differently from what its headers say.
		 */
		if (n > 0xffff)
			continue;
		struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)n, PBUF_RAM);
		if (!p)
			continue; /* out of memory: the frame is lost, TCP resends it */
		pbuf_take(p, t->rx_buf, (u16_t)n);
		if (!locked) {
			LOCK_TCPIP_CORE();
			locked = true;
		}
		if (tcp_tw_pcbs)
			reopen_time_wait(t->rx_buf, (size_t)n);
		ethernet_input(p, &t->netif); /* consumes p */
	}
	if (locked)
		UNLOCK_TCPIP_CORE();
	if (t->on_sched)
		flexos__lwip_sched.yield();
	return ok;
}

static void *rx_main(void *arg)
{
	struct tapif *t = arg;

	while (!t->stopping) {
		if (t->on_sched) {
			flexos__lwip_sched.wait_readable(t->fd, RX_STOP_CHECK_NS);
		} else {
			struct pollfd fds[2] = {{t->fd, POLLIN, 0}, {t->stop_pipe[0], POLLIN, 0}};
			if (poll(fds, 2, -1) < 0 && errno != EINTR)
				break;
		}
		if (!t->stopping && !rx_drain(t))
			break;
	}
	return NULL;
}

static void tcpip_ready(void *arg)
{
	sys_sem_signal((sys_sem_t *)arg);
}

static int start_tcpip(void)
{
	sys_sem_t ready;

	if (tcpip_started)
		return 0;
	if (sys_sem_new(&ready, 0) != ERR_OK) {
		fprintf(stderr, "flexos-lwip: out of memory starting lwIP\n");
		return -ENOMEM;
	}
	tcpip_init(tcpip_ready, &ready);
	sys_sem_wait(&ready);
	sys_sem_free(&ready);
	tcpip_started = true;
	return 0;
}

static int open_tap(struct tapif *t)
{
	struct ifreq ifr = {0};
	int err;

	/* TUNSETIFF would create a missing device (with CAP_NET_ADMIN): refuse typos instead. */
	if (!if_nametoindex(t->spec.tap)) {
		fprintf(stderr,
			"flexos-lwip: there is no network device %s in this network namespace; "
			"create it first with 'ip tuntap add dev %s mode tap' (as root), or name "
			"an existing one in tap=\n",
			t->spec.tap, t->spec.tap);
		return -ENODEV;
	}
	t->fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (t->fd < 0) {
		err = -errno;
		fprintf(stderr,
			"flexos-lwip: cannot open /dev/net/tun (%s); load the tun module "
			"('modprobe tun') and check its permissions\n",
			strerror(errno));
		return err;
	}
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	memcpy(ifr.ifr_name, t->spec.tap, sizeof(t->spec.tap));
	if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
		err = -errno;
		fprintf(stderr, "flexos-lwip: cannot attach to TAP device %s (%s); %s\n",
			t->spec.tap, strerror(errno),
			errno == EPERM ? "create it for this user with 'ip tuntap add dev NAME "
					 "mode tap user USER', or run as root"
			: errno == EBUSY
			    ? "another process holds it, or it is not a TAP device "
			      "(ip tuntap add ... mode tap)"
			    : "check that it is a TAP device (ip tuntap add ... mode tap)");
		close(t->fd);
		t->fd = -1;
		return err;
	}
	if (fcntl(t->fd, F_SETFL, fcntl(t->fd, F_GETFL) | O_NONBLOCK) < 0) {
		err = -errno;
		fprintf(stderr, "flexos-lwip: cannot make TAP device %s non-blocking: %s\n",
			t->spec.tap, strerror(errno));
		close(t->fd);
		t->fd = -1;
		return err;
	}
	return 0;
}

static int start_rx(struct tapif *t)
{
	int err;

	if (t->on_sched) {
		err = flexos__lwip_sched.thread_start(&t->rx_thread, rx_main, t);
	} else {
		if (pipe2(t->stop_pipe, O_CLOEXEC) < 0)
			return -errno;
		err = -pthread_create(&t->rx_pthread, NULL, rx_main, t);
		if (err) {
			close(t->stop_pipe[0]);
			close(t->stop_pipe[1]);
			t->stop_pipe[0] = t->stop_pipe[1] = -1;
		}
	}
	if (err)
		fprintf(stderr, "flexos-lwip: cannot start the receive thread: %s\n",
			strerror(-err));
	return err;
}

static void stop_rx(struct tapif *t)
{
	t->stopping = true;
	if (t->on_sched) {
		flexos__lwip_sched.thread_join(t->rx_thread);
		return;
	}
	while (write(t->stop_pipe[1], "", 1) < 0 && errno == EINTR)
		;
	pthread_join(t->rx_pthread, NULL);
	close(t->stop_pipe[0]);
	close(t->stop_pipe[1]);
	t->stop_pipe[0] = t->stop_pipe[1] = -1;
}

int flexos_lwip_start(const char *spec)
{
	struct tapif *t = &tap;
	int err;

	if (t->up) {
		fprintf(stderr,
			"flexos-lwip: lwIP already has an interface on %s; call "
			"flexos_lwip_stop first, or start it only once\n",
			t->spec.tap);
		return -EALREADY;
	}
	if (!spec && !(spec = getenv("FLEXOS_LWIP"))) {
		fprintf(stderr, "flexos-lwip: no interface spec: pass one to flexos_lwip_start "
				"or set FLEXOS_LWIP, e.g. "
				"FLEXOS_LWIP=tap=tap0,addr=10.0.0.2,netmask=255.255.255.0\n");
		return -EINVAL;
	}
	err = flexos__lwip_parse_spec(spec, &t->spec);
	if (err)
		return err;
	t->on_sched = &flexos__lwip_sched != NULL;
	t->stopping = false;
	if (!t->rx_buf)
		t->rx_buf = malloc(FRAME_MAX);
	if (!t->tx_buf)
		t->tx_buf = malloc(FRAME_MAX);
	if (!t->rx_buf || !t->tx_buf) {
		fprintf(stderr, "flexos-lwip: out of memory for the frame buffers\n");
		return -ENOMEM;
	}
	err = open_tap(t);
	if (err)
		return err;
	err = start_tcpip();
	if (err)
		goto err_close;
	/* tcpip_init created lwIP's first mailbox: with ours, if they are bound. */
	if (!t->on_sched && !flexos__lwip_mbox_pthread_used())
		fprintf(stderr,
			"flexos-lwip: warning: liblwip.so does not use the image's mailboxes but "
			"its own, of 127 messages: a listening socket resets the connections "
			"beyond; the image must export sys_mbox_new and the other mailbox "
			"functions of libflexos-lwip.a (readelf --dyn-syms IMAGE): link it with "
			"-llwip, and without -Wl,--exclude-libs\n");

	LOCK_TCPIP_CORE();
	struct netif *added = netif_add(&t->netif, &t->spec.addr, &t->spec.netmask, &t->spec.gw, t,
					tapif_init, tcpip_input);
	if (added) {
		netif_set_default(&t->netif);
		netif_set_link_up(&t->netif);
		netif_set_up(&t->netif);
	}
	UNLOCK_TCPIP_CORE();
	if (!added) {
		fprintf(stderr, "flexos-lwip: lwIP refused the interface on %s\n", t->spec.tap);
		err = -ENOMEM;
		goto err_close;
	}
	err = start_rx(t);
	if (err)
		goto err_remove;
	t->up = true;
	return 0;

err_remove:
	LOCK_TCPIP_CORE();
	netif_remove(&t->netif);
	UNLOCK_TCPIP_CORE();
err_close:
	close(t->fd);
	t->fd = -1;
	return err;
}

/* On the tcpip thread, behind every frame already queued for the interface. */
static void remove_netif(void *arg)
{
	netif_set_down(&tap.netif);
	netif_set_link_down(&tap.netif);
	netif_remove(&tap.netif);
	sys_sem_signal((sys_sem_t *)arg);
}

int flexos_lwip_stop(void)
{
	struct tapif *t = &tap;
	sys_sem_t done = NULL;

	if (!t->up)
		return -EINVAL;
	stop_rx(t);
	if (sys_sem_new(&done, 0) == ERR_OK && tcpip_callback(remove_netif, &done) == ERR_OK) {
		sys_sem_wait(&done);
	} else {
		LOCK_TCPIP_CORE();
		netif_remove(&t->netif);
		UNLOCK_TCPIP_CORE();
	}
	if (done)
		sys_sem_free(&done);
	close(t->fd);
	t->fd = -1;
	t->up = false;
	return 0;
}

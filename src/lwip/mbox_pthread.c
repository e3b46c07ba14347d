/*
 * lwIP's mailboxes on pthreads (libflexos-lwip.a), in place of those of
 * Debian's unix port, which ignore the size lwIP asks for and hold 127
 * messages: too few for an accept mailbox (lwip_impl.h). The rest of that
 * port (threads, semaphores, mutexes, the core lock) stays liblwip's.
 *
 * liblwip.so calls its sys_* functions through its PLT, so these
 * definitions, exported by the executable (liblwip.so defines the same
 * names), replace its own. They are weak: when libflexos-lwip-sched.a is
 * linked too, its definitions win, whatever the order of the archives.
 * Nothing calls them by name, so driver.c refers to
 * flexos__lwip_mbox_pthread_used to link this object in.
 *
 * lwIP's timeouts are milliseconds, 0 meaning forever; a timed fetch
 * returns the milliseconds it waited, or SYS_ARCH_TIMEOUT.
 */
#include "autoconfig.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <lwip/err.h>
#include <lwip/sys.h>

#include "lwip_impl.h"

#pragma weak sys_mbox_new
#pragma weak sys_mbox_free
#pragma weak sys_mbox_post
#pragma weak sys_mbox_trypost
#pragma weak sys_mbox_trypost_fromisr
#pragma weak sys_arch_mbox_fetch
#pragma weak sys_arch_mbox_tryfetch

/* Debian's sys_arch.h declares struct sys_mbox and leaves it to the port. */
struct sys_mbox {
	pthread_mutex_t lock;
	pthread_cond_t not_empty, not_full; /* on CLOCK_MONOTONIC */
	void **ring;
	size_t size, head, count;
};

static bool used;

bool flexos__lwip_mbox_pthread_used(void)
{
	return __atomic_load_n(&used, __ATOMIC_RELAXED);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

err_t sys_mbox_new(sys_mbox_t *mbox, int size)
{
	struct sys_mbox *mb = malloc(sizeof(*mb));
	pthread_condattr_t attr;

	if (!mb)
		goto err_out;
	mb->size = flexos__lwip_mbox_capacity(size);
	mb->head = mb->count = 0;
	mb->ring = malloc(mb->size * sizeof(*mb->ring));
	if (!mb->ring)
		goto err_free_mb;
	if (pthread_condattr_init(&attr))
		goto err_free_ring;
	if (pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) ||
	    pthread_cond_init(&mb->not_empty, &attr))
		goto err_free_attr;
	if (pthread_cond_init(&mb->not_full, &attr))
		goto err_free_not_empty;
	if (pthread_mutex_init(&mb->lock, NULL))
		goto err_free_not_full;
	pthread_condattr_destroy(&attr);
	__atomic_store_n(&used, true, __ATOMIC_RELAXED);
	*mbox = mb;
	return ERR_OK;

err_free_not_full:
	pthread_cond_destroy(&mb->not_full);
err_free_not_empty:
	pthread_cond_destroy(&mb->not_empty);
err_free_attr:
	pthread_condattr_destroy(&attr);
err_free_ring:
	free(mb->ring);
err_free_mb:
	free(mb);
err_out:
	*mbox = NULL;
	return ERR_MEM;
}

/*
 * lwIP frees a mailbox only once nobody waits on it any more (Debian builds
 * it with LWIP_NETCONN_FULLDUPLEX 0): a thread asleep in post or fetch
 * would be undefined behaviour here, as with Debian's port. Taking the lock
 * once lets a thread that is just leaving one of them finish.
 */
void sys_mbox_free(sys_mbox_t *mbox)
{
	struct sys_mbox *mb = *mbox;

	if (!mb)
		return;
	pthread_mutex_lock(&mb->lock);
	pthread_mutex_unlock(&mb->lock);
	pthread_mutex_destroy(&mb->lock);
	pthread_cond_destroy(&mb->not_empty);
	pthread_cond_destroy(&mb->not_full);
	free(mb->ring);
	free(mb);
	*mbox = NULL;
}

/* Under mb->lock, with room in the ring. */
static void push(struct sys_mbox *mb, void *msg)
{
	mb->ring[(mb->head + mb->count) % mb->size] = msg;
	mb->count++;
	pthread_cond_signal(&mb->not_empty);
}

/* Under mb->lock, with a message in the ring. */
static void *pop(struct sys_mbox *mb)
{
	void *msg = mb->ring[mb->head];

	mb->head = (mb->head + 1) % mb->size;
	mb->count--;
	pthread_cond_signal(&mb->not_full);
	return msg;
}

void sys_mbox_post(sys_mbox_t *mbox, void *msg)
{
	struct sys_mbox *mb = *mbox;

	pthread_mutex_lock(&mb->lock);
	while (mb->count == mb->size)
		pthread_cond_wait(&mb->not_full, &mb->lock);
	push(mb, msg);
	pthread_mutex_unlock(&mb->lock);
}

err_t sys_mbox_trypost(sys_mbox_t *mbox, void *msg)
{
	struct sys_mbox *mb = *mbox;
	err_t err = ERR_MEM;

	pthread_mutex_lock(&mb->lock);
	if (mb->count < mb->size) {
		push(mb, msg);
		err = ERR_OK;
	}
	pthread_mutex_unlock(&mb->lock);
	return err;
}

err_t sys_mbox_trypost_fromisr(sys_mbox_t *mbox, void *msg)
{
	return sys_mbox_trypost(mbox, msg);
}

u32_t sys_arch_mbox_fetch(sys_mbox_t *mbox, void **msg, u32_t timeout)
{
	struct sys_mbox *mb = *mbox;
	uint64_t start = now_ns(), end = start + (uint64_t)timeout * 1000000;
	struct timespec deadline = {(time_t)(end / 1000000000), (long)(end % 1000000000)};
	void *m;

	pthread_mutex_lock(&mb->lock);
	while (!mb->count) {
		if (!timeout) {
			pthread_cond_wait(&mb->not_empty, &mb->lock);
			continue;
		}
		int err = pthread_cond_timedwait(&mb->not_empty, &mb->lock, &deadline);
		if (err == ETIMEDOUT && !mb->count) {
			pthread_mutex_unlock(&mb->lock);
			return SYS_ARCH_TIMEOUT;
		}
	}
	m = pop(mb);
	pthread_mutex_unlock(&mb->lock);
	if (msg)
		*msg = m;
	uint64_t ms = (now_ns() - start) / 1000000;
	return ms >= SYS_ARCH_TIMEOUT ? SYS_ARCH_TIMEOUT - 1 : (u32_t)ms;
}

u32_t sys_arch_mbox_tryfetch(sys_mbox_t *mbox, void **msg)
{
	struct sys_mbox *mb = *mbox;
	void *m;

	pthread_mutex_lock(&mb->lock);
	if (!mb->count) {
		pthread_mutex_unlock(&mb->lock);
		return SYS_MBOX_EMPTY;
	}
	m = pop(mb);
	pthread_mutex_unlock(&mb->lock);
	if (msg)
		*msg = m;
	return 0;
}
